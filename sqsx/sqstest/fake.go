// Package sqstest is an in-memory SQS for tests, in the manner of
// net/http/httptest, with standard and FIFO queues on a clock you control.
// A [Fake] satisfies sqsx.SQSAPI, so it stands in for *sqs.Client:
//
//	func TestWorkerRetriesAFailedDelete(t *testing.T) {
//		ctx := context.Background()
//		clk := sqstest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
//		q := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
//		url := q.CreateQueue("jobs", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
//		_, _ = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("job 1")})
//		q.FailNext("DeleteMessageBatch", errors.New("connection reset"))
//
//		processJobs(ctx, q, url)      // the code under test: its delete fails
//		clk.Advance(31 * time.Second) // so the job is visible again
//		processJobs(ctx, q, url)
//
//		if q.Len(url) != 0 || q.Calls("DeleteMessageBatch") != 2 {
//			t.Fatalf("%d left after %v", q.Len(url), q.CallCounts())
//		}
//	}
//
// It does what code under test relies on: visibility timeouts; receipt
// handles that go stale once a message is received again (a delete or
// visibility change with a stale handle fails with ReceiptHandleIsInvalid,
// so tests see the staleness; SQS documents that a DeleteMessage with a
// handle from an earlier receive succeeds without deleting, and moto
// deletes: code must rely on neither answer); FIFO group
// blocking (a group is held while any of its messages is in flight) with as
// many messages of one group per receive as it can, as SQS does; a 5-minute
// deduplication window (content-based with SHA-256, or by deduplication
// ID); ApproximateReceiveCount; redrive to a dead-letter queue after
// maxReceiveCount; long polls that return as soon as messages arrive; FIFO
// receives retried with the same ReceiveRequestAttemptId answered with the
// same messages; deletes of a deleted message that succeed; batch
// validation with SQS's error codes; SendMessageBatch entries answered each
// on its own, as SQS's API reference describes ("the result of sending each
// message is reported individually"; accepted FIFO entries are enqueued in
// the order sent), so a failed entry does not stop later entries of its
// group in the same call; and error injection (calls that fail before
// acting, calls that act and then lose their answer, failed batch entries,
// hooks), a log of every call's input and call counts.
//
// Errors are those *sqs.Client returns: the SDK's typed structs with SQS's
// query-protocol codes (*types.QueueDoesNotExist with ErrorCode()
// AWS.SimpleQueueService.NonExistentQueue, *types.EmptyBatchRequest,
// *types.TooManyEntriesInBatchRequest, *types.InvalidBatchEntryId,
// *types.BatchEntryIdsNotDistinct, *types.BatchRequestTooLong,
// *types.ReceiptHandleIsInvalid), or a *smithy.GenericAPIError for
// InvalidParameterValue and MissingParameter, for which the SDK has none.
// Queues live in account 123456789012 of us-east-1 unless [Options] say
// otherwise.
//
// [S3] is an in-memory S3 for sqsx's payload offloading (PutObject,
// GetObject, DeleteObject), with the same recorder and the errors
// *s3.Client returns.
package sqstest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kumo-go/kumo/internal/fakecall"
	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/sqsx"
)

// Clock is a settable time source for Options.Clock, and a fake
// sqsx.Clock for a Processor: its After channels fire when Advance moves
// the clock past their deadline.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []clockTimer
	changed chan struct{} // closed and replaced when a timer is added
}

type clockTimer struct {
	at time.Time
	ch chan time.Time
}

// NewClock returns a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start, changed: make(chan struct{})} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward and fires the timers that are due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now // buffered: never blocks
	}
	c.timers = kept
}

// After returns a channel that receives the clock's time once Advance has
// moved it d past now; at once for d <= 0.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, clockTimer{at: c.now.Add(d), ch: ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// Timers returns how many After channels have not fired yet, those whose
// receiver stopped waiting included.
func (c *Clock) Timers() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.timers) }

