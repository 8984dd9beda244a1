// Package sqsotel reports what sqsx's Sender, Processor and sqslambda do
// as OpenTelemetry spans and metrics, following OpenTelemetry's messaging
// semantic conventions (version 1.39.0, the one go.opentelemetry.io/otel
// v1.40.0 ships), and carries trace context from Sender to handler:
//
//	obs, err := sqsotel.New() // the global TracerProvider, MeterProvider and propagator
//	if err != nil {
//		return err
//	}
//	s, err := sqsx.NewSender(client, url, func(o *sqsx.SenderOptions) { o.Observer = obs })
//	if err != nil {
//		return err
//	}
//	if _, err := s.Send(ctx, sqsx.Message{Body: "hello"}); err != nil { // a "create" span per message
//		return err
//	}
//	p, err := sqsx.NewProcessor(client, url, func(ctx context.Context, m *sqsx.Message) error {
//		// ctx carries the "process" span, a child of the sender's "create" span.
//		return apply(ctx, m.GroupID, m.Body)
//	}, func(o *sqsx.ProcessorOptions) { o.Observer = obs })
//	if err != nil {
//		return err
//	}
//	return p.Run(ctx)
//
// It lives in a package of its own so that only its users compile
// OpenTelemetry: sqsx's Observer is a plain struct of funcs.
//
// # Spans
//
// Every span has messaging.system "aws_sqs", messaging.operation.name,
// messaging.destination.name (the queue's name) and, where the convention
// has one, messaging.operation.type; it is named "{operation name}
// {queue name}".
//   - create (producer, type create): one per message a Send takes,
//     child of Send's ctx. Its context is the message's creation context,
//     injected by the propagator into the message's attributes (W3C
//     "traceparent" and "tracestate" by default) when they fit SQS's
//     limits (see sqsx.Observer.Create).
//   - send (client, type send): one per SendMessageBatch call, child of
//     Send's ctx, linked to each message's create span (the link carries
//     messaging.message.id once SQS accepted it); batch message count;
//     a failed call, or failed entries, set the status to Error with
//     error.type and record each error.
//   - receive (client, type receive): one per ReceiveMessage call that
//     brought messages or failed, linked to each message's creation
//     context; batch message count.
//   - process (consumer, type process), or dead_letter for
//     ProcessorOptions.DeadLetter: one per handling. For a single message
//     it is a child of the message's creation context (so Sender and
//     handler are one trace) and linked to it; for a batch handler's run
//     it is linked to each message's. The handler's ctx carries it. A
//     failed handling records each error and sets the status to Error
//     with error.type.
//   - delete and release (client, type settle), extend (client, no
//     type: the conventions have none for a visibility extension): one per
//     DeleteMessageBatch or ChangeMessageVisibilityBatch call, linked to
//     each message's creation context.
//
// A creation context is read from the message attributes through the
// propagator, or else from the AWSTraceHeader system attribute (the X-Ray
// format SQS sets for producers traced with X-Ray).
//
// # Metrics
//
// messaging.client.operation.duration (s) for every call,
// messaging.client.sent.messages per message sent or failed,
// messaging.client.consumed.messages per message received and
// messaging.process.duration (s) per handling, with the attributes the
// conventions give them (error.type on failures).
package sqsotel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/semconv/v1.39.0/messagingconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/sqsx"
)

// scope is the instrumentation scope of the spans and metrics.
const scope = "github.com/kumo-go/kumo/sqsx/sqsotel"

// Options adjust New.
type Options struct {
	// TracerProvider makes the spans; default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the metrics; default otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Propagator writes and reads the trace context in message
	// attributes; default otel.GetTextMapPropagator() if one was set
	// (it has fields), else W3C trace context (propagation.TraceContext).
	Propagator propagation.TextMapPropagator
}

type observer struct {
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	duration messagingconv.ClientOperationDuration
	sent     messagingconv.ClientSentMessages
	consumed messagingconv.ClientConsumedMessages
	process  messagingconv.ProcessDuration

	// sets caches the metrics' attribute sets (a set costs allocations
	// on every record otherwise), up to maxSets of them.
	sets  sync.Map // setKey → attribute.Set
	nsets atomic.Int64
}

const maxSets = 1024

// setKey names a metric attribute set: the operation, its type if typed,
// the queue, and the error type ("" for none).
type setKey struct {
	op, dest, errType string
	typed             bool
}

func (o *observer) set(k setKey) attribute.Set {
	if v, ok := o.sets.Load(k); ok {
		return v.(attribute.Set)
	}
	kv := []attribute.KeyValue{semconv.MessagingSystemAWSSQS, semconv.MessagingOperationName(k.op), semconv.MessagingDestinationName(k.dest)}
	if t, ok := opTypes[sqsx.Op(k.op)]; ok && k.typed {
		kv = append(kv, t)
	}
	if k.errType != "" {
		kv = append(kv, semconv.ErrorTypeKey.String(k.errType))
	}
	set := attribute.NewSet(kv...)
	if o.nsets.Add(1) <= maxSets {
		o.sets.Store(k, set)
	}
	return set
}

