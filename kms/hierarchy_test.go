package kms_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// countingDDB and countingKMS count the calls a key store makes.
type countingDDB struct {
	*dynamodb.Client
	gets atomic.Int64
}

func (c *countingDDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, fns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.Client.GetItem(ctx, in, fns...)
}

type countingKMS struct {
	*awskms.Client
	decrypts atomic.Int64
}

func (c *countingKMS) Decrypt(ctx context.Context, in *awskms.DecryptInput, fns ...func(*awskms.Options)) (*awskms.DecryptOutput, error) {
	c.decrypts.Add(1)
	return c.Client.Decrypt(ctx, in, fns...)
}

type keyStoreEnv struct {
	ddb    *countingDDB
	kms    *countingKMS
	table  string
	kmsARN string
	store  *kms.BranchKeyStore
}

// newKeyStoreEnv makes a key store table and a KMS key in moto.
func newKeyStoreEnv(t *testing.T) *keyStoreEnv {
	t.Helper()
	cfg := moto.Config(t)
	e := &keyStoreEnv{ddb: &countingDDB{Client: dynamodb.NewFromConfig(cfg)}, kms: &countingKMS{Client: awskms.NewFromConfig(cfg)}}
	key, err := e.kms.CreateKey(ctx, &awskms.CreateKeyInput{})
	require.NoError(t, err)
	e.kmsARN = aws.ToString(key.KeyMetadata.Arn)
	e.table = moto.UniqueName("keystore")
	_, err = e.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(e.table),
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("branch-key-id"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("type"), KeyType: ddbtypes.KeyTypeRange},
		},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("branch-key-id"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("type"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	e.store, err = kms.NewBranchKeyStore(e.ddb, e.kms, e.table, "kumo-test-store", e.kmsARN)
	require.NoError(t, err)
	return e
}

func (e *keyStoreEnv) item(t *testing.T, id, typ string) map[string]ddbtypes.AttributeValue {
	t.Helper()
	out, err := e.ddb.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(e.table), Key: map[string]ddbtypes.AttributeValue{
		"branch-key-id": &ddbtypes.AttributeValueMemberS{Value: id}, "type": &ddbtypes.AttributeValueMemberS{Value: typ}}})
	require.NoError(t, err)
	return out.Item
}

func (e *keyStoreEnv) putItem(t *testing.T, item map[string]ddbtypes.AttributeValue) {
	t.Helper()
	_, err := e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: item})
	require.NoError(t, err)
}

func s(av ddbtypes.AttributeValue) string { return av.(*ddbtypes.AttributeValueMemberS).Value }

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestHierarchicalKeyringRoundTrip(t *testing.T) {
	e := newKeyStoreEnv(t)
	id, err := e.store.CreateBranchKey(ctx, "", nil)
	require.NoError(t, err)
	assert.Regexp(t, uuidRE, id, "a new branch key ID is a version 4 UUID")

	// The three items of the official schema.
	active, beacon := e.item(t, id, "branch:ACTIVE"), e.item(t, id, "beacon:ACTIVE")
	require.NotEmpty(t, active)
	require.NotEmpty(t, beacon)
	version := s(active["version"])
	decryptOnly := e.item(t, id, version)
	require.NotEmpty(t, decryptOnly)
	assert.Regexp(t, uuidRE, version[len("branch:version:"):])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, s(active["create-time"]))
	assert.Equal(t, &ddbtypes.AttributeValueMemberN{Value: "1"}, active["hierarchy-version"])
	assert.Equal(t, e.kmsARN, s(active["kms-arn"]))
	assert.NotContains(t, active, "tablename", "the logical name is bound in the KMS context, not stored")

	ring, err := kms.NewHierarchicalKeyring(e.store, id)
	require.NoError(t, err)
	ec := map[string]string{"tenant": "acme"}
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		c := newClient(t, ring, func(o *kms.Options) { o.Suite = suite })
		msg, err := c.Encrypt(ctx, []byte("branch keys"), ec)
		require.NoError(t, err)
		h, err := kms.ParseHeader(bytes.NewReader(msg))
		require.NoError(t, err)
		require.Len(t, h.EncryptedDataKeys, 1)
		edk := h.EncryptedDataKeys[0]
		assert.Equal(t, "aws-kms-hierarchy", edk.ProviderID)
		assert.Equal(t, id, string(edk.ProviderInfo))
		require.Len(t, edk.Ciphertext, 16+12+16+32+16)
		assert.Equal(t, version[len("branch:version:"):], uuidString(edk.Ciphertext[28:44]))
		got, err := c.Decrypt(ctx, msg, ec)
		require.NoError(t, err)
		assert.Equal(t, "branch keys", string(got))
		_, err = c.Decrypt(ctx, msg, map[string]string{"not": "stored"})
		require.ErrorIs(t, err, kms.ErrNoDataKey, "the wrap is bound to the whole context")
	}
}

