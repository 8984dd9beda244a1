package sqsx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// quick are options for tests: no logging, a short drain bound. Polls
// keep their default 20 s: a cancel abandons them.
func quick(errs *errorLog) func(*sqsx.ProcessorOptions) {
	return func(o *sqsx.ProcessorOptions) {
		o.ShutdownTimeout = 5 * time.Second
		o.OnError = errs.add
	}
}

// errorLog collects what OnError hears.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) { l.mu.Lock(); l.errs = append(l.errs, err); l.mu.Unlock() }

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// ops counts the reports of each op.
func (l *errorLog) ops() map[string]int {
	out := map[string]int{}
	for _, err := range l.all() {
		var pe *sqsx.ProcessError
		if errors.As(err, &pe) {
			out[pe.Op]++
		}
	}
	return out
}

// handled records successful handlings in order, per group.
type handled struct {
	mu     sync.Mutex
	order  map[string][]string
	n      int
	want   int
	finish chan struct{}
}

func newHandled(want int) *handled {
	return &handled{order: map[string][]string{}, want: want, finish: make(chan struct{})}
}

func (h *handled) ok(m *sqsx.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g, _, _ := strings.Cut(m.Body, ":")
	h.order[g] = append(h.order[g], m.Body)
	h.n++
	if h.n == h.want {
		close(h.finish)
	}
}

func (h *handled) groups() map[string][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]string{}
	for g, b := range h.order {
		out[g] = append([]string(nil), b...)
	}
	return out
}

// runUntil runs p until done is closed (or the test's bound ends, which
// fails the test), then cancels it and returns what Run returned.
func runUntil(t *testing.T, p *sqsx.Processor, done <-chan struct{}) error {
	t.Helper()
	bound := testContext(t)
	stop := start(t, p)
	select {
	case <-done:
	case <-bound.Done():
		t.Error("the processor did not finish the work within the test's bound")
	}
	return stop()
}

// start runs p; stop cancels it and returns what Run returned, failing the
// test if Run outlives a bound of its own.
func start(t *testing.T, p *sqsx.Processor) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- p.Run(ctx) }()
	return func() error {
		cancel()
		bound, stopBound := context.WithTimeout(context.Background(), 30*time.Second)
		defer stopBound()
		select {
		case err := <-res:
			return err
		case <-bound.Done():
			t.Fatal("Run did not return within 30 s of cancel")
			return nil
		}
	}
}

// sendAll sends msgs, up to 10 of a group per batch (nothing fails here),
// so a group's messages arrive together as the tests expect.
func sendAll(t *testing.T, c sqsx.SQSAPI, url string, msgs []sqsx.Message) {
	t.Helper()
	s, err := sqsx.NewSender(c, url, func(o *sqsx.SenderOptions) { o.MaxGroupEntries = 10 })
	require.NoError(t, err)
	_, err = s.Send(context.Background(), msgs...)
	require.NoError(t, err)
}

func TestProcessorFIFOKeepsGroupsInOrderThroughFailures(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("orders.fifo", sqstest.QueueOptions{})
	msgs, want := fifoMessages(90, 3)
	sendAll(t, f, url, msgs)

	h := newHandled(90)
	var tries sync.Map // body -> tries
	var failures atomic.Int64
	errs := &errorLog{}
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
		n, _ := tries.LoadOrStore(m.Body, new(atomic.Int64))
		// Every seventh message fails on its first two tries.
		if strings.HasSuffix(m.Body, "7") && n.(*atomic.Int64).Add(1) <= 2 {
			failures.Add(1)
			return errors.New("not yet")
		}
		h.ok(m)
		return nil
	}, quick(errs))
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish))

	assert.Equal(t, want, h.groups(), "each group handled once, in send order")
	assert.Zero(t, f.Len(url), "everything deleted")
	st := p.Stats()
	assert.Equal(t, int64(90), st.Handled)
	assert.Equal(t, int64(90), st.Deleted)
	assert.Equal(t, failures.Load(), st.Failed)
	assert.Equal(t, int(failures.Load()), errs.ops()["Handler"])
	assert.Equal(t, st.Calls["ChangeMessageVisibilityBatch"], int64(failures.Load()), "one release call per failure")
	assert.GreaterOrEqual(t, st.Released, st.Failed)
}

