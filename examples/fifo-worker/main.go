// Command fifo-worker sends numbered messages to a FIFO queue and processes
// them in order with sqsx, with handler failures injected, then says
// whether every group came out in order and what it cost in API calls.
//
// Offline, on an in-process fake queue (send and consume in one run):
//
//	go run ./examples/fifo-worker -send 2000 -groups 20 -consume -fail-rate 0.2
//
// Against moto or AWS, in one run or two:
//
//	go run ./examples/fifo-worker -queue-url URL -endpoint http://127.0.0.1:5000 -send 500 -groups 5
//	go run ./examples/fifo-worker -queue-url URL -endpoint http://127.0.0.1:5000 -consume -concurrency 8 -for 30s -wait 1s
//
// (-wait 1s on moto: its FIFO long poll does not return a group that its
// deletes free while it waits, as SQS does, so 20 s polls crawl there.)
//
// With -offload-bucket B every body goes through S3 bucket B in the AWS
// extended client libraries' format (a pointer in SQS, the body in S3),
// and the consumer reads each body back and deletes its object once the
// message is deleted; offline, B is an in-process fake bucket.
//
// With -otel stdout, sqsx/sqsotel traces every message from its send to its
// handling and counts what was done: the spans and metrics are written to
// stdout as JSON, one object a line, by OpenTelemetry's stdout exporters,
// after the summary.
//
// The body of each message is "<group>:<seq>", seq counting from 0 in each
// group. The last line reads
//
//	processed=N groups=G in_order=true|false lost=L duplicates=D api_calls=A calls_per_message=X
//
// where lost counts the messages missing from each group's run of
// numbers, and duplicates the successful handlings of a message already
// handled.
//
// -region, -profile and -debug (the SDK's own warnings) work as in the other
// examples. -h prints the usage; a wrong command line prints it and exits
// 2; any other error exits 1 with one line on standard error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqsotel"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

type options struct {
	send, groups  int
	consume       bool
	concurrency   int
	failRate      float64
	seed          uint64
	runFor        time.Duration
	queueURL      string
	wait          time.Duration // the long poll; 0: sqsx's default, 20 s
	offloadBucket string        // bodies go through this S3 bucket
	s3            sqsx.S3API    // set by run when offloadBucket is
	otel          string        // "stdout": spans and metrics to out
	observer      sqsx.Observer // set by run from otel
	cli.AWSFlags                // -endpoint, -region, -profile, -debug
}

const synopsis = `fifo-worker [-send N] [-groups G] [-consume] [-concurrency C] [-fail-rate R] [-seed S] [-for D]
            [-queue-url URL] [-wait D] [-offload-bucket B] [-otel stdout] [-endpoint URL] [-region R] [-profile P] [-debug]

Sends numbered messages to a FIFO queue and processes them in order with
sqsx, with handler failures injected; the last line says whether every
group came out in order. Without -queue-url it runs on an in-process queue.`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain is main with its command line and output given; it registers
// the flags on flag.CommandLine.
func realMain(args []string, stdout, stderr io.Writer) int {
	o := options{AWSFlags: cli.AWSFlags{DefaultRegion: "us-east-1"}}
	flag.IntVar(&o.send, "send", 0, "send this many messages")
	flag.IntVar(&o.groups, "groups", 10, "across this many message groups")
	flag.BoolVar(&o.consume, "consume", false, "process the queue's messages")
	flag.IntVar(&o.concurrency, "concurrency", 10, "groups handled at once")
	flag.Float64Var(&o.failRate, "fail-rate", 0, "share of handler calls that fail (0 to 1; 1 needs -for)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the injected failures")
	flag.DurationVar(&o.runFor, "for", 0, "stop consuming after this long (default: once every sent message is handled, or the queue is empty)")
	flag.StringVar(&o.queueURL, "queue-url", "", "a FIFO queue URL (default: an in-process fake queue)")
	o.AWSFlags.Register(flag.CommandLine)
	flag.DurationVar(&o.wait, "wait", 0, "long poll, 1s to 20s (default 20s; use 1s on moto, whose FIFO long poll misses groups freed while it waits)")
	flag.StringVar(&o.offloadBucket, "offload-bucket", "", "send every body through this S3 bucket, as the AWS extended client libraries do (default: bodies in SQS)")
	flag.StringVar(&o.otel, "otel", "", "stdout: write OpenTelemetry spans and metrics to stdout (default: none)")
	fs := cli.Wrap(flag.CommandLine, "fifo-worker", synopsis)
	if err := fs.Parse(args); err != nil {
		return fs.Exit(err, stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return fs.Exit(run(ctx, stdout, o), stdout, stderr)
}

// counting counts the API calls the Sender makes.
type counting struct {
	sqsx.SQSAPI
	calls atomic.Int64
}

func (c *counting) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	c.calls.Add(1)
	return c.SQSAPI.SendMessageBatch(ctx, in, o...)
}

func (c *counting) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, o ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	c.calls.Add(1)
	return c.SQSAPI.GetQueueAttributes(ctx, in, o...)
}

