// Command s3-events is the S3 → SQS → worker pipeline: S3 notifies a queue
// of each new object, and the worker copies it to "<name>-copy<ext>"
// (reports/q3.pdf becomes reports/q3-copy.pdf).
//
// Against moto, with -setup creating the bucket, the queue and the
// notification, and -upload putting a few objects in:
//
//	moto_server -p 5000 &
//	go run ./examples/s3-events -endpoint http://127.0.0.1:5000 -bucket uploads -setup -upload 3
//
// Against AWS, on a bucket already notifying a queue:
//
//	go run ./examples/s3-events -bucket uploads -queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/uploads -for 1m
//
// The S3 test event is acknowledged and skipped; so are copies, which would
// otherwise be copied again, and events other than ObjectCreated.
//
// -region, -profile and -debug (the SDK's own warnings) work as in the other
// examples. -h prints the usage; a wrong command line prints it and exits
// 2; any other error exits 1 with one line on standard error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/sqsx"
)

type options struct {
	bucket, queueURL string
	setup            bool
	upload           int
	runFor           time.Duration
	cli.AWSFlags     // -endpoint, -region, -profile, -debug
}

const synopsis = `s3-events -bucket B (-queue-url URL | -setup) [-upload N] [-for D]
          [-endpoint URL] [-region R] [-profile P] [-debug]

Works the S3 -> SQS -> worker pipeline: each new object in B is copied
to "<name>-copy<ext>". -setup creates the bucket, a queue and the
notification; -upload puts N demo objects in first.`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain is main with its command line and output given; it registers
// the flags on flag.CommandLine.
func realMain(args []string, stdout, stderr io.Writer) int {
	o := options{AWSFlags: cli.AWSFlags{DefaultRegion: "us-east-1"}}
	o.AWSFlags.Register(flag.CommandLine)
	flag.StringVar(&o.bucket, "bucket", "", "the bucket whose new objects are copied")
	flag.StringVar(&o.queueURL, "queue-url", "", "the queue the bucket notifies (with -setup: made if empty)")
	flag.BoolVar(&o.setup, "setup", false, "create the bucket, the queue and the bucket's notification to it")
	flag.IntVar(&o.upload, "upload", 0, "put this many demo objects in the bucket first")
	flag.DurationVar(&o.runFor, "for", 0, "how long to work (default: until the queue is empty and has been quiet 2 s)")
	fs := cli.Wrap(flag.CommandLine, "s3-events", synopsis)
	if err := fs.Parse(args); err != nil {
		return fs.Exit(err, stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return fs.Exit(run(ctx, stdout, o), stdout, stderr)
}

func run(ctx context.Context, out io.Writer, o options) error {
	switch {
	case o.bucket == "":
		return cli.Usagef("-bucket is required")
	case o.queueURL == "" && !o.setup:
		return cli.Usagef("give -queue-url, or -setup to create a queue")
	case o.upload < 0 || o.upload > 1000:
		return cli.Usagef("-upload %d: use 0 to 1000", o.upload)
	case o.runFor < 0:
		return cli.Usagef("-for %s: give a positive duration, or none to work until the queue is quiet", o.runFor)
	}
	cfg, err := o.AWSFlags.Config(ctx)
	if err != nil {
		return err
	}
	if o.Endpoint != "" {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "") // emulators take any
		}
	}
	s3c := s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.UsePathStyle = o.Endpoint != "" // emulators serve buckets on one host
	})
	sqc := sqs.NewFromConfig(cfg)
	if o.setup {
		if o.queueURL, err = setup(ctx, out, s3c, sqc, o); err != nil {
			return err
		}
	}
	for i := range o.upload {
		key := fmt.Sprintf("uploads/report %d (final)+ü.txt", i+1) // a key S3 encodes in its events
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key),
			Body: strings.NewReader(fmt.Sprintf("report %d\n", i+1))}); err != nil {
			return fmt.Errorf("uploading %q: %w", key, err)
		}
		fmt.Fprintf(out, "uploaded s3://%s/%s\n", o.bucket, key)
	}
	return work(ctx, out, s3c, sqc, o)
}

