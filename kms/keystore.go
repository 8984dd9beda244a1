package kms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

// DynamoDBAPI is the part of the DynamoDB client a [BranchKeyStore] uses:
// GetItem to read branch keys and TransactWriteItems to create and version
// them. *dynamodb.Client satisfies it.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	TransactWriteItems(ctx context.Context, params *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// BranchKeyStoreKMSAPI is the part of the KMS client a [BranchKeyStore]
// uses: Decrypt to read branch keys; GenerateDataKeyWithoutPlaintext and
// ReEncrypt to create and version them. *kms.Client satisfies it.
type BranchKeyStoreKMSAPI interface {
	Decrypt(ctx context.Context, params *awskms.DecryptInput, optFns ...func(*awskms.Options)) (*awskms.DecryptOutput, error)
	GenerateDataKeyWithoutPlaintext(ctx context.Context, params *awskms.GenerateDataKeyWithoutPlaintextInput, optFns ...func(*awskms.Options)) (*awskms.GenerateDataKeyWithoutPlaintextOutput, error)
	ReEncrypt(ctx context.Context, params *awskms.ReEncryptInput, optFns ...func(*awskms.Options)) (*awskms.ReEncryptOutput, error)
}

// The key store's DynamoDB schema (framework/branch-key-store.md): one item
// per branch key version ("branch:version:<uuid>"), a copy of the active
// one ("branch:ACTIVE", naming it in "version") and a beacon key
// ("beacon:ACTIVE"), all under the branch key ID.
const (
	bksPartitionKey   = "branch-key-id"
	bksSortKey        = "type"
	bksEnc            = "enc"
	bksCreateTime     = "create-time"
	bksHierarchy      = "hierarchy-version"
	bksKMSARN         = "kms-arn"
	bksVersion        = "version"
	bksTable          = "tablename" // in the KMS context only: the logical key store name
	bksCustomPrefix   = "aws-crypto-ec:"
	bksVersionPrefix  = "branch:version:"
	bksActive         = "branch:ACTIVE"
	bksBeaconActive   = "beacon:ACTIVE"
	bksHierarchyValue = "1"
	branchKeyLen      = 32
)

// ErrBranchKeyNotFound is returned when the key store has no item for the
// branch key (or branch key version) asked for.
var ErrBranchKeyNotFound = errors.New("kms: branch key not found")

// BranchKeyStoreOptions configure a [BranchKeyStore]. The zero value of
// each field means its documented default.
type BranchKeyStoreOptions struct {
	// GrantTokens are passed on every KMS call; default none.
	GrantTokens []string
	// Clock stamps the create-time of new branch key versions; default
	// time.Now.
	Clock func() time.Time
	// Rand is the source of new branch key IDs and versions (version 4
	// UUIDs); default crypto/rand.
	Rand io.Reader
}

// BranchKeyStore keeps the branch keys of the [HierarchicalKeyring] in a
// DynamoDB table, in the schema of the official Encryption SDKs' key store
// (framework/branch-key-store.md of the specification): each branch key is
// 32 bytes made by KMS GenerateDataKeyWithoutPlaintext under one KMS key,
// stored wrapped, its KMS encryption context binding every attribute of
// its item and the logical key store name. Tables written by the official
// key stores are read, and the keys it creates are read by them.
//
// The table's partition key is "branch-key-id" and its sort key "type",
// both strings; creating the table is left to the caller (or to the
// official SDKs' CreateKeyStore). The store uses exactly one KMS key, named
// by its ARN; multi-Region and discovery configurations are not supported.
// A BranchKeyStore is safe for concurrent use.
type BranchKeyStore struct {
	ddb         DynamoDBAPI
	kms         BranchKeyStoreKMSAPI
	table       string
	logicalName string
	kmsKeyARN   string
	opts        BranchKeyStoreOptions
}

