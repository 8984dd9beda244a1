package sqstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

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
// It returns the errors *s3.Client returns: *s3types.NoSuchKey from
// GetObject; NoSuchBucket as a *smithy.GenericAPIError (the SDK's
// deserializers of these three calls have no struct for it, so
// errors.As with *s3types.NoSuchBucket is false against S3 too); and for a
// nil Bucket or Key, or an empty Key, the errors the client makes before
// sending (smithy.InvalidParamsError, *smithy.SerializationError).
// Deleting a missing key succeeds, as in S3. It embeds
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

// s3Errors make S3's error answers into what *s3.Client returns. Its
// deserializers know an error struct only where the operation's model
// lists one: GetObject's NoSuchKey; NoSuchBucket from these three calls is
// a *smithy.GenericAPIError, as are the codes no operation lists.
var (
	s3Errors        = fakecall.TypedErrors(fakecall.RestXML)
	getObjectErrors = fakecall.TypedErrors(fakecall.RestXML, &s3types.NoSuchKey{}, &s3types.InvalidObjectState{})
)

// begin counts and logs a call and applies injected failures and hooks
// (fakecall.Begin), then refuses what *s3.Client refuses before sending:
// a nil Bucket or Key (smithy.InvalidParamsError), an empty Key
// (smithy.SerializationError).
func (f *S3) begin(op string, bucket, key *string, input any) error {
	if err := fakecall.Begin(&f.Recorder, op, input); err != nil {
		return err
	}
	invalid := smithy.InvalidParamsError{Context: op + "Input"}
	if bucket == nil {
		invalid.Add(smithy.NewErrParamRequired("Bucket"))
	}
	if key == nil {
		invalid.Add(smithy.NewErrParamRequired("Key"))
	}
	if invalid.Len() > 0 {
		return invalid
	}
	if *key == "" {
		return &smithy.SerializationError{Err: errors.New("input member Key must not be empty")}
	}
	return nil
}

// bucket finds a bucket. f.mu is held.
func (f *S3) bucket(name *string) (map[string][]byte, error) {
	b, ok := f.buckets[aws.ToString(name)]
	if !ok {
		return nil, s3Errors.New("NoSuchBucket", "The specified bucket does not exist")
	}
	return b, nil
}

// PutObject implements the SDK method; it reads the whole body.
func (f *S3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (out *s3.PutObjectOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("PutObject", in.Bucket, in.Key, in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "PutObject", &out, &err)
	content := []byte{}
	if in.Body != nil {
		if content, err = io.ReadAll(in.Body); err != nil {
			return nil, fmt.Errorf("sqstest: reading the PutObject body: %w", err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	b[aws.ToString(in.Key)] = content
	return &s3.PutObjectOutput{}, nil
}

// GetObject implements the SDK method.
func (f *S3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (out *s3.GetObjectOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GetObject", in.Bucket, in.Key, in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "GetObject", &out, &err)
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	content, ok := b[aws.ToString(in.Key)]
	if !ok {
		return nil, getObjectErrors.New("NoSuchKey", "The specified key does not exist.")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(content)), ContentLength: aws.Int64(int64(len(content)))}, nil
}

// DeleteObject implements the SDK method; deleting a missing key
// succeeds, as in S3.
func (f *S3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (out *s3.DeleteObjectOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("DeleteObject", in.Bucket, in.Key, in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "DeleteObject", &out, &err)
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	delete(b, aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

// The fake stands in for *s3.Client wherever sqsx asks for its interface.
var _ sqsx.S3API = (*S3)(nil)
