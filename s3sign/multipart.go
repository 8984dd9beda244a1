package s3sign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kumo-go/kumo/internal/opts"
)

// S3's multipart limits.
const (
	MinPartSize = 5 << 20
	MaxParts    = 10000
)

// Upload is a multipart upload a browser completes in parts: PUT each of
// Parts (in any order, in parallel), collect each response's ETag header,
// then Complete with them in part order.
type Upload struct {
	Bucket, Key, UploadID string
	PartSize              int64
	Parts                 []*Request

	signer *Signer
}

// UploadOptions shape the part URLs of a multipart upload.
type UploadOptions struct {
	Expires time.Duration // of every part URL; zero means Options.Expires
}

// CreateUpload starts a multipart upload of size bytes (a real
// CreateMultipartUpload call) and presigns a PUT for each part of partSize
// bytes (the last one shorter). Parts must be at least 5 MiB, except the
// last, and there may be at most 10,000.
func (s *Signer) CreateUpload(ctx context.Context, bucket, key string, size, partSize int64, optFns ...func(*UploadOptions)) (*Upload, error) {
	var o UploadOptions
	opts.Apply(&o, optFns)
	if s.multipart.Value() == nil {
		return nil, errors.New("s3sign: multipart uploads need Options.Multipart (NewFromClient sets it from the client)")
	}
	if err := s.checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("%w: the upload size %d must be positive", ErrInvalidInput, size)
	}
	if partSize < MinPartSize {
		return nil, fmt.Errorf("%w: part size %d is under S3's minimum of 5 MiB (%d)", ErrInvalidInput, partSize, MinPartSize)
	}
	n := (size + partSize - 1) / partSize
	if n > MaxParts {
		return nil, fmt.Errorf("%w: %d bytes in %d-byte parts is %d parts; S3 allows 10,000 (use parts of at least %d bytes)",
			ErrInvalidInput, size, partSize, n, (size+MaxParts-1)/MaxParts)
	}
	d, exp, err := s.lifetime(ctx, o.Expires)
	if err != nil {
		return nil, err
	}
	out, err := s.multipart.Value().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3sign: CreateMultipartUpload: %w", err)
	}
	u := &Upload{Bucket: bucket, Key: key, UploadID: aws.ToString(out.UploadId), PartSize: partSize, signer: s}
	for i := int32(1); int64(i) <= n; i++ {
		p, err := s.presign.Value().PresignUploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(bucket), Key: aws.String(key), UploadId: out.UploadId, PartNumber: aws.Int32(i),
		}, s.presignOpts(d, exp))
		if err != nil {
			_ = u.Abort(ctx)
			return nil, fmt.Errorf("s3sign: presigning part %d: %w", i, err)
		}
		u.Parts = append(u.Parts, toRequest(p, exp))
	}
	return u, nil
}

// Complete finishes the upload with the ETag of every part, in part order.
func (u *Upload) Complete(ctx context.Context, etags []string) error {
	if len(etags) != len(u.Parts) {
		return fmt.Errorf("%w: %d ETags for %d parts", ErrInvalidInput, len(etags), len(u.Parts))
	}
	parts := make([]types.CompletedPart, len(etags))
	for i, e := range etags {
		if e == "" {
			return fmt.Errorf("%w: part %d has no ETag", ErrInvalidInput, i+1)
		}
		parts[i] = types.CompletedPart{ETag: aws.String(e), PartNumber: aws.Int32(int32(i + 1))}
	}
	_, err := u.signer.multipart.Value().CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), UploadId: aws.String(u.UploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("s3sign: CompleteMultipartUpload: %w", err)
	}
	return nil
}

// Abort cancels the upload and frees the parts S3 holds.
func (u *Upload) Abort(ctx context.Context) error {
	_, err := u.signer.multipart.Value().AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), UploadId: aws.String(u.UploadID),
	})
	if err != nil {
		return fmt.Errorf("s3sign: AbortMultipartUpload: %w", err)
	}
	return nil
}
