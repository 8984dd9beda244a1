package s3sign

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kumo-go/kumo/internal/opts"
)

// Checksum names a checksum S3 checks on upload; the value is the base64 of
// the digest of the exact bytes to be sent.
type Checksum string

// The checksums a presigned PUT can require.
const (
	ContentMD5 Checksum = "Content-MD5"
	SHA256     Checksum = "SHA256"
	SHA1       Checksum = "SHA1"
	CRC32      Checksum = "CRC32"
	CRC32C     Checksum = "CRC32C"
	CRC64NVME  Checksum = "CRC64NVME"
)

// checksumLen is each checksum's digest length in bytes.
var checksumLen = map[Checksum]int{ContentMD5: 16, SHA256: 32, SHA1: 20, CRC32: 4, CRC32C: 4, CRC64NVME: 8}

// PutOptions shape a PUT URL. Every field set becomes a signed header the
// uploader must send as given.
type PutOptions struct {
	Expires       time.Duration // zero means Options.Expires
	ContentType   string
	ContentLength int64 // 0: not fixed
	// Checksum and ChecksumValue make S3 refuse a body with another digest.
	Checksum      Checksum
	ChecksumValue string
	// SSEKMSKeyID encrypts the object with this KMS key (aws:kms).
	SSEKMSKeyID  string
	Metadata     map[string]string  // x-amz-meta-*
	Tagging      string             // URL-query form: "team=a&tier=hot"
	StorageClass types.StorageClass // one of types.StorageClass.Values(); empty: the bucket's default
	// IfNoneMatch refuses to overwrite an existing object (If-None-Match: *).
	IfNoneMatch bool
	// ACL is a canned ACL, such as types.ObjectCannedACLBucketOwnerFullControl.
	ACL types.ObjectCannedACL
	// SSECustomerKey encrypts the object with this 32-byte AES-256 key of
	// yours (SSE-C): the algorithm, key and key-MD5 headers are computed and
	// signed, and the uploader must send them as Request.Header has them.
	// Reading the object back needs the same key ([GetOptions]). The key is
	// a secret: PutOptions and Request redact it whenever printed.
	SSECustomerKey []byte
	// ExpectedBucketOwner makes S3 refuse the request unless the bucket
	// belongs to this 12-digit account ID.
	ExpectedBucketOwner string
	// RequestPayer accepts the charges of a requester-pays bucket.
	RequestPayer bool
}

