package s3sign_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/s3sign"
)

var (
	ctx   = context.Background()
	now   = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock = func() time.Time { return now }
)

func client(creds aws.CredentialsProvider, pathStyle bool) *s3.Client {
	return s3.New(s3.Options{Region: "eu-west-1", Credentials: creds, UsePathStyle: pathStyle})
}

func static() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
}

func newSigner(t *testing.T, creds aws.CredentialsProvider, fns ...func(*s3sign.Options)) *s3sign.Signer {
	t.Helper()
	s, err := s3sign.NewFromClient(client(creds, false), append([]func(*s3sign.Options){func(o *s3sign.Options) { o.Clock = clock }}, fns...)...)
	require.NoError(t, err)
	return s
}

// expiring is temporary credentials that end at a set time.
type expiring struct{ until time.Time }

func (e expiring) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", CanExpire: true, Expires: e.until}, nil
}

func TestGuards(t *testing.T) {
	s := newSigner(t, static())
	for _, tt := range []struct {
		name string
		call func() error
		text string
	}{
		{"negative expiry", func() error {
			_, err := s.HeadURL(ctx, "bucket", "k", func(o *s3sign.HeadOptions) { o.Expires = -time.Second })
			return err
		}, "s3sign: invalid input: expiry -1s is negative; want 1s to 7d, or 0 for the default"},
		{"8 days", func() error {
			_, err := s.DeleteURL(ctx, "bucket", "k", func(o *s3sign.DeleteOptions) { o.Expires = 8 * 24 * time.Hour })
			return err
		}, "s3sign: invalid input: expiry 192h0m0s exceeds the SigV4 maximum of 7d"},
		{"empty bucket", func() error { _, err := s.GetURL(ctx, "", "k"); return err }, "s3sign: invalid input: the bucket name is empty"},
		{"upper-case bucket", func() error { _, err := s.GetURL(ctx, "My_Bucket", "k"); return err }, `s3sign: invalid input: bucket "My_Bucket" has 'M' at byte 0; bucket names are lower-case letters, digits, '-' and '.'`},
		{"dotted bucket, virtual-hosted", func() error { _, err := s.GetURL(ctx, "my.bucket", "k"); return err }, `s3sign: invalid input: bucket "my.bucket" has dots, which break TLS for virtual-hosted addressing; set UsePathStyle`},
		{"empty key", func() error { _, err := s.GetURL(ctx, "bucket", ""); return err }, "s3sign: invalid input: the object key is empty"},
		{"long key", func() error { _, err := s.GetURL(ctx, "bucket", strings.Repeat("é", 513)); return err }, "s3sign: invalid input: the object key is 1026 bytes of UTF-8; S3 allows 1024"},
		{"bad checksum", func() error {
			_, err := s.PutURL(ctx, "bucket", "k", func(o *s3sign.PutOptions) { o.Checksum, o.ChecksumValue = s3sign.SHA256, "AAAA" })
			return err
		}, "s3sign: invalid input: the SHA256 checksum must be the base64 of 32 bytes"},
		{"tiny parts", func() error { _, err := s.CreateUpload(ctx, "bucket", "k", 100<<20, 1<<20); return err }, "s3sign: invalid input: part size 1048576 is under S3's minimum of 5 MiB (5242880)"},
		{"too many parts", func() error { _, err := s.CreateUpload(ctx, "bucket", "k", 100<<30, 5<<20); return err }, "s3sign: invalid input: 107374182400 bytes in 5242880-byte parts is 20480 parts; S3 allows 10,000 (use parts of at least 10737419 bytes)"},
	} {
		err := tt.call()
		require.ErrorIs(t, err, s3sign.ErrInvalidInput, tt.name)
		assert.EqualError(t, err, tt.text, tt.name)
	}
	path := newSigner(t, static(), func(o *s3sign.Options) { o.UsePathStyle = true })
	_, err := path.GetURL(ctx, "my.bucket", "k")
	assert.NoError(t, err, "dots are fine path-style")
}

