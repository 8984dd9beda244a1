package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// TestNodeMRKKeyrings has the JavaScript Encryption SDK's MRK-aware
// keyrings (AwsKmsMrkAwareSymmetricKeyringNode, its discovery keyring and
// discovery multi-keyring) and kumo's read each other's messages, both
// talking to the same kmstest Fakes (one per Region, sharing a multi-Region
// key) served over KMS's wire protocol by kmstest.Regions. moto cannot serve this: a replica
// there does not decrypt what its primary encrypted (AccessDeniedException).
// Where one side refuses a message (a single-Region key of another Region,
// another account), the other must refuse it too.
func TestNodeMRKKeyrings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60e9)
	defer cancel()
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	single := regions.Fake("us-east-1").CreateKey()
	// One endpoint: each request goes to the Fake of the Region it is signed for.
	srv := httptest.NewServer(regions)
	defer srv.Close()
	endpoints := map[string]string{}
	for _, r := range []string{"us-east-1", "us-west-2", "eu-west-1"} {
		endpoints[r] = srv.URL
	}
	supplier := func(region string) (kms.KMSAPI, error) { return regions.Fake(region), nil }
	ec := map[string]string{"purpose": "mrk-interop"}
	pt := []byte("one key, two Regions")
	filter := map[string]any{"partition": "aws", "accountIDs": []string{"123456789012"}}
	otherAccount := map[string]any{"partition": "aws", "accountIDs": []string{"222222222222"}}

	kumoRing := func(t *testing.T, kind, region, keyID string, f map[string]any) kms.Keyring {
		var k kms.Keyring
		var err error
		var df *kms.DiscoveryFilter
		if f != nil {
			df = &kms.DiscoveryFilter{Partition: f["partition"].(string), AccountIDs: f["accountIDs"].([]string)}
		}
		switch kind {
		case "mrk":
			k, err = kms.NewKMSMRKKeyring(regions.Fake(region), keyID)
		case "mrk-discovery":
			k, err = kms.NewKMSMRKDiscoveryKeyring(regions.Fake(region), region, df)
		default:
			k, err = kms.NewKMSMRKDiscoveryMultiKeyring(supplier, []string{"eu-west-1", region}, df)
		}
		require.NoError(t, err)
		return k
	}
	jsCfg := func(op, kind, region, keyID string, f map[string]any) map[string]any {
		cfg := map[string]any{"op": op, "keyring": kind, "keyId": keyID, "region": region, "regions": []string{"eu-west-1", region},
			"endpoints": endpoints, "context": ec}
		if f != nil {
			cfg["discoveryFilter"] = f
		}
		return cfg
	}

	// Messages under the multi-Region key, one from each side, made in us-east-1.
	east, err := kms.NewKMSMRKKeyring(regions.Fake("us-east-1"), arns[0])
	require.NoError(t, err)
	c, err := kms.New(east)
	require.NoError(t, err)
	kumoMsg, err := c.Encrypt(ctx, pt, ec)
	require.NoError(t, err)
	jsMsg := nodeScript(t, "mrk.js", jsCfg("encrypt", "mrk", "us-east-1", arns[0], nil), pt)
	h, err := kms.ParseHeader(bytes.NewReader(jsMsg))
	require.NoError(t, err)
	require.Len(t, h.EncryptedDataKeys, 1)
	require.Equal(t, arns[0], string(h.EncryptedDataKeys[0].ProviderInfo))

	// A message under a single-Region key of us-east-1.
	sk, err := kms.NewKMSKeyring(regions.Fake("us-east-1"), single)
	require.NoError(t, err)
	sc, err := kms.New(sk)
	require.NoError(t, err)
	singleMsg, err := sc.Encrypt(ctx, pt, ec)
	require.NoError(t, err)

	for _, tt := range []struct {
		name, kind, region, keyID string
		filter                    map[string]any
		msgs                      map[string][]byte
		ok                        bool
	}{
		{"strict replica", "mrk", "us-west-2", arns[1], nil, map[string][]byte{"kumo": kumoMsg, "js": jsMsg}, true},
		{"strict primary", "mrk", "us-east-1", arns[0], nil, map[string][]byte{"kumo": kumoMsg, "js": jsMsg}, true},
		{"discovery in the replica's Region", "mrk-discovery", "us-west-2", "", filter, map[string][]byte{"kumo": kumoMsg, "js": jsMsg}, true},
		{"discovery multi, a Region without the key first", "mrk-discovery-multi", "us-west-2", "", nil, map[string][]byte{"kumo": kumoMsg, "js": jsMsg}, true},
		{"discovery of another account", "mrk-discovery", "us-west-2", "", otherAccount, map[string][]byte{"kumo": kumoMsg, "js": jsMsg}, false},
		{"strict, another multi-Region key ID", "mrk", "us-west-2", strings.Replace(arns[1], "mrk-", "mrk-0", 1), nil, map[string][]byte{"kumo": kumoMsg}, false},
		{"single-Region key, discovery in another Region", "mrk-discovery", "us-west-2", "", nil, map[string][]byte{"single": singleMsg}, false},
		{"single-Region key, discovery in its Region", "mrk-discovery", "us-east-1", "", nil, map[string][]byte{"single": singleMsg}, true},
	} {
		for from, msg := range tt.msgs {
			t.Run(tt.name+"/from "+from, func(t *testing.T) {
				c, err := kms.New(kumoRing(t, tt.kind, tt.region, tt.keyID, tt.filter))
				require.NoError(t, err)
				got, kerr := c.Decrypt(ctx, msg, ec)
				if tt.ok {
					require.NoError(t, kerr, "kumo")
					assert.Equal(t, pt, got, "kumo")
					assert.Equal(t, pt, nodeScript(t, "mrk.js", jsCfg("decrypt", tt.kind, tt.region, tt.keyID, tt.filter), msg), "JS")
					return
				}
				require.ErrorIs(t, kerr, kms.ErrNoDataKey, "kumo")
				assert.False(t, nodeSucceeds(t, "mrk.js", jsCfg("decrypt", tt.kind, tt.region, tt.keyID, tt.filter), msg), "JS decrypted what kumo refused")
			})
		}
	}
}

