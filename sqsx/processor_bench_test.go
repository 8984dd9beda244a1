package sqsx_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqsotel"
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
	return observedPipeline(b, concurrency, work, sqsx.Observer{})
}

// observedPipeline is pipeline with obs on the Sender and the Processor.
func observedPipeline(b *testing.B, concurrency int, work time.Duration, obs sqsx.Observer) *sqstest.Fake {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, url, s := benchQueue(b, obs)
	var handled atomic.Int64
	var slept atomic.Int64     // how long the handlers' sleeps really took
	all := make(chan struct{}) // closed once b.N are handled
	p, err := sqsx.NewProcessor(f, url, func(context.Context, *sqsx.Message) error {
		if work > 0 {
			t0 := time.Now()
			time.Sleep(work)
			slept.Add(int64(time.Since(t0)))
		}
		if handled.Add(1) == int64(b.N) {
			close(all)
		}
		return nil
	}, func(o *sqsx.ProcessorOptions) {
		o.Concurrency = concurrency
		o.VisibilityTimeout = 30 * time.Second // saves the one GetQueueAttributes
		o.WaitTime = time.Second
		o.Observer = obs
	})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	b.ResetTimer()
	cpu := cpuTime()
	for sent := 0; sent < b.N; {
		n := min(1000, b.N-sent)
		if _, err := s.Send(ctx, benchMessages(sent, n)...); err != nil {
			b.Fatal(err)
		}
		sent += n
		// A steady state: the queue never runs dry. The check takes the
		// fake's lock, which the Processor needs: every 20 µs it cost the
		// Processor 9% of the CPU with 1 ms handlers; 1,000 messages last
		// at least 10 ms.
		for f.Len(url) > 1000 {
			time.Sleep(250 * time.Microsecond)
		}
	}
	<-all
	for f.Len(url) > 0 { // the last deletes
		time.Sleep(20 * time.Microsecond)
	}
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if work > 0 {
		// A 1 ms sleep takes longer when the fake and the Sender keep
		// both cores busy; with this, Concurrency / ms-per-handling is
		// what the handlers themselves allowed.
		b.ReportMetric(float64(slept.Load())/float64(b.N)/1e6, "ms/handling")
	}
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
// that waits 1 ms (as for I/O), by Concurrency, beside three baselines in
// the same run: a hand-written loop (receive 10, handle, DeleteMessageBatch)
// in one goroutine; 64 goroutines that do nothing but wait 1 ms each in a
// loop, which is as fast as 1 ms handlers at Concurrency 64 can go on this
// machine's timers; and those 64 with the bare loop's work beside them for
// the messages they stand for, which is as fast as they can go while the
// process also does the fake SQS's work (its sleeps take longer):
//
//	go test -run '^$' -bench 'ProcessorThroughput' -benchtime 20000x -count 3 ./sqsx
func BenchmarkProcessorThroughput(b *testing.B) {
	b.Run("baseline=receive-delete-loop", receiveDeleteLoop)
	b.Run("baseline=64-goroutines-sleep-1ms", sleepers)
	b.Run("baseline=64-goroutines-sleep-1ms-beside-loop", sleepersBesideLoop)
	for _, work := range []time.Duration{0, time.Millisecond} {
		for _, c := range []int{1, 4, 16, 64} {
			b.Run(fmt.Sprintf("work=%s/concurrency=%d", work, c), func(b *testing.B) {
				pipeline(b, c, work)
			})
		}
	}
}

// The Observer's cost on the no-op pipeline of BenchmarkProcessorThroughput
// at Concurrency 16, beside its baseline in the same run: none (the zero
// Observer, every hook nil); funcs that do nothing (the cost of building
// the events); sqsotel over OpenTelemetry's no-op providers; and sqsotel
// over the OpenTelemetry SDK, every span sampled (and dropped at its end:
// no exporter) and metrics aggregated in a ManualReader:
//
//	go test -run '^$' -bench 'ProcessorObserver' -benchtime 20000x -count 3 ./sqsx
func BenchmarkProcessorObserver(b *testing.B) {
	b.Run("observer=none", func(b *testing.B) { observedPipeline(b, 16, 0, sqsx.Observer{}) })
	b.Run("observer=empty-funcs", func(b *testing.B) {
		observedPipeline(b, 16, 0, sqsx.Observer{
			Create: func(ctx context.Context, _ sqsx.CreateEvent) (context.Context, map[string]string) { return ctx, nil },
			Call:   func(context.Context, sqsx.CallEvent) {},
			Handle: func(ctx context.Context, _ sqsx.HandleEvent) (context.Context, func([]error)) { return ctx, nil },
		})
	})
	b.Run("observer=sqsotel-noop", func(b *testing.B) {
		obs, err := sqsotel.New(func(o *sqsotel.Options) {
			o.TracerProvider, o.MeterProvider = tracenoop.NewTracerProvider(), metricnoop.NewMeterProvider()
		})
		if err != nil {
			b.Fatal(err)
		}
		observedPipeline(b, 16, 0, obs)
	})
	b.Run("observer=sqsotel-sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		obs, err := sqsotel.New(func(o *sqsotel.Options) { o.TracerProvider, o.MeterProvider = tp, mp })
		if err != nil {
			b.Fatal(err)
		}
		observedPipeline(b, 16, 0, obs)
	})
}

