package sqsx_test

import (
	"context"
	"net/http/httptrace"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// The tests here pin two behaviours of moto 5.2.1 that TestProcessorFaultsMoto
// has to allow for. Neither is the Processor's: both are about messages no
// Processor holds. If a moto upgrade changes them, these tests say so, and
// the soak's compensation (faultRun's settle) can be revisited.

// inFlight is moto's ApproximateNumberOfMessagesNotVisible: the messages
// whose visibility timeout has not run out.
func inFlight(t *testing.T, ctx context.Context, client *sqs.Client, url string) int {
	t.Helper()
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	require.NoError(t, err)
	n, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	require.NoError(t, err)
	return n
}

// waitVisible waits, bounded by ctx, until nothing is in flight: moto's
// visibility timeouts run on the wall clock.
func waitVisible(t *testing.T, ctx context.Context, client *sqs.Client, url string) {
	t.Helper()
	for inFlight(t, ctx, client, url) > 0 {
		select {
		case <-ctx.Done():
			t.Fatal("messages still in flight at the test's bound")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func sendGroup(t *testing.T, ctx context.Context, client sqstestOrMoto, url string, bodies ...string) {
	t.Helper()
	for i, b := range bodies {
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(strconv.Itoa(i))})
		require.NoError(t, err)
	}
}

type sqstestOrMoto interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(context.Context, *sqs.DeleteMessageInput, ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// receiveOneByOne receives one message at a time, deleting each, until
// the queue answers nothing.
func receiveOneByOne(t *testing.T, ctx context.Context, client sqstestOrMoto, url string) []string {
	t.Helper()
	var got []string
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return got
		}
		got = append(got, aws.ToString(out.Messages[0].Body))
		_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle})
		require.NoError(t, err)
	}
}

// TestMotoFIFOExpiryLastFirst pins moto's FIFO quirk: messages of one group
// received together and timed out together come back last-first. Its
// receive skips a visible message whose group still has a message in its
// pending set, and it drops each timed-out message from that set only as
// its scan reaches it, so only the last one is free to go. AWS keeps send
// order ("received and processed in the exact order they were
// transmitted", SQS Developer Guide, FIFO queue delivery logic), and so
// does sqstest. A release (visibility 0) of the same messages keeps the
// order on moto too, and so does a receive of the last one followed by its
// release: that is how the fault soak puts timed-out messages back in
// order before a Processor can see them.
func TestMotoFIFOExpiryLastFirst(t *testing.T) {
	ctx := testContext(t)
	client := serialMoto(t)
	receiveThree := func(t *testing.T, url string) []types.Message {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 1})
		require.NoError(t, err)
		require.Len(t, out.Messages, 3)
		return out.Messages
	}

	t.Run("timed out together: last first", func(t *testing.T) {
		url := motoFIFO(t, ctx, client, "lastfirst-", "30")
		sendGroup(t, ctx, client, url, "g:1", "g:2", "g:3")
		receiveThree(t, url)
		waitVisible(t, ctx, client, url)
		assert.Equal(t, []string{"g:3", "g:1", "g:2"}, receiveOneByOne(t, ctx, client, url))
	})
	t.Run("released together: in order", func(t *testing.T) {
		url := motoFIFO(t, ctx, client, "released-", "30")
		sendGroup(t, ctx, client, url, "g:1", "g:2", "g:3")
		ms := receiveThree(t, url)
		in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url)}
		for i, m := range ms {
			in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		_, err := client.ChangeMessageVisibilityBatch(ctx, in)
		require.NoError(t, err)
		assert.Equal(t, []string{"g:1", "g:2", "g:3"}, receiveOneByOne(t, ctx, client, url))
	})
	t.Run("timed out, then the one moto gives released: in order", func(t *testing.T) {
		url := motoFIFO(t, ctx, client, "settled-", "30")
		sendGroup(t, ctx, client, url, "g:1", "g:2", "g:3")
		receiveThree(t, url)
		waitVisible(t, ctx, client, url)
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		require.Len(t, out.Messages, 1, "moto frees the group for its last message alone")
		assert.Equal(t, "g:3", aws.ToString(out.Messages[0].Body))
		_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle})
		require.NoError(t, err)
		assert.Equal(t, []string{"g:1", "g:2", "g:3"}, receiveOneByOne(t, ctx, client, url))
	})
	t.Run("sqstest: timed out together, in order", func(t *testing.T) {
		clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
		f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
		url := f.CreateQueue("lastfirst.fifo", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
		sendGroup(t, ctx, f, url, "g:1", "g:2", "g:3")
		out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		require.Len(t, out.Messages, 3)
		clk.Advance(31 * time.Second)
		assert.Equal(t, []string{"g:1", "g:2", "g:3"}, receiveOneByOne(t, ctx, f, url))
	})
}

