package sqsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kumo-go/kumo/internal/opts"
)

var (
	// ErrInvalidMessage is wrapped by the result of a message refused
	// before sending; the message says what is wrong and what is allowed.
	ErrInvalidMessage = errors.New("sqsx: invalid message")
	// ErrGroupHalted is the result of a FIFO message not sent because an
	// earlier message of its group in the same Send failed: sending it
	// would have broken the group's order.
	ErrGroupHalted = errors.New("sqsx: not sent: an earlier message of its FIFO group failed")
	// ErrOutOfOrder is the result of a FIFO message that SQS accepted
	// although an earlier message of its group in the same Send was not
	// sent: SQS answers each entry of a batch on its own, so a later entry
	// of a group can be enqueued when an earlier one fails. The message is
	// in the queue (its SendResult has a MessageID), ahead of the missing
	// one. It happens only with SenderOptions.MaxGroupEntries above 1.
	ErrOutOfOrder = errors.New("sqsx: sent out of order: an earlier message of its FIFO group was not sent")
)

// SendResult is the outcome of one message, at its index in Send's input.
type SendResult struct {
	MessageID      string
	SequenceNumber string // FIFO queues
	Err            error  // nil when SQS accepted the message
	// Payload is where the body went when it was offloaded to S3
	// (SenderOptions.OffloadBucket) and the message is in the queue.
	Payload *S3Pointer
}

// BatchError summarises the messages a Send did not send, or sent out of
// order. errors.Is and errors.As see every message's error
// (ErrInvalidMessage, ErrGroupHalted, ErrOutOfOrder, *EntryError,
// context.Canceled, ...).
type BatchError struct {
	// Sent counts the messages whose Err is nil, Failed the others.
	Sent, Failed int
	// OutOfOrder counts the failed messages that are in the queue
	// nonetheless, ahead of an earlier message of their group
	// (ErrOutOfOrder).
	OutOfOrder int
	// FirstIndex and First are the first failure in input order.
	FirstIndex int
	First      error
	errs       []error
}

// Error counts the failures and quotes the first.
func (e *BatchError) Error() string {
	return fmt.Sprintf("sqsx: %d of %d messages not sent; first, message %d: %v", e.Failed, e.Sent+e.Failed, e.FirstIndex, e.First)
}

// Unwrap returns the errors of every failed message.
func (e *BatchError) Unwrap() []error { return e.errs }

// SenderOptions adjust a Sender. The zero value of each option means its
// default.
type SenderOptions struct {
	// MaxBatchBytes caps a batch's payload (bodies and attributes, counted
	// as [Message.Size] does), 1 KiB to 1 MiB; default 1 MiB, SQS's limit.
	// Set 256 KiB for older limits or SNS fan-out.
	MaxBatchBytes int
	// MaxInFlight is how many SendMessageBatch calls run at once; default 4.
	MaxInFlight int
	// MaxAttempts bounds tries per message for retryable entry failures;
	// default 5. Backoff starts at BaseDelay (default 50 ms), doubles, is
	// capped at MaxDelay (default 5 s, and at least BaseDelay) and is
	// jittered.
	MaxAttempts         int
	BaseDelay, MaxDelay time.Duration
	// MaxGroupEntries is how many messages of one FIFO group go in one
	// SendMessageBatch call, 1 to 10; default 1: a group's next message is
	// sent only once SQS has accepted the one before, so no failure can
	// break the group's order. Batches are still filled from other groups,
	// so this costs calls only when a Send holds few groups: one call per
	// message for a single group, 0.125 for 8 groups, 0.12 for 25; from
	// 10 × MaxInFlight groups up, 0.10, as with 10 per group.
	//
	// Above 1, an entry failure can break the order: SQS answers each entry
	// on its own and enqueues the accepted ones, so when an earlier entry
	// of a group fails and a later one is accepted, the group is out of
	// order in the queue. Send reports that (ErrOutOfOrder) but cannot undo
	// it, and sends no more of the group.
	MaxGroupEntries int

	// OffloadBucket, with S3, puts the bodies of messages larger than
	// OffloadThreshold in this bucket and sends a pointer in their place,
	// in the AWS extended client libraries' format (see [S3Pointer]), so
	// their consumers, a Processor and sqslambda read them. Default ""
	// (no offloading). Objects are named OffloadKeyPrefix and a random
	// UUID; a message that is not sent has its object deleted again.
	OffloadBucket string
	S3            S3API
	// OffloadThreshold is the size ([Message.Size]) above which a body is
	// offloaded, 1 byte to 1 MiB; default DefaultOffloadThreshold (256
	// KiB), the libraries' default. A message larger than MaxBatchBytes
	// is offloaded whatever the threshold. AlwaysOffload offloads every
	// body. S3, OffloadThreshold, AlwaysOffload and OffloadKeyPrefix are
	// refused without an OffloadBucket.
	OffloadThreshold int
	AlwaysOffload    bool
	// OffloadKeyPrefix goes before each object's name, up to 900 bytes;
	// default none.
	//
	// Bodies are uploaded one at a time, before the batches go out. On a
	// FIFO queue with content-based deduplication, an offloaded message
	// without a DeduplicationID gets the SHA-256 of its body (what SQS
	// would have computed) as one, so duplicates are still dropped; the
	// object of a message SQS drops as a duplicate stays in the bucket (a
	// lifecycle rule on the prefix cleans such leftovers up).
	OffloadKeyPrefix string

	// Observer hears of each message created and each call made; the zero
	// Observer hears nothing. See package sqsotel for OpenTelemetry.
	Observer Observer
}

