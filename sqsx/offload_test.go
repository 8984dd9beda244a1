package sqsx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// offloadRoundTrip sends body through a Sender that offloads to bucket,
// handles it with a Processor that reads and deletes payloads, and
// returns what the handler saw and the Sender's result.
func offloadRoundTrip(t *testing.T, q sqsx.SQSAPI, store sqsx.S3API, url, bucket, body string) (*sqsx.Message, sqsx.SendResult) {
	t.Helper()
	ctx := testContext(t)
	s, err := sqsx.NewSender(q, url, func(o *sqsx.SenderOptions) { o.S3, o.OffloadBucket = store, bucket })
	require.NoError(t, err)
	res, err := s.Send(ctx, sqsx.Message{Body: body, MessageAttributes: map[string]sqsx.Attribute{"kind": sqsx.StringAttribute("big")}})
	require.NoError(t, err)
	require.NotNil(t, res[0].Payload, "the body went to S3")

	got := make(chan *sqsx.Message, 1)
	done := make(chan struct{})
	deleting := &deleteSignal{S3API: store, deleted: make(chan struct{}, 1)}
	var errs errorLog
	p, err := sqsx.NewProcessor(q, url, func(_ context.Context, m *sqsx.Message) error {
		got <- m
		return nil
	}, quick(&errs), func(o *sqsx.ProcessorOptions) {
		o.S3, o.DeletePayloads, o.WaitTime = deleting, true, time.Second
	})
	require.NoError(t, err)
	stop := start(t, p)
	var m *sqsx.Message
	select {
	case m = <-got:
	case <-ctx.Done():
		t.Fatal("not handled")
	}
	// The object goes once the message is deleted.
	select {
	case <-deleting.deleted:
	case <-ctx.Done():
		t.Fatal("the object was not deleted")
	}
	close(done)
	require.NoError(t, stop())
	assert.Empty(t, errs.all())
	assert.Equal(t, int64(1), p.Stats().Deleted)
	return m, res[0]
}

func TestOffloadRoundTripSQSTest(t *testing.T) {
	q := sqstest.New()
	url := q.CreateQueue("big", sqstest.QueueOptions{})
	store := sqstest.NewS3()
	store.CreateBucket("payloads")
	body := strings.Repeat("é", 3<<20/2) // 3 MiB
	m, res := offloadRoundTrip(t, q, store, url, "payloads", body)
	assert.Equal(t, body, m.Body)
	assert.Equal(t, map[string]sqsx.Attribute{"kind": sqsx.StringAttribute("big")}, m.MessageAttributes, "the size attribute is not the handler's")
	require.NotNil(t, m.Payload)
	assert.Equal(t, sqsx.S3Pointer{Bucket: "payloads", Key: res.Payload.Key, Size: 3 << 20}, *m.Payload)
	assert.Empty(t, store.Keys("payloads"), "deleted after the message")
	assert.Zero(t, q.Len(url))
}

func TestOffloadRoundTripMoto(t *testing.T) {
	ctx := testContext(t)
	cfg := moto.Config(t)
	q := sqs.NewFromConfig(cfg)
	store := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := strings.ToLower(moto.UniqueName("payloads"))
	_, err := store.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName("big"))})
	require.NoError(t, err)
	url := aws.ToString(out.QueueUrl)

	body := strings.Repeat("0123456789abcdef", 3<<20/16) // 3 MiB
	m, res := offloadRoundTrip(t, q, store, url, bucket, body)
	assert.Equal(t, body, m.Body)
	assert.Equal(t, int64(3<<20), m.Payload.Size)
	_, err = store.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(res.Payload.Key)})
	var nf *s3types.NotFound
	assert.ErrorAs(t, err, &nf, "the object is deleted once its message is")
}