// setup creates the bucket and a queue, lets S3 send to the queue, and
// turns on ObjectCreated notifications.
func setup(ctx context.Context, out io.Writer, s3c *s3.Client, sqc *sqs.Client, o options) (string, error) {
	in := &s3.CreateBucketInput{Bucket: aws.String(o.bucket)}
	if r := s3c.Options().Region; r != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(r)}
	}
	var owned *s3types.BucketAlreadyOwnedByYou
	if _, err := s3c.CreateBucket(ctx, in); err != nil && !errors.As(err, &owned) {
		return "", fmt.Errorf("creating the bucket: %w", err)
	}
	queueURL := o.queueURL
	if queueURL == "" {
		q, err := sqc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(o.bucket + "-events")})
		if err != nil {
			return "", fmt.Errorf("creating the queue: %w", err)
		}
		queueURL = aws.ToString(q.QueueUrl)
	}
	attrs, err := sqc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	queueARN := attrs.Attributes["QueueArn"]
	policy, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect": "Allow", "Principal": map[string]string{"Service": "s3.amazonaws.com"},
			"Action": "sqs:SendMessage", "Resource": queueARN,
			"Condition": map[string]any{"ArnLike": map[string]string{"aws:SourceArn": "arn:aws:s3:::" + o.bucket}},
		}},
	})
	if _, err := sqc.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(queueURL), Attributes: map[string]string{"Policy": string(policy)}}); err != nil {
		return "", fmt.Errorf("letting S3 send to the queue: %w", err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(o.bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(queueARN), Events: []s3types.Event{"s3:ObjectCreated:*"}}}}}); err != nil {
		return "", fmt.Errorf("turning on notifications: %w", err)
	}
	fmt.Fprintf(out, "bucket %s notifies %s\n", o.bucket, queueURL)
	return queueURL, nil
}

// copyName is where an object's copy goes: "<name>-copy<ext>".
func copyName(key string) string {
	ext := path.Ext(key)
	return strings.TrimSuffix(key, ext) + "-copy" + ext
}

func isCopy(key string) bool {
	return strings.HasSuffix(strings.TrimSuffix(key, path.Ext(key)), "-copy")
}

// empty reports whether the queue holds no message, visible or in flight.
func empty(ctx context.Context, c *sqs.Client, url string) bool {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return false
	}
	return out.Attributes["ApproximateNumberOfMessages"] == "0" && out.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
}

// tally counts what the worker did.
type tally struct {
	mu                             sync.Mutex
	events, copied, skipped, tests int
	last                           time.Time
}

func work(ctx context.Context, out io.Writer, s3c *s3.Client, sqc *sqs.Client, o options) error {
	out = &lockedWriter{w: out}
	t := &tally{last: time.Now()}
	p, err := sqsx.NewProcessor(sqc, o.queueURL, func(ctx context.Context, m *sqsx.Message) error {
		ev, err := sqsx.ParseS3Event([]byte(m.Body))
		if err != nil {
			return err // not an S3 event: it comes back, and a redrive policy moves it on
		}
		t.mu.Lock()
		t.last = time.Now()
		if ev.Test != nil {
			t.tests++
			t.mu.Unlock()
			fmt.Fprintf(out, "test event from bucket %s: acknowledged\n", ev.Test.Bucket)
			return nil
		}
		t.mu.Unlock()
		for _, r := range ev.Records {
			t.mu.Lock()
			t.events++
			t.mu.Unlock()
			if !strings.HasPrefix(r.EventName, "ObjectCreated:") || isCopy(r.Key) {
				t.mu.Lock()
				t.skipped++
				t.mu.Unlock()
				continue
			}
			dst := copyName(r.Key)
			src := r.Bucket + "/" + url.PathEscape(r.Key)
			if r.VersionID != "" {
				src += "?versionId=" + url.QueryEscape(r.VersionID)
			}
			if _, err := s3c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(dst), CopySource: aws.String(src)}); err != nil {
				return fmt.Errorf("copying s3://%s/%s: %w", r.Bucket, r.Key, err)
			}
			fmt.Fprintf(out, "copied s3://%s/%s -> %s\n", r.Bucket, r.Key, dst)
			t.mu.Lock()
			t.copied++
			t.mu.Unlock()
		}
		return nil
	}, func(po *sqsx.ProcessorOptions) {
		po.OnError = func(err error) { fmt.Fprintln(out, "  note:", err) }
	})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.runFor > 0 {
		runCtx, cancel = context.WithTimeout(ctx, o.runFor)
		defer cancel()
	}
	go func() {
		if o.runFor > 0 {
			return
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				t.mu.Lock()
				quiet := time.Since(t.last) > 2*time.Second
				t.mu.Unlock()
				if quiet && empty(runCtx, sqc, o.queueURL) {
					cancel()
				}
			}
		}
	}()
	if err := p.Run(runCtx); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := p.Stats()
	fmt.Fprintf(out, "events=%d copied=%d skipped=%d test_events=%d messages=%d api_calls=%d\n", t.events, t.copied, t.skipped, t.tests, st.Handled, st.APICalls())
	return nil
}

// lockedWriter lets handlers, which run concurrently, write to one output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
