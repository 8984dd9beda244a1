package sqsx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
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

// drain receives every message of a FIFO or standard queue on the fake, in
// delivery order, deleting as it goes.
func drain(t *testing.T, q *sqstest.Fake, url string) []string {
	t.Helper()
	ctx := context.Background()
	var bodies []string
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			_, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: m.ReceiptHandle}}})
			require.NoError(t, err)
		}
	}
}

// perGroup splits "<group>:<seq>" bodies by group, keeping delivery order.
func perGroup(bodies []string) map[string][]string {
	out := map[string][]string{}
	for _, b := range bodies {
		g, _, _ := strings.Cut(b, ":")
		out[g] = append(out[g], b)
	}
	return out
}

func fifoMessages(n, groups int) ([]sqsx.Message, map[string][]string) {
	var msgs []sqsx.Message
	want := map[string][]string{}
	for i := 0; i < n; i++ {
		g := fmt.Sprintf("g%d", i%groups)
		body := fmt.Sprintf("%s:%d", g, i)
		msgs = append(msgs, sqsx.Message{GroupID: g, Body: body, DeduplicationID: strconv.Itoa(i)})
		want[g] = append(want[g], body)
	}
	return msgs, want
}

// faults fails chosen entries (by input index) a given number of times.
type faults struct {
	mu    sync.Mutex
	left  map[string]int
	entry types.BatchResultErrorEntry
}

func (f *faults) fn(op, id string) *types.BatchResultErrorEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op != "SendMessageBatch" || f.left[id] == 0 {
		return nil
	}
	f.left[id]--
	e := f.entry
	e.Id = aws.String(id)
	return &e
}

var internalError = types.BatchResultErrorEntry{Code: aws.String("InternalError"), Message: aws.String("try again"), SenderFault: false}

func fast(o *sqsx.SenderOptions) { o.BaseDelay, o.MaxDelay = time.Millisecond, 5*time.Millisecond }

func TestSenderPacksBatches(t *testing.T) {
	q := sqstest.New()
	url := q.CreateQueue("jobs", sqstest.QueueOptions{})
	s, err := sqsx.NewSender(q, url)
	require.NoError(t, err)
	var msgs []sqsx.Message
	for i := 0; i < 25; i++ {
		msgs = append(msgs, sqsx.Message{Body: fmt.Sprintf("m%d", i), MessageAttributes: map[string]sqsx.Attribute{"n": sqsx.NumberAttribute(int64(i))}})
	}
	res, err := s.Send(context.Background(), msgs...)
	require.NoError(t, err)
	require.Len(t, res, 25)
	for i, r := range res {
		assert.NotEmpty(t, r.MessageID, i)
		assert.Empty(t, r.SequenceNumber)
	}
	assert.Equal(t, 3, q.Calls("SendMessageBatch"), "25 messages in batches of 10")
	assert.Equal(t, 25, q.Len(url))

	big := strings.Repeat("x", 100<<10)
	s256, err := sqsx.NewSender(q, url, func(o *sqsx.SenderOptions) { o.MaxBatchBytes = 256 << 10 })
	require.NoError(t, err)
	q.ResetCalls()
	_, err = s256.Send(context.Background(), sqsx.Message{Body: big}, sqsx.Message{Body: big}, sqsx.Message{Body: big}, sqsx.Message{Body: big}, sqsx.Message{Body: big})
	require.NoError(t, err)
	assert.Equal(t, 3, q.Calls("SendMessageBatch"), "two 100 KiB messages per 256 KiB batch")
}

func TestSenderFIFOOrder(t *testing.T) {
	q := sqstest.New()
	url := q.CreateQueue("jobs.fifo", sqstest.QueueOptions{})
	s, err := sqsx.NewSender(q, url, func(o *sqsx.SenderOptions) { o.MaxInFlight = 3 })
	require.NoError(t, err)
	msgs, want := fifoMessages(60, 4)
	res, err := s.Send(context.Background(), msgs...)
	require.NoError(t, err)
	seqs := map[string]string{}
	for i, r := range res {
		g := msgs[i].GroupID
		assert.Greater(t, r.SequenceNumber, seqs[g], "sequence numbers rise in input order within group %s", g)
		seqs[g] = r.SequenceNumber
	}
	assert.Equal(t, want, perGroup(drain(t, q, url)))
}

