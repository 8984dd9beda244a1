package kmstest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// KeyStoreTable is an in-memory DynamoDB table for a kms.BranchKeyStore:
// it satisfies kms.DynamoDBAPI (GetItem and TransactWriteItems) on a
// table with the key store's keys, "branch-key-id" and "type". It
// evaluates the condition expressions a key store writes
// (attribute_exists, attribute_not_exists and =, joined by AND, with
// #name and :value placeholders) and refuses others with a
// ValidationException; a failed condition cancels the whole transaction
// with *types.TransactionCanceledException, as DynamoDB does, and so does
// a transaction that writes one item twice. Items are copied in and out,
// attribute values included. It is safe for concurrent use.
type KeyStoreTable struct {
	mu    sync.Mutex
	items map[[2]string]map[string]ddbtypes.AttributeValue
}

// ddbError is a DynamoDB error the SDK would return as a generic API
// error (ValidationException has no typed struct in the dynamodb package).
func ddbError(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}

// NewKeyStoreTable returns an empty table.
func NewKeyStoreTable() *KeyStoreTable {
	return &KeyStoreTable{items: map[[2]string]map[string]ddbtypes.AttributeValue{}}
}

// Len returns how many items the table holds.
func (t *KeyStoreTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.items)
}

func itemKey(item map[string]ddbtypes.AttributeValue) ([2]string, error) {
	var k [2]string
	for i, name := range []string{"branch-key-id", "type"} {
		s, ok := item[name].(*ddbtypes.AttributeValueMemberS)
		if !ok || s.Value == "" {
			return k, ddbError("ValidationException", "the item's key attribute "+name+" is missing or not a non-empty string")
		}
		k[i] = s.Value
	}
	return k, nil
}

