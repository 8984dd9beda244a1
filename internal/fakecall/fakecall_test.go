package fakecall

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fake is the smallest fake: one operation that stores its input.
type fake struct {
	Recorder
	mu  sync.Mutex
	got []string
}

type putOutput struct{ N int }

func (f *fake) Put(in *sqs.SendMessageInput) (out *putOutput, err error) {
	if err := Begin(&f.Recorder, "Put", in); err != nil {
		return nil, err
	}
	defer End(&f.Recorder, "Put", &out, &err)
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.MessageBody) == "" {
		return nil, errors.New("empty")
	}
	f.got = append(f.got, aws.ToString(in.MessageBody))
	return &putOutput{N: len(f.got)}, nil
}

func put(body string) *sqs.SendMessageInput {
	return &sqs.SendMessageInput{MessageBody: aws.String(body)}
}

func TestFailNextQueuesAndCounts(t *testing.T) {
	f := &fake{}
	boom := errors.New("boom")
	f.FailNext("Put", boom)
	f.FailNext("Put", boom)
	for i, want := range []error{boom, boom, nil} {
		_, err := f.Put(put("x"))
		if want == nil {
			require.NoError(t, err, "call %d", i)
		} else {
			require.ErrorIs(t, err, want, "call %d", i)
		}
	}
	assert.Equal(t, []string{"x"}, f.got, "failed calls do not act")
	assert.Equal(t, 3, f.Calls("Put"))
	assert.Equal(t, 0, f.Calls("Get"))
	assert.Equal(t, map[string]int{"Put": 3}, f.CallCounts())
	assert.Equal(t, 3, f.TotalCalls())
	f.ResetCalls()
	assert.Zero(t, f.TotalCalls())
	assert.Empty(t, f.Log("Put"))
}

func TestLoseNextActsThenFails(t *testing.T) {
	f := &fake{}
	lost := errors.New("connection reset")
	f.LoseNext("Put", lost)
	_, err := f.Put(put(""))
	require.EqualError(t, err, "empty", "a failing call does not use up the lost answer")
	out, err := f.Put(put("a"))
	require.ErrorIs(t, err, lost)
	assert.Nil(t, out)
	assert.Equal(t, []string{"a"}, f.got, "the lost call acted")
	out, err = f.Put(put("b"))
	require.NoError(t, err)
	assert.Equal(t, 2, out.N)
}

func TestOnCall(t *testing.T) {
	f := &fake{}
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException"}
	var seen []string
	f.OnCall("Put", func(in any) error {
		seen = append(seen, aws.ToString(in.(*sqs.SendMessageInput).MessageBody))
		_ = f.Calls("Put") // the hook may call the fake
		if len(seen) == 1 {
			return throttled
		}
		return nil
	})
	_, err := f.Put(put("a"))
	require.ErrorIs(t, err, throttled)
	_, err = f.Put(put("b"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, seen)
	assert.Equal(t, []string{"b"}, f.got)

	f.FailNext("Put", errors.New("first"))
	_, err = f.Put(put("c"))
	require.EqualError(t, err, "first")
	assert.Equal(t, []string{"a", "b"}, seen, "FailNext answers before the hook runs")

	f.OnCall("Put", nil)
	_, err = f.Put(put("d"))
	require.NoError(t, err)
	assert.Len(t, seen, 2, "removed")
}

func TestLogHoldsCopies(t *testing.T) {
	f := &fake{}
	in := &sqs.SendMessageInput{MessageBody: aws.String("a"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{
		"k": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2}}}}
	_, err := f.Put(in)
	require.NoError(t, err)
	_ = Begin(&f.Recorder, "Put", (*sqs.SendMessageInput)(nil))

	*in.MessageBody = "changed"
	in.MessageAttributes["k"].BinaryValue[0] = 9
	in.MessageAttributes["x"] = sqstypes.MessageAttributeValue{}

	log := f.Log("Put")
	require.Len(t, log, 2)
	want := &sqs.SendMessageInput{MessageBody: aws.String("a"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{
		"k": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2}}}}
	assert.Equal(t, want, log[0], "later changes to the caller's input do not show")
	assert.Equal(t, (*sqs.SendMessageInput)(nil), log[1])

	*log[0].(*sqs.SendMessageInput).MessageBody = "mine"
	assert.Equal(t, want, f.Log("Put")[0], "changes to what Log returned do not reach the log")
	assert.Empty(t, f.Log("Get"))
}

func TestLogKeepsTheLatest(t *testing.T) {
	var r Recorder
	for i := range 3*LogLimit + 5 {
		_ = Begin(&r, "Op", i)
	}
	log := r.Log("Op")
	require.Len(t, log, LogLimit)
	assert.Equal(t, 2*LogLimit+5, log[0])
	assert.Equal(t, 3*LogLimit+4, log[LogLimit-1])
	assert.Equal(t, 3*LogLimit+5, r.Calls("Op"), "counts are not bounded")

	// Inputs of 1 MiB: the log keeps what fits in LogBytes.
	big := make([]byte, 1<<20)
	for i := range 20 {
		big[0] = byte(i)
		_ = Begin(&r, "Big", big)
	}
	log = r.Log("Big")
	require.Len(t, log, LogBytes/(1<<20)-1, "each input also counts its header")
	assert.Equal(t, byte(19), log[len(log)-1].([]byte)[0])

	// One input larger than LogBytes is kept: the latest always is.
	_ = Begin(&r, "Huge", make([]byte, LogBytes+1))
	_ = Begin(&r, "Huge", make([]byte, LogBytes+1))
	assert.Len(t, r.Log("Huge"), 1)
}