// NewBranchKeyStore returns a key store on the DynamoDB table, under the
// logical name logicalName (bound into every key's KMS encryption context:
// it must be the name the table's keys were created with, and one name
// must never be given to two tables), with branch keys wrapped by the KMS
// key kmsKeyARN (a key ARN, not an alias or a bare key ID).
func NewBranchKeyStore(ddb DynamoDBAPI, kmsClient BranchKeyStoreKMSAPI, table, logicalName, kmsKeyARN string, optFns ...func(*BranchKeyStoreOptions)) (*BranchKeyStore, error) {
	switch {
	case ddb == nil || kmsClient == nil:
		return nil, errors.New("kms: NewBranchKeyStore needs a DynamoDB client and a KMS client")
	case table == "":
		return nil, errors.New("kms: NewBranchKeyStore needs a table name")
	case logicalName == "" || !utf8.ValidString(logicalName):
		return nil, errors.New("kms: NewBranchKeyStore needs a logical key store name (UTF-8, not empty)")
	case !isKeyARN(kmsKeyARN):
		return nil, fmt.Errorf("kms: the key store's KMS key must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not %q", kmsKeyARN)
	}
	o := BranchKeyStoreOptions{}
	opts.Apply(&o, optFns)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	o.GrantTokens = append([]string(nil), o.GrantTokens...)
	return &BranchKeyStore{ddb: ddb, kms: kmsClient, table: table, logicalName: logicalName, kmsKeyARN: kmsKeyARN, opts: o}, nil
}

// branchKey is one decrypted branch key version.
type branchKey struct {
	id      string
	version string   // the UUID string
	vbytes  [16]byte // the UUID's bytes, as hierarchical ciphertexts carry it
	key     []byte
}

// activeBranchKey returns the active version of branch key id.
func (s *BranchKeyStore) activeBranchKey(ctx context.Context, id string) (*branchKey, error) {
	return s.get(ctx, id, bksActive)
}

// branchKeyVersion returns version (a UUID string) of branch key id.
func (s *BranchKeyStore) branchKeyVersion(ctx context.Context, id, version string) (*branchKey, error) {
	return s.get(ctx, id, bksVersionPrefix+version)
}

// get reads the item (id, typ), has KMS decrypt its key under the context
// built from every other attribute, and checks what it says.
func (s *BranchKeyStore) get(ctx context.Context, id, typ string) (*branchKey, error) {
	if id == "" {
		return nil, errors.New("kms: a branch key ID must not be empty")
	}
	out, err := s.ddb.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]ddbtypes.AttributeValue{bksPartitionKey: &ddbtypes.AttributeValueMemberS{Value: id}, bksSortKey: &ddbtypes.AttributeValueMemberS{Value: typ}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("kms: reading branch key %q (%s) from table %s: %w", id, typ, s.table, err)
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("%w: %q (%s) in table %s", ErrBranchKeyNotFound, id, typ, s.table)
	}
	ec, enc, err := s.itemContext(out.Item)
	if err != nil {
		return nil, fmt.Errorf("kms: branch key %q (%s): %w", id, typ, err)
	}
	if ec[bksPartitionKey] != id || ec[bksSortKey] != typ {
		return nil, fmt.Errorf("kms: the key store answered for branch key %q (%s) with an item for %q (%s)", id, typ, ec[bksPartitionKey], ec[bksSortKey])
	}
	if ec[bksKMSARN] != s.kmsKeyARN {
		return nil, fmt.Errorf("kms: branch key %q is wrapped by KMS key %s; this key store uses %s", id, ec[bksKMSARN], s.kmsKeyARN)
	}
	version := typ
	if typ == bksActive {
		version = ec[bksVersion]
	}
	v, ok := strings.CutPrefix(version, bksVersionPrefix)
	if !ok {
		return nil, fmt.Errorf("kms: branch key %q: its version %q does not start with %q", id, version, bksVersionPrefix)
	}
	vbytes, err := parseUUID(v)
	if err != nil {
		return nil, fmt.Errorf("kms: branch key %q: %w", id, err)
	}
	dec, err := s.kms.Decrypt(ctx, &awskms.DecryptInput{
		KeyId:             aws.String(s.kmsKeyARN),
		CiphertextBlob:    enc,
		EncryptionContext: ec,
		GrantTokens:       s.opts.GrantTokens,
	})
	if err != nil {
		return nil, fmt.Errorf("kms: decrypting branch key %q (%s) with KMS: %w", id, typ, err)
	}
	if aws.ToString(dec.KeyId) != s.kmsKeyARN {
		clear(dec.Plaintext)
		return nil, fmt.Errorf("kms: KMS decrypted branch key %q with key %s, not %s", id, aws.ToString(dec.KeyId), s.kmsKeyARN)
	}
	if len(dec.Plaintext) != branchKeyLen {
		clear(dec.Plaintext)
		return nil, fmt.Errorf("kms: branch key %q is %d bytes; branch keys are %d", id, len(dec.Plaintext), branchKeyLen)
	}
	return &branchKey{id: id, version: v, vbytes: vbytes, key: dec.Plaintext}, nil
}