// pointerMessage is a message as the extended client libraries send it,
// built by hand from their documented format.
func pointerMessage(class, sizeAttr, bucket, key string, size int, spaced bool) sqsx.Message {
	body := fmt.Sprintf(`[%q,{"s3BucketName":%q,"s3Key":%q}]`, class, bucket, key)
	if spaced { // Python's json.dumps separators
		body = fmt.Sprintf(`[%q, {"s3BucketName": %q, "s3Key": %q}]`, class, bucket, key)
	}
	return sqsx.Message{Body: body, MessageAttributes: map[string]sqsx.Attribute{
		sizeAttr: {DataType: "Number", StringValue: fmt.Sprint(size)}, "other": sqsx.StringAttribute("kept")}}
}

// sendRaw sends msgs with the SDK's own call, as another producer would
// (a Sender refuses the reserved attribute names).
func sendRaw(t *testing.T, q *sqstest.Fake, url string, msgs ...sqsx.Message) {
	t.Helper()
	for _, m := range msgs {
		in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(m.Body), MessageAttributes: sqsAttrs(m.MessageAttributes)}
		_, err := q.SendMessage(testContext(t), in)
		require.NoError(t, err)
	}
}

func TestProcessorResolvesLibraryPointers(t *testing.T) {
	q := sqstest.New()
	url := q.CreateQueue("lib", sqstest.QueueOptions{})
	store := sqstest.NewS3()
	for i, body := range []string{"java v2", "java v1", "python", "js legacy"} {
		store.PutRaw("lib-bucket", fmt.Sprintf("key-%d", i), []byte(body))
	}
	sendRaw(t, q, url,
		pointerMessage("software.amazon.payloadoffloading.PayloadS3Pointer", "ExtendedPayloadSize", "lib-bucket", "key-0", 7, false),
		pointerMessage("com.amazon.sqs.javamessaging.MessageS3Pointer", "SQSLargePayloadSize", "lib-bucket", "key-1", 7, false),
		pointerMessage("software.amazon.payloadoffloading.PayloadS3Pointer", "ExtendedPayloadSize", "lib-bucket", "key-2", 6, true),
		pointerMessage("com.amazon.sqs.javamessaging.MessageS3Pointer", "ExtendedPayloadSize", "lib-bucket", "key-3", 9, false))
	h := newHandled(4)
	var errs errorLog
	p, err := sqsx.NewProcessor(q, url, func(_ context.Context, m *sqsx.Message) error {
		assert.Equal(t, map[string]sqsx.Attribute{"other": sqsx.StringAttribute("kept")}, m.MessageAttributes)
		h.ok(m)
		return nil
	}, quick(&errs), func(o *sqsx.ProcessorOptions) { o.S3 = store })
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, h.finish))
	var bodies []string
	for _, b := range h.groups() {
		bodies = append(bodies, b...)
	}
	assert.ElementsMatch(t, []string{"java v2", "java v1", "python", "js legacy"}, bodies)
	assert.Len(t, store.Keys("lib-bucket"), 4, "DeletePayloads is off by default")
}

