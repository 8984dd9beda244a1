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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// stall is the fake with the first call of one operation held until its
// ctx ends: a call still under way when the drain runs out. acts says
// whether SQS acted on it all the same (a request that reached SQS, whose
// answer never came back), as the serial moto does with a call its client
// hung up on.
type stall struct {
	*sqstest.Fake
	op   string
	vis  int32 // for ChangeMessageVisibilityBatch: hold only a call with this VisibilityTimeout
	acts bool

	once  sync.Once
	held  chan struct{} // closed once the call is held
	ended chan struct{} // closed when the held call returns

	mu  sync.Mutex
	ids map[string]string // message IDs by body, from every receive
}

func newStall(f *sqstest.Fake, op string, vis int32, acts bool) *stall {
	return &stall{Fake: f, op: op, vis: vis, acts: acts, held: make(chan struct{}), ended: make(chan struct{}), ids: map[string]string{}}
}

// hold holds the call if it is the one to hold: it returns once ctx ends,
// with ctx's error, after act if SQS acts.
func (s *stall) hold(ctx context.Context, op string, vis int32, act func()) (bool, error) {
	if op != s.op || op == "ChangeMessageVisibilityBatch" && vis != s.vis {
		return false, nil
	}
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return false, nil
	}
	defer close(s.ended)
	close(s.held)
	<-ctx.Done()
	if s.acts {
		act()
	}
	return true, fmt.Errorf("operation error SQS: %s: %w", op, ctx.Err())
}

func (s *stall) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, o ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if held, err := s.hold(ctx, "DeleteMessageBatch", 0, func() { _, _ = s.Fake.DeleteMessageBatch(context.Background(), in, o...) }); held {
		return nil, err
	}
	return s.Fake.DeleteMessageBatch(ctx, in, o...)
}

func (s *stall) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, o ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	var vis int32
	if len(in.Entries) > 0 {
		vis = in.Entries[0].VisibilityTimeout
	}
	if held, err := s.hold(ctx, "ChangeMessageVisibilityBatch", vis, func() { _, _ = s.Fake.ChangeMessageVisibilityBatch(context.Background(), in, o...) }); held {
		return nil, err
	}
	return s.Fake.ChangeMessageVisibilityBatch(ctx, in, o...)
}

func (s *stall) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	out, err := s.Fake.ReceiveMessage(ctx, in, o...)
	if err == nil {
		s.mu.Lock()
		for _, m := range out.Messages {
			s.ids[*m.Body] = *m.MessageId
		}
		s.mu.Unlock()
	}
	return out, err
}

func (s *stall) id(body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[body]
}

// cutOff returns the IDs of the messages OnError heard were cut off by
// the end of the drain, by operation.
func cutOff(errs []error) map[string][]string {
	out := map[string][]string{}
	for _, err := range errs {
		var pe *sqsx.ProcessError
		if errors.As(err, &pe) && errors.Is(err, sqsx.ErrShutdownTimeout) {
			out[pe.Op] = append(out[pe.Op], pe.MessageID)
		}
	}
	return out
}

