package kms

import (
	"encoding/binary"
)

// Body AAD content strings, from the specification's message body AAD.
const (
	aadFrame      = "AWSKMSEncryptionClient Frame"
	aadFinalFrame = "AWSKMSEncryptionClient Final Frame"
	aadSingle     = "AWSKMSEncryptionClient Single Block"
)

const (
	finalMarker = 0xFFFFFFFF
	// maxNonFramed is the format's limit on non-framed content: 2^36 - 32.
	maxNonFramed = 1<<36 - 32
)

// bodyAAD builds the AAD of one frame: message ID, content string, sequence
// number and plaintext length, appended to buf.
func bodyAAD(buf, messageID []byte, content string, seq uint32, n int) []byte {
	buf = append(buf[:0], messageID...)
	buf = append(buf, content...)
	buf = binary.BigEndian.AppendUint32(buf, seq)
	return binary.BigEndian.AppendUint64(buf, uint64(n))
}

// frameNonce is the IV kumo writes for frame seq: the sequence number,
// big-endian, in the last four of twelve bytes. Readers take the IV from the
// frame, as the specification says, whatever it is.
func frameNonce(nonce []byte, seq uint32) []byte {
	nonce = append(nonce[:0], 0, 0, 0, 0, 0, 0, 0, 0)
	return binary.BigEndian.AppendUint32(nonce, seq)
}

// regularFrameSize is the serialized size of a regular frame.
func regularFrameSize(frameLen int) int { return 4 + ivLen + frameLen + tagLen }

// finalFrameSize is the serialized size of a final frame holding n bytes.
func finalFrameSize(n int) int { return 4 + 4 + ivLen + 4 + n + tagLen }
