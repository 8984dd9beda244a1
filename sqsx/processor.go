package sqsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kumo-go/kumo/internal/opts"
)

// BatchHandler handles one run of messages at once. On a FIFO queue a run
// is the consecutive messages of one group from one receive, in order; on
// a standard queue it is the whole receive. It returns nil when every
// message is done, or one error per message, nil for each one done.
//
// On a FIFO queue everything from the first failure on is released and
// comes back, so a BatchHandler should stop at its first failure.
type BatchHandler func(ctx context.Context, msgs []*Message) []error

// maxPollers bounds ProcessorOptions.Pollers: Run starts a goroutine for
// each, before it looks at its ctx again.
const maxPollers = 100

// ProcessorOptions adjust a Processor. The zero value of each option means
// its default.
type ProcessorOptions struct {
	// Concurrency is how many runs are handled at once: FIFO groups, or a
	// standard queue's messages; 1 or more, default 10.
	Concurrency int
	// Pollers is how many receive loops run; 1 to 100, default 1. Each
	// receives again once every run of its last receive has started, so
	// a receive's messages can wait (hidden, kept so by the heartbeat) for
	// a run of an earlier one to end.
	Pollers int
	// WaitTime is the long poll, 1 s to 20 s in whole seconds; default 20 s.
	WaitTime time.Duration
	// MaxMessages is how many messages one receive asks for, 1 to 10;
	// default 10.
	MaxMessages int
	// VisibilityTimeout is asked for on each receive, whole seconds; by
	// default the queue's, read once when Run starts.
	VisibilityTimeout time.Duration
	// HeartbeatFraction: once a receive's messages have been held this
	// fraction of the visibility timeout, the Processor extends the
	// visibility of every message it still holds from that receive, and
	// again each time, up to SQS's 12 hours from the receive. Default 0.5.
	HeartbeatFraction float64
	// RetryBackoff gives the visibility timeout of a failed message (and
	// of the later messages of its FIFO group) from its receive count;
	// by default 0: it comes back at once.
	RetryBackoff func(receiveCount int) time.Duration
	// MaxReceiveCount, when above 0, hands a message received more times
	// than this to DeadLetter instead of the handler; if DeadLetter
	// returns nil the message is deleted. See the package doc for how this
	// meets the queue's own redrive policy and FIFO order. Each needs the
	// other.
	MaxReceiveCount int
	DeadLetter      Handler
	// ShutdownTimeout bounds the drain after Run's ctx ends; default 30 s.
	// When it runs out, handlers' ctx ends and every SQS call under way
	// is cut off; Run returns once those calls have returned (promptly,
	// with a client that honours its ctx, as the SDK's does) and reports
	// what they left undone: see [ErrShutdownTimeout].
	ShutdownTimeout time.Duration
	// S3 reads the bodies of messages offloaded to S3 in the AWS extended
	// client libraries' format (see [S3Pointer]) before the handler sees
	// them, at most MaxPayloadBytes each (default DefaultMaxPayloadBytes,
	// 64 MiB; a larger object is refused unread). Without S3 such a message
	// fails with ErrPayload instead of reaching the handler with its
	// pointer body, as does one whose object is missing or does not match
	// its declared size: it is reported through OnError (Op "GetObject"),
	// released and not deleted. DeletePayloads deletes each object once
	// its message is deleted after a successful handling (not after
	// DeadLetter, whose handler may park the pointer), and only while the
	// message's visibility surely lasts: SQS answers a delete with a
	// receipt handle that is no longer current with success but keeps
	// the message, so past that (a heartbeat failed, SQS's 12 hours ran
	// out) the object stays and OnError reports ErrReceiptHandleExpired
	// (Op "DeleteObject"). DeletePayloads and
	// MaxPayloadBytes are refused without S3. Memory: each message being
	// handled holds its body, at most MaxPayloadBytes.
	S3              S3API
	MaxPayloadBytes int64
	DeletePayloads  bool
	// FinishPollOnShutdown lets a long poll under way when Run's ctx ends
	// run to its end (up to WaitTime, within ShutdownTimeout) instead of
	// abandoning it; what it brings is released at once. By default the
	// poll is abandoned, so Run returns within moments of the cancel plus
	// the time running handlers need. The trade-off: SQS does not notice a
	// client that hangs up, so a message arriving while the abandoned poll
	// would still have waited can be taken for it and stay hidden for one
	// visibility timeout (on a FIFO queue, holding its group that long).
	// Nothing is lost either way.
	FinishPollOnShutdown bool
	// Clock is the time source of heartbeats, retry backoff and the
	// 12-hour limit; default the system clock. See [Clock].
	Clock Clock
	// OnError hears of everything that did not go to plan: failed handlers
	// and calls, receipt handles that expired (ErrReceiptHandleExpired:
	// the message will be handled again), and deletes and releases that
	// ShutdownTimeout cut off (ErrShutdownTimeout). Errors are
	// *ProcessError. The default logs them with log/slog at Warn level. It
	// must be safe for concurrent use.
	OnError func(error)
	// Observer hears of every call, received message and handling, with
	// timings; a handler's ctx is the one Observer.Handle returns. The zero
	// Observer hears nothing. See package sqsotel for OpenTelemetry.
	Observer Observer
}