// TestNodeMRKStrictMultiKeyring: the JavaScript SDK's strict MRK
// multi-keyring and kumo's write messages under a multi-Region key and a
// single-Region key of another Region that the other side reads through
// the replica, and both refuse two identifiers of one multi-Region key.
func TestNodeMRKStrictMultiKeyring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60e9)
	defer cancel()
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	single := regions.Fake("eu-west-1").CreateKey()
	srv := httptest.NewServer(regions)
	defer srv.Close()
	endpoints := map[string]string{"us-east-1": srv.URL, "us-west-2": srv.URL, "eu-west-1": srv.URL}
	supplier := func(region string) (kms.KMSAPI, error) { return regions.Fake(region), nil }
	pt := []byte("two keys, three Regions")
	cfg := func(op, gen string, ids ...string) map[string]any {
		return map[string]any{"op": op, "keyring": "mrk-strict-multi", "keyId": gen, "keyIds": ids, "endpoints": endpoints}
	}

	enc, err := kms.NewKMSMRKMultiKeyring(supplier, arns[0], single)
	require.NoError(t, err)
	c, err := kms.New(enc)
	require.NoError(t, err)
	kumoMsg, err := c.Encrypt(ctx, pt, nil)
	require.NoError(t, err)
	jsMsg := nodeScript(t, "mrk.js", cfg("encrypt", arns[0], single), pt)
	for _, msg := range [][]byte{kumoMsg, jsMsg} {
		h, err := kms.ParseHeader(bytes.NewReader(msg))
		require.NoError(t, err)
		require.Len(t, h.EncryptedDataKeys, 2)
		assert.Equal(t, []string{arns[0], single}, []string{string(h.EncryptedDataKeys[0].ProviderInfo), string(h.EncryptedDataKeys[1].ProviderInfo)})

		// Read through the replica alone, and through the single-Region key alone.
		for _, id := range []string{arns[1], single} {
			dec, err := kms.NewKMSMRKMultiKeyring(supplier, "", id)
			require.NoError(t, err)
			dc, err := kms.New(dec)
			require.NoError(t, err)
			got, err := dc.Decrypt(ctx, msg, nil)
			require.NoError(t, err, id)
			assert.Equal(t, pt, got)
			assert.Equal(t, pt, nodeScript(t, "mrk.js", map[string]any{"op": "decrypt", "keyring": "mrk-strict-multi", "keyIds": []string{id}, "endpoints": endpoints}, msg), id)
		}
	}

	_, err = kms.NewKMSMRKMultiKeyring(supplier, arns[0], arns[1])
	require.Error(t, err, "kumo")
	assert.False(t, nodeSucceeds(t, "mrk.js", cfg("encrypt", arns[0], arns[1]), pt), "JS accepted one multi-Region key twice")
}

