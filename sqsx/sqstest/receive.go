package sqstest

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kumo-go/kumo/internal/fakecall"
)

// ReceiveMessage implements the SDK method, long polls included.
func (f *Fake) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (out *sqs.ReceiveMessageOutput, err error) {
	in = fakecall.Input(in)
	// The random part of each receipt handle the receive may hand out,
	// made before the lock is taken.
	handles := make([]string, min(max(in.MaxNumberOfMessages, 1), 10))
	for i := range handles {
		handles[i] = randID()
	}
	q, err := f.begin("ReceiveMessage", aws.ToString(in.QueueUrl), in)
	if err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "ReceiveMessage", &out, &err)
	n := int(in.MaxNumberOfMessages)
	switch {
	case n == 0:
		n = 1
	case n < 1 || n > 10:
		f.mu.Unlock()
		return nil, apiError("InvalidParameterValue", "Value "+strconv.Itoa(n)+" for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
	}
	if in.WaitTimeSeconds < 0 || in.WaitTimeSeconds > 20 {
		f.mu.Unlock()
		return nil, apiError("InvalidParameterValue", "Value "+strconv.Itoa(int(in.WaitTimeSeconds))+" for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
	}
	if id := in.ReceiveRequestAttemptId; id != nil && q.fifo && !validAttemptID(*id) {
		f.mu.Unlock()
		return nil, apiError("InvalidParameterValue", "Value "+*id+" for parameter ReceiveRequestAttemptId is invalid. Reason: Must be at most 128 of a-z, A-Z, 0-9 and punctuation.")
	}
	if msgs, ok := f.retried(q, in); ok {
		f.mu.Unlock()
		return &sqs.ReceiveMessageOutput{Messages: renderAll(msgs, in)}, nil
	}
	deadline := time.Now().Add(time.Duration(in.WaitTimeSeconds) * time.Second)
	for {
		msgs := f.take(q, in, n, handles)
		if len(msgs) > 0 || !time.Now().Before(deadline) {
			f.mu.Unlock()
			return &sqs.ReceiveMessageOutput{Messages: renderAll(msgs, in)}, nil
		}
		wake := f.arrived
		f.mu.Unlock()
		t := time.NewTimer(min(time.Until(deadline), 50*time.Millisecond)) // also notice the fake clock moving
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
		f.mu.Lock()
	}
}

// visibility is the timeout a receive asks for, or the queue's.
func visibility(q *queue, in *sqs.ReceiveMessageInput) time.Duration {
	if in.VisibilityTimeout > 0 {
		return time.Duration(in.VisibilityTimeout) * time.Second
	}
	return q.opts.VisibilityTimeout
}

// retried answers a FIFO receive that repeats a ReceiveRequestAttemptId of
// the last 5 minutes: while its messages are still in flight under the
// same handles, SQS returns them again and restarts their visibility
// timeout. f.mu is held.
func (f *Fake) retried(q *queue, in *sqs.ReceiveMessageInput) ([]view, bool) {
	id := aws.ToString(in.ReceiveRequestAttemptId)
	if !q.fifo || id == "" {
		return nil, false
	}
	now := f.opts.Clock()
	// Expire from the oldest: a scan of every attempt on every receive
	// made the fake slower the longer it ran.
	for len(q.attemptQ) > 0 {
		k := q.attemptQ[0]
		if a, ok := q.attempts[k]; ok && now.Sub(a.at) < 5*time.Minute {
			break
		} else if ok {
			delete(q.attempts, k)
		}
		q.attemptQ = q.attemptQ[1:]
	}
	a, ok := q.attempts[id]
	if !ok {
		return nil, false
	}
	for i, m := range a.msgs {
		if m.receipt != a.receipts[i] || !m.inflight || !now.Before(m.visibleAt) || q.deleted[m.receipt] {
			delete(q.attempts, id)
			return nil, false
		}
	}
	out := make([]view, len(a.msgs))
	for i, m := range a.msgs {
		m.visibleAt = now.Add(visibility(q, in))
		out[i] = snapshot(m)
	}
	return out, true
}

// take picks up to n deliverable messages and puts them in flight. f.mu is
// held.
func (f *Fake) take(q *queue, in *sqs.ReceiveMessageInput, n int, handles []string) []view {
	now := f.opts.Clock()
	vt := visibility(q, in)
	// Every message in flight is in q.flight, so the scans of what is in
	// flight cost what is in flight, not the queue.
	f.stamp++
	stamp := f.stamp
	kept := q.flight[:0]
	for _, m := range q.flight {
		if m.inflight && !now.Before(m.visibleAt) {
			m.inflight = false
		}
		if !m.inflight || m.gone {
			continue
		}
		if q.fifo {
			m.g.heldAt = stamp
		}
		kept = append(kept, m)
	}
	clear(q.flight[len(kept):])
	q.flight = kept
	var picked []*message
	if q.fifo {
		// SQS "tries to return as many messages with the same message
		// group ID as possible": each deliverable group's messages in
		// order, groups by their oldest message. At most n groups of at
		// most n messages are ever wanted: the n groups whose first
		// message is oldest, among those not held and visible.
		var first []*message // their first messages, oldest first
		kept := q.groupList[:0]
		for _, g := range q.groupList {
			m := g.head()
			if m == nil {
				delete(q.groups, g.id) // a new message of the group makes it anew
				continue
			}
			kept = append(kept, g)
			if g.heldAt == stamp || m.visibleAt.After(now) {
				continue
			}
			if len(first) == n && m.order > first[n-1].order {
				continue
			}
			i := len(first)
			for i > 0 && first[i-1].order > m.order {
				i--
			}
			first = slices.Insert(first, i, m)
			if len(first) > n {
				first = first[:n]
			}
		}
		clear(q.groupList[len(kept):])
		q.groupList = kept
		for _, h := range first {
			for _, m := range h.g.msgs {
				if len(picked) == n || m.visibleAt.After(now) { // keep the group in order
					break
				}
				if !m.gone {
					picked = append(picked, m)
				}
			}
			if len(picked) == n {
				break
			}
		}
	} else {
		var ready []*message
		for _, m := range q.msgs {
			if !m.gone && !m.inflight && !m.visibleAt.After(now) {
				ready = append(ready, m)
			}
		}
		f.rand.Shuffle(len(ready), func(i, j int) { ready[i], ready[j] = ready[j], ready[i] })
		picked = ready[:min(n, len(ready))]
	}
	var out []view
	var a attempt
	for _, m := range picked {
		if q.opts.MaxReceiveCount > 0 && m.receives >= q.opts.MaxReceiveCount {
			if dlq, ok := f.queues[q.opts.DeadLetterQueueURL]; ok {
				delete(q.byReceipt, m.receipt)
				m.inflight, m.receipt, m.visibleAt = false, "", now
				moved := *m
				moved.att = nil
				q.remove(m)
				dlq.msgs = append(dlq.msgs, &moved)
				f.arrivals++
				moved.order = f.arrivals
				if dlq.fifo {
					moved.g = dlq.group(moved.group)
					moved.g.msgs = append(moved.g.msgs, &moved)
				}
				continue
			}
		}
		m.receives++
		if m.receives == 1 {
			m.firstReceive = now
		}
		delete(q.byReceipt, m.receipt)
		m.receipt = handles[len(out)] + "#" + m.id
		q.byReceipt[m.receipt] = m
		m.inflight = true
		m.visibleAt = now.Add(vt)
		q.flight = append(q.flight, m)
		out = append(out, snapshot(m))
		a.msgs, a.receipts = append(a.msgs, m), append(a.receipts, m.receipt)
	}
	if id := aws.ToString(in.ReceiveRequestAttemptId); q.fifo && id != "" && len(out) > 0 {
		a.id, a.at = id, now
		q.attempts[id] = &a
		q.attemptQ = append(q.attemptQ, id)
		for _, m := range a.msgs {
			m.att = &a
		}
	}
	return out
}

func wants(list []string, name string) bool {
	return slices.Contains(list, "All") || slices.Contains(list, ".*") || slices.Contains(list, name)
}

// view is what a receive returns of a message, copied under f.mu so the
// answer is built after the lock is let go.
type view struct {
	id, body, receipt, group, dedupID, seq string
	attrs                                  map[string]types.MessageAttributeValue // never changed after the send
	trace                                  string
	sent, firstReceive                     time.Time
	receives                               int
}

func snapshot(m *message) view {
	return view{id: m.id, body: m.body, receipt: m.receipt, group: m.group, dedupID: m.dedupID, seq: m.seq,
		attrs: m.attrs, trace: m.trace, sent: m.sent, firstReceive: m.firstReceive, receives: m.receives}
}

func renderAll(vs []view, in *sqs.ReceiveMessageInput) []types.Message {
	if len(vs) == 0 {
		return nil
	}
	out := make([]types.Message, len(vs))
	for i, m := range vs {
		out[i] = m.render(in)
	}
	return out
}

func (m view) render(in *sqs.ReceiveMessageInput) types.Message {
	//lint:ignore SA1019 callers may still set the older field; the fake honours both.
	names := make([]string, 0, len(in.AttributeNames)+len(in.MessageSystemAttributeNames))
	//lint:ignore SA1019 as above.
	for _, a := range in.AttributeNames {
		names = append(names, string(a))
	}
	for _, a := range in.MessageSystemAttributeNames {
		names = append(names, string(a))
	}
	sys := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(m.receives),
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
		"SenderId":                         "AIDAKUMOTEST",
	}
	if m.trace != "" {
		sys["AWSTraceHeader"] = m.trace
	}
	if m.group != "" {
		sys["MessageGroupId"], sys["MessageDeduplicationId"], sys["SequenceNumber"] = m.group, m.dedupID, m.seq
	}
	attrs := map[string]string{}
	for k, v := range sys {
		if wants(names, k) {
			attrs[k] = v
		}
	}
	out := types.Message{MessageId: aws.String(m.id), ReceiptHandle: aws.String(m.receipt), Body: aws.String(m.body)}
	if len(attrs) > 0 {
		out.Attributes = attrs
	}
	if len(m.attrs) > 0 && len(in.MessageAttributeNames) > 0 {
		out.MessageAttributes = map[string]types.MessageAttributeValue{}
		for k, v := range m.attrs {
			if wants(in.MessageAttributeNames, k) {
				out.MessageAttributes[k] = v
			}
		}
	}
	return out
}

