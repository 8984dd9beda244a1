package sqsx

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// ProcessEvent handles an SQS-triggered Lambda batch and returns the
// response for ReportBatchItemFailures (enable it on the event source
// mapping, or a failure fails the whole batch).
//
// Records are handled in order. On a FIFO queue, once a record of message
// group G fails, the later records of G are reported as failures without
// being handled: SQS then returns them in order, after the failed one.
// Other groups go on. A handler that panics counts as a failure of its
// record. If ctx ends, the records not yet handled are reported as
// failures.
func ProcessEvent(ctx context.Context, ev events.SQSEvent, h Handler) events.SQSEventResponse {
	var resp events.SQSEventResponse
	failed := map[string]bool{} // FIFO groups halted in this batch
	for _, r := range ev.Records {
		m := &Message{ID: r.MessageId, ReceiptHandle: r.ReceiptHandle, Body: r.Body}
		m.fromAttributes(r.Attributes)
		if len(r.MessageAttributes) > 0 {
			m.MessageAttributes = map[string]string{}
			for k, v := range r.MessageAttributes {
				if v.StringValue != nil {
					m.MessageAttributes[k] = *v.StringValue
				}
			}
		}
		halted := m.GroupID != "" && failed[m.GroupID]
		if halted || ctx.Err() != nil || safeHandle(ctx, h, m) != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			if m.GroupID != "" {
				failed[m.GroupID] = true
			}
		}
	}
	return resp
}

func safeHandle(ctx context.Context, h Handler, m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqsx: handler panicked: %v", r)
		}
	}()
	return h(ctx, m)
}
