package sqstest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

var ctx = context.Background()

// api is what the shared cases use, satisfied by the fake and *sqs.Client.
type api interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

func code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func send(t *testing.T, c api, url string, entries ...types.SendMessageBatchRequestEntry) *sqs.SendMessageBatchOutput {
	t.Helper()
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	require.NoError(t, err)
	return out
}

func entry(id, group, body string) types.SendMessageBatchRequestEntry {
	e := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	if group != "" {
		e.MessageGroupId = aws.String(group)
	}
	return e
}

func receive(t *testing.T, c api, url string, n int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: n,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	require.NoError(t, err)
	return out.Messages
}

func bodies(ms []types.Message) []string {
	var b []string
	for _, m := range ms {
		b = append(b, aws.ToString(m.Body))
	}
	return b
}

// shared runs behaviour both the fake and moto model, on a FIFO queue with
// content-based deduplication: group blocking, several messages of a group
// per receive, deduplication, receive counts and batch validation.
//
// exact is false for moto, which answers a duplicate with a new message ID,
// and an empty batch without SQS's error code.
func shared(t *testing.T, c api, fifoURL string, exact bool) {
	out := send(t, c, fifoURL, entry("a1", "A", "a1"), entry("a2", "A", "a2"), entry("b1", "B", "b1"), entry("a3", "A", "a3"))
	require.Len(t, out.Successful, 4)
	dup := send(t, c, fifoURL, entry("again", "A", "a1"))
	require.Len(t, dup.Successful, 1, "a duplicate within 5 minutes is accepted")
	if exact {
		assert.Equal(t, aws.ToString(out.Successful[0].MessageId), aws.ToString(dup.Successful[0].MessageId), "and answered with the first message's ID")
	}

	got := receive(t, c, fifoURL, 2)
	assert.Equal(t, []string{"a1", "a2"}, bodies(got), "several messages of one group, in order")
	got2 := receive(t, c, fifoURL, 10)
	assert.Equal(t, []string{"b1"}, bodies(got2), "group A is held while a1 and a2 are in flight")
	assert.Equal(t, "1", got[0].Attributes["ApproximateReceiveCount"])
	assert.Equal(t, "A", got[0].Attributes["MessageGroupId"])

	del := func(ms ...types.Message) *sqs.DeleteMessageBatchOutput {
		var es []types.DeleteMessageBatchRequestEntry
		for i, m := range ms {
			es = append(es, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("d", i)), ReceiptHandle: m.ReceiptHandle})
		}
		out, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(fifoURL), Entries: es})
		require.NoError(t, err)
		return out
	}
	require.Empty(t, del(got...).Failed)
	got3 := receive(t, c, fifoURL, 10)
	assert.Equal(t, []string{"a3"}, bodies(got3), "group A moves on once its messages are deleted")
	require.Empty(t, del(append(got2, got3...)...).Failed)

	_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(fifoURL)})
	if exact {
		assert.Equal(t, "AWS.SimpleQueueService.EmptyBatchRequest", code(err))
	}
	var eleven []types.SendMessageBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, entry(fmt.Sprint("e", i), "A", fmt.Sprint("x", i)))
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(fifoURL), Entries: eleven})
	assert.Equal(t, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", code(err))
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(fifoURL), Entries: []types.SendMessageBatchRequestEntry{entry("x", "A", "1"), entry("x", "A", "2")}})
	assert.Equal(t, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", code(err))
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(fifoURL), Entries: []types.SendMessageBatchRequestEntry{entry("bad id!", "A", "1")}})
	assert.Equal(t, "AWS.SimpleQueueService.InvalidBatchEntryId", code(err))
	// A FIFO message without a group is refused: as the entry's failure
	// (the fake) or the whole request's (moto).
	miss, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(fifoURL), Entries: []types.SendMessageBatchRequestEntry{entry("nogroup", "", "no group")}})
	if err != nil {
		assert.Equal(t, "MissingParameter", code(err))
	} else {
		require.Len(t, miss.Failed, 1)
		assert.Equal(t, "MissingParameter", aws.ToString(miss.Failed[0].Code))
	}
}

