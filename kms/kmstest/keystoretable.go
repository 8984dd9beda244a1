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

	"github.com/kumo-go/kumo/internal/fakecall"
	"github.com/kumo-go/kumo/internal/opts"
)

// KeyStoreTableOptions configure a [KeyStoreTable].
type KeyStoreTableOptions struct {
	// TableName is the table's name: calls that name another table answer
	// ResourceNotFoundException, as DynamoDB does. Default "": the table
	// answers to any name.
	TableName string
}

// KeyStoreTable is an in-memory DynamoDB table for a kms.BranchKeyStore:
// it satisfies kms.DynamoDBAPI (GetItem and TransactWriteItems) on a
// table with the key store's keys, "branch-key-id" and "type":
//
//	table := kmstest.NewKeyStoreTable(func(o *kmstest.KeyStoreTableOptions) { o.TableName = "branch-keys" })
//	store, err := kms.NewBranchKeyStore(table, fake, "branch-keys", "my-store", fake.CreateKey())
//
// It evaluates the condition expressions a key store writes
// (attribute_exists, attribute_not_exists and =, joined by AND, with
// #name and :value placeholders) and refuses others with a
// ValidationException; a failed condition cancels the whole transaction,
// as DynamoDB does, and so does a transaction that writes one item twice.
// Items are deep-copied in and out. It is safe for
// concurrent use.
//
// Errors are those *dynamodb.Client returns: the SDK's typed structs
// (*types.TransactionCanceledException with a cancellation reason per
// item, ConditionalCheckFailed where a condition failed and None
// elsewhere; *types.ResourceNotFoundException for another table), or a
// *smithy.GenericAPIError for ValidationException, for which the SDK has
// none.
//
// Like [Fake] it embeds a recorder, with the operation names "GetItem"
// and "TransactWriteItems":
//   - FailNext(op, err): the next call of op returns err without acting;
//   - LoseNext(op, err): the next successful call of op acts, then
//     returns err instead of its answer;
//   - OnCall(op, fn): fn(input) runs before every call of op; an error
//     from it is the call's answer;
//   - Log(op): the inputs of the calls of op, oldest first, as copies;
//   - Calls(op), CallCounts(), TotalCalls(), ResetCalls(): call counts.
type KeyStoreTable struct {
	fakecall.Recorder

	opts KeyStoreTableOptions

	mu    sync.Mutex
	items map[[2]string]map[string]ddbtypes.AttributeValue
}

var ddbErrors = fakecall.RegistryErrors(dynamodb.TypeRegistry, fakecall.JSON)

// ddbError returns what *dynamodb.Client returns for DynamoDB's error code
// and message: the SDK's typed error where it has one, else a
// *smithy.GenericAPIError (ValidationException).
func ddbError(code, msg string) error { return ddbErrors.New(code, msg) }

// NewKeyStoreTable returns an empty table.
func NewKeyStoreTable(optFns ...func(*KeyStoreTableOptions)) *KeyStoreTable {
	var o KeyStoreTableOptions
	opts.Apply(&o, optFns)
	return &KeyStoreTable{opts: o, items: map[[2]string]map[string]ddbtypes.AttributeValue{}}
}

// Len returns how many items the table holds.
func (t *KeyStoreTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.items)
}

// begin counts and logs a call and applies injected failures and hooks
// (fakecall.Begin). It returns with t.mu held when err is nil.
func (t *KeyStoreTable) begin(op string, input any) error {
	if err := fakecall.Begin(&t.Recorder, op, input); err != nil {
		return err
	}
	t.mu.Lock()
	return nil
}

// checkTable refuses a table name other than Options.TableName.
func (t *KeyStoreTable) checkTable(name *string) error {
	if t.opts.TableName != "" && aws.ToString(name) != t.opts.TableName {
		return ddbError("ResourceNotFoundException", "Requested resource not found: Table: "+aws.ToString(name)+" not found")
	}
	return nil
}

func itemKey(item map[string]ddbtypes.AttributeValue) ([2]string, error) {
	var k [2]string
	for i, name := range []string{"branch-key-id", "type"} {
		s, ok := item[name].(*ddbtypes.AttributeValueMemberS)
		if !ok || s.Value == "" {
			return k, ddbError("ValidationException", "The provided key element does not match the schema")
		}
		k[i] = s.Value
	}
	return k, nil
}

// GetItem implements kms.DynamoDBAPI.
func (t *KeyStoreTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (out *dynamodb.GetItemOutput, err error) {
	in = fakecall.Input(in)
	if err := t.begin("GetItem", in); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	defer fakecall.End(&t.Recorder, "GetItem", &out, &err)
	if err := t.checkTable(in.TableName); err != nil {
		return nil, err
	}
	k, err := itemKey(in.Key)
	if err != nil {
		return nil, err
	}
	if len(in.Key) != 2 {
		return nil, ddbError("ValidationException", "The provided key element does not match the schema")
	}
	return &dynamodb.GetItemOutput{Item: fakecall.Copy(t.items[k])}, nil
}

// TransactWriteItems implements kms.DynamoDBAPI for Put items: all apply,
// or none.
func (t *KeyStoreTable) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (out *dynamodb.TransactWriteItemsOutput, err error) {
	in = fakecall.Input(in)
	if err := t.begin("TransactWriteItems", in); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	defer fakecall.End(&t.Recorder, "TransactWriteItems", &out, &err)
	if len(in.TransactItems) == 0 || len(in.TransactItems) > 100 {
		return nil, ddbError("ValidationException", fmt.Sprintf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and 100; it has %d", len(in.TransactItems)))
	}
	keys := make([][2]string, len(in.TransactItems))
	reasons := make([]ddbtypes.CancellationReason, len(in.TransactItems))
	var codes []string
	failed := false
	for i, w := range in.TransactItems {
		if w.Put == nil {
			return nil, ddbError("ValidationException", "kmstest.KeyStoreTable takes Put items only; a key store writes no others")
		}
		if err := t.checkTable(w.Put.TableName); err != nil {
			return nil, err
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
		codes = append(codes, aws.ToString(reasons[i].Code))
	}
	if failed {
		return nil, &ddbtypes.TransactionCanceledException{CancellationReasons: reasons,
			Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]")}
	}
	for i, w := range in.TransactItems {
		t.items[keys[i]] = fakecall.Copy(w.Put.Item)
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
				return "", ddbError("ValidationException", "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: "+s)
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
				return false, ddbError("ValidationException", "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: "+strings.TrimSpace(r))
			}
			ok = equal(item[n], v)
		default:
			return false, ddbError("ValidationException", fmt.Sprintf("kmstest.KeyStoreTable does not evaluate the condition %q; it takes attribute_exists, attribute_not_exists and = joined by AND", term))
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