// TestProcessorShutdownCutsOffCalls: a delete, release or heartbeat still
// under way when ShutdownTimeout runs out (a call SQS never answers) is cut
// off before Run returns; a delete or release cut off is reported for its
// message with ErrShutdownTimeout, counted in Stats.Abandoned and not as
// Deleted or Released, and Run returns ErrShutdownTimeout. Nothing is
// reported after Run returns. SQS may or may not have acted on such a call:
// both are shown. A heartbeat under way once the drain is done is cut off
// at once, unreported: its messages are gone.
func TestProcessorShutdownCutsOffCalls(t *testing.T) {
	type want struct {
		err                                      error
		handled, failed, deleted, released, extd int64
		abandoned                                int64
		cut                                      map[string][]string // bodies, by op
		left                                     int
	}
	cases := []struct {
		name string
		op   string
		vis  int32
		acts bool
		// fail names the message whose handler fails; block, the one
		// whose handler waits until Run's ctx is cancelled and the call
		// held. two adds a message of another group, left unstarted
		// behind block (Concurrency 1).
		fail, block    string
		two, heartbeat bool
		want           want
	}{
		{name: "delete SQS made", op: "DeleteMessageBatch", acts: true,
			want: want{err: sqsx.ErrShutdownTimeout, handled: 1, abandoned: 1, cut: map[string][]string{"DeleteMessageBatch": {"a:1"}}}},
		{name: "delete SQS did not make", op: "DeleteMessageBatch",
			want: want{err: sqsx.ErrShutdownTimeout, handled: 1, abandoned: 1, cut: map[string][]string{"DeleteMessageBatch": {"a:1"}}, left: 1}},
		{name: "release of a failed message", op: "ChangeMessageVisibilityBatch", fail: "a:1", acts: true,
			want: want{err: sqsx.ErrShutdownTimeout, failed: 1, abandoned: 1, cut: map[string][]string{"ChangeMessageVisibilityBatch": {"a:1"}}, left: 1}},
		{name: "release of an unstarted message", op: "ChangeMessageVisibilityBatch", block: "a:1", two: true,
			want: want{err: sqsx.ErrShutdownTimeout, handled: 1, deleted: 1, abandoned: 1, cut: map[string][]string{"ChangeMessageVisibilityBatch": {"b:1"}}, left: 1}},
		{name: "heartbeat once the drain is done", op: "ChangeMessageVisibilityBatch", vis: 30, heartbeat: true, block: "a:1",
			want: want{handled: 1, deleted: 1, cut: map[string][]string{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
			f := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
			url := f.CreateQueue("cut.fifo", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
			msgs := []sqsx.Message{{GroupID: "a", Body: "a:1", DeduplicationID: "1"}}
			if c.two {
				msgs = append(msgs, sqsx.Message{GroupID: "b", Body: "b:1", DeduplicationID: "2"})
			}
			sendAll(t, f, url, msgs)
			s := newStall(f, c.op, c.vis, c.acts)
			started, cancelled := make(chan struct{}), make(chan struct{})
			errs := &errorLog{}
			var returned sync.Mutex // held until Run returns: OnError after it is a failure
			returned.Lock()
			late := make(chan error, 10)
			p, err := sqsx.NewProcessor(s, url, func(_ context.Context, m *sqsx.Message) error {
				if m.Body == c.block {
					close(started)
					<-cancelled
				}
				if m.Body == c.fail {
					return errors.New("injected")
				}
				return nil
			}, func(o *sqsx.ProcessorOptions) {
				o.Clock = clk
				o.Concurrency = 1
				o.ShutdownTimeout = 200 * time.Millisecond
				if c.heartbeat {
					o.ShutdownTimeout = time.Minute // the drain ends once its work is done
				}
				o.OnError = func(err error) {
					if returned.TryLock() {
						returned.Unlock()
						late <- err
					}
					errs.add(err)
				}
			})
			require.NoError(t, err)
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			res := make(chan error, 1)
			go func() { res <- p.Run(runCtx) }()
			held := func() {
				select {
				case <-s.held:
				case <-ctx.Done():
					t.Fatal("the call was never made")
				}
			}
			switch {
			case c.heartbeat:
				<-started
				require.NoError(t, clk.WaitForTimers(ctx, 1))
				clk.Advance(15 * time.Second) // HeartbeatFraction 0.5 of 30 s
				held()
				cancel()
			case c.block != "": // the release of what is unstarted follows the cancel
				<-started
				cancel()
				held()
			default:
				held()
				cancel()
			}
			close(cancelled)
			var got error
			select {
			case got = <-res:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return within 10 s of the cancel")
			}
			returned.Unlock()
			if c.want.err == nil {
				require.NoError(t, got)
			} else {
				require.ErrorIs(t, got, c.want.err)
			}
			select {
			case <-s.ended:
			default:
				t.Error("Run returned with the held call still under way")
			}
			st := p.Stats()
			assert.Equal(t, c.want.handled, st.Handled, "Handled")
			assert.Equal(t, c.want.failed, st.Failed, "Failed")
			assert.Equal(t, c.want.deleted, st.Deleted, "Deleted: confirmed deletes only")
			assert.Equal(t, c.want.released, st.Released, "Released: confirmed releases only")
			assert.Equal(t, c.want.extd, st.Extended, "Extended")
			assert.Equal(t, c.want.abandoned, st.Abandoned, "Abandoned")
			bodies := map[string][]string{}
			for op, ids := range cutOff(errs.all()) {
				for _, id := range ids {
					for _, m := range msgs {
						if s.id(m.Body) == id {
							bodies[op] = append(bodies[op], m.Body)
						}
					}
				}
			}
			assert.Equal(t, c.want.cut, bodies, "each message cut off reported, with its ID: %v", errs.all())
			assert.Equal(t, c.want.left, f.Len(url), "messages left in the queue")
			select {
			case err := <-late:
				t.Errorf("OnError after Run returned: %v", err)
			default:
			}
		})
	}
}

// TestProcessorHandlerOutlivesTheDrain: a handler that ignores its ctx and
// returns after ShutdownTimeout (and Run) has its message reported and
// counted as abandoned when it does, whether it succeeded (the delete) or
// failed (the release): neither call is made any more.
func TestProcessorHandlerOutlivesTheDrain(t *testing.T) {
	for _, c := range []struct {
		name string
		fail bool
		op   string
	}{{"handled", false, "DeleteMessageBatch"}, {"failed", true, "ChangeMessageVisibilityBatch"}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			f := sqstest.New()
			url := f.CreateQueue("late.fifo", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
			sendAll(t, f, url, []sqsx.Message{{GroupID: "a", Body: "a:1", DeduplicationID: "1"}})
			started, finish := make(chan struct{}), make(chan struct{})
			reports := make(chan error, 10)
			p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error {
				close(started)
				<-finish // ignores its ctx
				if c.fail {
					return errors.New("injected")
				}
				return nil
			}, func(o *sqsx.ProcessorOptions) {
				o.ShutdownTimeout = 100 * time.Millisecond
				o.OnError = func(err error) { reports <- err }
			})
			require.NoError(t, err)
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			res := make(chan error, 1)
			go func() { res <- p.Run(runCtx) }()
			<-started
			cancel()
			select {
			case err := <-res:
				require.ErrorIs(t, err, sqsx.ErrShutdownTimeout)
			case <-ctx.Done():
				t.Fatal("Run did not return")
			}
			calls := f.CallCounts()
			close(finish)
			for {
				var err error
				select {
				case err = <-reports:
				case <-ctx.Done():
					t.Fatal("the late handler's message was not reported")
				}
				var pe *sqsx.ProcessError
				require.ErrorAs(t, err, &pe)
				if pe.Op == "Handler" {
					continue
				}
				assert.Equal(t, c.op, pe.Op)
				assert.ErrorIs(t, err, sqsx.ErrShutdownTimeout)
				break
			}
			st := p.Stats()
			assert.Equal(t, int64(1), st.Abandoned)
			assert.Zero(t, st.Deleted+st.Released)
			assert.Equal(t, calls, f.CallCounts(), "no call after Run returned")
			assert.Equal(t, 1, f.Len(url))
		})
	}
}

