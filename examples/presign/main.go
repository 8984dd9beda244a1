// Command presign makes S3 presigned URLs and POST forms.
//
//	presign get|put|head|delete -bucket B -key K [-expires 15m] [-path-style] [AWS flags]
//	    get, put: [-sse-c-key-file F] [-expected-bucket-owner ACCOUNT] [-request-payer]; put: [-content-type T] [-acl ACL]
//	presign post -bucket B -key-prefix P -max-size N [-content-type-prefix T] [-expires 15m] [-path-style] [AWS flags]
//	presign inspect -url URL
//
// The AWS flags are -endpoint URL, -region R (default: the environment's,
// else us-east-1), -profile NAME and -debug (the SDK's own warnings).
// presign -h and presign COMMAND -h print the usage; a wrong command line
// prints it and exits 2; any other error exits 1 with one line on standard
// error.
//
// B may be an access point ARN (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME).
// -sse-c-key-file names a file of 32 raw bytes, the SSE-C key.
//
// get, put, head and delete print the URL on the first line; each header
// the client must send follows as "Name: value" (the SSE-C key included:
// printing it is what this command is for). post
// prints {"url":…,"fields":{…}}. Without configured credentials it signs with
// AWS's documented example keys and says so on standard error.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/s3sign"
)

const commands = "get put head delete post inspect"

const usage = `presign get|put|head|delete|post|inspect [flags]

Makes S3 presigned URLs (get, put, head, delete) and browser POST forms
(post), and shows what a presigned URL carries (inspect). Run
presign COMMAND -h for a command's flags.`

const objectSynopsis = `presign %s -bucket B -key K [-expires 15m] [-path-style] [-endpoint URL] [-region R] [-profile P]%s

Prints the presigned URL, then each header the client must send as
"Name: value". B may be an access point ARN. Without configured
credentials it signs with AWS's documented example keys and says so.`