// TestProcessorPayloadFailures: a message whose body cannot be read never
// reaches the handler, is reported with the cause, and is not deleted.
func TestProcessorPayloadFailures(t *testing.T) {
	const ptr = "software.amazon.payloadoffloading.PayloadS3Pointer"
	for _, tc := range []struct {
		name  string
		msg   sqsx.Message
		setup func(*sqstest.S3)
		s3    bool
		check func(t *testing.T, err error)
	}{
		{"missing object", pointerMessage(ptr, "ExtendedPayloadSize", "b", "gone", 3, false), nil, true, func(t *testing.T, err error) {
			var nsk *s3types.NoSuchKey
			assert.ErrorAs(t, err, &nsk)
			assert.ErrorContains(t, err, "reading s3://b/gone")
		}},
		{"size mismatch", pointerMessage(ptr, "ExtendedPayloadSize", "b", "k", 5, false), func(s *sqstest.S3) { s.PutRaw("b", "k", []byte("abc")) }, true, func(t *testing.T, err error) {
			assert.ErrorContains(t, err, "holds 3 bytes; the message declares 5")
		}},
		{"too large", pointerMessage(ptr, "ExtendedPayloadSize", "b", "k", 11, false), func(s *sqstest.S3) { s.PutRaw("b", "k", []byte("0123456789a")) }, true, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, sqsx.ErrPayloadTooLarge)
		}},
		{"lying size", pointerMessage(ptr, "ExtendedPayloadSize", "b", "k", 3, false), func(s *sqstest.S3) { s.PutRaw("b", "k", []byte("0123456789abcdef")) }, true, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, sqsx.ErrPayloadTooLarge, "never read past MaxPayloadBytes")
		}},
		{"unknown class", pointerMessage("x.Pointer", "ExtendedPayloadSize", "b", "k", 3, false), nil, true, func(t *testing.T, err error) {
			assert.ErrorContains(t, err, "the pointer's class is not")
		}},
		{"not a pointer", sqsx.Message{Body: "hello", MessageAttributes: map[string]sqsx.Attribute{"ExtendedPayloadSize": sqsx.NumberAttribute(5)}}, nil, true, func(t *testing.T, err error) {
			assert.ErrorContains(t, err, "the body is not a pointer")
		}},
		{"no S3 client", pointerMessage(ptr, "ExtendedPayloadSize", "b", "k", 3, false), nil, false, func(t *testing.T, err error) {
			assert.ErrorContains(t, err, "no S3 client was given")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := sqstest.New()
			url := q.CreateQueue("fail", sqstest.QueueOptions{})
			store := sqstest.NewS3()
			store.CreateBucket("b")
			if tc.setup != nil {
				tc.setup(store)
			}
			sendRaw(t, q, url, tc.msg)
			reported := make(chan error, 10)
			p, err := sqsx.NewProcessor(q, url, func(context.Context, *sqsx.Message) error {
				t.Error("the handler must not see a message whose body was not read")
				return nil
			}, func(o *sqsx.ProcessorOptions) {
				o.ShutdownTimeout = 5 * time.Second
				o.OnError = func(err error) { // the message comes back at once, and fails again
					select {
					case reported <- err:
					default:
					}
				}
				if tc.s3 {
					o.S3, o.DeletePayloads, o.MaxPayloadBytes = store, true, 10
				}
			})
			require.NoError(t, err)
			stop := start(t, p)
			var got error
			select {
			case got = <-reported:
			case <-testContext(t).Done():
				t.Fatal("nothing reported")
			}
			require.NoError(t, stop())
			var pe *sqsx.ProcessError
			require.ErrorAs(t, got, &pe)
			assert.Equal(t, "GetObject", pe.Op)
			assert.ErrorIs(t, got, sqsx.ErrPayload)
			tc.check(t, got)
			assert.Equal(t, 1, q.Len(url), "not deleted")
			assert.Zero(t, p.Stats().Deleted)
		})
	}
}

