package kms_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// Both the SDK's client and the fake satisfy KMSAPI, GetPublicKey included.
var (
	_ kms.KMSAPI = (*awskms.Client)(nil)
	_ kms.KMSAPI = (*kmstest.Fake)(nil)
)

// decryptKeys returns the KeyId of every Decrypt f was called with.
func decryptKeys(f *kmstest.Fake) []string {
	var keys []string
	for _, in := range f.Log("Decrypt") {
		keys = append(keys, aws.ToString(in.(*awskms.DecryptInput).KeyId))
	}
	return keys
}

func supplier(r *kmstest.Regions) kms.ClientSupplier {
	return func(region string) (kms.KMSAPI, error) {
		if region == "" {
			region = "us-east-1"
		}
		return r.Fake(region), nil
	}
}

// TestMRKFailover is the failover story end to end: a message encrypted
// under a multi-Region key in us-east-1 decrypts in us-west-2 with the
// replica, with the strict MRK keyring, the MRK discovery keyring and the
// discovery multi-keyring, while us-east-1 is down; the exact-match KMS
// keyring cannot.
func TestMRKFailover(t *testing.T) {
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	east, west := regions.Fake("us-east-1"), regions.Fake("us-west-2")
	require.Equal(t, strings.Replace(arns[0], "us-east-1", "us-west-2", 1), arns[1])
	require.True(t, strings.Contains(arns[0], ":key/mrk-"), arns[0])

	enc, err := kms.NewKMSMRKKeyring(east, arns[0])
	require.NoError(t, err)
	ec := map[string]string{"tenant": "acme"}
	msg, err := newClient(t, enc).Encrypt(ctx, []byte("failover"), ec)
	require.NoError(t, err)
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	require.Len(t, h.EncryptedDataKeys, 1)
	assert.Equal(t, arns[0], string(h.EncryptedDataKeys[0].ProviderInfo))

	// us-east-1 is down.
	require.NoError(t, east.SetKeyState(arns[0], types.KeyStateDisabled))
	_, err = newClient(t, enc).Decrypt(ctx, msg, ec)
	var disabled smithy.APIError
	require.ErrorAs(t, err, &disabled)
	assert.Equal(t, "DisabledException", disabled.ErrorCode())

	strictWest, err := kms.NewKMSMRKKeyring(west, arns[1])
	require.NoError(t, err)
	discoveryWest, err := kms.NewKMSMRKDiscoveryKeyring(west, "us-west-2", &kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"123456789012"}})
	require.NoError(t, err)
	multi, err := kms.NewKMSMRKDiscoveryMultiKeyring(supplier(regions), []string{"eu-west-1", "us-west-2"}, nil)
	require.NoError(t, err)
	for name, k := range map[string]kms.Keyring{"strict": strictWest, "discovery": discoveryWest, "discovery multi": multi} {
		t.Run(name, func(t *testing.T) {
			before := west.Calls("Decrypt")
			pt, err := newClient(t, k).Decrypt(ctx, msg, ec)
			require.NoError(t, err)
			assert.Equal(t, "failover", string(pt))
			assert.Equal(t, before+1, west.Calls("Decrypt"), "one Decrypt, in us-west-2")
		})
	}
	assert.Equal(t, 1, regions.Fake("eu-west-1").Calls("Decrypt"), "eu-west-1 holds no replica; its discovery keyring asks (it cannot know) and the multi-keyring goes on")

	// The exact-match keyring of the replica does not accept the message.
	exact, err := kms.NewKMSKeyring(west, arns[1])
	require.NoError(t, err)
	_, err = newClient(t, exact).Decrypt(ctx, msg, ec)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	assert.Contains(t, err.Error(), "no encrypted data key is for it")
}

