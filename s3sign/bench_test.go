package s3sign_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kumo-go/kumo/s3sign"
)

// BenchmarkBaselinePresignGetObject is the plain SDK call GetURL wraps.
func BenchmarkBaselinePresignGetObject(b *testing.B) {
	p := s3.NewPresignClient(client(static(), false))
	for range b.N {
		if _, err := p.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("reports/q3.pdf")},
			s3.WithPresignExpires(15*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetURL(b *testing.B) {
	s, err := s3sign.NewFromClient(client(static(), false))
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		if _, err := s.GetURL(ctx, "bucket", "reports/q3.pdf"); err != nil {
			b.Fatal(err)
		}
	}
}
