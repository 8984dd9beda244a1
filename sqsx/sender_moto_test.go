package sqsx_test

import (
	"context"
	"fmt"
	"os"
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

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

// TestSenderMoto sends 95 messages in 5 FIFO groups through moto and reads
// them back: every group in order, none lost.
func TestSenderMoto(t *testing.T) {
	ctx := context.Background()
	client := sqs.NewFromConfig(moto.Config(t))
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("send-%d.fifo", time.Now().UnixNano())),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
	require.NoError(t, err)
	url := aws.ToString(q.QueueUrl)

	s, err := sqsx.NewSender(client, url)
	require.NoError(t, err)
	msgs, want := fifoMessages(95, 5)
	for i := range msgs {
		msgs[i].DeduplicationID = "" // the queue deduplicates by content
	}
	res, err := s.Send(ctx, msgs...)
	require.NoError(t, err)
	for i, r := range res {
		assert.NotEmpty(t, r.MessageID, i) // moto leaves SequenceNumber out of batch results
	}

	var got []string
	for len(got) < len(msgs) {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err)
		require.NotEmpty(t, out.Messages, "after %d of %d", len(got), len(msgs))
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			got = append(got, aws.ToString(m.Body))
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		_, err = client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
		require.NoError(t, err)
	}
	assert.Equal(t, want, perGroup(got))
}
