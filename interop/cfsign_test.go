package interop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
)

var cfNow = time.Unix(1_800_000_000, 0)

func cfSigner(t *testing.T, id string, key crypto.Signer, h cfsign.Hash) *cfsign.Signer {
	t.Helper()
	s, err := cfsign.New(id, key, func(o *cfsign.Options) {
		o.Hash = h
		o.Clock = func() time.Time { return cfNow }
	})
	require.NoError(t, err)
	return s
}

// randomURL makes CloudFront URLs with what trips signers up: encoded
// spaces, encoded unicode, query strings, odd characters.
func randomURL(r *mrand.Rand, wildcard bool) string {
	return randomURLOf(r, wildcard, []string{"videos", "my%20file", "%E2%9C%93check", "a+b", "x=y", "(1)", "~tilde", "deep/er", "caf%C3%A9"})
}

func randomURLOf(r *mrand.Rand, wildcard bool, segs []string) string {
	host := []string{"d111111abcdef8.cloudfront.net", "cdn.example.com", "media.example.org:8443"}[r.IntN(3)]
	u := "https://" + host
	for range 1 + r.IntN(3) {
		u += "/" + segs[r.IntN(len(segs))]
	}
	if wildcard {
		u += "/*"
	} else {
		u += fmt.Sprintf("/file-%d.mp4", r.IntN(1000))
		if r.IntN(2) == 0 {
			u += fmt.Sprintf("?v=%d&lang=en%%20GB", r.IntN(9))
		}
	}
	return u
}

// TestCLIByteIdentity: for RSA with SHA-1, canned and custom URLs equal what
// `aws cloudfront sign` prints for the same inputs.
func TestCLIByteIdentity(t *testing.T) {
	need(t, "aws")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	s := cfSigner(t, "K2JCJMDEHXQW5F", key, cfsign.SHA1)
	r := mrand.New(mrand.NewPCG(7, 11))
	for i := range 16 {
		custom := i%2 == 1
		wildcard := custom && r.IntN(2) == 0
		u := randomURL(r, wildcard)
		expires := cfNow.Add(time.Duration(1+r.IntN(1_000_000)) * time.Second)
		args := []string{"cloudfront", "sign", "--url", u, "--key-pair-id", "K2JCJMDEHXQW5F", "--private-key", "file://" + keyFile,
			"--date-less-than", fmt.Sprint(expires.Unix())}
		var got string
		if !custom {
			got, err = s.SignURL(u, expires)
		} else {
			p := cfsign.Policy{Resource: u, DateLessThan: expires}
			if r.IntN(2) == 0 || !wildcard {
				p.SourceIP = []string{"192.0.2.1", "198.51.100.0/24", "10.0.0.0/8"}[r.IntN(3)]
				args = append(args, "--ip-address", p.SourceIP)
			}
			if p.SourceIP == "" || r.IntN(2) == 0 {
				p.DateGreaterThan = cfNow.Add(-time.Duration(r.IntN(1000)) * time.Second)
				args = append(args, "--date-greater-than", fmt.Sprint(p.DateGreaterThan.Unix()))
			}
			got, err = s.SignURLWithPolicy(u, p)
		}
		require.NoError(t, err, u)
		want := runTool(t, nil, "", "aws", args...)
		assert.Equal(t, want, got, "inputs %v", args)
	}
}

// TestCLIQueryURLs: URLs with query strings (several parameters, encoded
// characters, a ? inside the query) get a canned policy exactly when the
// AWS CLI gives one, decided by Policy.Canned as examples/cfsign decides,
// and the URLs are byte-identical.
func TestCLIQueryURLs(t *testing.T) {
	need(t, "aws")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	s := cfSigner(t, "K2JCJMDEHXQW5F", key, cfsign.SHA1)
	r := mrand.New(mrand.NewPCG(13, 17))
	names := []string{"v", "x", "lang", "a%20b", "q", "w", "token"}
	values := []string{"339", "y", "en%20GB", "%E2%9C%93", "a?b", "?", "1+2", "x=y", "", "caf%C3%A9", "(1)"}
	canned := 0
	for i := range 16 {
		u := randomURLOf(r, false, []string{"videos", "my%20file", "a+b", "(1)", "deep/er"})
		u, _, _ = strings.Cut(u, "?")
		for j := range 1 + r.IntN(4) {
			sep := "?"
			if j > 0 {
				sep = "&"
			}
			u += sep + names[r.IntN(len(names))] + "=" + values[r.IntN(len(values))]
		}
		expires := cfNow.Add(time.Duration(1+r.IntN(1_000_000)) * time.Second)
		args := []string{"cloudfront", "sign", "--url", u, "--key-pair-id", "K2JCJMDEHXQW5F", "--private-key", "file://" + keyFile,
			"--date-less-than", fmt.Sprint(expires.Unix())}
		p := cfsign.Policy{Resource: u, DateLessThan: expires}
		switch i % 4 {
		case 1:
			p.SourceIP = "192.0.2.0/24"
			args = append(args, "--ip-address", p.SourceIP)
		case 3:
			p.DateGreaterThan = cfNow.Add(-time.Minute)
			args = append(args, "--date-greater-than", fmt.Sprint(p.DateGreaterThan.Unix()))
		}
		var got string
		if p.Canned() {
			canned++
			got, err = s.SignURL(u, expires)
		} else {
			got, err = s.SignURLWithPolicy(u, p)
		}
		require.NoError(t, err, u)
		want := runTool(t, nil, "", "aws", args...)
		assert.Equal(t, want, got, "inputs %v", args)
		assert.Equal(t, strings.Contains(want, "&Expires="), p.Canned(), "canned or custom as the CLI decides: %v", args)
	}
	require.Equal(t, 8, canned)
}

