package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/cli"
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

	// Fewer messages than groups fill as many groups as there are messages
	// (it said "5 messages in 10 groups").
	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 5, groups: 10, consume: true, concurrency: 2, seed: 1}))
	assert.True(t, strings.HasPrefix(out.String(), "sent 5 messages in 5 groups in "), out.String())
	assert.Contains(t, lastLine(out.String()), "processed=5 groups=5 in_order=true")

	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 1000, groups: 50, consume: true, concurrency: 16, seed: 1}))
	assert.Contains(t, lastLine(out.String()), "processed=1000 groups=50 in_order=true lost=0 duplicates=0 api_calls=")

	// -fail-rate 1, as its help says "0 to 1": nothing is handled, nothing lost
	// from the queue, and -for ends the run.
	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 20, groups: 2, consume: true, concurrency: 2, failRate: 1, runFor: 300 * time.Millisecond}))
	assert.True(t, strings.HasPrefix(lastLine(out.String()), "processed=0 groups=0 in_order=true lost=20 duplicates=0 api_calls="), out.String())

	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 200, groups: 5, consume: true, concurrency: 4, failRate: 0.2, seed: 3, offloadBucket: "bodies"}))
	assert.Contains(t, lastLine(out.String()), "processed=200 groups=5 in_order=true lost=0 duplicates=0 api_calls=")
}

// TestCommandLine runs the program as main does: -h prints the usage on
// stdout and exits 0; a wrong command line prints one error line and the
// usage on stderr and exits 2.
func TestCommandLine(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		code  int
		first string // of stdout for code 0, else of stderr
	}{
		{[]string{"-h"}, 0, "usage: fifo-worker [-send N] [-groups G] [-consume] [-concurrency C] [-fail-rate R] [-seed S] [-for D]"},
		{[]string{"-help"}, 0, "usage: fifo-worker [-send N] [-groups G] [-consume] [-concurrency C] [-fail-rate R] [-seed S] [-for D]"},
		{nil, 2, "fifo-worker: nothing to do: give -send N, -consume, or both"},
		{[]string{"-send", "x"}, 2, `fifo-worker: invalid value "x" for flag -send: parse error`},
		{[]string{"-consume", "-fail-rate", "2"}, 2, "fifo-worker: -fail-rate 2: use a share from 0 to 1"},
		{[]string{"-consume", "extra"}, 2, `fifo-worker: unexpected argument "extra"`},
		// Refused before anything is sent (sqsx refused them only after).
		{[]string{"-send", "5", "-consume", "-concurrency", "0"}, 2, "fifo-worker: -concurrency 0: handle 1 or more groups at once"},
		{[]string{"-send", "5", "-consume", "-concurrency", "-1"}, 2, "fifo-worker: -concurrency -1: handle 1 or more groups at once"},
		{[]string{"-send", "5", "-consume", "-wait", "-1s"}, 2, "fifo-worker: -wait -1s: a long poll is 1s to 20s in whole seconds"},
		{[]string{"-send", "5", "-consume", "-wait", "1500ms"}, 2, "fifo-worker: -wait 1.5s: a long poll is 1s to 20s in whole seconds"},
		{[]string{"-send", "5", "-consume", "-wait", "21s"}, 2, "fifo-worker: -wait 21s: a long poll is 1s to 20s in whole seconds"},
		{[]string{"-send", "5", "-consume", "-for", "-1s"}, 2, "fifo-worker: -for -1s: give a positive duration, or none to stop once the work is done"},
	} {
		flag.CommandLine = flag.NewFlagSet(os.Args[0], flag.ExitOnError) // realMain registers its flags here
		var out, errOut bytes.Buffer
		code := realMain(tt.args, &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		if code == 0 {
			first, _, _ := strings.Cut(out.String(), "\n")
			assert.Equal(t, tt.first, first, tt.args)
			assert.Contains(t, out.String(), "\n  -fail-rate float\n")
			assert.Contains(t, out.String(), "\n  -profile string\n")
			continue
		}
		first, rest, _ := strings.Cut(errOut.String(), "\n")
		assert.Equal(t, tt.first, first, tt.args)
		assert.True(t, strings.HasPrefix(rest, "\nusage: fifo-worker "), rest)
		assert.Empty(t, out.String(), "nothing done before the usage error")
	}
}