func TestSenderRetries(t *testing.T) {
	t.Run("standard", func(t *testing.T) {
		f := &faults{left: map[string]int{"3": 2, "4": 1, "17": 1}, entry: internalError}
		q := sqstest.New(func(o *sqstest.Options) { o.EntryFault = f.fn })
		url := q.CreateQueue("jobs", sqstest.QueueOptions{})
		s, err := sqsx.NewSender(q, url, fast)
		require.NoError(t, err)
		var msgs []sqsx.Message
		var want []string
		for i := 0; i < 30; i++ {
			msgs = append(msgs, sqsx.Message{Body: strconv.Itoa(i)})
			want = append(want, strconv.Itoa(i))
		}
		res, err := s.Send(context.Background(), msgs...)
		require.NoError(t, err)
		for i, r := range res {
			assert.NotEmpty(t, r.MessageID, i)
		}
		assert.ElementsMatch(t, want, drain(t, q, url))
	})
	t.Run("fifo: failures at a batch's tail are retried in order", func(t *testing.T) {
		f := &faults{left: map[string]int{"8": 1, "9": 1, "29": 1}, entry: types.BatchResultErrorEntry{Code: aws.String("ThrottlingException"), SenderFault: true}}
		q := sqstest.New(func(o *sqstest.Options) { o.EntryFault = f.fn })
		url := q.CreateQueue("jobs.fifo", sqstest.QueueOptions{})
		s, err := sqsx.NewSender(q, url, fast)
		require.NoError(t, err)
		msgs, want := fifoMessages(30, 1)
		_, err = s.Send(context.Background(), msgs...)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"8": 0, "9": 0, "29": 0}, f.left, "every injected fault fired")
		assert.Equal(t, want, perGroup(drain(t, q, url)))
	})
	t.Run("fifo: a failure before a sent message is reported, and so are the later ones SQS took", func(t *testing.T) {
		f := &faults{left: map[string]int{"3": 1}, entry: internalError}
		q := sqstest.New(func(o *sqstest.Options) { o.EntryFault = f.fn })
		url := q.CreateQueue("jobs.fifo", sqstest.QueueOptions{})
		// g0 gets the even indexes, g1 the odd; the first round sends g0's
		// first ten in one batch and g1's first ten (1 to 19) in another.
		s, err := sqsx.NewSender(q, url, fast, func(o *sqsx.SenderOptions) { o.MaxGroupEntries = 10 })
		require.NoError(t, err)
		msgs, _ := fifoMessages(30, 2)
		res, err := s.Send(context.Background(), msgs...)
		var be *sqsx.BatchError
		require.ErrorAs(t, err, &be)
		var ee *sqsx.EntryError
		require.ErrorAs(t, res[3].Err, &ee)
		assert.Equal(t, "InternalError", ee.Code)
		assert.Equal(t, 3, be.FirstIndex)
		for i := 0; i < 30; i++ {
			switch {
			case i%2 == 0 || i == 1: // g0, and g1 before the failure
				assert.NoError(t, res[i].Err, i)
			case i == 3:
			case i < 20: // g1's messages in the batch with the failure: in the queue, out of order
				assert.ErrorIs(t, res[i].Err, sqsx.ErrOutOfOrder, i)
				assert.NotEmpty(t, res[i].MessageID, i)
			default: // g1 after its first batch
				assert.ErrorIs(t, res[i].Err, sqsx.ErrGroupHalted, i)
			}
		}
		assert.Equal(t, 15+1, be.Sent)
		assert.Equal(t, 8, be.OutOfOrder)
		assert.ErrorIs(t, err, sqsx.ErrGroupHalted)
		got := perGroup(drain(t, q, url))
		assert.Equal(t, []string{"g1:1", "g1:5", "g1:7", "g1:9", "g1:11", "g1:13", "g1:15", "g1:17", "g1:19"}, got["g1"], "in order, 3 missing, nothing after the halt")
		assert.Len(t, got["g0"], 15)
	})
	t.Run("fifo: after a final failure, a later retryable one in the batch is reported too", func(t *testing.T) {
		f := &faults{left: map[string]int{"2": 1, "9": 1}}
		q := sqstest.New(func(o *sqstest.Options) {
			o.EntryFault = func(op, id string) *types.BatchResultErrorEntry {
				e := f.fn(op, id)
				if e != nil && id == "2" {
					e.Code, e.SenderFault = aws.String("InvalidParameterValue"), true
				}
				return e
			}
		})
		f.entry = internalError
		url := q.CreateQueue("jobs.fifo", sqstest.QueueOptions{})
		s, err := sqsx.NewSender(q, url, fast, func(o *sqsx.SenderOptions) { o.MaxGroupEntries = 10 })
		require.NoError(t, err)
		msgs, _ := fifoMessages(12, 1)
		res, err := s.Send(context.Background(), msgs...)
		var be *sqsx.BatchError
		require.ErrorAs(t, err, &be)
		var ee *sqsx.EntryError
		require.ErrorAs(t, res[2].Err, &ee)
		assert.Equal(t, "InvalidParameterValue", ee.Code)
		require.ErrorAs(t, res[9].Err, &ee, "the batch's last entry, with nothing after it to block a retry")
		assert.Equal(t, "InternalError", ee.Code)
		assert.ErrorIs(t, res[10].Err, sqsx.ErrGroupHalted)
		assert.ErrorIs(t, res[11].Err, sqsx.ErrGroupHalted)
		for i := 3; i <= 8; i++ {
			assert.ErrorIs(t, res[i].Err, sqsx.ErrOutOfOrder, i)
		}
		assert.Equal(t, 2, be.Sent, "0 and 1; 3-8 are in the queue, out of order")
		assert.Equal(t, 6, be.OutOfOrder)
		assert.Equal(t, []string{"g0:0", "g0:1", "g0:3", "g0:4", "g0:5", "g0:6", "g0:7", "g0:8"}, drain(t, q, url))
	})
	t.Run("attempts run out", func(t *testing.T) {
		f := &faults{left: map[string]int{"0": 100}, entry: internalError}
		q := sqstest.New(func(o *sqstest.Options) { o.EntryFault = f.fn })
		url := q.CreateQueue("jobs", sqstest.QueueOptions{})
		s, err := sqsx.NewSender(q, url, fast, func(o *sqsx.SenderOptions) { o.MaxAttempts = 3 })
		require.NoError(t, err)
		res, err := s.Send(context.Background(), sqsx.Message{Body: "a"}, sqsx.Message{Body: "b"})
		var ee *sqsx.EntryError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 3, q.Calls("SendMessageBatch"))
		assert.Error(t, res[0].Err)
		assert.NoError(t, res[1].Err)
	})
	t.Run("a failed call halts FIFO groups and is reported", func(t *testing.T) {
		q := sqstest.New()
		url := q.CreateQueue("jobs.fifo", sqstest.QueueOptions{})
		s, err := sqsx.NewSender(q, url, fast, func(o *sqsx.SenderOptions) { o.MaxInFlight = 1 })
		require.NoError(t, err)
		boom := errors.New("connection reset")
		q.FailNext("SendMessageBatch", boom)
		msgs, _ := fifoMessages(25, 1)
		res, err := s.Send(context.Background(), msgs...)
		require.ErrorIs(t, err, boom)
		assert.ErrorIs(t, res[0].Err, boom)
		assert.ErrorIs(t, res[24].Err, sqsx.ErrGroupHalted)
		assert.Equal(t, 0, q.Len(url))
	})
}

