package s3sign

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PostPolicy is what a browser POST upload may do. Set Key or KeyPrefix.
type PostPolicy struct {
	// Key is the exact object key; KeyPrefix lets the browser choose the
	// rest (the form's key field is KeyPrefix + "${filename}").
	Key, KeyPrefix string
	// MinSize and MaxSize bound the file's size; MaxSize 0 means no bound.
	MinSize, MaxSize int64
	// ContentType is the exact Content-Type; ContentTypePrefix requires the
	// form's Content-Type field to start with it (set it from script).
	ContentType, ContentTypePrefix string
	// SuccessActionStatus (200, 201 or 204) or SuccessActionRedirect says
	// what S3 answers after the upload.
	SuccessActionStatus   int
	SuccessActionRedirect string
	// Metadata becomes x-amz-meta-* fields; Tags the object's tags.
	Metadata map[string]string
	Tags     map[string]string
	// SSEKMSKeyID encrypts the object with this KMS key.
	SSEKMSKeyID string
	// Expires is the form's lifetime; zero means Options.Expires.
	Expires time.Duration
}

// PostForm is a signed browser upload: POST multipart/form-data to URL with
// every field of Fields, then the file as the last field, named "file".
type PostForm struct {
	URL     string            `json:"url"`
	Fields  map[string]string `json:"fields"`
	Expires time.Time         `json:"-"`
}

// PostForm signs a POST policy for bucket: every condition gets the form
// field that satisfies it, and the policy JSON is escaped properly.
func (s *Signer) PostForm(ctx context.Context, bucket string, p PostPolicy) (*PostForm, error) {
	if strings.HasPrefix(bucket, "arn:") {
		return nil, fmt.Errorf("%w: POST forms take a bucket name, not an access point ARN", ErrInvalidInput)
	}
	if err := checkBucket(bucket, s.opts.UsePathStyle); err != nil {
		return nil, err
	}
	if (p.Key == "") == (p.KeyPrefix == "") {
		return nil, fmt.Errorf("%w: set exactly one of Key and KeyPrefix", ErrInvalidInput)
	}
	if k := p.Key + p.KeyPrefix; len(k) > 1024 {
		return nil, fmt.Errorf("%w: the key is %d bytes; S3 allows 1024", ErrInvalidInput, len(k))
	}
	if p.ContentType != "" && p.ContentTypePrefix != "" {
		return nil, fmt.Errorf("%w: set ContentType or ContentTypePrefix, not both", ErrInvalidInput)
	}
	if p.MinSize < 0 || p.MaxSize < 0 || (p.MaxSize > 0 && p.MinSize > p.MaxSize) {
		return nil, fmt.Errorf("%w: size range %d to %d", ErrInvalidInput, p.MinSize, p.MaxSize)
	}
	if p.SuccessActionStatus != 0 && p.SuccessActionStatus != 200 && p.SuccessActionStatus != 201 && p.SuccessActionStatus != 204 {
		return nil, fmt.Errorf("%w: success_action_status %d; S3 takes 200, 201 or 204", ErrInvalidInput, p.SuccessActionStatus)
	}
	if s.opts.Region == "" {
		return nil, fmt.Errorf("%w: POST forms need Options.Region", ErrInvalidInput)
	}
	_, exp, err := s.lifetime(ctx, p.Expires)
	if err != nil {
		return nil, err
	}
	creds, err := s.creds.Value().Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3sign: retrieving credentials: %w", err)
	}
	now := s.opts.Clock().UTC()
	amzDate := now.Format("20060102T150405Z")
	scope := now.Format("20060102") + "/" + s.opts.Region + "/s3/aws4_request"

	fields := map[string]string{}
	conds := []any{map[string]string{"bucket": bucket}}
	if p.Key != "" {
		fields["key"] = p.Key
		conds = append(conds, map[string]string{"key": p.Key})
	} else {
		fields["key"] = p.KeyPrefix + "${filename}"
		conds = append(conds, []any{"starts-with", "$key", p.KeyPrefix})
	}
	if p.MaxSize > 0 {
		conds = append(conds, []any{"content-length-range", p.MinSize, p.MaxSize})
	}
	if p.ContentType != "" {
		fields["Content-Type"] = p.ContentType
		conds = append(conds, map[string]string{"Content-Type": p.ContentType})
	} else if p.ContentTypePrefix != "" {
		conds = append(conds, []any{"starts-with", "$Content-Type", p.ContentTypePrefix})
	}
	exact := func(k, v string) {
		fields[k] = v
		conds = append(conds, map[string]string{k: v})
	}
	if p.SuccessActionStatus != 0 {
		exact("success_action_status", strconv.Itoa(p.SuccessActionStatus))
	}
	if p.SuccessActionRedirect != "" {
		exact("success_action_redirect", p.SuccessActionRedirect)
	}
	for _, k := range sortedKeys(p.Metadata) {
		exact("x-amz-meta-"+strings.ToLower(k), p.Metadata[k])
	}
	if len(p.Tags) > 0 {
		exact("tagging", taggingXML(p.Tags))
	}
	if p.SSEKMSKeyID != "" {
		exact("x-amz-server-side-encryption", "aws:kms")
		exact("x-amz-server-side-encryption-aws-kms-key-id", p.SSEKMSKeyID)
	}
	exact("x-amz-algorithm", "AWS4-HMAC-SHA256")
	exact("x-amz-credential", creds.AccessKeyID+"/"+scope)
	exact("x-amz-date", amzDate)
	if creds.SessionToken != "" {
		exact("x-amz-security-token", creds.SessionToken)
	}
	doc := map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conds}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("s3sign: encoding the policy: %w", err)
	}
	policy := base64.StdEncoding.EncodeToString(bytes.TrimSpace(buf.Bytes()))
	fields["policy"] = policy
	key := []byte("AWS4" + creds.SecretAccessKey)
	for _, part := range []string{now.Format("20060102"), s.opts.Region, "s3", "aws4_request", policy} {
		key = hmacSHA256(key, part)
	}
	fields["x-amz-signature"] = hex.EncodeToString(key)
	return &PostForm{URL: s.bucketURL(bucket), Fields: fields, Expires: exp}, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func taggingXML(tags map[string]string) string {
	var b strings.Builder
	b.WriteString("<Tagging><TagSet>")
	for _, k := range sortedKeys(tags) {
		b.WriteString("<Tag><Key>")
		xml.EscapeText(&b, []byte(k))
		b.WriteString("</Key><Value>")
		xml.EscapeText(&b, []byte(tags[k]))
		b.WriteString("</Value></Tag>")
	}
	b.WriteString("</TagSet></Tagging>")
	return b.String()
}

