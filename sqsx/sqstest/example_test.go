package sqstest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// A FIFO queue on a clock the test moves: a group is held while one of its
// messages is in flight, and comes back after the visibility timeout.
func Example() {
	ctx := context.Background()
	clk := sqstest.NewClock(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	q := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := q.CreateQueue("orders.fifo", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second, ContentBasedDeduplication: true})

	_, _ = q.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("1"), MessageGroupId: aws.String("customer-7"), MessageBody: aws.String("created")},
		{Id: aws.String("2"), MessageGroupId: aws.String("customer-7"), MessageBody: aws.String("paid")},
	}})
	recv := func() {
		out, _ := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1})
		for _, m := range out.Messages {
			fmt.Println("got", aws.ToString(m.Body))
		}
		if len(out.Messages) == 0 {
			fmt.Println("nothing: the group is held")
		}
	}
	recv()
	recv()
	clk.Advance(31 * time.Second)
	recv()
	// Output:
	// got created
	// nothing: the group is held
	// got created
}
