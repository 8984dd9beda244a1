package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
)

// nodeSAML runs node/saml.js, which signs and verifies SAML responses with
// xml-crypto, an independent XML-DSig implementation.
func nodeSAML(t *testing.T, mode string, cfg any) []byte {
	t.Helper()
	nodeBin := need(t, "node")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "xml-crypto")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("run `npm ci` in interop/node first (.ci/run does)")
		}
		t.Skip("run `npm ci` in interop/node to install xml-crypto")
	}
	arg, err := json.Marshal(cfg)
	require.NoError(t, err)
	var out, stderr bytes.Buffer
	cmd := exec.Command(nodeBin, filepath.Join("node", "saml.js"), mode, string(arg))
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), "node: %s", stderr.String())
	return out.Bytes()
}

// capturingSTS keeps the assertion AssumeRoleWithSAML sends.
type capturingSTS struct{ sent string }

func (c *capturingSTS) AssumeRoleWithSAML(_ context.Context, in *sts.AssumeRoleWithSAMLInput, _ ...func(*sts.Options)) (*sts.AssumeRoleWithSAMLOutput, error) {
	c.sent = aws.ToString(in.SAMLAssertion)
	return &sts.AssumeRoleWithSAMLOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIA"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

// TestSAMLSignedByXMLCrypto parses responses signed by xml-crypto in the
// shapes IdPs send, and checks that what goes to STS still verifies there.
func TestSAMLSignedByXMLCrypto(t *testing.T) {
	const (
		dev  = "arn:aws:iam::111122223333:role/Dev"
		ops  = "arn:aws:iam::444455556666:role/ops/Operator"
		idp1 = "arn:aws:iam::111122223333:saml-provider/Okta"
		idp2 = "arn:aws:iam::444455556666:saml-provider/ADFS"
	)
	want := map[string]iamx.SAMLRole{
		dev: {RoleARN: dev, PrincipalARN: idp1, AccountID: "111122223333", RoleName: "Dev"},
		ops: {RoleARN: ops, PrincipalARN: idp2, AccountID: "444455556666", RoleName: "Operator"},
	}
	for name, tc := range map[string]struct {
		pairs        []string
		roles        []string
		signResponse bool
	}{
		"one role":                       {[]string{dev + "," + idp1}, []string{dev}, false},
		"one role, provider first":       {[]string{idp1 + "," + dev}, []string{dev}, true},
		"several roles":                  {[]string{dev + "," + idp1, ops + "," + idp2}, []string{dev, ops}, false},
		"several roles, providers first": {[]string{idp1 + "," + dev, idp2 + "," + ops}, []string{dev, ops}, true},
		"mixed order":                    {[]string{dev + "," + idp1, idp2 + "," + ops}, []string{dev, ops}, true},
	} {
		t.Run(name, func(t *testing.T) {
			var signed struct{ Response, PublicKey string }
			require.NoError(t, json.Unmarshal(nodeSAML(t, "sign", map[string]any{"pairs": tc.pairs, "sessionName": "alice@example.com", "duration": 7200, "signResponse": tc.signResponse}), &signed))

			a, err := iamx.ParseSAMLResponse(signed.Response)
			require.NoError(t, err)
			var got []iamx.SAMLRole
			for _, r := range tc.roles {
				got = append(got, want[r])
			}
			assert.Equal(t, got, a.Roles)
			assert.Equal(t, "alice@example.com", a.RoleSessionName)
			assert.Equal(t, "alice@example.com", a.Subject)
			assert.Equal(t, "http://idp.example.com/exk1", a.Issuer)
			assert.Equal(t, []string{"urn:amazon:webservices"}, a.Audiences)
			assert.Equal(t, 2*time.Hour, a.SessionDuration)
			assert.WithinDuration(t, time.Now().Add(5*time.Minute), a.NotOnOrAfter, time.Minute)

			role, err := a.Role(tc.roles[0])
			require.NoError(t, err)
			s := &capturingSTS{}
			_, err = iamx.AssumeRoleWithSAML(context.Background(), s, a, role)
			require.NoError(t, err)
			assert.Equal(t, signed.Response, s.sent)
			wantSigs := "ok 1"
			if tc.signResponse {
				wantSigs = "ok 2"
			}
			assert.Equal(t, wantSigs, string(nodeSAML(t, "verify", map[string]string{"response": s.sent, "publicKey": signed.PublicKey})),
				"xml-crypto verifies every signature in what STS receives")
		})
	}
	t.Run("the verifier can fail", func(t *testing.T) {
		var signed struct{ Response, PublicKey string }
		require.NoError(t, json.Unmarshal(nodeSAML(t, "sign", map[string]any{"pairs": []string{dev + "," + idp1}, "sessionName": "alice", "duration": 3600}), &signed))
		a, err := iamx.ParseSAMLResponse(signed.Response)
		require.NoError(t, err)
		tampered := bytes.Replace([]byte(decodeB64(t, signed.Response)), []byte("role/Dev"), []byte("role/Dex"), 1)
		cmd := exec.Command(need(t, "node"), filepath.Join("node", "saml.js"), "verify", mustJSON(t, map[string]string{"response": encodeB64(tampered), "publicKey": signed.PublicKey}))
		assert.Error(t, cmd.Run(), "a changed role must not verify")
		assert.Len(t, a.Roles, 1)
	})
}

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return string(b)
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