// TestMRKDecryptCallsTheConfiguredKey checks the requests the spec
// prescribes: the strict keyring sends its own identifier, the discovery
// keyring the stored ARN with the Region replaced by its client's.
func TestMRKDecryptCallsTheConfiguredKey(t *testing.T) {
	regions := kmstest.NewRegions()
	fakes := map[string]*kmstest.Fake{"us-east-1": regions.Fake("us-east-1")}
	// A Fake made apart from regions holds a replica too.
	hooked := kmstest.New(func(o *kmstest.Options) { o.Region = "eu-west-1" })
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	euARN, err := fakes["us-east-1"].AddReplica(arns[0], hooked)
	require.NoError(t, err)

	enc, err := kms.NewKMSMRKKeyring(fakes["us-east-1"], arns[0])
	require.NoError(t, err)
	msg, err := newClient(t, enc).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)

	strict, err := kms.NewKMSMRKKeyring(hooked, euARN)
	require.NoError(t, err)
	_, err = newClient(t, strict).Decrypt(ctx, msg, nil)
	require.NoError(t, err)
	disc, err := kms.NewKMSMRKDiscoveryKeyring(hooked, "eu-west-1", nil)
	require.NoError(t, err)
	_, err = newClient(t, disc).Decrypt(ctx, msg, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{euARN, euARN}, decryptKeys(hooked))
}

// TestMRKDiscoverySingleRegionKeys: a single-Region key is used only by the
// discovery keyring of its own Region; others do not even call KMS.
func TestMRKDiscoverySingleRegionKeys(t *testing.T) {
	regions := kmstest.NewRegions()
	east := regions.Fake("us-east-1")
	single := east.CreateKey()
	enc, err := kms.NewKMSKeyring(east, single)
	require.NoError(t, err)
	msg, err := newClient(t, enc).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)

	inEast, err := kms.NewKMSMRKDiscoveryKeyring(east, "us-east-1", nil)
	require.NoError(t, err)
	_, err = newClient(t, inEast).Decrypt(ctx, msg, nil)
	require.NoError(t, err)

	west := regions.Fake("us-west-2")
	inWest, err := kms.NewKMSMRKDiscoveryKeyring(west, "us-west-2", nil)
	require.NoError(t, err)
	_, err = newClient(t, inWest).Decrypt(ctx, msg, nil)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	assert.Contains(t, err.Error(), "no encrypted data key passes the discovery filter and is a multi-Region key or a key of us-west-2")
	assert.Equal(t, 0, west.Calls("Decrypt"))

	filter := &kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"999999999999"}}
	filtered, err := kms.NewKMSMRKDiscoveryKeyring(east, "us-east-1", filter)
	require.NoError(t, err)
	filter.AccountIDs[0] = "123456789012" // too late: the keyring holds its own copy
	_, err = newClient(t, filtered).Decrypt(ctx, msg, nil)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	assert.Equal(t, 0, east.Calls("Decrypt")-1, "only the unfiltered keyring asked KMS")
}

// TestMRKStrictMultiKeyring: one message under a multi-Region key and a
// single-Region key of another Region, each reached through the supplier's
// client of its Region; two identifiers of one multi-Region key refused.
func TestMRKStrictMultiKeyring(t *testing.T) {
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	other := regions.Fake("eu-west-1").CreateKey()
	var asked []string
	sup := func(region string) (kms.KMSAPI, error) {
		asked = append(asked, region)
		return regions.Fake(region), nil
	}
	ring, err := kms.NewKMSMRKMultiKeyring(sup, arns[0], other)
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1", "eu-west-1"}, asked)
	msg, err := newClient(t, ring).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	require.Len(t, h.EncryptedDataKeys, 2)
	assert.Equal(t, other, string(h.EncryptedDataKeys[1].ProviderInfo))

	west, err := kms.NewKMSMRKMultiKeyring(supplier(regions), "", arns[1])
	require.NoError(t, err)
	_, err = newClient(t, west).Decrypt(ctx, msg, nil)
	require.NoError(t, err)

	_, err = kms.NewKMSMRKMultiKeyring(supplier(regions), arns[0], arns[1])
	assert.EqualError(t, err, "kms: "+arns[0]+", "+arns[1]+" name the same multi-Region key more than once; give each multi-Region key once, in the Region to use")

	// A key ID (not an ARN) goes to the supplier's default Region.
	asked = nil
	id := arns[0][strings.LastIndex(arns[0], "/")+1:]
	_, err = kms.NewKMSMRKMultiKeyring(sup, id)
	require.NoError(t, err)
	assert.Equal(t, []string{""}, asked)
}