func TestSenderOffload(t *testing.T) {
	q := sqstest.New()
	url := q.CreateQueue("send", sqstest.QueueOptions{})
	store := sqstest.NewS3()
	store.CreateBucket("b")
	newSender := func(fn func(*sqsx.SenderOptions)) *sqsx.Sender {
		s, err := sqsx.NewSender(q, url, func(o *sqsx.SenderOptions) { o.S3, o.OffloadBucket = store, "b" }, fn)
		require.NoError(t, err)
		return s
	}
	ctx := testContext(t)

	t.Run("threshold", func(t *testing.T) {
		s := newSender(func(o *sqsx.SenderOptions) { o.OffloadThreshold = 10; o.OffloadKeyPrefix = "in/" })
		res, err := s.Send(ctx, sqsx.Message{Body: "0123456789"}, sqsx.Message{Body: "0123456789a"})
		require.NoError(t, err)
		assert.Nil(t, res[0].Payload, "at the threshold stays in SQS")
		require.NotNil(t, res[1].Payload)
		assert.True(t, strings.HasPrefix(res[1].Payload.Key, "in/"))
		content, ok := store.Object("b", res[1].Payload.Key)
		require.True(t, ok)
		assert.Equal(t, "0123456789a", string(content))

		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		require.NoError(t, err)
		require.Len(t, out.Messages, 2)
		for _, m := range out.Messages {
			if aws.ToString(m.Body) == "0123456789" {
				continue
			}
			assert.Equal(t, `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"`+res[1].Payload.Key+`"}]`, aws.ToString(m.Body))
			assert.Equal(t, "Number", aws.ToString(m.MessageAttributes["ExtendedPayloadSize"].DataType))
			assert.Equal(t, "11", aws.ToString(m.MessageAttributes["ExtendedPayloadSize"].StringValue))
		}
	})
	t.Run("FIFO content-based deduplication still drops duplicates", func(t *testing.T) {
		fifo := q.CreateQueue("dedup.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
		s, err := sqsx.NewSender(q, fifo, func(o *sqsx.SenderOptions) { o.S3, o.OffloadBucket, o.AlwaysOffload = store, "b", true })
		require.NoError(t, err)
		first, err := s.Send(ctx, sqsx.Message{GroupID: "g", Body: "same"})
		require.NoError(t, err)
		again, err := s.Send(ctx, sqsx.Message{GroupID: "g", Body: "same"})
		require.NoError(t, err)
		assert.Equal(t, first[0].MessageID, again[0].MessageID, "SQS took the second as a duplicate")
		assert.Equal(t, 1, q.Len(fifo))

		strict := q.CreateQueue("strict.fifo", sqstest.QueueOptions{})
		s, err = sqsx.NewSender(q, strict, func(o *sqsx.SenderOptions) { o.S3, o.OffloadBucket, o.AlwaysOffload = store, "b", true })
		require.NoError(t, err)
		before := len(store.Keys("b"))
		res, err := s.Send(ctx, sqsx.Message{GroupID: "g", Body: "x"})
		require.ErrorIs(t, err, sqsx.ErrInvalidMessage)
		assert.ErrorContains(t, res[0].Err, "no DeduplicationID, and the queue has no content-based deduplication")
		assert.Len(t, store.Keys("b"), before, "nothing uploaded for a refused message")
	})
	t.Run("a message over MaxBatchBytes is offloaded below the threshold", func(t *testing.T) {
		s := newSender(func(o *sqsx.SenderOptions) { o.MaxBatchBytes = 2048 })
		res, err := s.Send(ctx, sqsx.Message{Body: strings.Repeat("x", 2048)}, sqsx.Message{Body: strings.Repeat("x", 2049)})
		require.NoError(t, err)
		assert.Nil(t, res[0].Payload, "at MaxBatchBytes stays in SQS")
		require.NotNil(t, res[1].Payload, "over MaxBatchBytes goes to S3 although under the 256 KiB threshold")
		assert.Equal(t, int64(2049), res[1].Payload.Size)
		_, _ = q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	})
	t.Run("always", func(t *testing.T) {
		s := newSender(func(o *sqsx.SenderOptions) { o.AlwaysOffload = true })
		res, err := s.Send(ctx, sqsx.Message{Body: "x"})
		require.NoError(t, err)
		assert.NotNil(t, res[0].Payload)
	})
	t.Run("the pointer counts toward the limit", func(t *testing.T) {
		s := newSender(nil)
		huge := map[string]sqsx.Attribute{"a": sqsx.BinaryAttribute(make([]byte, 1<<20))}
		res, err := s.Send(ctx, sqsx.Message{Body: "x", MessageAttributes: huge})
		require.ErrorIs(t, err, sqsx.ErrInvalidMessage)
		assert.ErrorContains(t, res[0].Err, "the body offloaded) is over the 1048576 allowed")
		nine := map[string]sqsx.Attribute{}
		for i := range 10 {
			nine[fmt.Sprint("a", i)] = sqsx.StringAttribute("v")
		}
		res, err = s.Send(ctx, sqsx.Message{Body: strings.Repeat("x", 300<<10), MessageAttributes: nine})
		require.ErrorIs(t, err, sqsx.ErrInvalidMessage)
		assert.ErrorContains(t, res[0].Err, "10 message attributes; an offloaded message takes at most 9 (the pointer's ExtendedPayloadSize is the 10th)")
	})
	t.Run("a message not sent leaves no object", func(t *testing.T) {
		before := len(store.Keys("b"))
		s := newSender(func(o *sqsx.SenderOptions) { o.AlwaysOffload = true })
		q.FailNext("SendMessageBatch", errors.New("boom"))
		q.FailNext("SendMessageBatch", errors.New("boom"))
		q.FailNext("SendMessageBatch", errors.New("boom"))
		q.FailNext("SendMessageBatch", errors.New("boom"))
		q.FailNext("SendMessageBatch", errors.New("boom"))
		res, err := s.Send(ctx, sqsx.Message{Body: "x"})
		require.Error(t, err)
		assert.Error(t, res[0].Err)
		assert.Len(t, store.Keys("b"), before)
	})
	t.Run("a failed upload is the message's error", func(t *testing.T) {
		s := newSender(func(o *sqsx.SenderOptions) { o.AlwaysOffload = true })
		store.FailNext("PutObject", errors.New("denied"))
		res, err := s.Send(ctx, sqsx.Message{Body: "x"})
		require.Error(t, err)
		assert.ErrorContains(t, res[0].Err, "sqsx: offloading the body to s3://b/")
	})
}

// FuzzResolvePayload feeds ResolvePayload pointer bodies and size
// attributes from outside: it never panics, never reads past its bound,
// and hands over an object's content only when it matches the size.
func FuzzResolvePayload(f *testing.F) {
	f.Add(`["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}]`, "5")
	f.Add(`["com.amazon.sqs.javamessaging.MessageS3Pointer", {"s3BucketName": "b", "s3Key": "k"}]`, "5")
	f.Add(`["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"big"}]`, "3")
	f.Add(`["x",{}]`, "-1")
	f.Add(`{"s3BucketName":"b","s3Key":"k"}`, "1e3")
	store := sqstest.NewS3()
	store.PutRaw("b", "k", []byte("hello"))
	store.PutRaw("b", "big", make([]byte, 100))
	f.Fuzz(func(t *testing.T, body, size string) {
		m := &sqsx.Message{Body: body, MessageAttributes: map[string]sqsx.Attribute{"ExtendedPayloadSize": {DataType: "Number", StringValue: size}}}
		err := sqsx.ResolvePayload(context.Background(), store, m, 64)
		if err != nil {
			if !errors.Is(err, sqsx.ErrPayload) {
				t.Fatalf("error without ErrPayload: %v", err)
			}
			return
		}
		if m.Payload == nil || int64(len(m.Body)) != m.Payload.Size || len(m.Body) > 64 {
			t.Fatalf("resolved %q to %d bytes, pointer %+v", body, len(m.Body), m.Payload)
		}
	})
}

// endless is an S3 whose objects never end and state no length.
type endless struct{ sqsx.S3API }

func (endless) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return &s3.GetObjectOutput{Body: io.NopCloser(zeros{})}, nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestResolvePayloadMemoryBound: an object larger than it claims, without
// a Content-Length, is read no further than MaxPayloadBytes.
func TestResolvePayloadMemoryBound(t *testing.T) {
	const bound = 1 << 20
	m := pointerMessage("software.amazon.payloadoffloading.PayloadS3Pointer", "ExtendedPayloadSize", "b", "k", bound, false)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := sqsx.ResolvePayload(testContext(t), endless{}, &m, bound)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, sqsx.ErrPayload)
	t.Logf("allocated %d bytes for a 1 MiB bound", after.TotalAlloc-before.TotalAlloc)
	assert.ErrorContains(t, err, "holds more than the 1048576 bytes the message declares")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(bound+64<<10), "allocated while reading")
}