// signedParams returns a signed URL's base and its query parameters as a set.
func signedParams(t *testing.T, signed string) (string, []string) {
	t.Helper()
	base, q, _ := strings.Cut(signed, "?")
	parts := strings.Split(q, "&")
	sort.Strings(parts)
	return base, parts
}

// TestJSSignerSHA256: with SHA-256 the policy and signature equal what
// @aws-sdk/cloudfront-signer makes (as a set of parameters).
func TestJSSignerSHA256(t *testing.T) {
	nodeBin := need(t, "node")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "@aws-sdk", "cloudfront-signer")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("run `npm ci` in interop/node first (.ci/run does)")
		}
		t.Skip("run `npm ci` in interop/node")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	s := cfSigner(t, "KJS", key, cfsign.SHA256)
	js := func(cfg map[string]any) string {
		cfg["keyPairId"], cfg["privateKey"], cfg["algorithm"] = "KJS", keyPEM, "SHA256"
		arg, _ := json.Marshal(cfg)
		out, err := exec.Command(nodeBin, filepath.Join("node", "cfsign.js"), string(arg)).Output()
		require.NoError(t, err)
		return string(out)
	}
	r := mrand.New(mrand.NewPCG(3, 5))
	for i := range 12 {
		// The JS signer re-encodes + and = in paths (a+b becomes a%2Bb)
		// before signing; the CLI and kumo sign the URL as given. Paths
		// here avoid the two.
		u := randomURLOf(r, false, []string{"videos", "my%20file", "%E2%9C%93check", "(1)", "~tilde", "deep/er", "caf%C3%A9"})
		exp := cfNow.Add(time.Duration(1+r.IntN(100000)) * time.Second)
		var ours, theirs string
		switch i % 4 {
		case 0:
			ours, err = s.SignURL(u, exp)
			theirs = js(map[string]any{"url": u, "dateLessThan": exp.Unix()})
		case 1:
			ours, err = s.SignURLWithPolicy(u, cfsign.Policy{DateLessThan: exp, SourceIP: "203.0.113.0/24"})
			theirs = js(map[string]any{"url": u, "dateLessThan": exp.Unix(), "ipAddress": "203.0.113.0/24"})
		case 2:
			ours, err = s.SignURLWithPolicy(u, cfsign.Policy{DateLessThan: exp, DateGreaterThan: cfNow})
			theirs = js(map[string]any{"url": u, "dateLessThan": exp.Unix(), "dateGreaterThan": cfNow.Unix()})
		default:
			// Both conditions: the JS signer orders them differently from the
			// CLI, so it signs kumo's policy document as given.
			p := cfsign.Policy{Resource: u, DateLessThan: exp, DateGreaterThan: cfNow, SourceIP: "192.0.2.9"}
			doc, _ := p.JSON()
			ours, err = s.SignURLWithPolicy(u, p)
			theirs = js(map[string]any{"url": u, "policy": string(doc)})
		}
		require.NoError(t, err)
		ob, op := signedParams(t, ours)
		tb, tp := signedParams(t, theirs)
		assert.Equal(t, ob, tb)
		assert.Equal(t, tp, op, u)
	}
}

// TestECDSAVerifiesWithOpenSSL: openssl checks kumo's ECDSA signatures over
// the policy document.
func TestECDSAVerifiesWithOpenSSL(t *testing.T) {
	need(t, "openssl")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	dir := t.TempDir()
	pubFile := filepath.Join(dir, "pub.pem")
	require.NoError(t, os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600))
	for _, h := range []cfsign.Hash{cfsign.SHA1, cfsign.SHA256} {
		s := cfSigner(t, "KEC", key, h)
		signed, err := s.SignURLWithPolicy("https://d1.example.net/a/b.jpg", cfsign.Policy{Resource: "https://d1.example.net/a/*", DateLessThan: cfNow.Add(time.Hour)})
		require.NoError(t, err)
		q, _ := url.ParseQuery(signed[strings.Index(signed, "?")+1:])
		unb := func(s string) []byte {
			b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(s))
			require.NoError(t, err)
			return b
		}
		policyFile, sigFile := filepath.Join(dir, "policy.json"), filepath.Join(dir, "sig.der")
		require.NoError(t, os.WriteFile(policyFile, unb(q.Get("Policy")), 0o600))
		require.NoError(t, os.WriteFile(sigFile, unb(q.Get("Signature")), 0o600))
		digest := map[cfsign.Hash]string{cfsign.SHA1: "-sha1", cfsign.SHA256: "-sha256"}[h]
		out := runTool(t, nil, "", "openssl", "dgst", digest, "-verify", pubFile, "-signature", sigFile, policyFile)
		assert.Equal(t, "Verified OK\n", out)
	}
}
