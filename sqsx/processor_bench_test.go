package sqsx_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// API requests per message for send + receive + delete, counted by the
// fake. The baseline is the per-message SDK loop; compare in one run:
//
//	go test -run '^$' -bench 'RoundTrip' ./sqsx
func BenchmarkRoundTripPlain(b *testing.B) {
	ctx := context.Background()
	f := sqstest.New()
	url := f.CreateQueue("bench.fifo", sqstest.QueueOptions{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := f.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageGroupId: aws.String(fmt.Sprint("g", i%64)),
			MessageBody: aws.String(fmt.Sprint("m", i)), MessageDeduplicationId: aws.String(strconv.Itoa(i))})
		if err != nil {
			b.Fatal(err)
		}
		out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1})
		if err != nil || len(out.Messages) != 1 {
			b.Fatal(err, len(out.Messages))
		}
		if _, err := f.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.TotalCalls())/float64(b.N), "calls/msg")
}

// pipeline sends b.N messages (in 64 groups, 1,000 at a time whenever
// fewer than 1,000 wait, so the queue neither runs dry nor grows long) through a Sender and a Processor with a
// no-op or sleeping handler, and returns the fake.
func pipeline(b *testing.B, concurrency int, work time.Duration) *sqstest.Fake {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := sqstest.New()
	url := f.CreateQueue("bench.fifo", sqstest.QueueOptions{})
	s, err := sqsx.NewSender(f, url)
	if err != nil {
		b.Fatal(err)
	}
	var handled atomic.Int64
	p, err := sqsx.NewProcessor(f, url, func(context.Context, *sqsx.Message) error {
		if work > 0 {
			time.Sleep(work)
		}
		handled.Add(1)
		return nil
	}, func(o *sqsx.ProcessorOptions) {
		o.Concurrency = concurrency
		o.VisibilityTimeout = 30 * time.Second // saves the one GetQueueAttributes
		o.WaitTime = time.Second
	})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(1000, b.N-sent)
		if _, err := s.Send(ctx, benchMessages(sent, n)...); err != nil {
			b.Fatal(err)
		}
		sent += n
		for f.Len(url) > 1000 { // a steady state: the queue never runs dry
			time.Sleep(20 * time.Microsecond)
		}
	}
	for handled.Load() < int64(b.N) || f.Len(url) > 0 {
		time.Sleep(20 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	return f
}

func BenchmarkRoundTrip(b *testing.B) {
	f := pipeline(b, 16, 0)
	b.ReportMetric(float64(f.TotalCalls())/float64(b.N), "calls/msg")
	for op, n := range f.CallCounts() {
		b.ReportMetric(float64(n)/float64(b.N), op+"/msg")
	}
}

// Processor throughput on sqstest with a no-op handler and with a handler
// that waits 1 ms (as for I/O), by Concurrency, beside the baseline of a
// hand-written loop (receive 10, handle, DeleteMessageBatch) in one
// goroutine:
//
//	go test -run '^$' -bench 'ProcessorThroughput' ./sqsx
func BenchmarkProcessorThroughput(b *testing.B) {
	b.Run("baseline=receive-delete-loop", receiveDeleteLoop)
	for _, work := range []time.Duration{0, time.Millisecond} {
		for _, c := range []int{1, 4, 16, 64} {
			b.Run(fmt.Sprintf("work=%s/concurrency=%d", work, c), func(b *testing.B) {
				pipeline(b, c, work)
			})
		}
	}
}

func receiveDeleteLoop(b *testing.B) {
	ctx := context.Background()
	f := sqstest.New()
	url := f.CreateQueue("bench.fifo", sqstest.QueueOptions{})
	s, err := sqsx.NewSender(f, url)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(1000, b.N-sent)
		if _, err := s.Send(ctx, benchMessages(sent, n)...); err != nil {
			b.Fatal(err)
		}
		sent += n
		for f.Len(url) > 0 {
			out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
			if err != nil {
				b.Fatal(err)
			}
			in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url)}
			for i, m := range out.Messages {
				in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
			if len(in.Entries) > 0 {
				if _, err := f.DeleteMessageBatch(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// benchMessages are messages from..from+n-1 in 64 FIFO groups.
func benchMessages(from, n int) []sqsx.Message {
	msgs := make([]sqsx.Message, n)
	for i := range msgs {
		k := from + i
		msgs[i] = sqsx.Message{GroupID: fmt.Sprint("g", k%64), Body: fmt.Sprint("m", k), DeduplicationID: strconv.Itoa(k)}
	}
	return msgs
}