// TestNodeKMSKeyringsRefuseNonARNProviderInfo: a message with an aws-kms
// data key whose provider info is not a key ARN (beside one that decrypts)
// is refused by the JavaScript SDK's MRK-aware keyrings ("Unexpected EDK
// ProviderInfo for AWS KMS EDK", the specification's "MUST fail"), and so
// by kumo's, which used to skip that data key and decrypt the message.
func TestNodeKMSKeyringsRefuseNonARNProviderInfo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60e9)
	defer cancel()
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	srv := httptest.NewServer(regions)
	defer srv.Close()
	endpoints := map[string]string{"us-east-1": srv.URL, "us-west-2": srv.URL}
	east, err := kms.NewKMSMRKKeyring(regions.Fake("us-east-1"), arns[0])
	require.NoError(t, err)
	strict, err := kms.NewKMSMRKKeyring(regions.Fake("us-west-2"), arns[1])
	require.NoError(t, err)
	discovery, err := kms.NewKMSMRKDiscoveryKeyring(regions.Fake("us-west-2"), "us-west-2", nil)
	require.NoError(t, err)
	kumo := map[string]kms.Keyring{"mrk": strict, "mrk-discovery": discovery}

	for _, info := range []string{"", "alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app", "not an ARN"} {
		enc := kms.Keyring(east)
		if info != "" {
			enc, err = kms.NewMultiKeyring(east, providerInfoKeyring(info))
			require.NoError(t, err)
		}
		c, err := kms.New(enc)
		require.NoError(t, err)
		msg, err := c.Encrypt(ctx, []byte("pt"), nil)
		require.NoError(t, err)
		for kind, k := range kumo {
			t.Run(fmt.Sprintf("%s/%q", kind, info), func(t *testing.T) {
				c, err := kms.New(k)
				require.NoError(t, err)
				_, kerr := c.Decrypt(ctx, msg, nil)
				js := nodeSucceeds(t, "mrk.js", map[string]any{"op": "decrypt", "keyring": kind, "keyId": arns[1], "region": "us-west-2", "endpoints": endpoints}, msg)
				if info == "" {
					require.NoError(t, kerr, "kumo")
					assert.True(t, js, "JS")
					return
				}
				require.ErrorIs(t, kerr, kms.ErrMalformed, "kumo")
				assert.False(t, js, "JS decrypted what kumo refused")
			})
		}
	}
}

// providerInfoKeyring adds an aws-kms data key whose provider info is
// info, which no KMS keyring writes.
type providerInfoKeyring string

func (p providerInfoKeyring) OnEncrypt(_ context.Context, m *kms.EncryptionMaterials) error {
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, kms.EncryptedDataKey{ProviderID: "aws-kms", ProviderInfo: []byte(p), Ciphertext: []byte("junk")})
	return nil
}

func (providerInfoKeyring) OnDecrypt(context.Context, *kms.DecryptionMaterials, []kms.EncryptedDataKey) error {
	return errors.New("providerInfoKeyring cannot decrypt")
}
