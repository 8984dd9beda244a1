// Package kmstest is an in-memory AWS KMS for tests, in the manner of
// net/http/httptest. A [Fake] satisfies kms.KMSAPI, so it stands in for
// *kms.Client from aws-sdk-go-v2 wherever code asks for that interface:
//
//	func TestDecryptWithDisabledKey(t *testing.T) {
//		ctx := context.Background()
//		fake := kmstest.New()
//		keyARN := fake.CreateKey()
//		_ = fake.CreateAlias("alias/app", keyARN)
//		keyring, _ := kms.NewKMSKeyring(fake, "alias/app")
//		client, _ := kms.New(keyring)
//		msg, _ := client.Encrypt(ctx, []byte("hello"), nil)
//
//		_ = fake.SetKeyState(keyARN, types.KeyStateDisabled)
//		_, err := client.Decrypt(ctx, msg, nil)
//		var disabled *types.DisabledException
//		if !errors.As(err, &disabled) {
//			t.Fatalf("want DisabledException, got %v", err)
//		}
//	}
//
// The fake does the parts of KMS that code under test relies on:
//   - real AES-256-GCM wrapping bound to the encryption context, so a wrong
//     context fails as it does in KMS;
//   - key ARNs, key IDs and aliases, in names or ARNs;
//   - key states: a disabled key answers DisabledException, one pending
//     deletion KMSInvalidStateException;
//   - ciphertext blobs that name their key, so Decrypt needs no KeyId and a
//     wrong KeyId is IncorrectKeyException;
//   - multi-Region keys and their replicas in the Fakes of other Regions
//     ([Fake.CreateMultiRegionKey], [Fake.AddReplica], [Regions]), for
//     failover tests;
//   - asymmetric RSA keys for encryption ([Fake.CreateRSAKey],
//     GetPublicKey, Encrypt and Decrypt with RSAES_OAEP_SHA_1/256);
//   - GenerateDataKeyWithoutPlaintext, so a Fake is also the KMS client
//     of a kms.BranchKeyStore, and [KeyStoreTable], an in-memory DynamoDB
//     table for the key store's items with its conditional writes;
//   - KMS's wire protocol over HTTP ([Fake.ServeHTTP], and
//     [Regions.ServeHTTP] for several Regions on one endpoint), for
//     clients that are not in-process;
//   - error injection, a log of every call's input and call counts
//     (FailNext, LoseNext, OnCall, Log, Calls: see [Fake]).
//
// Errors are those *kms.Client returns: the SDK's typed structs
// (*types.NotFoundException, *types.DisabledException,
// *types.KMSInvalidStateException, *types.InvalidCiphertextException,
// *types.IncorrectKeyException, *types.AlreadyExistsException,
// *types.InvalidKeyUsageException, *types.UnsupportedOperationException,
// *types.KMSInternalException), or a *smithy.GenericAPIError for
// ValidationException, for which the SDK has none. All satisfy
// smithy.APIError with KMS's codes and messages, in Go and over HTTP.
// [KeyStoreTable]'s are *dynamodb.Client's (see there). Keys live in
// account 123456789012 of us-east-1 unless [Options] say otherwise.
package kmstest

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kumo-go/kumo/internal/fakecall"
	"github.com/kumo-go/kumo/internal/opts"
)

// Options configure a [Fake]. Here and in NewKeyStoreTable and NewRegions,
// a nil option func is skipped.
type Options struct {
	// Region and AccountID go into key ARNs; defaults us-east-1 and
	// 123456789012 (the account moto answers for).
	Region    string
	AccountID string
	// Rand is the source of key material, key IDs and IVs; default
	// crypto/rand.
	Rand io.Reader
	// Clock gives keys their CreationDate; default time.Now.
	Clock func() time.Time
}

// Fake is an in-memory KMS. It is safe for concurrent use.
//
// Its embedded Recorder gives it these methods, by operation name
// ("GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Encrypt",
// "Decrypt", "ReEncrypt", "DescribeKey", "GetPublicKey"), for calls in Go
// and over HTTP alike:
//   - FailNext(op, err): the next call of op returns err without acting;
//   - LoseNext(op, err): the next successful call of op acts, then
//     returns err instead of its answer;
//   - OnCall(op, fn): fn(input) runs before every call of op; an error
//     from it is the call's answer;
//   - Log(op): the inputs of the calls of op, oldest first, as copies;
//   - Calls(op), CallCounts(), TotalCalls(), ResetCalls(): call counts.
type Fake struct {
	fakecall.Recorder

	opts Options

	mu      sync.Mutex
	keys    map[string]*key // by key ID
	aliases map[string]string
}

type key struct {
	id, arn  string
	state    types.KeyState
	aead     cipher.AEAD     // symmetric keys
	material []byte          // symmetric keys, for replicas (mrk.go)
	rsa      *rsa.PrivateKey // RSA keys (rsa.go)
	spec     types.KeySpec   // RSA keys
	created  time.Time
}