// Sender sends messages in batches, keeping FIFO groups in order. It is
// safe for concurrent use, but order is kept within one Send call only.
type Sender struct {
	client SQSAPI
	url    string
	fifo   bool
	opts   SenderOptions

	mu         sync.Mutex
	dedupKnown bool // contentDup has been read from the queue
	contentDup bool
}

// NewSender returns a Sender for the queue. A queue URL ending in ".fifo"
// is a FIFO queue.
func NewSender(client SQSAPI, queueURL string, optFns ...func(*SenderOptions)) (*Sender, error) {
	var o SenderOptions
	opts.Apply(&o, optFns)
	setDefault(&o.MaxBatchBytes, maxMessageBytes)
	setDefault(&o.MaxInFlight, 4)
	setDefault(&o.MaxAttempts, 5)
	setDefault(&o.BaseDelay, 50*time.Millisecond)
	setDefault(&o.MaxDelay, max(5*time.Second, o.BaseDelay))
	setDefault(&o.MaxGroupEntries, 1)
	setDefault(&o.OffloadThreshold, DefaultOffloadThreshold)
	switch {
	case client == nil || queueURL == "":
		return nil, errors.New("sqsx: NewSender needs a client and a queue URL")
	case o.MaxBatchBytes < 1024 || o.MaxBatchBytes > maxMessageBytes:
		return nil, fmt.Errorf("sqsx: MaxBatchBytes %d: use 1024 to 1048576 (0 for 1 MiB)", o.MaxBatchBytes)
	case o.MaxInFlight < 1:
		return nil, fmt.Errorf("sqsx: MaxInFlight %d: use 1 or more (0 for 4)", o.MaxInFlight)
	case o.MaxAttempts < 1:
		return nil, fmt.Errorf("sqsx: MaxAttempts %d: use 1 or more (0 for 5)", o.MaxAttempts)
	case o.BaseDelay < 0 || o.MaxDelay < o.BaseDelay:
		return nil, fmt.Errorf("sqsx: BaseDelay %s and MaxDelay %s: use 0 <= BaseDelay <= MaxDelay (0 for 50ms and 5s)", o.BaseDelay, o.MaxDelay)
	case o.MaxGroupEntries < 1 || o.MaxGroupEntries > maxBatchEntries:
		return nil, fmt.Errorf("sqsx: MaxGroupEntries %d: use 1 to 10 (0 for 1)", o.MaxGroupEntries)
	case o.OffloadThreshold < 1 || o.OffloadThreshold > maxMessageBytes:
		return nil, fmt.Errorf("sqsx: OffloadThreshold %d: use 1 to 1048576 (0 for %d)", o.OffloadThreshold, DefaultOffloadThreshold)
	case o.OffloadBucket != "" && o.S3 == nil:
		return nil, errors.New("sqsx: OffloadBucket needs an S3 client (SenderOptions.S3)")
	case o.OffloadBucket == "" && (o.S3 != nil || o.AlwaysOffload || o.OffloadKeyPrefix != "" || o.OffloadThreshold != DefaultOffloadThreshold):
		return nil, errors.New("sqsx: S3, OffloadThreshold, AlwaysOffload and OffloadKeyPrefix need an OffloadBucket")
	case len(o.OffloadKeyPrefix) > 900 || !utf8.ValidString(o.OffloadKeyPrefix):
		return nil, fmt.Errorf("sqsx: OffloadKeyPrefix: use up to 900 bytes of UTF-8 (S3 keys are at most 1024)")
	}
	o.Observer = o.Observer.recovering(func(err error) { slog.Default().Warn("sqsx sender", "err", err) })
	return &Sender{client: client, url: queueURL, fifo: strings.HasSuffix(queueURL, ".fifo"), opts: o}, nil
}