func uuidString(b []byte) string {
	const hex = "0123456789abcdef"
	var out []byte
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}

// Branch keys are cached for CacheTTL: KMS and DynamoDB are called once per
// branch key version, not once per message, and again once the entry
// expires; the cache holds at most CacheCapacity versions.
func TestHierarchicalKeyringCache(t *testing.T) {
	e := newKeyStoreEnv(t)
	idA, err := e.store.CreateBranchKey(ctx, "tenant-a", map[string]string{"tenant": "a"})
	require.NoError(t, err)
	idB, err := e.store.CreateBranchKey(ctx, "tenant-b", map[string]string{"tenant": "b"})
	require.NoError(t, err)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	calls := func() [2]int64 { return [2]int64{e.ddb.gets.Load(), e.kms.decrypts.Load()} }

	ring, err := kms.NewHierarchicalKeyring(e.store, idA, func(o *kms.HierarchicalKeyringOptions) { o.Clock, o.CacheTTL = clock, time.Minute })
	require.NoError(t, err)
	c := newClient(t, ring)
	start := calls()
	var msgs [][]byte
	for range 5 {
		msg, err := c.Encrypt(ctx, []byte("x"), nil)
		require.NoError(t, err)
		msgs = append(msgs, msg)
	}
	assert.Equal(t, [2]int64{start[0] + 1, start[1] + 1}, calls(), "one read of the active version for five messages")
	for _, m := range msgs {
		_, err := c.Decrypt(ctx, m, nil)
		require.NoError(t, err)
	}
	assert.Equal(t, [2]int64{start[0] + 2, start[1] + 2}, calls(), "one read of the version for five decrypts")
	now = now.Add(time.Minute)
	_, err = c.Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	_, err = c.Decrypt(ctx, msgs[0], nil)
	require.NoError(t, err)
	assert.Equal(t, [2]int64{start[0] + 4, start[1] + 4}, calls(), "expired entries are read again")

	// A supplier and a cache of one entry: alternating tenants miss.
	supplier := func(_ context.Context, ec map[string]string) (string, error) {
		switch ec["tenant"] {
		case "a":
			return idA, nil
		case "b":
			return idB, nil
		}
		return "", errors.New("no tenant in the context")
	}
	multi, err := kms.NewHierarchicalKeyring(e.store, "", func(o *kms.HierarchicalKeyringOptions) {
		o.BranchKeyIDSupplier, o.CacheCapacity, o.Clock = supplier, 1, clock
	})
	require.NoError(t, err)
	mc := newClient(t, multi)
	start = calls()
	for _, tenant := range []string{"a", "a", "b", "b", "a"} {
		msg, err := mc.Encrypt(ctx, []byte("x"), map[string]string{"tenant": tenant})
		require.NoError(t, err)
		h, err := kms.ParseHeader(bytes.NewReader(msg))
		require.NoError(t, err)
		assert.Equal(t, "tenant-"+tenant, string(h.EncryptedDataKeys[0].ProviderInfo))
	}
	assert.Equal(t, start[0]+3, calls()[0], "a cache of one entry: three misses")
	_, err = mc.Encrypt(ctx, []byte("x"), map[string]string{"other": "x"})
	require.ErrorContains(t, err, "kms: the branch key ID supplier: no tenant in the context")

	// A message for tenant a, decrypted with a context naming tenant b: the
	// supplier picks b's branch key, which wrapped nothing in it.
	msg, err := mc.Encrypt(ctx, []byte("x"), map[string]string{"tenant": "a"})
	require.NoError(t, err)
	_, err = mc.Decrypt(ctx, msg, map[string]string{"tenant": "b"})
	require.ErrorIs(t, err, kms.ErrEncryptionContext)
	_, err = mc.Decrypt(ctx, msg, map[string]string{"tenant": "a"})
	require.NoError(t, err)
}