// receiveDeleteLoop is the bare loop. It does what pipeline asks of the
// fake, so the fake's cost per message is the same on both sides: the same
// Sender and messages, the queue refilled by 1,000 whenever 1,000 or fewer
// remain, and receives that ask for every attribute, as the Processor's do
// (it needs the group ID and the receive count).
func receiveDeleteLoop(b *testing.B) {
	ctx := context.Background()
	f, url, s := benchQueue(b, sqsx.Observer{})
	b.ResetTimer()
	cpu := cpuTime()
	for sent := 0; sent < b.N || f.Len(url) > 0; {
		if n := min(1000, b.N-sent); n > 0 && f.Len(url) <= 1000 {
			if _, err := s.Send(ctx, benchMessages(sent, n)...); err != nil {
				b.Fatal(err)
			}
			sent += n
		}
		if err := receiveDelete(ctx, f, url); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// benchQueue is a FIFO queue on a new fake and a Sender to it with obs.
func benchQueue(b *testing.B, obs sqsx.Observer) (*sqstest.Fake, string, *sqsx.Sender) {
	f := sqstest.New()
	url := f.CreateQueue("bench.fifo", sqstest.QueueOptions{})
	s, err := sqsx.NewSender(f, url, func(o *sqsx.SenderOptions) { o.Observer = obs })
	if err != nil {
		b.Fatal(err)
	}
	return f, url, s
}

// receiveDelete is one round of the bare loop: a receive of up to 10
// that asks for every attribute, as the Processor's do (it needs the group
// ID and the receive count), and one DeleteMessageBatch of what came.
func receiveDelete(ctx context.Context, f *sqstest.Fake, url string) error {
	out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"}})
	if err != nil || len(out.Messages) == 0 {
		return err
	}
	in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url)}
	for i, m := range out.Messages {
		in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	_, err = f.DeleteMessageBatch(ctx, in)
	return err
}

// reportCPU reports the process's CPU time per message since start (every
// goroutine's, the garbage collector's too, user and system), as
// cpu-µs/msg: on a shared machine a steadier figure than the wall-clock
// rate. Where cpuTime is not known it reports nothing.
func reportCPU(b *testing.B, start time.Duration) {
	if end := cpuTime(); end > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N)/1e3, "cpu-µs/msg")
	}
}

// sleepers is the ceiling for 1 ms handlers at Concurrency 64: 64
// goroutines each waiting 1 ms in a loop, b.N waits in all, with no queue.
// time.Sleep(time.Millisecond) takes longer than 1 ms (timer slack, and
// the scheduler on a busy machine), so this is below the 64,000 a second
// that 1 ms would give.
func sleepers(b *testing.B) { sleepersBeside(b, false) }

// sleepersBesideLoop is sleepers with, beside them, the bare loop's work on
// sqstest for every 10 waits done (one receive of 10 and its delete, the
// queue refilled by a Sender as in receiveDeleteLoop): what 1 ms handlers
// at Concurrency 64 could reach if a Processor cost nothing beyond the
// bare loop, since the same CPU work slows the sleeps' timers.
func sleepersBesideLoop(b *testing.B) { sleepersBeside(b, true) }

func sleepersBeside(b *testing.B, loop bool) {
	var left, slept, waits atomic.Int64
	left.Store(int64(b.N))
	tens := make(chan struct{}, 1<<16) // a token per 10 waits done
	loopDone := make(chan struct{})
	if loop {
		ctx := context.Background()
		f, url, s := benchQueue(b, sqsx.Observer{})
		go func() {
			defer close(loopDone)
			sent := 0
			for range tens {
				if f.Len(url) <= 1000 {
					if _, err := s.Send(ctx, benchMessages(sent, 1000)...); err != nil {
						panic(err)
					}
					sent += 1000
				}
				if err := receiveDelete(ctx, f, url); err != nil {
					panic(err)
				}
			}
		}()
	} else {
		close(loopDone)
	}
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu := cpuTime()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				t0 := time.Now()
				time.Sleep(time.Millisecond)
				slept.Add(int64(time.Since(t0)))
				if loop && waits.Add(1)%10 == 0 {
					tens <- struct{}{}
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(tens)
	<-loopDone
	if loop {
		reportCPU(b, cpu)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(slept.Load())/float64(b.N)/1e6, "ms/handling")
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