// setDefault sets *v to def when it is zero.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// validSQSText reports whether SQS accepts s: #x9, #xA, #xD, #x20 to
// #xD7FF, #xE000 to #xFFFD and #x10000 to #x10FFFF, in UTF-8.
func validSQSText(s string) (bool, int) {
	if !utf8.ValidString(s) {
		return false, strings.IndexRune(s, utf8.RuneError)
	}
	for i, r := range s {
		if !(r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false, i
		}
	}
	return true, -1
}

// validFIFOID reports whether s is a valid group or deduplication ID: 1 to
// 128 of a-z, A-Z, 0-9 and ASCII punctuation.
func validFIFOID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func validAttrName(k string) bool {
	if k == "" || len(k) > 256 || k[0] == '.' || k[len(k)-1] == '.' || strings.Contains(k, "..") {
		return false
	}
	l := strings.ToLower(k)
	if strings.HasPrefix(l, "aws.") || strings.HasPrefix(l, "amazon.") {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validate checks m as SQS would, before anything is sent.
func (s *Sender) validate(ctx context.Context, m *Message) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
	}
	limit := min(maxMessageBytes, s.opts.MaxBatchBytes)
	switch size := m.Size(); {
	case m.Body == "":
		return bad("the body is empty; SQS needs at least one character")
	case size > limit && m.Payload != nil:
		return bad("%d bytes (body and attributes, the body offloaded) is over the %d allowed", size, limit)
	case size > limit:
		return bad("%d bytes (body and attributes) is over the %d allowed (SenderOptions.OffloadBucket sends larger bodies through S3)", size, limit)
	}
	if ok, at := validSQSText(m.Body); !ok {
		return bad("the body has a character SQS refuses at byte %d; allowed are #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF in UTF-8 (base64-encode binary data)", at)
	}
	if len(m.MessageAttributes) > maxAttributes {
		return bad("%d message attributes; SQS allows at most %d", len(m.MessageAttributes), maxAttributes)
	}
	for k, a := range m.MessageAttributes {
		if err := validAttribute(k, a); err != nil {
			return bad("%s", err)
		}
		if isReservedAttribute(k) && m.Payload == nil {
			return bad("attribute name %q is reserved for the size of S3-offloaded bodies (%s, %s)", k, payloadSizeAttribute, legacyPayloadSizeAttribute)
		}
	}
	if m.TraceHeader != "" && !validTraceHeader(m.TraceHeader) {
		return bad("TraceHeader: use an X-Ray trace header of up to %d bytes: key=value fields separated by ';', Root=1-<8 hex>-<24 hex> and Parent=<16 hex> when present", maxTraceHeader)
	}
	if !s.fifo {
		if m.DeduplicationID != "" {
			return bad("DeduplicationID applies to FIFO queues only")
		}
		if m.Delay < 0 || m.Delay > maxDelay || m.Delay%time.Second != 0 {
			return bad("delay %s: use whole seconds from 0 to 15m", m.Delay)
		}
		return nil
	}
	switch {
	case m.GroupID == "":
		return bad("a FIFO queue needs a GroupID")
	case !validFIFOID(m.GroupID):
		return bad("GroupID %s: use 1 to 128 of A-Z a-z 0-9 and ASCII punctuation", quoted(m.GroupID))
	case m.Delay != 0:
		return bad("a FIFO queue takes no per-message delay (set DelaySeconds on the queue)")
	case m.DeduplicationID != "" && !validFIFOID(m.DeduplicationID):
		return bad("DeduplicationID %s: use 1 to 128 of A-Z a-z 0-9 and ASCII punctuation", quoted(m.DeduplicationID))
	case m.DeduplicationID == "":
		contentDup, err := s.contentBasedDedup(ctx)
		if err != nil {
			return err
		}
		if !contentDup {
			return bad("no DeduplicationID, and the queue has no content-based deduplication")
		}
	}
	return nil
}

