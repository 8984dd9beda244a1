package sqsx

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Observer hears what a Sender, a Processor or sqslambda.ProcessEvent
// does: the messages a Send creates, every SQS call with its timing and
// each message's outcome, and every handling. It is the one shape for
// tracing and metrics; package sqsotel maps it to OpenTelemetry, so sqsx
// itself depends on no telemetry library. Each field may be nil, and the
// zero Observer costs a nil check per event. The funcs are called from
// many goroutines at once and must be safe for concurrent use; they run on
// the Sender's and Processor's own paths, so they should return quickly.
// A func that panics does not end the program: the panic is reported (a
// Processor's OnError with Op "Observer", a Sender's log/slog at Warn
// level, sqslambda's OnError) and the work goes on as if the func had
// returned nothing.
type Observer struct {
	// Create is called once for each valid message a Send takes, before
	// its first try, with Send's ctx. The context it returns is the
	// message's (CallEntry.Context of its SendMessageBatch calls). The
	// attributes it returns (trace context such as "traceparent") are
	// added to the message as String message attributes, unless one is
	// not a valid attribute (a name SQS refuses, or one of the offloading
	// size attributes ExtendedPayloadSize and SQSLargePayloadSize; an
	// empty value or a character SQS refuses), the message has an
	// attribute of that name already, or they would take it over SQS's 10
	// attributes or its size limit: then none are added.
	// The message itself must not be changed.
	Create func(ctx context.Context, e CreateEvent) (context.Context, map[string]string)
	// Call is called after each SQS call a Sender or Processor makes, each
	// try of a retried call included: SendMessageBatch, ReceiveMessage,
	// DeleteMessageBatch and ChangeMessageVisibilityBatch (a release or a
	// heartbeat's extension).
	Call func(ctx context.Context, e CallEvent)
	// Handle is called before a handler takes messages: one message for a
	// Handler, a run for a BatchHandler, or one for the DeadLetter
	// handler. ctx is the one the handler would get; the context Handle
	// returns is what it gets instead (carrying the consumer span, say).
	// done, if not nil, is called once the handler returns, with one error
	// per message (nil for each one handled; a panic is an error).
	Handle func(ctx context.Context, e HandleEvent) (handlerCtx context.Context, done func(errs []error))
}

// Op names what an SQS call was for.
type Op string

// The operations a CallEvent reports.
const (
	OpSend    Op = "send"    // SendMessageBatch
	OpReceive Op = "receive" // ReceiveMessage
	OpDelete  Op = "delete"  // DeleteMessageBatch of handled (or dead-lettered) messages
	OpRelease Op = "release" // ChangeMessageVisibilityBatch making messages visible again
	OpExtend  Op = "extend"  // ChangeMessageVisibilityBatch of a heartbeat
)

// CreateEvent is a message a Send is about to send.
type CreateEvent struct {
	QueueURL string
	// Message is the caller's message, read-only.
	Message *Message
}

// CallEvent is one SQS call and its outcome.
type CallEvent struct {
	Op       Op
	QueueURL string
	Start    time.Time
	Duration time.Duration
	// Err is the error of the call as a whole (nil when SQS answered,
	// even with failed entries).
	Err error
	// Entries are the call's messages in request order: those sent,
	// deleted, released or extended, or those received.
	Entries []CallEntry
}

// CallEntry is one message of a call.
type CallEntry struct {
	// Message is the message: for OpSend the caller's, read-only.
	Message *Message
	// MessageID is SQS's ID of the message; for OpSend set only once
	// accepted.
	MessageID string
	// Context is, for OpSend, the context Observer.Create returned for the
	// message; otherwise nil.
	Context context.Context
	// Err is the entry's failure: an *EntryError, or the call's own
	// error; nil when it succeeded.
	Err error
}

// HandleEvent is a handling about to start.
type HandleEvent struct {
	// Queue is the queue's URL or, in sqslambda, its ARN.
	Queue string
	// Messages are the messages handed over, in order.
	Messages []*Message
	// DeadLetter is set when they go to ProcessorOptions.DeadLetter.
	DeadLetter bool
}