// New returns an Observer to set as SenderOptions.Observer,
// ProcessorOptions.Observer or sqslambda.Options.Observer. It fails only
// when the MeterProvider refuses an instrument.
func New(optFns ...func(*Options)) (sqsx.Observer, error) {
	var o Options
	opts.Apply(&o, optFns)
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	if o.Propagator == nil {
		o.Propagator = otel.GetTextMapPropagator()
		if len(o.Propagator.Fields()) == 0 {
			o.Propagator = propagation.TraceContext{}
		}
	}
	ob := &observer{
		tracer: o.TracerProvider.Tracer(scope, trace.WithSchemaURL(semconv.SchemaURL)),
		prop:   o.Propagator,
	}
	m := o.MeterProvider.Meter(scope, metric.WithSchemaURL(semconv.SchemaURL))
	var errs [4]error
	ob.duration, errs[0] = messagingconv.NewClientOperationDuration(m)
	ob.sent, errs[1] = messagingconv.NewClientSentMessages(m)
	ob.consumed, errs[2] = messagingconv.NewClientConsumedMessages(m)
	ob.process, errs[3] = messagingconv.NewProcessDuration(m)
	if err := errors.Join(errs[:]...); err != nil {
		return sqsx.Observer{}, fmt.Errorf("sqsotel: making the metric instruments: %w", err)
	}
	return sqsx.Observer{Create: ob.create, Call: ob.call, Handle: ob.handle}, nil
}

// destination is the queue's name, from its URL or ARN.
func destination(queue string) string {
	return queue[strings.LastIndexAny(queue, "/:")+1:]
}

// errorType is the error.type of err: SQS's error code where there is one.
func errorType(err error) string {
	var ee *sqsx.EntryError
	if errors.As(err, &ee) && ee.Code != "" {
		return ee.Code
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() != "" {
		return api.ErrorCode()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return string(messagingconv.ErrorTypeOther)
}

func baseAttrs(op, dest string) []attribute.KeyValue {
	return []attribute.KeyValue{semconv.MessagingSystemAWSSQS, semconv.MessagingOperationName(op), semconv.MessagingDestinationName(dest)}
}

func (o *observer) create(ctx context.Context, e sqsx.CreateEvent) (context.Context, map[string]string) {
	dest := destination(e.QueueURL)
	attrs := append(baseAttrs("create", dest), semconv.MessagingOperationTypeCreate, semconv.MessagingMessageBodySize(len(e.Message.Body)))
	ctx, span := o.tracer.Start(ctx, "create "+dest, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...))
	span.End()
	carrier := propagation.MapCarrier{}
	o.prop.Inject(ctx, carrier)
	return ctx, carrier
}

// creation is the context m was created in, read from its attributes by
// the propagator or, failing that, from AWSTraceHeader; ok is false when
// it has none.
func (o *observer) creation(ctx context.Context, m *sqsx.Message) (context.Context, trace.SpanContext, bool) {
	if len(m.MessageAttributes) > 0 {
		carrier := attrCarrier(m.MessageAttributes)
		// Into an empty context first: ctx may carry a span of its own.
		// Then into ctx, keeping what else the propagator carries.
		if sc := trace.SpanContextFromContext(o.prop.Extract(context.Background(), carrier)); sc.IsValid() {
			return o.prop.Extract(ctx, carrier), sc, true
		}
	}
	if h := traceHeader(m); h != "" {
		if sc, ok := parseXRay(h); ok {
			return trace.ContextWithRemoteSpanContext(ctx, sc), sc, true
		}
	}
	return ctx, trace.SpanContext{}, false
}

// creationSpan is the span context of m's creation context, or an
// invalid one.
func (o *observer) creationSpan(m *sqsx.Message) trace.SpanContext {
	if len(m.MessageAttributes) > 0 {
		if sc := trace.SpanContextFromContext(o.prop.Extract(context.Background(), attrCarrier(m.MessageAttributes))); sc.IsValid() {
			return sc
		}
	}
	if h := traceHeader(m); h != "" {
		if sc, ok := parseXRay(h); ok {
			return sc
		}
	}
	return trace.SpanContext{}
}

// attrCarrier reads a message's String attributes for a propagator (the
// Sender's Observer writes trace context as String attributes).
type attrCarrier map[string]sqsx.Attribute

func (c attrCarrier) Get(key string) string {
	if a, ok := c[key]; ok && strings.HasPrefix(a.DataType, "String") {
		return a.StringValue
	}
	return ""
}

// Set is not used: extraction only reads.
func (c attrCarrier) Set(key, value string) { c[key] = sqsx.StringAttribute(value) }

func (c attrCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// traceHeader is m's AWSTraceHeader system attribute, if any.
func traceHeader(m *sqsx.Message) string {
	if m.TraceHeader != "" {
		return m.TraceHeader
	}
	return m.Attributes["AWSTraceHeader"]
}

var opTypes = map[sqsx.Op]attribute.KeyValue{
	sqsx.OpSend:    semconv.MessagingOperationTypeSend,
	sqsx.OpReceive: semconv.MessagingOperationTypeReceive,
	sqsx.OpDelete:  semconv.MessagingOperationTypeSettle,
	sqsx.OpRelease: semconv.MessagingOperationTypeSettle,
}

func (o *observer) call(ctx context.Context, e sqsx.CallEvent) {
	dest := destination(e.QueueURL)
	op := string(e.Op)
	attrs := baseAttrs(op, dest)
	if t, ok := opTypes[e.Op]; ok {
		attrs = append(attrs, t)
	}
	callErr := ""
	if e.Err != nil {
		callErr = errorType(e.Err)
	}
	o.duration.RecordSet(ctx, e.Duration.Seconds(), o.set(setKey{op: op, dest: dest, errType: callErr, typed: true}))
	switch e.Op {
	case sqsx.OpSend:
		sent := 0
		for _, en := range e.Entries {
			if en.Err != nil {
				o.sent.AddSet(ctx, 1, o.set(setKey{op: op, dest: dest, errType: errorType(en.Err)}))
			} else {
				sent++
			}
		}
		if sent > 0 {
			o.sent.AddSet(ctx, int64(sent), o.set(setKey{op: op, dest: dest}))
		}
	case sqsx.OpReceive:
		if e.Err == nil {
			if len(e.Entries) == 0 {
				return // an empty poll makes no span
			}
			o.consumed.AddSet(ctx, int64(len(e.Entries)), o.set(setKey{op: op, dest: dest}))
		}
	}

	links := make([]trace.Link, 0, len(e.Entries))
	for _, en := range e.Entries {
		var sc trace.SpanContext
		if en.Context != nil {
			sc = trace.SpanContextFromContext(en.Context)
		} else if en.Message != nil {
			sc = o.creationSpan(en.Message)
		}
		if !sc.IsValid() {
			continue
		}
		var la []attribute.KeyValue
		if en.MessageID != "" {
			la = []attribute.KeyValue{semconv.MessagingMessageID(en.MessageID)}
		}
		links = append(links, trace.Link{SpanContext: sc, Attributes: la})
	}
	if len(e.Entries) > 0 {
		attrs = append(attrs, semconv.MessagingBatchMessageCount(len(e.Entries)))
	}
	_, span := o.tracer.Start(ctx, op+" "+dest, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(e.Start),
		trace.WithAttributes(attrs...), trace.WithLinks(links...))
	failed := 0
	var first error
	for _, en := range e.Entries {
		if en.Err != nil && en.Err != e.Err {
			failed++
			if first == nil {
				first = en.Err
			}
			span.RecordError(en.Err, trace.WithAttributes(semconv.MessagingMessageID(en.MessageID)))
		}
	}
	switch {
	case e.Err != nil:
		span.RecordError(e.Err)
		span.SetStatus(codes.Error, e.Err.Error())
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(e.Err)))
	case failed > 0:
		span.SetStatus(codes.Error, fmt.Sprintf("%d of %d entries failed", failed, len(e.Entries)))
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(first)))
	}
	span.End(trace.WithTimestamp(e.Start.Add(e.Duration)))
}