// contentBasedDedup asks the queue once whether it deduplicates by
// content; a failed call is not remembered, so the next Send asks again.
func (s *Sender) contentBasedDedup(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dedupKnown {
		out, err := s.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameContentBasedDeduplication}})
		if err != nil {
			return false, fmt.Errorf("sqsx: reading the queue's ContentBasedDeduplication: %w", err)
		}
		s.contentDup = out.Attributes[string(types.QueueAttributeNameContentBasedDeduplication)] == "true"
		s.dedupKnown = true
	}
	return s.contentDup, nil
}

// pending is one message still to send.
type pending struct {
	index    int
	msg      *Message // what is sent: the caller's, or its pointer when offloaded
	caller   *Message // the caller's, for the Observer
	size     int
	attempts int
	// ctx and extra are Observer.Create's context and attributes.
	ctx   context.Context
	extra map[string]string
}

// Send sends msgs and returns one result per message, in input order. It
// returns a *BatchError if any message was not sent.
//
// Messages are packed into batches of up to 10 and MaxBatchBytes. On a FIFO
// queue, each group's messages go out in input order and a group is never
// in two batches at once; groups, and standard queues' messages, are sent
// concurrently. Entries SQS fails through no fault of the sender, or
// throttles, are retried with capped, jittered backoff, in order. When a
// FIFO message fails for good, the later messages of its group are not
// sent (ErrGroupHalted). A failed FIFO message is retried only while no
// later message of its group is in the queue; a later one SQS accepted in
// the same call gets ErrOutOfOrder instead of success (see
// SenderOptions.MaxGroupEntries), so a nil Err always means the message is
// in the queue behind every earlier message of its group in msgs.
func (s *Sender) Send(ctx context.Context, msgs ...Message) ([]SendResult, error) {
	results := make([]SendResult, len(msgs))
	groups := map[string][]*pending{} // "" is the one unordered pool of a standard queue
	var order []string                // groups by first appearance
	halted := map[string]bool{}
	uploaded := map[int]*S3Pointer{} // messages whose body went to S3
	halt := func(g string, from int) {
		if !s.fifo {
			return
		}
		halted[g] = true
		for _, p := range groups[g] {
			if results[p.index].Err == nil {
				results[p.index].Err = fmt.Errorf("%w (message %d)", ErrGroupHalted, from)
			}
		}
		groups[g] = nil
	}
	for i := range msgs {
		m := &msgs[i]
		g := ""
		if s.fifo {
			g = m.GroupID
		}
		if halted[g] {
			results[i].Err = fmt.Errorf("%w (an earlier message was invalid)", ErrGroupHalted)
			continue
		}
		var err error
		if om, ok := s.offload(m); ok {
			if err = checkOffload(m); err == nil {
				err = s.keepContentDedup(ctx, m, &om)
			}
			if err == nil {
				err = s.validate(ctx, &om)
			}
			if err == nil {
				if err = s.upload(ctx, om.Payload, m.Body); err == nil {
					m = &om
					uploaded[i] = om.Payload
				}
			}
		} else {
			err = s.validate(ctx, m)
		}
		if err != nil {
			results[i].Err = err
			if s.fifo {
				halted[g] = true
			}
			continue
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		p := &pending{index: i, msg: m, caller: &msgs[i], size: m.Size()}
		if s.opts.Observer.Create != nil {
			s.create(ctx, p)
		}
		groups[g] = append(groups[g], p)
	}

	next := 0 // the group the next round starts with
	for {
		if err := ctx.Err(); err != nil {
			for _, g := range order {
				for _, p := range groups[g] {
					results[p.index].Err = err
				}
				groups[g] = nil
			}
			break
		}
		var batches [][]*pending
		batches, next = s.pack(groups, order, next)
		if len(batches) == 0 {
			break
		}
		outs := make([]batchOutcome, len(batches))
		var wg sync.WaitGroup
		for i, b := range batches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i] = s.sendBatch(ctx, b)
			}()
		}
		wg.Wait()

		retryAttempt := 0 // the most tries of a message retried this round
		requeue := map[string][]*pending{}
		for i, b := range batches {
			for _, p := range b {
				g := ""
				if s.fifo {
					g = p.msg.GroupID
				}
				res, ok := outs[i].ok[p.index]
				if ok {
					results[p.index] = res
					continue
				}
				err := outs[i].failed[p.index]
				if s.fifo && halted[g] {
					// An earlier message of the group failed for good in
					// this batch: no retry can put this one back in order.
					results[p.index].Err = err
					continue
				}
				p.attempts++
				var ee *EntryError
				canRetry := errors.As(err, &ee) && ee.retryable() && p.attempts < s.opts.MaxAttempts
				if s.fifo && canRetry {
					// A retry would jump behind a later message of the
					// group that this batch did send.
					for _, q := range b {
						if q.index > p.index && q.msg.GroupID == g {
							if _, sent := outs[i].ok[q.index]; sent {
								canRetry = false
							}
						}
					}
				}
				if s.fifo && len(requeue[g]) > 0 {
					// An earlier message of the group is being retried:
					// this one follows it, whatever its own error was.
					requeue[g] = append(requeue[g], p)
					continue
				}
				if canRetry {
					requeue[g] = append(requeue[g], p)
					retryAttempt = max(retryAttempt, p.attempts)
					continue
				}
				results[p.index].Err = err
				halt(g, p.index)
			}
		}
		for _, g := range order {
			if len(requeue[g]) > 0 && !halted[g] {
				groups[g] = append(requeue[g], groups[g]...)
			}
		}
		if retryAttempt > 0 {
			if err := sleep(ctx, realClock{}, s.backoff(retryAttempt)); err != nil {
				continue // the next round reports ctx's error for everything left
			}
		}
	}

	if s.fifo {
		s.markOutOfOrder(msgs, results)
	}
	s.cleanUp(ctx, results, uploaded)
	be := &BatchError{FirstIndex: -1}
	for i := range results {
		if results[i].Err == nil && results[i].MessageID == "" {
			// Never count a message as sent without SQS's word for it.
			results[i].Err = errors.New("sqsx: the message was not sent (no result from SQS)")
		}
		r := results[i]
		if r.Err == nil {
			be.Sent++
			continue
		}
		be.Failed++
		if errors.Is(r.Err, ErrOutOfOrder) {
			be.OutOfOrder++
		}
		be.errs = append(be.errs, r.Err)
		if be.FirstIndex < 0 {
			be.FirstIndex, be.First = i, r.Err
		}
	}
	if be.Failed > 0 {
		return results, be
	}
	return results, nil
}

