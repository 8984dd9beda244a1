package s3sign_test

import (
	"crypto/md5"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/s3sign"
)

// X-Amz-Expires counts whole seconds: a sub-second expiry is refused, and
// Request.Expires is exactly X-Amz-Date + X-Amz-Expires even when the
// clock reads a fraction of a second.
func TestWholeSecondExpiries(t *testing.T) {
	s := newSigner(t, static())
	for _, tt := range []struct {
		d    time.Duration
		text string
	}{
		{500 * time.Millisecond, "s3sign: invalid input: expiry 500ms is under a second, the least X-Amz-Expires can say; use 1s"},
		{1500 * time.Millisecond, "s3sign: invalid input: expiry 1.5s is not a whole number of seconds, which is all X-Amz-Expires can say; use 1s or 2s"},
		{time.Minute + time.Nanosecond, "s3sign: invalid input: expiry 1m0.000000001s is not a whole number of seconds, which is all X-Amz-Expires can say; use 1m0s or 1m1s"},
	} {
		_, err := s.GetURL(ctx, "bucket", "k", func(o *s3sign.GetOptions) { o.Expires = tt.d })
		require.ErrorIs(t, err, s3sign.ErrInvalidInput)
		require.EqualError(t, err, tt.text)
	}
	_, err := s3sign.NewFromClient(client(static(), false), func(o *s3sign.Options) { o.Expires = 1500 * time.Millisecond })
	require.ErrorIs(t, err, s3sign.ErrInvalidInput)

	fraction := now.Add(700 * time.Millisecond)
	for _, creds := range []struct {
		name string
		s    *s3sign.Signer
	}{
		{"static", newSigner(t, static(), func(o *s3sign.Options) { o.Clock = func() time.Time { return fraction } })},
		{"clamped", newSigner(t, expiring{until: now.Add(90*time.Second + 300*time.Millisecond)}, func(o *s3sign.Options) {
			o.Clock = func() time.Time { return fraction }
			o.OnCredentialExpiry = s3sign.ClampToCredentials
		})},
	} {
		req, err := creds.s.GetURL(ctx, "bucket", "k", func(o *s3sign.GetOptions) { o.Expires = 2 * time.Minute })
		require.NoError(t, err, creds.name)
		info, err := s3sign.Inspect(req.URL)
		require.NoError(t, err)
		require.Equal(t, now, info.SignedAt, creds.name)
		require.Equal(t, info.Expires, req.Expires, creds.name)
	}
}

func query(t *testing.T, u string) url.Values {
	t.Helper()
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	return parsed.Query()
}

