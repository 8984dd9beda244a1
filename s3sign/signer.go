package s3sign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

// PresignAPI is the part of s3.PresignClient this package calls.
type PresignAPI interface {
	PresignGetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignPutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignHeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignDeleteObject(ctx context.Context, params *s3.DeleteObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignUploadPart(ctx context.Context, params *s3.UploadPartInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// MultipartAPI is the part of *s3.Client that multipart uploads call.
type MultipartAPI interface {
	CreateMultipartUpload(ctx context.Context, params *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	CompleteMultipartUpload(ctx context.Context, params *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, params *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// ExpiryPolicy says what to do when a URL would outlive the credentials
// that sign it.
type ExpiryPolicy int

const (
	// RefuseBeyondCredentials refuses with ErrExpiresAfterCredentials (the
	// default, the zero value).
	RefuseBeyondCredentials ExpiryPolicy = iota
	// ClampToCredentials shortens the URL to end when the credentials do.
	ClampToCredentials
)

// String returns the constant's name.
func (p ExpiryPolicy) String() string {
	switch p {
	case RefuseBeyondCredentials:
		return "RefuseBeyondCredentials"
	case ClampToCredentials:
		return "ClampToCredentials"
	}
	return fmt.Sprintf("ExpiryPolicy(%d)", int(p))
}

// MaxExpiry is SigV4's limit on a presigned URL's lifetime.
const MaxExpiry = 7 * 24 * time.Hour

// DefaultExpiry is the lifetime of URLs and forms when neither
// Options.Expires nor the call's Expires says otherwise.
const DefaultExpiry = 15 * time.Minute

// Errors callers branch on.
var (
	// ErrExpiresAfterCredentials: temporary credentials would expire before
	// the URL, which would then stop working early.
	ErrExpiresAfterCredentials = errors.New("s3sign: the URL would outlive the credentials that sign it")
	// ErrInvalidInput: an expiry, bucket, key or option is not allowed.
	ErrInvalidInput = errors.New("s3sign: invalid input")
)

// Options configure a [Signer]. The zero value of each field is its
// default.
type Options struct {
	// Expires is the default lifetime of URLs and forms; zero means
	// DefaultExpiry (15 minutes). Otherwise whole seconds, 1s to MaxExpiry.
	Expires time.Duration
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// OnCredentialExpiry is RefuseBeyondCredentials (the zero value) or
	// ClampToCredentials.
	OnCredentialExpiry ExpiryPolicy
	// Region, Endpoint and UsePathStyle say where POST forms go.
	// NewFromClient takes them from the client; with New, POST forms need
	// Region at least. Endpoint, when set, is an absolute http(s) URL;
	// empty means the region's AWS endpoint.
	Region       string
	Endpoint     string
	UsePathStyle bool
	// Multipart makes CreateUpload's real calls; nil leaves multipart
	// uploads off. NewFromClient sets the client.
	Multipart MultipartAPI
}

// Signer presigns S3 requests. It is safe for concurrent use.
type Signer struct {
	// The clients and credentials are out of fmt's reach (redact.Hidden),
	// whatever prints the Signer; opts.Multipart is kept in multipart.
	presign   redact.Hidden[PresignAPI]
	creds     redact.Hidden[aws.CredentialsProvider]
	multipart redact.Hidden[MultipartAPI]
	opts      Options
	signer    clockPresigner
}

// NewFromClient returns a signer on client, in one call: its presign client
// (with request checksums only when required, so no checksum of an empty
// body is signed in), its credentials (whose expiry it checks), region,
// endpoint and addressing style, and client itself for multipart uploads.
// optFns run after those are set, so they can override them.
func NewFromClient(client *s3.Client, optFns ...func(*Options)) (*Signer, error) {
	if client == nil {
		return nil, errors.New("s3sign: NewFromClient needs an S3 client")
	}
	co := client.Options()
	presign := s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(so *s3.Options) {
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		})
	})
	endpoint := aws.ToString(co.BaseEndpoint)
	return New(presign, co.Credentials, append([]func(*Options){func(o *Options) {
		o.Region, o.Endpoint, o.UsePathStyle, o.Multipart = co.Region, endpoint, co.UsePathStyle, client
	}}, optFns...)...)
}

// New returns a signer on any PresignAPI (an *s3.PresignClient, or a fake
// in tests); creds is what it signs with (for the expiry check and POST
// forms). Give a real s3.PresignClient a client whose
// RequestChecksumCalculation is WhenRequired, as [NewFromClient] does, or
// PUT URLs may sign a checksum of an empty body. Invalid options are
// refused here, with what is allowed.
func New(p PresignAPI, creds aws.CredentialsProvider, optFns ...func(*Options)) (*Signer, error) {
	if p == nil || creds == nil {
		return nil, errors.New("s3sign: New needs a presigner and a credentials provider")
	}
	var o Options
	opts.Apply(&o, optFns)
	if o.Expires == 0 {
		o.Expires = DefaultExpiry
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if err := checkExpiry(o.Expires); err != nil {
		return nil, fmt.Errorf("%w (Options.Expires)", err)
	}
	if o.OnCredentialExpiry != RefuseBeyondCredentials && o.OnCredentialExpiry != ClampToCredentials {
		return nil, fmt.Errorf("%w: Options.OnCredentialExpiry %d; want RefuseBeyondCredentials or ClampToCredentials", ErrInvalidInput, int(o.OnCredentialExpiry))
	}
	if o.Endpoint != "" {
		if u, err := url.Parse(o.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%w: Options.Endpoint %q is not an absolute http(s) URL such as https://s3.example.com", ErrInvalidInput, o.Endpoint)
		}
	}
	// S3 signs paths as they are, without escaping them a second time.
	v4s := v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true })
	s := &Signer{presign: redact.Hide(p), creds: redact.Hide(creds), multipart: redact.Hide(o.Multipart), signer: clockPresigner{inner: v4s, clock: o.Clock}}
	o.Multipart = nil
	s.opts = o
	return s, nil
}

// Request is a presigned request: send Method to URL with every header in
// Header (they were signed; leaving one out or changing it gets a 403).
type Request struct {
	Method  string
	URL     string
	Header  http.Header
	Expires time.Time
}

func checkExpiry(d time.Duration) error {
	switch {
	case d <= 0:
		return fmt.Errorf("%w: expiry %s is negative; want 1s to 7d, or 0 for the default", ErrInvalidInput, d)
	case d > MaxExpiry:
		return fmt.Errorf("%w: expiry %s exceeds the SigV4 maximum of 7d", ErrInvalidInput, d)
	case d < time.Second:
		return fmt.Errorf("%w: expiry %s is under a second, the least X-Amz-Expires can say; use 1s", ErrInvalidInput, d)
	case d%time.Second != 0:
		return fmt.Errorf("%w: expiry %s is not a whole number of seconds, which is all X-Amz-Expires can say; use %s or %s",
			ErrInvalidInput, d, d.Truncate(time.Second), d.Truncate(time.Second)+time.Second)
	}
	return nil
}

// checkBucketKey validates a bucket name for the addressing style and a key.
func (s *Signer) checkBucketKey(bucket, key string) error {
	if err := checkBucket(bucket, s.opts.UsePathStyle); err != nil {
		return err
	}
	switch {
	case key == "":
		return fmt.Errorf("%w: the object key is empty", ErrInvalidInput)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: the object key is not valid UTF-8", ErrInvalidInput)
	case len(key) > 1024:
		return fmt.Errorf("%w: the object key is %d bytes of UTF-8; S3 allows 1024", ErrInvalidInput, len(key))
	}
	return nil
}

func checkBucket(bucket string, pathStyle bool) error {
	if bucket == "" {
		return fmt.Errorf("%w: the bucket name is empty", ErrInvalidInput)
	}
	if strings.HasPrefix(bucket, "arn:") {
		return checkAccessPoint(bucket, pathStyle)
	}
	if len(bucket) < 3 || len(bucket) > 63 {
		return fmt.Errorf("%w: bucket %q must be 3 to 63 characters", ErrInvalidInput, bucket)
	}
	for i, r := range bucket {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("%w: bucket %q has %q at byte %d; bucket names are lower-case letters, digits, '-' and '.'", ErrInvalidInput, bucket, r, i)
		}
	}
	if !isAlnum(bucket[0]) || !isAlnum(bucket[len(bucket)-1]) || strings.Contains(bucket, "..") {
		return fmt.Errorf("%w: bucket %q must start and end with a letter or digit and not hold \"..\"", ErrInvalidInput, bucket)
	}
	if !pathStyle && strings.Contains(bucket, ".") {
		return fmt.Errorf("%w: bucket %q has dots, which break TLS for virtual-hosted addressing; set UsePathStyle", ErrInvalidInput, bucket)
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// checkAccessPoint validates an S3 access point ARN given as the bucket:
// arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME (or accesspoint:NAME).
// The URL goes to the access point's endpoint,
// NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com, signed for its region;
// a client in another region needs the S3 client's UseARNRegion.
func checkAccessPoint(s string, pathStyle bool) error {
	a, err := arn.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: bucket %q starts with arn: but is not an ARN", ErrInvalidInput, s)
	}
	name, ok := strings.CutPrefix(a.Resource, "accesspoint/")
	if !ok {
		name, ok = strings.CutPrefix(a.Resource, "accesspoint:")
	}
	switch {
	case a.Service != "s3" || !ok:
		return fmt.Errorf("%w: ARN %q is not an S3 access point (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME); Object Lambda and Outposts access points are not supported", ErrInvalidInput, s)
	case a.Region == "":
		return fmt.Errorf("%w: ARN %q has no region: multi-Region access points need SigV4A signatures, which s3sign does not make", ErrInvalidInput, s)
	case !isAccountID(a.AccountID):
		return fmt.Errorf("%w: access point ARN %q: the account %q is not 12 digits", ErrInvalidInput, s, a.AccountID)
	case len(name) < 3 || len(name) > 50 || name[0] == '-' || name[len(name)-1] == '-' ||
		strings.IndexFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) >= 0:
		return fmt.Errorf("%w: access point name %q must be 3 to 50 lower-case letters, digits and '-', starting and ending with a letter or digit", ErrInvalidInput, name)
	case pathStyle:
		return fmt.Errorf("%w: access points are addressed virtual-hosted only; UsePathStyle must be off to use %q", ErrInvalidInput, s)
	}
	return nil
}

// lifetime settles a request's expiry against the default, the limits and
// the credentials.
func (s *Signer) lifetime(ctx context.Context, d time.Duration) (time.Duration, time.Time, error) {
	if d == 0 {
		d = s.opts.Expires
	}
	if err := checkExpiry(d); err != nil {
		return 0, time.Time{}, err
	}
	// SigV4 dates have whole seconds: the URL lives from the signing time
	// truncated to the second for d, and Request.Expires says exactly that.
	now := s.opts.Clock().Truncate(time.Second)
	c, err := s.creds.Value().Retrieve(ctx)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("s3sign: retrieving credentials: %w", err)
	}
	if c.CanExpire && c.Expires.Before(now.Add(d)) {
		if s.opts.OnCredentialExpiry == ClampToCredentials {
			d = c.Expires.Sub(now).Truncate(time.Second)
			if d <= 0 {
				if c.Expires.After(now) {
					return 0, time.Time{}, fmt.Errorf("%w: the credentials expire at %s, under a second from now, and a URL lives at least 1s",
						ErrExpiresAfterCredentials, c.Expires.UTC().Format(time.RFC3339Nano))
				}
				return 0, time.Time{}, fmt.Errorf("%w: the credentials expired at %s", ErrExpiresAfterCredentials, c.Expires.UTC().Format(time.RFC3339))
			}
		} else {
			return 0, time.Time{}, fmt.Errorf("%w: the URL would live until %s, the credentials until %s; sign with longer-lived credentials, a shorter expiry, or Options.OnCredentialExpiry = ClampToCredentials",
				ErrExpiresAfterCredentials, now.Add(d).UTC().Format(time.RFC3339), c.Expires.UTC().Format(time.RFC3339))
		}
	}
	return d, now.Add(d), nil
}

