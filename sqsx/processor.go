package sqsx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// BatchHandler handles one run of messages at once. On a FIFO queue a run
// is the consecutive messages of one group from one receive, in order; on
// a standard queue it is the whole receive. It returns nil when every
// message is done, or one error per message, nil for each one done.
//
// On a FIFO queue everything from the first failure on is released and
// comes back, so a BatchHandler should stop at its first failure.
type BatchHandler func(ctx context.Context, msgs []*Message) []error

// ProcessorOptions adjust a Processor.
type ProcessorOptions struct {
	// Concurrency is how many runs are handled at once: FIFO groups, or a
	// standard queue's messages; default 10.
	Concurrency int
	// Pollers is how many receive loops run; default 1. Each waits for
	// room for a full receive before asking for more.
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
	// meets the queue's own redrive policy and FIFO order.
	MaxReceiveCount int
	DeadLetter      Handler
	// ShutdownTimeout bounds the drain after Run's ctx ends; default 30 s.
	ShutdownTimeout time.Duration
	// OnError hears of everything that did not go to plan: failed handlers
	// and calls, and receipt handles that expired (ErrReceiptHandleExpired:
	// the message will be handled again). Errors are *ProcessError. The
	// default logs them with log/slog at Warn level. It must be safe for
	// concurrent use.
	OnError func(error)
}

// ProcessError is what a Processor reports through OnError.
type ProcessError struct {
	// Op is the SQS operation, "Handler" or "DeadLetter".
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
	// ErrShutdownTimeout is returned by Run when handlers, or the release
	// of their messages, were still under way when ShutdownTimeout ran
	// out. Their messages come back after their visibility timeout.
	ErrShutdownTimeout = errors.New("sqsx: handlers or releases still under way at the end of ShutdownTimeout")
)

// Stats counts what a Processor did. API calls are counted by operation,
// failed calls included.
type Stats struct {
	Received, Handled, Failed, Deleted, Released, DeadLettered, Extended int64
	Calls                                                                map[string]int64
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
		received, handled, failed, deleted, released, deadLettered, extended atomic.Int64
		mu                                                                   sync.Mutex
		calls                                                                map[string]int64
	}
}

// SQS's limits for the Processor.
const (
	maxVisibility = 12 * time.Hour
	maxWait       = 20 * time.Second
)

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
	o := ProcessorOptions{Concurrency: 10, Pollers: 1, WaitTime: maxWait, MaxMessages: 10, HeartbeatFraction: 0.5, ShutdownTimeout: 30 * time.Second}
	for _, fn := range optFns {
		fn(&o)
	}
	switch {
	case client == nil || url == "":
		return nil, errors.New("sqsx: a Processor needs a client and a queue URL")
	case o.Concurrency < 1 || o.Pollers < 1:
		return nil, fmt.Errorf("sqsx: Concurrency %d and Pollers %d must be at least 1", o.Concurrency, o.Pollers)
	case o.WaitTime < time.Second || o.WaitTime > maxWait || o.WaitTime%time.Second != 0:
		return nil, fmt.Errorf("sqsx: WaitTime %s: use whole seconds from 1s to 20s", o.WaitTime)
	case o.MaxMessages < 1 || o.MaxMessages > maxBatchEntries:
		return nil, fmt.Errorf("sqsx: MaxMessages %d: use 1 to 10", o.MaxMessages)
	case o.VisibilityTimeout < 0 || o.VisibilityTimeout > maxVisibility || o.VisibilityTimeout%time.Second != 0:
		return nil, fmt.Errorf("sqsx: VisibilityTimeout %s: use whole seconds up to 12h (0 for the queue's)", o.VisibilityTimeout)
	case !(o.HeartbeatFraction > 0 && o.HeartbeatFraction < 1):
		return nil, fmt.Errorf("sqsx: HeartbeatFraction %v: use a fraction between 0 and 1", o.HeartbeatFraction)
	case o.MaxReceiveCount < 0 || o.MaxReceiveCount > 0 && o.DeadLetter == nil:
		return nil, errors.New("sqsx: MaxReceiveCount needs a DeadLetter handler (and must not be negative)")
	case o.ShutdownTimeout < 0:
		return nil, fmt.Errorf("sqsx: ShutdownTimeout %s must not be negative", o.ShutdownTimeout)
	}
	if o.OnError == nil {
		o.OnError = func(err error) { slog.Default().Warn("sqsx processor", "err", err) }
	}
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
		Released: s.released.Load(), DeadLettered: s.deadLettered.Load(), Extended: s.extended.Load(), Calls: calls}
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
	// handlerCtx is what handlers get: not ended by Run's ctx, only when
	// ShutdownTimeout runs out. apiCtx is for SQS calls, ended last.
	handlerCtx, apiCtx context.Context
	stopping           <-chan struct{} // closed when no new work may start
	runs               sync.WaitGroup
	del                *deleter

	mu     sync.Mutex
	groups map[string]chan struct{} // the done channel of each FIFO group's last run
}

