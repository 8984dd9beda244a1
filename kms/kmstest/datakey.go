package kmstest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kumo-go/kumo/internal/fakecall"
)

// GenerateDataKey returns a fresh data key and its copy under KeyId.
func (f *Fake) GenerateDataKey(_ context.Context, in *awskms.GenerateDataKeyInput, _ ...func(*awskms.Options)) (out *awskms.GenerateDataKeyOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GenerateDataKey", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GenerateDataKey", &out, &err)
	k, pt, blob, err := f.dataKey(aws.ToString(in.KeyId), in.NumberOfBytes, in.KeySpec, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return &awskms.GenerateDataKeyOutput{Plaintext: pt, CiphertextBlob: blob, KeyId: aws.String(k.arn)}, nil
}

// GenerateDataKeyWithoutPlaintext returns a fresh data key's copy under
// KeyId only, as KMS does, so a Fake also satisfies
// kms.BranchKeyStoreKMSAPI.
func (f *Fake) GenerateDataKeyWithoutPlaintext(_ context.Context, in *awskms.GenerateDataKeyWithoutPlaintextInput, _ ...func(*awskms.Options)) (out *awskms.GenerateDataKeyWithoutPlaintextOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GenerateDataKeyWithoutPlaintext", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GenerateDataKeyWithoutPlaintext", &out, &err)
	k, pt, blob, err := f.dataKey(aws.ToString(in.KeyId), in.NumberOfBytes, in.KeySpec, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	clear(pt)
	return &awskms.GenerateDataKeyWithoutPlaintextOutput{CiphertextBlob: blob, KeyId: aws.String(k.arn)}, nil
}

// dataKey makes a data key of NumberOfBytes n or KeySpec spec and seals it
// under keyID with the encryption context ec. f.mu is held.
func (f *Fake) dataKey(keyID string, n *int32, spec types.DataKeySpec, ec map[string]string) (*key, []byte, []byte, error) {
	k, err := f.usableKey(keyID)
	if err != nil {
		return nil, nil, nil, err
	}
	var size int
	switch {
	case n != nil && spec != "":
		return nil, nil, nil, apiError("ValidationException", "give NumberOfBytes or KeySpec, not both")
	case n != nil:
		size = int(*n)
		if size < 1 || size > 1024 {
			return nil, nil, nil, apiError("ValidationException", "NumberOfBytes must be 1 to 1024")
		}
	case spec == types.DataKeySpecAes256:
		size = 32
	case spec == types.DataKeySpecAes128:
		size = 16
	default:
		return nil, nil, nil, apiError("ValidationException", "give NumberOfBytes or KeySpec AES_128 or AES_256")
	}
	pt := make([]byte, size)
	f.mustRead(pt)
	return k, pt, f.seal(k, pt, ec), nil
}