func run(ctx context.Context, out io.Writer, o options) error {
	switch {
	case o.send < 0 || o.groups < 1 || o.groups > 10000:
		return cli.Usagef("-send %d -groups %d: send 0 or more messages across 1 to 10000 groups", o.send, o.groups)
	case !(o.failRate >= 0 && o.failRate <= 1):
		return cli.Usagef("-fail-rate %v: use a share from 0 to 1", o.failRate)
	case o.failRate == 1 && o.consume && o.runFor == 0:
		return cli.Usagef("-fail-rate 1 fails every handler call, so the queue never empties: give -for to end the run")
	case o.send == 0 && !o.consume:
		return cli.Usagef("nothing to do: give -send N, -consume, or both")
	case o.queueURL == "" && !o.consume:
		return cli.Usagef("the offline queue lives only as long as this run: add -consume, or give -queue-url")
	case o.queueURL != "" && !strings.HasSuffix(o.queueURL, ".fifo"):
		return cli.Usagef("-queue-url %s: a FIFO queue's URL ends in .fifo", o.queueURL)
	case o.otel != "" && o.otel != "stdout":
		return cli.Usagef("-otel %s: the one exporter is stdout", o.otel)
	// Found here, not by sqsx once messages have been sent.
	case o.consume && o.concurrency < 1:
		return cli.Usagef("-concurrency %d: handle 1 or more groups at once", o.concurrency)
	case o.wait != 0 && (o.wait < time.Second || o.wait > 20*time.Second || o.wait%time.Second != 0):
		return cli.Usagef("-wait %s: a long poll is 1s to 20s in whole seconds", o.wait)
	case o.runFor < 0:
		return cli.Usagef("-for %s: give a positive duration, or none to stop once the work is done", o.runFor)
	}
	if o.otel == "stdout" {
		out = &lockedWriter{w: out} // the exporters write from goroutines of their own
		obs, shutdown, err := stdoutTelemetry(out)
		if err != nil {
			return err
		}
		defer shutdown()
		o.observer = obs
	}
	client, url, err := queue(ctx, o)
	if err != nil {
		return err
	}
	if o.offloadBucket != "" {
		if o.s3, err = payloadStore(ctx, o); err != nil {
			return err
		}
	}
	c := &counting{SQSAPI: client}
	if o.send > 0 {
		if err := send(ctx, out, c, url, o); err != nil {
			return err
		}
	}
	if !o.consume {
		fmt.Fprintf(out, "api_calls=%d\n", c.calls.Load())
		return nil
	}
	return consume(ctx, out, c, url, o)
}

// queue returns the client and queue: a fresh fake, or the one given.
func queue(ctx context.Context, o options) (sqsx.SQSAPI, string, error) {
	if o.queueURL == "" {
		f := sqstest.New()
		return f, f.CreateQueue("fifo-worker.fifo", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second}), nil
	}
	cfg, err := awsConfig(ctx, o)
	if err != nil {
		return nil, "", err
	}
	return sqs.NewFromConfig(cfg), o.queueURL, nil
}

// awsConfig is the SDK config of the AWS flags; with -endpoint and no
// credentials it uses test ones, which emulators take.
func awsConfig(ctx context.Context, o options) (aws.Config, error) {
	cfg, err := o.AWSFlags.Config(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	if o.Endpoint != "" {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
		}
	}
	return cfg, nil
}

// payloadStore returns the S3 client for -offload-bucket: a fake bucket
// offline, else S3 at -endpoint (path-style, as emulators need) or AWS.
func payloadStore(ctx context.Context, o options) (sqsx.S3API, error) {
	if o.queueURL == "" {
		f := sqstest.NewS3()
		f.CreateBucket(o.offloadBucket)
		return f, nil
	}
	cfg, err := awsConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.UsePathStyle = o.Endpoint != "" // as emulators need
	}), nil
}

func groupName(i int) string { return fmt.Sprintf("g%02d", i) }

func send(ctx context.Context, out io.Writer, c sqsx.SQSAPI, url string, o options) error {
	s, err := sqsx.NewSender(c, url, func(so *sqsx.SenderOptions) {
		so.Observer = o.observer
		if o.s3 != nil {
			so.S3, so.OffloadBucket, so.AlwaysOffload = o.s3, o.offloadBucket, true
		}
	})
	if err != nil {
		return err
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36) // deduplication IDs unique to this run
	msgs := make([]sqsx.Message, o.send)
	for i := range msgs {
		g, seq := groupName(i%o.groups), i/o.groups
		msgs[i] = sqsx.Message{GroupID: g, Body: fmt.Sprintf("%s:%d", g, seq), DeduplicationID: fmt.Sprintf("%s-%d", run, i)}
	}
	start := time.Now()
	if _, err := s.Send(ctx, msgs...); err != nil {
		return err
	}
	fmt.Fprintf(out, "sent %d messages in %d groups in %s\n", o.send, min(o.send, o.groups), time.Since(start).Round(time.Millisecond))
	return nil
}

// empty reports whether the queue holds no message, visible or in flight.
func empty(ctx context.Context, c sqsx.SQSAPI, url string) bool {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return false
	}
	return out.Attributes["ApproximateNumberOfMessages"] == "0" && out.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
}

