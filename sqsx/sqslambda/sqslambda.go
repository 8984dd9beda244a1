// Package sqslambda runs SQS-triggered Lambda batches with sqsx handlers,
// reporting failures per record (ReportBatchItemFailures) and keeping FIFO
// groups in order. It is its own package so that only Lambda users compile
// aws-lambda-go.
//
//	func handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
//		return sqslambda.ProcessEvent(ctx, ev, func(ctx context.Context, m *sqsx.Message) error {
//			return apply(ctx, m.GroupID, m.Body)
//		}, func(o *sqslambda.Options) { o.Concurrency = 8 }), nil
//	}
//
//	func main() { lambda.Start(handle) }
//
// Enable ReportBatchItemFailures on the event source mapping, or a single
// failure fails (and brings back) the whole batch.
package sqslambda

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/sqsx"
)

// Options adjust ProcessEvent.
type Options struct {
	// Concurrency is how many FIFO message groups (or, on a standard
	// queue, records) are handled at once; default 1: every record in
	// event order. Within a group, records are always handled one at a
	// time, in order.
	Concurrency int
	// S3 reads the bodies of records offloaded to S3 in the AWS extended
	// client libraries' format (see sqsx.S3Pointer) before the handler
	// sees them, at most MaxPayloadBytes each (default
	// sqsx.DefaultMaxPayloadBytes; a negative one fails every offloaded
	// record, since ProcessEvent has no error to refuse it with). Without S3 such a record fails with
	// sqsx.ErrPayload instead of reaching the handler with its pointer
	// body, as does one whose object is missing; the record is reported
	// as a batch item failure and through OnError. The objects are not
	// deleted: Lambda deletes the records only after ProcessEvent returns,
	// so a record that came back would find its body gone.
	S3              sqsx.S3API
	MaxPayloadBytes int64
	// OnError hears of every record that failed, with its message ID:
	// handler errors, panics and payloads that could not be read; and of
	// panics in Observer.Handle, which do not fail the record. Default
	// none. It must be safe for concurrent use.
	OnError func(messageID string, err error)
	// Observer hears of each handling (Observer.Handle, with the record's
	// EventSourceARN as the queue); a handler's ctx is the one it
	// returns. The zero Observer hears nothing. See package sqsotel.
	Observer sqsx.Observer
}

// ProcessEvent handles an SQS-triggered Lambda batch and returns the
// response for ReportBatchItemFailures, failures in event order.
//
// On a FIFO queue, once a record of message group G fails, the later
// records of G are reported as failures without being handled: SQS then
// returns them in order, after the failed one. Other groups go on. A
// handler that panics counts as a failure of its record. Once ctx ends,
// the records not yet handled are reported as failures. A Concurrency
// below 1 counts as 1.
func ProcessEvent(ctx context.Context, ev events.SQSEvent, h sqsx.Handler, optFns ...func(*Options)) events.SQSEventResponse {
	o := Options{Concurrency: 1}
	opts.Apply(&o, optFns)
	o.Concurrency = max(o.Concurrency, 1)

	msgs := make([]*sqsx.Message, len(ev.Records))
	var lanes [][]int // record indexes, one lane per FIFO group or standard record
	lane := map[string]int{}
	for i, r := range ev.Records {
		m := &sqsx.Message{ID: r.MessageId, ReceiptHandle: r.ReceiptHandle, Body: r.Body}
		m.SetAttributes(r.Attributes)
		if len(r.MessageAttributes) > 0 {
			m.MessageAttributes = make(map[string]sqsx.Attribute, len(r.MessageAttributes))
			for k, v := range r.MessageAttributes {
				m.MessageAttributes[k] = sqsx.Attribute{DataType: v.DataType, StringValue: aws.ToString(v.StringValue), BinaryValue: v.BinaryValue}
			}
		}
		msgs[i] = m
		switch k, ok := lane[m.GroupID]; {
		case o.Concurrency == 1: // one lane, in event order
			if len(lanes) == 0 {
				lanes = append(lanes, nil)
			}
			lanes[0] = append(lanes[0], i)
		case m.GroupID == "":
			lanes = append(lanes, []int{i})
		case ok:
			lanes[k] = append(lanes[k], i)
		default:
			lane[m.GroupID] = len(lanes)
			lanes = append(lanes, []int{i})
		}
	}

	failed := make([]bool, len(msgs))
	work := make(chan []int)
	var wg sync.WaitGroup
	for range min(o.Concurrency, len(lanes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				halted := map[string]bool{} // FIFO groups with a failure in this lane
				for _, i := range l {
					m := msgs[i]
					if (m.GroupID != "" && halted[m.GroupID]) || ctx.Err() != nil || o.handle(ctx, ev.Records[i].EventSourceARN, h, m) != nil {
						failed[i] = true
						if m.GroupID != "" {
							halted[m.GroupID] = true
						}
					}
				}
			}
		}()
	}
	for _, l := range lanes {
		work <- l
	}
	close(work)
	wg.Wait()

	var resp events.SQSEventResponse
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	return resp
}

// handle reads an offloaded body, then runs h with Observer.Handle
// around it; it reports a failure through OnError.
func (o *Options) handle(ctx context.Context, queue string, h sqsx.Handler, m *sqsx.Message) error {
	err := sqsx.ResolvePayload(ctx, o.S3, m, o.MaxPayloadBytes)
	if err == nil {
		err = observed(ctx, o.Observer, queue, h, m, o.OnError)
	}
	if err != nil && o.OnError != nil {
		o.OnError(m.ID, err)
	}
	return err
}

// observed runs h over m with Observer.Handle around it. A panic in
// Observer.Handle or its done is reported through onError; the handler
// runs all the same, and its outcome stands.
func observed(ctx context.Context, obs sqsx.Observer, queue string, h sqsx.Handler, m *sqsx.Message, onError func(string, error)) error {
	if obs.Handle == nil {
		return safeHandle(ctx, h, m)
	}
	catch := func(what string) {
		if r := recover(); r != nil && onError != nil {
			onError(m.ID, fmt.Errorf("sqslambda: Observer.%s panicked: %v", what, r))
		}
	}
	hctx, done := ctx, func([]error) {}
	func() {
		defer catch("Handle")
		c, d := obs.Handle(ctx, sqsx.HandleEvent{Queue: queue, Messages: []*sqsx.Message{m}})
		if c != nil {
			hctx = c
		}
		if d != nil {
			done = d
		}
	}()
	err := safeHandle(hctx, h, m)
	func() {
		defer catch("Handle's done")
		done([]error{err})
	}()
	return err
}

func safeHandle(ctx context.Context, h sqsx.Handler, m *sqsx.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqslambda: handler panicked: %v", r)
		}
	}()
	return h(ctx, m)
}