// WaitForTimers waits until at least n After channels wait for the clock,
// so a test advances it only once the code under test is waiting on it. It
// returns ctx's error if ctx ends first.
func (c *Clock) WaitForTimers(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		have, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Options configure a [Fake].
type Options struct {
	// Clock drives visibility timeouts, delays and deduplication; default
	// time.Now. Long polls wait in real time, at most WaitTimeSeconds.
	Clock func() time.Time
	// Region and AccountID go into queue URLs and ARNs; defaults us-east-1
	// and 123456789012 (the account moto answers for).
	Region, AccountID string
	// Seed orders standard queues' deliveries (which SQS does not keep in
	// order); the same seed gives the same order.
	Seed uint64
	// EntryFault, when set, may fail single batch entries: return a non-nil
	// entry (Code, SenderFault) to fail entry id of operation op.
	EntryFault func(op, id string) *types.BatchResultErrorEntry
}

// QueueOptions configure a queue.
type QueueOptions struct {
	// VisibilityTimeout defaults to 30 seconds.
	VisibilityTimeout time.Duration
	// ContentBasedDeduplication (FIFO) uses the body's SHA-256 when a
	// message has no deduplication ID.
	ContentBasedDeduplication bool
	// DeadLetterQueueURL and MaxReceiveCount are the redrive policy.
	DeadLetterQueueURL string
	MaxReceiveCount    int
}

// Fake is the in-memory service. It is safe for concurrent use.
//
// Its embedded Recorder gives it these methods, by operation name
// ("SendMessageBatch", "ReceiveMessage", ...):
//   - FailNext(op, err): the next call of op returns err without acting;
//   - LoseNext(op, err): the next successful call of op acts, then
//     returns err instead of its answer;
//   - OnCall(op, fn): fn(input) runs before every call of op; an error
//     from it is the call's answer;
//   - Log(op): the inputs of the calls of op, oldest first, as copies;
//   - Calls(op), CallCounts(), TotalCalls(), ResetCalls(): call counts.
//
// A lost ReceiveMessage leaves its messages in flight; a lost delete has
// deleted.
type Fake struct {
	fakecall.Recorder

	opts Options

	mu       sync.Mutex
	queues   map[string]*queue
	arrived  chan struct{} // closed and replaced whenever messages arrive
	rand     *mrand.Rand
	seq      uint64
	stamp    uint64 // numbers receives, for group's marks
	arrivals uint64 // numbers messages as they arrive in a queue
}

type queue struct {
	url, name string
	fifo      bool
	opts      QueueOptions
	msgs      []*message // in send order; deleted ones stay until compact
	dead      int        // deleted messages still in msgs
	dedup     map[string]dedupEntry
	byReceipt map[string]*message // the current handle of each message in flight
	// flight holds the messages take put in flight, for its scan of them:
	// a slice, cheaper to walk than byReceipt, which keeps a handle once
	// the message is visible again. The scan drops what is no longer in
	// flight (visible again, deleted, moved) as it goes.
	flight    []*message
	deleted   map[string]bool     // handles of deleted messages: deleting again succeeds
	attempts  map[string]*attempt // FIFO ReceiveRequestAttemptIds
	attemptQ  []string            // their IDs in the order stored, for expiry
	groups    map[string]*group   // FIFO groups by ID
	groupList []*group            // the same, in the order made; empty ones leave at receives
}

// group is a FIFO group: its messages in send order, and a mark a receive
// sets, with its own stamp, when it finds the group held. A receive looks
// at each group's first message instead of scanning the queue, so its cost
// does not depend on how many messages wait behind the groups in flight.
type group struct {
	id     string
	msgs   []*message // in send order; deleted ones stay until compact
	dead   int        // deleted messages still in msgs
	heldAt uint64     // the stamp of the last receive that found it held
}

// group returns FIFO group id, made if new. f.mu is held.
func (q *queue) group(id string) *group {
	g, ok := q.groups[id]
	if !ok {
		g = &group{id: id}
		q.groups[id] = g
		q.groupList = append(q.groupList, g)
	}
	return g
}

// head returns the group's first message not deleted, or nil.
func (g *group) head() *message {
	for len(g.msgs) > 0 && g.msgs[0].gone {
		g.msgs[0] = nil
		g.msgs = g.msgs[1:]
		g.dead--
	}
	if len(g.msgs) == 0 {
		return nil
	}
	return g.msgs[0]
}

// removed notes that one of the group's messages is gone.
func (g *group) removed() {
	g.dead++
	g.head()
	if g.dead > 32 && 2*g.dead > len(g.msgs) {
		g.msgs = slices.DeleteFunc(g.msgs, func(x *message) bool { return x.gone })
		g.dead = 0
	}
}

// attempt is what one FIFO receive returned, for a retry with the same
// ReceiveRequestAttemptId.
type attempt struct {
	id       string
	at       time.Time
	msgs     []*message
	receipts []string
}

type dedupEntry struct {
	at        time.Time
	messageID string
	seq       string
}

type message struct {
	id, body, group, dedupID, seq, receipt string
	attrs                                  map[string]types.MessageAttributeValue
	trace                                  string // AWSTraceHeader
	sent, visibleAt                        time.Time
	receives                               int
	firstReceive                           time.Time
	inflight                               bool
	gone                                   bool   // deleted, or moved to the dead-letter queue
	g                                      *group // FIFO
	// att is the FIFO receive attempt that last took the message. Once the
	// message is gone that attempt can no longer be answered again (a retry
	// of it finds a message deleted), so it is dropped then rather than
	// kept, with every message it took, for its 5 minutes.
	att   *attempt
	order uint64 // when it arrived in its queue, across the service
}

// remove marks m as gone from q. Gone messages leave msgs from the front at
// once and from elsewhere once they are half of it, so a receive or delete
// costs the same however long the queue is. f.mu is held.
func (q *queue) remove(m *message) {
	m.gone = true
	if a := m.att; a != nil {
		if q.attempts[a.id] == a {
			delete(q.attempts, a.id)
		}
		m.att = nil
	}
	q.dead++
	if m.g != nil && q.fifo {
		m.g.removed()
	}
	for len(q.msgs) > 0 && q.msgs[0].gone {
		q.msgs[0] = nil
		q.msgs = q.msgs[1:]
		q.dead--
	}
	if q.dead > 32 && 2*q.dead > len(q.msgs) {
		q.msgs = slices.DeleteFunc(q.msgs, func(x *message) bool { return x.gone })
		q.dead = 0
	}
}

// New returns a service with no queues.
func New(optFns ...func(*Options)) *Fake {
	var o Options
	opts.Apply(&o, optFns)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	return &Fake{opts: o, queues: map[string]*queue{},
		arrived: make(chan struct{}), rand: mrand.New(mrand.NewPCG(o.Seed, 0x5153))}
}

// CreateQueue adds a queue and returns its URL; a name ending in ".fifo"
// makes a FIFO queue.
func (f *Fake) CreateQueue(name string, o QueueOptions) string {
	if o.VisibilityTimeout == 0 {
		o.VisibilityTimeout = 30 * time.Second
	}
	url := fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", f.opts.Region, f.opts.AccountID, name)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues[url] = &queue{url: url, name: name, fifo: strings.HasSuffix(name, ".fifo"), opts: o,
		dedup: map[string]dedupEntry{}, byReceipt: map[string]*message{}, deleted: map[string]bool{}, attempts: map[string]*attempt{}, groups: map[string]*group{}}
	return url
}