func TestProcessorReleasesTheRestOfAFailedGroupTogether(t *testing.T) {
	clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := f.CreateQueue("jobs.fifo", sqstest.QueueOptions{})
	sendAll(t, f, url, []sqsx.Message{
		{GroupID: "a", Body: "a:1", DeduplicationID: "1"}, {GroupID: "a", Body: "a:2", DeduplicationID: "2"},
		{GroupID: "a", Body: "a:3", DeduplicationID: "3"}, {GroupID: "b", Body: "b:1", DeduplicationID: "4"},
	})
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	failedOnce := false
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s#%d", m.Body, m.ReceiveCount))
		if m.Body == "a:2" && !failedOnce {
			failedOnce = true
			return errors.New("boom")
		}
		if m.Body == "a:3" {
			close(done)
		}
		return nil
	}, quick(&errorLog{}), func(o *sqsx.ProcessorOptions) { o.Concurrency = 1 })
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, done))

	mu.Lock()
	defer mu.Unlock()
	// a:3 was not handled after a:2 failed; both came back (receive 2) in
	// order, without the visibility timeout passing (the clock never moved).
	var a []string
	for _, s := range seen {
		if strings.HasPrefix(s, "a:") {
			a = append(a, s)
		}
	}
	assert.Equal(t, []string{"a:1#1", "a:2#1", "a:2#2", "a:3#2"}, a)
	assert.Contains(t, seen, "b:1#1")
	assert.Equal(t, int64(1), p.Stats().Calls["ChangeMessageVisibilityBatch"], "a:2 and a:3 went back in one call")
	assert.Equal(t, int64(2), p.Stats().Released)
}

func TestProcessorStandardQueue(t *testing.T) {
	f := sqstest.New(func(o *sqstest.Options) { o.Seed = 7 })
	url := f.CreateQueue("plain", sqstest.QueueOptions{})
	var msgs []sqsx.Message
	for i := range 200 {
		msgs = append(msgs, sqsx.Message{Body: fmt.Sprintf("m:%d", i)})
	}
	sendAll(t, f, url, msgs)
	h := newHandled(200)
	var running, most atomic.Int64
	two := make(chan struct{}) // closed once two handlers ran at once
	var twoOnce sync.Once
	p, err := sqsx.NewProcessor(f, url, func(ctx context.Context, m *sqsx.Message) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			old := most.Load()
			if n <= old || most.CompareAndSwap(old, n) {
				break
			}
		}
		if n >= 2 {
			twoOnce.Do(func() { close(two) })
		}
		select { // the first handler waits for a second to start
		case <-two:
		case <-ctx.Done():
			return ctx.Err()
		}
		h.ok(m)
		return nil
	}, quick(&errorLog{}), func(o *sqsx.ProcessorOptions) { o.Concurrency = 8 })
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish))
	assert.Len(t, h.groups()["m"], 200)
	assert.ElementsMatch(t, bodiesOf(msgs), h.groups()["m"])
	assert.LessOrEqual(t, most.Load(), int64(8), "never more than Concurrency at once")
	assert.Greater(t, most.Load(), int64(1), "handled in parallel")
	assert.Zero(t, f.Len(url))
}

func bodiesOf(ms []sqsx.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

// TestProcessorHeartbeatOutlivesVisibilityTimeout holds a message for 2.5
// visibility timeouts on a fake clock: the heartbeat keeps both messages
// of the receive hidden, so nothing is handled twice.
func TestProcessorHeartbeatOutlivesVisibilityTimeout(t *testing.T) {
	ctx := testContext(t)
	clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := f.CreateQueue("slow.fifo", sqstest.QueueOptions{VisibilityTimeout: time.Second})
	sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "g:1", DeduplicationID: "1"}, {GroupID: "g", Body: "g:2", DeduplicationID: "2"}})
	h := newHandled(2)
	var calls atomic.Int64
	started, finish := make(chan struct{}), make(chan struct{})
	errs := &errorLog{}
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
		calls.Add(1)
		if m.Body == "g:1" {
			close(started)
			<-finish
		}
		h.ok(m)
		return nil
	}, quick(errs), func(o *sqsx.ProcessorOptions) { o.Clock = clk })
	require.NoError(t, err)
	stop := start(t, p)
	<-started
	for range 5 { // 5 heartbeats of half a timeout: 2.5 timeouts
		require.NoError(t, clk.WaitForTimers(ctx, 1), "the heartbeat waits for the clock")
		clk.Advance(500 * time.Millisecond)
	}
	require.NoError(t, clk.WaitForTimers(ctx, 1), "the fifth heartbeat is done")
	out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	assert.Empty(t, out.Messages, "another consumer gets nothing: the group is still held")
	close(finish)
	<-h.finish
	require.NoError(t, stop())
	assert.Equal(t, int64(2), calls.Load(), "nothing handled twice")
	assert.Equal(t, map[string][]string{"g": {"g:1", "g:2"}}, h.groups())
	assert.Equal(t, int64(10), p.Stats().Extended, "both held messages extended by each of 5 heartbeats")
	assert.Empty(t, errs.all())
	assert.Zero(t, f.Len(url))
}

