package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
		{options{groups: 1, consume: true, failRate: 1}, "-fail-rate 1"},
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
	require.NoError(t, run(context.Background(), &out, options{send: 200, groups: 5, queueURL: url, endpoint: endpoint}))
	assert.Contains(t, out.String(), "sent 200 messages in 5 groups")
	out.Reset()
	require.NoError(t, run(context.Background(), &out, options{groups: 5, consume: true, concurrency: 5, failRate: 0.1, seed: 2, queueURL: url, endpoint: endpoint, wait: time.Second}))
	assert.Contains(t, lastLine(out.String()), "processed=200 groups=5 in_order=true lost=0 duplicates=0 api_calls=")
}