// GetItem implements kms.DynamoDBAPI.
func (t *KeyStoreTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if in == nil {
		in = &dynamodb.GetItemInput{}
	}
	k, err := itemKey(in.Key)
	if err != nil {
		return nil, err
	}
	if len(in.Key) != 2 {
		return nil, ddbError("ValidationException", "The provided key element does not match the schema")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return &dynamodb.GetItemOutput{Item: cloneItem(t.items[k])}, nil
}

// TransactWriteItems implements kms.DynamoDBAPI for Put items: all apply,
// or none.
func (t *KeyStoreTable) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if in == nil || len(in.TransactItems) == 0 || len(in.TransactItems) > 100 {
		return nil, ddbError("ValidationException", "TransactItems must hold 1 to 100 items")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([][2]string, len(in.TransactItems))
	reasons := make([]ddbtypes.CancellationReason, len(in.TransactItems))
	failed := false
	for i, w := range in.TransactItems {
		if w.Put == nil {
			return nil, ddbError("ValidationException", "this fake takes Put items only")
		}
		k, err := itemKey(w.Put.Item)
		if err != nil {
			return nil, err
		}
		if slices.Contains(keys[:i], k) {
			return nil, ddbError("ValidationException", "Transaction request cannot include multiple operations on one item")
		}
		keys[i] = k
		ok, err := holds(aws.ToString(w.Put.ConditionExpression), w.Put.ExpressionAttributeNames, w.Put.ExpressionAttributeValues, t.items[k])
		if err != nil {
			return nil, err
		}
		reasons[i] = ddbtypes.CancellationReason{Code: aws.String("None")}
		if !ok {
			failed = true
			reasons[i] = ddbtypes.CancellationReason{Code: aws.String("ConditionalCheckFailed"), Message: aws.String("The conditional request failed")}
		}
	}
	if failed {
		return nil, &ddbtypes.TransactionCanceledException{Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons"), CancellationReasons: reasons}
	}
	for i, w := range in.TransactItems {
		t.items[keys[i]] = cloneItem(w.Put.Item)
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// holds evaluates a condition expression of terms joined by AND on item
// (nil: no item).
func holds(expr string, names map[string]string, values map[string]ddbtypes.AttributeValue, item map[string]ddbtypes.AttributeValue) (bool, error) {
	if expr == "" {
		return true, nil
	}
	name := func(s string) (string, error) {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "#") {
			n, ok := names[s]
			if !ok {
				return "", ddbError("ValidationException", "an expression attribute name is not defined: "+s)
			}
			return n, nil
		}
		return s, nil
	}
	// call reports whether term is fn(<one operand>).
	call := func(term, fn string) bool {
		return strings.HasPrefix(term, fn+"(") && strings.HasSuffix(term, ")") && !strings.ContainsAny(term[len(fn)+1:len(term)-1], "()")
	}
	for _, term := range strings.Split(expr, " AND ") {
		term = strings.TrimSpace(term)
		var ok bool
		switch {
		case call(term, "attribute_not_exists"):
			n, err := name(term[len("attribute_not_exists(") : len(term)-1])
			if err != nil {
				return false, err
			}
			_, exists := item[n]
			ok = !exists
		case call(term, "attribute_exists"):
			n, err := name(term[len("attribute_exists(") : len(term)-1])
			if err != nil {
				return false, err
			}
			_, ok = item[n]
		case strings.Count(term, " = ") == 1 && !strings.ContainsAny(term, "()"):
			l, r, _ := strings.Cut(term, " = ")
			n, err := name(l)
			if err != nil {
				return false, err
			}
			v, found := values[strings.TrimSpace(r)]
			if !found {
				return false, ddbError("ValidationException", "an expression attribute value is not defined: "+r)
			}
			ok = equal(item[n], v)
		default:
			return false, ddbError("ValidationException", fmt.Sprintf("this fake does not evaluate the condition %q", term))
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func equal(a, b ddbtypes.AttributeValue) bool {
	switch x := a.(type) {
	case *ddbtypes.AttributeValueMemberS:
		y, ok := b.(*ddbtypes.AttributeValueMemberS)
		return ok && x.Value == y.Value
	case *ddbtypes.AttributeValueMemberN:
		y, ok := b.(*ddbtypes.AttributeValueMemberN)
		return ok && x.Value == y.Value
	case *ddbtypes.AttributeValueMemberB:
		y, ok := b.(*ddbtypes.AttributeValueMemberB)
		return ok && bytes.Equal(x.Value, y.Value)
	}
	return false
}

// cloneItem copies an item and its attribute values, so that neither the
// caller nor the table sees the other's later changes.
func cloneItem(item map[string]ddbtypes.AttributeValue) map[string]ddbtypes.AttributeValue {
	if item == nil {
		return nil
	}
	out := make(map[string]ddbtypes.AttributeValue, len(item))
	for k, v := range item {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v ddbtypes.AttributeValue) ddbtypes.AttributeValue {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return &ddbtypes.AttributeValueMemberS{Value: x.Value}
	case *ddbtypes.AttributeValueMemberN:
		return &ddbtypes.AttributeValueMemberN{Value: x.Value}
	case *ddbtypes.AttributeValueMemberB:
		return &ddbtypes.AttributeValueMemberB{Value: bytes.Clone(x.Value)}
	case *ddbtypes.AttributeValueMemberBOOL:
		return &ddbtypes.AttributeValueMemberBOOL{Value: x.Value}
	case *ddbtypes.AttributeValueMemberNULL:
		return &ddbtypes.AttributeValueMemberNULL{Value: x.Value}
	case *ddbtypes.AttributeValueMemberSS:
		return &ddbtypes.AttributeValueMemberSS{Value: slices.Clone(x.Value)}
	case *ddbtypes.AttributeValueMemberNS:
		return &ddbtypes.AttributeValueMemberNS{Value: slices.Clone(x.Value)}
	case *ddbtypes.AttributeValueMemberBS:
		bs := make([][]byte, len(x.Value))
		for i, b := range x.Value {
			bs[i] = bytes.Clone(b)
		}
		return &ddbtypes.AttributeValueMemberBS{Value: bs}
	case *ddbtypes.AttributeValueMemberL:
		l := make([]ddbtypes.AttributeValue, len(x.Value))
		for i, e := range x.Value {
			l[i] = cloneValue(e)
		}
		return &ddbtypes.AttributeValueMemberL{Value: l}
	case *ddbtypes.AttributeValueMemberM:
		return &ddbtypes.AttributeValueMemberM{Value: cloneItem(x.Value)}
	}
	return v
}