// find returns the message a receipt handle names, if it is still the
// current handle. f.mu is held.
func (q *queue) find(receipt string) (*message, bool) {
	m, ok := q.byReceipt[receipt]
	return m, ok && m.receipt == receipt
}

// DeleteMessageBatch implements the SDK method. A handle that is no longer
// current (the message was received again) fails its entry with
// ReceiptHandleIsInvalid.
func (f *Fake) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	in = fakecall.Input(in)
	return f.deleteBatch("DeleteMessageBatch", in, in)
}

// deleteBatch deletes a batch for operation op, whose own input is logged.
func (f *Fake) deleteBatch(op string, logged any, in *sqs.DeleteMessageBatchInput) (out *sqs.DeleteMessageBatchOutput, err error) {
	invalid := checkEntries(in.Entries, func(e types.DeleteMessageBatchRequestEntry) *string { return e.Id }) // before the lock
	q, err := f.begin(op, aws.ToString(in.QueueUrl), logged)
	if err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, op, &out, &err)
	if invalid != nil {
		return nil, invalid
	}
	out = &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		id, receipt := aws.ToString(e.Id), aws.ToString(e.ReceiptHandle)
		if f.opts.EntryFault != nil {
			if fe := f.opts.EntryFault("DeleteMessageBatch", id); fe != nil {
				out.Failed = append(out.Failed, *fe)
				continue
			}
		}
		m, ok := q.find(receipt)
		switch {
		case ok:
			q.remove(m)
			delete(q.byReceipt, receipt)
			q.deleted[receipt] = true
		case !q.deleted[receipt]:
			out.Failed = append(out.Failed, errEntry(id, "ReceiptHandleIsInvalid", "The receipt handle has expired or is not the latest.", true))
			continue
		}
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: aws.String(id)})
	}
	f.signal() // a deleted FIFO message may free its group
	return out, nil
}