// tally follows what was handled.
type tally struct {
	mu        sync.Mutex
	next      map[string]int // each group's next expected seq
	seen      map[string]map[int]bool
	inOrder   bool
	processed int
	dups      int
	lastAt    time.Time
}

func (t *tally) record(m *sqsx.Message) error {
	g, s, ok := strings.Cut(m.Body, ":")
	seq, err := strconv.Atoi(s)
	if !ok || err != nil || seq < 0 {
		return fmt.Errorf("body %q is not <group>:<seq>", m.Body)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastAt = time.Now()
	if t.seen[g] == nil {
		t.seen[g] = map[int]bool{}
	}
	if t.seen[g][seq] {
		t.dups++
		return nil
	}
	t.seen[g][seq] = true
	t.processed++
	if seq != t.next[g] {
		t.inOrder = false
	}
	t.next[g] = max(t.next[g], seq+1)
	return nil
}

func consume(ctx context.Context, out io.Writer, c *counting, url string, o options) error {
	out = &lockedWriter{w: out}
	t := &tally{next: map[string]int{}, seen: map[string]map[int]bool{}, inOrder: true, lastAt: time.Now()}
	var rmu sync.Mutex
	rnd := rand.New(rand.NewPCG(o.seed, 0))
	var reports atomic.Int64
	p, err := sqsx.NewProcessor(c, url, func(_ context.Context, m *sqsx.Message) error {
		rmu.Lock()
		fail := rnd.Float64() < o.failRate
		rmu.Unlock()
		if fail {
			return errors.New("injected failure")
		}
		return t.record(m)
	}, func(po *sqsx.ProcessorOptions) {
		po.Concurrency = o.concurrency
		po.Observer = o.observer
		if o.s3 != nil {
			po.S3, po.DeletePayloads = o.s3, true
		}
		if o.wait > 0 {
			po.WaitTime = o.wait
		}
		po.OnError = func(err error) {
			var pe *sqsx.ProcessError
			if errors.As(err, &pe) && pe.Op == "Handler" {
				return // the injected failures
			}
			if reports.Add(1) <= 5 {
				fmt.Fprintln(out, "  note:", err)
			}
		}
	})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.runFor > 0 {
		runCtx, cancel = context.WithTimeout(ctx, o.runFor)
		defer cancel()
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- p.Run(runCtx) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var runErr error
wait:
	for {
		select {
		case runErr = <-done:
			break wait
		case <-tick.C:
			t.mu.Lock()
			finished := o.send > 0 && t.processed >= o.send
			quiet := o.send == 0 && o.runFor == 0 && time.Since(t.lastAt) > 2*time.Second
			t.mu.Unlock()
			if quiet {
				quiet = empty(ctx, c.SQSAPI, url) // asked of the queue, not counted as work
				t.mu.Lock()
				t.lastAt = time.Now()
				t.mu.Unlock()
			}
			if finished || quiet {
				cancel()
			}
		}
	}
	if runErr != nil {
		return runErr
	}
	st := p.Stats()
	t.mu.Lock()
	defer t.mu.Unlock()
	lost := 0
	groups := make([]string, 0, len(t.seen))
	for g, seqs := range t.seen {
		groups = append(groups, g)
		lost += t.next[g] - len(seqs) // numbers skipped within the group
	}
	if o.send > 0 && o.queueURL == "" {
		lost = o.send - t.processed // offline the whole run is known
	}
	sort.Strings(groups)
	calls := st.APICalls() + c.calls.Load()
	perMsg := 0.0
	if t.processed > 0 {
		perMsg = float64(calls) / float64(t.processed)
	}
	fmt.Fprintf(out, "handled in %s with concurrency %d: %d handler failures released and retried, %d deleted, %d released\n",
		t.lastAt.Sub(start).Round(time.Millisecond), o.concurrency, st.Failed, st.Deleted, st.Released)
	fmt.Fprintf(out, "processed=%d groups=%d in_order=%t lost=%d duplicates=%d api_calls=%d calls_per_message=%.3f\n",
		t.processed, len(groups), t.inOrder, lost, t.dups, calls, perMsg)
	return nil
}

// lockedWriter lets handlers, which run concurrently, write to one output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stdoutTelemetry returns an Observer whose spans and metrics go to w
// through OpenTelemetry's stdout exporters, and a func that flushes them.
func stdoutTelemetry(w io.Writer) (sqsx.Observer, func(), error) {
	te, err := stdouttrace.New(stdouttrace.WithWriter(w))
	if err != nil {
		return sqsx.Observer{}, nil, err
	}
	me, err := stdoutmetric.New(stdoutmetric.WithWriter(w))
	if err != nil {
		return sqsx.Observer{}, nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(te))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me)))
	shutdown := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx) // flushes the spans
		_ = mp.Shutdown(ctx) // and the metrics
	}
	obs, err := sqsotel.New(func(so *sqsotel.Options) { so.TracerProvider, so.MeterProvider = tp, mp })
	if err != nil {
		shutdown()
		return sqsx.Observer{}, nil, err
	}
	return obs, shutdown, nil
}
