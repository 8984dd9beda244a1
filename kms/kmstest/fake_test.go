package kmstest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

// A compile-time check that the fake satisfies kms.KMSAPI. It sits in a
// test file because kms's own in-package tests import kmstest, so kmstest
// cannot import kms.
var _ kms.KMSAPI = (*kmstest.Fake)(nil)

var ctx = context.Background()

// service is what the conformance cases need: the client, a way to make a
// key, and to disable one.
type service struct {
	client  kms.KMSAPI
	newKey  func(t *testing.T) string
	disable func(t *testing.T, arn string)
	// checksKeyState is false for moto, which uses disabled keys.
	checksKeyState bool
	// incorrectKey is the code for a Decrypt whose KeyId is not the blob's
	// key: IncorrectKeyException, as KMS documents; moto says
	// AccessDeniedException.
	incorrectKey string
}

func fakeService() service {
	f := kmstest.New()
	return service{
		client:         f,
		newKey:         func(*testing.T) string { return f.CreateKey() },
		disable:        func(t *testing.T, arn string) { require.NoError(t, f.SetKeyState(arn, types.KeyStateDisabled)) },
		checksKeyState: true,
		incorrectKey:   "IncorrectKeyException",
	}
}

func motoService(t *testing.T) service {
	c := awskms.NewFromConfig(moto.Config(t))
	return service{
		client: c,
		newKey: func(t *testing.T) string {
			out, err := c.CreateKey(ctx, &awskms.CreateKeyInput{})
			require.NoError(t, err)
			return aws.ToString(out.KeyMetadata.Arn)
		},
		disable: func(t *testing.T, arn string) {
			// moto answers 500 to DisableKey by ARN; the key ID works.
			_, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(arn[strings.LastIndex(arn, "/")+1:])})
			require.NoError(t, err)
		},
		incorrectKey: "AccessDeniedException",
	}
}

func code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// conformance is run against the fake and against moto, so the fake does
// not drift from the service where moto models it.
func conformance(t *testing.T, s service) {
	ec := map[string]string{"purpose": "conformance"}
	keyA, keyB := s.newKey(t), s.newKey(t)

	dk, err := s.client.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyA), NumberOfBytes: aws.Int32(32), EncryptionContext: ec})
	require.NoError(t, err)
	assert.Len(t, dk.Plaintext, 32)
	assert.Equal(t, keyA, aws.ToString(dk.KeyId))

	out, err := s.client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
	require.NoError(t, err, "the blob names its key")
	assert.Equal(t, dk.Plaintext, out.Plaintext)
	assert.Equal(t, keyA, aws.ToString(out.KeyId))

	_, err = s.client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "other"}})
	assert.Equal(t, "InvalidCiphertextException", code(err))
	assert.ErrorAs(t, err, new(*types.InvalidCiphertextException))
	_, err = s.client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec, KeyId: aws.String(keyB)})
	assert.Equal(t, s.incorrectKey, code(err))

	re, err := s.client.ReEncrypt(ctx, &awskms.ReEncryptInput{CiphertextBlob: dk.CiphertextBlob, SourceEncryptionContext: ec,
		DestinationKeyId: aws.String(keyB), DestinationEncryptionContext: map[string]string{"moved": "yes"}})
	require.NoError(t, err)
	assert.Equal(t, keyB, aws.ToString(re.KeyId))
	assert.Equal(t, keyA, aws.ToString(re.SourceKeyId))
	out, err = s.client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"moved": "yes"}})
	require.NoError(t, err)
	assert.Equal(t, dk.Plaintext, out.Plaintext)

	enc, err := s.client.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyB), Plaintext: []byte("hello")})
	require.NoError(t, err)
	assert.Equal(t, keyB, aws.ToString(enc.KeyId))

	d, err := s.client.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyA)})
	require.NoError(t, err)
	assert.Equal(t, keyA, aws.ToString(d.KeyMetadata.Arn))
	assert.Equal(t, types.KeyStateEnabled, d.KeyMetadata.KeyState)

	_, err = s.client.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/does-not-exist")})
	assert.Equal(t, "NotFoundException", code(err))
	assert.ErrorAs(t, err, new(*types.NotFoundException))
	_, err = s.client.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyB), Plaintext: make([]byte, 4097)})
	assert.Equal(t, "ValidationException", code(err))
	assert.ErrorAs(t, err, new(*smithy.GenericAPIError), "KMS's SDK has no ValidationException struct")
	_, err = s.client.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyB)})
	assert.Equal(t, "ValidationException", code(err), "neither NumberOfBytes nor KeySpec")

	s.disable(t, keyA)
	d, err = s.client.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyA)})
	require.NoError(t, err)
	assert.Equal(t, types.KeyStateDisabled, d.KeyMetadata.KeyState)
	if s.checksKeyState {
		_, err = s.client.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyA), NumberOfBytes: aws.Int32(32)})
		assert.Equal(t, "DisabledException", code(err))
		assert.ErrorAs(t, err, new(*types.DisabledException))
		_, err = s.client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
		assert.Equal(t, "DisabledException", code(err))
	}
}

