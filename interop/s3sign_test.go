package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sort"
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

const (
	vgwAccess = "KUMOACCESSKEY"
	vgwSecret = "kumo-versity-secret-key"
)

// versity starts versitygw, a real S3 server that checks SigV4, on a free
// loopback port, and returns an S3 client for it (path-style).
func versity(t *testing.T) (*s3.Client, string) {
	t.Helper()
	bin := need(t, "versitygw")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--port", addr, "--access", vgwAccess, "--secret", vgwSecret, "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	endpoint := "http://" + addr
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		require.Less(t, i, 200, "versitygw did not start")
		time.Sleep(25 * time.Millisecond)
	}
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(vgwAccess, vgwSecret, ""),
	})
	return client, endpoint
}

func do(t *testing.T, req *s3sign.Request, body []byte, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	r, err := http.NewRequest(req.Method, req.URL, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		r.Header[k] = v
	}
	if body != nil {
		r.ContentLength = int64(len(body))
	}
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestPresignAgainstVersityGW(t *testing.T) {
	ctx := context.Background()
	client, _ := versity(t)
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kumo-bucket")})
	require.NoError(t, err)
	s, err := s3sign.NewFromClient(client)
	require.NoError(t, err)

	for _, key := range []string{"plain.txt", "with space.txt", "a+b=c.txt", "100%.txt", "(paren).txt", "日本/ünïcode ✓.txt", "dir/sub/deep.bin"} {
		t.Run(key, func(t *testing.T) {
			body := []byte("content of " + key)
			sum := sha256.Sum256(body)
			put, err := s.PutURL(ctx, "kumo-bucket", key, func(o *s3sign.PutOptions) {
				o.ContentType = "text/plain"
				o.Checksum, o.ChecksumValue = s3sign.SHA256, base64.StdEncoding.EncodeToString(sum[:])
			})
			require.NoError(t, err)
			code, msg, _ := do(t, put, body, put.Header)
			require.Equal(t, 200, code, "PUT: %s", msg)

			get, err := s.GetURL(ctx, "kumo-bucket", key)
			require.NoError(t, err)
			code, got, hdr := do(t, get, nil, get.Header)
			require.Equal(t, 200, code)
			assert.Equal(t, body, got)
			assert.Equal(t, "text/plain", hdr.Get("Content-Type"))

			head, err := s.HeadURL(ctx, "kumo-bucket", key)
			require.NoError(t, err)
			code, _, _ = do(t, head, nil, head.Header)
			assert.Equal(t, 200, code)

			del, err := s.DeleteURL(ctx, "kumo-bucket", key)
			require.NoError(t, err)
			code, _, _ = do(t, del, nil, del.Header)
			assert.Equal(t, 204, code)
			code, _, _ = do(t, head, nil, head.Header)
			assert.Equal(t, 404, code)
		})
	}

	// Refusals: a tampered URL, an expired one, a PUT without or with
	// another value of a signed header.
	put, err := s.PutURL(ctx, "kumo-bucket", "guarded.txt", func(o *s3sign.PutOptions) { o.ContentType = "text/plain" })
	require.NoError(t, err)
	tampered := *put
	tampered.URL = strings.Replace(put.URL, "guarded.txt", "guarded.txx", 1)
	code, _, _ := do(t, &tampered, []byte("x"), put.Header)
	assert.Equal(t, 403, code, "tampered")
	code, _, _ = do(t, put, []byte("x"), nil)
	assert.Equal(t, 403, code, "signed Content-Type left out")
	code, _, _ = do(t, put, []byte("x"), http.Header{"Content-Type": {"text/html"}})
	assert.Equal(t, 403, code, "signed Content-Type changed")
	code, _, _ = do(t, put, []byte("x"), put.Header)
	assert.Equal(t, 200, code, "as signed")

	past, err := s3sign.NewFromClient(client, func(o *s3sign.Options) { o.Clock = func() time.Time { return time.Now().Add(-20 * time.Minute) } })
	require.NoError(t, err)
	old, err := past.GetURL(ctx, "kumo-bucket", "guarded.txt", func(o *s3sign.GetOptions) { o.Expires = 5 * time.Minute })
	require.NoError(t, err)
	code, _, _ = do(t, old, nil, nil)
	assert.Equal(t, 403, code, "expired")

	// Multipart: parts uploaded through presigned URLs, then completed.
	size := int64(11 << 20)
	up, err := s.CreateUpload(ctx, "kumo-bucket", "big/file.bin", size, 5<<20)
	require.NoError(t, err)
	require.Len(t, up.Parts, 3)
	data := bytes.Repeat([]byte("0123456789abcdef"), int(size/16))
	var etags []string
	for i, p := range up.Parts {
		chunk := data[int64(i)*up.PartSize : min(int64(i+1)*up.PartSize, size)]
		code, msg, hdr := do(t, p, chunk, p.Header)
		require.Equal(t, 200, code, "part %d: %s", i+1, msg)
		etags = append(etags, hdr.Get("ETag"))
	}
	require.NoError(t, up.Complete(ctx, etags))
	get, err := s.GetURL(ctx, "kumo-bucket", "big/file.bin")
	require.NoError(t, err)
	code, got, _ := do(t, get, nil, nil)
	require.Equal(t, 200, code)
	assert.True(t, bytes.Equal(data, got))
}

// botocoreCompare presigns with botocore at a frozen clock and prints the
// signed headers and expiry it chose.
const botocorePresign = `
import json, sys, datetime
from unittest import mock
import boto3
from botocore.config import Config
cfg = json.loads(sys.argv[1])
frozen = datetime.datetime(2026, 11, 22, 12, 0, 0)
with mock.patch("botocore.auth.get_current_datetime", return_value=frozen), mock.patch("botocore.signers.datetime") as dt:
    dt.datetime.utcnow.return_value = frozen
    dt.timedelta = datetime.timedelta
    s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                      aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                      config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    if cfg["op"] == "post":
        out = s3.generate_presigned_post(cfg["bucket"], cfg["key"], Fields=cfg.get("fields"), Conditions=cfg.get("conditions"), ExpiresIn=900)
        print(json.dumps(out))
    else:
        print(s3.generate_presigned_url(cfg["op"], Params=cfg["params"], ExpiresIn=900))
`

func TestPresignMatchesBotocore(t *testing.T) {
	need(t, "python3")
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	client := s3.New(s3.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")})
	s, err := s3sign.NewFromClient(client, func(o *s3sign.Options) { o.Clock = func() time.Time { return now } })
	require.NoError(t, err)
	ctx := context.Background()
	boto := func(cfg map[string]any) string {
		arg, _ := json.Marshal(cfg)
		return strings.TrimSpace(runTool(t, nil, "", "python3", "-c", botocorePresign, string(arg)))
	}
	infoOf := func(u string) *s3sign.URLInfo {
		i, err := s3sign.Inspect(u)
		require.NoError(t, err, u)
		return i
	}

	get, err := s.GetURL(ctx, "kumo-bucket", "reports/q3 final.pdf")
	require.NoError(t, err)
	want := boto(map[string]any{"op": "get_object", "params": map[string]string{"Bucket": "kumo-bucket", "Key": "reports/q3 final.pdf"}})
	assert.Equal(t, unsigned(want), unsigned(get.URL), "GET: the same URL but for the Go SDK's x-id and so the signature")
	assert.Equal(t, infoOf(want).SignedHeaders, infoOf(get.URL).SignedHeaders)
	assert.Equal(t, infoOf(want).Expires, infoOf(get.URL).Expires)

	put, err := s.PutURL(ctx, "kumo-bucket", "up/x.png", func(o *s3sign.PutOptions) { o.ContentType = "image/png" })
	require.NoError(t, err)
	want = boto(map[string]any{"op": "put_object", "params": map[string]string{"Bucket": "kumo-bucket", "Key": "up/x.png", "ContentType": "image/png"}})
	assert.Equal(t, infoOf(want).SignedHeaders, infoOf(put.URL).SignedHeaders)
	assert.Equal(t, infoOf(want).Expires, infoOf(put.URL).Expires)
	assert.Equal(t, unsigned(want), unsigned(put.URL))
	assert.Equal(t, "image/png", put.Header.Get("Content-Type"))

	// POST: the decoded policy conditions match generate_presigned_post.
	form, err := s.PostForm(ctx, "kumo-bucket", s3sign.PostPolicy{KeyPrefix: "user/42/", MaxSize: 1 << 20, ContentType: "image/png", SuccessActionStatus: 201})
	require.NoError(t, err)
	out := boto(map[string]any{"op": "post", "bucket": "kumo-bucket", "key": "user/42/${filename}",
		"fields":     map[string]string{"Content-Type": "image/png", "success_action_status": "201"},
		"conditions": []any{[]any{"content-length-range", 0, 1 << 20}, map[string]string{"Content-Type": "image/png"}, map[string]string{"success_action_status": "201"}}})
	var bf struct {
		Fields map[string]string `json:"fields"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &bf))
	assert.Equal(t, conditionSet(t, bf.Fields["policy"]), conditionSet(t, form.Fields["policy"]))
	for _, k := range []string{"key", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "Content-Type", "success_action_status"} {
		assert.Equal(t, bf.Fields[k], form.Fields[k], k)
	}
}

// unsigned drops the signature and the Go SDK's x-id operation marker.
func unsigned(u string) string {
	base, q, _ := strings.Cut(u, "?")
	var keep []string
	for _, p := range strings.Split(q, "&") {
		if !strings.HasPrefix(p, "x-id=") && !strings.HasPrefix(p, "X-Amz-Signature=") {
			keep = append(keep, p)
		}
	}
	return base + "?" + strings.Join(keep, "&")
}

// conditionSet decodes a POST policy's conditions into sorted JSON strings.
func conditionSet(t *testing.T, policy string) []string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(policy)
	require.NoError(t, err)
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	// The expiration is left out: botocore takes it from its own clock.
	var out []string
	for _, c := range doc.Conditions {
		var v any
		require.NoError(t, json.Unmarshal(c, &v))
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}