// Run receives and handles messages until ctx ends, then drains: it stops
// receiving (a long poll under way is let finish, within ShutdownTimeout,
// and what it brings is released at once), lets running handlers finish
// their current message, deletes what was handled and releases, with
// visibility 0, every message received but not started. It returns nil
// after a clean drain; ErrShutdownTimeout if handlers outlived
// ShutdownTimeout; or the error that stopped it (a queue that does not
// exist, access denied). Errors on the way are retried and reported
// through OnError.
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

	apiCtx, apiCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer apiCancel()
	handlerCtx, handlerCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer handlerCancel()
	work, stopWork := context.WithCancelCause(ctx)
	defer stopWork(nil)

	s := &session{p: p, vt: p.opts.VisibilityTimeout, sem: make(chan struct{}, p.opts.Concurrency),
		handlerCtx: handlerCtx, apiCtx: apiCtx, stopping: work.Done(), groups: map[string]chan struct{}{}}
	if s.vt == 0 {
		vt, err := p.queueVisibility(ctx)
		if err != nil {
			return err
		}
		s.vt = vt
	}
	s.del = newDeleter(s)

	// When work stops, a timer bounds the drain.
	deadline := make(chan struct{})
	go func() {
		<-work.Done()
		t := time.NewTimer(p.opts.ShutdownTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			close(deadline)
			handlerCancel()
		case <-apiCtx.Done():
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

	runsDone := make(chan struct{})
	go func() { s.runs.Wait(); close(runsDone) }()
	var result error
	select {
	case <-runsDone:
	case <-deadline:
		result = ErrShutdownTimeout
	}
	// Deletes and releases get the rest of the drain, and at least a
	// few seconds.
	flushCtx, cancel := context.WithTimeout(apiCtx, max(p.opts.ShutdownTimeout, 5*time.Second))
	defer cancel()
	s.del.close(flushCtx)
	if fatalErr != nil {
		return fatalErr
	}
	return result
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

// fatal reports whether a receive error will not go away by retrying.
func fatal(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "AccessDenied", "AccessDeniedException",
		"InvalidAddress", "InvalidSecurity", "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
		"InvalidParameterValue", "UnsupportedOperation", "KmsAccessDenied", "KmsDisabled", "KmsNotFound":
		return true
	}
	return false
}

// transport reports whether err is a failure to reach SQS or to hear its
// answer, as opposed to an answer.
func transport(err error) bool {
	var api smithy.APIError
	return !errors.As(err, &api) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func newAttemptID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// poll is one receive loop. It returns a fatal receive error, or nil when
// work stops.
func (s *session) poll(work context.Context, deadline <-chan struct{}) error {
	p := s.p
	// A FIFO receive's ReceiveRequestAttemptId. After a transport error SQS
	// may have taken messages for it unheard: the retry reuses the ID, and
	// SQS hands them over again. After throttling (SQS did not act) the
	// next receive gets a new ID, unless an earlier try of this ID may have
	// acted: a new ID would leave its messages hidden for a visibility
	// timeout.
	attempt, unsure := "", false
	failures := 0
	for work.Err() == nil {
		in := &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.url),
			MaxNumberOfMessages:         int32(p.opts.MaxMessages),
			WaitTimeSeconds:             int32(p.opts.WaitTime / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		}
		if p.opts.VisibilityTimeout > 0 {
			in.VisibilityTimeout = int32(p.opts.VisibilityTimeout / time.Second)
		}
		if p.fifo {
			if attempt == "" {
				attempt = newAttemptID()
			}
			in.ReceiveRequestAttemptId = aws.String(attempt)
		}
		// A long poll under way when work stops is let finish (SQS may
		// already have taken messages for it), bounded by the drain.
		rctx, cancel := context.WithCancel(s.apiCtx)
		stopRecv := context.AfterFunc(work, func() {
			select {
			case <-deadline:
			case <-rctx.Done():
				return
			}
			cancel()
		})
		p.count("ReceiveMessage")
		out, err := p.client.ReceiveMessage(rctx, in)
		stopRecv()
		cancel()
		if err != nil {
			if fatal(err) {
				return fmt.Errorf("sqsx: ReceiveMessage: %w", err)
			}
			if work.Err() != nil {
				return nil
			}
			p.report("ReceiveMessage", "", err)
			if transport(err) {
				unsure = true
			} else if !unsure {
				attempt = ""
			}
			failures++
			if sleep(work, backoffFor(failures, 100*time.Millisecond, 5*time.Second)) != nil {
				return nil
			}
			continue
		}
		failures, attempt, unsure = 0, "", false
		if len(out.Messages) == 0 {
			continue
		}
		s.dispatch(work, newReceived(s, out.Messages))
	}
	return nil
}

// backoffFor is capped exponential backoff with jitter over the upper half.
func backoffFor(attempt int, base, ceiling time.Duration) time.Duration {
	d := base << min(attempt-1, 20)
	if d > ceiling || d <= 0 {
		d = ceiling
	}
	return d/2 + mrand.N(d/2+1)
}

// received is one receive's messages while the Processor holds any of
// them: their heartbeat keeps them hidden.
type received struct {
	s    *session
	msgs []*Message
	at   time.Time

	mu   sync.Mutex
	held map[*Message]bool
	done chan struct{} // closed once nothing is held
	vis  sync.Mutex    // one visibility change of this receive at a time
}

func newReceived(s *session, ms []types.Message) *received {
	r := &received{s: s, at: time.Now(), held: map[*Message]bool{}, done: make(chan struct{})}
	for _, sm := range ms {
		m := &Message{ID: aws.ToString(sm.MessageId), ReceiptHandle: aws.ToString(sm.ReceiptHandle), Body: aws.ToString(sm.Body)}
		m.fromAttributes(sm.Attributes)
		if len(sm.MessageAttributes) > 0 {
			m.MessageAttributes = map[string]string{}
			for k, v := range sm.MessageAttributes {
				if v.StringValue != nil {
					m.MessageAttributes[k] = *v.StringValue
				}
			}
		}
		r.msgs = append(r.msgs, m)
		r.held[m] = true
	}
	if len(r.held) == 0 {
		close(r.done)
	}
	s.p.stats.received.Add(int64(len(r.msgs)))
	go r.heartbeat()
	return r
}

// let go marks messages as no longer held (deleted, released or given up).
func (r *received) letGo(ms ...*Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range ms {
		delete(r.held, m)
	}
	if len(r.held) == 0 {
		select {
		case <-r.done:
		default:
			close(r.done)
		}
	}
}

// gone reports whether m is no longer held.
func (r *received) gone(m *Message) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.held[m]
}

