package kms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// KMSAPI is the part of the AWS KMS client this package calls. *kms.Client
// from github.com/aws/aws-sdk-go-v2/service/kms satisfies it, and so does
// kmstest.Fake.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, params *awskms.GenerateDataKeyInput, optFns ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error)
	Encrypt(ctx context.Context, params *awskms.EncryptInput, optFns ...func(*awskms.Options)) (*awskms.EncryptOutput, error)
	Decrypt(ctx context.Context, params *awskms.DecryptInput, optFns ...func(*awskms.Options)) (*awskms.DecryptOutput, error)
	ReEncrypt(ctx context.Context, params *awskms.ReEncryptInput, optFns ...func(*awskms.Options)) (*awskms.ReEncryptOutput, error)
	DescribeKey(ctx context.Context, params *awskms.DescribeKeyInput, optFns ...func(*awskms.Options)) (*awskms.DescribeKeyOutput, error)
	// GetPublicKey is called by the KMS RSA keyring when it is given no
	// public key.
	GetPublicKey(ctx context.Context, params *awskms.GetPublicKeyInput, optFns ...func(*awskms.Options)) (*awskms.GetPublicKeyOutput, error)
}

// kmsProviderID is the provider ID of data keys wrapped by KMS.
const kmsProviderID = "aws-kms"

// KMSKeyring wraps data keys with AWS KMS keys: the generator makes each
// data key with GenerateDataKey, and every other key adds a copy with
// Encrypt. On decrypt it is strict: it asks KMS only about the keys it was
// configured with, so a message cannot make it use another key.
type KMSKeyring struct {
	client    KMSAPI
	generator string
	keyIDs    []string
	grants    []string

	mu   sync.Mutex
	arns map[string]string // configured ID -> key ARN, from DescribeKey
}

// NewKMSKeyring returns a KMS keyring. generator and keyIDs are key ARNs,
// key IDs, alias names ("alias/app") or alias ARNs; generator may be empty
// for a keyring that only adds copies or only decrypts. For decrypting, IDs
// that are not key ARNs are resolved once with DescribeKey.
func NewKMSKeyring(client KMSAPI, generator string, keyIDs ...string) (*KMSKeyring, error) {
	if client == nil {
		return nil, errors.New("kms: the KMS keyring needs a client")
	}
	if generator == "" && len(keyIDs) == 0 {
		return nil, errors.New("kms: the KMS keyring needs a generator or at least one key ID")
	}
	for _, id := range append([]string{generator}, keyIDs...) {
		if strings.TrimSpace(id) != id || (id == "" && len(keyIDs) == 0) {
			return nil, fmt.Errorf("kms: invalid KMS key ID %q", id)
		}
	}
	return &KMSKeyring{client: client, generator: generator, keyIDs: keyIDs, arns: map[string]string{}}, nil
}

// WithGrantTokens returns a copy of the keyring that sends grant tokens with
// every KMS call.
func (k *KMSKeyring) WithGrantTokens(tokens ...string) *KMSKeyring {
	return &KMSKeyring{client: k.client, generator: k.generator, keyIDs: k.keyIDs, grants: tokens, arns: map[string]string{}}
}

// OnEncrypt implements [Keyring].
func (k *KMSKeyring) OnEncrypt(ctx context.Context, m *EncryptionMaterials) error {
	others := k.keyIDs
	if m.PlaintextDataKey == nil {
		if k.generator == "" {
			return errors.New("kms: this KMS keyring has no generator to make a data key")
		}
		if err := kmsGenerate(ctx, k.client, k.grants, k.generator, m); err != nil {
			return err
		}
	} else if k.generator != "" {
		others = append([]string{k.generator}, others...)
	}
	for _, id := range others {
		if err := kmsEncrypt(ctx, k.client, k.grants, id, m); err != nil {
			return err
		}
	}
	return nil
}