// slowAttributes is the fake with GetQueueAttributes honouring its ctx,
// as the SDK's client does, and, when hold is set, answering only once
// its ctx ends.
type slowAttributes struct {
	*sqstest.Fake
	hold    bool
	started chan struct{}
}

func (c *slowAttributes) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, o ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	close(c.started)
	if c.hold {
		<-ctx.Done()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Fake.GetQueueAttributes(ctx, in, o...)
}

// A Run whose ctx ends before it has started receiving (while it reads
// the queue's visibility timeout, or before) returns nil, as after any
// other clean stop, and receives nothing.
func TestProcessorCancelledBeforeItReceives(t *testing.T) {
	for _, tc := range []struct {
		name       string
		visibility time.Duration // 0: read the queue's
		during     bool          // cancel while GetQueueAttributes is under way, else before Run
	}{
		{"cancelled before Run, queue's visibility", 0, false},
		{"cancelled while reading the queue's visibility", 0, true},
		{"cancelled before Run, visibility given", 30 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sqstest.New()
			url := f.CreateQueue("early.fifo", sqstest.QueueOptions{})
			sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: "m", DeduplicationID: "1"}})
			client := &slowAttributes{Fake: f, hold: tc.during, started: make(chan struct{})}
			p, err := sqsx.NewProcessor(client, url, func(context.Context, *sqsx.Message) error { return nil },
				func(o *sqsx.ProcessorOptions) { o.VisibilityTimeout = tc.visibility })
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			if !tc.during {
				cancel()
			}
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()
			if tc.during {
				select {
				case <-client.started:
				case <-testContext(t).Done():
					t.Fatal("GetQueueAttributes was not called")
				}
				cancel()
			}
			select {
			case err = <-done:
			case <-testContext(t).Done():
				t.Fatal("Run did not return")
			}
			assert.NoError(t, err)
			assert.Zero(t, p.Stats().Received)
			assert.Equal(t, 1, f.Len(url))
		})
	}
}

