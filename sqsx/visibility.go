package sqsx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// received is one receive's messages while the Processor holds any of
// them: their heartbeat keeps them hidden.
type received struct {
	s    *session
	msgs []*Message // at most 10
	at   time.Time

	mu   sync.Mutex
	held []bool // held[i]: msgs[i] is still held
	left int    // how many are held
	// hidden[i] is a time until which msgs[i] is surely hidden: its
	// receipt handle is current until then.
	hidden []time.Time
	done   chan struct{}
	timer  func() bool // stops the heartbeat's next beat, on a funcClock
	vis    sync.Mutex  // one visibility change of this receive at a time
}

func newReceived(s *session, ms []types.Message) *received {
	r := &received{s: s, at: s.p.opts.Clock.Now(), done: make(chan struct{})}
	// One allocation for the receive's messages and one for their list.
	all := make([]Message, len(ms))
	r.msgs = make([]*Message, len(ms))
	for i, sm := range ms {
		m := &all[i]
		m.ID, m.ReceiptHandle, m.Body = aws.ToString(sm.MessageId), aws.ToString(sm.ReceiptHandle), aws.ToString(sm.Body)
		m.SetAttributes(sm.Attributes)
		m.MessageAttributes = fromSQSAttributes(sm.MessageAttributes)
		_ = takePointer(m) // a malformed pointer fails the message when it is handled
		m.recv = r
		r.msgs[i] = m
	}
	r.held = make([]bool, len(ms))
	r.hidden = make([]time.Time, len(ms))
	// SQS hid the messages a little before r.at, when it answered.
	until := r.at.Add(s.vt - min(2*time.Second, s.vt/4))
	for i := range r.held {
		r.held[i] = true
		r.hidden[i] = until
	}
	r.left = len(ms)
	if r.left == 0 {
		close(r.done)
	}
	s.p.stats.received.Add(int64(len(r.msgs)))
	r.startHeartbeat()
	return r
}

// index returns m's place in the receive, or -1.
func (r *received) index(m *Message) int {
	for i, x := range r.msgs {
		if x == m {
			return i
		}
	}
	return -1
}

// let go marks messages as no longer held (deleted, released or given up).
func (r *received) letGo(ms ...*Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range ms {
		if i := r.index(m); i >= 0 && r.held[i] {
			r.held[i] = false
			r.left--
		}
	}
	if r.left == 0 {
		select {
		case <-r.done:
		default:
			close(r.done)
			if r.timer != nil {
				r.timer()
			}
		}
	}
}

// hiddenUntil is the time until which m is surely hidden, so that a
// delete with its receipt handle reaches it (zero for a message of no
// receive).
func (r *received) hiddenUntil(m *Message) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := r.index(m); i >= 0 {
		return r.hidden[i]
	}
	return time.Time{}
}

// gone reports whether m is no longer held.
func (r *received) gone(m *Message) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := r.index(m)
	return i < 0 || !r.held[i]
}

func (r *received) holding() []*Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Message
	for i, m := range r.msgs { // in receive order
		if r.held[i] {
			out = append(out, m)
		}
	}
	return out
}