func TestCredentialExpiry(t *testing.T) {
	temp := expiring{until: now.Add(30 * time.Minute)}
	s := newSigner(t, temp)
	_, err := s.GetURL(ctx, "bucket", "k", func(o *s3sign.GetOptions) { o.Expires = time.Hour })
	require.ErrorIs(t, err, s3sign.ErrExpiresAfterCredentials)
	assert.Contains(t, err.Error(), "until 2026-11-22T13:00:00Z, the credentials until 2026-11-22T12:30:00Z")
	req, err := s.GetURL(ctx, "bucket", "k", func(o *s3sign.GetOptions) { o.Expires = 20 * time.Minute })
	require.NoError(t, err)
	assert.Equal(t, now.Add(20*time.Minute), req.Expires)

	clamp := newSigner(t, temp, func(o *s3sign.Options) { o.OnCredentialExpiry = s3sign.ClampToCredentials })
	req, err = clamp.GetURL(ctx, "bucket", "k", func(o *s3sign.GetOptions) { o.Expires = 7 * 24 * time.Hour })
	require.NoError(t, err)
	assert.Equal(t, now.Add(30*time.Minute), req.Expires)
	info, err := s3sign.Inspect(req.URL)
	require.NoError(t, err)
	assert.Equal(t, now.Add(30*time.Minute), info.Expires)
	assert.Contains(t, req.URL, "X-Amz-Security-Token=token")

	gone := newSigner(t, expiring{until: now.Add(-time.Minute)}, func(o *s3sign.Options) { o.OnCredentialExpiry = s3sign.ClampToCredentials })
	_, err = gone.GetURL(ctx, "bucket", "k")
	require.ErrorIs(t, err, s3sign.ErrExpiresAfterCredentials)
	assert.EqualError(t, err, "s3sign: the URL would outlive the credentials that sign it: the credentials expired at 2026-11-22T11:59:00Z")

	// Credentials with under a second left have not expired yet, but no
	// URL fits (the error said they had expired).
	going := newSigner(t, expiring{until: now.Add(500 * time.Millisecond)}, func(o *s3sign.Options) { o.OnCredentialExpiry = s3sign.ClampToCredentials })
	_, err = going.GetURL(ctx, "bucket", "k")
	require.ErrorIs(t, err, s3sign.ErrExpiresAfterCredentials)
	assert.EqualError(t, err, "s3sign: the URL would outlive the credentials that sign it: the credentials expire at 2026-11-22T12:00:00.5Z, under a second from now, and a URL lives at least 1s")
}

func TestPutHeadersAndInspect(t *testing.T) {
	s := newSigner(t, static())
	sum := base64.StdEncoding.EncodeToString(make([]byte, 32))
	req, err := s.PutURL(ctx, "uploads", "avatars/my photo+1.png", func(o *s3sign.PutOptions) {
		o.ContentType = "image/png"
		o.Checksum, o.ChecksumValue = s3sign.SHA256, sum
		o.Metadata = map[string]string{"owner": "42"}
		o.IfNoneMatch = true
		o.SSEKMSKeyID = "alias/uploads"
	})
	require.NoError(t, err)
	assert.Equal(t, "PUT", req.Method)
	assert.Equal(t, "image/png", req.Header.Get("Content-Type"))
	assert.Equal(t, sum, req.Header.Get("X-Amz-Checksum-Sha256"))
	assert.Equal(t, "42", req.Header.Get("X-Amz-Meta-Owner"))
	assert.Equal(t, "*", req.Header.Get("If-None-Match"))
	assert.Equal(t, "aws:kms", req.Header.Get("X-Amz-Server-Side-Encryption"))
	assert.Empty(t, req.Header.Get("Host"))
	assert.Empty(t, req.Header.Get("X-Amz-Sdk-Checksum-Algorithm"), "no checksum of an empty body is signed in")
	assert.True(t, strings.HasPrefix(req.URL, "https://uploads.s3.eu-west-1.amazonaws.com/avatars/my%20photo%2B1.png?"), req.URL)

	info, err := s3sign.Inspect(req.URL)
	require.NoError(t, err)
	assert.Equal(t, "AKIAIOSFODNN7EXAMPLE", info.AccessKeyID)
	assert.Equal(t, "eu-west-1", info.Region)
	assert.Equal(t, "s3", info.Service)
	assert.Equal(t, now, info.SignedAt)
	assert.Equal(t, now.Add(15*time.Minute), info.Expires)
	assert.Contains(t, info.SignedHeaders, "content-type")
	assert.Contains(t, info.SignedHeaders, "x-amz-checksum-sha256")
	assert.True(t, info.Expired, "Inspect decides Expired by its Clock, time.Now by default, and the URL was signed on 2026-11-22 for 15 minutes")
	for _, c := range []struct {
		at      time.Time
		expired bool
	}{{now.Add(15*time.Minute - time.Second), false}, {now.Add(15 * time.Minute), true}} {
		info, err := s3sign.Inspect(req.URL, func(o *s3sign.InspectOptions) { o.Clock = func() time.Time { return c.at } })
		require.NoError(t, err)
		assert.Equal(t, c.expired, info.Expired, c.at)
	}

	for _, bad := range []string{"https://x/", "::", "https://x/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
		strings.Replace(req.URL, "X-Amz-Expires=900", "X-Amz-Expires=999999", 1)} {
		_, err := s3sign.Inspect(bad)
		assert.ErrorIs(t, err, s3sign.ErrInvalidInput, bad)
	}
}