// Run refuses to run twice at once, and runs again once it has returned.
func TestProcessorRunAgain(t *testing.T) {
	f := sqstest.New()
	url := f.CreateQueue("again.fifo", sqstest.QueueOptions{})
	handled := make(chan string, 2)
	p, err := sqsx.NewProcessor(f, url, func(_ context.Context, m *sqsx.Message) error { handled <- m.Body; return nil },
		func(o *sqsx.ProcessorOptions) { o.WaitTime = time.Second })
	require.NoError(t, err)
	for i, body := range []string{"first", "second"} {
		sendAll(t, f, url, []sqsx.Message{{GroupID: "g", Body: body, DeduplicationID: body}})
		ctx, cancel := context.WithCancel(testContext(t))
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		select {
		case got := <-handled:
			assert.Equal(t, body, got)
		case <-testContext(t).Done():
			t.Fatalf("Run %d handled nothing", i+1)
		}
		assert.ErrorContains(t, p.Run(ctx), "sqsx: Run is already running on this Processor")
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-testContext(t).Done():
			t.Fatalf("Run %d did not return", i+1)
		}
	}
	assert.EqualValues(t, 2, p.Stats().Deleted)
}

// Cancelled at any moment (a receive under way, runs waiting for a slot,
// handlers running, deletes under way), Run drains cleanly: every message
// received is deleted or released, and every message not deleted is
// visible again at once. A moment is the k-th event of a kind: the k-th
// ReceiveMessage or DeleteMessageBatch call as it reaches the fake, or
// the k-th message handled; each k is one every setup reaches (30 messages
// make at least 3 receives, 3 delete calls and 30 handlings).
// KUMO_SOAK=1 tries more moments.
func TestProcessorCancelledAtAnyMoment(t *testing.T) {
	type moment struct {
		event string // "ReceiveMessage", "DeleteMessageBatch" or "handle"
		k     int64
	}
	moments := []moment{{"ReceiveMessage", 1}, {"ReceiveMessage", 2}, {"handle", 1}, {"handle", 5}, {"DeleteMessageBatch", 1}, {"DeleteMessageBatch", 2}}
	if soak() {
		for k := int64(1); k <= 3; k++ {
			moments = append(moments, moment{"ReceiveMessage", k}, moment{"DeleteMessageBatch", k})
		}
		for k := int64(1); k <= 30; k += 3 {
			moments = append(moments, moment{"handle", k})
		}
	}
	for _, tc := range []struct {
		name        string
		queue       string
		concurrency int
		pollers     int
		finishPoll  bool
		batch       bool
	}{
		{"FIFO, Concurrency 1", "any.fifo", 1, 1, false, false},
		{"FIFO, Concurrency 2, 3 pollers", "any.fifo", 2, 3, false, false},
		{"FIFO, Concurrency 64, FinishPollOnShutdown", "any.fifo", 64, 2, true, false},
		{"FIFO, BatchHandler", "any.fifo", 2, 2, false, true},
		{"standard, Concurrency 1", "any", 1, 1, false, false},
		{"standard, Concurrency 10, FinishPollOnShutdown", "any", 10, 3, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, moment := range moments {
				f := sqstest.New()
				url := f.CreateQueue(tc.queue, sqstest.QueueOptions{})
				var msgs []sqsx.Message
				for i := range 30 {
					m := sqsx.Message{Body: fmt.Sprint("m", i)}
					if strings.HasSuffix(tc.queue, ".fifo") {
						m.GroupID, m.DeduplicationID = fmt.Sprint("g", i%6), fmt.Sprint(i)
					}
					msgs = append(msgs, m)
				}
				sendAll(t, f, url, msgs)
				opts := func(o *sqsx.ProcessorOptions) {
					o.Concurrency, o.Pollers, o.WaitTime, o.FinishPollOnShutdown = tc.concurrency, tc.pollers, time.Second, tc.finishPoll
					o.OnError = func(error) {}
				}
				ctx, cancel := context.WithCancel(testContext(t))
				var seen atomic.Int64
				at := func(event string) {
					if event == moment.event && seen.Add(1) == moment.k {
						cancel()
					}
				}
				for _, op := range []string{"ReceiveMessage", "DeleteMessageBatch"} {
					f.OnCall(op, func(any) error { at(op); return nil })
				}
				var p *sqsx.Processor
				var err error
				if tc.batch {
					p, err = sqsx.NewBatchProcessor(f, url, func(_ context.Context, ms []*sqsx.Message) []error {
						for range ms {
							at("handle")
						}
						return nil
					}, opts)
				} else {
					p, err = sqsx.NewProcessor(f, url, func(context.Context, *sqsx.Message) error { at("handle"); return nil }, opts)
				}
				require.NoError(t, err)
				done := make(chan error, 1)
				go func() { done <- p.Run(ctx) }()
				select {
				case err = <-done:
				case <-testContext(t).Done():
					t.Fatalf("moment %v: Run did not return", moment)
				}
				require.NoError(t, err, "moment %v", moment)
				for _, op := range []string{"ReceiveMessage", "DeleteMessageBatch"} {
					f.OnCall(op, nil)
				}
				s := p.Stats()
				require.Equal(t, s.Received, s.Deleted+s.Released, "moment %v: %+v", moment, s)
				left := f.Len(url)
				require.EqualValues(t, 30, int64(left)+s.Deleted, "moment %v: %+v", moment, s)
				// Everything left is visible: received (and deleted, so that
				// a FIFO group's rest is not held) to the end.
				got := 0
				for try := 0; got < left && try < 30; try++ {
					out, err := f.ReceiveMessage(testContext(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
						ReceiveRequestAttemptId: aws.String(fmt.Sprint("check-", try))})
					require.NoError(t, err)
					if len(out.Messages) == 0 {
						break
					}
					got += len(out.Messages)
					for _, m := range out.Messages {
						_, err := f.DeleteMessage(testContext(t), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
						require.NoError(t, err)
					}
				}
				require.Equal(t, left, got, "moment %v: messages left hidden; %+v", moment, s)
			}
		})
	}
}