func TestConformanceFake(t *testing.T) { conformance(t, fakeService()) }

func TestConformanceMoto(t *testing.T) { conformance(t, motoService(t)) }

func TestFakeAliasesStatesAndInjection(t *testing.T) {
	f := kmstest.New(func(o *kmstest.Options) { o.Region, o.AccountID = "eu-west-1", "444455556666" })
	arn := f.CreateKey()
	assert.Regexp(t, `^arn:aws:kms:eu-west-1:444455556666:key/[0-9a-f-]{36}$`, arn)
	require.NoError(t, f.CreateAlias("alias/app", arn))
	assert.Equal(t, "AlreadyExistsException", code(f.CreateAlias("alias/app", arn)))
	assert.ErrorAs(t, f.CreateAlias("alias/app", arn), new(*types.AlreadyExistsException))
	assert.Equal(t, "ValidationException", code(f.CreateAlias("app", arn)))

	for _, id := range []string{arn, arn[len(arn)-36:], "alias/app", "arn:aws:kms:eu-west-1:444455556666:alias/app"} {
		d, err := f.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(id)})
		require.NoError(t, err, id)
		assert.Equal(t, arn, aws.ToString(d.KeyMetadata.Arn))
	}
	_, err := f.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:us-east-1:444455556666:alias/app")})
	assert.Equal(t, "NotFoundException", code(err), "another region")

	require.NoError(t, f.SetKeyState(arn, types.KeyStatePendingDeletion))
	_, err = f.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("x")})
	assert.Equal(t, "KMSInvalidStateException", code(err))
	assert.ErrorAs(t, err, new(*types.KMSInvalidStateException))
	require.NoError(t, f.SetKeyState(arn, types.KeyStateEnabled))

	_, err = f.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(arn), Plaintext: make([]byte, 4097)})
	assert.Equal(t, "ValidationException", code(err))
	_, err = f.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: []byte("garbage")})
	assert.Equal(t, "InvalidCiphertextException", code(err))

	boom := errors.New("boom")
	f.FailNext("Encrypt", boom)
	f.FailNext("Encrypt", boom)
	for range 2 {
		_, err = f.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("x")})
		assert.ErrorIs(t, err, boom)
	}
	_, err = f.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("x")})
	assert.NoError(t, err)
	assert.Equal(t, 5, f.Calls("Encrypt"), "failed calls count too")

	hooked := kmstest.New()
	hooked.OnCall("Decrypt", func(in any) error {
		if _, ok := in.(*awskms.DecryptInput); ok {
			return &smithy.GenericAPIError{Code: "ThrottlingException"}
		}
		return nil
	})
	k := hooked.CreateKey()
	dk, err := hooked.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(k), KeySpec: types.DataKeySpecAes128})
	require.NoError(t, err)
	assert.Len(t, dk.Plaintext, 16)
	_, err = hooked.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})
	assert.Equal(t, "ThrottlingException", code(err))
	assert.Equal(t, []any{&awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob}}, hooked.Log("Decrypt"))
	assert.Equal(t, map[string]int{"GenerateDataKey": 1, "Decrypt": 1}, hooked.CallCounts())
}

