package kms_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// BenchmarkKMSRSAKeyringOnEncrypt is the KMS RSA keyring's work per
// message (a data key, the context digest, one OAEP encryption), beside
// BenchmarkRSAEncryptOAEPBaseline, the OAEP encryption alone.
func BenchmarkKMSRSAKeyringOnEncrypt(b *testing.B) {
	fake := kmstest.New()
	keyARN, err := fake.ImportRSAKey(testRSAKey(b))
	if err != nil {
		b.Fatal(err)
	}
	k, err := kms.NewKMSRSAKeyring(nil, keyARN, types.EncryptionAlgorithmSpecRsaesOaepSha256,
		func(o *kms.KMSRSAOptions) { o.PublicKey = &testRSAKey(b).PublicKey })
	if err != nil {
		b.Fatal(err)
	}
	ec := map[string]string{"tenant": "acme", "purpose": "bench"}
	b.ReportAllocs()
	for b.Loop() {
		m := &kms.EncryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: ec}
		if err := k.OnEncrypt(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSAEncryptOAEPBaseline(b *testing.B) {
	pub := &testRSAKey(b).PublicKey
	msg := make([]byte, 48+32)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil); err != nil {
			b.Fatal(err)
		}
	}
}
