package sqsx_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// The baseline: one SendMessage per message, as hand-written senders do.
// Both report calls/msg; compare it with BenchmarkSender in the same run:
//
//	go test -run '^$' -bench 'Send' -benchmem ./sqsx
func BenchmarkSendMessagePlain(b *testing.B) {
	ctx := context.Background()
	q := sqstest.New()
	url := q.CreateQueue("bench.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageGroupId: aws.String(fmt.Sprint("g", i%8)), MessageBody: aws.String(fmt.Sprint("m", i))})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(q.TotalCalls())/float64(b.N), "calls/msg")
}

func BenchmarkSender(b *testing.B) {
	ctx := context.Background()
	q := sqstest.New()
	url := q.CreateQueue("bench.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	s, err := sqsx.NewSender(q, url)
	if err != nil {
		b.Fatal(err)
	}
	const burst = 100
	msgs := make([]sqsx.Message, burst)
	b.ResetTimer()
	for i := 0; i < b.N; i += burst {
		for j := range msgs {
			msgs[j] = sqsx.Message{GroupID: fmt.Sprint("g", (i+j)%8), Body: fmt.Sprint("m", i+j)}
		}
		if _, err := s.Send(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(q.TotalCalls())/float64(max(b.N, burst)), "calls/msg")
}