// kmsGenerate makes the data key with GenerateDataKey under keyID and adds
// its encrypted copy, named by the key ARN KMS answers with.
func kmsGenerate(ctx context.Context, client KMSAPI, grants []string, keyID string, m *EncryptionMaterials) error {
	out, err := client.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId:             aws.String(keyID),
		NumberOfBytes:     aws.Int32(int32(m.Suite.KeyLength())),
		EncryptionContext: m.EncryptionContext,
		GrantTokens:       grants,
	})
	if err != nil {
		return fmt.Errorf("kms: GenerateDataKey with %s: %w", keyID, err)
	}
	if len(out.Plaintext) != m.Suite.KeyLength() {
		return fmt.Errorf("kms: GenerateDataKey returned a %d-byte key; suite %v needs %d", len(out.Plaintext), m.Suite, m.Suite.KeyLength())
	}
	keyARN := aws.ToString(out.KeyId)
	if !isKeyARN(keyARN) {
		return fmt.Errorf("kms: GenerateDataKey answered with key %q, which is not a key ARN", keyARN)
	}
	if len(out.CiphertextBlob) == 0 {
		clear(out.Plaintext)
		return fmt.Errorf("kms: GenerateDataKey with %s answered with no ciphertext blob; a message without it could not be decrypted", keyID)
	}
	m.PlaintextDataKey = out.Plaintext
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{ProviderID: kmsProviderID, ProviderInfo: []byte(keyARN), Ciphertext: out.CiphertextBlob})
	return nil
}

// kmsEncrypt adds a copy of the data key encrypted under keyID, named by
// the key ARN KMS answers with.
func kmsEncrypt(ctx context.Context, client KMSAPI, grants []string, keyID string, m *EncryptionMaterials) error {
	out, err := client.Encrypt(ctx, &awskms.EncryptInput{
		KeyId:             aws.String(keyID),
		Plaintext:         m.PlaintextDataKey,
		EncryptionContext: m.EncryptionContext,
		GrantTokens:       grants,
	})
	if err != nil {
		return fmt.Errorf("kms: Encrypt with %s: %w", keyID, err)
	}
	keyARN := aws.ToString(out.KeyId)
	if !isKeyARN(keyARN) {
		return fmt.Errorf("kms: Encrypt answered with key %q, which is not a key ARN", keyARN)
	}
	if len(out.CiphertextBlob) == 0 {
		return fmt.Errorf("kms: Encrypt with %s answered with no ciphertext blob; a copy without it could not be decrypted", keyID)
	}
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{ProviderID: kmsProviderID, ProviderInfo: []byte(keyARN), Ciphertext: out.CiphertextBlob})
	return nil
}

// resolve returns the key ARN of a configured key ID: itself when it is
// one, else what DescribeKey says, asked once.
func (k *KMSKeyring) resolve(ctx context.Context, id string) (string, error) {
	if isKeyARN(id) {
		return id, nil
	}
	k.mu.Lock()
	a, ok := k.arns[id]
	k.mu.Unlock()
	if ok {
		return a, nil
	}
	d, err := k.client.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(id), GrantTokens: k.grants})
	if err != nil {
		return "", fmt.Errorf("DescribeKey: %w", err)
	}
	if d.KeyMetadata == nil || !isKeyARN(aws.ToString(d.KeyMetadata.Arn)) {
		return "", errors.New("DescribeKey returned no key ARN")
	}
	a = aws.ToString(d.KeyMetadata.Arn)
	k.mu.Lock()
	k.arns[id] = a
	k.mu.Unlock()
	return a, nil
}

// OnDecrypt implements [Keyring]. Each configured key is tried in turn, as
// the specification's multi-keyring of KMS keyrings does: a key that cannot
// be resolved (an alias not found, no DescribeKey permission) is reported
// but does not stop the others, and the error names each key and why it
// did not decrypt.
func (k *KMSKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	if err := checkKMSProviderInfo(edks); err != nil {
		return err // before any DescribeKey
	}
	f := newKeyFailures()
	var ids []string
	byARN := map[string]string{} // key ARN -> the ID it was configured as
	for _, id := range append([]string{k.generator}, k.keyIDs...) {
		if id == "" {
			continue
		}
		ids = append(ids, id)
		a, err := k.resolve(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.add(id, err)
			continue
		}
		if _, dup := byARN[a]; !dup {
			byARN[a] = id
		}
	}
	allow := func(keyARN string) (string, bool) { _, ok := byARN[keyARN]; return keyARN, ok }
	name := func(keyARN string) string {
		if id := byARN[keyARN]; id != keyARN {
			return id + " (" + keyARN + ")"
		}
		return keyARN
	}
	if err := kmsDecrypt(ctx, k.client, k.grants, m, edks, allow, name, f); err != nil || m.PlaintextDataKey != nil {
		return err
	}
	for a, id := range byARN {
		if !f.has(name(a)) {
			f.note(id, name(a), errors.New("no encrypted data key is for it"))
		}
	}
	f.sortBy(ids)
	return f.err("KMS keyring")
}

