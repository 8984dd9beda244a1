package interop

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"hash/crc64"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/s3sign"
)

// crc64NVME is the CRC-64/NVME polynomial (reflected), as S3 uses it.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func checksumOf(kind s3sign.Checksum, body []byte) string {
	var raw []byte
	switch kind {
	case s3sign.SHA1:
		s := sha1.Sum(body)
		raw = s[:]
	case s3sign.CRC32C:
		raw = binary.BigEndian.AppendUint32(nil, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	case s3sign.CRC64NVME:
		raw = binary.BigEndian.AppendUint64(nil, crc64.Checksum(body, crc64NVME))
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// TestPresignExtrasAgainstVersityGW: versitygw checks the new checksums
// (right body 200, other body refused) and accepts the signed ACL, owner
// and payer parameters.
func TestPresignExtrasAgainstVersityGW(t *testing.T) {
	ctx := context.Background()
	client, _ := versity(t)
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kumo-extras")})
	require.NoError(t, err)
	s, err := s3sign.NewFromClient(client)
	require.NoError(t, err)
	body := []byte("checked content")
	for _, kind := range []s3sign.Checksum{s3sign.SHA1, s3sign.CRC32C, s3sign.CRC64NVME} {
		put, err := s.PutURL(ctx, "kumo-extras", "sum-"+string(kind), func(o *s3sign.PutOptions) {
			o.Checksum, o.ChecksumValue = kind, checksumOf(kind, body)
		})
		require.NoError(t, err)
		code, msg, _ := do(t, put, []byte("other content!!"), put.Header)
		require.NotEqual(t, 200, code, "%s: a body with another digest must be refused: %s", kind, msg)
		code, msg, _ = do(t, put, body, put.Header)
		require.Equal(t, 200, code, "%s: %s", kind, msg)
	}
	// ACL and SSE-C travel in signed headers: refused without them.
	// Owner and payer are hoisted into the signed query: refused when
	// altered. (versitygw stores the SSE-C object without encrypting it;
	// what is checked here is the signature over its headers.)
	for name, tc := range map[string]struct {
		fn       func(*s3sign.PutOptions)
		inHeader bool
		param    string
	}{
		"acl":   {func(o *s3sign.PutOptions) { o.ACL = types.ObjectCannedACLPrivate }, true, ""},
		"sse-c": {func(o *s3sign.PutOptions) { o.SSECustomerKey = []byte("0123456789abcdef0123456789abcdef") }, true, ""},
		"payer": {func(o *s3sign.PutOptions) { o.RequestPayer = true }, false, "x-amz-request-payer=requester"},
		"owner": {func(o *s3sign.PutOptions) { o.ExpectedBucketOwner = "123456789012" }, false, "x-amz-expected-bucket-owner=123456789012"},
	} {
		put, err := s.PutURL(ctx, "kumo-extras", "x-"+name, tc.fn)
		require.NoError(t, err)
		code, msg, _ := do(t, put, body, put.Header)
		require.Equal(t, 200, code, "%s: %s", name, msg)
		if tc.inHeader {
			code, _, _ = do(t, put, body, nil)
			require.Equal(t, 403, code, "%s: the signed headers left out", name)
			continue
		}
		require.Contains(t, put.URL, tc.param, name)
		altered := *put
		altered.URL = strings.Replace(put.URL, tc.param, tc.param[:len(tc.param)-1]+"x", 1)
		code, _, _ = do(t, &altered, body, put.Header)
		require.Equal(t, 403, code, "%s: altered in the URL", name)
	}
}

// signedNames is what a presigned URL binds: its signed headers and its
// x-amz-* query parameters other than SigV4's own. The Go SDK hoists
// headers such as x-amz-expected-bucket-owner into the query where
// botocore signs them as headers; both bind the same names.
func signedNames(t *testing.T, u string) []string {
	t.Helper()
	info, err := s3sign.Inspect(u)
	require.NoError(t, err, u)
	names := append([]string(nil), info.SignedHeaders...)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	for k := range parsed.Query() {
		lk := strings.ToLower(k)
		switch lk {
		case "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-signature", "x-amz-security-token":
		default:
			if strings.HasPrefix(lk, "x-amz-") {
				names = append(names, lk)
			}
		}
	}
	sort.Strings(names)
	return names
}

// TestAccessPointAndExtrasMatchBotocore: an access point ARN as the bucket
// gives botocore's URL (host, path, query but for the Go SDK's x-id and so
// the signature), and SSE-C, ACL, owner, payer and CRC32C bind the same
// names as botocore's presigned PUT.
func TestAccessPointAndExtrasMatchBotocore(t *testing.T) {
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
	const ap = "arn:aws:s3:eu-west-1:111122223333:accesspoint/my-ap"
	for _, key := range []string{"reports/q3 final.pdf", "a+b=c (1).txt", "ünï/cöde"} {
		get, err := s.GetURL(ctx, ap, key)
		require.NoError(t, err)
		want := boto(map[string]any{"op": "get_object", "params": map[string]string{"Bucket": ap, "Key": key}})
		require.Equal(t, unsigned(want), unsigned(get.URL), key)
	}

	sseKey := "0123456789abcdef0123456789abcdef"
	crc := base64.StdEncoding.EncodeToString([]byte{1, 2, 3, 4})
	put, err := s.PutURL(ctx, ap, "k", func(o *s3sign.PutOptions) {
		o.SSECustomerKey = []byte(sseKey)
		o.ACL = types.ObjectCannedACLPrivate
		o.ExpectedBucketOwner = "111122223333"
		o.RequestPayer = true
		o.Checksum, o.ChecksumValue = s3sign.CRC32C, crc
	})
	require.NoError(t, err)
	want := boto(map[string]any{"op": "put_object", "params": map[string]string{"Bucket": ap, "Key": "k",
		"SSECustomerKey": sseKey, "SSECustomerAlgorithm": "AES256", "ACL": "private", "ExpectedBucketOwner": "111122223333",
		"RequestPayer": "requester", "ChecksumCRC32C": crc}})
	wantBase, _, _ := strings.Cut(want, "?")
	gotBase, _, _ := strings.Cut(put.URL, "?")
	require.Equal(t, wantBase, gotBase)
	require.Equal(t, signedNames(t, want), signedNames(t, put.URL))

	// HEAD and DELETE take the same option funcs: a version, the owner
	// check and requester pays bind what botocore's presigned URLs bind.
	head, err := s.HeadURL(ctx, "uploads", "k", func(o *s3sign.HeadOptions) {
		o.Expires, o.VersionID, o.ExpectedBucketOwner, o.RequestPayer = 900*time.Second, "v 1", "111122223333", true
	})
	require.NoError(t, err)
	del, err := s.DeleteURL(ctx, "uploads", "k", func(o *s3sign.DeleteOptions) {
		o.VersionID, o.ExpectedBucketOwner, o.RequestPayer = "v 1", "111122223333", true
	})
	require.NoError(t, err)
	for _, c := range []struct {
		op  string
		got *s3sign.Request
	}{{"head_object", head}, {"delete_object", del}} {
		want := boto(map[string]any{"op": c.op, "params": map[string]string{"Bucket": "uploads", "Key": "k",
			"VersionId": "v 1", "ExpectedBucketOwner": "111122223333", "RequestPayer": "requester"}})
		wantBase, _, _ := strings.Cut(want, "?")
		gotBase, _, _ := strings.Cut(c.got.URL, "?")
		require.Equal(t, wantBase, gotBase, c.op)
		require.Equal(t, signedNames(t, want), signedNames(t, c.got.URL), c.op)
		require.Equal(t, query(t, want).Get("versionId"), query(t, c.got.URL).Get("versionId"), c.op)
		require.Equal(t, query(t, want).Get("X-Amz-Expires"), query(t, c.got.URL).Get("X-Amz-Expires"), c.op)
	}
}

func query(t *testing.T, u string) url.Values {
	t.Helper()
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	return parsed.Query()
}