func TestMRKConstructorsRefuseBadInput(t *testing.T) {
	fake := kmstest.New()
	sup := func(string) (kms.KMSAPI, error) { return fake, nil }
	failing := func(string) (kms.KMSAPI, error) { return nil, errors.New("no credentials") }
	nilClient := func(string) (kms.KMSAPI, error) { return nil, nil }
	sdk := awskms.New(awskms.Options{Region: "us-east-1"})
	for _, tt := range []struct {
		name string
		fn   func() error
		want string
	}{
		{"strict nil client", func() error { _, err := kms.NewKMSMRKKeyring(nil, specKey); return err }, "kms: the MRK keyring needs a client"},
		{"strict empty key", func() error { _, err := kms.NewKMSMRKKeyring(fake, ""); return err }, `kms: invalid KMS key identifier ""; give a key ARN, a key ID, an alias name (alias/…) or an alias ARN`},
		{"strict bad ARN", func() error { _, err := kms.NewKMSMRKKeyring(fake, "arn:aws:kms:us-east-1::key/x"); return err }, `kms: invalid KMS key identifier "arn:aws:kms:us-east-1::key/x"; give a key ARN, a key ID, an alias name (alias/…) or an alias ARN`},
		{"discovery nil client", func() error { _, err := kms.NewKMSMRKDiscoveryKeyring(nil, "us-east-1", nil); return err }, "kms: the MRK discovery keyring needs a client"},
		{"discovery no region", func() error { _, err := kms.NewKMSMRKDiscoveryKeyring(fake, "", nil); return err }, `kms: the MRK discovery keyring needs the Region of its client, such as "us-west-2"`},
		{"discovery region of the SDK client", func() error { _, err := kms.NewKMSMRKDiscoveryKeyring(sdk, "us-west-2", nil); return err }, "kms: the MRK discovery keyring was given Region us-west-2, but its client is in us-east-1; they must be the same"},
		{"discovery empty filter", func() error {
			_, err := kms.NewKMSMRKDiscoveryKeyring(fake, "us-east-1", &kms.DiscoveryFilter{Partition: "aws"})
			return err
		}, `kms: a discovery filter needs a partition (such as "aws") and at least one account ID, none of them empty`},
		{"discovery empty account", func() error {
			_, err := kms.NewKMSMRKDiscoveryKeyring(fake, "us-east-1", &kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{""}})
			return err
		}, `kms: a discovery filter needs a partition (such as "aws") and at least one account ID, none of them empty`},
		{"multi no supplier", func() error { _, err := kms.NewKMSMRKMultiKeyring(nil, specKey); return err }, "kms: the MRK multi-keyring needs a client supplier (see NewClientSupplier)"},
		{"multi no keys", func() error { _, err := kms.NewKMSMRKMultiKeyring(sup, ""); return err }, "kms: the MRK multi-keyring needs a generator or at least one key ID"},
		{"multi bad child", func() error { _, err := kms.NewKMSMRKMultiKeyring(sup, specKey, "alias/"); return err }, `kms: invalid KMS key identifier "alias/"; give a key ARN, a key ID, an alias name (alias/…) or an alias ARN`},
		{"multi supplier fails", func() error { _, err := kms.NewKMSMRKMultiKeyring(failing, specKey); return err }, `kms: the client supplier failed for Region "us-east-1": no credentials`},
		{"multi supplier nil", func() error { _, err := kms.NewKMSMRKMultiKeyring(nilClient, specKey); return err }, `kms: the client supplier returned no client for Region "us-east-1"`},
		{"discovery multi no regions", func() error { _, err := kms.NewKMSMRKDiscoveryMultiKeyring(sup, nil, nil); return err }, "kms: the MRK discovery multi-keyring needs at least one Region"},
		{"discovery multi empty region", func() error {
			_, err := kms.NewKMSMRKDiscoveryMultiKeyring(sup, []string{"us-east-1", ""}, nil)
			return err
		}, `kms: Region 1 of the MRK discovery multi-keyring is empty; give Region names such as "us-west-2"`},
		{"discovery multi no supplier", func() error {
			_, err := kms.NewKMSMRKDiscoveryMultiKeyring(nil, []string{"us-east-1"}, nil)
			return err
		}, "kms: the MRK discovery multi-keyring needs a client supplier (see NewClientSupplier)"},
	} {
		assert.EqualError(t, tt.fn(), tt.want, tt.name)
	}
}