// New returns an empty fake.
func New(optFns ...func(*Options)) *Fake {
	var o Options
	opts.Apply(&o, optFns)
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Fake{opts: o, keys: map[string]*key{}, aliases: map[string]string{}}
}

// CreateKey adds an enabled symmetric key and returns its ARN.
func (f *Fake) CreateKey() string {
	return f.addSymmetricKey(f.newKeyID(), nil)
}

func (f *Fake) mustRead(b []byte) {
	if _, err := io.ReadFull(f.opts.Rand, b); err != nil {
		panic("kmstest: reading randomness: " + err.Error())
	}
}

func (f *Fake) arn(resource string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", f.opts.Region, f.opts.AccountID, resource)
}

// CreateAlias points alias ("alias/name") at a key, given by ID, ARN or
// another alias.
func (f *Fake) CreateAlias(alias, keyID string) error {
	if !strings.HasPrefix(alias, "alias/") || strings.HasPrefix(alias, "alias/aws/") {
		return apiError("ValidationException", "alias must start with alias/ and not alias/aws/: "+alias)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k, err := f.lookup(keyID)
	if err != nil {
		return err
	}
	if _, ok := f.aliases[alias]; ok {
		return apiError("AlreadyExistsException", "An alias with the name "+f.arn(alias)+" already exists")
	}
	f.aliases[alias] = k.id
	return nil
}

// SetKeyState changes a key's state: types.KeyStateEnabled,
// types.KeyStateDisabled or types.KeyStatePendingDeletion.
func (f *Fake) SetKeyState(keyID string, state types.KeyState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, err := f.lookup(keyID)
	if err != nil {
		return err
	}
	k.state = state
	return nil
}

// begin counts and logs a call and applies injected failures and hooks
// (fakecall.Begin). It returns with f.mu held when err is nil.
func (f *Fake) begin(op string, input any) error {
	if err := fakecall.Begin(&f.Recorder, op, input); err != nil {
		return err
	}
	f.mu.Lock()
	return nil
}

// lookup resolves a key ID, key ARN, alias name or alias ARN. f.mu is held.
func (f *Fake) lookup(id string) (*key, error) {
	if id == "" {
		return nil, apiError("ValidationException", "KeyId is required")
	}
	name := id
	if strings.HasPrefix(id, "arn:") {
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" {
			return nil, apiError("NotFoundException", "invalid ARN "+id)
		}
		if parts[3] != f.opts.Region || parts[4] != f.opts.AccountID {
			return nil, apiError("NotFoundException", fmt.Sprintf("key %s is not in region %s of account %s", id, f.opts.Region, f.opts.AccountID))
		}
		name = parts[5]
	}
	if strings.HasPrefix(name, "alias/") {
		target, ok := f.aliases[name]
		if !ok {
			return nil, apiError("NotFoundException", "Alias "+f.arn(name)+" is not found.")
		}
		name = target
	}
	name = strings.TrimPrefix(name, "key/")
	k, ok := f.keys[name]
	if !ok {
		return nil, apiError("NotFoundException", "Key '"+f.arn("key/"+name)+"' does not exist")
	}
	return k, nil
}

// usableKey looks up a key for an operation that encrypts with it. f.mu is
// held.
func (f *Fake) usableKey(keyID string) (*key, error) {
	k, err := f.lookup(keyID)
	if err != nil {
		return nil, err
	}
	if k.aead == nil {
		return nil, apiError("InvalidKeyUsageException", k.arn+" is an asymmetric key; this operation needs a symmetric encryption key")
	}
	return k, usable(k)
}

// usable checks that a key may be used for cryptography.
func usable(k *key) error {
	switch k.state {
	case types.KeyStateEnabled:
		return nil
	case types.KeyStateDisabled:
		return apiError("DisabledException", k.arn+" is disabled.")
	case types.KeyStatePendingDeletion:
		return apiError("KMSInvalidStateException", k.arn+" is pending deletion.")
	default:
		return apiError("KMSInvalidStateException", fmt.Sprintf("%s is %s and cannot be used.", k.arn, k.state))
	}
}

var kmsErrors = fakecall.RegistryErrors(awskms.TypeRegistry, fakecall.JSON)

// apiError returns what *kms.Client returns for KMS's error code and
// message: the SDK's typed error (*types.NotFoundException, ...) where it
// has one, else a *smithy.GenericAPIError (ValidationException).
func apiError(code, msg string) error {
	return kmsErrors.New(code, msg)
}

// Blob layout: 'K', key ID length, key ID, IV, sealed plaintext. The AAD is
// the key ID and the serialized encryption context.
func (f *Fake) seal(k *key, plaintext []byte, ec map[string]string) []byte {
	iv := make([]byte, 12)
	f.mustRead(iv)
	blob := append([]byte{'K', byte(len(k.id))}, k.id...)
	blob = append(blob, iv...)
	return k.aead.Seal(blob, iv, plaintext, aad(k.id, ec))
}