// funcClock is a Clock that calls f once d has passed, from a goroutine of
// its own, and returns a func that stops it: the system clock is one. On
// it a heartbeat waits without a goroutine of its own, which saves a
// goroutine and a channel timer per receive, the common case being a
// receive deleted long before its first beat.
type funcClock interface {
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// every is the time between heartbeats.
func (s *session) every() time.Duration {
	return time.Duration(float64(s.vt) * s.p.opts.HeartbeatFraction)
}

// startHeartbeat starts the receive's heartbeat: a goroutine that waits on
// the Clock, or on a funcClock a timer per beat.
func (r *received) startHeartbeat() {
	every := r.s.every()
	if every <= 0 || r.left == 0 {
		return
	}
	fc, ok := r.s.p.opts.Clock.(funcClock)
	if !ok {
		go r.heartbeat()
		return
	}
	var beat func()
	beat = func() {
		select {
		case <-r.done:
			return
		case <-r.s.beatCtx.Done():
			return
		default:
		}
		if !r.beat() {
			return
		}
		r.mu.Lock()
		if r.left > 0 {
			r.timer = fc.AfterFunc(every, beat)
		}
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.timer = fc.AfterFunc(every, beat)
	r.mu.Unlock()
}

// heartbeat extends the visibility of the messages still held, each time
// HeartbeatFraction of the timeout has passed, up to 12 hours from the
// receive.
func (r *received) heartbeat() {
	s := r.s
	every := s.every()
	clk := s.p.opts.Clock
	for {
		select {
		case <-r.done:
			return
		case <-s.beatCtx.Done():
			return
		case <-clk.After(every):
		}
		if !r.beat() {
			return
		}
	}
}

// beat is one heartbeat; false once SQS's 12-hour limit is reached.
func (r *received) beat() bool {
	s := r.s
	left := maxVisibility - s.p.opts.Clock.Now().Sub(r.at)
	ext := min(s.vt, left).Truncate(time.Second)
	if ext < time.Second {
		return false // SQS's limit: the messages go back when it is reached
	}
	r.vis.Lock()
	ms := r.holding()
	start := s.p.opts.Clock.Now() // SQS extends them from a moment after this
	ok := s.changeVisibility(ms, ext, "heartbeat", r.gone)
	r.vis.Unlock()
	r.mu.Lock()
	for _, m := range ok {
		if i := r.index(m); i >= 0 {
			r.hidden[i] = start.Add(ext)
		}
	}
	r.mu.Unlock()
	s.p.stats.extended.Add(int64(len(ok)))
	return true
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
// A heartbeat (why "heartbeat") passes gone, which says whether a message
// was let go meanwhile (a heartbeat racing a delete): a refused handle of
// such a message is no news, nor is an extension the drain cut off.
// Heartbeats run on beatCtx, which ends once the drain is done; releases
// on apiCtx, and a release the drain cut off is reported for each
// message and counted as abandoned.
func (s *session) changeVisibility(ms []*Message, vis time.Duration, why string, gone func(*Message) bool) []*Message {
	ctx, calls := s.apiCtx, s.calls
	if gone != nil {
		ctx, calls = s.beatCtx, s.beats
	}
	if !calls.begin() { // Run is returning or has returned
		if gone == nil {
			s.abandon("ChangeMessageVisibilityBatch", why, ms, errDrainOver)
		}
		return nil
	}
	defer calls.end()
	var changed []*Message
	secs := int32(min(vis, maxVisibility) / time.Second)
	call := func(ctx context.Context, todo []*Message) (batchAnswer, error) {
		in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(s.p.url)}
		for i, m := range todo {
			in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.ReceiptHandle), VisibilityTimeout: secs})
		}
		s.p.count("ChangeMessageVisibilityBatch")
		var start time.Time
		if s.p.opts.Observer.Call != nil {
			start = time.Now()
		}
		out, err := s.p.client.ChangeMessageVisibilityBatch(ctx, in)
		if s.p.opts.Observer.Call != nil {
			s.p.opts.Observer.observeVisibility(ctx, why, s.p.url, start, todo, out, err)
		}
		if err != nil {
			return batchAnswer{}, err
		}
		ans := batchAnswer{failed: out.Failed}
		for _, e := range out.Successful {
			ans.ok = append(ans.ok, aws.ToString(e.Id))
		}
		return ans, nil
	}
	retry := func(err error) bool {
		var ee *EntryError
		if errors.As(err, &ee) {
			return ee.retryable() && !expired(ee)
		}
		// After a lost release SQS may have released the messages unheard,
		// and someone may have received them since; the receipt handles
		// could still reach them there. Unreleased, they come back after
		// their visibility timeout.
		return !(transport(err) && vis == 0)
	}
	fail := func(todo []*Message, err error) {
		var ee *EntryError
		if ctx.Err() != nil && errors.Is(err, context.Cause(ctx)) { // cut off (cutOff wraps the cause)
			if gone == nil {
				s.abandon("ChangeMessageVisibilityBatch", why, todo, err)
				return
			}
			var held []*Message
			for _, m := range todo {
				if !gone(m) {
					held = append(held, m)
				}
			}
			if len(held) > 0 { // their handler outlived the drain
				s.cut.Store(true)
				s.p.report("ChangeMessageVisibilityBatch", "", fmt.Errorf("%s of %d messages cut off: %w", why, len(held), ErrShutdownTimeout))
			}
			return
		}
		switch {
		case !errors.As(err, &ee):
			s.p.report("ChangeMessageVisibilityBatch", "", fmt.Errorf("%s of %d messages: %w", why, len(todo), err))
		case expired(ee) && gone != nil && gone(todo[0]):
		case expired(ee):
			s.p.report("ChangeMessageVisibilityBatch", todo[0].ID, fmt.Errorf("%s: %w: %w", why, ErrReceiptHandleExpired, ee))
		default:
			s.p.report("ChangeMessageVisibilityBatch", todo[0].ID, fmt.Errorf("%s: %w", why, ee))
		}
	}
	for start := 0; start < len(ms); start += maxBatchEntries {
		retryBatch(ctx, s.p.opts.Clock, ms[start:min(start+maxBatchEntries, len(ms))], call, retry,
			func(m *Message) { changed = append(changed, m) }, fail)
	}
	return changed
}
