package sqstest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// s3Conformance runs the calls sqsx's offloading makes against c, whose
// bucket exists: the same answers and the same error types from the fake
// and from moto through *s3.Client.
func s3Conformance(t *testing.T, c sqsx.S3API, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("payload")})
	require.NoError(t, err)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	require.NoError(t, err)
	body, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	require.NoError(t, out.Body.Close())
	assert.Equal(t, "payload", string(body))
	assert.Equal(t, int64(7), aws.ToInt64(out.ContentLength))
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	require.NoError(t, err)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	require.NoError(t, err, "deleting a missing key succeeds")

	const missing = "kumo-no-such-bucket"
	for _, tc := range []struct {
		name, code string
		call       func() error
		// as is a target for errors.As of the SDK's typed error; nil where
		// *s3.Client gives a *smithy.GenericAPIError.
		as any
	}{
		{"missing key", "NoSuchKey", func() error {
			return errOf(c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}))
		}, new(*s3types.NoSuchKey)},
		{"get from a missing bucket", "NoSuchBucket", func() error {
			return errOf(c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(missing), Key: aws.String("k")}))
		}, nil},
		{"put to a missing bucket", "NoSuchBucket", func() error {
			return errOf(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(missing), Key: aws.String("k"), Body: strings.NewReader("x")}))
		}, nil},
		{"delete in a missing bucket", "NoSuchBucket", func() error {
			return errOf(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(missing), Key: aws.String("k")}))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.ErrorCode())
			if tc.as != nil {
				assert.ErrorAs(t, err, tc.as, "got %T", apiErr)
			} else {
				assert.IsType(t, &smithy.GenericAPIError{}, apiErr, "the operation's deserializer has no struct for %s", tc.code)
				assert.False(t, errors.As(err, new(*s3types.NoSuchBucket)))
			}
		})
	}

	// What the client refuses before sending.
	var invalid smithy.InvalidParamsError
	require.ErrorAs(t, errOf(c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket)})), &invalid)
	assert.Equal(t, "GetObjectInput", invalid.Context)
	err = errOf(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("")}))
	require.ErrorAs(t, err, new(*smithy.SerializationError))
	assert.ErrorContains(t, err, "input member Key must not be empty")
}

func errOf[T any](_ T, err error) error { return err }

func TestS3ConformanceFake(t *testing.T) {
	store := sqstest.NewS3()
	store.CreateBucket("payloads")
	s3Conformance(t, store, "payloads")
}

func TestS3ConformanceMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := s3.NewFromConfig(moto.Config(t), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := moto.UniqueName("payloads")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	s3Conformance(t, c, bucket)
}

// The fake's recorder: injection, lost answers that acted, the log.
func TestS3Recorder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store := sqstest.NewS3()
	store.CreateBucket("b")
	lost := errors.New("connection reset")
	store.LoseNext("PutObject", lost)
	_, err := store.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
	require.ErrorIs(t, err, lost)
	got, ok := store.Object("b", "k")
	assert.True(t, ok, "a lost put was stored")
	assert.Equal(t, "x", string(got))
	store.FailNext("GetObject", lost)
	_, err = store.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	require.ErrorIs(t, err, lost)
	assert.Equal(t, map[string]int{"PutObject": 1, "GetObject": 1}, store.CallCounts())
	assert.Equal(t, []any{&s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}}, store.Log("GetObject"))
}