func TestSharedFake(t *testing.T) {
	f := sqstest.New()
	shared(t, f, f.CreateQueue("shared.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true}), true)
}

func TestSharedMoto(t *testing.T) {
	c := sqs.NewFromConfig(moto.Config(t))
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("kumo-%d.fifo", time.Now().UnixNano())),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
	require.NoError(t, err)
	shared(t, c, aws.ToString(q.QueueUrl), false)
}

func TestVisibilityReceiptsAndRedrive(t *testing.T) {
	clk := sqstest.NewClock(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	dlq := f.CreateQueue("jobs-dlq", sqstest.QueueOptions{})
	url := f.CreateQueue("jobs", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second, DeadLetterQueueURL: dlq, MaxReceiveCount: 2})
	send(t, f, url, entry("1", "", "job"))

	first := receive(t, f, url, 1)
	require.Len(t, first, 1)
	assert.Empty(t, receive(t, f, url, 1), "in flight")
	clk.Advance(31 * time.Second)
	second := receive(t, f, url, 1)
	require.Len(t, second, 1, "back after the visibility timeout")
	assert.Equal(t, "2", second[0].Attributes["ApproximateReceiveCount"])

	out, err := f.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url),
		Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("old"), ReceiptHandle: first[0].ReceiptHandle}}})
	require.NoError(t, err)
	require.Len(t, out.Failed, 1, "the first receipt handle went stale")
	assert.Equal(t, "ReceiptHandleIsInvalid", aws.ToString(out.Failed[0].Code))

	vis, err := f.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url),
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("v"), ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 0}}})
	require.NoError(t, err)
	require.Empty(t, vis.Failed)
	assert.Empty(t, receive(t, f, url, 1), "a third receive moves it to the dead-letter queue")
	assert.Equal(t, 0, f.Len(url))
	assert.Equal(t, []string{"job"}, bodies(receive(t, f, dlq, 1)))
}

func TestDedupWindowLongPollAndInjection(t *testing.T) {
	clk := sqstest.NewClock(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := f.CreateQueue("q.fifo", sqstest.QueueOptions{})
	e := entry("1", "G", "body")
	e.MessageDeduplicationId = aws.String("dedup-1")
	send(t, f, url, e)
	send(t, f, url, e)
	assert.Equal(t, 1, f.Len(url))
	clk.Advance(5*time.Minute + time.Second)
	send(t, f, url, e)
	assert.Equal(t, 2, f.Len(url), "after 5 minutes the same ID is a new message")
	noID := send(t, f, url, entry("2", "G", "x"))
	assert.Equal(t, "InvalidParameterValue", aws.ToString(noID.Failed[0].Code), "no deduplication without an ID or content-based deduplication")

	std := f.CreateQueue("std", sqstest.QueueOptions{})
	bound, cancel := context.WithTimeout(ctx, 30*time.Second) // the test's own bound; the poll asks for 20 s
	defer cancel()
	go func() {
		_, _ = f.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(std), Entries: []types.SendMessageBatchRequestEntry{entry("x", "", "late")}})
	}()
	out, err := f.ReceiveMessage(bound, &sqs.ReceiveMessageInput{QueueUrl: aws.String(std), WaitTimeSeconds: 20})
	require.NoError(t, err)
	assert.Equal(t, []string{"late"}, bodies(out.Messages), "a long poll returns a message sent while it waits (or before)")

	throttled := &smithy.GenericAPIError{Code: "ThrottlingException"}
	f.FailNext("ReceiveMessage", throttled)
	_, err = f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(std)})
	assert.ErrorIs(t, err, throttled)
	assert.Equal(t, 2, f.Calls("ReceiveMessage"))
	_, err = f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String("https://nope")})
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", code(err))
	_, err = f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(std), MaxNumberOfMessages: 11})
	assert.Equal(t, "InvalidParameterValue", code(err))

	faulty := sqstest.New(func(o *sqstest.Options) {
		o.EntryFault = func(op, id string) *types.BatchResultErrorEntry {
			if op == "SendMessageBatch" && strings.HasPrefix(id, "bad") {
				return &types.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String("InternalError"), SenderFault: false}
			}
			return nil
		}
	})
	u := faulty.CreateQueue("q", sqstest.QueueOptions{})
	res := send(t, faulty, u, entry("ok", "", "1"), entry("bad1", "", "2"))
	assert.Len(t, res.Successful, 1)
	assert.Equal(t, "InternalError", aws.ToString(res.Failed[0].Code))
}

func TestStandardOrderIsShuffledBySeed(t *testing.T) {
	order := func(seed uint64) []string {
		f := sqstest.New(func(o *sqstest.Options) { o.Seed = seed })
		url := f.CreateQueue("std", sqstest.QueueOptions{})
		var es []types.SendMessageBatchRequestEntry
		for i := range 10 {
			es = append(es, entry(fmt.Sprint(i), "", fmt.Sprint(i)))
		}
		send(t, f, url, es...)
		return bodies(receive(t, f, url, 10))
	}
	a, b := order(1), order(1)
	assert.Equal(t, a, b, "the same seed, the same order")
	sorted := append([]string(nil), a...)
	sort.Strings(sorted)
	assert.NotEqual(t, sorted, a, "standard queues do not keep order")
}

func TestReceiveRequestAttemptID(t *testing.T) {
	clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := f.CreateQueue("a.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	send(t, f, url, entry("1", "g", "a"), entry("2", "g", "b"), entry("3", "h", "c"))
	recv := func(attempt string) ([]types.Message, error) {
		out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 2,
			ReceiveRequestAttemptId: aws.String(attempt), MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
		if err != nil {
			return nil, err
		}
		return out.Messages, nil
	}
	lost := errors.New("connection reset")
	f.LoseNext("ReceiveMessage", lost)
	_, err := recv("try-1")
	require.ErrorIs(t, err, lost)

	// The retry with the same ID gets the same messages and handles.
	clk.Advance(20 * time.Second)
	again, err := recv("try-1")
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, bodies(again))
	assert.Equal(t, "1", again[0].Attributes["ApproximateReceiveCount"], "a replay is not a new receive")
	// and restarts their visibility timeout: 20 s later they are still held.
	clk.Advance(20 * time.Second)
	next, err := recv("try-2")
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, bodies(next))

	// Once a message is deleted, the ID no longer replays.
	_, err = f.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: again[0].ReceiptHandle}}})
	require.NoError(t, err)
	clk.Advance(31 * time.Second)
	fresh, err := recv("try-1")
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, bodies(fresh))
	assert.Equal(t, "2", fresh[0].Attributes["ApproximateReceiveCount"])
}