// Len returns how many messages a queue holds, in flight or not.
func (f *Fake) Len(queueURL string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q, ok := f.queues[queueURL]; ok {
		return len(q.msgs) - q.dead
	}
	return 0
}

var sqsErrors = fakecall.RegistryErrors(sqs.TypeRegistry, fakecall.JSONQueryCompatible)

// apiError returns what *sqs.Client returns for SQS's error code and
// message: the SDK's typed error where it has one, carrying SQS's
// query-protocol code as *sqs.Client's does (*types.QueueDoesNotExist with
// code AWS.SimpleQueueService.NonExistentQueue), else a
// *smithy.GenericAPIError (InvalidParameterValue, MissingParameter).
func apiError(code, msg string) error {
	return sqsErrors.New(code, msg)
}

// begin counts and logs a call with its input, applies injected failures
// and hooks (fakecall.Begin), and finds the queue; on success it returns
// with f.mu held.
func (f *Fake) begin(op, url string, in any) (*queue, error) {
	if err := fakecall.Begin(&f.Recorder, op, in); err != nil {
		return nil, err
	}
	f.mu.Lock()
	q, ok := f.queues[url]
	if !ok {
		f.mu.Unlock()
		return nil, apiError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
	}
	return q, nil
}

var entryID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkEntries applies SQS's batch rules to the entries' IDs.
func checkEntries[E any](entries []E, id func(E) *string) error {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = aws.ToString(id(e))
	}
	switch {
	case len(ids) == 0:
		return apiError("AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one entry in the request.")
	case len(ids) > 10:
		return apiError("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", fmt.Sprintf("Maximum number of entries per request are 10. You have sent %d.", len(ids)))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !entryID.MatchString(id) {
			return apiError("AWS.SimpleQueueService.InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return apiError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id "+id+" repeated.")
		}
		seen[id] = true
	}
	return nil
}

func errEntry(id, code, msg string, sender bool) types.BatchResultErrorEntry {
	return types.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String(code), Message: aws.String(msg), SenderFault: sender}
}

func randID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (f *Fake) signal() {
	close(f.arrived)
	f.arrived = make(chan struct{})
}

// SendMessageBatch implements the SDK method.
func (f *Fake) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	in = fakecall.Input(in)
	return f.sendBatch("SendMessageBatch", in, in)
}

