package s3sign_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/s3sign"
)

// recordingPresigner is a narrow PresignAPI that is not an
// *s3.PresignClient: New takes any such value.
type recordingPresigner struct {
	inner *s3.PresignClient
	calls []string
}

func (r *recordingPresigner) PresignGetObject(ctx context.Context, in *s3.GetObjectInput, fns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	r.calls = append(r.calls, "GetObject")
	return r.inner.PresignGetObject(ctx, in, fns...)
}

func (r *recordingPresigner) PresignPutObject(ctx context.Context, in *s3.PutObjectInput, fns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	r.calls = append(r.calls, "PutObject")
	return r.inner.PresignPutObject(ctx, in, fns...)
}

func (r *recordingPresigner) PresignHeadObject(ctx context.Context, in *s3.HeadObjectInput, fns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	r.calls = append(r.calls, "HeadObject")
	return r.inner.PresignHeadObject(ctx, in, fns...)
}

func (r *recordingPresigner) PresignDeleteObject(ctx context.Context, in *s3.DeleteObjectInput, fns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	r.calls = append(r.calls, "DeleteObject")
	return r.inner.PresignDeleteObject(ctx, in, fns...)
}

func (r *recordingPresigner) PresignUploadPart(ctx context.Context, in *s3.UploadPartInput, fns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	r.calls = append(r.calls, "UploadPart")
	return r.inner.PresignUploadPart(ctx, in, fns...)
}

// multipartStub answers CreateMultipartUpload with a fixed upload ID.
type multipartStub struct{ s3sign.MultipartAPI }

func (multipartStub) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("upload-1")}, nil
}

func expiresParam(t *testing.T, rawURL string) string {
	t.Helper()
	return query(t, rawURL).Get("X-Amz-Expires")
}

// Every option's zero value is its documented default, also when an
// optFn sets it to zero explicitly after another optFn set it.
func TestZeroOptionsMeanDefaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	zero := func(o *s3sign.Options) {
		o.Expires, o.Clock, o.OnCredentialExpiry, o.Endpoint = 0, nil, 0, ""
	}
	before := time.Now().Truncate(time.Second)
	s, err := s3sign.NewFromClient(client(static(), false), func(o *s3sign.Options) { o.Expires = time.Hour; o.Clock = clock }, zero)
	require.NoError(t, err)
	req, err := s.GetURL(ctx, "bucket", "k")
	require.NoError(t, err)
	after := time.Now()
	assert.Equal(t, "900", expiresParam(t, req.URL), "Options.Expires 0 is DefaultExpiry")
	assert.Equal(t, 15*time.Minute, s3sign.DefaultExpiry)
	info, err := s3sign.Inspect(req.URL)
	require.NoError(t, err)
	assert.False(t, info.SignedAt.Before(before) || info.SignedAt.After(after), "Clock nil is time.Now: signed at %s, between %s and %s", info.SignedAt, before, after)
	assert.True(t, info.SignedAt.Add(15*time.Minute).Equal(req.Expires), "%s + 15m != %s", info.SignedAt, req.Expires)

	// OnCredentialExpiry 0 is RefuseBeyondCredentials.
	temp, err := s3sign.NewFromClient(client(expiring{until: now.Add(time.Minute)}, false), func(o *s3sign.Options) { o.Clock = clock }, zero, func(o *s3sign.Options) { o.Clock = clock })
	require.NoError(t, err)
	_, err = temp.GetURL(ctx, "bucket", "k")
	assert.ErrorIs(t, err, s3sign.ErrExpiresAfterCredentials)
	assert.Equal(t, s3sign.RefuseBeyondCredentials, s3sign.ExpiryPolicy(0))

	// A per-call Expires of 0 is Options.Expires, for every per-call method.
	s = newSigner(t, static(), func(o *s3sign.Options) { o.Expires = 2 * time.Hour; o.Multipart = multipartStub{} })
	get, err := s.GetURL(ctx, "bucket", "k", func(o *s3sign.GetOptions) { o.Expires = 0 })
	require.NoError(t, err)
	put, err := s.PutURL(ctx, "bucket", "k", func(o *s3sign.PutOptions) { o.Expires = 0 })
	require.NoError(t, err)
	head, err := s.HeadURL(ctx, "bucket", "k", func(o *s3sign.HeadOptions) { o.Expires = 0 })
	require.NoError(t, err)
	del, err := s.DeleteURL(ctx, "bucket", "k", func(o *s3sign.DeleteOptions) { o.Expires = 0 })
	require.NoError(t, err)
	up, err := s.CreateUpload(ctx, "bucket", "k", 6<<20, 5<<20, func(o *s3sign.UploadOptions) { o.Expires = 0 })
	require.NoError(t, err)
	form, err := s.PostForm(ctx, "bucket", s3sign.PostPolicy{Key: "k"})
	require.NoError(t, err)
	for _, r := range []*s3sign.Request{get, put, head, del, up.Parts[0], up.Parts[1]} {
		assert.Equal(t, "7200", expiresParam(t, r.URL), r.Method)
		assert.Equal(t, now.Add(2*time.Hour), r.Expires, r.Method)
	}
	assert.Equal(t, now.Add(2*time.Hour), form.Expires)

	// Inspect's Clock nil is time.Now.
	info, err = s3sign.Inspect(get.URL, func(o *s3sign.InspectOptions) { o.Clock = nil })
	require.NoError(t, err)
	assert.True(t, info.Expired, "signed in 2026-11-22 for 2 hours, so expired by the real clock")
}