// markOutOfOrder gives ErrOutOfOrder to every message SQS accepted after
// an earlier message of its group that it did not.
func (s *Sender) markOutOfOrder(msgs []Message, results []SendResult) {
	gap := map[string]int{} // each group's first message not sent
	for i := range msgs {
		g := msgs[i].GroupID
		first, broken := gap[g]
		switch {
		case results[i].MessageID == "":
			if !broken {
				gap[g] = i
			}
		case broken:
			results[i].Err = fmt.Errorf("%w (message %d, earlier in its group, is not)", ErrOutOfOrder, first)
		}
	}
}

// pack builds the next round's batches: up to MaxInFlight batches of up to
// 10 entries and MaxBatchBytes; a FIFO group is in one batch at most, its
// messages consecutive and in order.
//
// Groups are taken round-robin from order[from]: a round that runs out of
// room returns where the next one starts, so every group gets its turn
// and, with one message of a group per batch, rounds stay full.
func (s *Sender) pack(groups map[string][]*pending, order []string, from int) ([][]*pending, int) {
	var batches [][]*pending
	var cur []*pending
	bytes := 0
	flush := func() bool {
		if len(cur) > 0 {
			batches = append(batches, cur)
			cur, bytes = nil, 0
		}
		return len(batches) < s.opts.MaxInFlight
	}
	for i := range order {
		at := (from + i) % len(order)
		g := order[at]
		q := groups[g]
		taken := 0
		for taken < len(q) && !(s.fifo && taken == s.opts.MaxGroupEntries) {
			p := q[taken]
			if len(cur) == maxBatchEntries || bytes+p.size > s.opts.MaxBatchBytes {
				if s.fifo && taken > 0 {
					break // the rest of this group waits for the next round
				}
				if !flush() {
					groups[g] = q[taken:]
					return batches, at
				}
			}
			cur = append(cur, p)
			bytes += p.size
			taken++
		}
		groups[g] = q[taken:]
	}
	flush()
	return batches, from
}

