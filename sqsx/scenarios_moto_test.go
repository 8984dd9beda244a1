package sqsx_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/sqsx"
)

// failEntries fails chosen entries of one operation's batch calls before
// they reach moto (which cannot fail single entries): they are left out of
// the call and reported failed with InternalError, as SQS may answer.
type failEntries struct {
	sqsx.SQSAPI
	mu   sync.Mutex
	send map[string]int // SendMessageBatch entry ID -> failures left
	del  map[string]int // DeleteMessageBatch entry ID -> failures left
}

func (f *failEntries) take(left map[string]int, id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if left[id] > 0 {
		left[id]--
		return true
	}
	return false
}

func injected(id *string) types.BatchResultErrorEntry {
	return types.BatchResultErrorEntry{Id: id, Code: aws.String("InternalError"), Message: aws.String("injected")}
}

func (f *failEntries) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	keep, failed := *in, []types.BatchResultErrorEntry(nil)
	keep.Entries = nil
	for _, e := range in.Entries {
		if f.take(f.send, aws.ToString(e.Id)) {
			failed = append(failed, injected(e.Id))
		} else {
			keep.Entries = append(keep.Entries, e)
		}
	}
	out := &sqs.SendMessageBatchOutput{}
	if len(keep.Entries) > 0 {
		var err error
		if out, err = f.SQSAPI.SendMessageBatch(ctx, &keep); err != nil {
			return nil, err
		}
	}
	out.Failed = append(out.Failed, failed...)
	return out, nil
}

func (f *failEntries) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	keep, failed := *in, []types.BatchResultErrorEntry(nil)
	keep.Entries = nil
	for _, e := range in.Entries {
		if f.take(f.del, aws.ToString(e.Id)) {
			failed = append(failed, injected(e.Id))
		} else {
			keep.Entries = append(keep.Entries, e)
		}
	}
	out := &sqs.DeleteMessageBatchOutput{}
	if len(keep.Entries) > 0 {
		var err error
		if out, err = f.SQSAPI.DeleteMessageBatch(ctx, &keep); err != nil {
			return nil, err
		}
	}
	out.Failed = append(out.Failed, failed...)
	return out, nil
}

func serialMoto(t *testing.T) *sqs.Client {
	cfg := moto.SerialConfig(t)
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	return sqs.NewFromConfig(cfg)
}

func motoFIFO(t *testing.T, ctx context.Context, client *sqs.Client, prefix, visibility string) string {
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(prefix) + ".fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": visibility}})
	require.NoError(t, err)
	return aws.ToString(q.QueueUrl)
}

// receiveAll reads a FIFO queue on moto to its end, deleting as it goes.
func receiveAll(t *testing.T, ctx context.Context, client *sqs.Client, url string) []string {
	var got []string
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			got = append(got, aws.ToString(m.Body))
			_, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
}

// TestSenderFIFOEntryFailureMoto is TestSenderFIFOEntryFailureBeforeAcceptedEntries
// against moto (serial): the first of three messages of a group fails once.
func TestSenderFIFOEntryFailureMoto(t *testing.T) {
	ctx := testContext(t)
	client := serialMoto(t)
	steps := []sqsx.Message{
		{GroupID: "order-7", Body: "step 1", DeduplicationID: "1"},
		{GroupID: "order-7", Body: "step 2", DeduplicationID: "2"},
		{GroupID: "order-7", Body: "step 3", DeduplicationID: "3"},
	}
	for _, perGroup := range []int{1, 10} {
		t.Run(fmt.Sprint("MaxGroupEntries ", perGroup), func(t *testing.T) {
			url := motoFIFO(t, ctx, client, "steps-", "30")
			c := &failEntries{SQSAPI: client, send: map[string]int{"0": 1}}
			s, err := sqsx.NewSender(c, url, fast, func(o *sqsx.SenderOptions) { o.MaxGroupEntries = perGroup })
			require.NoError(t, err)
			res, err := s.Send(ctx, steps...)
			got := receiveAll(t, ctx, client, url)
			if perGroup == 1 {
				require.NoError(t, err)
				assert.Equal(t, []string{"step 1", "step 2", "step 3"}, got)
				return
			}
			assert.Equal(t, []string{"step 2", "step 3"}, got)
			assert.ErrorIs(t, res[1].Err, sqsx.ErrOutOfOrder)
			assert.ErrorIs(t, res[2].Err, sqsx.ErrOutOfOrder)
		})
	}
}

// TestProcessorRehandlingMoto is TestProcessorRehandlingAfterALaterMessage
// against moto (serial, 1 s visibility timeout): the delete of g:1 keeps
// failing while g:2's succeeds, so g:1 comes back and is handled again
// after g:2.
func TestProcessorRehandlingMoto(t *testing.T) {
	ctx := testContext(t)
	client := serialMoto(t)
	url := motoFIFO(t, ctx, client, "rehandle-", "1")
	s, err := sqsx.NewSender(client, url, func(o *sqsx.SenderOptions) { o.MaxGroupEntries = 10 })
	require.NoError(t, err)
	_, err = s.Send(ctx, sqsx.Message{GroupID: "g", Body: "g:1", DeduplicationID: "1"}, sqsx.Message{GroupID: "g", Body: "g:2", DeduplicationID: "2"})
	require.NoError(t, err)
	c := &failEntries{SQSAPI: client, del: map[string]int{"0": 5}} // every try of the first entry
	var mu sync.Mutex
	var order []string
	again := make(chan struct{})
	p, err := sqsx.NewProcessor(c, url, func(_ context.Context, m *sqsx.Message) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, m.Body)
		if len(order) == 3 {
			close(again)
		}
		return nil
	}, quick(&errorLog{}), func(o *sqsx.ProcessorOptions) { o.WaitTime = time.Second }) // a waiting poll holds the serial moto
	require.NoError(t, err)
	assert.NoError(t, runUntil(t, p, again))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"g:1", "g:2", "g:1"}, order)
}

// TestProcessorShutdownMoto measures how long Run takes to return after a
// cancel with default options (20 s long polls) on an idle moto queue.
func TestProcessorShutdownMoto(t *testing.T) {
	ctx := testContext(t)
	client := sqs.NewFromConfig(moto.Config(t)) // threaded: the abandoned poll holds one thread
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName("idle-"))})
	require.NoError(t, err)
	polling := make(chan struct{})
	c := &onPoll{SQSAPI: client, polling: polling}
	p, err := sqsx.NewProcessor(c, aws.ToString(q.QueueUrl), func(context.Context, *sqsx.Message) error { return nil }, quick(&errorLog{}))
	require.NoError(t, err)
	stop := start(t, p)
	<-polling
	began := time.Now()
	require.NoError(t, stop())
	t.Logf("Run returned %v after the cancel, default options, a 20 s poll under way", time.Since(began))
}

// onPoll closes polling when the first receive is sent.
type onPoll struct {
	sqsx.SQSAPI
	polling chan struct{}
	once    sync.Once
}

func (o *onPoll) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opt ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	o.once.Do(func() { close(o.polling) })
	return o.SQSAPI.ReceiveMessage(ctx, in, opt...)
}