// TestResolvePayloadRefusesAmbiguousPointers: a pointer that could be read
// two ways, or names what S3 cannot hold, is refused rather than resolved
// by a guess.
func TestResolvePayloadRefusesAmbiguousPointers(t *testing.T) {
	const ptr = "software.amazon.payloadoffloading.PayloadS3Pointer"
	good := `["` + ptr + `",{"s3BucketName":"b","s3Key":"k"}]`
	size := func(name, v string) map[string]sqsx.Attribute {
		return map[string]sqsx.Attribute{name: {DataType: "Number", StringValue: v}}
	}
	both := func(a, b string) map[string]sqsx.Attribute {
		return map[string]sqsx.Attribute{"ExtendedPayloadSize": {DataType: "Number", StringValue: a}, "SQSLargePayloadSize": {DataType: "Number", StringValue: b}}
	}
	for _, tc := range []struct {
		name     string
		body     string
		attrs    map[string]sqsx.Attribute
		maxBytes int64
		want     string // "" for success
	}{
		{"good", good, size("ExtendedPayloadSize", "5"), 0, ""},
		{"both size attributes, equal", good, both("5", "5"), 0, ""},
		{"both size attributes, different", good, both("5", "6"), 0, "ExtendedPayloadSize 5 and SQSLargePayloadSize 6 disagree"},
		{"key twice", `["` + ptr + `",{"s3BucketName":"b","s3Key":"k","s3Key":"other"}]`, size("ExtendedPayloadSize", "5"), 0, `"s3Key" twice`},
		{"bucket twice", `["` + ptr + `",{"s3BucketName":"a","s3BucketName":"b","s3Key":"k"}]`, size("ExtendedPayloadSize", "5"), 0, `"s3BucketName" twice`},
		{"escaped key twice", `["` + ptr + `",{"s3BucketName":"b","s3Key":"k","s3\u004bey":"other"}]`, size("ExtendedPayloadSize", "5"), 0, `"s3Key" twice`},
		{"key over 1024 bytes", `["` + ptr + `",{"s3BucketName":"b","s3Key":"` + strings.Repeat("k", 1025) + `"}]`, size("ExtendedPayloadSize", "5"), 0, "S3 keys are at most 1024 bytes and bucket names 63"},
		{"bucket over 63 bytes", `["` + ptr + `",{"s3BucketName":"` + strings.Repeat("b", 64) + `","s3Key":"k"}]`, size("ExtendedPayloadSize", "5"), 0, "S3 keys are at most 1024 bytes and bucket names 63"},
		{"negative maxBytes", good, size("ExtendedPayloadSize", "5"), -1, "maxBytes -1: use a positive size (0 for 67108864)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := sqstest.NewS3()
			store.PutRaw("b", "k", []byte("hello"))
			m := &sqsx.Message{Body: tc.body, MessageAttributes: tc.attrs}
			err := sqsx.ResolvePayload(testContext(t), store, m, tc.maxBytes)
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "hello", m.Body)
				assert.Empty(t, m.MessageAttributes, "both size attributes are taken off")
				return
			}
			require.ErrorIs(t, err, sqsx.ErrPayload)
			assert.ErrorContains(t, err, tc.want)
			assert.Equal(t, tc.body, m.Body, "the body stays the pointer")
		})
	}
}