func (f *Fake) open(blob []byte, ec map[string]string) (*key, []byte, error) {
	invalid := apiError("InvalidCiphertextException", "the ciphertext is invalid or does not match the encryption context")
	if len(blob) < 2 || blob[0] != 'K' || len(blob) < 2+int(blob[1])+12+16 {
		return nil, nil, invalid
	}
	id := string(blob[2 : 2+int(blob[1])])
	k, ok := f.keys[id]
	if !ok {
		return nil, nil, invalid
	}
	if err := usable(k); err != nil {
		return nil, nil, err
	}
	body := blob[2+len(id):]
	pt, err := k.aead.Open(nil, body[:12], body[12:], aad(id, ec))
	if err != nil {
		return nil, nil, invalid
	}
	return k, pt, nil
}

func aad(id string, ec map[string]string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(id)))
	b = append(b, id...)
	for _, k := range slices.Sorted(maps.Keys(ec)) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(ec[k])))
		b = append(b, ec[k]...)
	}
	return b
}

// Encrypt encrypts up to 4096 bytes under KeyId.
func (f *Fake) Encrypt(_ context.Context, in *awskms.EncryptInput, _ ...func(*awskms.Options)) (out *awskms.EncryptOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("Encrypt", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "Encrypt", &out, &err)
	if isRSAAlgorithm(in.EncryptionAlgorithm) {
		return f.encryptRSA(in)
	}
	k, err := f.usableKey(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	if len(in.Plaintext) == 0 || len(in.Plaintext) > 4096 {
		return nil, apiError("ValidationException", "Plaintext must be 1 to 4096 bytes")
	}
	return &awskms.EncryptOutput{CiphertextBlob: f.seal(k, in.Plaintext, in.EncryptionContext), KeyId: aws.String(k.arn),
		EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault}, nil
}

// Decrypt opens a blob; KeyId, when given, must name the blob's key.
func (f *Fake) Decrypt(_ context.Context, in *awskms.DecryptInput, _ ...func(*awskms.Options)) (out *awskms.DecryptOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("Decrypt", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "Decrypt", &out, &err)
	if isRSAAlgorithm(in.EncryptionAlgorithm) {
		return f.decryptRSA(in)
	}
	k, pt, err := f.openFor(in.CiphertextBlob, in.EncryptionContext, aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	return &awskms.DecryptOutput{Plaintext: pt, KeyId: aws.String(k.arn), EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault}, nil
}

// openFor opens a blob, checking that it belongs to keyID when one is given.
func (f *Fake) openFor(blob []byte, ec map[string]string, keyID string) (*key, []byte, error) {
	if keyID != "" {
		want, err := f.lookup(keyID)
		if err != nil {
			return nil, nil, err
		}
		if len(blob) > 2 && blob[0] == 'K' && len(blob) >= 2+int(blob[1]) && string(blob[2:2+int(blob[1])]) != want.id {
			return nil, nil, apiError("IncorrectKeyException", "the key ID in the request does not identify the key that encrypted the ciphertext")
		}
	}
	return f.open(blob, ec)
}

// ReEncrypt moves a blob to DestinationKeyId without revealing the
// plaintext.
func (f *Fake) ReEncrypt(_ context.Context, in *awskms.ReEncryptInput, _ ...func(*awskms.Options)) (out *awskms.ReEncryptOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ReEncrypt", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ReEncrypt", &out, &err)
	src, pt, err := f.openFor(in.CiphertextBlob, in.SourceEncryptionContext, aws.ToString(in.SourceKeyId))
	if err != nil {
		return nil, err
	}
	dst, err := f.usableKey(aws.ToString(in.DestinationKeyId))
	if err != nil {
		return nil, err
	}
	return &awskms.ReEncryptOutput{CiphertextBlob: f.seal(dst, pt, in.DestinationEncryptionContext), KeyId: aws.String(dst.arn), SourceKeyId: aws.String(src.arn)}, nil
}

// DescribeKey returns a key's ARN, ID and state.
func (f *Fake) DescribeKey(_ context.Context, in *awskms.DescribeKeyInput, _ ...func(*awskms.Options)) (out *awskms.DescribeKeyOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("DescribeKey", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "DescribeKey", &out, &err)
	k, err := f.lookup(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	return &awskms.DescribeKeyOutput{KeyMetadata: &types.KeyMetadata{
		KeyId: aws.String(k.id), Arn: aws.String(k.arn), KeyState: k.state, Enabled: k.state == types.KeyStateEnabled,
		AWSAccountId: aws.String(f.opts.AccountID), CreationDate: aws.Time(k.created),
		KeyUsage: types.KeyUsageTypeEncryptDecrypt, KeySpec: k.keySpec(), MultiRegion: aws.Bool(strings.HasPrefix(k.id, "mrk-")),
	}}, nil
}