// PutURL presigns a PUT of bucket/key.
func (s *Signer) PutURL(ctx context.Context, bucket, key string, optFns ...func(*PutOptions)) (*Request, error) {
	var o PutOptions
	opts.Apply(&o, optFns)
	if err := s.checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	if err := checkHeaderValues(o); err != nil {
		return nil, err
	}
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if o.ContentType != "" {
		in.ContentType = aws.String(o.ContentType)
	}
	if o.ContentLength < 0 {
		return nil, fmt.Errorf("%w: ContentLength %d is negative", ErrInvalidInput, o.ContentLength)
	}
	if o.ContentLength > 0 {
		in.ContentLength = aws.Int64(o.ContentLength)
	}
	if o.Checksum != "" || o.ChecksumValue != "" {
		raw, err := base64.StdEncoding.DecodeString(o.ChecksumValue)
		want := checksumLen[o.Checksum]
		if want == 0 {
			return nil, fmt.Errorf("%w: checksum %q; want Content-MD5, SHA256, SHA1, CRC32, CRC32C or CRC64NVME", ErrInvalidInput, o.Checksum)
		}
		// Canonical base64 only: the decoder skips line breaks, which would
		// then be signed into a header no client can send.
		if err != nil || len(raw) != want || base64.StdEncoding.EncodeToString(raw) != o.ChecksumValue {
			return nil, fmt.Errorf("%w: the %s checksum must be the base64 of %d bytes", ErrInvalidInput, o.Checksum, want)
		}
		switch o.Checksum {
		case ContentMD5:
			in.ContentMD5 = aws.String(o.ChecksumValue)
		case SHA256:
			in.ChecksumSHA256 = aws.String(o.ChecksumValue)
		case SHA1:
			in.ChecksumSHA1 = aws.String(o.ChecksumValue)
		case CRC32:
			in.ChecksumCRC32 = aws.String(o.ChecksumValue)
		case CRC32C:
			in.ChecksumCRC32C = aws.String(o.ChecksumValue)
		case CRC64NVME:
			in.ChecksumCRC64NVME = aws.String(o.ChecksumValue)
		}
	}
	sse, owner, payer, err := requestExtras{o.SSECustomerKey, o.ExpectedBucketOwner, o.RequestPayer}.check()
	if err != nil {
		return nil, err
	}
	if o.SSECustomerKey != nil && o.SSEKMSKeyID != "" {
		return nil, fmt.Errorf("%w: set SSECustomerKey or SSEKMSKeyID, not both", ErrInvalidInput)
	}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = sse.algorithm, sse.key, sse.keyMD5
	in.ExpectedBucketOwner, in.RequestPayer = owner, payer
	if o.ACL != "" {
		if !slices.Contains(o.ACL.Values(), o.ACL) {
			return nil, fmt.Errorf("%w: ACL %q; want one of %v", ErrInvalidInput, o.ACL, o.ACL.Values())
		}
		in.ACL = o.ACL
	}
	if o.SSEKMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(o.SSEKMSKeyID)
	}
	if len(o.Metadata) > 0 {
		in.Metadata = o.Metadata
	}
	if o.Tagging != "" {
		for _, pair := range strings.Split(o.Tagging, "&") {
			k, v, _ := strings.Cut(pair, "=")
			_, errK := url.QueryUnescape(k)
			_, errV := url.QueryUnescape(v)
			if errK != nil || errV != nil {
				return nil, fmt.Errorf("%w: Tagging %q has a malformed %%-escape; want URL-query form such as team=a&tier=hot, escaped as url.Values.Encode does", ErrInvalidInput, o.Tagging)
			}
		}
		in.Tagging = aws.String(o.Tagging)
	}
	if o.StorageClass != "" {
		if !slices.Contains(o.StorageClass.Values(), o.StorageClass) {
			return nil, fmt.Errorf("%w: StorageClass %q; want one of %v", ErrInvalidInput, o.StorageClass, o.StorageClass.Values())
		}
		in.StorageClass = o.StorageClass
	}
	if o.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	d, exp, err := s.lifetime(ctx, o.Expires)
	if err != nil {
		return nil, err
	}
	p, err := s.presign.Value().PresignPutObject(ctx, in, s.presignOpts(d, exp))
	if err != nil {
		return nil, fmt.Errorf("s3sign: %w", err)
	}
	return toRequest(p, exp), nil
}

// checkHeaderValues refuses what would be signed into a header no HTTP
// client can send: control characters (CR and LF above all) in values, and
// metadata names that are not HTTP tokens. Values are not quoted back.
func checkHeaderValues(o PutOptions) error {
	for _, f := range []struct{ name, v string }{
		{"ContentType", o.ContentType}, {"Tagging", o.Tagging}, {"SSEKMSKeyID", o.SSEKMSKeyID}, {"StorageClass", string(o.StorageClass)},
	} {
		if i := controlAt(f.v); i >= 0 {
			return fmt.Errorf("%w: %s has a control character at byte %d; header values cannot hold one", ErrInvalidInput, f.name, i)
		}
	}
	for k, v := range o.Metadata {
		if k == "" || strings.IndexFunc(k, func(r rune) bool { return r > 0x7e || !isTokenChar(byte(r)) }) >= 0 {
			return fmt.Errorf("%w: metadata name %q is not an HTTP header token (letters, digits and !#$%%&'*+-.^_`|~)", ErrInvalidInput, k)
		}
		if i := controlAt(v); i >= 0 {
			return fmt.Errorf("%w: metadata %q has a control character at byte %d; header values cannot hold one", ErrInvalidInput, k, i)
		}
	}
	return nil
}

// controlAt returns the index of the first control character (other than
// a tab) in s, or -1.
func controlAt(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