// Invalid non-zero options are refused by the constructor with what is
// allowed.
func TestInvalidOptionsRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		fn   func(*s3sign.Options)
		text string
	}{
		{"negative expiry", func(o *s3sign.Options) { o.Expires = -time.Second },
			"s3sign: invalid input: expiry -1s is negative; want 1s to 7d, or 0 for the default (Options.Expires)"},
		{"8 days", func(o *s3sign.Options) { o.Expires = 8 * 24 * time.Hour },
			"s3sign: invalid input: expiry 192h0m0s exceeds the SigV4 maximum of 7d (Options.Expires)"},
		{"sub-second", func(o *s3sign.Options) { o.Expires = 1500 * time.Millisecond },
			"s3sign: invalid input: expiry 1.5s is not a whole number of seconds, which is all X-Amz-Expires can say; use 1s or 2s (Options.Expires)"},
		{"unknown policy", func(o *s3sign.Options) { o.OnCredentialExpiry = 2 },
			"s3sign: invalid input: Options.OnCredentialExpiry 2; want RefuseBeyondCredentials or ClampToCredentials"},
		{"endpoint without scheme", func(o *s3sign.Options) { o.Endpoint = "s3.example.com" },
			`s3sign: invalid input: Options.Endpoint "s3.example.com" is not an absolute http(s) URL such as https://s3.example.com`},
	} {
		_, err := s3sign.NewFromClient(client(static(), false), tt.fn)
		require.ErrorIs(t, err, s3sign.ErrInvalidInput, tt.name)
		assert.EqualError(t, err, tt.text, tt.name)
		_, err = s3sign.New(s3.NewPresignClient(client(static(), false)), static(), tt.fn)
		assert.EqualError(t, err, tt.text, tt.name)
	}
	_, err := s3sign.NewFromClient(nil)
	assert.EqualError(t, err, "s3sign: NewFromClient needs an S3 client")
	_, err = s3sign.New(nil, static())
	assert.EqualError(t, err, "s3sign: New needs a presigner and a credentials provider")
	_, err = s3sign.New(s3.NewPresignClient(client(static(), false)), nil)
	assert.EqualError(t, err, "s3sign: New needs a presigner and a credentials provider")
}

