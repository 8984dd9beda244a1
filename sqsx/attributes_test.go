package sqsx_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// everyType is one attribute of each type and label SQS accepts.
var everyType = map[string]sqsx.Attribute{
	"s":          sqsx.StringAttribute("héllo"),
	"n":          sqsx.NumberAttribute(-42),
	"f":          {DataType: "Number", StringValue: "3.25e-7"},
	"b":          sqsx.BinaryAttribute([]byte{0, 1, 0xfe, 0xff}),
	"int":        {DataType: "Number.int", StringValue: "7"},
	"gzip":       {DataType: "Binary.gzip", BinaryValue: []byte{0x1f, 0x8b, 8}},
	"json":       {DataType: "String.json", StringValue: `{"a":1}`},
	"label.dots": {DataType: "String.a-b_c.d", StringValue: "v"},
	// A label has the body's restrictions, not the name's.
	"mime":    {DataType: "Binary.image/png", BinaryValue: []byte{0x89, 'P', 'N', 'G'}},
	"charset": {DataType: "String.application/json; charset=utf-8 é", StringValue: "{}"},
}

const traceHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

// roundTrip sends one message with every attribute type and the trace
// header through a Sender and a Processor, and returns what the handler
// saw.
func roundTrip(t *testing.T, client sqsx.SQSAPI, url string) *sqsx.Message {
	t.Helper()
	sendAll(t, client, url, []sqsx.Message{{Body: "attrs", MessageAttributes: everyType, TraceHeader: traceHeader}})
	got := make(chan *sqsx.Message, 1)
	done := make(chan struct{})
	var errs errorLog
	p, err := sqsx.NewProcessor(client, url, func(_ context.Context, m *sqsx.Message) error {
		got <- m
		close(done)
		return nil
	}, quick(&errs), func(o *sqsx.ProcessorOptions) { o.WaitTime = time.Second })
	require.NoError(t, err)
	require.NoError(t, runUntil(t, p, done))
	assert.Empty(t, errs.all())
	return <-got
}

func TestAttributesRoundTripSQSTest(t *testing.T) {
	q := sqstest.New()
	m := roundTrip(t, q, q.CreateQueue("attrs", sqstest.QueueOptions{}))
	assert.Equal(t, everyType, m.MessageAttributes)
	assert.Equal(t, traceHeader, m.TraceHeader)
	assert.Equal(t, traceHeader, m.Attributes["AWSTraceHeader"])
}

func TestAttributesRoundTripMoto(t *testing.T) {
	ctx := testContext(t)
	client := sqs.NewFromConfig(moto.Config(t))
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName("attrs"))})
	require.NoError(t, err)
	rec := &sentEntries{SQSAPI: client}
	m := roundTrip(t, rec, aws.ToString(q.QueueUrl))
	assert.Equal(t, everyType, m.MessageAttributes)
	// moto 5.2.1 keeps MessageSystemAttributes only from SendMessage, not
	// from SendMessageBatch, so the trace header is checked on the wire.
	require.Len(t, rec.entries, 1)
	assert.Equal(t, traceHeader, aws.ToString(rec.entries[0].MessageSystemAttributes["AWSTraceHeader"].StringValue))
	assert.Equal(t, "String", aws.ToString(rec.entries[0].MessageSystemAttributes["AWSTraceHeader"].DataType))
}

// sentEntries records the entries of SendMessageBatch calls.
type sentEntries struct {
	sqsx.SQSAPI
	mu      sync.Mutex
	entries []types.SendMessageBatchRequestEntry
}

func (s *sentEntries) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	s.mu.Lock()
	s.entries = append(s.entries, in.Entries...)
	s.mu.Unlock()
	return s.SQSAPI.SendMessageBatch(ctx, in, o...)
}