func TestSenderValidates(t *testing.T) {
	q := sqstest.New()
	std := q.CreateQueue("std", sqstest.QueueOptions{})
	fifo := q.CreateQueue("strict.fifo", sqstest.QueueOptions{})
	dedup := q.CreateQueue("dedup.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	many := map[string]sqsx.Attribute{}
	for i := 0; i < 11; i++ {
		many[fmt.Sprintf("a%d", i)] = sqsx.StringAttribute("v")
	}
	for name, tc := range map[string]struct {
		url  string
		msg  sqsx.Message
		want string
	}{
		"empty body":    {std, sqsx.Message{}, "the body is empty"},
		"too big":       {std, sqsx.Message{Body: strings.Repeat("x", 1<<20+1)}, "1048577 bytes (body and attributes) is over the 1048576 allowed"},
		"NUL":           {std, sqsx.Message{Body: "a\x00b"}, "a character SQS refuses at byte 1"},
		"invalid UTF-8": {std, sqsx.Message{Body: "a\xffb"}, "a character SQS refuses"},
		"11 attributes": {std, sqsx.Message{Body: "x", MessageAttributes: many}, "11 message attributes; SQS allows at most 10"},
		"reserved name": {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"AWS.trace": sqsx.StringAttribute("1")}}, `attribute name "AWS.trace"`},
		"empty value":   {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": sqsx.StringAttribute("")}}, `attribute "k": a String attribute needs a non-empty StringValue`},
		"empty binary":  {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": sqsx.BinaryAttribute(nil)}}, `attribute "k": a Binary attribute needs a non-empty BinaryValue`},
		"bad type":      {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "Integer", StringValue: "1"}}}, `data type "Integer": use String, Number or Binary`},
		"empty label":   {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "Number.", StringValue: "1"}}}, `data type "Number."`},
		"bad number":    {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "Number.int", StringValue: "0x10"}}}, `"0x10" is not a Number SQS accepts`},
		"huge number":   {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "Number", StringValue: "1e127"}}}, `"1e127" is not a Number`},
		"39 digits":     {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "Number", StringValue: strings.Repeat("1", 39)}}}, `is not a Number`},
		"both values":   {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "String", StringValue: "v", BinaryValue: []byte{1}}}}, `and no BinaryValue`},
		"payload size":  {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"ExtendedPayloadSize": sqsx.NumberAttribute(1)}}, `"ExtendedPayloadSize" is reserved`},
		"legacy size":   {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"SQSLargePayloadSize": sqsx.NumberAttribute(1)}}, `"SQSLargePayloadSize" is reserved`},
		"trace header":  {std, sqsx.Message{Body: "x", TraceHeader: "Root=\x00"}, "TraceHeader: use an X-Ray trace header"},
		"trace root":    {std, sqsx.Message{Body: "x", TraceHeader: "Root=1-5759e988-bd862e3f"}, "TraceHeader: use an X-Ray trace header"},
		"trace parent":  {std, sqsx.Message{Body: "x", TraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz"}, "TraceHeader"},
		"trace field":   {std, sqsx.Message{Body: "x", TraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;;"}, "TraceHeader"},
		"attrs over":    {std, sqsx.Message{Body: strings.Repeat("x", 1<<20-10), MessageAttributes: map[string]sqsx.Attribute{"k": sqsx.BinaryAttribute([]byte{1, 2, 3, 4})}}, "1048577 bytes (body and attributes) is over the 1048576 allowed"},
		"dedup on std":  {std, sqsx.Message{Body: "x", DeduplicationID: "d"}, "DeduplicationID applies to FIFO queues only"},
		"long delay":    {std, sqsx.Message{Body: "x", Delay: 16 * time.Minute}, "delay 16m0s: use whole seconds from 0 to 15m"},
		"no group":      {fifo, sqsx.Message{Body: "x", DeduplicationID: "d"}, "a FIFO queue needs a GroupID"},
		"bad group":     {fifo, sqsx.Message{Body: "x", GroupID: "a b", DeduplicationID: "d"}, `GroupID "a b": use 1 to 128`},
		"delay on fifo": {fifo, sqsx.Message{Body: "x", GroupID: "g", DeduplicationID: "d", Delay: time.Second}, "a FIFO queue takes no per-message delay"},
		"no dedup":      {fifo, sqsx.Message{Body: "x", GroupID: "g"}, "no DeduplicationID, and the queue has no content-based deduplication"},
		"long dedup":    {dedup, sqsx.Message{Body: "x", GroupID: "g", DeduplicationID: strings.Repeat("d", 129)}, "DeduplicationID"},
		// A huge invalid value is quoted in part, with its length.
		"huge name":   {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{strings.Repeat("n", 100_000): sqsx.StringAttribute("v")}}, `nnnn"... (100000 bytes): use 1 to 256`},
		"huge digits": {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "Number", StringValue: strings.Repeat("9", 100_000)}}}, `999"... (100000 bytes) is not a Number`},
		"huge type":   {std, sqsx.Message{Body: "x", MessageAttributes: map[string]sqsx.Attribute{"k": {DataType: "String." + strings.Repeat("t", 100_000), StringValue: "v"}}}, `ttt"... (100007 bytes): use String`},
		"huge group":  {dedup, sqsx.Message{Body: "x", GroupID: strings.Repeat("g", 100_000)}, `ggg"... (100000 bytes): use 1 to 128`},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := sqsx.NewSender(q, tc.url)
			require.NoError(t, err)
			q.ResetCalls()
			res, err := s.Send(context.Background(), tc.msg)
			require.ErrorIs(t, err, sqsx.ErrInvalidMessage)
			assert.ErrorContains(t, res[0].Err, tc.want)
			assert.Less(t, len(res[0].Err.Error()), 1024, "the error quotes a bounded part of the message")
			assert.Zero(t, q.Calls("SendMessageBatch"), "nothing sent")
		})
	}
	t.Run("content-based dedup needs no ID, and is asked once", func(t *testing.T) {
		s, err := sqsx.NewSender(q, dedup)
		require.NoError(t, err)
		q.ResetCalls()
		_, err = s.Send(context.Background(), sqsx.Message{Body: "x", GroupID: "g"}, sqsx.Message{Body: "y", GroupID: "g"})
		require.NoError(t, err)
		_, err = s.Send(context.Background(), sqsx.Message{Body: "z", GroupID: "g"})
		require.NoError(t, err)
		assert.Equal(t, 1, q.Calls("GetQueueAttributes"))
	})
	t.Run("an invalid FIFO message halts its group only", func(t *testing.T) {
		s, err := sqsx.NewSender(q, dedup)
		require.NoError(t, err)
		res, err := s.Send(context.Background(), sqsx.Message{Body: "", GroupID: "a"}, sqsx.Message{Body: "b1", GroupID: "b"}, sqsx.Message{Body: "a2", GroupID: "a"})
		require.Error(t, err)
		assert.ErrorIs(t, res[0].Err, sqsx.ErrInvalidMessage)
		assert.NoError(t, res[1].Err)
		assert.ErrorIs(t, res[2].Err, sqsx.ErrGroupHalted)
	})
	t.Run("options", func(t *testing.T) {
		for _, tc := range []struct {
			opt  func(*sqsx.SenderOptions)
			want string
		}{
			{func(o *sqsx.SenderOptions) { o.MaxBatchBytes = 2 << 20 }, "MaxBatchBytes 2097152: use 1024 to 1048576 (0 for 1 MiB)"},
			{func(o *sqsx.SenderOptions) { o.MaxInFlight = -1 }, "MaxInFlight -1: use 1 or more (0 for 4)"},
			{func(o *sqsx.SenderOptions) { o.MaxAttempts = -1 }, "MaxAttempts -1: use 1 or more (0 for 5)"},
			{func(o *sqsx.SenderOptions) { o.BaseDelay = -1 }, "use 0 <= BaseDelay <= MaxDelay"},
			{func(o *sqsx.SenderOptions) { o.BaseDelay, o.MaxDelay = time.Second, time.Millisecond }, "use 0 <= BaseDelay <= MaxDelay"},
			{func(o *sqsx.SenderOptions) { o.MaxGroupEntries = 11 }, "MaxGroupEntries 11: use 1 to 10 (0 for 1)"},
			{func(o *sqsx.SenderOptions) { o.OffloadThreshold = -1 }, "OffloadThreshold -1: use 1 to 1048576 (0 for 262144)"},
			{func(o *sqsx.SenderOptions) { o.OffloadBucket = "b" }, "OffloadBucket needs an S3 client"},
			{func(o *sqsx.SenderOptions) { o.AlwaysOffload = true }, "S3, OffloadThreshold, AlwaysOffload and OffloadKeyPrefix need an OffloadBucket"},
			{func(o *sqsx.SenderOptions) { o.S3 = sqstest.NewS3() }, "S3, OffloadThreshold, AlwaysOffload and OffloadKeyPrefix need an OffloadBucket"},
			{func(o *sqsx.SenderOptions) { o.OffloadThreshold = 5 }, "S3, OffloadThreshold, AlwaysOffload and OffloadKeyPrefix need an OffloadBucket"},
		} {
			_, err := sqsx.NewSender(q, std, tc.opt)
			assert.ErrorContains(t, err, tc.want)
		}
		_, err := sqsx.NewSender(nil, std)
		assert.Error(t, err)
		// The zero value of every option is its default.
		_, err = sqsx.NewSender(q, std, func(o *sqsx.SenderOptions) { *o = sqsx.SenderOptions{} })
		assert.NoError(t, err)
		_, err = sqsx.NewSender(q, std, func(o *sqsx.SenderOptions) { o.MaxDelay = 10 * time.Millisecond })
		assert.ErrorContains(t, err, "use 0 <= BaseDelay <= MaxDelay", "MaxDelay below the default BaseDelay")
	})
	t.Run("cancelled", func(t *testing.T) {
		s, err := sqsx.NewSender(q, std)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := s.Send(ctx, sqsx.Message{Body: "x"})
		require.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, res[0].Err, context.Canceled)
	})
}