// beatCounter is the fake with a signal once n visibility changes are done.
type beatCounter struct {
	*sqstest.Fake
	n     atomic.Int64
	after int64
	ready chan struct{}
}

func (b *beatCounter) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	out, err := b.Fake.ChangeMessageVisibilityBatch(ctx, in, opts...)
	if b.n.Add(1) == b.after {
		close(b.ready)
	}
	return out, err
}

// TestProcessorHeartbeatOnTheSystemClock is the heartbeat on the default
// clock, where each beat is a timer and no goroutine waits for it: a
// message held for three beats (of a tenth of a 1 s timeout) stays hidden
// and is handled once, with the other message of its receive.
func TestProcessorHeartbeatOnTheSystemClock(t *testing.T) {
	ctx := testContext(t)
	f := sqstest.New()
	url := f.CreateQueue("beats.fifo", sqstest.QueueOptions{VisibilityTimeout: time.Second})
	sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "g:1", DeduplicationID: "1"}, {GroupID: "g", Body: "g:2", DeduplicationID: "2"}})
	c := &beatCounter{Fake: f, after: 3, ready: make(chan struct{})}
	h := newHandled(2)
	var calls atomic.Int64
	errs := &errorLog{}
	p, err := sqsx.NewProcessor(c, url, func(ctx context.Context, m *sqsx.Message) error {
		calls.Add(1)
		if m.Body == "g:1" {
			select {
			case <-c.ready:
			case <-ctx.Done():
			}
		}
		h.ok(m)
		return nil
	}, quick(errs), func(o *sqsx.ProcessorOptions) { o.HeartbeatFraction = 0.1 })
	require.NoError(t, err)
	stop := start(t, p)
	select {
	case <-h.finish:
	case <-ctx.Done():
		t.Fatal("not handled: ", ctx.Err())
	}
	require.NoError(t, stop())
	assert.Equal(t, int64(2), calls.Load(), "nothing handled twice")
	assert.Equal(t, map[string][]string{"g": {"g:1", "g:2"}}, h.groups())
	assert.GreaterOrEqual(t, p.Stats().Extended, int64(6), "both held messages extended by each of 3 heartbeats")
	assert.Empty(t, errs.all())
	assert.Zero(t, f.Len(url))
}

// blockingHandler blocks on the first message until released, and records
// what it started.
func TestProcessorGracefulShutdownReleasesUnstarted(t *testing.T) {
	clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := f.CreateQueue("deploy.fifo", sqstest.QueueOptions{})
	msgs, _ := fifoMessages(6, 1) // g0:0 .. g0:5, one receive
	sendAll(t, f, url, msgs)
	started := make(chan struct{})
	finish := make(chan struct{})
	var handledBodies []string
	var mu sync.Mutex
	var ctxErr error
	p, err := sqsx.NewProcessor(f, url, func(ctx context.Context, m *sqsx.Message) error {
		if m.Body == "g0:1" {
			close(started)
			<-finish           // a long job; the deploy waits for it
			ctxErr = ctx.Err() // read after Run returns
		}
		mu.Lock()
		handledBodies = append(handledBodies, m.Body)
		mu.Unlock()
		return nil
	}, quick(&errorLog{}))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- p.Run(ctx) }()
	<-started
	cancel() // ends the Processor's work context before it returns
	close(finish)
	require.NoError(t, <-res, "a clean drain returns nil")
	assert.NoError(t, ctxErr, "the handler's context lasts through the drain")

	assert.Equal(t, []string{"g0:0", "g0:1"}, handledBodies)
	// The rest is visible at once, in order, with no clock movement.
	assert.Equal(t, []string{"g0:2", "g0:3", "g0:4", "g0:5"}, drain(t, f, url))
	st := p.Stats()
	assert.Equal(t, int64(2), st.Deleted)
	// A poll under way at the cancel may have taken released messages
	// again (and released them again).
	assert.Equal(t, st.Received-st.Deleted, st.Released, "every message not deleted was released")
}

func TestProcessorShutdownTimeout(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("stuck.fifo", sqstest.QueueOptions{})
	sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "g:1", DeduplicationID: "1"}})
	started := make(chan struct{})
	handlerCtxEnded := make(chan struct{})
	p, err := sqsx.NewProcessor(f, url, func(ctx context.Context, m *sqsx.Message) error {
		close(started)
		<-ctx.Done()
		close(handlerCtxEnded)
		return ctx.Err()
	}, quick(&errorLog{}), func(o *sqsx.ProcessorOptions) { o.ShutdownTimeout = 100 * time.Millisecond })
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- p.Run(ctx) }()
	<-started
	cancel()
	require.ErrorIs(t, <-res, sqsx.ErrShutdownTimeout)
	<-handlerCtxEnded
}

