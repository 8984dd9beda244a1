package sqsx_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/sqsx"
)

// pythonLibrary plays the Python extended client library's side with
// boto3, written from the library's documented behaviour: on send, the
// body as UTF-8 in S3 under a uuid4 key, the pointer as json.dumps of
// [class, {"s3BucketName", "s3Key"}] (Python's ", " and ": " separators)
// and ExtendedPayloadSize a Number of the body's bytes; on receive, a
// message with either size attribute has its body read from the pointer.
const pythonLibrary = `
import boto3, hashlib, json, sys, uuid
endpoint, queue, bucket, mode = sys.argv[1:5]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
sqs, s3 = boto3.client("sqs", **kw), boto3.client("s3", **kw)
if mode == "send":
    body = ("payload é 😀 " * 40000)
    data = body.encode("utf-8")
    key = str(uuid.uuid4())
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": bucket, "s3Key": key}]),
        MessageAttributes={"ExtendedPayloadSize": {"DataType": "Number", "StringValue": str(len(data))},
                           "trace": {"DataType": "Binary.raw", "BinaryValue": b"\x00\x01"}})
    print(hashlib.sha256(data).hexdigest())
else:
    out = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], WaitTimeSeconds=5)
    m = out["Messages"][0]
    attrs = m.get("MessageAttributes", {})
    assert "ExtendedPayloadSize" in attrs or "SQSLargePayloadSize" in attrs, attrs
    ptr = json.loads(m["Body"])
    assert isinstance(ptr, list) and len(ptr) == 2 and isinstance(ptr[1], dict), ptr
    data = s3.get_object(Bucket=ptr[1]["s3BucketName"], Key=ptr[1]["s3Key"])["Body"].read()
    size = attrs.get("ExtendedPayloadSize", attrs.get("SQSLargePayloadSize"))
    assert int(size["StringValue"]) == len(data), (size, len(data))
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    print(ptr[0], hashlib.sha256(data.decode("utf-8").encode("utf-8")).hexdigest())
`

func python(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("python3", append([]string{"-c", pythonLibrary}, args...)...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("python: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// TestOffloadInteropPython exchanges offloaded messages with a boto3
// producer and consumer that follow the Python library, through moto.
func TestOffloadInteropPython(t *testing.T) {
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 with boto3 is needed on CI")
		}
		t.Skip("python3 with boto3 not installed")
	}
	ctx := testContext(t)
	cfg := moto.Config(t)
	q := sqs.NewFromConfig(cfg)
	store := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := strings.ToLower(moto.UniqueName("interop"))
	_, err := store.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName("interop"))})
	require.NoError(t, err)
	url := aws.ToString(out.QueueUrl)

	t.Run("python sends, the Processor reads", func(t *testing.T) {
		want := python(t, moto.Endpoint(t), url, bucket, "send")
		got := make(chan *sqsx.Message, 1)
		var errs errorLog
		p, err := sqsx.NewProcessor(q, url, func(_ context.Context, m *sqsx.Message) error {
			got <- m
			return nil
		}, quick(&errs), func(o *sqsx.ProcessorOptions) { o.S3, o.DeletePayloads, o.WaitTime = store, true, time.Second })
		require.NoError(t, err)
		stop := start(t, p)
		var m *sqsx.Message
		select {
		case m = <-got:
		case <-ctx.Done():
			t.Fatal("not handled")
		}
		require.NoError(t, stop())
		sum := sha256.Sum256([]byte(m.Body))
		assert.Equal(t, want, hex.EncodeToString(sum[:]))
		assert.Equal(t, map[string]sqsx.Attribute{"trace": {DataType: "Binary.raw", BinaryValue: []byte{0, 1}}}, m.MessageAttributes)
		assert.Empty(t, errs.all())
	})
	t.Run("the Sender sends, python reads", func(t *testing.T) {
		// A queue of its own: the Processor's abandoned poll may still be
		// waiting on the first.
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName("interop"))})
		require.NoError(t, err)
		url := aws.ToString(out.QueueUrl)
		s, err := sqsx.NewSender(q, url, func(o *sqsx.SenderOptions) { o.S3, o.OffloadBucket = store, bucket })
		require.NoError(t, err)
		body := strings.Repeat("kumo ü 🌊 ", 30000)
		_, err = s.Send(ctx, sqsx.Message{Body: body})
		require.NoError(t, err)
		sum := sha256.Sum256([]byte(body))
		assert.Equal(t, "software.amazon.payloadoffloading.PayloadS3Pointer "+hex.EncodeToString(sum[:]), python(t, moto.Endpoint(t), url, bucket, "receive"))
	})
}