func TestPostForm(t *testing.T) {
	s := newSigner(t, expiring{until: now.Add(time.Hour)})
	f, err := s.PostForm(ctx, "uploads", s3sign.PostPolicy{
		KeyPrefix: "user/42/", MaxSize: 10 << 20, ContentType: `image/png`, SuccessActionStatus: 201,
		Metadata: map[string]string{"Owner": `a"b`}, Tags: map[string]string{"tier": "<hot>"},
	})
	require.NoError(t, err)
	assert.Equal(t, "https://uploads.s3.eu-west-1.amazonaws.com/", f.URL)
	assert.Equal(t, "user/42/${filename}", f.Fields["key"])
	assert.Equal(t, "201", f.Fields["success_action_status"])
	assert.Equal(t, `a"b`, f.Fields["x-amz-meta-owner"])
	assert.Equal(t, "<Tagging><TagSet><Tag><Key>tier</Key><Value>&lt;hot&gt;</Value></Tag></TagSet></Tagging>", f.Fields["tagging"])
	assert.Equal(t, "ASIAEXAMPLE/20261122/eu-west-1/s3/aws4_request", f.Fields["x-amz-credential"])
	assert.Equal(t, "token", f.Fields["x-amz-security-token"])
	assert.Len(t, f.Fields["x-amz-signature"], 64)

	raw, err := base64.StdEncoding.DecodeString(f.Fields["policy"])
	require.NoError(t, err)
	var doc struct {
		Expiration string `json:"expiration"`
		Conditions []any  `json:"conditions"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, "2026-11-22T12:15:00.000Z", doc.Expiration)
	assert.Contains(t, doc.Conditions, []any{"starts-with", "$key", "user/42/"})
	assert.Contains(t, doc.Conditions, []any{"content-length-range", 0.0, float64(10 << 20)})
	assert.Contains(t, doc.Conditions, map[string]any{"x-amz-meta-owner": `a"b`})
	assert.Contains(t, doc.Conditions, map[string]any{"bucket": "uploads"})
	page := f.HTML()
	assert.Contains(t, page, `<input type="hidden" name="x-amz-meta-owner" value="a&#34;b">`)
	assert.Contains(t, page, `<input type="file" id="file" name="file">`)

	_, err = s.PostForm(ctx, "uploads", s3sign.PostPolicy{Key: "a", KeyPrefix: "b"})
	require.ErrorIs(t, err, s3sign.ErrInvalidInput)
	_, err = s.PostForm(ctx, "uploads", s3sign.PostPolicy{Key: "a", SuccessActionStatus: 302})
	assert.EqualError(t, err, "s3sign: invalid input: success_action_status 302; S3 takes 200, 201 or 204")
}