func TestProcessorReportsExpiredReceiptHandles(t *testing.T) {
	clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := f.CreateQueue("late", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
	sendAll(t, f, url, []sqsx.Message{{Body: "m:1"}})
	errs := &errorLog{}
	done := make(chan struct{})
	var once sync.Once
	var handled atomic.Int64
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
		handled.Add(1)
		once.Do(func() {
			// The handler outlives the visibility timeout on the fake's
			// clock, and another consumer takes the message meanwhile.
			clk.Advance(31 * time.Second)
			// Either this receive or the Processor's own poll, racing it,
			// takes the message again: both leave the first receipt handle
			// stale, which is what the delete below must report.
			_, err := f.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
			assert.NoError(t, err)
			close(done)
		})
		return nil
	}, quick(errs), func(o *sqsx.ProcessorOptions) { o.Concurrency = 1 })
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, done))
	var pe *sqsx.ProcessError
	all := errs.all()
	require.Len(t, all, 1)
	require.ErrorAs(t, all[0], &pe)
	assert.Equal(t, "DeleteMessageBatch", pe.Op)
	assert.ErrorIs(t, all[0], sqsx.ErrReceiptHandleExpired)
	var ee *sqsx.EntryError
	require.ErrorAs(t, all[0], &ee)
	assert.Equal(t, "ReceiptHandleIsInvalid", ee.Code)
	// When the Processor's own poll won the race, it handled the message
	// again under the new handle and deleted it then; Run drains that
	// delete before it returns.
	assert.Equal(t, handled.Load()-1, p.Stats().Deleted)
}

// attempts records each FIFO receive's ReceiveRequestAttemptId and fails
// calls by script: "throttle" before reaching the fake, "lose" after it
// acted.
type attempts struct {
	*sqstest.Fake
	script []string
	mu     sync.Mutex
	ids    []string
}

func (a *attempts) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	a.mu.Lock()
	a.ids = append(a.ids, aws.ToString(in.ReceiveRequestAttemptId))
	step := ""
	if n := len(a.ids); n <= len(a.script) {
		step = a.script[n-1]
	}
	a.mu.Unlock()
	if step == "throttle" {
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
	}
	out, err := a.Fake.ReceiveMessage(ctx, in, o...)
	if step == "lose" && err == nil {
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return out, err
}

func TestProcessorFIFOReceiveAttemptIDs(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("att.fifo", sqstest.QueueOptions{})
	sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "g:1", DeduplicationID: "1"}, {GroupID: "g", Body: "g:2", DeduplicationID: "2"}})
	// 1 is throttled; 2 takes both messages but its answer is lost; 3, its
	// retry, is throttled; 4 retries again and must get them back, or the
	// group would wait out the visibility timeout.
	a := &attempts{Fake: f, script: []string{"throttle", "lose", "throttle", ""}}
	h := newHandled(2)
	errs := &errorLog{}
	p, err := sqsx.NewProcessor(a, url, func(_ context.Context, m *sqsx.Message) error { h.ok(m); return nil }, quick(errs))
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish))

	a.mu.Lock()
	ids := append([]string(nil), a.ids...)
	a.mu.Unlock()
	require.GreaterOrEqual(t, len(ids), 4)
	assert.NotEmpty(t, ids[0])
	assert.NotEqual(t, ids[0], ids[1], "after throttling, a new attempt ID")
	assert.Equal(t, ids[1], ids[2], "after a transport error, the same ID")
	assert.Equal(t, ids[2], ids[3], "throttled while the lost attempt may hold messages: still the same ID")
	assert.Equal(t, map[string][]string{"g": {"g:1", "g:2"}}, h.groups())
	assert.Equal(t, map[string]int{"ReceiveMessage": 3}, errs.ops())
	assert.Equal(t, int64(2), p.Stats().Received, "the replay is the one receive that counts")
}

