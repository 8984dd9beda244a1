package kmstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// sdkClient is aws-sdk-go-v2's own KMS client of region, pointed at h.
func sdkClient(t *testing.T, h http.Handler, region string) *awskms.Client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return awskms.New(awskms.Options{Region: region, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
}

// TestConformanceFakeOverHTTP runs the conformance cases through the SDK's
// client and the fake's HTTP server: the wire form (names, base64 blobs,
// error codes, DescribeKey's dates) round-trips through the real
// serializers.
func TestConformanceFakeOverHTTP(t *testing.T) {
	f := kmstest.New()
	s := fakeService()
	s.client = sdkClient(t, f, "us-east-1")
	s.newKey = func(*testing.T) string { return f.CreateKey() }
	s.disable = func(t *testing.T, arn string) { require.NoError(t, f.SetKeyState(arn, types.KeyStateDisabled)) }
	conformance(t, s)

	rsaARN, err := f.CreateRSAKey(types.KeySpecRsa2048)
	require.NoError(t, err)
	pk, err := s.client.(*awskms.Client).GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(rsaARN)})
	require.NoError(t, err)
	assert.Equal(t, types.KeySpecRsa2048, pk.KeySpec)

	_, err = s.client.(*awskms.Client).ListKeys(ctx, &awskms.ListKeysInput{})
	assert.Equal(t, "UnknownOperationException", code(err))
	assert.Equal(t, 1, f.Calls("GetPublicKey"), "calls over HTTP are counted")
}

// TestRegionsOverHTTP: one endpoint, each request served by the Fake of
// the Region its client signs for, so an MRK keyring in us-west-2 opens
// what us-east-1 encrypted, through aws-sdk-go-v2 clients.
func TestRegionsOverHTTP(t *testing.T) {
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	srv := httptest.NewServer(regions)
	t.Cleanup(srv.Close)
	clients := kms.NewClientSupplier(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})

	east, err := kms.NewKMSMRKMultiKeyring(clients, arns[0])
	require.NoError(t, err)
	c, err := kms.New(east)
	require.NoError(t, err)
	msg, err := c.Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	west, err := kms.NewKMSMRKDiscoveryMultiKeyring(clients, []string{"us-west-2"}, nil)
	require.NoError(t, err)
	c, err = kms.New(west)
	require.NoError(t, err)
	pt, err := c.Decrypt(ctx, msg, nil)
	require.NoError(t, err)
	assert.Equal(t, "x", string(pt))
	assert.Equal(t, 1, regions.Fake("us-west-2").Calls("Decrypt"))
	assert.Equal(t, 1, regions.Fake("us-east-1").Calls("GenerateDataKey"))

	resp, err := http.Post(srv.URL, "application/x-amz-json-1.1", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "MissingAuthenticationTokenException", resp.Header.Get("X-Amzn-ErrorType"))
}

// TestRegionsOverHTTPHostileRegion: the Region a request signs for is
// outside input: a name that is not Region-shaped, or a new Region in every
// request, must not make Fakes without end.
func TestRegionsOverHTTPHostileRegion(t *testing.T) {
	regions := kmstest.NewRegions()
	srv := httptest.NewServer(regions)
	t.Cleanup(srv.Close)
	post := func(region string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(`{"KeyId":"alias/x"}`))
		require.NoError(t, err)
		req.Header.Set("X-Amz-Target", "TrentService.DescribeKey")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/"+region+"/kms/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.Header.Get("X-Amzn-ErrorType")
	}
	for _, tc := range []struct{ region, code string }{
		{"us-west-2", "NotFoundException"},
		{"local", "NotFoundException"},
		{strings.Repeat("r", 33), "InvalidSignatureException"},
		{strings.Repeat("r", 100_000), "InvalidSignatureException"},
		{"US-EAST-1", "InvalidSignatureException"},
		{"", "InvalidSignatureException"},
		{"us_east_1", "InvalidSignatureException"},
	} {
		assert.Equal(t, tc.code, post(tc.region), "Region %.40q", tc.region)
	}
	for i := 0; i < 62; i++ { // 64 with us-west-2 and local
		require.Equal(t, "NotFoundException", post(fmt.Sprintf("xx-test-%d", i)))
	}
	assert.Equal(t, "InvalidSignatureException", post("xx-test-one-too-many"), "a 65th Region is refused")
	assert.Equal(t, "NotFoundException", post("us-west-2"), "Regions already made are still served")
	assert.Equal(t, "NotFoundException", post("xx-test-61"))
}
