package sqsx_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// eventLog is an Observer that writes each event as a line:
// "create BODY", "send BODY:ok BODY:err", "receive BODY ...",
// "handle BODY ...", "dead-letter BODY", "done BODY:ok|BODY:err",
// "delete|release|extend BODY:ok ...". Empty receives are left out.
type eventLog struct {
	mu    sync.Mutex
	lines []string
	wake  chan struct{} // a value after each line
	// unordered sorts each call's entries: a standard queue's order is
	// SQS's.
	unordered bool
}

func newEventLog() *eventLog { return &eventLog{wake: make(chan struct{}, 1000)} }

func (l *eventLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	l.wake <- struct{}{}
}

// sorted returns the lines in sorted order: events on different goroutines
// have no order of their own.
func (l *eventLog) sorted() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.lines...)
	sort.Strings(out)
	return out
}

// waitFor waits until a line starting with prefix is logged.
func (l *eventLog) waitFor(ctx context.Context, t *testing.T, prefix string) {
	t.Helper()
	for {
		l.mu.Lock()
		for _, s := range l.lines {
			if strings.HasPrefix(s, prefix) {
				l.mu.Unlock()
				return
			}
		}
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-ctx.Done():
			t.Fatalf("no %q event; got %q", prefix, l.sorted())
		}
	}
}

func outcome(body string, err error) string {
	if err != nil {
		return body + ":err"
	}
	return body + ":ok"
}

type ctxKey struct{}

func (l *eventLog) observer() sqsx.Observer {
	return sqsx.Observer{
		Create: func(ctx context.Context, e sqsx.CreateEvent) (context.Context, map[string]string) {
			l.add("create " + e.Message.Body)
			return context.WithValue(ctx, ctxKey{}, e.Message.Body), map[string]string{"trace": "t-" + e.Message.Body}
		},
		Call: func(_ context.Context, e sqsx.CallEvent) {
			if e.Op == sqsx.OpReceive && len(e.Entries) == 0 && e.Err == nil {
				return
			}
			parts := []string{string(e.Op)}
			if e.Err != nil {
				parts = append(parts, "call-err")
			}
			for _, en := range e.Entries {
				switch e.Op {
				case sqsx.OpReceive:
					parts = append(parts, en.Message.Body+"/"+en.Message.MessageAttributes["trace"].StringValue)
				case sqsx.OpSend:
					if en.Context.Value(ctxKey{}) != en.Message.Body || (en.Err == nil) != (en.MessageID != "") {
						parts = append(parts, en.Message.Body+":bad-entry")
						continue
					}
					parts = append(parts, outcome(en.Message.Body, en.Err))
				default:
					parts = append(parts, outcome(en.Message.Body, en.Err))
				}
			}
			if l.unordered {
				sort.Strings(parts[1:])
			}
			l.add(strings.Join(parts, " "))
		},
		Handle: func(ctx context.Context, e sqsx.HandleEvent) (context.Context, func([]error)) {
			what := "handle"
			if e.DeadLetter {
				what = "dead-letter"
			}
			var bodies []string
			for _, m := range e.Messages {
				bodies = append(bodies, m.Body)
			}
			l.add(what + " " + strings.Join(bodies, " "))
			return context.WithValue(ctx, ctxKey{}, "handler"), func(errs []error) {
				parts := []string{"done"}
				for i, err := range errs {
					parts = append(parts, outcome(bodies[i], err))
				}
				l.add(strings.Join(parts, " "))
			}
		},
	}
}

