package kmstest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms/kmstest"
)

func TestKeyStoreTableConditions(t *testing.T) {
	ctx := context.Background()
	tbl := kmstest.NewKeyStoreTable()
	item := func(typ string, enc byte) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{
			"branch-key-id": &ddbtypes.AttributeValueMemberS{Value: "bk"}, "type": &ddbtypes.AttributeValueMemberS{Value: typ},
			"enc": &ddbtypes.AttributeValueMemberB{Value: []byte{enc}},
		}
	}
	put := func(it map[string]ddbtypes.AttributeValue, cond string, old []byte) error {
		p := &ddbtypes.Put{TableName: aws.String("t"), Item: it, ConditionExpression: aws.String(cond), ExpressionAttributeNames: map[string]string{"#bkid": "branch-key-id", "#enc": "enc"}}
		if old != nil {
			p.ExpressionAttributeValues = map[string]ddbtypes.AttributeValue{":old": &ddbtypes.AttributeValueMemberB{Value: old}}
		}
		_, err := tbl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{{Put: p}}})
		return err
	}
	require.NoError(t, put(item("a", 1), "attribute_not_exists(#bkid)", nil))
	var cancelled *ddbtypes.TransactionCanceledException
	require.ErrorAs(t, put(item("a", 2), "attribute_not_exists(#bkid)", nil), &cancelled)
	require.ErrorAs(t, put(item("a", 2), "attribute_exists(#bkid) AND #enc = :old", []byte{9}), &cancelled)
	require.NoError(t, put(item("a", 2), "attribute_exists(#bkid) AND #enc = :old", []byte{1}))
	key := func(typ string) map[string]ddbtypes.AttributeValue {
		k := item(typ, 0)
		delete(k, "enc")
		return k
	}
	out, err := tbl.GetItem(ctx, &dynamodb.GetItemInput{Key: key("a")})
	require.NoError(t, err)
	assert.Equal(t, []byte{2}, out.Item["enc"].(*ddbtypes.AttributeValueMemberB).Value)
	out, err = tbl.GetItem(ctx, &dynamodb.GetItemInput{Key: key("missing")})
	require.NoError(t, err)
	assert.Empty(t, out.Item)
	assert.Equal(t, 1, tbl.Len())

	var apiErr smithy.APIError
	require.ErrorAs(t, put(item("b", 1), "begins_with(#bkid, :x)", nil), &apiErr)
	assert.Equal(t, "ValidationException", apiErr.ErrorCode())
	require.ErrorAs(t, put(item("b", 1), "attribute_not_exists(#nope)", nil), &apiErr)
	assert.Equal(t, "ValidationException", apiErr.ErrorCode())
	_, err = tbl.GetItem(ctx, &dynamodb.GetItemInput{Key: map[string]ddbtypes.AttributeValue{"branch-key-id": &ddbtypes.AttributeValueMemberS{Value: "bk"}}})
	require.ErrorAs(t, err, &apiErr)
}

// TestKeyStoreTableCopiesValues: items are copied in and out, attribute
// values included. The table used to copy only the map, so a test that
// flipped a byte of an item it had read (to fake tampering) changed the
// table's own item, and a caller's later change to what it put did too.
func TestKeyStoreTableCopiesValues(t *testing.T) {
	ctx := context.Background()
	tbl := kmstest.NewKeyStoreTable()
	key := map[string]ddbtypes.AttributeValue{"branch-key-id": &ddbtypes.AttributeValueMemberS{Value: "bk"}, "type": &ddbtypes.AttributeValueMemberS{Value: "branch:ACTIVE"}}
	item := map[string]ddbtypes.AttributeValue{
		"branch-key-id": key["branch-key-id"], "type": key["type"],
		"enc":  &ddbtypes.AttributeValueMemberB{Value: []byte{1, 2}},
		"list": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberBS{Value: [][]byte{{3}}}}},
		"map":  &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"ss": &ddbtypes.AttributeValueMemberSS{Value: []string{"a"}}}},
	}
	_, err := tbl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{{Put: &ddbtypes.Put{Item: item}}}})
	require.NoError(t, err)
	item["enc"].(*ddbtypes.AttributeValueMemberB).Value[0] = 9
	item["list"].(*ddbtypes.AttributeValueMemberL).Value[0].(*ddbtypes.AttributeValueMemberBS).Value[0][0] = 9
	item["map"].(*ddbtypes.AttributeValueMemberM).Value["ss"].(*ddbtypes.AttributeValueMemberSS).Value[0] = "z"

	for range 2 {
		out, err := tbl.GetItem(ctx, &dynamodb.GetItemInput{Key: key})
		require.NoError(t, err)
		enc := out.Item["enc"].(*ddbtypes.AttributeValueMemberB)
		assert.Equal(t, []byte{1, 2}, enc.Value)
		assert.Equal(t, []byte{3}, out.Item["list"].(*ddbtypes.AttributeValueMemberL).Value[0].(*ddbtypes.AttributeValueMemberBS).Value[0])
		assert.Equal(t, []string{"a"}, out.Item["map"].(*ddbtypes.AttributeValueMemberM).Value["ss"].(*ddbtypes.AttributeValueMemberSS).Value)
		enc.Value[0] = 9 // must not reach the table: the second read sees 1
	}
}

// TestKeyStoreTableRefusesWhatDynamoDBRefuses: a transaction writing one
// item twice, a key with other attributes than the table's two, and a
// condition the fake cannot parse are ValidationExceptions (the last used
// to report an undefined name "#a) OR attribute_exists(#a").
func TestKeyStoreTableRefusesWhatDynamoDBRefuses(t *testing.T) {
	ctx := context.Background()
	tbl := kmstest.NewKeyStoreTable()
	item := func(typ string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"branch-key-id": &ddbtypes.AttributeValueMemberS{Value: "bk"}, "type": &ddbtypes.AttributeValueMemberS{Value: typ}}
	}
	put := func(it map[string]ddbtypes.AttributeValue, cond string) ddbtypes.TransactWriteItem {
		return ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{Item: it, ConditionExpression: aws.String(cond), ExpressionAttributeNames: map[string]string{"#a": "enc"}}}
	}
	for _, tt := range []struct {
		name string
		call func() error
		msg  string
	}{
		{"one item twice", func() error {
			_, err := tbl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{put(item("a"), ""), put(item("a"), "")}})
			return err
		}, "Transaction request cannot include multiple operations on one item"},
		{"a key with an extra attribute", func() error {
			k := item("a")
			k["enc"] = &ddbtypes.AttributeValueMemberB{Value: []byte{1}}
			_, err := tbl.GetItem(ctx, &dynamodb.GetItemInput{Key: k})
			return err
		}, "The provided key element does not match the schema"},
		{"OR", func() error {
			_, err := tbl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{put(item("a"), "attribute_exists(#a) OR attribute_exists(#a)")}})
			return err
		}, `this fake does not evaluate the condition "attribute_exists(#a) OR attribute_exists(#a)"`},
	} {
		var apiErr smithy.APIError
		require.ErrorAs(t, tt.call(), &apiErr, tt.name)
		assert.Equal(t, "ValidationException", apiErr.ErrorCode(), tt.name)
		assert.Equal(t, tt.msg, apiErr.ErrorMessage(), tt.name)
	}
	assert.Zero(t, tbl.Len())
}
