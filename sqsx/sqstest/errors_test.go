package sqstest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// client is sqsx.SQSAPI and the single-message calls the fake also has.
type client interface {
	sqsx.SQSAPI
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(context.Context, *sqs.DeleteMessageInput, ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// errorCase is one error the fake can return: the call that provokes it,
// and what errors.As must find, with the SDK's type and as smithy.APIError.
type errorCase struct {
	name string
	call func(c client, std, fifo string) error
	// as is a target for errors.As of the SDK's typed error; nil where the SDK
	// has no struct and *sqs.Client gives a *smithy.GenericAPIError.
	as   any
	code string
	// fakeOnly marks errors moto does not give as SQS does.
	fakeOnly string
}

func sqsErrorCases() []errorCase {
	entries := func(n int, body string) []types.SendMessageBatchRequestEntry {
		var es []types.SendMessageBatchRequestEntry
		for i := range n {
			es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(body)})
		}
		return es
	}
	sendBatch := func(c client, url string, es ...types.SendMessageBatchRequestEntry) error {
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
		return err
	}
	return []errorCase{
		{name: "queue does not exist", call: func(c client, std, _ string) error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(std[:strings.LastIndex(std, "/")] + "/no-such-queue")})
			return err
		}, as: new(*types.QueueDoesNotExist), code: "AWS.SimpleQueueService.NonExistentQueue"},
		{name: "empty batch", call: func(c client, std, _ string) error {
			return sendBatch(c, std, []types.SendMessageBatchRequestEntry{}...)
		},
			as: new(*types.EmptyBatchRequest), code: "AWS.SimpleQueueService.EmptyBatchRequest"},
		{name: "eleven entries", call: func(c client, std, _ string) error { return sendBatch(c, std, entries(11, "x")...) },
			as: new(*types.TooManyEntriesInBatchRequest), code: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{name: "bad entry ID", call: func(c client, std, _ string) error {
			return sendBatch(c, std, types.SendMessageBatchRequestEntry{Id: aws.String("a!"), MessageBody: aws.String("x")})
		}, as: new(*types.InvalidBatchEntryId), code: "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{name: "repeated entry ID", call: func(c client, std, _ string) error {
			e := types.SendMessageBatchRequestEntry{Id: aws.String("a"), MessageBody: aws.String("x")}
			return sendBatch(c, std, e, e)
		}, as: new(*types.BatchEntryIdsNotDistinct), code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{name: "batch over 1 MiB", call: func(c client, std, _ string) error {
			return sendBatch(c, std, entries(4, strings.Repeat("x", 300_000))...)
		}, as: new(*types.BatchRequestTooLong), code: "AWS.SimpleQueueService.BatchRequestTooLong"},
		{name: "MaxNumberOfMessages 11", call: func(c client, std, _ string) error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(std), MaxNumberOfMessages: 11})
			return err
		}, code: "InvalidParameterValue"},
		{name: "WaitTimeSeconds 21", call: func(c client, std, _ string) error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(std), WaitTimeSeconds: 21})
			return err
		}, code: "InvalidParameterValue"},
		{name: "ReceiveRequestAttemptId of 129 characters", call: func(c client, _, fifo string) error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fifo), ReceiveRequestAttemptId: aws.String(strings.Repeat("a", 129))})
			return err
		}, code: "InvalidParameterValue", fakeOnly: "moto 5.2.1 takes any ReceiveRequestAttemptId"},
		{name: "ReceiveRequestAttemptId with a space", call: func(c client, _, fifo string) error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fifo), ReceiveRequestAttemptId: aws.String("a b")})
			return err
		}, code: "InvalidParameterValue", fakeOnly: "moto 5.2.1 takes any ReceiveRequestAttemptId"},
		{name: "ReceiveRequestAttemptId with a non-ASCII letter", call: func(c client, _, fifo string) error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fifo), ReceiveRequestAttemptId: aws.String("é")})
			return err
		}, code: "InvalidParameterValue", fakeOnly: "moto 5.2.1 takes any ReceiveRequestAttemptId"},
		{name: "FIFO send without group", call: func(c client, _, fifo string) error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x")})
			return err
		}, code: "MissingParameter"},
		{name: "FIFO send without deduplication", call: func(c client, _, fifo string) error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
			return err
		}, code: "InvalidParameterValue"},
		{name: "delete with a made-up handle", call: func(c client, std, _ string) error {
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(std), ReceiptHandle: aws.String("made-up")})
			return err
		}, as: new(*types.ReceiptHandleIsInvalid), code: "ReceiptHandleIsInvalid"},
	}
}

// checkErrors runs the cases against c; against moto it skips the
// fakeOnly ones.
func checkErrors(t *testing.T, c client, std, fifo string, isMoto bool) {
	for _, tc := range sqsErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			if isMoto && tc.fakeOnly != "" {
				t.Skip(tc.fakeOnly)
			}
			err := tc.call(c, std, fifo)
			require.Error(t, err)
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.ErrorCode())
			assert.Equal(t, smithy.FaultClient, apiErr.ErrorFault())
			if tc.as != nil {
				assert.ErrorAs(t, err, tc.as, "errors.As with the SDK's type: got %T", apiErr)
			} else {
				assert.IsType(t, &smithy.GenericAPIError{}, apiErr, "the SDK has no struct for %s", tc.code)
			}
		})
	}
}

func TestErrorsFake(t *testing.T) {
	f := sqstest.New()
	checkErrors(t, f, f.CreateQueue("errors", sqstest.QueueOptions{}), f.CreateQueue("errors.fifo", sqstest.QueueOptions{}), false)
}

func TestErrorsMoto(t *testing.T) {
	c := sqs.NewFromConfig(moto.Config(t))
	std, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("kumo-errors")})
	require.NoError(t, err)
	fifo, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("kumo-errors.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	require.NoError(t, err)
	checkErrors(t, c, aws.ToString(std.QueueUrl), aws.ToString(fifo.QueueUrl), true)
}

// The batch-entry errors (failed entries of a 200 answer) carry SQS's
// codes; DeleteMessage and SendMessage turn them into the SDK's errors.
func TestEntryErrorsAndSingleCalls(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("entries", sqstest.QueueOptions{})
	out, err := f.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url),
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 99999}}})
	require.NoError(t, err)
	require.Len(t, out.Failed, 1)
	assert.Equal(t, "InvalidParameterValue", aws.ToString(out.Failed[0].Code))

	_, err = f.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("")})
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "MissingParameter", apiErr.ErrorCode())
	assert.Equal(t, 1, f.Calls("SendMessage"), "SendMessage counts as itself")
	assert.Zero(t, f.Calls("SendMessageBatch"))
	assert.Equal(t, []any{&sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("")}}, f.Log("SendMessage"))
}

// The fake takes every ReceiveRequestAttemptId SQS documents as valid:
// up to 128 of a-z, A-Z, 0-9 and ASCII punctuation.
func TestReceiveRequestAttemptIdAccepted(t *testing.T) {
	f := sqstest.New()
	fifo := f.CreateQueue("attempts.fifo", sqstest.QueueOptions{})
	punctuation := "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	for _, id := range []string{"a", strings.Repeat("Z", 128), punctuation, "0123456789abcdefABCDEF-42"} {
		t.Run(id, func(t *testing.T) {
			_, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fifo), ReceiveRequestAttemptId: aws.String(id)})
			assert.NoError(t, err)
		})
	}
}