// synopses are the commands' usage lines.
var synopses = map[string]string{
	"get":    fmt.Sprintf(objectSynopsis, "get", "\n                   [-sse-c-key-file F] [-expected-bucket-owner ACCOUNT] [-request-payer]"),
	"put":    fmt.Sprintf(objectSynopsis, "put", "\n                   [-content-type T] [-acl ACL] [-sse-c-key-file F] [-expected-bucket-owner ACCOUNT] [-request-payer]"),
	"head":   fmt.Sprintf(objectSynopsis, "head", ""),
	"delete": fmt.Sprintf(objectSynopsis, "delete", ""),
	"post": `presign post -bucket B -key-prefix P -max-size N [-content-type-prefix T] [-expires 15m] [-path-style]
                    [-endpoint URL] [-region R] [-profile P]

Prints {"url":…,"fields":{…}}: a form a browser may post a file of up to
N bytes with, under key prefix P.`,
	"inspect": `presign inspect -url URL

Prints who signed a presigned URL, for which region and service, which
headers, when, and until when.`,
}

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(cli.Exit("presign", err, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd, fs, rest, err := cli.Dispatch("presign", usage, commands, synopses, args)
	if err != nil {
		return err
	}
	// Each command takes only its own flags, so a flag it would ignore
	// (-acl on get, -key-prefix on put) is refused rather than dropped.
	str := func(on bool, name, usage string) *string {
		if !on {
			return new(string)
		}
		return fs.String(name, "", usage)
	}
	object := cmd == "get" || cmd == "put" || cmd == "head" || cmd == "delete"
	signs := cmd != "inspect"
	bucket := str(signs, "bucket", "bucket (required)")
	key := str(object, "key", "object key (required)")
	expires, pathStyle := new(time.Duration), new(bool)
	awsFlags := cli.AWSFlags{DefaultRegion: "us-east-1"}
	if signs {
		expires = fs.Duration("expires", 15*time.Minute, "lifetime, at most 168h")
		pathStyle = fs.Bool("path-style", false, "path-style addressing")
		awsFlags.Register(fs.FlagSet)
	}
	contentType := str(cmd == "put", "content-type", "Content-Type the upload must have")
	acl := str(cmd == "put", "acl", "canned ACL such as bucket-owner-full-control")
	sseKeyFile := str(cmd == "get" || cmd == "put", "sse-c-key-file", "file of the 32-byte SSE-C key")
	owner := str(cmd == "get" || cmd == "put", "expected-bucket-owner", "12-digit account ID the bucket must belong to")
	payer := new(bool)
	if cmd == "get" || cmd == "put" {
		payer = fs.Bool("request-payer", false, "accept requester-pays charges")
	}
	prefix := str(cmd == "post", "key-prefix", "key prefix the browser may upload under (required)")
	maxSize := new(int64)
	if cmd == "post" {
		maxSize = fs.Int64("max-size", 0, "largest upload in bytes (required)")
	}
	typePrefix := str(cmd == "post", "content-type-prefix", "Content-Type prefix")
	rawURL := str(cmd == "inspect", "url", "presigned URL (required)")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if cmd == "inspect" {
		if *rawURL == "" {
			return fs.Usagef("inspect: -url is required")
		}
		info, err := s3sign.Inspect(*rawURL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "access key:     %s\nregion:         %s\nservice:        %s\nsigned headers: %s\nsigned at:      %s\nexpires:        %s (expired: %v)\n",
			info.AccessKeyID, info.Region, info.Service, strings.Join(info.SignedHeaders, ", "),
			info.SignedAt.Format(time.RFC3339), info.Expires.Format(time.RFC3339), info.Expired)
		return nil
	}
	switch {
	case *bucket == "":
		return fs.Usagef("%s: -bucket is required", cmd)
	case cmd == "post" && (*prefix == "" || *maxSize <= 0):
		return fs.Usagef("post: -key-prefix and a positive -max-size are required")
	case cmd != "post" && *key == "":
		return fs.Usagef("%s: -key is required", cmd)
	}
	client, err := s3Client(ctx, awsFlags, *pathStyle, stderr)
	if err != nil {
		return err
	}
	signer, err := s3sign.NewFromClient(client)
	if err != nil {
		return err
	}
	if cmd == "post" {
		f, err := signer.PostForm(ctx, *bucket, s3sign.PostPolicy{KeyPrefix: *prefix, MaxSize: *maxSize, ContentTypePrefix: *typePrefix, Expires: *expires})
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(f)
	}
	var sseKey []byte
	if *sseKeyFile != "" {
		if sseKey, err = os.ReadFile(*sseKeyFile); err != nil {
			return err
		}
	}
	var req *s3sign.Request
	switch cmd {
	case "get":
		req, err = signer.GetURL(ctx, *bucket, *key, func(o *s3sign.GetOptions) {
			o.Expires, o.SSECustomerKey, o.ExpectedBucketOwner, o.RequestPayer = *expires, sseKey, *owner, *payer
		})
	case "put":
		req, err = signer.PutURL(ctx, *bucket, *key, func(o *s3sign.PutOptions) {
			o.Expires, o.ContentType = *expires, *contentType
			o.SSECustomerKey, o.ExpectedBucketOwner, o.RequestPayer, o.ACL = sseKey, *owner, *payer, types.ObjectCannedACL(*acl)
		})
	case "head":
		req, err = signer.HeadURL(ctx, *bucket, *key, func(o *s3sign.HeadOptions) { o.Expires = *expires })
	case "delete":
		req, err = signer.DeleteURL(ctx, *bucket, *key, func(o *s3sign.DeleteOptions) { o.Expires = *expires })
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, req.URL)
	{
		names := make([]string, 0, len(req.Header))
		for k := range req.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			for _, v := range req.Header[k] {
				fmt.Fprintf(stdout, "%s: %s\n", k, v)
			}
		}
	}
	return nil
}

func s3Client(ctx context.Context, awsFlags cli.AWSFlags, pathStyle bool, stderr io.Writer) (*s3.Client, error) {
	cfg, err := awsFlags.Config(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		cfg.Credentials = aws.AnonymousCredentials{} // refused below, like a chain that finds nothing
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		fmt.Fprintln(stderr, "presign: no AWS credentials configured; signing with AWS's documented example keys (the URLs will not work)")
		cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), nil
}