type batchOutcome struct {
	ok      map[int]SendResult
	failed  map[int]error
	callErr error // the call's own error
}

// sendBatch makes one SendMessageBatch call; entry IDs are input indexes.
func (s *Sender) sendBatch(ctx context.Context, b []*pending) batchOutcome {
	out := batchOutcome{ok: map[int]SendResult{}, failed: map[int]error{}}
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.url)}
	for _, p := range b {
		e := types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(p.index)), MessageBody: aws.String(p.msg.Body), DelaySeconds: int32(p.msg.Delay / time.Second)}
		if p.msg.GroupID != "" {
			e.MessageGroupId = aws.String(p.msg.GroupID)
		}
		if p.msg.DeduplicationID != "" {
			e.MessageDeduplicationId = aws.String(p.msg.DeduplicationID)
		}
		e.MessageAttributes = toSQSAttributes(p.msg.MessageAttributes)
		if len(p.extra) > 0 {
			if e.MessageAttributes == nil {
				e.MessageAttributes = map[string]types.MessageAttributeValue{}
			}
			for k, v := range p.extra {
				e.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
			}
		}
		if p.msg.TraceHeader != "" {
			e.MessageSystemAttributes = map[string]types.MessageSystemAttributeValue{
				string(types.MessageSystemAttributeNameForSendsAWSTraceHeader): {DataType: aws.String("String"), StringValue: aws.String(p.msg.TraceHeader)}}
		}
		in.Entries = append(in.Entries, e)
	}
	if s.opts.Observer.Call != nil {
		start := time.Now()
		defer func() { s.observeSend(ctx, start, b, out) }()
	}
	resp, err := s.client.SendMessageBatch(ctx, in)
	if err != nil {
		out.callErr = err
		for _, p := range b {
			out.failed[p.index] = fmt.Errorf("sqsx: SendMessageBatch: %w", err)
		}
		return out
	}
	for _, r := range resp.Successful {
		if i, err := strconv.Atoi(aws.ToString(r.Id)); err == nil {
			out.ok[i] = SendResult{MessageID: aws.ToString(r.MessageId), SequenceNumber: aws.ToString(r.SequenceNumber)}
		}
	}
	for _, f := range resp.Failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil {
			out.failed[i] = newEntryError(f)
		}
	}
	for _, p := range b {
		_, ok := out.ok[p.index]
		if _, failed := out.failed[p.index]; !ok && !failed {
			out.failed[p.index] = errNoAnswer
		}
	}
	return out
}

// backoff is the pause before try attempt+1: BaseDelay doubled per try,
// capped at MaxDelay, jittered over its upper half.
func (s *Sender) backoff(attempt int) time.Duration {
	return backoffFor(attempt, s.opts.BaseDelay, s.opts.MaxDelay)
}