// The renamed and reshaped API: New takes the narrow PresignAPI,
// NewFromClient builds from *s3.Client in one call, HEAD and DELETE take
// option funcs like GET and PUT, the expiry policies say what they do.
func TestShapeRenames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec := &recordingPresigner{inner: s3.NewPresignClient(client(static(), false))}
	s, err := s3sign.New(rec, static(), func(o *s3sign.Options) { o.Clock = clock; o.Region = "eu-west-1" })
	require.NoError(t, err)
	head, err := s.HeadURL(ctx, "bucket", "k", func(o *s3sign.HeadOptions) {
		o.Expires, o.VersionID, o.ExpectedBucketOwner, o.RequestPayer = time.Minute, "v1", "111122223333", true
	})
	require.NoError(t, err)
	del, err := s.DeleteURL(ctx, "bucket", "k", func(o *s3sign.DeleteOptions) {
		o.Expires, o.VersionID, o.ExpectedBucketOwner, o.RequestPayer = 2*time.Minute, "v2", "111122223333", true
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"HeadObject", "DeleteObject"}, rec.calls)
	for _, c := range []struct {
		r       *s3sign.Request
		method  string
		version string
		expires string
	}{{head, "HEAD", "v1", "60"}, {del, "DELETE", "v2", "120"}} {
		assert.Equal(t, c.method, c.r.Method)
		q := query(t, c.r.URL)
		assert.Equal(t, c.version, q.Get("versionId"), c.method)
		assert.Equal(t, c.expires, q.Get("X-Amz-Expires"), c.method)
		assert.Equal(t, "111122223333", q.Get("x-amz-expected-bucket-owner"), c.method)
		assert.Equal(t, "requester", q.Get("x-amz-request-payer"), c.method)
	}
	_, err = s.HeadURL(ctx, "bucket", "k", func(o *s3sign.HeadOptions) { o.ExpectedBucketOwner = "me" })
	assert.EqualError(t, err, "s3sign: invalid input: ExpectedBucketOwner is not a 12-digit account ID (got 2 characters)")
	_, err = s.DeleteURL(ctx, "bucket", "k", func(o *s3sign.DeleteOptions) { o.ExpectedBucketOwner = "me" })
	assert.EqualError(t, err, "s3sign: invalid input: ExpectedBucketOwner is not a 12-digit account ID (got 2 characters)")

	_, err = s.CreateUpload(ctx, "bucket", "k", 6<<20, 5<<20)
	assert.EqualError(t, err, "s3sign: multipart uploads need Options.Multipart (NewFromClient sets it from the client)")
	up, err := newSigner(t, static(), func(o *s3sign.Options) { o.Multipart = multipartStub{} }).
		CreateUpload(ctx, "bucket", "k", 6<<20, 5<<20, func(o *s3sign.UploadOptions) { o.Expires = time.Hour })
	require.NoError(t, err)
	require.Len(t, up.Parts, 2)
	assert.Equal(t, "3600", expiresParam(t, up.Parts[1].URL))

	clamp := newSigner(t, expiring{until: now.Add(90 * time.Second)}, func(o *s3sign.Options) { o.OnCredentialExpiry = s3sign.ClampToCredentials })
	req, err := clamp.GetURL(ctx, "bucket", "k")
	require.NoError(t, err)
	assert.Equal(t, "90", expiresParam(t, req.URL))
	assert.Equal(t, "RefuseBeyondCredentials", s3sign.RefuseBeyondCredentials.String())
	assert.Equal(t, "ClampToCredentials", s3sign.ClampToCredentials.String())
	assert.Equal(t, "ExpiryPolicy(7)", s3sign.ExpiryPolicy(7).String())

	u, err := url.Parse(head.URL)
	require.NoError(t, err)
	assert.Equal(t, "bucket.s3.eu-west-1.amazonaws.com", u.Host)
}

// A nil option func is skipped: each function that takes option funcs
// answers with its defaults, as without one.
func TestNilOptionFuncsSkipped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var s *s3sign.Signer
	var err error
	require.NotPanics(t, func() {
		s, err = s3sign.NewFromClient(client(static(), false), nil, func(o *s3sign.Options) { o.Clock = clock; o.Multipart = multipartStub{} }, nil)
	})
	require.NoError(t, err)
	require.NotPanics(t, func() { _, err = s3sign.New(s3.NewPresignClient(client(static(), false)), static(), nil) })
	require.NoError(t, err)
	for name, call := range map[string]func() (*s3sign.Request, error){
		"GetURL":    func() (*s3sign.Request, error) { return s.GetURL(ctx, "bucket", "k", nil) },
		"PutURL":    func() (*s3sign.Request, error) { return s.PutURL(ctx, "bucket", "k", nil) },
		"HeadURL":   func() (*s3sign.Request, error) { return s.HeadURL(ctx, "bucket", "k", nil) },
		"DeleteURL": func() (*s3sign.Request, error) { return s.DeleteURL(ctx, "bucket", "k", nil) },
		"CreateUpload": func() (*s3sign.Request, error) {
			up, err := s.CreateUpload(ctx, "bucket", "k", 6<<20, 5<<20, nil)
			if err != nil {
				return nil, err
			}
			return up.Parts[0], nil
		},
	} {
		var r *s3sign.Request
		require.NotPanics(t, func() { r, err = call() }, name)
		require.NoError(t, err, name)
		assert.Equal(t, now.Add(s3sign.DefaultExpiry), r.Expires, name)
		var info *s3sign.URLInfo
		require.NotPanics(t, func() { info, err = s3sign.Inspect(r.URL, nil) }, name)
		require.NoError(t, err, name)
		assert.True(t, info.Expired, "%s: Inspect's Clock is time.Now, long after 2026-11-22", name)
	}
}