type node struct{ L, R *node }

// A value whose pointers are shared or cyclic is copied in bounded time.
func TestLogCopiesCyclicAndSharedValues(t *testing.T) {
	cyclic := &node{}
	cyclic.L, cyclic.R = cyclic, cyclic
	shared := &node{}
	for range 100 { // 2^100 paths if every pointer were followed
		shared = &node{L: shared, R: shared}
	}
	var r Recorder
	_ = Begin(&r, "Op", cyclic)
	_ = Begin(&r, "Op", shared)
	assert.Len(t, r.Log("Op"), 2)
}

// The log's memory stays bounded however many calls are made.
func TestLogMemoryIsBounded(t *testing.T) {
	var r Recorder
	in := batchInput()
	for range 3000 {
		_ = Begin(&r, "SendMessageBatch", in)
		*in.Entries[0].MessageBody = string(make([]byte, 1024)) // a new body per call, as a real sender's
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	assert.Less(t, ms.HeapAlloc, uint64(2*LogBytes+(16<<20)), "heap after 3000 logged batches")
}

func TestRecorderIsSafeForConcurrentUse(t *testing.T) {
	f := &fake{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				f.FailNext("Put", errors.New("x"))
				_, _ = f.Put(put("a"))
				_ = f.Log("Put")
				_ = f.TotalCalls()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 160, f.Calls("Put"))
}

func TestErrorsAreTheSDKs(t *testing.T) {
	kmsErrs := RegistryErrors(kms.TypeRegistry, JSON)
	sqsErrs := RegistryErrors(sqs.TypeRegistry, JSONQueryCompatible)
	stsErrs := TypedErrors(Query, &ststypes.ExpiredTokenException{}, &ststypes.InvalidIdentityTokenException{})

	var nf *kmstypes.NotFoundException
	err := kmsErrs.New("NotFoundException", "Key 'x' does not exist")
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "Key 'x' does not exist", nf.ErrorMessage())
	assert.Equal(t, "NotFoundException", nf.ErrorCode())

	assert.Equal(t, &smithy.GenericAPIError{Code: "ValidationException", Message: "m"}, kmsErrs.New("ValidationException", "m"),
		"awsJson: no struct, unknown fault")

	for _, code := range []string{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"} {
		var qdne *sqstypes.QueueDoesNotExist
		require.ErrorAs(t, sqsErrs.New(code, "The specified queue does not exist."), &qdne, code)
		assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", qdne.ErrorCode(), "the query code, as *sqs.Client gives it")
	}
	var rh *sqstypes.ReceiptHandleIsInvalid
	require.ErrorAs(t, sqsErrs.New("ReceiptHandleIsInvalid", "m"), &rh)
	assert.Equal(t, "ReceiptHandleIsInvalid", rh.ErrorCode())
	assert.Equal(t, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "m", Fault: smithy.FaultClient},
		sqsErrs.New("InvalidParameterValue", "m"), "query-compatible: fault from the Sender header")

	var it *ststypes.InvalidIdentityTokenException
	require.ErrorAs(t, stsErrs.New("InvalidIdentityToken", "bad"), &it, "by query code")
	require.ErrorAs(t, stsErrs.New("InvalidIdentityTokenException", "bad"), &it, "by type name")
	assert.Equal(t, "InvalidIdentityToken", it.ErrorCode())
	assert.Equal(t, &smithy.GenericAPIError{Code: "ExpiredToken", Message: "m"}, stsErrs.New("ExpiredToken", "m"),
		"a common error: no struct")

	a, b := kmsErrs.New("DisabledException", "a"), kmsErrs.New("DisabledException", "b")
	assert.NotSame(t, a, b, "a new value each time")
	assert.Equal(t, "DisabledException: a", a.Error())
}

// batchInput is a full SendMessageBatch: ten 1 KiB messages with an
// attribute each.
func batchInput() *sqs.SendMessageBatchInput {
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/123456789012/q")}
	for i := range 10 {
		in.Entries = append(in.Entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), MessageBody: aws.String(string(make([]byte, 1024))),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	}
	return in
}

// BenchmarkBegin is what each call of a fake costs the recorder: count,
// deep copy of the input for the log, injection checks.
func BenchmarkBegin(b *testing.B) {
	var r Recorder
	in := batchInput()
	b.ReportAllocs()
	for b.Loop() {
		_ = Begin(&r, "SendMessageBatch", in)
	}
}

// BenchmarkBeginBaseline is the recorder before the log: a count under a
// mutex and a look at the failure queue.
func BenchmarkBeginBaseline(b *testing.B) {
	var mu sync.Mutex
	calls, fail := map[string]int{}, map[string][]error{}
	b.ReportAllocs()
	for b.Loop() {
		mu.Lock()
		calls["SendMessageBatch"]++
		_ = fail["SendMessageBatch"]
		mu.Unlock()
	}
}