func TestLoseNextAndRepeatedDelete(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("q", sqstest.QueueOptions{})
	send(t, f, url, entry("1", "", "a"))
	m := receive(t, f, url, 1)
	require.Len(t, m, 1)
	del := func() (*sqs.DeleteMessageBatchOutput, error) {
		return f.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
			{Id: aws.String("x"), ReceiptHandle: m[0].ReceiptHandle}}})
	}
	lost := errors.New("EOF")
	f.LoseNext("DeleteMessageBatch", lost)
	_, err := del()
	require.ErrorIs(t, err, lost)
	assert.Zero(t, f.Len(url), "the lost call deleted")
	// Deleting again with the same handle succeeds, as it does on SQS.
	out, err := del()
	require.NoError(t, err)
	assert.Len(t, out.Successful, 1)
	assert.Empty(t, out.Failed)
	assert.Equal(t, 2, f.Calls("DeleteMessageBatch"))
}

// TestFIFOReceivePrefersOneGroup: SQS "tries to return as many messages
// with the same message group ID as possible"; so does the fake, taking
// groups by their oldest message. (moto 5.2.1 returns queue order: a1 b1
// a2 c1.)
func TestFIFOReceivePrefersOneGroup(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("pref.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	send(t, f, url, entry("0", "a", "a1"), entry("1", "b", "b1"), entry("2", "a", "a2"), entry("3", "c", "c1"), entry("4", "b", "b2"), entry("5", "a", "a3"))
	assert.Equal(t, []string{"a1", "a2", "a3", "b1"}, bodies(receive(t, f, url, 4)))
	assert.Equal(t, []string{"c1"}, bodies(receive(t, f, url, 4)), "a and b are in flight")
}

// Deleted messages leave the queue's list lazily (from the front at once,
// elsewhere in bulk); Len and FIFO order must not notice.
func TestDeletesInTheMiddleKeepOrder(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("lazy.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	for i := 0; i < 200; i += 10 {
		var es []types.SendMessageBatchRequestEntry
		for k := i; k < i+10; k++ {
			es = append(es, entry(fmt.Sprint(k), []string{"a", "b"}[k%2], fmt.Sprint(k)))
		}
		send(t, f, url, es...)
	}
	del := func(ms ...types.Message) {
		var es []types.DeleteMessageBatchRequestEntry
		for i, m := range ms {
			es = append(es, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		_, err := f.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
		require.NoError(t, err)
	}
	first := receive(t, f, url, 1)
	require.Equal(t, []string{"0"}, bodies(first))
	del(first...)
	held := receive(t, f, url, 1) // b's first, held in flight: the rest of a goes
	require.Equal(t, []string{"1"}, bodies(held))
	var got []string
	for len(got) < 99 { // a's, every other place of the list, behind b's first
		ms := receive(t, f, url, 10)
		require.NotEmpty(t, ms)
		got = append(got, bodies(ms)...)
		del(ms...)
		require.Equal(t, 199-len(got), f.Len(url))
	}
	for i, body := range got {
		require.Equal(t, fmt.Sprint(2*i+2), body)
	}
	del(held...)
	got = nil
	for len(got) < 99 {
		ms := receive(t, f, url, 10)
		require.NotEmpty(t, ms)
		got = append(got, bodies(ms)...)
		del(ms...)
		require.Equal(t, 99-len(got), f.Len(url))
	}
	for i, body := range got {
		require.Equal(t, fmt.Sprint(2*i+3), body)
	}
}

// A FIFO receive takes groups by their oldest message, skips held ones and
// fills up with the next group's messages, each group in order.
func TestFIFOReceiveTakesGroupsByTheirOldestMessage(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("order.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	// c:0 a:1 b:2 c:3 a:4 b:5 c:6 a:7 b:8
	var es []types.SendMessageBatchRequestEntry
	for k := range 9 {
		g := []string{"c", "a", "b"}[k%3]
		es = append(es, entry(fmt.Sprint(k), g, fmt.Sprint(g, ":", k)))
	}
	send(t, f, url, es...)
	require.Equal(t, []string{"c:0"}, bodies(receive(t, f, url, 1)), "c is held from here on")
	assert.Equal(t, []string{"a:1", "a:4", "a:7", "b:2", "b:5"}, bodies(receive(t, f, url, 5)))
	assert.Empty(t, receive(t, f, url, 10), "every group is held")
}
