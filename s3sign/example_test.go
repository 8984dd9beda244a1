package s3sign_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kumo-go/kumo/s3sign"
)

// A PUT URL for a browser upload: every header that was signed comes back,
// because the browser must send each of them.
func Example() {
	client := s3.New(s3.Options{Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")})
	signer, err := s3sign.NewFromClient(client, func(o *s3sign.Options) {
		o.Clock = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	})
	if err != nil {
		log.Fatal(err)
	}
	req, err := signer.PutURL(context.Background(), "uploads", "avatars/42.png", func(o *s3sign.PutOptions) {
		o.ContentType = "image/png"
		o.IfNoneMatch = true // never overwrite
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(req.Method, req.Expires.Format(time.RFC3339))
	fmt.Println("Content-Type:", req.Header.Get("Content-Type"))
	fmt.Println("If-None-Match:", req.Header.Get("If-None-Match"))

	_, err = signer.GetURL(context.Background(), "uploads", "a.png", func(o *s3sign.GetOptions) { o.Expires = 8 * 24 * time.Hour })
	fmt.Println(err)
	// Output:
	// PUT 2026-11-22T12:15:00Z
	// Content-Type: image/png
	// If-None-Match: *
	// s3sign: invalid input: expiry 192h0m0s exceeds the SigV4 maximum of 7d
}

// Inspect reads a presigned URL back.
func ExampleInspect() {
	info, err := s3sign.Inspect("https://uploads.s3.eu-west-1.amazonaws.com/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261122%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261122T120000Z" +
		"&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "aedb9c536f69d56e55f2fd445c86b4c71ea44bb6a8f8787061fc84761d223614")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.AccessKeyID, info.Region, info.SignedHeaders, info.Expires.Format(time.RFC3339))
	// Output: AKIAIOSFODNN7EXAMPLE eu-west-1 [host] 2026-11-22T12:15:00Z
}