// clockPresigner signs at the Signer's clock rather than the SDK's, so
// tests (and callers with their own time source) get the URLs they expect.
type clockPresigner struct {
	inner *v4.Signer
	clock func() time.Time
}

func (c clockPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return c.inner.PresignHTTP(ctx, creds, r, payloadHash, service, region, c.clock(), optFns...)
}

// presignOpts signs for d at exp-d: the time lifetime settled, so the
// URL's X-Amz-Date plus X-Amz-Expires is exactly Request.Expires however
// long signing takes.
func (s *Signer) presignOpts(d time.Duration, exp time.Time) func(*s3.PresignOptions) {
	at := exp.Add(-d)
	return func(o *s3.PresignOptions) {
		o.Expires = d
		o.Presigner = clockPresigner{inner: s.signer.inner, clock: func() time.Time { return at }}
	}
}

func toRequest(p *v4.PresignedHTTPRequest, expires time.Time) *Request {
	h := p.SignedHeader.Clone()
	h.Del("Host")
	return &Request{Method: p.Method, URL: p.URL, Header: h, Expires: expires}
}

// GetOptions shape a GET URL.
type GetOptions struct {
	Expires                    time.Duration // zero means Options.Expires
	ResponseContentDisposition string        // such as `attachment; filename="report.pdf"`
	ResponseContentType        string
	ResponseCacheControl       string
	VersionID                  string
	// SSECustomerKey is the 32-byte key an SSE-C object was stored with;
	// its headers are signed and must be sent as Request.Header has them.
	// It is redacted whenever GetOptions or the Request is printed.
	SSECustomerKey []byte
	// ExpectedBucketOwner makes S3 refuse the request unless the bucket
	// belongs to this 12-digit account ID.
	ExpectedBucketOwner string
	// RequestPayer accepts the charges of a requester-pays bucket.
	RequestPayer bool
}

