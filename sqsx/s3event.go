package sqsx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// S3Event is the S3 event notification in one message body.
type S3Event struct {
	// Records are the object events; empty for a test event.
	Records []S3Record
	// Test is set for the s3:TestEvent S3 sends when notifications are
	// configured; such a message only needs to be acknowledged.
	Test *S3TestEvent
}

// S3Record is one object event.
type S3Record struct {
	EventName string // such as ObjectCreated:Put
	EventTime time.Time
	Region    string
	Bucket    string
	// Key is decoded: S3 sends it form-encoded ("+" for a space, %XX).
	Key       string
	Size      int64
	ETag      string
	VersionID string
	// Sequencer orders events of one key: compare equal-length hex strings.
	Sequencer string
}

// S3TestEvent is the test message S3 sends on configuring notifications.
type S3TestEvent struct {
	Bucket    string
	Time      time.Time
	RequestID string
}

// ErrNotS3Event is returned for a body that is neither an S3 event
// notification, a test event, nor an SNS notification wrapping one.
var ErrNotS3Event = errors.New("sqsx: not an S3 event notification")

// maxEventBody bounds what ParseS3Event reads; SQS bodies are at most 1 MiB.
const maxEventBody = 1 << 20

type s3Notification struct {
	Records []struct {
		EventSource string `json:"eventSource"`
		AWSRegion   string `json:"awsRegion"`
		EventTime   string `json:"eventTime"`
		EventName   string `json:"eventName"`
		S3          struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				Size      int64  `json:"size"`
				ETag      string `json:"eTag"`
				VersionID string `json:"versionId"`
				Sequencer string `json:"sequencer"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
	// The test event's fields.
	Service   string `json:"Service"`
	Event     string `json:"Event"`
	Time      string `json:"Time"`
	Bucket    string `json:"Bucket"`
	RequestID string `json:"RequestId"`
	// An SNS notification's fields.
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

// ParseS3Event reads an S3 event notification from an SQS message body:
// sent by S3 directly, or wrapped in an SNS notification.
func ParseS3Event(body []byte) (*S3Event, error) {
	return parseS3Event(body, true)
}

func parseS3Event(body []byte, unwrap bool) (*S3Event, error) {
	if len(body) > maxEventBody {
		return nil, fmt.Errorf("%w: the body is %d bytes, over SQS's 1 MiB", ErrNotS3Event, len(body))
	}
	var n s3Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("%w: the body is not JSON", ErrNotS3Event)
	}
	switch {
	case n.Type == "Notification" && n.Message != "":
		if !unwrap {
			return nil, fmt.Errorf("%w: an SNS notification inside an SNS notification", ErrNotS3Event)
		}
		return parseS3Event([]byte(n.Message), false)
	case n.Event == "s3:TestEvent":
		t, _ := time.Parse(time.RFC3339Nano, n.Time)
		return &S3Event{Test: &S3TestEvent{Bucket: n.Bucket, Time: t, RequestID: n.RequestID}}, nil
	case len(n.Records) == 0:
		return nil, fmt.Errorf("%w: no Records", ErrNotS3Event)
	}
	ev := &S3Event{Records: make([]S3Record, 0, len(n.Records))}
	for i, r := range n.Records {
		if r.EventSource != "aws:s3" {
			return nil, fmt.Errorf("%w: record %d comes from %q, not aws:s3", ErrNotS3Event, i, r.EventSource)
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d's key is not form-encoded: %v", ErrNotS3Event, i, err)
		}
		t, _ := time.Parse(time.RFC3339Nano, r.EventTime)
		ev.Records = append(ev.Records, S3Record{
			EventName: r.EventName, EventTime: t, Region: r.AWSRegion, Bucket: r.S3.Bucket.Name, Key: key,
			Size: r.S3.Object.Size, ETag: r.S3.Object.ETag, VersionID: r.S3.Object.VersionID, Sequencer: r.S3.Object.Sequencer,
		})
	}
	return ev, nil
}