func TestProcessorDeadLetter(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("poison.fifo", sqstest.QueueOptions{})
	sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "g:bad", DeduplicationID: "1"}, {GroupID: "g", Body: "g:2", DeduplicationID: "2"}})
	h := newHandled(1)
	var dead []string
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
		if m.Body == "g:bad" {
			return errors.New("cannot parse")
		}
		h.ok(m)
		return nil
	}, quick(&errorLog{}), func(o *sqsx.ProcessorOptions) {
		o.MaxReceiveCount = 3
		o.DeadLetter = func(_ context.Context, m *sqsx.Message) error {
			dead = append(dead, fmt.Sprintf("%s#%d", m.Body, m.ReceiveCount))
			return nil
		}
	})
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish))
	assert.Equal(t, []string{"g:bad#4"}, dead, "handed over after 3 failed receives, in place of the handler")
	assert.Equal(t, map[string][]string{"g": {"g:2"}}, h.groups())
	st := p.Stats()
	assert.Equal(t, int64(1), st.DeadLettered)
	assert.Equal(t, int64(3), st.Failed)
	assert.Equal(t, int64(2), st.Deleted)
	assert.Zero(t, f.Len(url))
}

func TestBatchProcessorFIFO(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("batch.fifo", sqstest.QueueOptions{})
	msgs, want := fifoMessages(40, 2)
	sendAll(t, f, url, msgs)
	h := newHandled(40)
	var runs, failedOnce atomic.Int64
	p, err := sqsx.NewBatchProcessor(f, url, func(_ context.Context, ms []*sqsx.Message) []error {
		runs.Add(1)
		var errs []error
		for i, m := range ms {
			if m.Body == "g1:21" && failedOnce.Add(1) == 1 {
				errs = make([]error, len(ms))
				errs[i] = errors.New("no") // and stops here, as FIFO wants
				return errs
			}
			if ms[0].GroupID != m.GroupID {
				panic("a run mixes groups")
			}
			h.ok(m)
		}
		return nil
	}, quick(&errorLog{}))
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish))
	assert.Equal(t, want, h.groups())
	assert.Less(t, runs.Load(), int64(40), "runs of several messages")
	assert.Zero(t, f.Len(url))
}

func TestProcessorRetriesDeletes(t *testing.T) {
	var faults atomic.Int64
	f := sqstest.New(func(o *sqstest.Options) {
		o.EntryFault = func(op, id string) *types.BatchResultErrorEntry {
			if op == "DeleteMessageBatch" && id == "0" && faults.Add(1) <= 2 {
				return &types.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String("InternalError"), Message: aws.String("try again")}
			}
			return nil
		}
	})
	url := f.CreateQueue("del", sqstest.QueueOptions{})
	sendAll(t, f, url, []sqsx.Message{{Body: "m:1"}, {Body: "m:2"}})
	f.LoseNext("DeleteMessageBatch", errors.New("EOF")) // acted, answer lost
	h := newHandled(2)
	errs := &errorLog{}
	p, err := sqsx.NewBatchProcessor(f, url, func(_ context.Context, ms []*sqsx.Message) []error {
		for _, m := range ms {
			h.ok(m)
		}
		return nil
	}, quick(errs))
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish)) // Run's drain has flushed every delete
	assert.Zero(t, f.Len(url))
	assert.Empty(t, errs.all())
	assert.Equal(t, int64(2), p.Stats().Deleted)
}

func TestProcessorHandlerPanicIsAFailure(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("panic", sqstest.QueueOptions{})
	sendAll(t, f, url, []sqsx.Message{{Body: "m:1"}})
	h := newHandled(1)
	var once atomic.Bool
	errs := &errorLog{}
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
		if once.CompareAndSwap(false, true) {
			panic("nil map")
		}
		h.ok(m)
		return nil
	}, quick(errs))
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish))
	require.Len(t, errs.all(), 1)
	assert.ErrorContains(t, errs.all()[0], "handler panicked: nil map")
	assert.Equal(t, int64(1), p.Stats().Failed)
}

func TestProcessorStopsOnAMissingQueue(t *testing.T) {
	f := sqstest.New()
	p, err := sqsx.NewProcessor(f, "https://sqs.us-east-1.amazonaws.com/123456789012/none", func(context.Context, *sqsx.Message) error { return nil },
		func(o *sqsx.ProcessorOptions) { o.VisibilityTimeout = 30 * time.Second; o.WaitTime = time.Second })
	require.NoError(t, err)
	err = p.Run(context.Background())
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", api.ErrorCode())
	assert.ErrorContains(t, err, "sqsx: ReceiveMessage")

	// Without VisibilityTimeout it fails while reading the queue's.
	p, err = sqsx.NewProcessor(f, "https://sqs.us-east-1.amazonaws.com/123456789012/none", func(context.Context, *sqsx.Message) error { return nil })
	require.NoError(t, err)
	assert.ErrorContains(t, p.Run(context.Background()), "reading the queue's VisibilityTimeout")
}