func (r *received) holding() []*Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Message
	for _, m := range r.msgs { // in receive order
		if r.held[m] {
			out = append(out, m)
		}
	}
	return out
}

// heartbeat extends the visibility of the messages still held, each time
// HeartbeatFraction of the timeout has passed, up to 12 hours from the
// receive.
func (r *received) heartbeat() {
	s := r.s
	every := time.Duration(float64(s.vt) * s.p.opts.HeartbeatFraction)
	if every <= 0 {
		return
	}
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-s.apiCtx.Done():
			return
		case <-t.C:
		}
		left := maxVisibility - time.Since(r.at)
		ext := min(s.vt, left).Truncate(time.Second)
		if ext < time.Second {
			return // SQS's limit: the messages go back when it is reached
		}
		r.vis.Lock()
		ms := r.holding()
		ok := s.changeVisibility(ms, ext, "heartbeat", r.gone)
		r.vis.Unlock()
		s.p.stats.extended.Add(int64(len(ok)))
		t.Reset(every)
	}
}

// release makes messages visible again after vis (0: at once).
func (r *received) release(ms []*Message, vis time.Duration) {
	if len(ms) == 0 {
		return
	}
	r.vis.Lock()
	defer r.vis.Unlock()
	// Let go first: a heartbeat after this must not hide them again.
	r.letGo(ms...)
	ok := r.s.changeVisibility(ms, vis, "release", nil)
	r.s.p.stats.released.Add(int64(len(ok)))
}

