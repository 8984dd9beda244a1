package sqsotel_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqslambda"
	"github.com/kumo-go/kumo/sqsx/sqsotel"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// telemetry is an in-memory OpenTelemetry SDK: spans recorded, metrics
// read on demand.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	obs    sqsx.Observer
}

func newTelemetry(t *testing.T) *telemetry {
	te := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	te.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(te.spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(te.reader))
	obs, err := sqsotel.New(func(o *sqsotel.Options) { o.TracerProvider = te.tp; o.MeterProvider = mp })
	require.NoError(t, err)
	te.obs = obs
	return te
}

// A nil option func is skipped: New answers with its defaults (the global
// providers).
func TestNewSkipsNilOptionFuncs(t *testing.T) {
	var obs sqsx.Observer
	var err error
	require.NotPanics(t, func() { obs, err = sqsotel.New(nil) })
	require.NoError(t, err)
	assert.NotNil(t, obs)
}

// ended returns the ended spans named name.
func (te *telemetry) ended(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range te.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func attrs(s sdktrace.ReadOnlySpan) map[string]any {
	m := map[string]any{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

func linkIDs(s sdktrace.ReadOnlySpan) []trace.SpanID {
	var out []trace.SpanID
	for _, l := range s.Links() {
		out = append(out, l.SpanContext.SpanID())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func sortedIDs(ids ...trace.SpanID) []trace.SpanID {
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	return ids
}

// TestTraceFromSenderToHandler sends two messages under one span, through
// sqstest, to a Processor whose handler fails one: every span of the way,
// their parents, links, attributes and errors, and the metrics.
func TestTraceFromSenderToHandler(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	te := newTelemetry(t)
	f := sqstest.New()
	url := f.CreateQueue("orders", sqstest.QueueOptions{})

	s, err := sqsx.NewSender(f, url, func(o *sqsx.SenderOptions) { o.Observer = te.obs })
	require.NoError(t, err)
	reqCtx, req := te.tp.Tracer("test").Start(ctx, "request")
	res, err := s.Send(reqCtx, sqsx.Message{Body: "ok"}, sqsx.Message{Body: "bad"})
	require.NoError(t, err)
	req.End()
	ids := map[string]string{"ok": res[0].MessageID, "bad": res[1].MessageID}

	var mu sync.Mutex
	handlerSpans := map[string]trace.SpanContext{}
	released := make(chan struct{})
	deleted := make(chan struct{}, 1)
	p, err := sqsx.NewProcessor(f, url, func(ctx context.Context, m *sqsx.Message) error {
		mu.Lock()
		handlerSpans[m.Body] = trace.SpanContextFromContext(ctx)
		mu.Unlock()
		if m.Body == "bad" {
			return errors.New("boom")
		}
		return nil
	}, func(o *sqsx.ProcessorOptions) {
		o.Observer = te.obs
		obsCall := o.Observer.Call
		o.Observer.Call = func(ctx context.Context, e sqsx.CallEvent) {
			obsCall(ctx, e)
			if e.Op == sqsx.OpRelease {
				close(released)
			}
			if e.Op == sqsx.OpDelete {
				select {
				case deleted <- struct{}{}:
				default: // one pending signal is enough: the loop reads Len again
				}
			}
		}
		o.WaitTime = time.Second
		o.RetryBackoff = func(int) time.Duration { return time.Hour }
		o.OnError = func(error) {}
	})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	select {
	case <-released:
	case <-ctx.Done():
		t.Fatal("the failed message was not released")
	}
	for f.Len(url) > 1 { // until "ok" is deleted
		select {
		case <-deleted:
		case <-ctx.Done():
			t.Fatal("the handled message was not deleted")
		}
	}
	stop()
	require.NoError(t, <-done)

	reqSC := req.SpanContext()
	base := map[string]any{"messaging.system": "aws_sqs", "messaging.destination.name": "orders"}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	creates := te.ended("create orders")
	require.Len(t, creates, 2)
	create := map[string]sdktrace.ReadOnlySpan{}
	for _, c := range creates {
		assert.Equal(t, trace.SpanKindProducer, c.SpanKind())
		assert.Equal(t, reqSC.SpanID(), c.Parent().SpanID(), "create is a child of Send's ctx")
		assert.Equal(t, reqSC.TraceID(), c.SpanContext().TraceID())
		body := map[int64]string{2: "ok", 3: "bad"}[attrs(c)["messaging.message.body.size"].(int64)]
		create[body] = c
		assert.Equal(t, with(map[string]any{"messaging.operation.name": "create", "messaging.operation.type": "create",
			"messaging.message.body.size": int64(len(body))}), attrs(c))
	}
	require.Len(t, create, 2)

	sends := te.ended("send orders")
	require.Len(t, sends, 1)
	send := sends[0]
	assert.Equal(t, trace.SpanKindClient, send.SpanKind())
	assert.Equal(t, reqSC.SpanID(), send.Parent().SpanID())
	assert.Equal(t, with(map[string]any{"messaging.operation.name": "send", "messaging.operation.type": "send", "messaging.batch.message_count": int64(2)}), attrs(send))
	assert.Equal(t, sortedIDs(create["ok"].SpanContext().SpanID(), create["bad"].SpanContext().SpanID()), linkIDs(send))
	for _, l := range send.Links() {
		want := ids["ok"]
		if l.SpanContext.SpanID() == create["bad"].SpanContext().SpanID() {
			want = ids["bad"]
		}
		assert.Equal(t, []attribute.KeyValue{attribute.String("messaging.message.id", want)}, l.Attributes)
	}
	assert.Equal(t, codes.Unset, send.Status().Code)

	var received int
	for _, r := range te.ended("receive orders") {
		assert.Equal(t, trace.SpanKindClient, r.SpanKind())
		assert.False(t, r.Parent().IsValid(), "a receive starts a trace of its own")
		n := attrs(r)["messaging.batch.message_count"].(int64)
		assert.Equal(t, with(map[string]any{"messaging.operation.name": "receive", "messaging.operation.type": "receive", "messaging.batch.message_count": n}), attrs(r))
		assert.Len(t, r.Links(), int(n), "a link to each message's creation context")
		received += int(n)
	}
	assert.Equal(t, 2, received)

	processes := te.ended("process orders")
	require.Len(t, processes, 2)
	for _, pr := range processes {
		body := "ok"
		if attrs(pr)["messaging.message.id"] == ids["bad"] {
			body = "bad"
		}
		c := create[body].SpanContext()
		assert.Equal(t, trace.SpanKindConsumer, pr.SpanKind())
		assert.Equal(t, c.TraceID(), pr.SpanContext().TraceID(), "one trace from Sender to handler")
		assert.Equal(t, c.SpanID(), pr.Parent().SpanID(), "process is a child of the message's create span")
		assert.True(t, pr.Parent().IsRemote())
		assert.Equal(t, []trace.SpanID{c.SpanID()}, linkIDs(pr))
		assert.Equal(t, pr.SpanContext(), handlerSpans[body], "the handler's ctx carries the process span")
		want := with(map[string]any{"messaging.operation.name": "process", "messaging.operation.type": "process", "messaging.message.id": ids[body]})
		if body == "bad" {
			want["error.type"] = "_OTHER"
			assert.Equal(t, codes.Error, pr.Status().Code)
			assert.Equal(t, "boom", pr.Status().Description)
			require.Len(t, pr.Events(), 1)
			assert.Equal(t, "exception", pr.Events()[0].Name)
		} else {
			assert.Equal(t, codes.Unset, pr.Status().Code)
			assert.Empty(t, pr.Events())
		}
		assert.Equal(t, want, attrs(pr))
	}

	for name, body := range map[string]string{"delete orders": "ok", "release orders": "bad"} {
		spans := te.ended(name)
		require.Len(t, spans, 1, name)
		op := name[:len(name)-len(" orders")]
		assert.Equal(t, trace.SpanKindClient, spans[0].SpanKind())
		assert.Equal(t, with(map[string]any{"messaging.operation.name": op, "messaging.operation.type": "settle", "messaging.batch.message_count": int64(1)}), attrs(spans[0]))
		assert.Equal(t, []trace.SpanID{create[body].SpanContext().SpanID()}, linkIDs(spans[0]))
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, te.reader.Collect(ctx, &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	assert.Equal(t, "github.com/kumo-go/kumo/sqsx/sqsotel", rm.ScopeMetrics[0].Scope.Name)
	got := map[string]map[string]float64{} // metric name, then attribute set, then sum or count
	for _, m := range rm.ScopeMetrics[0].Metrics {
		got[m.Name] = map[string]float64{}
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				got[m.Name][p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Value)
			}
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				got[m.Name][p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Count)
			}
		}
	}
	dest := "messaging.destination.name=orders,"
	assert.Equal(t, map[string]float64{dest + "messaging.operation.name=send,messaging.system=aws_sqs": 2}, got["messaging.client.sent.messages"])
	assert.Equal(t, map[string]float64{dest + "messaging.operation.name=receive,messaging.system=aws_sqs": 2}, got["messaging.client.consumed.messages"])
	assert.Equal(t, map[string]float64{
		dest + "messaging.operation.name=process,messaging.system=aws_sqs":                        1,
		"error.type=_OTHER," + dest + "messaging.operation.name=process,messaging.system=aws_sqs": 1,
	}, got["messaging.process.duration"])
	ops := got["messaging.client.operation.duration"]
	assert.Equal(t, float64(1), ops[dest+"messaging.operation.name=send,messaging.operation.type=send,messaging.system=aws_sqs"])
	assert.Equal(t, float64(1), ops[dest+"messaging.operation.name=delete,messaging.operation.type=settle,messaging.system=aws_sqs"])
	assert.Equal(t, float64(1), ops[dest+"messaging.operation.name=release,messaging.operation.type=settle,messaging.system=aws_sqs"])
	assert.GreaterOrEqual(t, ops[dest+"messaging.operation.name=receive,messaging.operation.type=receive,messaging.system=aws_sqs"], float64(1))
}

// TestXRayParent: a message without trace context in its attributes but
// with AWSTraceHeader (from a producer traced with X-Ray) is handled in
// the X-Ray trace; the Lambda helper's handler gets the process span too.
func TestXRayParent(t *testing.T) {
	te := newTelemetry(t)
	var inHandler trace.SpanContext
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: "x", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:jobs",
		Attributes: map[string]string{"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}}}}
	resp := sqslambda.ProcessEvent(context.Background(), ev, func(ctx context.Context, m *sqsx.Message) error {
		inHandler = trace.SpanContextFromContext(ctx)
		return nil
	}, func(o *sqslambda.Options) { o.Observer = te.obs })
	assert.Empty(t, resp.BatchItemFailures)
	spans := te.ended("process jobs")
	require.Len(t, spans, 1)
	sp := spans[0]
	assert.Equal(t, "5759e988bd862e3fe1be46a994272793", sp.SpanContext().TraceID().String())
	assert.Equal(t, "53995c3f42cd8ad8", sp.Parent().SpanID().String())
	assert.Equal(t, sp.SpanContext(), inHandler)
	assert.Equal(t, "m1", attrs(sp)["messaging.message.id"])
}