const specKey = "arn:aws:kms:us-east-1:111122223333:key/mrk-1"

// TestMRKKeyringOnlyMatchesItsKey: the strict keyring configured with a key
// ID (not an ARN) matches no stored ARN, as the specification says, and a
// discovery keyring cannot encrypt.
func TestMRKKeyringEdges(t *testing.T) {
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1")
	require.NoError(t, err)
	east := regions.Fake("us-east-1")
	enc, err := kms.NewKMSMRKKeyring(east, arns[0])
	require.NoError(t, err)
	msg, err := newClient(t, enc).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)

	byID, err := kms.NewKMSMRKKeyring(east, arns[0][strings.LastIndex(arns[0], "/")+1:])
	require.NoError(t, err)
	_, err = newClient(t, byID).Decrypt(ctx, msg, nil)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	assert.Contains(t, err.Error(), "no encrypted data key is for it or a replica of it")
	assert.Equal(t, 0, east.Calls("Decrypt"))

	disc, err := kms.NewKMSMRKDiscoveryKeyring(east, "us-east-1", nil)
	require.NoError(t, err)
	_, err = newClient(t, disc).Encrypt(ctx, []byte("x"), nil)
	assert.EqualError(t, err, "kms: a KMS MRK discovery keyring cannot encrypt; name the keys with NewKMSMRKKeyring")

	// Grant tokens reach KMS.
	hooked := kmstest.New()
	k, err := kms.NewKMSMRKKeyring(hooked, hooked.CreateMultiRegionKey())
	require.NoError(t, err)
	_, err = newClient(t, k.WithGrantTokens("g1")).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	gdk := hooked.Log("GenerateDataKey")
	require.Len(t, gdk, 1)
	assert.Equal(t, []string{"g1"}, gdk[0].(*awskms.GenerateDataKeyInput).GrantTokens)
}

func TestKmstestReplicas(t *testing.T) {
	east := kmstest.New()
	west := kmstest.New(func(o *kmstest.Options) { o.Region = "us-west-2" })
	other := kmstest.New(func(o *kmstest.Options) { o.Region = "us-west-2"; o.AccountID = "222222222222" })
	mrk := east.CreateMultiRegionKey()
	replica, err := east.AddReplica(mrk, west)
	require.NoError(t, err)
	assert.Equal(t, strings.Replace(mrk, "us-east-1", "us-west-2", 1), replica)

	code := func(err error) string {
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		return apiErr.ErrorCode()
	}
	_, err = east.AddReplica(mrk, west)
	assert.Equal(t, "AlreadyExistsException", code(err))
	_, err = east.AddReplica(east.CreateKey(), west)
	assert.Equal(t, "UnsupportedOperationException", code(err))
	_, err = east.AddReplica(mrk, other)
	assert.Equal(t, "ValidationException", code(err))
	_, err = east.AddReplica(mrk, east)
	assert.Equal(t, "ValidationException", code(err))
	_, err = east.AddReplica(mrk, nil)
	assert.Equal(t, "ValidationException", code(err))

	d, err := west.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(replica)})
	require.NoError(t, err)
	assert.True(t, aws.ToBool(d.KeyMetadata.MultiRegion))
	// A replica has its own key state.
	require.NoError(t, west.SetKeyState(replica, types.KeyStateDisabled))
	out, err := east.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(mrk), NumberOfBytes: aws.Int32(32)})
	require.NoError(t, err)
	_, err = west.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: out.CiphertextBlob})
	assert.Equal(t, "DisabledException", code(err))
	// The other Region's ARN is not found in this Region.
	_, err = east.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(replica), CiphertextBlob: out.CiphertextBlob})
	assert.Equal(t, "NotFoundException", code(err))
}