// The SDK's operations treat a nil input as an empty one, which then fails
// validation; the fake did the same only after dereferencing it (a panic that
// took the user's test binary down). Found by an outside attack.
func TestNilInputIsAValidationError(t *testing.T) {
	f := kmstest.New()
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"GenerateDataKey": func() error { _, err := f.GenerateDataKey(ctx, nil); return err },
		"Encrypt":         func() error { _, err := f.Encrypt(ctx, nil); return err },
		"Decrypt":         func() error { _, err := f.Decrypt(ctx, nil); return err },
		"ReEncrypt":       func() error { _, err := f.ReEncrypt(ctx, nil); return err },
		"DescribeKey":     func() error { _, err := f.DescribeKey(ctx, nil); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Contains(t, []string{"ValidationException", "InvalidCiphertextException"}, apiErr.ErrorCode())
		})
	}
}

// client is what the error cases call: kms.KMSAPI and the key store's
// GenerateDataKeyWithoutPlaintext, as *kms.Client and the Fake have them.
type client interface {
	kms.KMSAPI
	GenerateDataKeyWithoutPlaintext(context.Context, *awskms.GenerateDataKeyWithoutPlaintextInput, ...func(*awskms.Options)) (*awskms.GenerateDataKeyWithoutPlaintextOutput, error)
}

// errorCase is one error the fake can return: what errors.As must find
// (the SDK's typed struct, or *smithy.GenericAPIError where the SDK has
// none), with KMS's code and message.
type errorCase struct {
	name, code, msg string
	call            func(c client) error
	as              any
}

