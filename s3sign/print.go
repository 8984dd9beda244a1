package s3sign

import (
	"fmt"
	"log/slog"

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
	return redact.Describe("Options", "Expires", o.Expires, "OnCredentialExpiry", int(o.OnCredentialExpiry),
		"Region", o.Region, "Endpoint", o.Endpoint, "UsePathStyle", o.UsePathStyle, "Multipart", multipart)
}

// GoString is String qualified by the package, for %#v.
func (o Options) GoString() string { return redact.GoString(o) }

// Format prints String under every verb.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o Options) LogValue() slog.Value { return redact.LogValue(o) }