// recovering returns o with each func wrapped so that a panic in it is
// reported, not left to end the program: a Create that panics adds no
// attributes and keeps Send's ctx, a Handle that panics leaves the
// handler its ctx, and the call or handling goes on.
func (o Observer) recovering(report func(error)) Observer {
	catch := func(what string) {
		if r := recover(); r != nil {
			report(fmt.Errorf("sqsx: Observer.%s panicked: %v", what, r))
		}
	}
	if create := o.Create; create != nil {
		o.Create = func(ctx context.Context, e CreateEvent) (c context.Context, attrs map[string]string) {
			c = ctx
			defer catch("Create")
			if cc, a := create(ctx, e); cc != nil {
				c, attrs = cc, a
			} else {
				attrs = a
			}
			return c, attrs
		}
	}
	if call := o.Call; call != nil {
		o.Call = func(ctx context.Context, e CallEvent) {
			defer catch("Call")
			call(ctx, e)
		}
	}
	if handle := o.Handle; handle != nil {
		o.Handle = func(ctx context.Context, e HandleEvent) (hc context.Context, done func([]error)) {
			hc = ctx
			defer catch("Handle")
			c, d := handle(ctx, e)
			if c != nil {
				hc = c
			}
			if d != nil {
				done = func(errs []error) {
					defer catch("Handle's done")
					d(errs)
				}
			}
			return hc, done
		}
	}
	return o
}

// observeCall builds the CallEvent of a batch call over ms, whose entry IDs
// are their indexes, from the answer's failed entries.
func (o *Observer) observeCall(ctx context.Context, op Op, url string, start time.Time, ms []*Message, failed []types.BatchResultErrorEntry, err error) {
	e := CallEvent{Op: op, QueueURL: url, Start: start, Duration: time.Since(start), Err: err, Entries: make([]CallEntry, len(ms))}
	for i, m := range ms {
		e.Entries[i] = CallEntry{Message: m, MessageID: m.ID, Err: err}
	}
	for _, f := range failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(ms) {
			e.Entries[i].Err = newEntryError(f)
		}
	}
	o.Call(ctx, e)
}

// extraAttrs are the attributes of Observer.Create that fit m, and their
// size as SQS counts it; nil when none fit.
func extraAttrs(m *Message, attrs map[string]string, size, limit int) (map[string]string, int) {
	if len(attrs) == 0 || len(m.MessageAttributes)+len(attrs) > maxAttributes {
		return nil, 0
	}
	n := 0
	for k, v := range attrs {
		if _, taken := m.MessageAttributes[k]; taken || !validAttrName(k) || isReservedAttribute(k) || v == "" {
			return nil, 0
		}
		if ok, _ := validSQSText(v); !ok {
			return nil, 0
		}
		n += len(k) + len("String") + len(v)
	}
	if size+n > limit {
		return nil, 0
	}
	return attrs, n
}

// create lets Observer.Create see a message Send takes.
func (s *Sender) create(ctx context.Context, p *pending) {
	c, attrs := s.opts.Observer.Create(ctx, CreateEvent{QueueURL: s.url, Message: p.caller})
	extra, n := extraAttrs(p.msg, attrs, p.size, min(maxMessageBytes, s.opts.MaxBatchBytes))
	p.ctx, p.extra, p.size = c, extra, p.size+n
}

// observeSend reports a SendMessageBatch call.
func (s *Sender) observeSend(ctx context.Context, start time.Time, b []*pending, out batchOutcome) {
	e := CallEvent{Op: OpSend, QueueURL: s.url, Start: start, Duration: time.Since(start), Entries: make([]CallEntry, len(b))}
	for i, p := range b {
		e.Entries[i] = CallEntry{Message: p.caller, MessageID: out.ok[p.index].MessageID, Context: p.ctx, Err: out.failed[p.index]}
	}
	if out.callErr != nil {
		e.Err = out.callErr
	}
	s.opts.Observer.Call(ctx, e)
}

// observeDelete reports a DeleteMessageBatch call.
func (o *Observer) observeDelete(ctx context.Context, url string, start time.Time, items []delItem, out *sqs.DeleteMessageBatchOutput, err error) {
	ms := make([]*Message, len(items))
	for i, it := range items {
		ms[i] = it.m
	}
	var failed []types.BatchResultErrorEntry
	if out != nil {
		failed = out.Failed
	}
	o.observeCall(ctx, OpDelete, url, start, ms, failed, err)
}

// observeVisibility reports a ChangeMessageVisibilityBatch call: a
// heartbeat's extension or a release.
func (o *Observer) observeVisibility(ctx context.Context, why, url string, start time.Time, ms []*Message, out *sqs.ChangeMessageVisibilityBatchOutput, err error) {
	op := OpRelease
	if why == "heartbeat" {
		op = OpExtend
	}
	var failed []types.BatchResultErrorEntry
	if out != nil {
		failed = out.Failed
	}
	o.observeCall(ctx, op, url, start, ms, failed, err)
}