// DeleteMessage implements the SDK method (for per-message baselines).
func (f *Fake) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	in = fakecall.Input(in)
	out, err := f.deleteBatch("DeleteMessage", in, &sqs.DeleteMessageBatchInput{QueueUrl: in.QueueUrl,
		Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("m"), ReceiptHandle: in.ReceiptHandle}}})
	if err != nil {
		return nil, err
	}
	if len(out.Failed) > 0 {
		return nil, apiError(aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message))
	}
	return &sqs.DeleteMessageOutput{}, nil
}

// ChangeMessageVisibilityBatch implements the SDK method: 0 releases a
// message at once; at most 12 hours.
func (f *Fake) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (out *sqs.ChangeMessageVisibilityBatchOutput, err error) {
	in = fakecall.Input(in)
	q, err := f.begin("ChangeMessageVisibilityBatch", aws.ToString(in.QueueUrl), in)
	if err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ChangeMessageVisibilityBatch", &out, &err)
	if err := checkEntries(in.Entries, func(e types.ChangeMessageVisibilityBatchRequestEntry) *string { return e.Id }); err != nil {
		return nil, err
	}
	now := f.opts.Clock()
	out = &sqs.ChangeMessageVisibilityBatchOutput{}
	for _, e := range in.Entries {
		id := aws.ToString(e.Id)
		if f.opts.EntryFault != nil {
			if fe := f.opts.EntryFault("ChangeMessageVisibilityBatch", id); fe != nil {
				out.Failed = append(out.Failed, *fe)
				continue
			}
		}
		if e.VisibilityTimeout < 0 || e.VisibilityTimeout > 43200 {
			out.Failed = append(out.Failed, errEntry(id, "InvalidParameterValue", "Value "+strconv.Itoa(int(e.VisibilityTimeout))+" for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", true))
			continue
		}
		m, ok := q.find(aws.ToString(e.ReceiptHandle))
		switch {
		case !ok:
			out.Failed = append(out.Failed, errEntry(id, "ReceiptHandleIsInvalid", "The receipt handle has expired or is not the latest.", true))
			continue
		case !m.inflight || !now.Before(m.visibleAt):
			out.Failed = append(out.Failed, errEntry(id, "AWS.SimpleQueueService.MessageNotInflight", "Message does not exist or is not available for visibility timeout change.", true))
			continue
		}
		m.visibleAt = now.Add(time.Duration(e.VisibilityTimeout) * time.Second)
		if e.VisibilityTimeout == 0 {
			m.inflight = false
		}
		out.Successful = append(out.Successful, types.ChangeMessageVisibilityBatchResultEntry{Id: aws.String(id)})
	}
	f.signal()
	return out, nil
}