// itemContext builds the KMS encryption context of a key store item: every
// attribute but enc, which must be a string (or the number
// hierarchy-version), and the logical key store name; it checks the fields
// the record format requires.
func (s *BranchKeyStore) itemContext(item map[string]ddbtypes.AttributeValue) (map[string]string, []byte, error) {
	ec := make(map[string]string, len(item)+1)
	var enc []byte
	for name, av := range item {
		switch v := av.(type) {
		case *ddbtypes.AttributeValueMemberB:
			if name != bksEnc {
				return nil, nil, fmt.Errorf("attribute %q is binary; only %q may be", name, bksEnc)
			}
			enc = v.Value
		case *ddbtypes.AttributeValueMemberS:
			if name == bksHierarchy {
				return nil, nil, fmt.Errorf("attribute %q is a string; the key store schema makes it a number", name)
			}
			ec[name] = v.Value
		case *ddbtypes.AttributeValueMemberN:
			if name != bksHierarchy {
				return nil, nil, fmt.Errorf("attribute %q is a number; only %q may be", name, bksHierarchy)
			}
			ec[name] = v.Value
		default:
			return nil, nil, fmt.Errorf("attribute %q has a type the key store schema does not use", name)
		}
	}
	if _, ok := ec[bksTable]; ok {
		return nil, nil, fmt.Errorf("the item has an attribute %q, which the key store reserves", bksTable)
	}
	ec[bksTable] = s.logicalName
	if enc == nil {
		return nil, nil, fmt.Errorf("the item has no binary %q", bksEnc)
	}
	for _, f := range []string{bksPartitionKey, bksSortKey, bksCreateTime, bksKMSARN, bksHierarchy} {
		if ec[f] == "" {
			return nil, nil, fmt.Errorf("the item has no %q", f)
		}
	}
	if ec[bksHierarchy] != bksHierarchyValue {
		return nil, nil, fmt.Errorf("hierarchy version %q; this reads version %s", ec[bksHierarchy], bksHierarchyValue)
	}
	if _, ok := ec[bksVersion]; ok != (ec[bksSortKey] == bksActive) {
		return nil, nil, fmt.Errorf("attribute %q is missing or out of place", bksVersion)
	}
	return ec, enc, nil
}

// CreateBranchKey creates a branch key, its first version and its beacon
// key, as the official key stores do, and returns its ID: id when given,
// else a new version 4 UUID. ec is custom encryption context bound to
// every version of the key (stored with each as "aws-crypto-ec:" + key);
// giving an id requires a non-empty ec, as the specification says, so that
// a chosen ID is bound to something of the caller's. It fails if the ID
// exists.
func (s *BranchKeyStore) CreateBranchKey(ctx context.Context, id string, ec map[string]string) (string, error) {
	if id != "" && len(ec) == 0 {
		return "", errors.New("kms: CreateBranchKey with a chosen branch key ID needs an encryption context")
	}
	if err := checkContext(ec); err != nil {
		return "", err
	}
	if id == "" {
		u, err := newUUID(s.opts.Rand)
		if err != nil {
			return "", err
		}
		id = u
	}
	if !utf8.ValidString(id) {
		return "", errors.New("kms: a branch key ID must be UTF-8")
	}
	custom := make(map[string]string, len(ec))
	for k, v := range ec {
		custom[bksCustomPrefix+k] = v
	}
	cond := "attribute_not_exists(#bkid)"
	items, err := s.newVersion(ctx, id, custom, cond, nil)
	if err != nil {
		return "", err
	}
	created := items[0].Put.Item[bksCreateTime].(*ddbtypes.AttributeValueMemberS).Value
	beaconEC := s.context(id, bksBeaconActive, created, custom)
	beacon, err := s.kms.GenerateDataKeyWithoutPlaintext(ctx, &awskms.GenerateDataKeyWithoutPlaintextInput{
		KeyId: aws.String(s.kmsKeyARN), NumberOfBytes: aws.Int32(branchKeyLen), EncryptionContext: beaconEC, GrantTokens: s.opts.GrantTokens,
	})
	if err != nil {
		return "", fmt.Errorf("kms: creating the beacon key of %q with KMS: %w", id, err)
	}
	if len(beacon.CiphertextBlob) == 0 {
		return "", fmt.Errorf("kms: creating the beacon key of %q: KMS GenerateDataKeyWithoutPlaintext answered with no ciphertext blob", id)
	}
	items = append(items, s.put(beaconEC, beacon.CiphertextBlob, cond, nil))
	if _, err := s.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return "", fmt.Errorf("kms: writing branch key %q to table %s: %w", id, s.table, err)
	}
	return id, nil
}

