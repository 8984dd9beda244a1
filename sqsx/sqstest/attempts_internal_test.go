package sqstest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A FIFO receive's attempt, which could otherwise be replayed for 5
// minutes, is dropped once one of its messages is deleted: a replay could
// no longer be answered, and keeping it kept every message it took alive,
// so a long run of receives and deletes grew the heap without bound.
func TestAttemptDroppedOnDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := New()
	url := f.CreateQueue("a.fifo", QueueOptions{ContentBasedDeduplication: true})
	for i := range 100 {
		_, err := f.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageGroupId: aws.String("g" + strconv.Itoa(i%7)),
			MessageBody: aws.String("m" + strconv.Itoa(i))})
		require.NoError(t, err)
	}
	kept := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.queues[url].attempts)
	}
	for i := 0; f.Len(url) > 0; i++ {
		out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			ReceiveRequestAttemptId: aws.String("try-" + strconv.Itoa(i))})
		require.NoError(t, err)
		require.NotEmpty(t, out.Messages)
		assert.Equal(t, 1, kept(), "the attempt can be replayed until a message of it is deleted")
		in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url)}
		for j, m := range out.Messages {
			in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), ReceiptHandle: m.ReceiptHandle})
		}
		_, err = f.DeleteMessageBatch(ctx, in)
		require.NoError(t, err)
		assert.Equal(t, 0, kept())
	}
}