// TestSenderFIFOEntryFailureBeforeAcceptedEntries is the case SQS's API
// reference leaves open: SendMessageBatch answers each entry on its own
// ("the result of sending each message is reported individually"), so an
// entry can fail while later entries of its group in the same call are
// enqueued, as sqstest does. Send must not call those later ones sent.
func TestSenderFIFOEntryFailureBeforeAcceptedEntries(t *testing.T) {
	steps := []sqsx.Message{
		{GroupID: "order-7", Body: "step 1", DeduplicationID: "1"},
		{GroupID: "order-7", Body: "step 2", DeduplicationID: "2"},
		{GroupID: "order-7", Body: "step 3", DeduplicationID: "3"},
	}
	for _, tc := range []struct {
		name       string
		perGroup   int
		wantQueue  []string
		wantCalls  int
		outOfOrder int
	}{
		{"default (MaxGroupEntries 1): the order cannot break", 0, []string{"step 1", "step 2", "step 3"}, 4, 0},
		{"MaxGroupEntries 10: reported per message", 10, []string{"step 2", "step 3"}, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &faults{left: map[string]int{"0": 1}, entry: internalError}
			q := sqstest.New(func(o *sqstest.Options) { o.EntryFault = f.fn })
			url := q.CreateQueue("orders.fifo", sqstest.QueueOptions{})
			s, err := sqsx.NewSender(q, url, fast, func(o *sqsx.SenderOptions) {
				if tc.perGroup > 0 {
					o.MaxGroupEntries = tc.perGroup
				}
			})
			require.NoError(t, err)
			res, err := s.Send(testContext(t), steps...)
			assert.Equal(t, tc.wantCalls, q.Calls("SendMessageBatch"))
			assert.Equal(t, tc.wantQueue, drain(t, q, url))
			if tc.outOfOrder == 0 {
				require.NoError(t, err)
				return
			}
			var be *sqsx.BatchError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, [4]int{0, 3, 2, 0}, [4]int{be.Sent, be.Failed, be.OutOfOrder, be.FirstIndex})
			var ee *sqsx.EntryError
			require.ErrorAs(t, res[0].Err, &ee)
			assert.Equal(t, "InternalError", ee.Code)
			for _, r := range res[1:] {
				assert.ErrorIs(t, r.Err, sqsx.ErrOutOfOrder)
				assert.NotEmpty(t, r.MessageID, "in the queue")
			}
		})
	}
}

