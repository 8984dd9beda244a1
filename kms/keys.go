package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// deriveKeys turns a message's data key into its AES-GCM cipher and, for
// committing suites, the commitment key, as the specification's key
// derivation requires:
//   - no KDF: the data key itself;
//   - HKDF (format 1): zero salt, info = suite ID || message ID;
//   - committing (format 2): salt = message ID; the encryption key's info is
//     suite ID || "DERIVEKEY", the commitment key's "COMMITKEY".
func deriveKeys(s Suite, dataKey, messageID []byte) (cipher.AEAD, []byte, error) {
	return derive(s, dataKey, messageID, false)
}

// deriveNetV400Key derives a format-1 HKDF key the way the AWS Encryption
// SDK for .NET 4.0.0 did, with the suite ID alone as info. The official SDKs
// read its messages, so a reader under AllowLegacyDecrypt falls back to it
// when the header does not verify otherwise.
func deriveNetV400Key(s Suite, dataKey []byte) (cipher.AEAD, error) {
	aead, _, err := derive(s, dataKey, nil, true)
	return aead, err
}

func derive(s Suite, dataKey, messageID []byte, netV400 bool) (cipher.AEAD, []byte, error) {
	info, ok := s.info()
	if !ok {
		return nil, nil, fmt.Errorf("kms: unknown suite %v", s)
	}
	if len(dataKey) != info.keyLen {
		return nil, nil, fmt.Errorf("kms: the data key is %d bytes; suite %v needs %d", len(dataKey), s, info.keyLen)
	}
	id := binary.BigEndian.AppendUint16(nil, uint16(s))
	var key, commitKey []byte
	var err error
	switch {
	case info.commit:
		prk, perr := hkdf.Extract(sha512.New, dataKey, messageID)
		if perr != nil {
			return nil, nil, perr
		}
		if key, err = hkdf.Expand(sha512.New, prk, string(id)+"DERIVEKEY", info.keyLen); err != nil {
			return nil, nil, err
		}
		if commitKey, err = hkdf.Expand(sha512.New, prk, "COMMITKEY", info.suiteData); err != nil {
			return nil, nil, err
		}
	case info.kdf != nil:
		hkdfInfo := string(id) + string(messageID)
		if netV400 {
			hkdfInfo = string(id)
		}
		if key, err = hkdf.Key(info.kdf, dataKey, nil, hkdfInfo, info.keyLen); err != nil {
			return nil, nil, err
		}
	default:
		key = dataKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	return aead, commitKey, nil
}

// checkCommitment compares, in constant time, the commitment key derived
// from the data key with the one the header carries.
func checkCommitment(derived, stored []byte) error {
	if subtle.ConstantTimeCompare(derived, stored) != 1 {
		return fmt.Errorf("%w: the data key does not match the message's key commitment", ErrAuthentication)
	}
	return nil
}