// TestObserverEvents runs each path of a Sender and a Processor on sqstest
// and checks the Observer heard exactly its events.
func TestObserverEvents(t *testing.T) {
	errBoom := errors.New("boom")
	// handler fails "bad", waits on block for "slow", and checks that it
	// runs with the context Observer.Handle returned.
	type env struct {
		f     *sqstest.Fake
		clk   *sqstest.Clock
		url   string
		log   *eventLog
		block chan struct{}
	}
	handler := func(e *env) sqsx.Handler {
		return func(ctx context.Context, m *sqsx.Message) error {
			if ctx.Value(ctxKey{}) != "handler" {
				return errors.New("the handler's ctx is not the one Observer.Handle returned")
			}
			switch m.Body {
			case "bad":
				return errBoom
			case "slow":
				<-e.block
			}
			return nil
		}
	}
	cases := []struct {
		name string
		fifo bool
		msgs []string
		opts func(e *env, o *sqsx.ProcessorOptions)
		// drive runs the Processor's part; nil: wait for every message
		// to be deleted.
		drive func(ctx context.Context, t *testing.T, e *env, stop func() error)
		want  []string
	}{
		{name: "success", msgs: []string{"a", "b"},
			want: []string{"create a", "create b", "delete a:ok b:ok", "done a:ok", "done b:ok", "handle a", "handle b", "receive a/t-a b/t-b", "send a:ok b:ok"}},
		{name: "handler error", msgs: []string{"bad"},
			opts: func(_ *env, o *sqsx.ProcessorOptions) {
				o.RetryBackoff = func(int) time.Duration { return time.Hour } // it does not come back in the test
			},
			drive: func(ctx context.Context, t *testing.T, e *env, stop func() error) {
				e.log.waitFor(ctx, t, "release")
				require.NoError(t, stop())
			},
			want: []string{"create bad", "done bad:err", "handle bad", "receive bad/t-bad", "release bad:ok", "send bad:ok"}},
		{name: "extend", msgs: []string{"slow"},
			opts: func(e *env, o *sqsx.ProcessorOptions) { o.Clock = e.clk; o.VisibilityTimeout = 10 * time.Second },
			drive: func(ctx context.Context, t *testing.T, e *env, stop func() error) {
				e.log.waitFor(ctx, t, "handle slow")
				require.NoError(t, e.clk.WaitForTimers(ctx, 1))
				e.clk.Advance(5 * time.Second)
				e.log.waitFor(ctx, t, "extend")
				close(e.block)
				e.log.waitFor(ctx, t, "delete")
				require.NoError(t, stop())
			},
			want: []string{"create slow", "delete slow:ok", "done slow:ok", "extend slow:ok", "handle slow", "receive slow/t-slow", "send slow:ok"}},
		{name: "release on shutdown", fifo: true, msgs: []string{"slow", "later"},
			opts: func(_ *env, o *sqsx.ProcessorOptions) { o.Concurrency = 1 },
			drive: func(ctx context.Context, t *testing.T, e *env, stop func() error) {
				e.log.waitFor(ctx, t, "handle slow")
				res := make(chan error, 1)
				go func() { res <- stop() }()
				e.log.waitFor(ctx, t, "release")
				close(e.block)
				require.NoError(t, <-res)
			},
			want: []string{"create later", "create slow", "delete slow:ok", "done slow:ok", "handle slow", "receive slow/t-slow later/t-later", "release later:ok", "send slow:ok later:ok"}},
		{name: "dead letter", msgs: []string{"poison"},
			opts: func(_ *env, o *sqsx.ProcessorOptions) {
				o.MaxReceiveCount = 1
				o.DeadLetter = func(ctx context.Context, m *sqsx.Message) error {
					if ctx.Value(ctxKey{}) != "handler" {
						return errors.New("the DeadLetter handler's ctx is not the one Observer.Handle returned")
					}
					return nil
				}
			},
			drive: func(ctx context.Context, t *testing.T, e *env, stop func() error) {
				e.log.waitFor(ctx, t, "delete")
				require.NoError(t, stop())
			},
			want: []string{"create poison", "dead-letter poison", "delete poison:ok", "done poison:ok", "receive poison/t-poison", "send poison:ok"}},
		{name: "fifo run", fifo: true, msgs: []string{"a", "bad", "c"},
			opts: func(_ *env, o *sqsx.ProcessorOptions) {
				o.RetryBackoff = func(int) time.Duration { return time.Hour }
			},
			drive: func(ctx context.Context, t *testing.T, e *env, stop func() error) {
				e.log.waitFor(ctx, t, "release")
				e.log.waitFor(ctx, t, "delete")
				require.NoError(t, stop())
			},
			// one message per call: the Sender's default MaxGroupEntries
			want: []string{"create a", "create bad", "create c", "delete a:ok", "done a:ok", "done bad:err", "handle a", "handle bad",
				"receive a/t-a bad/t-bad c/t-c", "release bad:ok c:ok", "send a:ok", "send bad:ok", "send c:ok"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			e := &env{clk: sqstest.NewClock(time.Unix(1_700_000_000, 0)), log: newEventLog(), block: make(chan struct{})}
			e.f = sqstest.New(func(o *sqstest.Options) { o.Clock = e.clk.Now })
			e.log.unordered = !tc.fifo
			name := "q"
			if tc.fifo {
				name = "q.fifo"
			}
			e.url = e.f.CreateQueue(name, sqstest.QueueOptions{ContentBasedDeduplication: tc.fifo})
			s, err := sqsx.NewSender(e.f, e.url, func(o *sqsx.SenderOptions) { o.Observer = e.log.observer() })
			require.NoError(t, err)
			var msgs []sqsx.Message
			for _, b := range tc.msgs {
				m := sqsx.Message{Body: b}
				if tc.fifo {
					m.GroupID = "g"
					if tc.name == "release on shutdown" {
						m.GroupID = b // two groups: the second waits for the one slot
					}
				}
				msgs = append(msgs, m)
			}
			_, err = s.Send(ctx, msgs...)
			require.NoError(t, err)
			if tc.name == "dead letter" { // a first delivery that was not handled
				out, err := e.f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.url), VisibilityTimeout: 1})
				require.NoError(t, err)
				require.Len(t, out.Messages, 1)
				e.clk.Advance(2 * time.Second)
			}
			errs := &errorLog{}
			deleted := make(chan struct{}, 1)
			p, err := sqsx.NewProcessor(e.f, e.url, handler(e), quick(errs), func(o *sqsx.ProcessorOptions) {
				o.WaitTime = time.Second
				o.Observer = e.log.observer()
				if tc.opts != nil {
					tc.opts(e, o)
				}
				logCall := o.Observer.Call
				o.Observer.Call = func(ctx context.Context, ev sqsx.CallEvent) {
					logCall(ctx, ev)
					if ev.Op == sqsx.OpDelete {
						select {
						case deleted <- struct{}{}:
						default: // one pending signal is enough: the loop reads Len again
						}
					}
				}
			})
			require.NoError(t, err)
			stop := start(t, p)
			if tc.drive != nil {
				tc.drive(ctx, t, e, stop)
			} else {
				for e.f.Len(e.url) > 0 {
					select {
					case <-deleted:
					case <-ctx.Done():
						t.Fatal("the queue did not empty")
					}
				}
				require.NoError(t, stop())
			}
			assert.Equal(t, tc.want, e.log.sorted())
		})
	}
}