// GetURL presigns a GET of bucket/key.
func (s *Signer) GetURL(ctx context.Context, bucket, key string, optFns ...func(*GetOptions)) (*Request, error) {
	var o GetOptions
	opts.Apply(&o, optFns)
	if err := s.checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	d, exp, err := s.lifetime(ctx, o.Expires)
	if err != nil {
		return nil, err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if o.ResponseContentDisposition != "" {
		in.ResponseContentDisposition = aws.String(o.ResponseContentDisposition)
	}
	if o.ResponseContentType != "" {
		in.ResponseContentType = aws.String(o.ResponseContentType)
	}
	if o.ResponseCacheControl != "" {
		in.ResponseCacheControl = aws.String(o.ResponseCacheControl)
	}
	if o.VersionID != "" {
		in.VersionId = aws.String(o.VersionID)
	}
	sse, owner, payer, err := requestExtras{o.SSECustomerKey, o.ExpectedBucketOwner, o.RequestPayer}.check()
	if err != nil {
		return nil, err
	}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = sse.algorithm, sse.key, sse.keyMD5
	in.ExpectedBucketOwner, in.RequestPayer = owner, payer
	p, err := s.presign.Value().PresignGetObject(ctx, in, s.presignOpts(d, exp))
	if err != nil {
		return nil, fmt.Errorf("s3sign: %w", err)
	}
	return toRequest(p, exp), nil
}

// HeadOptions shape a HEAD URL.
type HeadOptions struct {
	Expires   time.Duration // zero means Options.Expires
	VersionID string
	// ExpectedBucketOwner makes S3 refuse the request unless the bucket
	// belongs to this 12-digit account ID.
	ExpectedBucketOwner string
	// RequestPayer accepts the charges of a requester-pays bucket.
	RequestPayer bool
}

// HeadURL presigns a HEAD of bucket/key.
func (s *Signer) HeadURL(ctx context.Context, bucket, key string, optFns ...func(*HeadOptions)) (*Request, error) {
	var o HeadOptions
	opts.Apply(&o, optFns)
	if err := s.checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	_, owner, payer, err := requestExtras{nil, o.ExpectedBucketOwner, o.RequestPayer}.check()
	if err != nil {
		return nil, err
	}
	d, exp, err := s.lifetime(ctx, o.Expires)
	if err != nil {
		return nil, err
	}
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ExpectedBucketOwner: owner, RequestPayer: payer}
	if o.VersionID != "" {
		in.VersionId = aws.String(o.VersionID)
	}
	p, err := s.presign.Value().PresignHeadObject(ctx, in, s.presignOpts(d, exp))
	if err != nil {
		return nil, fmt.Errorf("s3sign: %w", err)
	}
	return toRequest(p, exp), nil
}

