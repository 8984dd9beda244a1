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
	out, err := tbl.GetItem(ctx, &dynamodb.GetItemInput{Key: item("a", 0)})
	require.NoError(t, err)
	assert.Equal(t, []byte{2}, out.Item["enc"].(*ddbtypes.AttributeValueMemberB).Value)
	out, err = tbl.GetItem(ctx, &dynamodb.GetItemInput{Key: item("missing", 0)})
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
