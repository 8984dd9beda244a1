package kms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// Rewrap copies the message read from src to dst with its data key wrapped
// for the keyring to instead. The Client's keyring must be able to decrypt
// the message.
//
// The new message keeps the data key, the suite, the encryption context and
// the frame length (a non-framed message comes out framed, in
// Options.FrameSize frames), but it gets a new message ID, so that it
// derives keys of its own: the format fixes the header's IV, and no derived
// key may ever authenticate two different headers (with both, anyone could
// forge header tags for it, and change the context of an unsigned message
// undetected). So the body is opened and sealed again, frame by frame, in
// the same streaming pass: Rewrap costs about a DecryptReader plus an
// EncryptWriter in CPU (AES-GCM both ways; for signed suites the old
// signature checked and a new one made with a new key), memory stays a few
// batches of frames (as DecryptReader's), and KMS work is constant per
// message: one call to unwrap the data key, then one per key of to. When to
// is a [KMSKeyring] and the message has KMS-wrapped keys, the new copies
// are made with ReEncrypt, so the plaintext data key is not sent to KMS
// again.
//
// Messages in the legacy suites without key derivation (0x0014, 0x0046,
// 0x0078) encrypt with the data key itself, whatever the message ID, so
// they cannot keep their data key: Rewrap refuses them; decrypt them and
// encrypt again. So are messages whose header authenticates context pairs
// it does not store (a required encryption context): Rewrap takes none, so
// a Client with Options.RequiredEncryptionContextKeys refuses every message.
//
// On error, what was written to dst is not a valid message: write to a
// temporary file and rename it on success.
func (c *Client) Rewrap(ctx context.Context, dst io.Writer, src io.Reader, to Keyring) error {
	if to == nil {
		return errors.New("kms: Rewrap needs a keyring to wrap for")
	}
	src = progressReader{src}
	br := newReadBuffer(src, -1)
	o, err := c.openHeader(ctx, br, nil)
	if err != nil {
		return err
	}
	old := o.h
	if o.info.kdf == nil {
		return fmt.Errorf("kms: Rewrap cannot move a message in suite %v: it encrypts with the data key itself, so new frames under the same data key would reuse its nonces; decrypt it and encrypt it again", old.Suite)
	}
	m := &encMaterials{EncryptionMaterials: EncryptionMaterials{Suite: old.Suite, EncryptionContext: cloneContext(old.EncryptionContext)}}
	delete(m.EncryptionContext, publicKeyKey)
	if o.info.curve != nil {
		priv, pub, err := newSigningKey(o.info.curve, c.opts.Rand)
		if err != nil {
			return err
		}
		m.signKey = priv
		m.EncryptionContext[publicKeyKey] = pub
	}
	m.PlaintextDataKey = o.dataKey
	if kr, ok := to.(*KMSKeyring); ok && kr.rewrapKMS(ctx, old, &m.EncryptionMaterials) {
		// ReEncrypt made every copy.
	} else if err := to.OnEncrypt(ctx, &m.EncryptionMaterials); err != nil {
		return err
	}
	if !bytes.Equal(m.PlaintextDataKey, o.dataKey) {
		return errors.New("kms: the keyring replaced the data key it was given")
	}
	if err := c.checkEDKCount("the keyring produced", len(m.EncryptedDataKeys)); err != nil {
		return err
	}
	frameLen := old.FrameLength
	if !old.Framed {
		frameLen = c.opts.FrameSize
	}
	w, err := c.writeMessage(ctx, dst, m, frameLen, nil)
	if err != nil {
		return err
	}
	if _, err := c.bodyReader(ctx, bodySource(br, src), o, -1).WriteTo(w); err != nil {
		w.abort()
		return err
	}
	return w.Close()
}

// rewrapKMS makes the new copies with ReEncrypt from one of the message's
// KMS-wrapped keys. It reports false, having changed nothing, when that is
// not possible, and OnEncrypt should be used instead.
func (k *KMSKeyring) rewrapKMS(ctx context.Context, old *Header, m *EncryptionMaterials) bool {
	dests := k.keyIDs
	if k.generator != "" {
		dests = append([]string{k.generator}, dests...)
	}
	for _, e := range old.EncryptedDataKeys {
		if e.ProviderID != kmsProviderID || !isKeyARN(string(e.ProviderInfo)) {
			continue
		}
		var edks []EncryptedDataKey
		for _, d := range dests {
			out, err := k.client.ReEncrypt(ctx, &awskms.ReEncryptInput{
				CiphertextBlob:               e.Ciphertext,
				SourceKeyId:                  aws.String(string(e.ProviderInfo)),
				SourceEncryptionContext:      old.EncryptionContext,
				DestinationKeyId:             aws.String(d),
				DestinationEncryptionContext: m.EncryptionContext,
				GrantTokens:                  k.grants,
			})
			if err != nil || !isKeyARN(aws.ToString(out.KeyId)) || len(out.CiphertextBlob) == 0 {
				edks = nil
				break
			}
			edks = append(edks, EncryptedDataKey{ProviderID: kmsProviderID, ProviderInfo: []byte(aws.ToString(out.KeyId)), Ciphertext: out.CiphertextBlob})
		}
		if len(edks) == len(dests) {
			m.EncryptedDataKeys = append(m.EncryptedDataKeys, edks...)
			return true
		}
	}
	return false
}
