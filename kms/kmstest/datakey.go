package kmstest

import (
	"context"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// GenerateDataKeyWithoutPlaintext returns a fresh data key's copy under
// KeyId only, as KMS does, so a Fake also satisfies
// kms.BranchKeyStoreKMSAPI. It is GenerateDataKey without the plaintext:
// calls are counted, hooked and failed (FailNext) as "GenerateDataKey".
func (f *Fake) GenerateDataKeyWithoutPlaintext(ctx context.Context, in *awskms.GenerateDataKeyWithoutPlaintextInput, optFns ...func(*awskms.Options)) (*awskms.GenerateDataKeyWithoutPlaintextOutput, error) {
	if in == nil {
		in = &awskms.GenerateDataKeyWithoutPlaintextInput{}
	}
	out, err := f.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId: in.KeyId, NumberOfBytes: in.NumberOfBytes, KeySpec: in.KeySpec,
		EncryptionContext: in.EncryptionContext, GrantTokens: in.GrantTokens,
	}, optFns...)
	if err != nil {
		return nil, err
	}
	clear(out.Plaintext)
	return &awskms.GenerateDataKeyWithoutPlaintextOutput{CiphertextBlob: out.CiphertextBlob, KeyId: out.KeyId}, nil
}