func TestNewProcessorRefusesBadOptions(t *testing.T) {
	f := sqstest.New()
	h := func(context.Context, *sqsx.Message) error { return nil }
	for _, tc := range []struct {
		name string
		opt  func(*sqsx.ProcessorOptions)
		want string
	}{
		{"concurrency", func(o *sqsx.ProcessorOptions) { o.Concurrency = -1 }, "Concurrency -1: use 1 or more (0 for 10)"},
		{"pollers", func(o *sqsx.ProcessorOptions) { o.Pollers = -2 }, "Pollers -2: use 1 to 100 (0 for 1)"},
		{"pollers over 100", func(o *sqsx.ProcessorOptions) { o.Pollers = 101 }, "Pollers 101: use 1 to 100 (0 for 1)"},
		{"pollers 2^40", func(o *sqsx.ProcessorOptions) { o.Pollers = 1 << 40 }, "Pollers 1099511627776: use 1 to 100 (0 for 1)"},
		{"negative count", func(o *sqsx.ProcessorOptions) { o.MaxReceiveCount = -1 }, "MaxReceiveCount -1: use 1 or more, or 0 for none"},
		{"payload bound", func(o *sqsx.ProcessorOptions) { o.MaxPayloadBytes = -1 }, "MaxPayloadBytes -1: use a positive size"},
		{"delete payloads", func(o *sqsx.ProcessorOptions) { o.DeletePayloads = true }, "DeletePayloads and MaxPayloadBytes need an S3 client"},
		{"max payload bytes", func(o *sqsx.ProcessorOptions) { o.MaxPayloadBytes = 1 << 20 }, "DeletePayloads and MaxPayloadBytes need an S3 client"},
		{"dead letter alone", func(o *sqsx.ProcessorOptions) {
			o.DeadLetter = func(context.Context, *sqsx.Message) error { return nil }
		}, "DeadLetter needs a MaxReceiveCount"},
		{"wait", func(o *sqsx.ProcessorOptions) { o.WaitTime = 30 * time.Second }, "WaitTime 30s: use whole seconds from 1s to 20s"},
		{"wait fraction", func(o *sqsx.ProcessorOptions) { o.WaitTime = 1500 * time.Millisecond }, "WaitTime 1.5s"},
		{"max messages", func(o *sqsx.ProcessorOptions) { o.MaxMessages = 11 }, "MaxMessages 11: use 1 to 10"},
		{"visibility", func(o *sqsx.ProcessorOptions) { o.VisibilityTimeout = 13 * time.Hour }, "VisibilityTimeout 13h0m0s: use whole seconds up to 12h"},
		{"heartbeat", func(o *sqsx.ProcessorOptions) { o.HeartbeatFraction = 1 }, "HeartbeatFraction 1: use a fraction between 0 and 1"},
		{"dead letter", func(o *sqsx.ProcessorOptions) { o.MaxReceiveCount = 3 }, "MaxReceiveCount needs a DeadLetter handler"},
		{"shutdown", func(o *sqsx.ProcessorOptions) { o.ShutdownTimeout = -1 }, "ShutdownTimeout -1ns: use a positive duration (0 for 30s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sqsx.NewProcessor(f, "u", h, tc.opt)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	// The zero value of every option is its default.
	_, err := sqsx.NewProcessor(f, "u", h, func(o *sqsx.ProcessorOptions) { *o = sqsx.ProcessorOptions{} })
	assert.NoError(t, err)
	_, err = sqsx.NewProcessor(f, "u", nil)
	assert.ErrorContains(t, err, "needs a handler")
	_, err = sqsx.NewBatchProcessor(nil, "u", func(context.Context, []*sqsx.Message) []error { return nil })
	assert.ErrorContains(t, err, "needs a client and a queue URL")
}

func TestProcessorRetryBackoffHidesTheFailedGroup(t *testing.T) {
	clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
	f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
	url := f.CreateQueue("backoff.fifo", sqstest.QueueOptions{VisibilityTimeout: 5 * time.Minute}) // h:1 stays held until its delete, which the 46 s below must not outrun
	sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "g:1", DeduplicationID: "1"}, {GroupID: "g", Body: "g:2", DeduplicationID: "2"},
		{GroupID: "h", Body: "h:1", DeduplicationID: "3"}})
	var mu sync.Mutex
	var seen []string
	failed, hDone := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	var counts []int
	released := make(chan struct{})
	c := &onRelease{Fake: f, released: released}
	p, err := sqsx.NewProcessor(c, url, func(_ context.Context, m *sqsx.Message) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s#%d", m.Body, m.ReceiveCount))
		switch {
		case m.Body == "g:1" && m.ReceiveCount == 1:
			close(failed)
			return errors.New("later")
		case m.Body == "g:2":
			close(done)
		case m.Body == "h:1":
			close(hDone)
		}
		return nil
	}, quick(&errorLog{}), func(o *sqsx.ProcessorOptions) {
		o.RetryBackoff = func(n int) time.Duration {
			mu.Lock()
			counts = append(counts, n)
			mu.Unlock()
			return time.Duration(n) * 45 * time.Second
		}
	})
	require.NoError(t, err)
	bound := testContext(t)
	stop := start(t, p)
	<-failed
	<-hDone // h is not held up by g's failure
	select {
	case <-released: // g:1 and g:2 went back with 45 s of backoff
	case <-bound.Done():
		t.Fatal("g was not released")
	}
	// Until 45 s pass on the queue's clock, group g stays hidden.
	out, err := f.ReceiveMessage(bound, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	require.NoError(t, err)
	assert.Empty(t, out.Messages, "g is hidden by its backoff")
	clk.Advance(46 * time.Second)
	select {
	case <-done:
	case <-bound.Done():
		t.Fatal("g did not come back after its backoff")
	}
	require.NoError(t, stop())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int{1}, counts, "backoff asked with the failed message's receive count; seen %v", seen)
	var g []string
	for _, s := range seen {
		if strings.HasPrefix(s, "g:") {
			g = append(g, s)
		}
	}
	assert.Equal(t, []string{"g:1#1", "g:1#2", "g:2#2"}, g)
}