// kmsDecrypt asks KMS to decrypt each aws-kms data key whose key ARN
// route accepts, naming the key, until one works; route gives the KeyId to
// send, which KMS must answer with. It records each failure in f.
func kmsDecrypt(ctx context.Context, client KMSAPI, grants []string, m *DecryptionMaterials, edks []EncryptedDataKey, route func(keyARN string) (string, bool), name func(string) string, f *keyFailures) error {
	if err := checkKMSProviderInfo(edks); err != nil {
		return err
	}
	for _, e := range edks {
		keyARN := string(e.ProviderInfo)
		if e.ProviderID != kmsProviderID {
			continue
		}
		keyID, ok := route(keyARN)
		if !ok {
			continue
		}
		out, err := client.Decrypt(ctx, &awskms.DecryptInput{
			KeyId:             aws.String(keyID),
			CiphertextBlob:    e.Ciphertext,
			EncryptionContext: m.EncryptionContext,
			GrantTokens:       grants,
		})
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.add(name(keyARN), fmt.Errorf("Decrypt: %w", err))
		case aws.ToString(out.KeyId) != keyID:
			f.add(name(keyARN), fmt.Errorf("Decrypt answered for key %s", aws.ToString(out.KeyId)))
		case len(out.Plaintext) != m.Suite.KeyLength():
			f.add(name(keyARN), fmt.Errorf("Decrypt returned a %d-byte key", len(out.Plaintext)))
		default:
			m.PlaintextDataKey = out.Plaintext
			return nil
		}
	}
	return nil
}

// checkKMSProviderInfo fails when an aws-kms data key's provider info is
// not a KMS key ARN (an alias, a key ID, anything else), which no KMS keyring
// writes: the specification's KMS keyrings "MUST fail" OnDecrypt then rather
// than skip that data key; the JavaScript SDK's MRK-aware keyrings refuse
// anything but a key ARN, the official Go SDK's keyrings anything that is
// not an ARN. The provider info is not quoted: it may be 64 KiB.
func checkKMSProviderInfo(edks []EncryptedDataKey) error {
	return checkProviderInfo(edks, kmsProviderID)
}

// checkProviderInfo is checkKMSProviderInfo for the data keys of providerID.
func checkProviderInfo(edks []EncryptedDataKey, providerID string) error {
	for i, e := range edks {
		if e.ProviderID == providerID && !isKeyARN(string(e.ProviderInfo)) {
			return fmt.Errorf("%w: encrypted data key %d is an %s data key whose provider info is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)", ErrMalformed, i+1, providerID)
		}
	}
	return nil
}

// DiscoveryFilter limits a discovery keyring to keys of one partition and
// some accounts.
type DiscoveryFilter struct {
	Partition  string   // such as "aws"; required
	AccountIDs []string // at least one
}

// allows reports whether the filter (nil: no filter) lets a keyring use
// the key with ARN keyARN.
func (f *DiscoveryFilter) allows(keyARN string) bool {
	if f == nil {
		return true
	}
	a, ok := parseKMSARN(keyARN)
	return ok && a.partition == f.Partition && slices.Contains(f.AccountIDs, a.account)
}

// clone copies a filter (nil stays nil), so that the caller's later
// changes do not reach a keyring.
func (f *DiscoveryFilter) clone() *DiscoveryFilter {
	if f == nil {
		return nil
	}
	return &DiscoveryFilter{Partition: f.Partition, AccountIDs: slices.Clone(f.AccountIDs)}
}

// check refuses a filter (nil: no filter) without a partition or accounts.
func (f *DiscoveryFilter) check() error {
	if f != nil && (f.Partition == "" || len(f.AccountIDs) == 0 || slices.Contains(f.AccountIDs, "")) {
		return errors.New("kms: a discovery filter needs a partition (such as \"aws\") and at least one account ID, none of them empty")
	}
	return nil
}

// KMSDiscoveryKeyring decrypts with whichever KMS key a message names, as
// far as the filter and the caller's KMS permissions allow. It cannot
// encrypt. The client's region must be the key's.
type KMSDiscoveryKeyring struct {
	client KMSAPI
	filter *DiscoveryFilter
	grants []string
}