// TestMessageSizeAtTheLimit holds the Sender's count and sqstest's to
// SQS's rule: the body's bytes plus, per attribute, its name, data type
// and value bytes (binary values raw); the trace header does not count.
func TestMessageSizeAtTheLimit(t *testing.T) {
	attrs := map[string]sqsx.Attribute{
		"bin":  {DataType: "Binary.gzip", BinaryValue: []byte{1, 2, 3, 4, 5}}, // 3 + 11 + 5 = 19
		"num":  sqsx.NumberAttribute(12345),                                   // 3 + 6 + 5 = 14
		"text": sqsx.StringAttribute("héllo"),                                 // 4 + 6 + 6 = 16
	}
	const attrBytes = 19 + 14 + 16
	at := sqsx.Message{Body: strings.Repeat("x", 1<<20-attrBytes), MessageAttributes: attrs, TraceHeader: traceHeader}
	require.Equal(t, 1<<20, at.Size())
	over := at
	over.Body += "y"
	require.Equal(t, 1<<20+1, over.Size())

	t.Run("Sender", func(t *testing.T) {
		q := sqstest.New()
		url := q.CreateQueue("limit", sqstest.QueueOptions{})
		s, err := sqsx.NewSender(q, url)
		require.NoError(t, err)
		res, err := s.Send(testContext(t), at, over)
		require.Error(t, err)
		assert.NoError(t, res[0].Err, "exactly 1 MiB is allowed")
		assert.ErrorIs(t, res[1].Err, sqsx.ErrInvalidMessage)
		assert.ErrorContains(t, res[1].Err, "1048577 bytes (body and attributes) is over the 1048576 allowed")
		assert.Equal(t, 1, q.Len(url))
	})
	t.Run("sqstest", func(t *testing.T) {
		q := sqstest.New()
		url := q.CreateQueue("limit", sqstest.QueueOptions{})
		entry := func(m sqsx.Message) types.SendMessageBatchRequestEntry {
			e := types.SendMessageBatchRequestEntry{Id: aws.String("1"), MessageBody: aws.String(m.Body), MessageAttributes: map[string]types.MessageAttributeValue{},
				MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(traceHeader)}}}
			for k, a := range m.MessageAttributes {
				v := types.MessageAttributeValue{DataType: aws.String(a.DataType), BinaryValue: a.BinaryValue}
				if a.StringValue != "" {
					v.StringValue = aws.String(a.StringValue)
				}
				e.MessageAttributes[k] = v
			}
			return e
		}
		out, err := q.SendMessageBatch(testContext(t), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{entry(at)}})
		require.NoError(t, err)
		assert.Len(t, out.Successful, 1)
		_, err = q.SendMessageBatch(testContext(t), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{entry(over)}})
		var api smithy.APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, "AWS.SimpleQueueService.BatchRequestTooLong", api.ErrorCode())
		assert.Contains(t, api.ErrorMessage(), "You have sent 1048577 bytes")
	})
}

// TestSQSTestRefusesBadAttributes checks the fake answers as moto and SQS
// do to attributes a Sender would never send.
func TestSQSTestRefusesBadAttributes(t *testing.T) {
	q := sqstest.New()
	url := q.CreateQueue("bad", sqstest.QueueOptions{})
	for name, v := range map[string]types.MessageAttributeValue{
		"no type":      {StringValue: aws.String("v")},
		"bad type":     {DataType: aws.String("Foo"), StringValue: aws.String("v")},
		"empty binary": {DataType: aws.String("Binary")},
		"empty string": {DataType: aws.String("String")},
	} {
		_, err := q.SendMessageBatch(testContext(t), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("1"), MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"a": v}}}})
		var api smithy.APIError
		require.ErrorAs(t, err, &api, name)
		assert.Equal(t, "InvalidParameterValue", api.ErrorCode(), name)
	}
	assert.Zero(t, q.Len(url))
}

func sqsAttrs(attrs map[string]sqsx.Attribute) map[string]types.MessageAttributeValue {
	out := map[string]types.MessageAttributeValue{}
	for k, a := range attrs {
		v := types.MessageAttributeValue{DataType: aws.String(a.DataType), BinaryValue: a.BinaryValue}
		if a.StringValue != "" {
			v.StringValue = aws.String(a.StringValue)
		}
		out[k] = v
	}
	return out
}

// TestBadAttributeTypeMoto: moto refuses an unknown data type the way
// sqstest does (whole call, InvalidParameterValue). moto 5.2.1 accepts
// empty String and Binary values, which SQS and sqstest refuse.
func TestBadAttributeTypeMoto(t *testing.T) {
	ctx := testContext(t)
	client := sqs.NewFromConfig(moto.Config(t))
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName("badattr"))})
	require.NoError(t, err)
	_, err = client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("1"), MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Foo"), StringValue: aws.String("v")}}}}})
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "InvalidParameterValue", api.ErrorCode())
}