// sendBatch sends a batch for operation op, whose own input is logged.
func (f *Fake) sendBatch(op string, logged any, in *sqs.SendMessageBatchInput) (out *sqs.SendMessageBatchOutput, err error) {
	// What needs no queue is done before the lock is taken, and answered
	// after the call is counted, as before.
	total := 0
	for _, e := range in.Entries {
		total += len(aws.ToString(e.MessageBody))
		for k, v := range e.MessageAttributes {
			total += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
		}
	}
	invalid := checkEntries(in.Entries, func(e types.SendMessageBatchRequestEntry) *string { return e.Id })
	if invalid == nil {
		invalid = checkAttributes(in.Entries)
	}
	var ids []string
	if invalid == nil {
		ids = make([]string, len(in.Entries))
		for i := range ids {
			ids[i] = randID()
		}
	}
	q, err := f.begin(op, aws.ToString(in.QueueUrl), logged)
	if err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, op, &out, &err)
	if invalid != nil {
		return nil, invalid
	}
	if total > 1<<20 {
		return nil, apiError("AWS.SimpleQueueService.BatchRequestTooLong", fmt.Sprintf("Batch requests cannot be longer than 1048576 bytes. You have sent %d bytes.", total))
	}
	now := f.opts.Clock()
	out = &sqs.SendMessageBatchOutput{}
	sent := false
	for i, e := range in.Entries {
		id := aws.ToString(e.Id)
		if f.opts.EntryFault != nil {
			if fe := f.opts.EntryFault("SendMessageBatch", id); fe != nil {
				out.Failed = append(out.Failed, *fe)
				continue
			}
		}
		body := aws.ToString(e.MessageBody)
		if body == "" {
			out.Failed = append(out.Failed, errEntry(id, "MissingParameter", "The request must contain the parameter MessageBody.", true))
			continue
		}
		m := &message{id: ids[i], body: body, attrs: e.MessageAttributes, trace: traceHeader(e), sent: now, visibleAt: now.Add(time.Duration(e.DelaySeconds) * time.Second)}
		if q.fifo {
			m.group, m.dedupID = aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId)
			switch {
			case m.group == "":
				out.Failed = append(out.Failed, errEntry(id, "MissingParameter", "The request must contain the parameter MessageGroupId.", true))
				continue
			case e.DelaySeconds != 0:
				out.Failed = append(out.Failed, errEntry(id, "InvalidParameterValue", "Value "+strconv.Itoa(int(e.DelaySeconds))+" for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", true))
				continue
			case m.dedupID == "" && !q.opts.ContentBasedDeduplication:
				out.Failed = append(out.Failed, errEntry(id, "InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly", true))
				continue
			case m.dedupID == "":
				sum := sha256.Sum256([]byte(body))
				m.dedupID = hex.EncodeToString(sum[:])
			}
			if d, ok := q.dedup[m.dedupID]; ok && now.Sub(d.at) < 5*time.Minute {
				out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: aws.String(id), MessageId: aws.String(d.messageID), SequenceNumber: aws.String(d.seq)})
				continue
			}
			f.seq++
			m.g = q.group(m.group)
			m.seq = fmt.Sprintf("%020d", f.seq)
			q.dedup[m.dedupID] = dedupEntry{at: now, messageID: m.id, seq: m.seq}
		}
		q.msgs = append(q.msgs, m)
		f.arrivals++
		m.order = f.arrivals
		if m.g != nil {
			m.g.msgs = append(m.g.msgs, m)
		}
		sent = true
		r := types.SendMessageBatchResultEntry{Id: aws.String(id), MessageId: aws.String(m.id)}
		if m.seq != "" {
			r.SequenceNumber = aws.String(m.seq)
		}
		out.Successful = append(out.Successful, r)
	}
	if sent {
		f.signal()
	}
	return out, nil
}

// SendMessage implements the SDK method (for per-message baselines).
func (f *Fake) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	in = fakecall.Input(in)
	out, err := f.sendBatch("SendMessage", in, &sqs.SendMessageBatchInput{QueueUrl: in.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{{
		Id: aws.String("m"), MessageBody: in.MessageBody, DelaySeconds: in.DelaySeconds, MessageAttributes: in.MessageAttributes,
		MessageDeduplicationId: in.MessageDeduplicationId, MessageGroupId: in.MessageGroupId, MessageSystemAttributes: in.MessageSystemAttributes}}})
	if err != nil {
		return nil, err
	}
	if len(out.Failed) > 0 {
		return nil, apiError(aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message))
	}
	return &sqs.SendMessageOutput{MessageId: out.Successful[0].MessageId, SequenceNumber: out.Successful[0].SequenceNumber}, nil
}

// The fake stands in for *sqs.Client wherever sqsx asks for its interface.
var (
	_ sqsx.SQSAPI = (*Fake)(nil)
	_ sqsx.Clock  = (*Clock)(nil)
)