// TestKMSKeyringsRefuseNonARNProviderInfo: an aws-kms data key whose
// provider info is not a KMS key ARN used to be skipped, so a message the
// JavaScript SDK refuses ("Unexpected EDK ProviderInfo for AWS KMS EDK")
// decrypted here through its other data key. The specification's KMS
// keyrings MUST fail instead; they now do, before any KMS call (the
// interop test TestNodeKMSKeyringsRefuseNonARNProviderInfo checks it
// against the JavaScript SDK).
func TestKMSKeyringsRefuseNonARNProviderInfo(t *testing.T) {
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	east, west := regions.Fake("us-east-1"), regions.Fake("us-west-2")
	enc, err := kms.NewKMSMRKKeyring(east, arns[0])
	require.NoError(t, err)
	c, err := kms.New(enc)
	require.NoError(t, err)
	msg, err := c.Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	good := h.EncryptedDataKeys[0]

	strict, err := kms.NewKMSKeyring(east, arns[0])
	require.NoError(t, err)
	discovery, err := kms.NewKMSDiscoveryKeyring(east, nil)
	require.NoError(t, err)
	mrk, err := kms.NewKMSMRKKeyring(west, arns[1])
	require.NoError(t, err)
	mrkDiscovery, err := kms.NewKMSMRKDiscoveryKeyring(west, "us-west-2", nil)
	require.NoError(t, err)
	keyrings := map[string]kms.Keyring{"KMS": strict, "KMS discovery": discovery, "KMS MRK": mrk, "KMS MRK discovery": mrkDiscovery}

	for _, info := range []string{"alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app", strings.TrimPrefix(arns[0], "arn:aws:kms:us-east-1:123456789012:key/"), "arn:aws:kms:us-east-1:123456789012:key/", "", strings.Repeat("x", 65535)} {
		bad := kms.EncryptedDataKey{ProviderID: "aws-kms", ProviderInfo: []byte(info), Ciphertext: []byte("junk")}
		for name, k := range keyrings {
			for order, edks := range map[string][]kms.EncryptedDataKey{"first": {bad, good}, "last": {good, bad}} {
				east.ResetCalls()
				west.ResetCalls()
				m := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{}}
				err := k.OnDecrypt(ctx, m, edks)
				require.ErrorIs(t, err, kms.ErrMalformed, "%s, %.30q %s", name, info, order)
				assert.NotContains(t, err.Error(), "xxxx", "the provider info is not quoted")
				assert.Nil(t, m.PlaintextDataKey, name)
				assert.Zero(t, east.TotalCalls()+west.TotalCalls(), "%s called KMS", name)
			}
		}
	}
	// Without the bad data key each of them decrypts.
	for name, k := range keyrings {
		m := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{}}
		require.NoError(t, k.OnDecrypt(ctx, m, []kms.EncryptedDataKey{good}), name)
	}

	// Through a Client the error is both kinds; a multi-keyring still
	// falls through to a child that decrypts another data key.
	raw := aesKeyring(t)
	withJunk, err := kms.NewMultiKeyring(enc, raw, junkKMSDataKey{})
	require.NoError(t, err)
	c, err = kms.New(withJunk)
	require.NoError(t, err)
	msg, err = c.Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	c, err = kms.New(mrkDiscovery)
	require.NoError(t, err)
	_, err = c.Decrypt(ctx, msg, nil)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	require.ErrorIs(t, err, kms.ErrMalformed)
	multi, err := kms.NewMultiKeyring(nil, mrkDiscovery, raw)
	require.NoError(t, err)
	c, err = kms.New(multi)
	require.NoError(t, err)
	pt, err := c.Decrypt(ctx, msg, nil)
	require.NoError(t, err)
	assert.Equal(t, "x", string(pt))
}

// junkKMSDataKey adds an aws-kms data key naming an alias, which no KMS
// keyring writes.
type junkKMSDataKey struct{}

func (junkKMSDataKey) OnEncrypt(_ context.Context, m *kms.EncryptionMaterials) error {
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, kms.EncryptedDataKey{ProviderID: "aws-kms", ProviderInfo: []byte("alias/app"), Ciphertext: []byte("junk")})
	return nil
}

func (junkKMSDataKey) OnDecrypt(context.Context, *kms.DecryptionMaterials, []kms.EncryptedDataKey) error {
	return errors.New("junkKMSDataKey cannot decrypt")
}