// TestMotoServesAbandonedReceive pins what the serial moto does with a
// receive whose caller hung up after sending it (as Run does with its
// long poll at a stop, and as a killed process does): it still serves it
// when its turn comes, and the messages it takes stay in flight for the
// visibility timeout with nobody holding them. AWS may do the same with a
// poll it was already serving; on the serial moto it happens to every
// request waiting behind another, a long poll for instance. Those orphans
// time out later and, on moto, come back last-first (above).
func TestMotoServesAbandonedReceive(t *testing.T) {
	ctx := testContext(t)
	client := serialMoto(t)
	busy := motoFIFO(t, ctx, client, "busy-", "30")
	url := motoFIFO(t, ctx, client, "abandoned-", "30")
	sendGroup(t, ctx, client, url, "g:1", "g:2", "g:3")

	// A long poll on an empty queue keeps the serial moto busy for a
	// second, if it comes first; if not, the receive below is served at
	// once, but no sooner than its caller hangs up: the outcome is the same.
	polled := make(chan error, 1)
	go func() {
		_, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(busy), WaitTimeSeconds: 1})
		polled <- err
	}()

	// A receive hung up on as soon as it is written.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { cancel() }})
	_, err := client.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10},
		func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, <-polled)

	// Served after both, in turn: the abandoned receive took all three.
	assert.Equal(t, 3, inFlight(t, ctx, client, url), "moto served the receive nobody waited for")
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	require.NoError(t, err)
	assert.Empty(t, out.Messages, "the group is held by the abandoned receive")
}

// TestMotoTakesStaleReceiptHandles pins a third moto difference: once a
// message has been received again, moto still takes its earlier receipt
// handle, for ChangeMessageVisibilityBatch and DeleteMessageBatch alike
// (it keeps every handle a message ever had). sqstest refuses the stale
// handle with ReceiptHandleIsInvalid, as the Processor expects from SQS.
// So on moto the Processor never reports ErrReceiptHandleExpired for a
// message that timed out and was received again: a fault run on moto
// reporting no expired handle does not show that none timed out.
func TestMotoTakesStaleReceiptHandles(t *testing.T) {
	ctx := testContext(t)
	client := serialMoto(t)
	url := motoFIFO(t, ctx, client, "stale-", "30")
	sendGroup(t, ctx, client, url, "g:1")
	receive := func(vis int32) string {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: vis})
		require.NoError(t, err)
		require.Len(t, out.Messages, 1)
		return aws.ToString(out.Messages[0].ReceiptHandle)
	}
	stale := receive(1)
	waitVisible(t, ctx, client, url)
	receive(30)

	vis, err := client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url),
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: aws.String(stale), VisibilityTimeout: 30}}})
	require.NoError(t, err)
	assert.Empty(t, vis.Failed, "moto takes the stale handle")
	del, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url),
		Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: aws.String(stale)}}})
	require.NoError(t, err)
	assert.Empty(t, del.Failed, "moto takes the stale handle")
	assert.Zero(t, inFlight(t, ctx, client, url), "and deletes the message with it")

	t.Run("sqstest refuses it", func(t *testing.T) {
		clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
		f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
		url := f.CreateQueue("stale.fifo", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
		sendGroup(t, ctx, f, url, "g:1")
		first, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		require.NoError(t, err)
		require.Len(t, first.Messages, 1)
		clk.Advance(31 * time.Second)
		again, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		require.NoError(t, err)
		require.Len(t, again.Messages, 1)
		del, err := f.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url),
			Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: first.Messages[0].ReceiptHandle}}})
		require.NoError(t, err)
		require.Len(t, del.Failed, 1)
		assert.Equal(t, "ReceiptHandleIsInvalid", aws.ToString(del.Failed[0].Code))
	})
}