// bucketURL is where a POST for bucket goes.
func (s *Signer) bucketURL(bucket string) string {
	if s.opts.Endpoint == "" {
		if s.opts.UsePathStyle {
			return "https://s3." + s.opts.Region + ".amazonaws.com/" + bucket
		}
		return "https://" + bucket + ".s3." + s.opts.Region + ".amazonaws.com/"
	}
	u, err := url.Parse(s.opts.Endpoint)
	if err != nil || u.Host == "" {
		return strings.TrimRight(s.opts.Endpoint, "/") + "/" + bucket
	}
	if s.opts.UsePathStyle {
		return strings.TrimRight(s.opts.Endpoint, "/") + "/" + bucket
	}
	u.Host = bucket + "." + u.Host
	u.Path = "/"
	return u.String()
}

// HTML renders a minimal page with the form: hidden fields, a file input
// (id "file") and a submit button (id "go").
func (f *PostForm) HTML() string {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Upload</title></head><body>\n")
	fmt.Fprintf(&b, "<form action=\"%s\" method=\"post\" enctype=\"multipart/form-data\">\n", html.EscapeString(f.URL))
	for _, k := range sortedKeys(f.Fields) {
		fmt.Fprintf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", html.EscapeString(k), html.EscapeString(f.Fields[k]))
	}
	b.WriteString("<input type=\"file\" id=\"file\" name=\"file\">\n<button type=\"submit\" id=\"go\">Upload</button>\n</form>\n</body></html>\n")
	return b.String()
}