// failEntry is the fake, whose SendMessageBatch answers entry "1" with a
// sender-fault failure (without sending it) on its first call.
type failEntry struct {
	*sqstest.Fake
	once sync.Once
}

func (f *failEntry) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	var failed []types.BatchResultErrorEntry
	f.once.Do(func() {
		kept := *in
		kept.Entries = nil
		for _, e := range in.Entries {
			if aws.ToString(e.Id) == "1" {
				failed = append(failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InvalidParameterValue"), Message: aws.String("no"), SenderFault: true})
				continue
			}
			kept.Entries = append(kept.Entries, e)
		}
		in = &kept
	})
	out, err := f.Fake.SendMessageBatch(ctx, in, opts...)
	if out != nil {
		out.Failed = append(out.Failed, failed...)
	}
	return out, err
}

// TestObserverSendFailures: a failed call, and a batch with one failed
// entry, are each one send event with the outcome of every message.
func TestObserverSendFailures(t *testing.T) {
	ctx := testContext(t)
	f := sqstest.New()
	url := f.CreateQueue("q", sqstest.QueueOptions{})

	log := newEventLog()
	s, err := sqsx.NewSender(f, url, func(o *sqsx.SenderOptions) { o.Observer = log.observer() })
	require.NoError(t, err)
	f.FailNext("SendMessageBatch", fmt.Errorf("%w", &types.QueueDoesNotExist{Message: aws.String("gone")}))
	_, err = s.Send(ctx, sqsx.Message{Body: "a"}, sqsx.Message{Body: "b"})
	require.Error(t, err)
	assert.Equal(t, []string{"create a", "create b", "send call-err a:err b:err"}, log.sorted())

	log = newEventLog()
	s, err = sqsx.NewSender(&failEntry{Fake: f}, url, func(o *sqsx.SenderOptions) { o.Observer = log.observer() })
	require.NoError(t, err)
	res, err := s.Send(ctx, sqsx.Message{Body: "a"}, sqsx.Message{Body: "b"}, sqsx.Message{Body: "c"})
	var ee *sqsx.EntryError
	require.ErrorAs(t, err, &ee)
	assert.NotEmpty(t, res[2].MessageID)
	assert.Equal(t, []string{"create a", "create b", "create c", "send a:ok b:err c:ok"}, log.sorted())
}