// VersionBranchKey makes a new active version of branch key id (rotation).
// Messages under earlier versions still decrypt: their items stay. It
// fails if the active version changed since it was read (a concurrent
// VersionBranchKey).
func (s *BranchKeyStore) VersionBranchKey(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("kms: a branch key ID must not be empty")
	}
	out, err := s.ddb.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]ddbtypes.AttributeValue{bksPartitionKey: &ddbtypes.AttributeValueMemberS{Value: id}, bksSortKey: &ddbtypes.AttributeValueMemberS{Value: bksActive}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("kms: reading branch key %q from table %s: %w", id, s.table, err)
	}
	if len(out.Item) == 0 {
		return fmt.Errorf("%w: %q (%s) in table %s", ErrBranchKeyNotFound, id, bksActive, s.table)
	}
	ec, oldEnc, err := s.itemContext(out.Item)
	if err != nil {
		return fmt.Errorf("kms: branch key %q: %w", id, err)
	}
	if ec[bksKMSARN] != s.kmsKeyARN {
		return fmt.Errorf("kms: branch key %q is wrapped by KMS key %s; this key store uses %s", id, ec[bksKMSARN], s.kmsKeyARN)
	}
	// The active item is authenticated before it is replaced: KMS
	// re-encrypts it under its own context, or refuses.
	if _, err := s.kms.ReEncrypt(ctx, &awskms.ReEncryptInput{
		CiphertextBlob: oldEnc, SourceKeyId: aws.String(s.kmsKeyARN), SourceEncryptionContext: ec,
		DestinationKeyId: aws.String(s.kmsKeyARN), DestinationEncryptionContext: ec, GrantTokens: s.opts.GrantTokens,
	}); err != nil {
		return fmt.Errorf("kms: authenticating the active item of branch key %q with KMS: %w", id, err)
	}
	custom := map[string]string{}
	for k, v := range ec {
		if strings.HasPrefix(k, bksCustomPrefix) {
			custom[k] = v
		}
	}
	items, err := s.newVersion(ctx, id, custom, "attribute_exists(#bkid) AND #enc = :encOld", oldEnc)
	if err != nil {
		return err
	}
	if _, err := s.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return fmt.Errorf("kms: writing a new version of branch key %q to table %s: %w", id, s.table, err)
	}
	return nil
}