// ProcessError is what a Processor reports through OnError.
type ProcessError struct {
	// Op is the SQS operation, "Handler", "DeadLetter", or "Observer"
	// for a panic in an Observer func.
	Op string
	// MessageID is empty for an error of a whole call.
	MessageID string
	Err       error
}

// Error names the step, the message and the cause.
func (e *ProcessError) Error() string {
	if e.MessageID == "" {
		return fmt.Sprintf("sqsx: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("sqsx: %s, message %s: %v", e.Op, e.MessageID, e.Err)
}

// Unwrap returns the cause.
func (e *ProcessError) Unwrap() error { return e.Err }

var (
	// ErrReceiptHandleExpired is reported through OnError when SQS no
	// longer takes a message's receipt handle: its visibility timeout ran
	// out, so it will be (or has been) received and handled again.
	ErrReceiptHandleExpired = errors.New("sqsx: receipt handle expired; the message will be handled again")
	// ErrShutdownTimeout is returned by Run when ShutdownTimeout ran out
	// before the drain was done: a handler was still running, or a delete
	// or release was under way or not yet made. Each message whose delete
	// or release was cut off is reported through OnError (a *ProcessError
	// whose Err wraps ErrShutdownTimeout) and counted in Stats.Abandoned;
	// unless SQS acted on a call cut off under way, it comes back after
	// its visibility timeout and is handled again. Run does not wait for
	// a handler still running then; its message is reported the same way
	// when it returns, which may be after Run has.
	ErrShutdownTimeout = errors.New("sqsx: ShutdownTimeout ran out before the drain was done")
)

// Stats counts what a Processor did since it was made, over every Run.
type Stats struct {
	// Received counts messages ReceiveMessage returned (a replay of a
	// FIFO receive after a lost answer counts once).
	Received int64
	// Handled counts messages whose handler returned nil.
	Handled int64
	// Failed counts handler (and DeadLetter) failures, panics included.
	Failed int64
	// Deleted counts messages SQS confirmed deleted.
	Deleted int64
	// Released counts messages SQS confirmed made visible again by the
	// Processor: after a failure (with the rest of their FIFO run), or
	// unstarted at shutdown.
	Released int64
	// Abandoned counts messages whose delete or release ShutdownTimeout
	// cut off: the call was under way, its answer never came (SQS may
	// have acted on it), or it was not made. Each is reported with
	// ErrShutdownTimeout. Unless SQS acted, an abandoned message comes
	// back after its visibility timeout.
	Abandoned int64
	// DeadLettered counts messages DeadLetter took (returned nil for).
	DeadLettered int64
	// Extended counts visibility extensions by heartbeats, one per
	// message per heartbeat.
	Extended int64
	// Calls counts API calls by operation name ("ReceiveMessage",
	// "DeleteMessageBatch", ...), failed calls included.
	Calls map[string]int64
}

// APICalls is the number of calls of every operation together.
func (s Stats) APICalls() int64 {
	var n int64
	for _, c := range s.Calls {
		n += c
	}
	return n
}

// Processor receives messages and hands them to a handler, keeping each
// FIFO group in order: see [NewProcessor] and [Processor.Run]. It keeps no
// state outside SQS, so running more workers (or more Processors on the
// same queue) scales out.
type Processor struct {
	client SQSAPI
	url    string
	fifo   bool
	one    Handler
	batch  BatchHandler
	opts   ProcessorOptions

	running atomic.Bool
	stats   struct {
		received, handled, failed, deleted, released, abandoned, deadLettered, extended atomic.Int64
		mu                                                                              sync.Mutex
		calls                                                                           map[string]int64
	}
}

// NewProcessor returns a Processor that hands each message to h. On a FIFO
// queue (a URL ending in ".fifo") each group's messages are handled one at
// a time in order, groups in parallel; on a standard queue, messages in
// parallel.
func NewProcessor(client SQSAPI, queueURL string, h Handler, optFns ...func(*ProcessorOptions)) (*Processor, error) {
	if h == nil {
		return nil, errors.New("sqsx: NewProcessor needs a handler")
	}
	return newProcessor(client, queueURL, h, nil, optFns)
}

// NewBatchProcessor is NewProcessor for a handler that takes a run of
// messages at once: one FIFO group's messages from a receive, or a whole
// receive from a standard queue.
func NewBatchProcessor(client SQSAPI, queueURL string, h BatchHandler, optFns ...func(*ProcessorOptions)) (*Processor, error) {
	if h == nil {
		return nil, errors.New("sqsx: NewBatchProcessor needs a handler")
	}
	return newProcessor(client, queueURL, nil, h, optFns)
}

func newProcessor(client SQSAPI, url string, one Handler, batch BatchHandler, optFns []func(*ProcessorOptions)) (*Processor, error) {
	var o ProcessorOptions
	opts.Apply(&o, optFns)
	setDefault(&o.Concurrency, 10)
	setDefault(&o.Pollers, 1)
	setDefault(&o.WaitTime, maxWait)
	setDefault(&o.MaxMessages, 10)
	setDefault(&o.HeartbeatFraction, 0.5)
	setDefault(&o.ShutdownTimeout, 30*time.Second)
	setDefault(&o.MaxPayloadBytes, DefaultMaxPayloadBytes)
	switch {
	case client == nil || url == "":
		return nil, errors.New("sqsx: a Processor needs a client and a queue URL")
	case o.Concurrency < 1:
		return nil, fmt.Errorf("sqsx: Concurrency %d: use 1 or more (0 for 10)", o.Concurrency)
	case o.Pollers < 1 || o.Pollers > maxPollers:
		return nil, fmt.Errorf("sqsx: Pollers %d: use 1 to %d (0 for 1)", o.Pollers, maxPollers)
	case o.WaitTime < time.Second || o.WaitTime > maxWait || o.WaitTime%time.Second != 0:
		return nil, fmt.Errorf("sqsx: WaitTime %s: use whole seconds from 1s to 20s (0 for 20s)", o.WaitTime)
	case o.MaxMessages < 1 || o.MaxMessages > maxBatchEntries:
		return nil, fmt.Errorf("sqsx: MaxMessages %d: use 1 to 10 (0 for 10)", o.MaxMessages)
	case o.VisibilityTimeout < 0 || o.VisibilityTimeout > maxVisibility || o.VisibilityTimeout%time.Second != 0:
		return nil, fmt.Errorf("sqsx: VisibilityTimeout %s: use whole seconds up to 12h (0 for the queue's)", o.VisibilityTimeout)
	case !(o.HeartbeatFraction > 0 && o.HeartbeatFraction < 1):
		return nil, fmt.Errorf("sqsx: HeartbeatFraction %v: use a fraction between 0 and 1, exclusive (0 for 0.5)", o.HeartbeatFraction)
	case o.MaxReceiveCount < 0:
		return nil, fmt.Errorf("sqsx: MaxReceiveCount %d: use 1 or more, or 0 for none", o.MaxReceiveCount)
	case o.MaxReceiveCount > 0 && o.DeadLetter == nil:
		return nil, errors.New("sqsx: MaxReceiveCount needs a DeadLetter handler")
	case o.ShutdownTimeout < 0:
		return nil, fmt.Errorf("sqsx: ShutdownTimeout %s: use a positive duration (0 for 30s)", o.ShutdownTimeout)
	case o.MaxPayloadBytes < 0:
		return nil, fmt.Errorf("sqsx: MaxPayloadBytes %d: use a positive size (0 for %d)", o.MaxPayloadBytes, DefaultMaxPayloadBytes)
	case (o.DeletePayloads || o.MaxPayloadBytes != DefaultMaxPayloadBytes) && o.S3 == nil:
		return nil, errors.New("sqsx: DeletePayloads and MaxPayloadBytes need an S3 client (ProcessorOptions.S3)")
	case o.DeadLetter != nil && o.MaxReceiveCount == 0:
		return nil, errors.New("sqsx: DeadLetter needs a MaxReceiveCount (it takes messages received more times than that)")
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.OnError == nil {
		o.OnError = func(err error) { slog.Default().Warn("sqsx processor", "err", err) }
	}
	onError := o.OnError
	o.Observer = o.Observer.recovering(func(err error) { onError(&ProcessError{Op: "Observer", Err: err}) })
	p := &Processor{client: client, url: url, fifo: strings.HasSuffix(url, ".fifo"), one: one, batch: batch, opts: o}
	p.stats.calls = map[string]int64{}
	return p, nil
}

// Stats returns the counts so far.
func (p *Processor) Stats() Stats {
	s := &p.stats
	s.mu.Lock()
	calls := make(map[string]int64, len(s.calls))
	for k, v := range s.calls {
		calls[k] = v
	}
	s.mu.Unlock()
	return Stats{Received: s.received.Load(), Handled: s.handled.Load(), Failed: s.failed.Load(), Deleted: s.deleted.Load(),
		Released: s.released.Load(), Abandoned: s.abandoned.Load(), DeadLettered: s.deadLettered.Load(), Extended: s.extended.Load(), Calls: calls}
}

func (p *Processor) count(op string) {
	p.stats.mu.Lock()
	p.stats.calls[op]++
	p.stats.mu.Unlock()
}

func (p *Processor) report(op, id string, err error) {
	p.opts.OnError(&ProcessError{Op: op, MessageID: id, Err: err})
}

// session is the state of one Run.
type session struct {
	p   *Processor
	vt  time.Duration
	sem chan struct{} // a slot per run being handled
	// jobs hands runs to the run workers, of which workers were started;
	// Run closes it once its pollers have stopped.
	jobs    chan runJob
	workers atomic.Int64
	// handlerCtx is what handlers get, apiCtx is for SQS calls: not ended
	// by Run's ctx, only when ShutdownTimeout runs out (apiCtx with
	// ErrShutdownTimeout as its cause). beatCtx, for heartbeats, also ends
	// once the drain is done.
	handlerCtx, apiCtx, beatCtx context.Context
	stopping                    <-chan struct{} // closed when no new work may start
	runs                        sync.WaitGroup
	active                      atomic.Int64 // runs received and not yet handed to the deleter
	del                         *deleter
	// calls counts deletes and releases under way, beats heartbeats'
	// calls: Run waits for both before it returns.
	calls, beats *inflight
	cut          atomic.Bool // a delete, release or extension was cut off: Run returns ErrShutdownTimeout

	mu     sync.Mutex
	groups map[string]chan struct{} // the done channel of each FIFO group's last run
}

// Run receives and handles messages until ctx ends, then drains: it stops
// receiving (abandoning a long poll under way, or with
// FinishPollOnShutdown letting it finish and releasing what it brings at
// once; see the package doc's Shutdown section), lets running handlers finish
// their current message, deletes what was handled and releases, with
// visibility 0, every message received but not started. It returns nil
// after a clean drain; ErrShutdownTimeout if ShutdownTimeout ran out first
// (each message left without its delete or release is reported through
// OnError); or the error that stopped it (a queue that does not exist,
// access denied). Errors on the way are retried and reported through
// OnError. When Run returns, its SQS calls have returned and been counted
// and reported; only a handler still running when ShutdownTimeout ran out
// can report after that. A ctx that ends before the first receive makes
// Run return nil. Run may be called again once it has returned; a call
// while it runs returns an error at once.
//
// A message whose handler returns nil is deleted; one whose handler fails
// is released, with the later messages of its FIFO group from the same
// receive, in one ChangeMessageVisibilityBatch, so they come back in
// order. Other groups go on.
func (p *Processor) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("sqsx: Run is already running on this Processor")
	}
	defer p.running.Store(false)

	apiCtx, apiCancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer apiCancel(nil)
	beatCtx, beatCancel := context.WithCancel(apiCtx)
	defer beatCancel()
	handlerCtx, handlerCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer handlerCancel()
	work, stopWork := context.WithCancelCause(ctx)
	defer stopWork(nil)

	s := &session{p: p, vt: p.opts.VisibilityTimeout, sem: make(chan struct{}, p.opts.Concurrency), jobs: make(chan runJob),
		handlerCtx: handlerCtx, apiCtx: apiCtx, beatCtx: beatCtx, stopping: work.Done(), groups: map[string]chan struct{}{},
		calls: newInflight(), beats: newInflight()}
	if s.vt == 0 {
		vt, err := p.queueVisibility(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped before receiving: nothing to drain
			}
			return err
		}
		s.vt = vt
	}
	s.del = newDeleter(s)

	// When work stops, a timer bounds the drain: at its end handlers'
	// ctx and every SQS call under way are cut off.
	deadline := make(chan struct{})
	drained := make(chan struct{})
	defer close(drained)
	go func() {
		select {
		case <-work.Done():
		case <-drained:
			return
		}
		t := time.NewTimer(p.opts.ShutdownTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			close(deadline)
			handlerCancel()
			apiCancel(ErrShutdownTimeout)
		case <-drained:
		}
	}()

	var pollers sync.WaitGroup
	var fatalOnce sync.Once
	var fatalErr error // what stopped the work, other than ctx
	for range p.opts.Pollers {
		pollers.Add(1)
		go func() {
			defer pollers.Done()
			if err := s.poll(work, deadline); err != nil {
				fatalOnce.Do(func() { fatalErr = err })
				stopWork(err)
			}
		}()
	}
	pollers.Wait()
	close(s.jobs) // no more runs: the run workers end once theirs are done

	runsDone := make(chan struct{})
	go func() { s.runs.Wait(); close(runsDone) }()
	select {
	case <-runsDone:
	case <-deadline:
		s.cut.Store(true) // handlers still running
	}
	// Deletes and releases go on until they are done or the drain's end
	// cuts them off; then heartbeats, whose messages are gone by now
	// unless a handler outlived the drain, stop.
	s.del.close()
	s.calls.wait()
	s.del.end()
	beatCancel()
	s.beats.wait()
	if fatalErr != nil {
		return fatalErr
	}
	if s.cut.Load() {
		return ErrShutdownTimeout
	}
	return nil
}

// queueVisibility reads the queue's visibility timeout.
func (p *Processor) queueVisibility(ctx context.Context) (time.Duration, error) {
	p.count("GetQueueAttributes")
	out, err := p.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(p.url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout}})
	if err != nil {
		return 0, fmt.Errorf("sqsx: reading the queue's VisibilityTimeout: %w", err)
	}
	secs, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)])
	if err != nil || secs < 0 {
		return 0, fmt.Errorf("sqsx: the queue's VisibilityTimeout %q is not a number of seconds", out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)])
	}
	return time.Duration(secs) * time.Second, nil
}