// TestObserverAttributesFit: Create's attributes are added only when the
// message keeps within SQS's limits and has no attribute of their name.
func TestObserverAttributesFit(t *testing.T) {
	ctx := testContext(t)
	f := sqstest.New()
	url := f.CreateQueue("q", sqstest.QueueOptions{})
	obs := sqsx.Observer{Create: func(ctx context.Context, _ sqsx.CreateEvent) (context.Context, map[string]string) {
		return ctx, map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	}}
	s, err := sqsx.NewSender(f, url, func(o *sqsx.SenderOptions) { o.Observer = obs; o.MaxBatchBytes = 1024 })
	require.NoError(t, err)
	ten := map[string]sqsx.Attribute{}
	for i := range 10 {
		ten[fmt.Sprint("a", i)] = sqsx.StringAttribute("v")
	}
	long := strings.Repeat("x", 1024-len("traceparent")-len("String")-55+1)
	msgs := []sqsx.Message{
		{Body: "plain"},
		{Body: "ten", MessageAttributes: ten},
		{Body: "own", MessageAttributes: map[string]sqsx.Attribute{"traceparent": sqsx.StringAttribute("mine")}},
		{Body: long},     // one byte too many with the attribute
		{Body: long[1:]}, // exactly at the limit with it
	}
	_, err = s.Send(ctx, msgs...)
	require.NoError(t, err)
	got := map[string]string{}
	for range 2 {
		out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		require.NoError(t, err)
		for _, m := range out.Messages {
			b := aws.ToString(m.Body)
			if len(b) > 10 {
				b = fmt.Sprint(len(b))
			}
			got[b] = aws.ToString(m.MessageAttributes["traceparent"].StringValue)
		}
	}
	tp := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	assert.Equal(t, map[string]string{"plain": tp, "ten": "", "own": "mine", fmt.Sprint(len(long)): "", fmt.Sprint(len(long) - 1): tp}, got)
}

// TestObserverAttributesRefused: attributes SQS would refuse, or that
// would turn the message into an offloading pointer, are not added; the
// message goes out without them.
func TestObserverAttributesRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]string
	}{
		{"offloading size", map[string]string{"ExtendedPayloadSize": "5"}},
		{"legacy offloading size", map[string]string{"traceparent": "x", "SQSLargePayloadSize": "5"}},
		{"reserved prefix", map[string]string{"AWS.trace": "x"}},
		{"empty value", map[string]string{"traceparent": ""}},
		{"refused character", map[string]string{"traceparent": "\x00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			f := sqstest.New()
			url := f.CreateQueue("q", sqstest.QueueOptions{})
			obs := sqsx.Observer{Create: func(ctx context.Context, _ sqsx.CreateEvent) (context.Context, map[string]string) {
				return ctx, tc.attrs
			}}
			s, err := sqsx.NewSender(f, url, func(o *sqsx.SenderOptions) { o.Observer = obs })
			require.NoError(t, err)
			_, err = s.Send(ctx, sqsx.Message{Body: "plain"})
			require.NoError(t, err)
			out, err := f.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"All"}})
			require.NoError(t, err)
			require.Len(t, out.Messages, 1)
			assert.Empty(t, out.Messages[0].MessageAttributes)
		})
	}
}

