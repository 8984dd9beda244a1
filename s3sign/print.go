package s3sign

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kumo-go/kumo/internal/redact"
)

// Signer and Upload hold credentials (a Signer's provider may be static,
// holding the secret key), so they print a description without them under
// every fmt verb, in log/slog and in JSON (see internal/redact).

// String gives where the signer signs for; never its credentials.
func (s Signer) String() string {
	return redact.Describe("Signer", "region", s.opts.Region, "endpoint", s.opts.Endpoint,
		"pathStyle", s.opts.UsePathStyle, "expires", s.opts.Expires, "credentials", redact.Mark)
}

// GoString is String qualified by the package, for %#v.
func (s Signer) GoString() string { return redact.GoString(s) }

// Format prints String under every verb.
func (s Signer) Format(f fmt.State, verb rune) { redact.Format(f, verb, s) }

// LogValue logs String.
func (s Signer) LogValue() slog.Value { return redact.LogValue(s) }

// String describes the upload without its signer's credentials. The part
// URLs are left out: each is a bearer credential until it expires.
func (u Upload) String() string {
	return redact.Describe("Upload", "bucket", u.Bucket, "key", u.Key, "uploadID", u.UploadID,
		"partSize", u.PartSize, "parts", len(u.Parts))
}

// GoString is String qualified by the package, for %#v.
func (u Upload) GoString() string { return redact.GoString(u) }

// Format prints String under every verb.
func (u Upload) Format(f fmt.State, verb rune) { redact.Format(f, verb, u) }

// LogValue logs String.
func (u Upload) LogValue() slog.Value { return redact.LogValue(u) }

// String describes the options; Multipart (an S3 client, whose credentials
// may hold a secret key) is only said to be set.
func (o Options) String() string {
	multipart := "<nil>"
	if o.Multipart != nil {
		multipart = fmt.Sprintf("%T", o.Multipart)
	}
	return redact.Describe("Options", "Expires", o.Expires, "OnCredentialExpiry", o.OnCredentialExpiry,
		"Region", o.Region, "Endpoint", o.Endpoint, "UsePathStyle", o.UsePathStyle, "Multipart", multipart)
}

// GoString is String qualified by the package, for %#v.
func (o Options) GoString() string { return redact.GoString(o) }

// Format prints String under every verb.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o Options) LogValue() slog.Value { return redact.LogValue(o) }

// sseKeyHeader is the one signed header that carries a secret: the SSE-C
// key the uploader or reader must send.
const sseKeyHeader = "X-Amz-Server-Side-Encryption-Customer-Key"

// redactedHeader is h with the SSE-C key's value replaced by the mark.
func redactedHeader(h http.Header) http.Header {
	var c http.Header
	for k := range h {
		if strings.EqualFold(k, sseKeyHeader) {
			if c == nil {
				c = h.Clone()
			}
			c[k] = []string{redact.Mark}
		}
	}
	if c == nil {
		return h
	}
	return c
}

// String gives the method, URL, expiry and signed headers, with the value
// of an SSE-C key header redacted.
func (r Request) String() string {
	return redact.Describe("Request", "Method", r.Method, "URL", r.URL, "Header", fmt.Sprint(map[string][]string(redactedHeader(r.Header))),
		"Expires", r.Expires.UTC().Format(time.RFC3339))
}

// GoString is String qualified by the package, for %#v.
func (r Request) GoString() string { return redact.GoString(r) }

// Format prints String under every verb fmt hands it, so an SSE-C key is
// not printed (%p of a value and %w of a non-error bypass Format and print
// exported fields: see the README).
func (r Request) Format(f fmt.State, verb rune) { redact.Format(f, verb, r) }

// LogValue logs String.
func (r Request) LogValue() slog.Value { return redact.LogValue(r) }

// MarshalJSON writes the request with an SSE-C key header redacted. To hand
// the request to a client that must send the key, send Header's values
// yourself: the key is yours, and this keeps it out of logs and JSON by
// accident.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request
	p := plain(r)
	p.Header = redactedHeader(r.Header)
	return json.Marshal(p)
}

// String describes the options with SSECustomerKey redacted.
func (o PutOptions) String() string {
	return redact.Describe("PutOptions", "Expires", o.Expires, "ContentType", o.ContentType, "ContentLength", o.ContentLength,
		"Checksum", string(o.Checksum), "ChecksumValue", o.ChecksumValue, "SSEKMSKeyID", o.SSEKMSKeyID,
		"Metadata", fmt.Sprint(o.Metadata), "Tagging", o.Tagging, "StorageClass", string(o.StorageClass), "IfNoneMatch", o.IfNoneMatch,
		"ACL", string(o.ACL), "SSECustomerKey", redact.Bytes(o.SSECustomerKey), "ExpectedBucketOwner", o.ExpectedBucketOwner,
		"RequestPayer", o.RequestPayer)
}

// GoString is String qualified by the package, for %#v.
func (o PutOptions) GoString() string { return redact.GoString(o) }

// Format prints String under every verb fmt hands it, so the SSE-C key is
// not printed (%p of a value and %w of a non-error bypass Format and print
// exported fields: see the README).
func (o PutOptions) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o PutOptions) LogValue() slog.Value { return redact.LogValue(o) }

// MarshalJSON writes the options with SSECustomerKey redacted.
func (o PutOptions) MarshalJSON() ([]byte, error) {
	type plain PutOptions
	return json.Marshal(struct {
		plain
		SSECustomerKey string `json:",omitempty"`
	}{plain(o), redact.Bytes(o.SSECustomerKey)})
}

// String describes the options with SSECustomerKey redacted.
func (o GetOptions) String() string {
	return redact.Describe("GetOptions", "Expires", o.Expires, "ResponseContentDisposition", o.ResponseContentDisposition,
		"ResponseContentType", o.ResponseContentType, "ResponseCacheControl", o.ResponseCacheControl, "VersionID", o.VersionID,
		"SSECustomerKey", redact.Bytes(o.SSECustomerKey), "ExpectedBucketOwner", o.ExpectedBucketOwner, "RequestPayer", o.RequestPayer)
}

// GoString is String qualified by the package, for %#v.
func (o GetOptions) GoString() string { return redact.GoString(o) }

// Format prints String under every verb fmt hands it, so the SSE-C key is
// not printed (%p of a value and %w of a non-error bypass Format and print
// exported fields: see the README).
func (o GetOptions) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o GetOptions) LogValue() slog.Value { return redact.LogValue(o) }

// MarshalJSON writes the options with SSECustomerKey redacted.
func (o GetOptions) MarshalJSON() ([]byte, error) {
	type plain GetOptions
	return json.Marshal(struct {
		plain
		SSECustomerKey string `json:",omitempty"`
	}{plain(o), redact.Bytes(o.SSECustomerKey)})
}