func TestProcessorCleanDrainIgnoresTheCancelCause(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("cause", sqstest.QueueOptions{})
	p, err := sqsx.NewProcessor(f, url, func(context.Context, *sqsx.Message) error { return nil }, quick(&errorLog{}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancelCause(context.Background())
	res := make(chan error, 1)
	go func() { res <- p.Run(ctx) }()
	cancel(errors.New("deploying v2"))
	require.NoError(t, <-res, "a drain after cancel is clean, whatever the cause")
}

// onRelease closes released after the first ChangeMessageVisibilityBatch.
type onRelease struct {
	*sqstest.Fake
	released chan struct{}
	once     sync.Once
}

func (c *onRelease) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, o ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	out, err := c.Fake.ChangeMessageVisibilityBatch(ctx, in, o...)
	c.once.Do(func() { close(c.released) })
	return out, err
}

// endlessPoll is a queue whose every receive waits until its context ends
// (a long poll that never brings anything) or until release is closed.
type endlessPoll struct {
	*sqstest.Fake
	polling   chan struct{} // closed when the first receive is under way
	release   chan struct{}
	once      sync.Once
	cancelled atomic.Bool // a receive ended by its context
}

func (e *endlessPoll) ReceiveMessage(ctx context.Context, _ *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	e.once.Do(func() { close(e.polling) })
	select {
	case <-ctx.Done():
		e.cancelled.Store(true)
		return nil, ctx.Err()
	case <-e.release:
		return &sqs.ReceiveMessageOutput{}, nil
	}
}

// TestProcessorShutdownAbandonsThePoll: with default options (20 s long
// polls) Run returns after a cancel without waiting for the poll under
// way; with FinishPollOnShutdown the poll ends on its own.
func TestProcessorShutdownAbandonsThePoll(t *testing.T) {
	for _, finish := range []bool{false, true} {
		t.Run(fmt.Sprint("FinishPollOnShutdown=", finish), func(t *testing.T) {
			f := sqstest.New()
			url := f.CreateQueue("idle.fifo", sqstest.QueueOptions{})
			e := &endlessPoll{Fake: f, polling: make(chan struct{}), release: make(chan struct{})}
			p, err := sqsx.NewProcessor(e, url, func(context.Context, *sqsx.Message) error { return nil },
				func(o *sqsx.ProcessorOptions) { o.FinishPollOnShutdown, o.ShutdownTimeout = finish, time.Hour })
			require.NoError(t, err)
			stop := start(t, p)
			<-e.polling
			if finish {
				close(e.release) // the poll's own end
			}
			began := time.Now()
			require.NoError(t, stop(), "a clean drain")
			t.Logf("Run returned %v after the cancel", time.Since(began)) // measured, not asserted
			assert.Equal(t, !finish, e.cancelled.Load(), "the poll was abandoned")
		})
	}
}

// TestProcessorRehandlingAfterALaterMessage isolates the one way a FIFO
// message is handled again after a later message of its group: SQS deletes
// the later entry of a DeleteMessageBatch call and keeps failing the
// earlier one (here: every try, until the Processor gives up; in the
// fault test: a kill between the call and its retry). The earlier message
// then comes back after its visibility timeout, alone, and is handled
// again after the later one. OnError reports the failed delete. The
// package doc names this case.
func TestProcessorRehandlingAfterALaterMessage(t *testing.T) {
	clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
	var failDeletes atomic.Bool
	failDeletes.Store(true)
	f := sqstest.New(func(o *sqstest.Options) {
		o.Clock = clk.Now
		o.EntryFault = func(op, id string) *types.BatchResultErrorEntry {
			if op == "DeleteMessageBatch" && id == "0" && failDeletes.Load() {
				return &types.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String("InternalError"), Message: aws.String("injected")}
			}
			return nil
		}
	})
	url := f.CreateQueue("rehandle.fifo", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
	sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "g:1", DeduplicationID: "1"}, {GroupID: "g", Body: "g:2", DeduplicationID: "2"}})
	var mu sync.Mutex
	var order []string
	firstRound, again := make(chan struct{}), make(chan struct{})
	errs := &errorLog{}
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, m.Body)
		if len(order) == 3 {
			close(again)
		}
		return nil
	}, quick(errs), func(o *sqsx.ProcessorOptions) {
		o.OnError = func(err error) {
			errs.add(err)
			if len(errs.all()) == 1 {
				close(firstRound) // the Processor gave up on g:1's delete
			}
		}
	})
	require.NoError(t, err)
	bound := testContext(t)
	stop := start(t, p)
	select {
	case <-firstRound:
	case <-bound.Done():
		t.Fatal("the delete of g:1 was not given up")
	}
	failDeletes.Store(false)
	assert.Equal(t, 1, f.Len(url), "g:2 deleted, g:1 not")
	clk.Advance(31 * time.Second) // g:1's visibility timeout
	select {
	case <-again:
	case <-bound.Done():
		t.Fatal("g:1 did not come back")
	}
	require.NoError(t, stop())
	assert.Equal(t, []string{"g:1", "g:2", "g:1"}, order, "g:1 handled again after g:2")
	var pe *sqsx.ProcessError
	require.ErrorAs(t, errs.all()[0], &pe)
	assert.Equal(t, "DeleteMessageBatch", pe.Op)
	var ee *sqsx.EntryError
	require.ErrorAs(t, errs.all()[0], &ee)
	assert.Equal(t, "InternalError", ee.Code)
	assert.Zero(t, f.Len(url))
}