// TestObserverPanicsAreReported: an Observer func that panics neither ends
// the program nor changes what is sent or handled; a Processor reports it
// through OnError.
func TestObserverPanicsAreReported(t *testing.T) {
	boom := func() { panic("observer bug") }
	for _, tc := range []struct {
		name string
		obs  sqsx.Observer
	}{
		{"Create", sqsx.Observer{Create: func(context.Context, sqsx.CreateEvent) (context.Context, map[string]string) { boom(); return nil, nil }}},
		{"Call", sqsx.Observer{Call: func(context.Context, sqsx.CallEvent) { boom() }}},
		{"Handle", sqsx.Observer{Handle: func(context.Context, sqsx.HandleEvent) (context.Context, func([]error)) { boom(); return nil, nil }}},
		{"Handle's done", sqsx.Observer{Handle: func(ctx context.Context, _ sqsx.HandleEvent) (context.Context, func([]error)) {
			return ctx, func([]error) { boom() }
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			f := sqstest.New()
			url := f.CreateQueue("q", sqstest.QueueOptions{})
			s, err := sqsx.NewSender(f, url, func(o *sqsx.SenderOptions) { o.Observer = tc.obs })
			require.NoError(t, err)
			_, err = s.Send(ctx, sqsx.Message{Body: "b"})
			require.NoError(t, err)
			require.Equal(t, 1, f.Len(url))

			handled := make(chan struct{})
			reported := make(chan error, 10)
			p, err := sqsx.NewProcessor(f, url, func(context.Context, *sqsx.Message) error {
				close(handled)
				return nil
			}, func(o *sqsx.ProcessorOptions) {
				o.Observer = tc.obs
				o.OnError = func(err error) { reported <- err }
			})
			require.NoError(t, err)
			stop := start(t, p)
			select {
			case <-handled:
			case <-ctx.Done():
				t.Fatal("not handled")
			}
			require.NoError(t, stop())
			assert.Equal(t, int64(1), p.Stats().Deleted)
			if tc.name == "Create" {
				return // the Processor calls no Create
			}
			require.NotEmpty(t, reported)
			err = <-reported
			var pe *sqsx.ProcessError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "Observer", pe.Op)
			assert.ErrorContains(t, err, "sqsx: Observer."+tc.name+" panicked: observer bug")
		})
	}
}

// TestObserverSeesTheCallersOffloadedMessage: for a message whose body
// goes to S3, Create and Call see the caller's message, as documented,
// not the pointer sent in its place.
func TestObserverSeesTheCallersOffloadedMessage(t *testing.T) {
	ctx := testContext(t)
	f := sqstest.New()
	url := f.CreateQueue("q", sqstest.QueueOptions{})
	store := sqstest.NewS3()
	store.CreateBucket("b")
	var mu sync.Mutex
	var seen []string
	obs := sqsx.Observer{
		Create: func(ctx context.Context, e sqsx.CreateEvent) (context.Context, map[string]string) {
			mu.Lock()
			seen = append(seen, "create "+e.Message.Body)
			mu.Unlock()
			return ctx, nil
		},
		Call: func(_ context.Context, e sqsx.CallEvent) {
			mu.Lock()
			for _, en := range e.Entries {
				seen = append(seen, "call "+en.Message.Body)
			}
			mu.Unlock()
		},
	}
	s, err := sqsx.NewSender(f, url, func(o *sqsx.SenderOptions) {
		o.Observer, o.S3, o.OffloadBucket, o.AlwaysOffload = obs, store, "b", true
	})
	require.NoError(t, err)
	msgs := []sqsx.Message{{Body: "the real body"}}
	res, err := s.Send(ctx, msgs...)
	require.NoError(t, err)
	require.NotNil(t, res[0].Payload)
	assert.Equal(t, []string{"create the real body", "call the real body"}, seen)
}
