package s3sign_test

import (
	"testing"

	"github.com/kumo-go/kumo/s3sign"
)

func FuzzInspect(f *testing.F) {
	f.Add("https://b.s3.eu-west-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261122%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261122T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=" +
		"0000000000000000000000000000000000000000000000000000000000000000")
	f.Add("https://x/?X-Amz-Algorithm=AWS4-HMAC-SHA256")
	f.Fuzz(func(t *testing.T, u string) {
		info, err := s3sign.Inspect(u)
		if err != nil {
			return
		}
		if !info.Expires.After(info.SignedAt) || info.Expires.Sub(info.SignedAt) > s3sign.MaxExpiry {
			t.Fatalf("inconsistent window %v .. %v", info.SignedAt, info.Expires)
		}
		if info.AccessKeyID == "" || len(info.SignedHeaders) == 0 {
			t.Fatalf("accepted without a key or signed headers: %+v", info)
		}
	})
}