// sdkErrorCases are the errors of the fake's SDK operations, each called
// on c; f is the fake behind c, whose keys they use.
func sdkErrorCases(t *testing.T, f *kmstest.Fake) []errorCase {
	a, b := f.CreateKey(), f.CreateKey()
	ec := map[string]string{"k": "v"}
	dk, err := f.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(a), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	require.NoError(t, err)
	disabled, pending := f.CreateKey(), f.CreateKey()
	require.NoError(t, f.SetKeyState(disabled, types.KeyStateDisabled))
	require.NoError(t, f.SetKeyState(pending, types.KeyStatePendingDeletion))
	rsaARN, err := f.ImportRSAKey(rsaKey(t, 0))
	require.NoError(t, err)
	rsaDisabled, err := f.ImportRSAKey(rsaKey(t, 1))
	require.NoError(t, err)
	require.NoError(t, f.SetKeyState(rsaDisabled, types.KeyStateDisabled))
	missing := "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000"
	oaep := types.EncryptionAlgorithmSpecRsaesOaepSha256
	gdkwp := func(c client, key string, n int32) error {
		_, err := c.GenerateDataKeyWithoutPlaintext(ctx, &awskms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(key), NumberOfBytes: aws.Int32(n)})
		return err
	}
	return []errorCase{
		{"disabled", "DisabledException", disabled + " is disabled.", func(c client) error {
			return errOf(c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(disabled), Plaintext: []byte("x")}))
		}, new(*types.DisabledException)},
		{"pending deletion", "KMSInvalidStateException", pending + " is pending deletion.", func(c client) error {
			return errOf(c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(pending), Plaintext: []byte("x")}))
		}, new(*types.KMSInvalidStateException)},
		{"wrong context", "InvalidCiphertextException", "the ciphertext is invalid or does not match the encryption context", func(c client) error {
			return errOf(c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob}))
		}, new(*types.InvalidCiphertextException)},
		{"wrong key", "IncorrectKeyException", "the key ID in the request does not identify the key that encrypted the ciphertext", func(c client) error {
			return errOf(c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec, KeyId: aws.String(b)}))
		}, new(*types.IncorrectKeyException)},
		{"validation", "ValidationException", "Plaintext must be 1 to 4096 bytes", func(c client) error {
			return errOf(c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(a), Plaintext: make([]byte, 4097)}))
		}, new(*smithy.GenericAPIError)},
		{"missing key", "NotFoundException", "Key '" + missing + "' does not exist", func(c client) error {
			return errOf(c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(missing)}))
		}, new(*types.NotFoundException)},

		{"without plaintext: missing key", "NotFoundException", "Key '" + missing + "' does not exist", func(c client) error {
			return gdkwp(c, missing, 32)
		}, new(*types.NotFoundException)},
		{"without plaintext: disabled", "DisabledException", disabled + " is disabled.", func(c client) error {
			return gdkwp(c, disabled, 32)
		}, new(*types.DisabledException)},
		{"without plaintext: size", "ValidationException", "NumberOfBytes must be 1 to 1024", func(c client) error {
			return gdkwp(c, a, 1025)
		}, new(*smithy.GenericAPIError)},
		{"without plaintext: RSA key", "InvalidKeyUsageException", rsaARN + " is an asymmetric key; this operation needs a symmetric encryption key",
			func(c client) error { return gdkwp(c, rsaARN, 32) }, new(*types.InvalidKeyUsageException)},

		{"public key of a symmetric key", "UnsupportedOperationException", a + " is a symmetric key, which has no public key", func(c client) error {
			return errOf(c.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(a)}))
		}, new(*types.UnsupportedOperationException)},
		{"public key of a disabled key", "DisabledException", rsaDisabled + " is disabled.", func(c client) error {
			return errOf(c.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(rsaDisabled)}))
		}, new(*types.DisabledException)},
		{"public key of a missing key", "NotFoundException", "Key '" + missing + "' does not exist", func(c client) error {
			return errOf(c.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(missing)}))
		}, new(*types.NotFoundException)},
		{"RSA algorithm, symmetric key", "InvalidKeyUsageException", a + " is a symmetric key; EncryptionAlgorithm RSAES_OAEP_SHA_256 needs an RSA key", func(c client) error {
			return errOf(c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(a), Plaintext: []byte("x"), EncryptionAlgorithm: oaep}))
		}, new(*types.InvalidKeyUsageException)},
		{"RSA with a context", "ValidationException", "EncryptionContext is not supported with asymmetric keys", func(c client) error {
			return errOf(c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(rsaARN), Plaintext: []byte("x"), EncryptionAlgorithm: oaep, EncryptionContext: ec}))
		}, new(*smithy.GenericAPIError)},
		{"RSA plaintext too long", "ValidationException", "Plaintext must be 1 to 190 bytes for RSA_2048 with RSAES_OAEP_SHA_256", func(c client) error {
			return errOf(c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(rsaARN), Plaintext: make([]byte, 191), EncryptionAlgorithm: oaep}))
		}, new(*smithy.GenericAPIError)},
		{"RSA decrypt without KeyId", "ValidationException", "KeyId is required to decrypt with an asymmetric key", func(c client) error {
			return errOf(c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: make([]byte, 256), EncryptionAlgorithm: oaep}))
		}, new(*smithy.GenericAPIError)},
		{"RSA decrypt of garbage", "InvalidCiphertextException", "the ciphertext is invalid for this key and EncryptionAlgorithm", func(c client) error {
			return errOf(c.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(rsaARN), CiphertextBlob: make([]byte, 256), EncryptionAlgorithm: oaep}))
		}, new(*types.InvalidCiphertextException)},
		{"injected server fault", "KMSInternalException", "try again", func(c client) error {
			f.FailNext("DescribeKey", &types.KMSInternalException{Message: aws.String("try again")})
			return errOf(c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(a)}))
		}, new(*types.KMSInternalException)},
	}
}

var rsaKeys [2]*rsa.PrivateKey

// rsaKey returns the i'th of two 2048-bit keys made once per test binary.
func rsaKey(t *testing.T, i int) *rsa.PrivateKey {
	if rsaKeys[i] == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		rsaKeys[i] = k
	}
	return rsaKeys[i]
}

func checkError(t *testing.T, tc errorCase, err error) {
	t.Helper()
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, tc.code, apiErr.ErrorCode())
	assert.Equal(t, tc.msg, apiErr.ErrorMessage())
	assert.ErrorAs(t, err, tc.as, "got %T", apiErr)
}

// Every error the fake returns is the SDK's: errors.As finds its typed
// struct (or a *smithy.GenericAPIError where the SDK has none) and
// smithy.APIError, with KMS's code and message, from the Go methods and
// through *kms.Client over the fake's HTTP server (ServeHTTP), where the
// SDK's own deserializer makes the error of the wire answer.
func TestErrorsAreTheSDKs(t *testing.T) {
	for _, over := range []string{"Go", "HTTP"} {
		t.Run(over, func(t *testing.T) {
			f := kmstest.New()
			var c client = f
			if over == "HTTP" {
				c = sdkClient(t, f, "us-east-1")
			}
			for _, tc := range sdkErrorCases(t, f) {
				t.Run(tc.name, func(t *testing.T) { checkError(t, tc, tc.call(c)) })
			}
		})
	}
}

