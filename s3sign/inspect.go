package s3sign

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kumo-go/kumo/internal/opts"
)

// URLInfo is what a presigned URL says about itself.
type URLInfo struct {
	Method        string // unknown from the URL alone: empty
	Host, Path    string
	AccessKeyID   string
	Region        string
	Service       string
	SignedHeaders []string
	SignedAt      time.Time
	Expires       time.Time
	// Expired says whether the URL had expired when Inspect read it, by
	// InspectOptions.Clock.
	Expired bool
}

// InspectOptions adjust Inspect.
type InspectOptions struct {
	// Clock is the time source URLInfo.Expired is decided by; nil means
	// time.Now.
	Clock func() time.Time
}

// Inspect parses a SigV4 presigned URL. It checks the form of the signing
// parameters, not the signature.
func Inspect(rawURL string, optFns ...func(*InspectOptions)) (*URLInfo, error) {
	var o InspectOptions
	opts.Apply(&o, optFns)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if len(rawURL) > 16<<10 {
		return nil, fmt.Errorf("%w: the URL is %d bytes", ErrInvalidInput, len(rawURL))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: the URL does not parse: %v", ErrInvalidInput, err)
	}
	q := u.Query()
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return nil, fmt.Errorf("%w: not a SigV4 presigned URL (X-Amz-Algorithm is %q)", ErrInvalidInput, q.Get("X-Amz-Algorithm"))
	}
	for _, p := range []string{"X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(p) == "" {
			return nil, fmt.Errorf("%w: %s is missing", ErrInvalidInput, p)
		}
	}
	parts := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return nil, fmt.Errorf("%w: X-Amz-Credential is not key/date/region/service/aws4_request", ErrInvalidInput)
	}
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return nil, fmt.Errorf("%w: X-Amz-Date %q is not yyyymmddThhmmssZ", ErrInvalidInput, q.Get("X-Amz-Date"))
	}
	if parts[1] != signedAt.Format("20060102") {
		return nil, fmt.Errorf("%w: the credential date %s is not the signing date", ErrInvalidInput, parts[1])
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 1 || secs > int64(MaxExpiry/time.Second) {
		return nil, fmt.Errorf("%w: X-Amz-Expires %q is not 1 to 604800 seconds", ErrInvalidInput, q.Get("X-Amz-Expires"))
	}
	if _, err := hexDecode(q.Get("X-Amz-Signature")); err != nil {
		return nil, err
	}
	expires := signedAt.Add(time.Duration(secs) * time.Second)
	return &URLInfo{
		Host: u.Host, Path: u.EscapedPath(),
		AccessKeyID: parts[0], Region: parts[2], Service: parts[3],
		SignedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"),
		SignedAt:      signedAt, Expires: expires, Expired: !o.Clock().Before(expires),
	}, nil
}

func hexDecode(s string) ([]byte, error) {
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return nil, errors.Join(ErrInvalidInput, errors.New("X-Amz-Signature is not 64 lower-case hex digits"))
	}
	return []byte(s), nil
}
