package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
)

// nodeESDK runs node/esdk.js, the official JavaScript Encryption SDK, on
// input with the given configuration.
func nodeESDK(t *testing.T, cfg map[string]any, input []byte) []byte {
	t.Helper()
	return nodeScript(t, "esdk.js", cfg, input)
}

// nodeSucceeds runs node/<script> like nodeScript and reports whether it
// succeeded, for cases where failing is the expected answer.
func nodeSucceeds(t *testing.T, script string, cfg map[string]any, input []byte) bool {
	t.Helper()
	arg, err := json.Marshal(cfg)
	require.NoError(t, err)
	cmd := exec.Command(need(t, "node"), filepath.Join("node", script), string(arg))
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err != nil { // the first line of the error, without Node's warnings
		for _, line := range bytes.Split(stderr.Bytes(), []byte("\n")) {
			if bytes.HasPrefix(line, []byte("Error")) {
				t.Logf("node %s: %s", script, line)
				break
			}
		}
	}
	return err == nil
}

// nodeScript runs the script node/<script> with cfg as its JSON argument
// and input on standard input, and returns its standard output.
func nodeScript(t *testing.T, script string, cfg map[string]any, input []byte) []byte {
	t.Helper()
	nodeBin := need(t, "node")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "@aws-crypto", "client-node")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("run `npm ci` in interop/node first (.ci/run does)")
		}
		t.Skip("run `npm ci` in interop/node to install @aws-crypto/client-node")
	}
	arg, err := json.Marshal(cfg)
	require.NoError(t, err)
	args := []string{filepath.Join("node", script), string(arg)}
	if cfg["pkcs1"] == true && cfg["op"] == "decrypt" {
		// Node 20 refuses PKCS#1 v1.5 decryption (the Marvin attack) unless
		// told otherwise; the format still allows it, so check it anyway.
		args = append([]string{"--security-revert=CVE-2023-46809"}, args...)
	}
	cmd := exec.Command(nodeBin, args...)
	cmd.Stdin = bytes.NewReader(input)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), "node: %s", stderr.String())
	// Node prints its --security-revert warning on standard output.
	return bytes.TrimPrefix(out.Bytes(), []byte("SECURITY WARNING: Reverting CVE-2023-46809: Marvin attack on PKCS#1 padding\n"))
}

func TestNodeESDKBothWays(t *testing.T) {
	ctx := context.Background()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))

	type ring struct {
		name string
		cfg  map[string]any
		kumo kms.Keyring
	}
	aesKR, err := kms.NewRawAESKeyring(rawNamespace, rawName, wrappingKey)
	require.NoError(t, err)
	rings := []ring{{"aes", map[string]any{"keyring": "aes", "aesKeyHex": hex.EncodeToString(wrappingKey)}, aesKR}}
	for _, p := range []struct {
		name    string
		padding kms.RSAPadding
	}{{"sha1", kms.OAEPSHA1}, {"sha256", kms.OAEPSHA256}, {"sha384", kms.OAEPSHA384}, {"sha512", kms.OAEPSHA512}, {"pkcs1", kms.PKCS1}} {
		kr, err := kms.NewRawRSAKeyring(rawNamespace, rawName, nil, priv, p.padding)
		require.NoError(t, err)
		rings = append(rings, ring{"rsa-" + p.name, map[string]any{"keyring": "rsa", "rsaPrivatePem": privPEM, "rsaPublicPem": pubPEM,
			"oaepHash": p.name, "pkcs1": p.name == "pkcs1"}, kr})
	}
	const frame = 4096
	ec := map[string]string{"purpose": "interop", "lang": "js"}
	for _, r := range rings {
		for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
			sizes := []int{0, 1, frame - 1, frame, frame + 1, 5 << 20}
			if r.name != "aes" {
				sizes = []int{1, frame + 1} // the key wrapping is what differs
			}
			for _, size := range sizes {
				t.Run(fmt.Sprintf("%s/%04x/%d", r.name, uint16(suite), size), func(t *testing.T) {
					pt := make([]byte, size)
					_, _ = rand.Read(pt)
					cfg := map[string]any{"namespace": rawNamespace, "name": rawName, "context": ec, "frameLength": frame, "suite": fmt.Sprintf("%04x", uint16(suite))}
					for k, v := range r.cfg {
						cfg[k] = v
					}
					c, err := kms.New(r.kumo, func(o *kms.Options) { o.Suite, o.FrameSize = suite, frame })
					require.NoError(t, err)

					msg, err := c.Encrypt(ctx, pt, ec)
					require.NoError(t, err)
					cfg["op"] = "decrypt"
					require.True(t, bytes.Equal(pt, nodeESDK(t, cfg, msg)), "kumo -> JS")

					cfg["op"] = "encrypt"
					jsMsg := nodeESDK(t, cfg, pt)
					h, err := kms.ParseHeader(bytes.NewReader(jsMsg))
					require.NoError(t, err)
					require.Equal(t, suite, h.Suite)
					got, err := c.Decrypt(ctx, jsMsg, ec)
					require.NoError(t, err)
					require.True(t, bytes.Equal(pt, got), "JS -> kumo")
					r, err := c.DecryptReader(ctx, bytes.NewReader(jsMsg), ec)
					require.NoError(t, err)
					var streamed bytes.Buffer
					_, err = streamed.ReadFrom(r)
					require.NoError(t, err)
					require.True(t, bytes.Equal(pt, streamed.Bytes()), "JS -> kumo, streamed")
				})
			}
		}
	}
}
