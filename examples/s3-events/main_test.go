package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

func TestCopyName(t *testing.T) {
	for key, want := range map[string]string{
		"reports/q3.pdf":    "reports/q3-copy.pdf",
		"a b+c.tar.gz":      "a b+c.tar-copy.gz",
		"noext":             "noext-copy",
		"dir.v2/file":       "dir.v2/file-copy",
		"uploads/ü (1).txt": "uploads/ü (1)-copy.txt",
	} {
		assert.Equal(t, want, copyName(key), key)
		assert.True(t, isCopy(copyName(key)), key)
		assert.False(t, isCopy(key), key)
	}
}

func TestRefusesBadFlags(t *testing.T) {
	assert.ErrorContains(t, run(context.Background(), io.Discard, options{}), "-bucket is required")
	assert.ErrorContains(t, run(context.Background(), io.Discard, options{bucket: "b"}), "give -queue-url, or -setup")
	assert.ErrorContains(t, run(context.Background(), io.Discard, options{bucket: "b", setup: true, upload: -1}), "use 0 to 1000")
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
		{[]string{"-h"}, 0, "usage: s3-events -bucket B (-queue-url URL | -setup) [-upload N] [-for D]"},
		{nil, 2, "s3-events: -bucket is required"},
		{[]string{"-bucket", "b"}, 2, "s3-events: give -queue-url, or -setup to create a queue"},
		{[]string{"-upload", "many"}, 2, `s3-events: invalid value "many" for flag -upload: parse error`},
		{[]string{"-bucket", "b", "-setup", "-for", "-1s"}, 2, "s3-events: -for -1s: give a positive duration, or none to work until the queue is quiet"},
	} {
		flag.CommandLine = flag.NewFlagSet(os.Args[0], flag.ExitOnError) // realMain registers its flags here
		var out, errOut bytes.Buffer
		code := realMain(tt.args, &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		if code == 0 {
			first, _, _ := strings.Cut(out.String(), "\n")
			assert.Equal(t, tt.first, first, tt.args)
			assert.Contains(t, out.String(), "\n  -queue-url string\n")
			continue
		}
		first, rest, _ := strings.Cut(errOut.String(), "\n")
		assert.Equal(t, tt.first, first, tt.args)
		assert.True(t, strings.HasPrefix(rest, "\nusage: s3-events "), rest)
	}
}

func TestPipelineAgainstMoto(t *testing.T) {
	endpoint := moto.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	bucket := strings.ToLower(moto.UniqueName("events-"))
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{AWSFlags: cli.AWSFlags{Endpoint: endpoint, Region: "us-east-1"}, bucket: bucket, setup: true, upload: 3}))
	s := out.String()
	assert.Contains(t, s, "copied s3://"+bucket+"/uploads/report 1 (final)+ü.txt -> uploads/report 1 (final)+ü-copy.txt")
	assert.Contains(t, s, "test event from bucket "+bucket+": acknowledged")
	assert.Contains(t, s, "events=6 copied=3 skipped=3 test_events=1 messages=7 ")

	client := s3.NewFromConfig(moto.Config(t), func(o *s3.Options) { o.UsePathStyle = true })
	for _, key := range []string{"uploads/report 1 (final)+ü-copy.txt", "uploads/report 3 (final)+ü-copy.txt"} {
		obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		require.NoError(t, err, key)
		body, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		assert.Equal(t, "report "+key[15:16]+"\n", string(body))
	}
}