// changeVisibility sets the visibility of ms in batches of 10, retrying
// entries that may succeed later. It returns the messages changed; the
// others are reported.
//
// gone, if set, says whether a message was let go meanwhile (a heartbeat
// racing a delete): a refused handle of such a message is no news.
func (s *session) changeVisibility(ms []*Message, vis time.Duration, why string, gone func(*Message) bool) []*Message {
	var changed []*Message
	secs := int32(min(vis, maxVisibility) / time.Second)
	for start := 0; start < len(ms); start += maxBatchEntries {
		todo := ms[start:min(start+maxBatchEntries, len(ms))]
		for try := 1; len(todo) > 0; try++ {
			in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(s.p.url)}
			for i, m := range todo {
				in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.ReceiptHandle), VisibilityTimeout: secs})
			}
			s.p.count("ChangeMessageVisibilityBatch")
			out, err := s.p.client.ChangeMessageVisibilityBatch(s.apiCtx, in)
			if err != nil {
				if transport(err) && vis == 0 {
					// SQS may have released them unheard, and someone may
					// have received them since; the receipt handles could
					// still reach them there. Unreleased, they come back
					// after their visibility timeout.
					s.p.report("ChangeMessageVisibilityBatch", "", fmt.Errorf("%s of %d messages, not retried: %w", why, len(todo), err))
					break
				}
				if try >= 5 || s.apiCtx.Err() != nil {
					s.p.report("ChangeMessageVisibilityBatch", "", fmt.Errorf("%s of %d messages: %w", why, len(todo), err))
					break
				}
				_ = sleep(s.apiCtx, backoffFor(try, 50*time.Millisecond, 2*time.Second))
				continue
			}
			var again []*Message
			for _, e := range out.Successful {
				if i, err := strconv.Atoi(aws.ToString(e.Id)); err == nil && i < len(todo) {
					changed = append(changed, todo[i])
				}
			}
			for _, f := range out.Failed {
				i, err := strconv.Atoi(aws.ToString(f.Id))
				if err != nil || i >= len(todo) {
					continue
				}
				ee := &EntryError{Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
				switch {
				case expired(ee) && gone != nil && gone(todo[i]):
				case expired(ee):
					s.p.report("ChangeMessageVisibilityBatch", todo[i].ID, fmt.Errorf("%s: %w: %w", why, ErrReceiptHandleExpired, ee))
				case ee.retryable() && try < 5:
					again = append(again, todo[i])
				default:
					s.p.report("ChangeMessageVisibilityBatch", todo[i].ID, fmt.Errorf("%s: %w", why, ee))
				}
			}
			todo = again
			if len(todo) > 0 {
				_ = sleep(s.apiCtx, backoffFor(try, 50*time.Millisecond, 2*time.Second))
			}
		}
	}
	return changed
}

// expired reports whether SQS refused a receipt handle as no longer valid.
func expired(e *EntryError) bool {
	return e.Code == "ReceiptHandleIsInvalid" || strings.HasSuffix(e.Code, "MessageNotInflight") || e.Code == "InvalidParameterValue" && strings.Contains(e.Message, "receipt handle")
}

// dispatch splits a receive into runs and starts each when a slot is free;
// runs not started when work stops are released at once.
func (s *session) dispatch(work context.Context, r *received) {
	runs := s.split(r.msgs)
	for i, run := range runs {
		select {
		case s.sem <- struct{}{}:
		case <-work.Done():
			var rest []*Message
			for _, run := range runs[i:] {
				rest = append(rest, run...)
			}
			r.release(rest, 0)
			return
		}
		s.start(r, run)
	}
}

// split makes the runs of a receive: on FIFO queues, each group's messages
// in order; on standard queues, each message alone, or the whole receive
// for a BatchHandler.
func (s *session) split(ms []*Message) [][]*Message {
	if !s.p.fifo {
		if s.p.batch != nil {
			return [][]*Message{ms}
		}
		runs := make([][]*Message, len(ms))
		for i, m := range ms {
			runs[i] = []*Message{m}
		}
		return runs
	}
	var runs [][]*Message
	at := map[string]int{}
	for _, m := range ms {
		i, ok := at[m.GroupID]
		if !ok {
			i = len(runs)
			at[m.GroupID] = i
			runs = append(runs, nil)
		}
		runs[i] = append(runs[i], m)
	}
	return runs
}

// start runs one run in its own goroutine, after the group's previous run
// (which SQS hands out only once that one is deleted, unless a visibility
// timeout ran out).
func (s *session) start(r *received, run []*Message) {
	var prev <-chan struct{}
	done := make(chan struct{})
	if s.p.fifo {
		g := run[0].GroupID
		s.mu.Lock()
		prev = s.groups[g]
		s.groups[g] = done
		s.mu.Unlock()
	}
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		defer func() { <-s.sem }()
		defer close(done)
		if prev != nil {
			<-prev
		}
		s.handle(r, run)
		if s.p.fifo {
			g := run[0].GroupID
			s.mu.Lock()
			if s.groups[g] == done {
				delete(s.groups, g)
			}
			s.mu.Unlock()
		}
	}()
}

