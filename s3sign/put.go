package s3sign

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
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
	Expires       time.Duration
	ContentType   string
	ContentLength int64 // 0: not fixed
	// Checksum and ChecksumValue make S3 refuse a body with another digest.
	Checksum      Checksum
	ChecksumValue string
	// SSEKMSKeyID encrypts the object with this KMS key (aws:kms).
	SSEKMSKeyID  string
	Metadata     map[string]string // x-amz-meta-*
	Tagging      string            // URL-query form: "team=a&tier=hot"
	StorageClass types.StorageClass
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
	for _, fn := range optFns {
		fn(&o)
	}
	if err := s.checkBucketKey(bucket, key); err != nil {
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
		if err != nil || len(raw) != want {
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
		in.Tagging = aws.String(o.Tagging)
	}
	if o.StorageClass != "" {
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
