package sqsx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/sqsx"
)

// testContext is a test's own bound: no test waits on Go's 10-minute
// timeout.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// soak reports whether the long soak and fault runs are wanted
// (KUMO_SOAK=1, which .ci/run sets).
func soak() bool { return os.Getenv("KUMO_SOAK") == "1" }

func record(id, group, body string) events.SQSMessage {
	attrs := map[string]string{"ApproximateReceiveCount": "2", "SentTimestamp": "1795352400000"}
	if group != "" {
		attrs["MessageGroupId"] = group
		attrs["SequenceNumber"] = "1000" + id
	}
	s := "v-" + id
	return events.SQSMessage{MessageId: id, Body: body, Attributes: attrs,
		MessageAttributes: map[string]events.SQSMessageAttribute{"trace": {StringValue: &s, DataType: "String"}}}
}

func failures(r events.SQSEventResponse) []string {
	var ids []string
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestProcessEventFIFO(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{
		record("1", "A", "a1"), record("2", "B", "b1"), record("3", "A", "a2-fails"),
		record("4", "A", "a3"), record("5", "B", "b2"), record("6", "A", "a4"),
	}}
	var handled []string
	resp := sqsx.ProcessEvent(context.Background(), ev, func(_ context.Context, m *sqsx.Message) error {
		handled = append(handled, m.Body)
		assert.Equal(t, 2, m.ReceiveCount)
		assert.Equal(t, time.UnixMilli(1795352400000).UTC(), m.SentAt)
		assert.Equal(t, "v-"+m.ID, m.MessageAttributes["trace"])
		if strings.HasSuffix(m.Body, "fails") {
			return errors.New("boom")
		}
		return nil
	})
	assert.Equal(t, []string{"a1", "b1", "a2-fails", "b2"}, handled, "A stops at its failure; B goes on")
	assert.Equal(t, []string{"3", "4", "6"}, failures(resp))
}

func TestProcessEventStandard(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{record("1", "", "ok"), record("2", "", "fails"), record("3", "", "panics"), record("4", "", "ok")}}
	var handled int
	resp := sqsx.ProcessEvent(context.Background(), ev, func(_ context.Context, m *sqsx.Message) error {
		handled++
		switch m.Body {
		case "fails":
			return errors.New("no")
		case "panics":
			panic("handler bug")
		}
		return nil
	})
	assert.Equal(t, 4, handled, "standard queues do not halt")
	assert.Equal(t, []string{"2", "3"}, failures(resp))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp = sqsx.ProcessEvent(ctx, ev, func(context.Context, *sqsx.Message) error { t.Fatal("called after cancel"); return nil })
	assert.Equal(t, []string{"1", "2", "3", "4"}, failures(resp))
}

const s3Body = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1","eventTime":"2026-11-22T12:00:00.123Z",
"eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"uploads","arn":"arn:aws:s3:::uploads"},
"object":{"key":"my+photos/summer+%282026%29%2B1+%C3%A9t%C3%A9.jpg","size":1024,"eTag":"d41d8cd98f00b204e9800998ecf8427e","versionId":"v1","sequencer":"0055AED6DCD90281E5"}}}]}`

func TestParseS3Event(t *testing.T) {
	ev, err := sqsx.ParseS3Event([]byte(s3Body))
	require.NoError(t, err)
	require.Len(t, ev.Records, 1)
	assert.Equal(t, sqsx.S3Record{EventName: "ObjectCreated:Put", EventTime: time.Date(2026, 11, 22, 12, 0, 0, 123e6, time.UTC), Region: "eu-west-1",
		Bucket: "uploads", Key: "my photos/summer (2026)+1 été.jpg", Size: 1024, ETag: "d41d8cd98f00b204e9800998ecf8427e",
		VersionID: "v1", Sequencer: "0055AED6DCD90281E5"}, ev.Records[0])
	assert.Nil(t, ev.Test)

	wrapped := fmt.Sprintf(`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:eu-west-1:111122223333:t","Message":%q}`, s3Body)
	ev2, err := sqsx.ParseS3Event([]byte(wrapped))
	require.NoError(t, err)
	assert.Equal(t, ev.Records, ev2.Records)

	test, err := sqsx.ParseS3Event([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-22T12:00:00.000Z","Bucket":"uploads","RequestId":"R1","HostId":"H"}`))
	require.NoError(t, err)
	require.NotNil(t, test.Test)
	assert.Equal(t, "uploads", test.Test.Bucket)
	assert.Empty(t, test.Records)

	for _, bad := range []string{``, `[]`, `{}`, `{"Records":[]}`, `{"Records":[{"eventSource":"aws:sqs"}]}`,
		`{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"%zz"}}}]}`,
		fmt.Sprintf(`{"Type":"Notification","Message":%q}`, fmt.Sprintf(`{"Type":"Notification","Message":%q}`, s3Body))} {
		_, err := sqsx.ParseS3Event([]byte(bad))
		assert.ErrorIs(t, err, sqsx.ErrNotS3Event, bad)
	}
}

func FuzzParseS3Event(f *testing.F) {
	f.Add([]byte(s3Body))
	f.Add([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`))
	f.Add([]byte(fmt.Sprintf(`{"Type":"Notification","Message":%q}`, s3Body)))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := sqsx.ParseS3Event(body)
		if err != nil {
			return
		}
		if (ev.Test == nil) == (len(ev.Records) == 0) {
			t.Fatalf("an event must be a test event or have records: %+v", ev)
		}
	})
}