// TestSenderTransientEntryFaults sends FIFO messages with 7% of entries
// failing transiently. With MaxGroupEntries 1 every message arrives, each
// group in order; by default every message that lands out of order is
// reported so, and nothing reported sent is out of order. KUMO_SOAK=1
// sends 10,000.
func TestSenderTransientEntryFaults(t *testing.T) {
	n := 2000
	if soak() {
		n = 10_000
	}
	for _, perGroup := range []int{1, 10} {
		t.Run(fmt.Sprint("MaxGroupEntries ", perGroup), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(7, uint64(perGroup)))
			var mu sync.Mutex
			q := sqstest.New(func(o *sqstest.Options) {
				o.EntryFault = func(op, id string) *types.BatchResultErrorEntry {
					mu.Lock()
					defer mu.Unlock()
					if op == "SendMessageBatch" && rnd.Float64() < 0.07 {
						e := internalError
						e.Id = aws.String(id)
						return &e
					}
					return nil
				}
			})
			url := q.CreateQueue("soak.fifo", sqstest.QueueOptions{})
			s, err := sqsx.NewSender(q, url, fast, func(o *sqsx.SenderOptions) { o.MaxGroupEntries = perGroup })
			require.NoError(t, err)
			msgs, _ := fifoMessages(n, 25)
			res, err := s.Send(testContext(t), msgs...)
			index := map[string]int{}
			for i, m := range msgs {
				index[m.Body] = i
			}
			// Every message in the queue came after every earlier message
			// of its group, or Send said it did not.
			last := map[string]int{}
			inQueue := drain(t, q, url)
			for _, b := range inQueue {
				i := index[b]
				g := msgs[i].GroupID
				if prev, ok := last[g]; ok && prev > i {
					t.Fatalf("%s in the queue after message %d", b, prev)
				}
				last[g] = i
			}
			sent, outOfOrder := 0, 0
			seen := map[string]bool{}
			for _, b := range inQueue {
				seen[b] = true
			}
			missing := map[string]int{} // each group's first message not in the queue
			for i, m := range msgs {
				if _, ok := missing[m.GroupID]; !ok && !seen[m.Body] {
					missing[m.GroupID] = i
				}
			}
			for i, r := range res {
				switch {
				case r.Err == nil:
					sent++
					require.True(t, seen[msgs[i].Body], "message %d reported sent is in the queue", i)
					if first, ok := missing[msgs[i].GroupID]; ok {
						require.Less(t, i, first, "message %d reported sent, but message %d of its group is not in the queue", i, first)
					}
				case errors.Is(r.Err, sqsx.ErrOutOfOrder):
					outOfOrder++
				}
			}
			calls := float64(q.Calls("SendMessageBatch")) / float64(n)
			t.Logf("MaxGroupEntries %d: %d of %d sent in order, %d out of order (reported), %d in the queue; %.3f calls/msg", perGroup, sent, n, outOfOrder, len(inQueue), calls)
			if perGroup == 1 {
				require.NoError(t, err, "transient faults are retried, never halting a group")
				assert.Len(t, inQueue, n)
			}
		})
	}
}
