package sqslambda_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqslambda"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// A Lambda function fed by an S3 -> SQS pipeline: each record's body is an
// S3 notification; the test event is acknowledged and skipped.
func ExampleProcessEvent() {
	handler := func(_ context.Context, m *sqsx.Message) error {
		ev, err := sqsx.ParseS3Event([]byte(m.Body))
		if err != nil {
			return err // reported as this record's failure; it comes back
		}
		if ev.Test != nil {
			return nil
		}
		for _, r := range ev.Records {
			fmt.Printf("%s s3://%s/%s (%d bytes)\n", r.EventName, r.Bucket, r.Key, r.Size)
		}
		return nil
	}
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "1", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"uploads"}`},
		{MessageId: "2", Body: `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"a+b%2Bc.txt","size":5}}}]}`},
		{MessageId: "3", Body: `not json`},
	}}
	resp := sqslambda.ProcessEvent(context.Background(), batch, handler)
	fmt.Println("failed:", resp.BatchItemFailures[0].ItemIdentifier)
	// Output:
	// ObjectCreated:Put s3://uploads/a b+c.txt (5 bytes)
	// failed: 3
}

func record(id, group, body string) events.SQSMessage {
	attrs := map[string]string{"ApproximateReceiveCount": "2", "SentTimestamp": "1795352400000"}
	if group != "" {
		attrs["MessageGroupId"] = group
		attrs["SequenceNumber"] = "1000" + id
	}
	s := "v-" + id
	return events.SQSMessage{MessageId: id, Body: body, Attributes: attrs,
		MessageAttributes: map[string]events.SQSMessageAttribute{"trace": {StringValue: &s, DataType: "String"}}}
}

func failures(r events.SQSEventResponse) []string {
	var ids []string
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestProcessEventFIFO(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{
		record("1", "A", "a1"), record("2", "B", "b1"), record("3", "A", "a2-fails"),
		record("4", "A", "a3"), record("5", "B", "b2"), record("6", "A", "a4"),
	}}
	var handled []string
	resp := sqslambda.ProcessEvent(context.Background(), ev, func(_ context.Context, m *sqsx.Message) error {
		handled = append(handled, m.Body)
		assert.Equal(t, 2, m.ReceiveCount)
		assert.Equal(t, time.UnixMilli(1795352400000).UTC(), m.SentAt)
		assert.Equal(t, sqsx.StringAttribute("v-"+m.ID), m.MessageAttributes["trace"])
		if strings.HasSuffix(m.Body, "fails") {
			return errors.New("boom")
		}
		return nil
	})
	assert.Equal(t, []string{"a1", "b1", "a2-fails", "b2"}, handled, "A stops at its failure; B goes on")
	assert.Equal(t, []string{"3", "4", "6"}, failures(resp))
}

func TestProcessEventStandard(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{record("1", "", "ok"), record("2", "", "fails"), record("3", "", "panics"), record("4", "", "ok")}}
	var handled int
	resp := sqslambda.ProcessEvent(context.Background(), ev, func(_ context.Context, m *sqsx.Message) error {
		handled++
		switch m.Body {
		case "fails":
			return errors.New("no")
		case "panics":
			panic("handler bug")
		}
		return nil
	})
	assert.Equal(t, 4, handled, "standard queues do not halt")
	assert.Equal(t, []string{"2", "3"}, failures(resp))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp = sqslambda.ProcessEvent(ctx, ev, func(context.Context, *sqsx.Message) error { t.Fatal("called after cancel"); return nil })
	assert.Equal(t, []string{"1", "2", "3", "4"}, failures(resp))
}

// TestProcessEventGroupsInParallel: with Concurrency, FIFO groups run at
// once (A's first record waits for B's to start, which one lane at a time
// could never do), each group still in order and halted at its failure.
func TestProcessEventGroupsInParallel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ev := events.SQSEvent{Records: []events.SQSMessage{
		record("1", "A", "a1"), record("2", "B", "b1"), record("3", "A", "a2-fails"),
		record("4", "C", "c1"), record("5", "A", "a3"), record("6", "B", "b2"), record("7", "C", "c2"),
	}}
	var mu sync.Mutex
	order := map[string][]string{}
	bStarted := make(chan struct{})
	resp := sqslambda.ProcessEvent(ctx, ev, func(ctx context.Context, m *sqsx.Message) error {
		switch m.Body {
		case "b1":
			close(bStarted)
		case "a1":
			select {
			case <-bStarted:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		mu.Lock()
		order[m.GroupID] = append(order[m.GroupID], m.Body)
		mu.Unlock()
		if strings.HasSuffix(m.Body, "fails") {
			return errors.New("boom")
		}
		return nil
	}, func(o *sqslambda.Options) { o.Concurrency = 3 })
	assert.Equal(t, map[string][]string{"A": {"a1", "a2-fails"}, "B": {"b1", "b2"}, "C": {"c1", "c2"}}, order)
	assert.Equal(t, []string{"3", "5"}, failures(resp), "in event order")
	assert.NoError(t, ctx.Err(), "a1 saw b1 start")
}

// TestProcessEventResolvesPayloads: records offloaded by the extended
// client libraries (current and legacy names, built by hand) reach the
// handler with their S3 body and every attribute type; a missing object
// fails its record with a typed error and is never handled.
func TestProcessEventResolvesPayloads(t *testing.T) {
	store := sqstest.NewS3()
	store.PutRaw("lib", "k1", []byte("from java"))
	store.PutRaw("lib", "k2", []byte("from v1"))
	n := func(v string) *string { return &v }
	ptr := func(class, key string) string {
		return fmt.Sprintf(`[%q,{"s3BucketName":"lib","s3Key":%q}]`, class, key)
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "1", Body: ptr("software.amazon.payloadoffloading.PayloadS3Pointer", "k1"), MessageAttributes: map[string]events.SQSMessageAttribute{
			"ExtendedPayloadSize": {DataType: "Number", StringValue: n("9")}, "bin": {DataType: "Binary.gzip", BinaryValue: []byte{1, 2}}}},
		{MessageId: "2", Body: ptr("com.amazon.sqs.javamessaging.MessageS3Pointer", "k2"), MessageAttributes: map[string]events.SQSMessageAttribute{
			"SQSLargePayloadSize": {DataType: "Number", StringValue: n("7")}}},
		{MessageId: "3", Body: ptr("software.amazon.payloadoffloading.PayloadS3Pointer", "gone"), MessageAttributes: map[string]events.SQSMessageAttribute{
			"ExtendedPayloadSize": {DataType: "Number", StringValue: n("4")}}},
	}}
	var mu sync.Mutex
	bodies := map[string]string{}
	reported := map[string]error{}
	resp := sqslambda.ProcessEvent(context.Background(), ev, func(_ context.Context, m *sqsx.Message) error {
		mu.Lock()
		defer mu.Unlock()
		bodies[m.ID] = m.Body
		if m.ID == "1" {
			assert.Equal(t, map[string]sqsx.Attribute{"bin": {DataType: "Binary.gzip", BinaryValue: []byte{1, 2}}}, m.MessageAttributes)
		}
		return nil
	}, func(o *sqslambda.Options) {
		o.S3 = store
		o.OnError = func(id string, err error) { mu.Lock(); reported[id] = err; mu.Unlock() }
	})
	assert.Equal(t, []string{"3"}, failures(resp))
	assert.Equal(t, map[string]string{"1": "from java", "2": "from v1"}, bodies)
	var nsk *s3types.NoSuchKey
	assert.ErrorAs(t, reported["3"], &nsk)
	assert.ErrorIs(t, reported["3"], sqsx.ErrPayload)
	assert.Equal(t, []string{"k1", "k2"}, store.Keys("lib"), "Lambda deletes records after ProcessEvent: objects stay")

	// Without an S3 client a pointer never reaches the handler as a body.
	resp = sqslambda.ProcessEvent(context.Background(), events.SQSEvent{Records: ev.Records[:1]}, func(context.Context, *sqsx.Message) error {
		t.Error("handled a pointer body")
		return nil
	})
	assert.Equal(t, []string{"1"}, failures(resp))

	// Nor with a negative MaxPayloadBytes, which is not taken as the default.
	var negErr error
	resp = sqslambda.ProcessEvent(context.Background(), events.SQSEvent{Records: ev.Records[:1]}, func(context.Context, *sqsx.Message) error {
		t.Error("handled with a negative MaxPayloadBytes")
		return nil
	}, func(o *sqslambda.Options) {
		o.S3, o.MaxPayloadBytes = store, -1
		o.OnError = func(_ string, err error) { negErr = err }
	})
	assert.Equal(t, []string{"1"}, failures(resp))
	assert.ErrorContains(t, negErr, "maxBytes -1: use a positive size")
}

// TestProcessEventObserverPanic: a panic in Observer.Handle or its done is
// reported through OnError; the record is handled and its outcome stands.
func TestProcessEventObserverPanic(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "1", Body: "a"}, {MessageId: "2", Body: "b"}}}
	for name, obs := range map[string]sqsx.Observer{
		"Handle": {Handle: func(context.Context, sqsx.HandleEvent) (context.Context, func([]error)) { panic("observer bug") }},
		"Handle's done": {Handle: func(ctx context.Context, _ sqsx.HandleEvent) (context.Context, func([]error)) {
			return ctx, func([]error) { panic("observer bug") }
		}},
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var handled []string
			reported := map[string]error{}
			resp := sqslambda.ProcessEvent(context.Background(), ev, func(_ context.Context, m *sqsx.Message) error {
				mu.Lock()
				defer mu.Unlock()
				handled = append(handled, m.ID)
				if m.ID == "2" {
					return errors.New("failed")
				}
				return nil
			}, func(o *sqslambda.Options) {
				o.Observer, o.Concurrency = obs, 2
				o.OnError = func(id string, err error) { mu.Lock(); reported[id] = err; mu.Unlock() }
			})
			assert.Equal(t, []string{"2"}, failures(resp))
			assert.ElementsMatch(t, []string{"1", "2"}, handled)
			assert.ErrorContains(t, reported["1"], "sqslambda: Observer."+name+" panicked: observer bug")
		})
	}
}

// A nil option func is skipped: ProcessEvent answers with its defaults,
// Concurrency 1 handling every record in event order.
func TestProcessEventSkipsNilOptionFuncs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev := events.SQSEvent{Records: []events.SQSMessage{record("1", "", "a"), record("2", "", "b"), record("3", "", "c")}}
	var handled []string
	var resp events.SQSEventResponse
	assert.NotPanics(t, func() {
		resp = sqslambda.ProcessEvent(ctx, ev, func(_ context.Context, m *sqsx.Message) error {
			handled = append(handled, m.Body)
			return nil
		}, nil)
	})
	assert.Equal(t, []string{"a", "b", "c"}, handled)
	assert.Empty(t, failures(resp))
}