// A poller receives again once every run of its last receive has started,
// not once there is room for a whole receive: at Concurrency 1 it asks for
// more while the last run of its receive holds the one slot.
func TestProcessorReceivesAgainOnceEveryRunHasStarted(t *testing.T) {
	for _, queue := range []string{"room.fifo", "room"} {
		t.Run(queue, func(t *testing.T) {
			ctx := testContext(t)
			f := sqstest.New()
			url := f.CreateQueue(queue, sqstest.QueueOptions{})
			var msgs []sqsx.Message
			for i := range 10 {
				m := sqsx.Message{Body: fmt.Sprint("m", i)}
				if strings.HasSuffix(queue, ".fifo") {
					m.GroupID, m.DeduplicationID = fmt.Sprint("g", i), fmt.Sprint(i)
				}
				msgs = append(msgs, m)
			}
			sendAll(t, f, url, msgs)
			started, gate := make(chan int), make(chan struct{})
			p, err := sqsx.NewProcessor(f, url, func(context.Context, *sqsx.Message) error {
				started <- f.Calls("ReceiveMessage")
				<-gate
				return nil
			}, func(o *sqsx.ProcessorOptions) { o.Concurrency, o.WaitTime = 1, time.Second })
			require.NoError(t, err)
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			done := make(chan error, 1)
			go func() { done <- p.Run(runCtx) }()
			for run := 1; run <= 10; run++ {
				select {
				case calls := <-started:
					if run < 10 {
						assert.Equal(t, 1, calls, "run %d starts while its receive's later runs wait for the slot", run)
					}
				case <-ctx.Done():
					t.Fatalf("run %d did not start", run)
				}
				if run < 10 {
					gate <- struct{}{}
				}
			}
			// The tenth run holds the only slot; the poller asks for more all the same.
			for f.Calls("ReceiveMessage") < 2 {
				select {
				case <-ctx.Done():
					t.Fatal("no second receive while the last run holds the slot")
				case <-time.After(time.Millisecond):
				}
			}
			close(gate)
			stop()
			require.NoError(t, <-done)
			assert.EqualValues(t, 10, p.Stats().Deleted)
		})
	}
}