func (o *observer) handle(ctx context.Context, e sqsx.HandleEvent) (context.Context, func([]error)) {
	dest := destination(e.Queue)
	op := "process"
	if e.DeadLetter {
		op = "dead_letter"
	}
	attrs := append(baseAttrs(op, dest), semconv.MessagingOperationTypeProcess)
	parent := ctx
	links := make([]trace.Link, 0, len(e.Messages))
	for _, m := range e.Messages {
		c, sc, ok := o.creation(ctx, m)
		if !ok {
			continue
		}
		if len(e.Messages) == 1 {
			parent = c
		}
		links = append(links, trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{semconv.MessagingMessageID(m.ID)}})
	}
	if len(e.Messages) == 1 {
		attrs = append(attrs, semconv.MessagingMessageID(e.Messages[0].ID))
	} else {
		attrs = append(attrs, semconv.MessagingBatchMessageCount(len(e.Messages)))
	}
	start := time.Now()
	ctx, span := o.tracer.Start(parent, op+" "+dest, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(start),
		trace.WithAttributes(attrs...), trace.WithLinks(links...))
	return ctx, func(errs []error) {
		var first error
		for i, err := range errs {
			if err == nil {
				continue
			}
			if first == nil {
				first = err
			}
			var ea []attribute.KeyValue
			if i < len(e.Messages) && len(e.Messages) > 1 {
				ea = []attribute.KeyValue{semconv.MessagingMessageID(e.Messages[i].ID)}
			}
			span.RecordError(err, trace.WithAttributes(ea...))
		}
		et := ""
		if first != nil {
			et = errorType(first)
			span.SetStatus(codes.Error, first.Error())
			span.SetAttributes(semconv.ErrorTypeKey.String(et))
		}
		end := time.Now()
		span.End(trace.WithTimestamp(end))
		o.process.RecordSet(ctx, end.Sub(start).Seconds(), o.set(setKey{op: op, dest: dest, errType: et}))
	}
}
