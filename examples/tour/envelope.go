package main

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// awsConfig points SDK clients at the emulator with its test credentials.
func awsConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: awscreds.NewStaticCredentialsProvider("test", "test", "")}
}

// countingKMS counts GenerateDataKey calls, whichever KMS is behind it.
type countingKMS struct {
	kms.KMSAPI
	generated atomic.Int64
}

func (c *countingKMS) GenerateDataKey(ctx context.Context, in *awskms.GenerateDataKeyInput, opts ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error) {
	c.generated.Add(1)
	return c.KMSAPI.GenerateDataKey(ctx, in, opts...)
}

// tourKMS returns a KMS (the in-process fake, or the emulator's) and two
// new keys in it.
func tourKMS(ctx context.Context, g *guide) (kms.KMSAPI, string, string, error) {
	if g.endpoint == "" {
		fake := kmstest.New()
		return fake, fake.CreateKey(), fake.CreateKey(), nil
	}
	client := awskms.NewFromConfig(awsConfig(g.endpoint))
	var arns []string
	for range 2 {
		out, err := client.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("kumo tour")})
		if err != nil {
			return nil, "", "", err
		}
		arns = append(arns, aws.ToString(out.KeyMetadata.Arn))
	}
	return client, arns[0], arns[1], nil
}

func envelopeStop(ctx context.Context, g *guide) error {
	api, keyA, keyB, err := tourKMS(ctx, g)
	if err != nil {
		return err
	}
	counted := &countingKMS{KMSAPI: api}
	keyring, err := kms.NewKMSKeyring(counted, keyA)
	if err != nil {
		return err
	}
	client, err := kms.New(keyring)
	if err != nil {
		return err
	}
	ec := map[string]string{"tenant": "acme", "doc": "invoice-42"}
	g.say("A KMS keyring on key %s; encrypting a document under the context %v.", keyA, ec)
	msg, err := client.Encrypt(ctx, []byte("Invoice 42: 1,000 EUR"), ec)
	if err != nil {
		return err
	}
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	if err != nil {
		return err
	}
	g.say("The message (%d bytes) is in the AWS Encryption SDK format: suite %v,", len(msg), h.Suite)
	g.say("  one data key wrapped by %s, the context stored in the clear.", h.EncryptedDataKeys[0].ProviderID)
	plain, err := client.Decrypt(ctx, msg, map[string]string{"tenant": "acme"})
	if err != nil {
		return err
	}
	g.say("Decrypt, requiring tenant=acme: %q", plain)
	_, err = client.Decrypt(ctx, msg, map[string]string{"tenant": "globex"})
	g.say("Decrypt, requiring tenant=globex, is refused: %v", err)

	bad := bytes.Clone(msg)
	bad[len(bad)-20] ^= 1
	_, err = client.Decrypt(ctx, bad, nil)
	g.say("One flipped bit anywhere is caught: %v", err)

	// Streaming: memory stays a few frames whatever the size.
	var sealed bytes.Buffer
	w, err := client.EncryptWriter(ctx, &sealed, ec)
	if err != nil {
		return err
	}
	const size = 8 << 20
	if _, err := io.Copy(w, io.LimitReader(zeros{}, size)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	r, err := client.DecryptReader(ctx, bytes.NewReader(sealed.Bytes()), ec)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	g.say("EncryptWriter and DecryptReader streamed %d MiB through 4 KiB frames and back.", n>>20)

	// Caching: many messages, one data key.
	cache, err := kms.NewCache(func(o *kms.CacheOptions) { o.MaxMessages = 1000 })
	if err != nil {
		return err
	}
	cached, err := kms.New(keyring, func(o *kms.Options) { o.Cache = cache })
	if err != nil {
		return err
	}
	before := counted.generated.Load()
	for range 500 {
		if _, err := cached.Encrypt(ctx, []byte("event"), map[string]string{"stream": "clicks"}); err != nil {
			return err
		}
	}
	g.say("With a Cache, 500 messages cost %d GenerateDataKey call(s).", counted.generated.Load()-before)

	// Re-wrapping for another key: one KMS unwrap, the same data key, a new
	// message ID (so new derived keys) and the frames sealed again.
	to, err := kms.NewKMSKeyring(api, keyB)
	if err != nil {
		return err
	}
	var moved bytes.Buffer
	if err := client.Rewrap(ctx, &moved, bytes.NewReader(msg), to); err != nil {
		return err
	}
	nc, err := kms.New(to)
	if err != nil {
		return err
	}
	plain, err = nc.Decrypt(ctx, moved.Bytes(), ec)
	if err != nil {
		return err
	}
	g.say("Rewrap moved the message to key %s with one KMS unwrap, its frames sealed again under a new message ID: %q", keyB, plain)
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