// TestOtelStdout: with -otel stdout, every message's process span is in
// the trace its create span began, and the metrics follow.
func TestOtelStdout(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{send: 20, groups: 2, consume: true, concurrency: 2, seed: 1, otel: "stdout"}))
	assert.Contains(t, out.String(), "processed=20 groups=2 in_order=true lost=0 duplicates=0 api_calls=")
	traces := map[string]map[string]int{} // trace ID, then span name, counted
	var metrics []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var v struct {
			Name         string
			SpanContext  struct{ TraceID string }
			ScopeMetrics []struct {
				Metrics []struct{ Name string }
			}
		}
		require.NoError(t, json.Unmarshal([]byte(line), &v), line)
		if v.Name != "" {
			if traces[v.SpanContext.TraceID] == nil {
				traces[v.SpanContext.TraceID] = map[string]int{}
			}
			traces[v.SpanContext.TraceID][v.Name]++
		}
		for _, sm := range v.ScopeMetrics {
			for _, m := range sm.Metrics {
				metrics = append(metrics, m.Name)
			}
		}
	}
	var oneTrace int // traces with a create span and the process span of its message
	for _, names := range traces {
		if names["create fifo-worker.fifo"] == 1 && names["process fifo-worker.fifo"] == 1 {
			oneTrace++
		}
	}
	assert.Equal(t, 20, oneTrace, "each message's create and process spans share a trace")
	assert.Subset(t, metrics, []string{"messaging.client.operation.duration", "messaging.client.sent.messages",
		"messaging.client.consumed.messages", "messaging.process.duration"})
}

func TestRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		o    options
		want string
	}{
		{options{groups: 1}, "nothing to do"},
		{options{send: 5, groups: 1}, "add -consume, or give -queue-url"},
		{options{send: 5, groups: 0, consume: true}, "across 1 to 10000 groups"},
		{options{groups: 1, consume: true, failRate: 1}, "-fail-rate 1 fails every handler call, so the queue never empties: give -for"},
		{options{groups: 1, consume: true, failRate: 1.5}, "-fail-rate 1.5: use a share from 0 to 1"},
		{options{groups: 1, consume: true, failRate: math.NaN()}, "-fail-rate NaN: use a share from 0 to 1"},
		{options{groups: 1, consume: true, queueURL: "https://sqs.us-east-1.amazonaws.com/1/plain"}, "ends in .fifo"},
		{options{groups: 1, consume: true, otel: "jaeger"}, "-otel jaeger: the one exporter is stdout"},
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
	require.NoError(t, run(context.Background(), &out, options{send: 200, groups: 5, queueURL: url, AWSFlags: cli.AWSFlags{Endpoint: endpoint}}))
	assert.Contains(t, out.String(), "sent 200 messages in 5 groups")
	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{groups: 5, consume: true, concurrency: 5, failRate: 0.1, seed: 2, queueURL: url, AWSFlags: cli.AWSFlags{Endpoint: endpoint}, wait: time.Second}))
	assert.Contains(t, lastLine(out.String()), "processed=200 groups=5 in_order=true lost=0 duplicates=0 api_calls=")

	// Sending through S3: every body is offloaded (the consuming side
	// is TestOffloadRoundTripMoto in sqsx, and TestOffline here; a second
	// consume run on moto's FIFO queue would cost this test its budget).
	bucket := strings.ToLower(moto.UniqueName("bodies"))
	store := s3.NewFromConfig(moto.Config(t), func(o *s3.Options) { o.UsePathStyle = true })
	_, err = store.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{send: 10, groups: 10, queueURL: url, AWSFlags: cli.AWSFlags{Endpoint: endpoint}, offloadBucket: bucket}))
	list, err := store.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	assert.Len(t, list.Contents, 10)
}