// What the key store reads is authenticated by KMS or refused: an altered
// attribute, an item for another KMS key, a missing item, a schema it does
// not know.
func TestBranchKeyStoreRefusesAlteredItems(t *testing.T) {
	e := newKeyStoreEnv(t)
	id, err := e.store.CreateBranchKey(ctx, "bk", map[string]string{"app": "kumo"})
	require.NoError(t, err)
	ring, err := kms.NewHierarchicalKeyring(e.store, id)
	require.NoError(t, err)
	msg, err := newClient(t, ring).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	active := e.item(t, id, "branch:ACTIVE")
	versionType := s(active["version"])
	original := e.item(t, id, versionType)

	other, err := e.kms.CreateKey(ctx, &awskms.CreateKeyInput{})
	require.NoError(t, err)
	for _, tt := range []struct {
		name   string
		change func(map[string]ddbtypes.AttributeValue)
		err    string
	}{
		{"an altered create-time", func(m map[string]ddbtypes.AttributeValue) {
			m["create-time"] = &ddbtypes.AttributeValueMemberS{Value: "2000-01-01T00:00:00.000000Z"}
		}, "with KMS"},
		{"an altered custom context", func(m map[string]ddbtypes.AttributeValue) {
			m["aws-crypto-ec:app"] = &ddbtypes.AttributeValueMemberS{Value: "evil"}
		}, "with KMS"},
		{"an added attribute", func(m map[string]ddbtypes.AttributeValue) {
			m["aws-crypto-ec:extra"] = &ddbtypes.AttributeValueMemberS{Value: "x"}
		}, "with KMS"},
		{"another KMS key", func(m map[string]ddbtypes.AttributeValue) {
			m["kms-arn"] = &ddbtypes.AttributeValueMemberS{Value: aws.ToString(other.KeyMetadata.Arn)}
		}, "this key store uses"},
		{"hierarchy version 2", func(m map[string]ddbtypes.AttributeValue) {
			m["hierarchy-version"] = &ddbtypes.AttributeValueMemberN{Value: "2"}
		}, `hierarchy version "2"`},
		{"hierarchy version as a string", func(m map[string]ddbtypes.AttributeValue) {
			m["hierarchy-version"] = &ddbtypes.AttributeValueMemberS{Value: "1"}
		}, `attribute "hierarchy-version" is a string; the key store schema makes it a number`},
		{"a binary attribute", func(m map[string]ddbtypes.AttributeValue) {
			m["aws-crypto-ec:app"] = &ddbtypes.AttributeValueMemberB{Value: []byte("kumo")}
		}, `attribute "aws-crypto-ec:app" is binary`},
		{"no enc", func(m map[string]ddbtypes.AttributeValue) { delete(m, "enc") }, `no binary "enc"`},
		{"a version attribute", func(m map[string]ddbtypes.AttributeValue) {
			m["version"] = &ddbtypes.AttributeValueMemberS{Value: versionType}
		}, `attribute "version" is missing or out of place`},
		{"a tablename attribute", func(m map[string]ddbtypes.AttributeValue) {
			m["tablename"] = &ddbtypes.AttributeValueMemberS{Value: "kumo-test-store"}
		}, `which the key store reserves`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			item := map[string]ddbtypes.AttributeValue{}
			for k, v := range original {
				item[k] = v
			}
			tt.change(item)
			e.putItem(t, item)
			defer e.putItem(t, original)
			fresh, err := kms.NewHierarchicalKeyring(e.store, id)
			require.NoError(t, err)
			_, err = newClient(t, fresh).Decrypt(ctx, msg, nil)
			require.ErrorIs(t, err, kms.ErrNoDataKey)
			assert.ErrorContains(t, err, tt.err)
		})
	}
	fresh, err := kms.NewHierarchicalKeyring(e.store, id)
	require.NoError(t, err)
	_, err = newClient(t, fresh).Decrypt(ctx, msg, nil)
	require.NoError(t, err, "the original item is back")

	missing, err := kms.NewHierarchicalKeyring(e.store, "no-such-key")
	require.NoError(t, err)
	_, err = newClient(t, missing).Encrypt(ctx, []byte("x"), nil)
	require.ErrorIs(t, err, kms.ErrBranchKeyNotFound)
	require.ErrorIs(t, e.store.VersionBranchKey(ctx, "no-such-key"), kms.ErrBranchKeyNotFound)
}

