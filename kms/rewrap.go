package kms

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// Rewrap copies the message read from src to dst with its data key wrapped
// for the keyring to instead: the header gets new encrypted data keys (and
// a new authentication tag), the body is copied byte for byte, and nothing is
// re-encrypted. The Client's keyring must be able to decrypt the message.
//
// KMS work is constant per message: one call to unwrap the data key, then one
// per key of to. When to is a [KMSKeyring] and the message has KMS-wrapped
// keys, the new copies are made with ReEncrypt, so the plaintext data key is
// not sent to KMS again.
//
// For signed suites Rewrap checks the old signature while copying and signs
// the new message with a new key, in the same single pass. On error, what was
// written to dst is not a valid message: write to a temporary file and
// rename it on success.
func (c *Client) Rewrap(ctx context.Context, dst io.Writer, src io.Reader, to Keyring) error {
	if to == nil {
		return errors.New("kms: Rewrap needs a keyring to wrap for")
	}
	br := bufio.NewReaderSize(src, 64<<10)
	old, err := readHeader(br, c.opts.MaxEncryptedDataKeys)
	if err != nil {
		return err
	}
	if !old.Suite.Committing() && c.opts.CommitmentPolicy != AllowLegacyDecrypt {
		return fmt.Errorf("%w: the message uses %v; set Options.CommitmentPolicy to AllowLegacyDecrypt to re-wrap legacy messages", ErrCommitmentPolicy, old.Suite)
	}
	info, _ := old.Suite.info()
	dataKey, err := c.decryptionKey(ctx, old, old.EncryptionContext)
	if err != nil {
		return err
	}
	aead, commitKey, err := deriveKeys(old.Suite, dataKey, old.MessageID)
	if err != nil {
		return err
	}
	if info.commit {
		if err := checkCommitment(commitKey, old.suiteData); err != nil {
			return err
		}
	}
	iv := old.authIV
	if iv == nil {
		iv = make([]byte, ivLen)
	}
	if !verifyHeader(aead, iv, old, nil) {
		return fmt.Errorf("%w: the header does not verify (messages with required context pairs they do not store cannot be re-wrapped)", ErrAuthentication)
	}

	// The new header: same message ID, suite and body layout, new context
	// (for a new signing key) and new encrypted data keys.
	nh := old.clone()
	var oldPub *ecdsa.PublicKey
	var oldHash hash.Hash
	var sign *signer
	if info.curve != nil {
		if oldPub, err = parsePublicKey(info.curve, old.EncryptionContext[publicKeyKey]); err != nil {
			return err
		}
		oldHash = info.sigHash()
		oldHash.Write(old.bytes())
		priv, pub, err := newSigningKey(info.curve, c.opts.Rand)
		if err != nil {
			return err
		}
		nh.EncryptionContext[publicKeyKey] = pub
		sign = &signer{h: info.sigHash(), priv: priv, rand: c.opts.Rand}
	}
	m := &EncryptionMaterials{Suite: old.Suite, EncryptionContext: nh.EncryptionContext, PlaintextDataKey: dataKey}
	if kr, ok := to.(*KMSKeyring); ok && kr.rewrapKMS(ctx, old, m) {
		// ReEncrypt made every copy.
	} else if err := to.OnEncrypt(ctx, m); err != nil {
		return err
	}
	if len(m.EncryptedDataKeys) == 0 {
		return errors.New("kms: the keyring produced no encrypted data key")
	}
	if max := c.opts.MaxEncryptedDataKeys; max > 0 && len(m.EncryptedDataKeys) > max {
		return fmt.Errorf("%w: the keyring produced %d, the limit is %d", ErrTooManyEncryptedDataKeys, len(m.EncryptedDataKeys), max)
	}
	nh.EncryptedDataKeys = m.EncryptedDataKeys
	if err := sealHeader(nh, aead); err != nil {
		return err
	}

	cp := &bodyCopier{src: br, dst: dst, old: oldHash}
	if sign != nil {
		cp.new = sign.h
	}
	if err := cp.write(nh.bytes()); err != nil {
		return err
	}
	if err := cp.body(old); err != nil {
		return err
	}
	if sign != nil {
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return fmt.Errorf("%w: the message is truncated: the signature is missing", ErrMalformed)
		}
		sig := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(br, sig); err != nil {
			return fmt.Errorf("%w: the message is truncated in the signature", ErrMalformed)
		}
		if err := verifySignature(oldPub, oldHash, sig); err != nil {
			return err
		}
		f, err := sign.footer()
		if err != nil {
			return err
		}
		if _, err := dst.Write(f); err != nil {
			return fmt.Errorf("kms: writing the message: %w", err)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return fmt.Errorf("%w: bytes follow the end of the message", ErrMalformed)
	}
	return nil
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
			if err != nil || !isKeyARN(aws.ToString(out.KeyId)) {
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

// bodyCopier copies a message body from src to dst unchanged, finding its
// end by its structure and feeding the old and new signatures.
type bodyCopier struct {
	src      *bufio.Reader
	dst      io.Writer
	old, new hash.Hash
	buf      []byte
}

func (b *bodyCopier) write(p []byte) error {
	if b.new != nil {
		b.new.Write(p)
	}
	if _, err := b.dst.Write(p); err != nil {
		return fmt.Errorf("kms: writing the message: %w", err)
	}
	return nil
}

// copyN copies n bytes of the body and returns them (valid until the next
// call).
func (b *bodyCopier) copyN(n int) ([]byte, error) {
	if cap(b.buf) < n {
		b.buf = make([]byte, n)
	}
	p := b.buf[:n]
	if _, err := io.ReadFull(b.src, p); err != nil {
		return nil, fmt.Errorf("%w: the message body is truncated", ErrMalformed)
	}
	if b.old != nil {
		b.old.Write(p)
	}
	return p, b.write(p)
}

// copyStream copies n bytes in pieces of at most 1 MiB.
func (b *bodyCopier) copyStream(n int64) error {
	for n > 0 {
		chunk := int(min(n, 1<<20))
		if _, err := b.copyN(chunk); err != nil {
			return err
		}
		n -= int64(chunk)
	}
	return nil
}

func (b *bodyCopier) body(h *Header) error {
	if !h.Framed {
		p, err := b.copyN(ivLen + 8)
		if err != nil {
			return err
		}
		n := binary.BigEndian.Uint64(p[ivLen:])
		if n > maxNonFramed {
			return fmt.Errorf("%w: the body claims %d bytes, over the format's limit", ErrMalformed, n)
		}
		return b.copyStream(int64(n) + tagLen)
	}
	for seq := uint32(1); ; seq++ {
		p, err := b.copyN(4)
		if err != nil {
			return err
		}
		if binary.BigEndian.Uint32(p) != finalMarker {
			if binary.BigEndian.Uint32(p) != seq {
				return fmt.Errorf("%w: frame %d arrived where frame %d belongs", ErrAuthentication, binary.BigEndian.Uint32(p), seq)
			}
			if err := b.copyStream(int64(ivLen + h.FrameLength + tagLen)); err != nil {
				return err
			}
			continue
		}
		p, err = b.copyN(4 + ivLen + 4)
		if err != nil {
			return err
		}
		if binary.BigEndian.Uint32(p) != seq {
			return fmt.Errorf("%w: the final frame is numbered %d where frame %d belongs", ErrAuthentication, binary.BigEndian.Uint32(p), seq)
		}
		n := int(binary.BigEndian.Uint32(p[4+ivLen:]))
		if n > h.FrameLength {
			return fmt.Errorf("%w: the final frame claims %d bytes; frames hold at most %d", ErrMalformed, n, h.FrameLength)
		}
		return b.copyStream(int64(n + tagLen))
	}
}