// deleteSignal is an S3 that signals each DeleteObject that returned.
type deleteSignal struct {
	sqsx.S3API
	deleted chan struct{}
}

func (d *deleteSignal) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	out, err := d.S3API.DeleteObject(ctx, in, optFns...)
	select {
	case d.deleted <- struct{}{}:
	default:
	}
	return out, err
}

// stalled is an S3 whose object bodies never yield a byte until closed,
// as a connection that stalls mid-body; the SDK's bodies behave so too.
// GetObject signals started, so a test knows a read is under way.
type stalled struct {
	sqsx.S3API
	started chan struct{}
}

func (s stalled) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	select {
	case s.started <- struct{}{}:
	default:
	}
	return &s3.GetObjectOutput{Body: &stalledBody{closed: make(chan struct{})}}, nil
}

// readStarted waits for a read of s to begin.
func (s stalled) readStarted(t *testing.T) {
	t.Helper()
	select {
	case <-s.started:
	case <-testContext(t).Done():
		t.Fatal("no read began")
	}
}

type stalledBody struct {
	once   sync.Once
	closed chan struct{}
}

func (b *stalledBody) Read([]byte) (int, error) {
	<-b.closed
	return 0, errors.New("use of closed body")
}
func (b *stalledBody) Close() error { b.once.Do(func() { close(b.closed) }); return nil }

