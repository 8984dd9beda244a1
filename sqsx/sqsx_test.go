package sqsx_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

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
