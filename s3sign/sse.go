package s3sign

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// requestExtras are the options GET and PUT share: a customer-provided
// encryption key (SSE-C), the bucket owner check and requester pays.
type requestExtras struct {
	sseKey        []byte
	expectedOwner string
	requestPayer  bool
}

// sseHeaders are the three SSE-C values S3 needs on every request for the
// object: the algorithm, the key and the key's MD5, all computed here.
type sseHeaders struct{ algorithm, key, keyMD5 *string }

func (e requestExtras) check() (sseHeaders, *string, types.RequestPayer, error) {
	var h sseHeaders
	if e.sseKey != nil {
		// The length only: the key is a secret and never goes into an error.
		if len(e.sseKey) != 32 {
			return h, nil, "", fmt.Errorf("%w: an SSE-C key is 32 bytes (AES-256), not %d", ErrInvalidInput, len(e.sseKey))
		}
		sum := md5.Sum(e.sseKey)
		h = sseHeaders{aws.String("AES256"), aws.String(base64.StdEncoding.EncodeToString(e.sseKey)), aws.String(base64.StdEncoding.EncodeToString(sum[:]))}
	}
	var owner *string
	if e.expectedOwner != "" {
		if !isAccountID(e.expectedOwner) {
			// Not quoted: only values of the expected shape are.
			return h, nil, "", fmt.Errorf("%w: ExpectedBucketOwner is not a 12-digit account ID (got %d characters)", ErrInvalidInput, len(e.expectedOwner))
		}
		owner = aws.String(e.expectedOwner)
	}
	var payer types.RequestPayer
	if e.requestPayer {
		payer = types.RequestPayerRequester
	}
	return h, owner, payer, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