// DeleteOptions shape a DELETE URL.
type DeleteOptions struct {
	Expires   time.Duration // zero means Options.Expires
	VersionID string        // deletes this version rather than adding a delete marker
	// ExpectedBucketOwner makes S3 refuse the request unless the bucket
	// belongs to this 12-digit account ID.
	ExpectedBucketOwner string
	// RequestPayer accepts the charges of a requester-pays bucket.
	RequestPayer bool
}

// DeleteURL presigns a DELETE of bucket/key.
func (s *Signer) DeleteURL(ctx context.Context, bucket, key string, optFns ...func(*DeleteOptions)) (*Request, error) {
	var o DeleteOptions
	opts.Apply(&o, optFns)
	if err := s.checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	_, owner, payer, err := requestExtras{nil, o.ExpectedBucketOwner, o.RequestPayer}.check()
	if err != nil {
		return nil, err
	}
	d, exp, err := s.lifetime(ctx, o.Expires)
	if err != nil {
		return nil, err
	}
	in := &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ExpectedBucketOwner: owner, RequestPayer: payer}
	if o.VersionID != "" {
		in.VersionId = aws.String(o.VersionID)
	}
	p, err := s.presign.Value().PresignDeleteObject(ctx, in, s.presignOpts(d, exp))
	if err != nil {
		return nil, fmt.Errorf("s3sign: %w", err)
	}
	return toRequest(p, exp), nil
}