// handle handles a run in order. A failure on a FIFO queue stops the run:
// the failed message and the rest are released together. Once work stops,
// no new message is started; the rest are released at once.
//
// The messages done are deleted when the run ends, in one call, or, when
// they do not fit the call being filled, in order: the later part only
// once the earlier part is gone. SQS would hand an earlier message of a
// group back after a later one if the later one were deleted first.
func (s *session) handle(r *received, run []*Message) {
	p := s.p
	var done []*Message
	defer func() { s.del.add(r, done...) }()
	for i := 0; i < len(run); {
		select {
		case <-s.stopping:
			r.release(run[i:], 0)
			return
		default:
		}
		m := run[i]
		if s.poisoned(run, i) {
			if err := safeHandle(s.handlerCtx, p.opts.DeadLetter, m); err != nil {
				p.report("DeadLetter", m.ID, err)
				if s.failed(r, run, []int{i}) {
					return
				}
			} else {
				p.stats.deadLettered.Add(1)
				done = append(done, m)
			}
			i++
			continue
		}
		// The next stretch of messages within the receive count.
		j := i + 1
		if p.batch != nil {
			for j < len(run) && !s.poisoned(run, j) {
				j++
			}
		}
		errs := s.call(run[i:j])
		var bad []int
		for k, err := range errs {
			if err != nil {
				p.report("Handler", run[i+k].ID, err)
				bad = append(bad, i+k)
			}
		}
		for k := i; k < j; k++ {
			if len(bad) > 0 && p.fifo && k >= bad[0] {
				break
			}
			if len(bad) == 0 || !contains(bad, k) {
				p.stats.handled.Add(1)
				done = append(done, run[k])
			}
		}
		if len(bad) > 0 && s.failed(r, run, bad) {
			return
		}
		i = j
	}
}

// poisoned reports whether run[i] goes to DeadLetter: received more than
// MaxReceiveCount times and, on a FIFO queue, first of its group in this
// receive. The messages behind a failing FIFO message are received (and
// counted) with it each time, so their counts say nothing about them.
func (s *session) poisoned(run []*Message, i int) bool {
	max := s.p.opts.MaxReceiveCount
	return max > 0 && run[i].ReceiveCount > max && (!s.p.fifo || i == 0)
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// failed releases failed messages with their backoff. On a FIFO queue the
// rest of the run from the first failure goes with it, and the run ends
// (it returns true).
func (s *session) failed(r *received, run []*Message, bad []int) bool {
	p := s.p
	p.stats.failed.Add(int64(len(bad)))
	back := func(m *Message) time.Duration {
		if p.opts.RetryBackoff == nil {
			return 0
		}
		return min(max(p.opts.RetryBackoff(m.ReceiveCount), 0), maxVisibility)
	}
	if p.fifo {
		r.release(run[bad[0]:], back(run[bad[0]]))
		return true
	}
	byDelay := map[time.Duration][]*Message{} // one call per distinct backoff
	var delays []time.Duration
	for _, k := range bad {
		d := back(run[k])
		if _, ok := byDelay[d]; !ok {
			delays = append(delays, d)
		}
		byDelay[d] = append(byDelay[d], run[k])
	}
	for _, d := range delays {
		r.release(byDelay[d], d)
	}
	return false
}

// call runs the handler over ms and returns one error per message.
func (s *session) call(ms []*Message) []error {
	if s.p.one != nil {
		return []error{safeHandle(s.handlerCtx, s.p.one, ms[0])}
	}
	errs := safeBatch(s.handlerCtx, s.p.batch, ms)
	switch {
	case errs == nil:
		return make([]error, len(ms))
	case len(errs) != len(ms):
		err := fmt.Errorf("sqsx: BatchHandler returned %d errors for %d messages; want none or one per message", len(errs), len(ms))
		errs = make([]error, len(ms))
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

func safeBatch(ctx context.Context, h BatchHandler, ms []*Message) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("sqsx: batch handler panicked: %v", r)
			errs = make([]error, len(ms))
			for i := range errs {
				errs[i] = err
			}
		}
	}()
	return h(ctx, ms)
}