// GetQueueAttributes implements the SDK method.
func (f *Fake) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (out *sqs.GetQueueAttributesOutput, err error) {
	in = fakecall.Input(in)
	q, err := f.begin("GetQueueAttributes", aws.ToString(in.QueueUrl), in)
	if err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GetQueueAttributes", &out, &err)
	now := f.opts.Clock()
	visible, inflight := 0, 0
	for _, m := range q.msgs {
		if m.gone {
			continue
		}
		if m.inflight && now.Before(m.visibleAt) {
			inflight++
		} else if !m.visibleAt.After(now) {
			visible++
		}
	}
	all := map[string]string{
		"QueueArn":                              "arn:aws:sqs:" + f.opts.Region + ":" + f.opts.AccountID + ":" + q.name,
		"VisibilityTimeout":                     strconv.Itoa(int(q.opts.VisibilityTimeout / time.Second)),
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inflight),
		"FifoQueue":                             strconv.FormatBool(q.fifo),
		"ContentBasedDeduplication":             strconv.FormatBool(q.opts.ContentBasedDeduplication),
	}
	if q.opts.MaxReceiveCount > 0 {
		all["RedrivePolicy"] = `{"deadLetterTargetArn":"` + q.opts.DeadLetterQueueURL + `","maxReceiveCount":` + strconv.Itoa(q.opts.MaxReceiveCount) + `}`
	}
	names := make([]string, len(in.AttributeNames))
	for i, a := range in.AttributeNames {
		names[i] = string(a)
	}
	attrs := map[string]string{}
	for k, v := range all {
		if wants(names, k) {
			attrs[k] = v
		}
	}
	return &sqs.GetQueueAttributesOutput{Attributes: attrs}, nil
}

// validAttemptID reports whether s is a ReceiveRequestAttemptId SQS takes:
// at most 128 of a-z, A-Z, 0-9 and ASCII punctuation.
func validAttemptID(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
