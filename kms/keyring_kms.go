package kms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
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
		out, err := k.client.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
			KeyId:             aws.String(k.generator),
			NumberOfBytes:     aws.Int32(int32(m.Suite.KeyLength())),
			EncryptionContext: m.EncryptionContext,
			GrantTokens:       k.grants,
		})
		if err != nil {
			return fmt.Errorf("kms: GenerateDataKey with %s: %w", k.generator, err)
		}
		if len(out.Plaintext) != m.Suite.KeyLength() {
			return fmt.Errorf("kms: GenerateDataKey returned a %d-byte key; suite %v needs %d", len(out.Plaintext), m.Suite, m.Suite.KeyLength())
		}
		keyARN := aws.ToString(out.KeyId)
		if !isKeyARN(keyARN) {
			return fmt.Errorf("kms: GenerateDataKey answered with key %q, which is not a key ARN", keyARN)
		}
		m.PlaintextDataKey = out.Plaintext
		m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{ProviderID: kmsProviderID, ProviderInfo: []byte(keyARN), Ciphertext: out.CiphertextBlob})
	} else if k.generator != "" {
		others = append([]string{k.generator}, others...)
	}
	for _, id := range others {
		out, err := k.client.Encrypt(ctx, &awskms.EncryptInput{
			KeyId:             aws.String(id),
			Plaintext:         m.PlaintextDataKey,
			EncryptionContext: m.EncryptionContext,
			GrantTokens:       k.grants,
		})
		if err != nil {
			return fmt.Errorf("kms: Encrypt with %s: %w", id, err)
		}
		keyARN := aws.ToString(out.KeyId)
		if !isKeyARN(keyARN) {
			return fmt.Errorf("kms: Encrypt answered with key %q, which is not a key ARN", keyARN)
		}
		m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{ProviderID: kmsProviderID, ProviderInfo: []byte(keyARN), Ciphertext: out.CiphertextBlob})
	}
	return nil
}

// keyARNs returns the configured keys as key ARNs.
func (k *KMSKeyring) keyARNs(ctx context.Context) ([]string, error) {
	var out []string
	for _, id := range append([]string{k.generator}, k.keyIDs...) {
		if id == "" {
			continue
		}
		if isKeyARN(id) {
			out = append(out, id)
			continue
		}
		k.mu.Lock()
		a, ok := k.arns[id]
		k.mu.Unlock()
		if !ok {
			d, err := k.client.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(id), GrantTokens: k.grants})
			if err != nil {
				return nil, fmt.Errorf("kms: DescribeKey %s: %w", id, err)
			}
			if d.KeyMetadata == nil || !isKeyARN(aws.ToString(d.KeyMetadata.Arn)) {
				return nil, fmt.Errorf("kms: DescribeKey %s returned no key ARN", id)
			}
			a = aws.ToString(d.KeyMetadata.Arn)
			k.mu.Lock()
			k.arns[id] = a
			k.mu.Unlock()
		}
		out = append(out, a)
	}
	return out, nil
}

// OnDecrypt implements [Keyring].
func (k *KMSKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	allowed, err := k.keyARNs(ctx)
	if err != nil {
		return err
	}
	return kmsDecrypt(ctx, k.client, k.grants, m, edks, func(keyARN string) bool { return slices.Contains(allowed, keyARN) },
		"KMS keyring: no encrypted data key is for its keys "+strings.Join(allowed, ", "))
}

// kmsDecrypt asks KMS to decrypt each aws-kms data key that allow accepts,
// naming the key, until one works.
func kmsDecrypt(ctx context.Context, client KMSAPI, grants []string, m *DecryptionMaterials, edks []EncryptedDataKey, allow func(string) bool, none string) error {
	var errs []error
	for _, e := range edks {
		keyARN := string(e.ProviderInfo)
		if e.ProviderID != kmsProviderID || !isKeyARN(keyARN) || !allow(keyARN) {
			continue
		}
		out, err := client.Decrypt(ctx, &awskms.DecryptInput{
			KeyId:             aws.String(keyARN),
			CiphertextBlob:    e.Ciphertext,
			EncryptionContext: m.EncryptionContext,
			GrantTokens:       grants,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("kms: Decrypt with %s: %w", keyARN, err))
			continue
		}
		if aws.ToString(out.KeyId) != keyARN {
			errs = append(errs, fmt.Errorf("kms: Decrypt with %s answered for key %s", keyARN, aws.ToString(out.KeyId)))
			continue
		}
		if len(out.Plaintext) != m.Suite.KeyLength() {
			errs = append(errs, fmt.Errorf("kms: Decrypt with %s returned a %d-byte key", keyARN, len(out.Plaintext)))
			continue
		}
		m.PlaintextDataKey = out.Plaintext
		return nil
	}
	if len(errs) == 0 {
		return errors.New(none)
	}
	return errors.Join(errs...)
}

// isKeyARN reports whether s is the ARN of a KMS key (not an alias).
func isKeyARN(s string) bool {
	a, err := arn.Parse(s)
	return err == nil && a.Service == "kms" && strings.HasPrefix(a.Resource, "key/") && len(a.Resource) > 4
}

// DiscoveryFilter limits a discovery keyring to keys of one partition and
// some accounts.
type DiscoveryFilter struct {
	Partition  string   // such as "aws"; required
	AccountIDs []string // at least one
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
	if filter != nil && (filter.Partition == "" || len(filter.AccountIDs) == 0) {
		return nil, errors.New("kms: a discovery filter needs a partition and at least one account ID")
	}
	return &KMSDiscoveryKeyring{client: client, filter: filter}, nil
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
	allow := func(keyARN string) bool {
		if k.filter == nil {
			return true
		}
		a, _ := arn.Parse(keyARN)
		return a.Partition == k.filter.Partition && slices.Contains(k.filter.AccountIDs, a.AccountID)
	}
	return kmsDecrypt(ctx, k.client, k.grants, m, edks, allow, "KMS discovery keyring: no encrypted data key passes the discovery filter")
}