func TestSSECOwnerPayerACLChecksums(t *testing.T) {
	s := newSigner(t, static())
	key := []byte("0123456789abcdef0123456789abcdef")
	sum := md5.Sum(key)
	put, err := s.PutURL(ctx, "bucket", "k", func(o *s3sign.PutOptions) {
		o.SSECustomerKey = key
		o.ExpectedBucketOwner = "111122223333"
		o.RequestPayer = true
		o.ACL = types.ObjectCannedACLBucketOwnerFullControl
	})
	require.NoError(t, err)
	require.Equal(t, "AES256", put.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm"))
	require.Equal(t, base64.StdEncoding.EncodeToString(key), put.Header.Get("X-Amz-Server-Side-Encryption-Customer-Key"))
	require.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), put.Header.Get("X-Amz-Server-Side-Encryption-Customer-Key-Md5"))
	require.Equal(t, "bucket-owner-full-control", put.Header.Get("X-Amz-Acl"))
	require.NotContains(t, put.URL, base64.StdEncoding.EncodeToString(key), "the key travels in a signed header, not the URL")
	q := query(t, put.URL)
	require.Equal(t, "111122223333", q.Get("x-amz-expected-bucket-owner"))
	require.Equal(t, "requester", q.Get("x-amz-request-payer"))
	info, err := s3sign.Inspect(put.URL)
	require.NoError(t, err)
	require.Subset(t, info.SignedHeaders, []string{"x-amz-acl", "x-amz-server-side-encryption-customer-algorithm",
		"x-amz-server-side-encryption-customer-key", "x-amz-server-side-encryption-customer-key-md5"})

	get, err := s.GetURL(ctx, "bucket", "k", func(o *s3sign.GetOptions) {
		o.SSECustomerKey, o.ExpectedBucketOwner, o.RequestPayer = key, "111122223333", true
	})
	require.NoError(t, err)
	require.Equal(t, base64.StdEncoding.EncodeToString(key), get.Header.Get("X-Amz-Server-Side-Encryption-Customer-Key"))
	require.Equal(t, "111122223333", query(t, get.URL).Get("x-amz-expected-bucket-owner"))

	for _, c := range []struct {
		kind   s3sign.Checksum
		n      int
		header string
	}{
		{s3sign.SHA1, 20, "X-Amz-Checksum-Sha1"}, {s3sign.CRC32C, 4, "X-Amz-Checksum-Crc32c"}, {s3sign.CRC64NVME, 8, "X-Amz-Checksum-Crc64nvme"},
	} {
		v := base64.StdEncoding.EncodeToString(make([]byte, c.n))
		req, err := s.PutURL(ctx, "bucket", "k", func(o *s3sign.PutOptions) { o.Checksum, o.ChecksumValue = c.kind, v })
		require.NoError(t, err, c.kind)
		require.Equal(t, v, req.Header.Get(c.header), c.kind)
		_, err = s.PutURL(ctx, "bucket", "k", func(o *s3sign.PutOptions) {
			o.Checksum, o.ChecksumValue = c.kind, base64.StdEncoding.EncodeToString(make([]byte, c.n+1))
		})
		require.ErrorIs(t, err, s3sign.ErrInvalidInput, c.kind)
	}

	for name, fn := range map[string]func(*s3sign.PutOptions){
		"short SSE-C key":       func(o *s3sign.PutOptions) { o.SSECustomerKey = key[:31] },
		"SSE-C and SSE-KMS":     func(o *s3sign.PutOptions) { o.SSECustomerKey, o.SSEKMSKeyID = key, "alias/x" },
		"owner not an account":  func(o *s3sign.PutOptions) { o.ExpectedBucketOwner = "1111-2222-3333" },
		"unknown ACL":           func(o *s3sign.PutOptions) { o.ACL = "world-writable" },
		"unknown storage class": func(o *s3sign.PutOptions) { o.StorageClass = "COLD" },
		"tagging bad escape":    func(o *s3sign.PutOptions) { o.Tagging = "team=a%zz" },
		"unknown checksum":      func(o *s3sign.PutOptions) { o.Checksum, o.ChecksumValue = "MD4", "AAAA" },
		// Values signed into headers no client could send.
		"checksum with a line break": func(o *s3sign.PutOptions) { o.Checksum, o.ChecksumValue = s3sign.CRC32, "AA\nAAA==" },
		"Content-Type with CRLF":     func(o *s3sign.PutOptions) { o.ContentType = "text/plain\r\nX-Evil: 1" },
		"metadata with CRLF":         func(o *s3sign.PutOptions) { o.Metadata = map[string]string{"a": "x\r\nX-Evil: 1"} },
		"metadata name with a space": func(o *s3sign.PutOptions) { o.Metadata = map[string]string{"a b": "x"} },
		"tagging with LF":            func(o *s3sign.PutOptions) { o.Tagging = "a=b\nc=d" },
		"KMS key with NUL":           func(o *s3sign.PutOptions) { o.SSEKMSKeyID = "alias/x\x00" },
	} {
		_, err := s.PutURL(ctx, "bucket", "k", fn)
		require.ErrorIs(t, err, s3sign.ErrInvalidInput, name)
		require.NotContains(t, err.Error(), "0123456789abcdef", name)
	}
}