// The errors of the fake's own methods (keys, aliases, replicas).
func TestSetupErrorsAreTheSDKs(t *testing.T) {
	f := kmstest.New()
	a, b := f.CreateKey(), f.CreateKey()
	west := kmstest.New(func(o *kmstest.Options) { o.Region = "us-west-2" })
	mrk := f.CreateMultiRegionKey()
	_, err := f.AddReplica(mrk, west)
	require.NoError(t, err)
	for _, tc := range []struct {
		errorCase
		err error
	}{
		{errorCase{name: "missing key", code: "NotFoundException", msg: "Key 'arn:aws:kms:us-east-1:123456789012:key/nope' does not exist",
			as: new(*types.NotFoundException)}, f.CreateAlias("alias/x", "nope")},
		{errorCase{name: "missing alias", code: "NotFoundException", msg: "Alias arn:aws:kms:us-east-1:123456789012:alias/nope is not found.",
			as: new(*types.NotFoundException)}, f.CreateAlias("alias/y", "alias/nope")},
		{errorCase{name: "alias exists", code: "AlreadyExistsException", msg: "An alias with the name arn:aws:kms:us-east-1:123456789012:alias/dup already exists",
			as: new(*types.AlreadyExistsException)}, func() error { _ = f.CreateAlias("alias/dup", a); return f.CreateAlias("alias/dup", b) }()},
		{errorCase{name: "replica of a single-Region key", code: "UnsupportedOperationException", msg: a + " is not a multi-Region key",
			as: new(*types.UnsupportedOperationException)}, errOf(f.AddReplica(a, west))},
		{errorCase{name: "replica exists", code: "AlreadyExistsException", msg: mrk + " already has a replica in us-west-2",
			as: new(*types.AlreadyExistsException)}, errOf(f.AddReplica(mrk, west))},
		{errorCase{name: "replica in the key's Region", code: "ValidationException", msg: "ReplicaRegion us-east-1 is the Region of the key; give another Region",
			as: new(*smithy.GenericAPIError)}, errOf(f.AddReplica(mrk, kmstest.New()))},
		{errorCase{name: "no Region", code: "ValidationException", msg: "a Region name is required",
			as: new(*smithy.GenericAPIError)}, errOf(kmstest.NewRegions().CreateMultiRegionKey(""))},
		{errorCase{name: "not an RSA spec", code: "ValidationException", msg: `KeySpec "ECC_NIST_P256" is not an RSA key spec for encryption; allowed are RSA_2048, RSA_3072 and RSA_4096`,
			as: new(*smithy.GenericAPIError)}, errOf(f.CreateRSAKey(types.KeySpecEccNistP256))},
	} {
		t.Run(tc.name, func(t *testing.T) { checkError(t, tc.errorCase, tc.err) })
	}
}

// An injected error that is not an API error is a broken connection over
// HTTP; the call is counted once.
func TestServeHTTPBreaksTheConnection(t *testing.T) {
	f := kmstest.New()
	c := sdkClient(t, f, "us-east-1")
	f.FailNext("DescribeKey", errors.New("connection reset"))
	_, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(f.CreateKey())})
	require.Error(t, err)
	var apiErr smithy.APIError
	assert.False(t, errors.As(err, &apiErr), "a transport error, not an answer: %v", err)
	assert.Equal(t, 1, f.Calls("DescribeKey"))
}

func errOf[T any](_ T, err error) error { return err }

func TestClockAndLoseNext(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := kmstest.New(func(o *kmstest.Options) { o.Clock = func() time.Time { return at } })
	key := f.CreateKey()
	d, err := f.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(key)})
	require.NoError(t, err)
	assert.Equal(t, at, aws.ToTime(d.KeyMetadata.CreationDate))

	lost := errors.New("connection reset")
	f.LoseNext("Encrypt", lost)
	out, err := f.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("x")})
	require.ErrorIs(t, err, lost)
	assert.Nil(t, out)
	assert.Equal(t, 2, f.TotalCalls())
	assert.Len(t, f.Log("Encrypt"), 1)
}