// Encrypted data keys a hostile message makes up fail cleanly: the wrong
// length, a version the store does not have, a changed byte.
func TestHierarchicalKeyringHostileDataKeys(t *testing.T) {
	e := newKeyStoreEnv(t)
	id, err := e.store.CreateBranchKey(ctx, "", nil)
	require.NoError(t, err)
	ring, err := kms.NewHierarchicalKeyring(e.store, id)
	require.NoError(t, err)
	c := newClient(t, ring)
	msg, err := c.Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	good := h.EncryptedDataKeys[0]
	m := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{}}
	require.NoError(t, ring.OnDecrypt(ctx, m, []kms.EncryptedDataKey{good}))
	require.Len(t, m.PlaintextDataKey, 32)

	edit := func(f func([]byte) []byte) kms.EncryptedDataKey {
		k := good
		k.Ciphertext = f(bytes.Clone(good.Ciphertext))
		return k
	}
	for _, tt := range []struct {
		name string
		edk  kms.EncryptedDataKey
		err  error
		msg  string
	}{
		{"short", edit(func(b []byte) []byte { return b[:50] }), kms.ErrNoDataKey, "encrypted data key 1 is 50 bytes; suite"},
		{"long", edit(func(b []byte) []byte { return append(b, 0) }), kms.ErrNoDataKey, "is 93 bytes"},
		{"empty", edit(func([]byte) []byte { return nil }), kms.ErrNoDataKey, "is 0 bytes"},
		{"unknown version", edit(func(b []byte) []byte { b[30] ^= 1; return b }), kms.ErrBranchKeyNotFound, ""},
		{"salt", edit(func(b []byte) []byte { b[0] ^= 1; return b }), kms.ErrNoDataKey, "does not unwrap"},
		{"tag", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), kms.ErrNoDataKey, "does not unwrap"},
		{"other branch key", kms.EncryptedDataKey{ProviderID: "aws-kms-hierarchy", ProviderInfo: []byte("other"), Ciphertext: good.Ciphertext}, kms.ErrNoDataKey, "no data key wrapped by branch key"},
		{"other provider", kms.EncryptedDataKey{ProviderID: "aws-kms", ProviderInfo: good.ProviderInfo, Ciphertext: good.Ciphertext}, kms.ErrNoDataKey, "no data key wrapped by branch key"},
	} {
		m := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{}}
		err := ring.OnDecrypt(ctx, m, []kms.EncryptedDataKey{tt.edk})
		require.ErrorIs(t, err, tt.err, tt.name)
		assert.ErrorContains(t, err, tt.msg, tt.name)
		assert.Nil(t, m.PlaintextDataKey, tt.name)
	}
	// A bad key first, the good one after: the good one is used.
	m = &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{}}
	require.NoError(t, ring.OnDecrypt(ctx, m, []kms.EncryptedDataKey{edit(func(b []byte) []byte { b[0] ^= 1; return b }), good}))
}

func TestHierarchicalConstructors(t *testing.T) {
	e := newKeyStoreEnv(t)
	for _, tt := range []struct {
		fn  func() error
		err string
	}{
		{func() error { _, err := kms.NewBranchKeyStore(nil, e.kms, "t", "l", e.kmsARN); return err }, "kms: NewBranchKeyStore needs a DynamoDB client and a KMS client"},
		{func() error { _, err := kms.NewBranchKeyStore(e.ddb, e.kms, "", "l", e.kmsARN); return err }, "kms: NewBranchKeyStore needs a table name"},
		{func() error { _, err := kms.NewBranchKeyStore(e.ddb, e.kms, "t", "", e.kmsARN); return err }, "kms: NewBranchKeyStore needs a logical key store name (UTF-8, not empty)"},
		{func() error { _, err := kms.NewBranchKeyStore(e.ddb, e.kms, "t", "l", "alias/x"); return err }, `kms: the key store's KMS key must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not "alias/x"`},
		{func() error { _, err := kms.NewHierarchicalKeyring(nil, "x"); return err }, "kms: NewHierarchicalKeyring needs a branch key store"},
		{func() error { _, err := kms.NewHierarchicalKeyring(e.store, ""); return err }, "kms: NewHierarchicalKeyring needs a branch key ID or Options.BranchKeyIDSupplier"},
		{func() error {
			_, err := kms.NewHierarchicalKeyring(e.store, "x", func(o *kms.HierarchicalKeyringOptions) {
				o.BranchKeyIDSupplier = func(context.Context, map[string]string) (string, error) { return "", nil }
			})
			return err
		}, "kms: NewHierarchicalKeyring takes a branch key ID or Options.BranchKeyIDSupplier, not both"},
		{func() error {
			_, err := kms.NewHierarchicalKeyring(e.store, "x", func(o *kms.HierarchicalKeyringOptions) { o.CacheTTL = -1 })
			return err
		}, "kms: CacheTTL -1ns is negative"},
		{func() error {
			_, err := kms.NewHierarchicalKeyring(e.store, "x", func(o *kms.HierarchicalKeyringOptions) { o.CacheCapacity = -1 })
			return err
		}, "kms: CacheCapacity -1 is negative"},
		{func() error { _, err := e.store.CreateBranchKey(ctx, "chosen", nil); return err }, "kms: CreateBranchKey with a chosen branch key ID needs an encryption context"},
		{func() error {
			_, err := e.store.CreateBranchKey(ctx, "chosen", map[string]string{"aws-crypto-x": "y"})
			return err
		}, `kms: encryption context: key "aws-crypto-x" uses the prefix "aws-crypto-", which the Encryption SDK reserves`},
	} {
		assert.EqualError(t, tt.fn(), tt.err)
	}
}

