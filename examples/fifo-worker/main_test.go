package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{send: 1000, groups: 10, consume: true, concurrency: 4, failRate: 0.2, seed: 3}))
	line := lastLine(out.String())
	assert.True(t, strings.HasPrefix(line, "processed=1000 groups=10 in_order=true lost=0 duplicates=0 api_calls="), line)

	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 1000, groups: 50, consume: true, concurrency: 16, seed: 1}))
	assert.Contains(t, lastLine(out.String()), "processed=1000 groups=50 in_order=true lost=0 duplicates=0 api_calls=")

	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 200, groups: 5, consume: true, concurrency: 4, failRate: 0.2, seed: 3, offloadBucket: "bodies"}))
	assert.Contains(t, lastLine(out.String()), "processed=200 groups=5 in_order=true lost=0 duplicates=0 api_calls=")
}

func TestRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		o    options
		want string
	}{
		{options{groups: 1}, "nothing to do"},
		{options{send: 5, groups: 1}, "add -consume, or give -queue-url"},
		{options{send: 5, groups: 0, consume: true}, "across 1 to 10000 groups"},
		{options{groups: 1, consume: true, failRate: 1}, "-fail-rate 1"},
		{options{groups: 1, consume: true, queueURL: "https://sqs.us-east-1.amazonaws.com/1/plain"}, "ends in .fifo"},
	} {
		assert.ErrorContains(t, run(context.Background(), &bytes.Buffer{}, tc.o), tc.want)
	}
}

// TestAgainstMoto sends in one run and consumes in another, as two
// processes would.
func TestAgainstMoto(t *testing.T) {
	endpoint := moto.Endpoint(t)
	client := sqs.NewFromConfig(moto.Config(t))
	q, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName("worker-") + ".fifo"),
		Attributes: map[string]string{"FifoQueue": "true"}})
	require.NoError(t, err)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	url := aws.ToString(q.QueueUrl)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{send: 200, groups: 5, queueURL: url, endpoint: endpoint}))
	assert.Contains(t, out.String(), "sent 200 messages in 5 groups")
	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{groups: 5, consume: true, concurrency: 5, failRate: 0.1, seed: 2, queueURL: url, endpoint: endpoint, wait: time.Second}))
	assert.Contains(t, lastLine(out.String()), "processed=200 groups=5 in_order=true lost=0 duplicates=0 api_calls=")

	// Sending through S3: every body is offloaded (the consuming side
	// is TestOffloadRoundTripMoto in sqsx, and TestOffline here; a second
	// consume run on moto's FIFO queue would cost this test its budget).
	bucket := strings.ToLower(moto.UniqueName("bodies"))
	store := s3.NewFromConfig(moto.Config(t), func(o *s3.Options) { o.UsePathStyle = true })
	_, err = store.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 10, groups: 10, queueURL: url, endpoint: endpoint, offloadBucket: bucket}))
	list, err := store.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	assert.Len(t, list.Contents, 10)
}