// NewKMSDiscoveryKeyring returns a discovery keyring; a nil filter accepts
// keys of any account.
func NewKMSDiscoveryKeyring(client KMSAPI, filter *DiscoveryFilter) (*KMSDiscoveryKeyring, error) {
	if client == nil {
		return nil, errors.New("kms: the discovery keyring needs a client")
	}
	if err := filter.check(); err != nil {
		return nil, err
	}
	return &KMSDiscoveryKeyring{client: client, filter: filter.clone()}, nil
}

// OnEncrypt implements [Keyring]: a discovery keyring cannot encrypt.
func (k *KMSDiscoveryKeyring) OnEncrypt(context.Context, *EncryptionMaterials) error {
	return errors.New("kms: a KMS discovery keyring cannot encrypt; name the keys with NewKMSKeyring")
}

// OnDecrypt implements [Keyring].
func (k *KMSDiscoveryKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	f := newKeyFailures()
	if err := kmsDecrypt(ctx, k.client, k.grants, m, edks, func(keyARN string) (string, bool) { return keyARN, k.filter.allows(keyARN) }, func(a string) string { return a }, f); err != nil || m.PlaintextDataKey != nil {
		return err
	}
	if f.empty() {
		return errors.New("KMS discovery keyring: no encrypted data key passes the discovery filter")
	}
	return f.err("KMS discovery keyring")
}

// keyFailures collects why keys did not decrypt, bounded whatever a message
// holds: the first error of each key and a count, for at most
// maxListedKeys keys.
type keyFailures struct {
	keys  []*keyFailure
	byKey map[string]*keyFailure
	more  int // keys beyond those listed
	total int // failures in all
}

type keyFailure struct {
	id   string // the configured ID, for ordering; may be empty
	name string
	err  error
	n    int
}

const maxListedKeys = 8

func newKeyFailures() *keyFailures { return &keyFailures{byKey: map[string]*keyFailure{}} }

func (f *keyFailures) add(name string, err error) { f.note(name, name, err) }

func (f *keyFailures) note(id, name string, err error) {
	f.total++
	if kf, ok := f.byKey[name]; ok {
		kf.n++
		return
	}
	if len(f.keys) == maxListedKeys {
		f.more++
		return
	}
	kf := &keyFailure{id: id, name: name, err: err, n: 1}
	f.keys = append(f.keys, kf)
	f.byKey[name] = kf
}

func (f *keyFailures) has(name string) bool { _, ok := f.byKey[name]; return ok }
func (f *keyFailures) empty() bool          { return f.total == 0 }

// sortBy orders the keys as ids lists them.
func (f *keyFailures) sortBy(ids []string) {
	rank := func(kf *keyFailure) int {
		for i, id := range ids {
			if kf.id == id || strings.HasPrefix(kf.name, id) {
				return i
			}
		}
		return len(ids)
	}
	sort.SliceStable(f.keys, func(i, j int) bool { return rank(f.keys[i]) < rank(f.keys[j]) })
}

func (f *keyFailures) err(who string) error {
	e := &keyringError{who: who, keys: f.keys, more: f.more, total: f.total}
	return e
}

// keyringError says, for each key a keyring tried, why it did not decrypt.
// It unwraps to each key's first error, so errors.As finds KMS's own.
type keyringError struct {
	who   string
	keys  []*keyFailure
	more  int
	total int
}

func (e *keyringError) Error() string {
	var b strings.Builder
	b.WriteString(e.who)
	b.WriteString(": ")
	for i, kf := range e.keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(kf.name)
		b.WriteString(": ")
		if kf.n > 1 {
			fmt.Fprintf(&b, "%d encrypted data keys failed, the first: ", kf.n)
		}
		b.WriteString(kf.err.Error())
	}
	if e.more > 0 {
		fmt.Fprintf(&b, "; and %d more keys", e.more)
	}
	if e.total > len(e.keys) {
		fmt.Fprintf(&b, " (%d failures in all)", e.total)
	}
	return b.String()
}

func (e *keyringError) Unwrap() []error {
	errs := make([]error, len(e.keys))
	for i, kf := range e.keys {
		errs[i] = kf.err
	}
	return errs
}
