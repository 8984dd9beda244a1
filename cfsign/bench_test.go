package cfsign_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"testing"

	awssign "github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/kumo-go/kumo/cfsign"
)

const benchURL = "https://d111111abcdef8.cloudfront.net/videos/intro.mp4?quality=hd"

// BenchmarkBaselineRSASignPKCS1v15 is the floor under an RSA-2048 SHA-1
// signed URL: the signature alone, over a canned-policy-sized message.
func BenchmarkBaselineRSASignPKCS1v15(b *testing.B) {
	msg := []byte(`{"Statement":[{"Resource":"` + benchURL + `","Condition":{"DateLessThan":{"AWS:EpochTime":1795352400}}}]}`)
	for range b.N {
		d := sha1.Sum(msg)
		if _, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA1, d[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineSDKURLSigner is aws-sdk-go-v2's feature/cloudfront/sign.
func BenchmarkBaselineSDKURLSigner(b *testing.B) {
	s := awssign.NewURLSigner("KRSA", rsaKey)
	for range b.N {
		if _, err := s.Sign(benchURL, later); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignURL(b *testing.B) {
	for _, tt := range []struct {
		name string
		key  crypto.Signer
		hash cfsign.Hash
	}{
		{"rsa2048-sha1", rsaKey, cfsign.SHA1},
		{"rsa2048-sha256", rsaKey, cfsign.SHA256},
		{"ecdsa-p256-sha256", ecKey, cfsign.SHA256},
	} {
		b.Run(tt.name, func(b *testing.B) {
			s, err := cfsign.New("K", tt.key, clock, func(o *cfsign.Options) { o.Hash = tt.hash })
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				if _, err := s.SignURL(benchURL, later); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
