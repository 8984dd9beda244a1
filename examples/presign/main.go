// Command presign makes S3 presigned URLs and POST forms.
//
//	presign get|put|head|delete -bucket B -key K [-expires 15m] [-content-type T] [-endpoint URL] [-path-style] [-region R]
//	    get, put: [-sse-c-key-file F] [-expected-bucket-owner ACCOUNT] [-request-payer]; put: [-acl ACL]
//	presign post -bucket B -key-prefix P -max-size N [-content-type-prefix T] [-expires 15m] [-endpoint URL] [-path-style] [-region R]
//	presign inspect -url URL
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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kumo-go/kumo/s3sign"
)

const commands = "get put head delete post inspect"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "presign:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing command: want one of " + commands)
	}
	cmd := args[0]
	if !strings.Contains(" "+commands+" ", " "+cmd+" ") {
		return fmt.Errorf("unknown command %q: want one of %s", cmd, commands)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bucket := fs.String("bucket", "", "bucket")
	key := fs.String("key", "", "object key")
	expires := fs.Duration("expires", 15*time.Minute, "lifetime, at most 168h")
	contentType := fs.String("content-type", "", "Content-Type the upload must have (put)")
	endpoint := fs.String("endpoint", "", "S3 endpoint URL (MinIO, LocalStack, moto, versitygw)")
	pathStyle := fs.Bool("path-style", false, "path-style addressing")
	region := fs.String("region", "", "AWS region")
	prefix := fs.String("key-prefix", "", "key prefix the browser may upload under (post)")
	maxSize := fs.Int64("max-size", 0, "largest upload in bytes (post)")
	typePrefix := fs.String("content-type-prefix", "", "Content-Type prefix (post)")
	rawURL := fs.String("url", "", "presigned URL (inspect)")
	sseKeyFile := fs.String("sse-c-key-file", "", "file of the 32-byte SSE-C key (get, put)")
	owner := fs.String("expected-bucket-owner", "", "12-digit account ID the bucket must belong to (get, put)")
	payer := fs.Bool("request-payer", false, "accept requester-pays charges (get, put)")
	acl := fs.String("acl", "", "canned ACL such as bucket-owner-full-control (put)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%s: %v", cmd, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if cmd == "inspect" {
		if *rawURL == "" {
			return errors.New("inspect: -url is required")
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
	client, err := s3Client(ctx, *region, *endpoint, *pathStyle, stderr)
	if err != nil {
		return err
	}
	signer, err := s3sign.NewFromClient(client)
	if err != nil {
		return err
	}
	if cmd == "post" {
		if *prefix == "" || *maxSize <= 0 {
			return errors.New("post: -key-prefix and a positive -max-size are required")
		}
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

func s3Client(ctx context.Context, region, endpoint string, pathStyle bool, stderr io.Writer) (*s3.Client, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil || cfg.Credentials == nil {
		fmt.Fprintln(stderr, "presign: no AWS credentials configured; signing with AWS's documented example keys (the URLs will not work)")
		cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
	}), nil
}