func TestAccessPointARN(t *testing.T) {
	s := newSigner(t, static())
	for _, ap := range []string{"arn:aws:s3:eu-west-1:111122223333:accesspoint/my-ap", "arn:aws:s3:eu-west-1:111122223333:accesspoint:my-ap"} {
		req, err := s.GetURL(ctx, ap, "reports/q3 final.pdf")
		require.NoError(t, err, ap)
		require.True(t, strings.HasPrefix(req.URL, "https://my-ap-111122223333.s3-accesspoint.eu-west-1.amazonaws.com/reports/q3%20final.pdf?"), req.URL)
		info, err := s3sign.Inspect(req.URL)
		require.NoError(t, err)
		require.Equal(t, "eu-west-1", info.Region)
	}
	put, err := s.PutURL(ctx, "arn:aws:s3:eu-west-1:111122223333:accesspoint/my-ap", "k", func(o *s3sign.PutOptions) { o.ContentType = "text/plain" })
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(put.URL, "https://my-ap-111122223333.s3-accesspoint.eu-west-1.amazonaws.com/k?"), put.URL)

	path := newSigner(t, static(), func(o *s3sign.Options) { o.UsePathStyle = true })
	for _, tt := range []struct {
		s    *s3sign.Signer
		ap   string
		text string
	}{
		{s, "arn:aws:s3:eu-west-1:111122223333:bucket/b", "is not an S3 access point"},
		{s, "arn:aws:s3-object-lambda:eu-west-1:111122223333:accesspoint/my-ap", "is not an S3 access point"},
		{s, "arn:aws:s3::111122223333:accesspoint/abc.mrap", "multi-Region access points need SigV4A"},
		{s, "arn:aws:s3:eu-west-1:1111:accesspoint/my-ap", "is not 12 digits"},
		{s, "arn:aws:s3:eu-west-1:111122223333:accesspoint/My_AP", "must be 3 to 50 lower-case letters"},
		{s, "arn:aws:s3:eu-west-1:111122223333:accesspoint/-ap", "must be 3 to 50"},
		{s, "arn:nope", "is not an ARN"},
		{path, "arn:aws:s3:eu-west-1:111122223333:accesspoint/my-ap", "virtual-hosted only"},
	} {
		_, err := tt.s.GetURL(ctx, tt.ap, "k")
		require.ErrorIs(t, err, s3sign.ErrInvalidInput, tt.ap)
		require.ErrorContains(t, err, tt.text, tt.ap)
	}
	_, err = s.GetURL(ctx, "arn:aws:s3:us-west-2:111122223333:accesspoint/my-ap", "k")
	require.ErrorContains(t, err, "does not match client region", "another region needs UseARNRegion")
	_, err = s.PostForm(ctx, "arn:aws:s3:eu-west-1:111122223333:accesspoint/my-ap", s3sign.PostPolicy{Key: "k"})
	require.ErrorIs(t, err, s3sign.ErrInvalidInput)
}

// An unknown storage class is refused with the classes S3 knows, as an
// unknown ACL is, and a Tagging that is not URL-query form with its shape.
func TestUnknownPutValuesListAllowed(t *testing.T) {
	s := newSigner(t, static())
	for name, c := range map[string]struct {
		fn   func(*s3sign.PutOptions)
		want []string
	}{
		"storage class": {func(o *s3sign.PutOptions) { o.StorageClass = "COLD" }, []string{`StorageClass "COLD"; want one of [`, "STANDARD_IA", "GLACIER_IR"}},
		"tagging":       {func(o *s3sign.PutOptions) { o.Tagging = "team=a%zz" }, []string{`Tagging "team=a%zz" has a malformed %-escape; want URL-query form such as team=a&tier=hot`}},
	} {
		_, err := s.PutURL(ctx, "bucket", "k", c.fn)
		require.ErrorIs(t, err, s3sign.ErrInvalidInput, name)
		for _, w := range c.want {
			require.Contains(t, err.Error(), w, name)
		}
	}
	for _, sc := range types.StorageClass("").Values() {
		_, err := s.PutURL(ctx, "bucket", "k", func(o *s3sign.PutOptions) { o.StorageClass = sc })
		require.NoError(t, err, sc)
	}
	_, err := s.PutURL(ctx, "bucket", "k", func(o *s3sign.PutOptions) { o.Tagging = "team=a%20b&tier=hot+cold" })
	require.NoError(t, err)
}
