package sqsx_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kumo-go/kumo/sqsx"
)

// A Lambda function fed by an S3 -> SQS pipeline: each record's body is an
// S3 notification; the test event is acknowledged and skipped.
func ExampleProcessEvent() {
	handler := func(_ context.Context, m *sqsx.Message) error {
		ev, err := sqsx.ParseS3Event([]byte(m.Body))
		if err != nil {
			return err // reported as this record's failure; it comes back
		}
		if ev.Test != nil {
			return nil
		}
		for _, r := range ev.Records {
			fmt.Printf("%s s3://%s/%s (%d bytes)\n", r.EventName, r.Bucket, r.Key, r.Size)
		}
		return nil
	}
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "1", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"uploads"}`},
		{MessageId: "2", Body: `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"a+b%2Bc.txt","size":5}}}]}`},
		{MessageId: "3", Body: `not json`},
	}}
	resp := sqsx.ProcessEvent(context.Background(), batch, handler)
	fmt.Println("failed:", resp.BatchItemFailures[0].ItemIdentifier)
	// Output:
	// ObjectCreated:Put s3://uploads/a b+c.txt (5 bytes)
	// failed: 3
}
