package sqstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kumo-go/kumo/internal/fakecall"
	"github.com/kumo-go/kumo/sqsx"
)

// S3 is an in-memory S3 with the three calls sqsx's payload offloading
// makes (PutObject, GetObject, DeleteObject), for tests of Senders that
// offload bodies and of Processors that read them:
//
//	store := sqstest.NewS3()
//	store.CreateBucket("payloads")
//	sender, _ := sqsx.NewSender(q, url, func(o *sqsx.SenderOptions) { o.S3, o.OffloadBucket = store, "payloads" })
//
// It returns the errors the SDK returns: *s3types.NoSuchBucket and
// *s3types.NoSuchKey. Deleting a missing key succeeds, as in S3. It embeds
// the same recorder as [Fake]: FailNext, LoseNext, OnCall, Log, Calls,
// CallCounts, TotalCalls and ResetCalls, with the operation names
// "PutObject", "GetObject" and "DeleteObject". It is safe for concurrent
// use.
type S3 struct {
	fakecall.Recorder

	mu      sync.Mutex
	buckets map[string]map[string][]byte
}

// NewS3 returns an S3 with no buckets.
func NewS3() *S3 { return &S3{buckets: map[string]map[string][]byte{}} }

// CreateBucket adds an empty bucket; an existing one is kept as it is.
func (f *S3) CreateBucket(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buckets[name] == nil {
		f.buckets[name] = map[string][]byte{}
	}
}

// Object returns a copy of an object's content, and whether it exists.
func (f *S3) Object(bucket, key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket][key]
	return bytes.Clone(b), ok
}

// PutRaw stores an object directly, as another producer would have.
func (f *S3) PutRaw(bucket, key string, content []byte) {
	f.CreateBucket(bucket)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buckets[bucket][key] = bytes.Clone(content)
}

// Keys returns a bucket's keys, sorted.
func (f *S3) Keys(bucket string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, 0, len(f.buckets[bucket]))
	for k := range f.buckets[bucket] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// bucket finds a bucket after counting the call; f.mu is held on success.
func (f *S3) bucket(op string, name *string, input any) (map[string][]byte, error) {
	if err := fakecall.Begin(&f.Recorder, op, input); err != nil {
		return nil, err
	}
	f.mu.Lock()
	b, ok := f.buckets[aws.ToString(name)]
	if !ok {
		f.mu.Unlock()
		return nil, &s3types.NoSuchBucket{Message: aws.String("The specified bucket does not exist")}
	}
	return b, nil
}

// PutObject implements the SDK method; it reads the whole body.
func (f *S3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (out *s3.PutObjectOutput, err error) {
	in = fakecall.Input(in)
	var content []byte
	if in.Body != nil {
		var err error
		if content, err = io.ReadAll(in.Body); err != nil {
			return nil, fmt.Errorf("sqstest: reading the PutObject body: %w", err)
		}
	}
	if aws.ToString(in.Key) == "" {
		if err := fakecall.Begin(&f.Recorder, "PutObject", in); err != nil {
			return nil, err
		}
		return nil, apiError("InvalidArgument", "The key must not be empty.")
	}
	b, err := f.bucket("PutObject", in.Bucket, in)
	if err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "PutObject", &out, &err)
	b[aws.ToString(in.Key)] = content
	f.mu.Unlock()
	return &s3.PutObjectOutput{}, nil
}

// GetObject implements the SDK method.
func (f *S3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (out *s3.GetObjectOutput, err error) {
	in = fakecall.Input(in)
	b, err := f.bucket("GetObject", in.Bucket, in)
	if err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "GetObject", &out, &err)
	content, ok := b[aws.ToString(in.Key)]
	f.mu.Unlock()
	if !ok {
		return nil, &s3types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(content)), ContentLength: aws.Int64(int64(len(content)))}, nil
}

// DeleteObject implements the SDK method.
func (f *S3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (out *s3.DeleteObjectOutput, err error) {
	in = fakecall.Input(in)
	b, err := f.bucket("DeleteObject", in.Bucket, in)
	if err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "DeleteObject", &out, &err)
	delete(b, aws.ToString(in.Key))
	f.mu.Unlock()
	return &s3.DeleteObjectOutput{}, nil
}

// The fake stands in for *s3.Client wherever sqsx asks for its interface.
var _ sqsx.S3API = (*S3)(nil)