func TestVersionBranchKey(t *testing.T) {
	e := newKeyStoreEnv(t)
	id, err := e.store.CreateBranchKey(ctx, "rotating", map[string]string{"k": "v"})
	require.NoError(t, err)
	v1 := s(e.item(t, id, "branch:ACTIVE")["version"])
	ring, err := kms.NewHierarchicalKeyring(e.store, id)
	require.NoError(t, err)
	old, err := newClient(t, ring).Encrypt(ctx, []byte("before"), nil)
	require.NoError(t, err)
	require.NoError(t, e.store.VersionBranchKey(ctx, id))
	active := e.item(t, id, "branch:ACTIVE")
	v2 := s(active["version"])
	assert.NotEqual(t, v1, v2)
	assert.Equal(t, "v", s(active["aws-crypto-ec:k"]), "the custom context carries over")
	assert.NotEmpty(t, e.item(t, id, v1), "the old version stays")

	fresh, err := kms.NewHierarchicalKeyring(e.store, id)
	require.NoError(t, err)
	c := newClient(t, fresh)
	msg, err := c.Encrypt(ctx, []byte("after"), nil)
	require.NoError(t, err)
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, v2[len("branch:version:"):], uuidString(h.EncryptedDataKeys[0].Ciphertext[28:44]))
	for want, m := range map[string][]byte{"before": old, "after": msg} {
		got, err := c.Decrypt(ctx, m, nil)
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
}

// The in-memory KeyStoreTable and Fake KMS behave as moto's DynamoDB and
// KMS do for everything the key store does: create, a refused duplicate
// (a cancelled transaction), rotate, read, a missing key.
func TestBranchKeyStoreFakeMatchesMoto(t *testing.T) {
	e := newKeyStoreEnv(t)
	fakeKMS := kmstest.New()
	fakeStore, err := kms.NewBranchKeyStore(kmstest.NewKeyStoreTable(), fakeKMS, "t", "kumo-test-store", fakeKMS.CreateKey())
	require.NoError(t, err)
	for name, store := range map[string]*kms.BranchKeyStore{"moto": e.store, "kmstest": fakeStore} {
		t.Run(name, func(t *testing.T) {
			id, err := store.CreateBranchKey(ctx, "dup", map[string]string{"a": "b"})
			require.NoError(t, err)
			_, err = store.CreateBranchKey(ctx, "dup", map[string]string{"a": "b"})
			var cancelled *ddbtypes.TransactionCanceledException
			require.ErrorAs(t, err, &cancelled)
			var codes []string
			for _, r := range cancelled.CancellationReasons {
				codes = append(codes, aws.ToString(r.Code))
			}
			// A new version item, the existing active and beacon items.
			assert.Equal(t, []string{"None", "ConditionalCheckFailed", "ConditionalCheckFailed"}, codes)

			ring, err := kms.NewHierarchicalKeyring(store, id)
			require.NoError(t, err)
			before, err := newClient(t, ring).Encrypt(ctx, []byte("x"), nil)
			require.NoError(t, err)
			require.NoError(t, store.VersionBranchKey(ctx, id))
			fresh, err := kms.NewHierarchicalKeyring(store, id)
			require.NoError(t, err)
			c := newClient(t, fresh)
			after, err := c.Encrypt(ctx, []byte("y"), nil)
			require.NoError(t, err)
			for _, m := range [][]byte{before, after} {
				_, err := c.Decrypt(ctx, m, nil)
				require.NoError(t, err)
			}
			missing, err := kms.NewHierarchicalKeyring(store, "missing")
			require.NoError(t, err)
			_, err = newClient(t, missing).Encrypt(ctx, []byte("x"), nil)
			require.ErrorIs(t, err, kms.ErrBranchKeyNotFound)
		})
	}
}