// newVersion makes a branch key version with KMS and returns the puts of
// its DECRYPT_ONLY item (which must not exist) and of the ACTIVE item (on
// activeCond, with :encOld bound to oldEnc when set).
func (s *BranchKeyStore) newVersion(ctx context.Context, id string, custom map[string]string, activeCond string, oldEnc []byte) ([]ddbtypes.TransactWriteItem, error) {
	version, err := newUUID(s.opts.Rand)
	if err != nil {
		return nil, err
	}
	created := s.opts.Clock().UTC().Format("2006-01-02T15:04:05.000000Z")
	decryptOnly := s.context(id, bksVersionPrefix+version, created, custom)
	gen, err := s.kms.GenerateDataKeyWithoutPlaintext(ctx, &awskms.GenerateDataKeyWithoutPlaintextInput{
		KeyId: aws.String(s.kmsKeyARN), NumberOfBytes: aws.Int32(branchKeyLen), EncryptionContext: decryptOnly, GrantTokens: s.opts.GrantTokens,
	})
	if err != nil {
		return nil, fmt.Errorf("kms: creating a version of branch key %q with KMS: %w", id, err)
	}
	if len(gen.CiphertextBlob) == 0 {
		return nil, fmt.Errorf("kms: creating a version of branch key %q: KMS GenerateDataKeyWithoutPlaintext answered with no ciphertext blob", id)
	}
	active := s.context(id, bksActive, created, custom)
	active[bksVersion] = bksVersionPrefix + version
	re, err := s.kms.ReEncrypt(ctx, &awskms.ReEncryptInput{
		CiphertextBlob: gen.CiphertextBlob, SourceKeyId: aws.String(s.kmsKeyARN), SourceEncryptionContext: decryptOnly,
		DestinationKeyId: aws.String(s.kmsKeyARN), DestinationEncryptionContext: active, GrantTokens: s.opts.GrantTokens,
	})
	if err != nil {
		return nil, fmt.Errorf("kms: making the active copy of branch key %q with KMS: %w", id, err)
	}
	if len(re.CiphertextBlob) == 0 {
		return nil, fmt.Errorf("kms: making the active copy of branch key %q: KMS ReEncrypt answered with no ciphertext blob", id)
	}
	return []ddbtypes.TransactWriteItem{
		s.put(decryptOnly, gen.CiphertextBlob, "attribute_not_exists(#bkid)", nil),
		s.put(active, re.CiphertextBlob, activeCond, oldEnc),
	}, nil
}

// context is the KMS encryption context of a new item.
func (s *BranchKeyStore) context(id, typ, created string, custom map[string]string) map[string]string {
	ec := maps.Clone(custom)
	ec[bksPartitionKey] = id
	ec[bksSortKey] = typ
	ec[bksCreateTime] = created
	ec[bksTable] = s.logicalName
	ec[bksKMSARN] = s.kmsKeyARN
	ec[bksHierarchy] = bksHierarchyValue
	return ec
}

// put is the conditional put of the item whose KMS context is ec.
func (s *BranchKeyStore) put(ec map[string]string, enc []byte, cond string, oldEnc []byte) ddbtypes.TransactWriteItem {
	item := make(map[string]ddbtypes.AttributeValue, len(ec)+1)
	for k, v := range ec {
		switch k {
		case bksTable:
		case bksHierarchy:
			item[k] = &ddbtypes.AttributeValueMemberN{Value: v}
		default:
			item[k] = &ddbtypes.AttributeValueMemberS{Value: v}
		}
	}
	item[bksEnc] = &ddbtypes.AttributeValueMemberB{Value: enc}
	p := &ddbtypes.Put{TableName: aws.String(s.table), Item: item, ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#bkid": bksPartitionKey}}
	if oldEnc != nil {
		p.ExpressionAttributeNames["#enc"] = bksEnc
		p.ExpressionAttributeValues = map[string]ddbtypes.AttributeValue{":encOld": &ddbtypes.AttributeValueMemberB{Value: oldEnc}}
	}
	return ddbtypes.TransactWriteItem{Put: p}
}

// newUUID returns a version 4 UUID from r.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("kms: generating a UUID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b), nil
}

func formatUUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// parseUUID reads the 36-character form of a UUID, refusing any other.
func parseUUID(s string) ([16]byte, error) {
	var b [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, fmt.Errorf("branch key version %q is not a UUID", s)
	}
	h := s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(b[:], []byte(h)); err != nil {
		return b, fmt.Errorf("branch key version %q is not a UUID", s)
	}
	if formatUUID(b) != s { // lower case only: the form every key store writes and reads
		return b, fmt.Errorf("branch key version %q is not a UUID", s)
	}
	return b, nil
}

// String names the table, the logical name and the KMS key, never the
// clients (whose credentials it would reach).
func (s BranchKeyStore) String() string {
	return redact.Describe("BranchKeyStore", "table", s.table, "logicalName", s.logicalName, "kmsKey", s.kmsKeyARN,
		"grantTokens", len(s.opts.GrantTokens))
}

// GoString is String qualified by the package, for %#v.
func (s BranchKeyStore) GoString() string { return redact.GoString(s) }

// Format prints String under every verb.
func (s BranchKeyStore) Format(f fmt.State, verb rune) { redact.Format(f, verb, s) }

// LogValue logs String.
func (s BranchKeyStore) LogValue() slog.Value { return redact.LogValue(s) }