// TestResolvePayloadStalledBody: a read that stalls ends with ctx; in a
// Processor, at the latest with ShutdownTimeout, and the message is
// released, not deleted.
func TestResolvePayloadStalledBody(t *testing.T) {
	m := pointerMessage("software.amazon.payloadoffloading.PayloadS3Pointer", "ExtendedPayloadSize", "b", "k", 5, false)
	ctx, cancel := context.WithCancel(testContext(t))
	st := stalled{started: make(chan struct{}, 1)}
	go func() { // cancel once the read is under way
		select {
		case <-st.started:
		case <-ctx.Done():
		}
		cancel()
	}()
	err := sqsx.ResolvePayload(ctx, st, &m, 0)
	require.ErrorIs(t, err, sqsx.ErrPayload)
	require.ErrorIs(t, err, context.Canceled)

	q := sqstest.New()
	url := q.CreateQueue("stall", sqstest.QueueOptions{})
	sendRaw(t, q, url, pointerMessage("software.amazon.payloadoffloading.PayloadS3Pointer", "ExtendedPayloadSize", "b", "k", 5, false))
	reported := make(chan error, 10)
	p, err := sqsx.NewProcessor(q, url, func(context.Context, *sqsx.Message) error {
		t.Error("the handler must not see a message whose body was not read")
		return nil
	}, func(o *sqsx.ProcessorOptions) {
		o.S3, o.ShutdownTimeout = st, 100*time.Millisecond
		o.OnError = func(err error) { reported <- err }
	})
	require.NoError(t, err)
	stop := start(t, p)
	st.readStarted(t) // the message was received and its body is being read
	if err := stop(); err != nil {
		require.ErrorIs(t, err, sqsx.ErrShutdownTimeout)
	}
	select {
	case err = <-reported:
	case <-testContext(t).Done():
		t.Fatal("the stalled read never ended")
	}
	assert.ErrorIs(t, err, sqsx.ErrPayload)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, q.Len(url), "not deleted")
}

// TestDeletePayloadsKeepsTheObjectOfAStaleHandle: SQS answers a delete
// with a receipt handle that is no longer current with success, without
// deleting the message. So the Processor deletes a payload only while its
// message's visibility surely lasts; past that, the object stays (and
// OnError says so), for the message may come back and need it.
func TestDeletePayloadsKeepsTheObjectOfAStaleHandle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		advance time.Duration // how long the handler takes, on the fake clock
		kept    bool
	}{
		{"within the visibility timeout", 0, false},
		{"past the visibility timeout", 31 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := sqstest.NewClock(time.Unix(1_700_000_000, 0))
			q := sqstest.New(func(o *sqstest.Options) { o.Clock = clk.Now })
			url := q.CreateQueue("stale", sqstest.QueueOptions{VisibilityTimeout: 30 * time.Second})
			store := sqstest.NewS3()
			store.CreateBucket("b")
			store.PutRaw("b", "k", []byte("hello"))
			sendRaw(t, q, url, pointerMessage("software.amazon.payloadoffloading.PayloadS3Pointer", "ExtendedPayloadSize", "b", "k", 5, false))
			var errs errorLog
			p, err := sqsx.NewProcessor(q, url, func(_ context.Context, m *sqsx.Message) error {
				assert.Equal(t, "hello", m.Body)
				clk.Advance(tc.advance)
				return nil
			}, func(o *sqsx.ProcessorOptions) {
				o.S3, o.DeletePayloads, o.Clock = store, true, clk
				o.HeartbeatFraction = 0.99
				o.OnError = errs.add
			})
			require.NoError(t, err)
			stop := start(t, p)
			for p.Stats().Deleted == 0 {
				select {
				case <-testContext(t).Done():
					t.Fatal("not deleted")
				case <-time.After(time.Millisecond):
				}
			}
			require.NoError(t, stop())
			_, ok := store.Object("b", "k")
			assert.Equal(t, tc.kept, ok)
			if tc.kept {
				var said bool
				for _, err := range errs.all() {
					var pe *sqsx.ProcessError
					said = said || errors.As(err, &pe) && pe.Op == "DeleteObject" && errors.Is(err, sqsx.ErrReceiptHandleExpired)
				}
				assert.True(t, said, "OnError says the object was kept: %v", errs.all())
			}
		})
	}
}
