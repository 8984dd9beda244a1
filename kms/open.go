package kms

import (
	"context"
	"crypto/cipher"
	"crypto/ecdsa"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
)

// openedHeader is a message whose header verified: what reading its body
// needs. Decrypt, DecryptReader and Rewrap all get it from openHeader.
type openedHeader struct {
	h       *Header
	info    suiteInfo
	dataKey []byte
	aead    cipher.AEAD
	pub     *ecdsa.PublicKey // signed suites
	sig     hash.Hash        // signed suites: already fed the header
	// full is the whole authenticated context: the pairs stored and the
	// required pairs the header authenticates without storing them, whose
	// keys are notStored (sorted).
	full      map[string]string
	notStored []string
}

// openHeader reads a header from r and opens it: the one place that checks
// the encrypted data key count, the commitment policy and the required
// context, asks the keyring for the data key, derives the keys, checks the
// key commitment and verifies the header tag, with the compatibility
// fallbacks the official SDKs apply. required may be nil.
func (c *Client) openHeader(ctx context.Context, r io.Reader, required map[string]string) (*openedHeader, error) {
	for k := range required {
		if strings.HasPrefix(k, reservedPrefix) {
			return nil, fmt.Errorf("%w: required key %q uses the reserved prefix %q", ErrEncryptionContext, k, reservedPrefix)
		}
	}
	if err := missingKeys(c.opts.RequiredEncryptionContextKeys, required, "the required context"); err != nil {
		return nil, err
	}
	h, err := readHeader(r, c.opts.MaxEncryptedDataKeys)
	if err != nil {
		return nil, err
	}
	if !h.Suite.Committing() && c.opts.CommitmentPolicy != AllowLegacyDecrypt {
		return nil, fmt.Errorf("%w: the message uses %v, which does not commit to its key; set Options.CommitmentPolicy to AllowLegacyDecrypt to read legacy messages", ErrCommitmentPolicy, h.Suite)
	}
	info, _ := h.Suite.info()
	o := &openedHeader{h: h, info: info}
	stored, hasPub := h.EncryptionContext[publicKeyKey]
	if hasPub != (info.curve != nil) {
		return nil, fmt.Errorf("%w: the %s of a message in suite %v is missing or out of place", ErrMalformed, publicKeyKey, h.Suite)
	}
	if hasPub {
		if o.pub, err = parsePublicKey(info.curve, stored); err != nil {
			return nil, err
		}
	}

	// The full context is what the message stores plus the required pairs
	// it does not store; those are authenticated with the header.
	full := cloneContext(h.EncryptionContext)
	authOnly := map[string]string{}
	var mismatched []string
	for k, v := range required {
		sv, ok := h.EncryptionContext[k]
		switch {
		case !ok:
			full[k], authOnly[k] = v, v
		case sv != v:
			mismatched = append(mismatched, k)
		}
	}
	if len(mismatched) > 0 {
		sort.Strings(mismatched)
		return nil, fmt.Errorf("%w: the message's context has other values for %s", ErrEncryptionContext, strings.Join(mismatched, ", "))
	}
	extra, err := serializeContext(authOnly)
	if err != nil {
		return nil, err
	}

	if o.dataKey, err = c.decryptionKey(ctx, h, full); err != nil {
		return nil, err
	}
	aead, commitKey, err := deriveKeys(h.Suite, o.dataKey, h.MessageID)
	if err != nil {
		return nil, err
	}
	if info.commit {
		if err := checkCommitment(commitKey, h.suiteData); err != nil {
			return nil, err
		}
	}
	iv := h.authIV
	if iv == nil {
		iv = make([]byte, ivLen)
	}
	verified := verifyHeader(aead, iv, h, extra)
	if !verified && info.version == 1 && info.kdf != nil {
		if compat, err := deriveNetV400Key(h.Suite, o.dataKey); err == nil && verifyHeader(compat, iv, h, extra) {
			aead, verified = compat, true
		}
	}
	if !verified {
		if len(authOnly) > 0 {
			return nil, fmt.Errorf("%w: the header does not verify (or a required pair the message does not store is wrong)", ErrAuthentication)
		}
		return nil, fmt.Errorf("%w: the header does not verify", ErrAuthentication)
	}
	o.aead, o.full = aead, full
	if len(authOnly) > 0 {
		o.notStored = slices.Sorted(maps.Keys(authOnly))
	}
	if info.curve != nil {
		o.sig = info.sigHash()
		o.sig.Write(h.bytes())
	}
	return o, nil
}

// verifyHeader checks the header's tag over its body and the serialized
// required pairs it does not store. The AWS Encryption SDK for .NET 4.0.0
// serialized an empty set of those pairs as a zero count (00 00) instead of
// nothing; every official SDK accepts its messages, so kumo does too.
func verifyHeader(aead cipher.AEAD, iv []byte, h *Header, extra []byte) bool {
	aad := append(append(make([]byte, 0, len(h.body)+len(extra)+2), h.body...), extra...)
	if _, err := aead.Open(nil, iv, h.authTag, aad); err == nil {
		return true
	}
	if len(extra) > 0 {
		return false
	}
	_, err := aead.Open(nil, iv, h.authTag, append(aad, 0, 0))
	return err == nil
}
