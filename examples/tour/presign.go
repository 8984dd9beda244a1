package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kumo-go/kumo/s3sign"
)

// tempCreds are credentials that end in 30 minutes, like a role session's.
type tempCreds struct{}

func (tempCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken: "EXAMPLETOKEN", CanExpire: true, Expires: time.Now().Add(30 * time.Minute)}, nil
}

func presignStop(ctx context.Context, g *guide) error {
	opts := s3.Options{Region: "us-east-1", Credentials: awscreds.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")}
	if g.endpoint != "" {
		opts.BaseEndpoint, opts.UsePathStyle = aws.String(g.endpoint), true
		opts.Credentials = awscreds.NewStaticCredentialsProvider("test", "test", "")
	}
	client := s3.New(opts)
	signer, err := s3sign.NewFromClient(client)
	if err != nil {
		return err
	}
	bucket := "kumo-tour"
	put, err := signer.PutURL(ctx, bucket, "reports/q3 final.pdf", func(o *s3sign.PutOptions) { o.ContentType = "application/pdf" })
	if err != nil {
		return err
	}
	info, err := s3sign.Inspect(put.URL)
	if err != nil {
		return err
	}
	g.say("A PUT URL for \"reports/q3 final.pdf\", valid until %s; the browser must send:", put.Expires.UTC().Format(time.RFC3339))
	for k, v := range put.Header {
		g.say("  %s: %s", k, v[0])
	}
	g.say("Inspect reads it back: key %s, region %s, signed headers %v.", info.AccessKeyID, info.Region, info.SignedHeaders)

	_, err = signer.GetURL(ctx, bucket, "a.pdf", func(o *s3sign.GetOptions) { o.Expires = 8 * 24 * time.Hour })
	g.say("Eight days is refused before anyone clicks: %v", err)
	_, err = signer.GetURL(ctx, bucket, "a.pdf", func(o *s3sign.GetOptions) { o.Expires = 1500 * time.Millisecond })
	g.say("So is a fraction of a second: %v", err)
	g.say("Printed or logged, the signer keeps its secret key to itself: %v", signer)
	temp, err := s3sign.New(s3.NewPresignClient(client), tempCreds{})
	if err != nil {
		return err
	}
	_, err = temp.GetURL(ctx, bucket, "a.pdf", func(o *s3sign.GetOptions) { o.Expires = 24 * time.Hour })
	g.say("A day-long URL from 30-minute role credentials is refused too:\n    %v", err)

	form, err := signer.PostForm(ctx, bucket, s3sign.PostPolicy{KeyPrefix: "uploads/", MaxSize: 10 << 20, ContentType: "image/png"})
	if err != nil {
		return err
	}
	g.say("A browser POST form to %s with %d fields, one per policy condition (key %q).", form.URL, len(form.Fields), form.Fields["key"])

	if g.endpoint == "" {
		return nil
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return err
	}
	body := []byte("%PDF-1.7 tour")
	req, err := http.NewRequestWithContext(ctx, put.Method, put.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = put.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	get, err := signer.GetURL(ctx, bucket, "reports/q3 final.pdf")
	if err != nil {
		return err
	}
	resp, err = http.Get(get.URL)
	if err != nil {
		return err
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, body) {
		return fmt.Errorf("the presigned GET returned %q (%s)", got, resp.Status)
	}
	g.say("Against the emulator: uploaded with the PUT URL, read back with a GET URL: %q", got)
	return nil
}
