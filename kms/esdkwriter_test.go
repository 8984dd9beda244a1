package kms

// An independent AWS Encryption SDK message writer, for the hostile-message
// tests and fuzz seeds. It is written from the specification
// (github.com/awslabs/aws-encryption-sdk-specification:
// data-format/message-header.md, message-body.md, message-body-aad.md,
// message-footer.md; framework/algorithm-suites.md; the raw AES keyring)
// with the standard library only, and shares no code with kumo's encoder:
// nothing here may call a function of package kms. It can write what kumo
// never does (non-framed bodies, message format 1, every suite, any frame
// length, 65,535 encrypted data keys, the .NET 4.0.0 key derivation) and
// lie in any field.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"io"
	"sort"
)

type twSuite struct {
	id      uint16
	version byte
	keyLen  int
	kdf     func() hash.Hash // nil: the data key is the key
	commit  bool
	curve   elliptic.Curve
	sigHash func() hash.Hash
}

var twSuites = []twSuite{
	{0x0014, 1, 16, nil, false, nil, nil},
	{0x0046, 1, 24, nil, false, nil, nil},
	{0x0078, 1, 32, nil, false, nil, nil},
	{0x0114, 1, 16, sha256.New, false, nil, nil},
	{0x0146, 1, 24, sha256.New, false, nil, nil},
	{0x0178, 1, 32, sha256.New, false, nil, nil},
	{0x0214, 1, 16, sha256.New, false, elliptic.P256(), sha256.New},
	{0x0346, 1, 24, sha512.New384, false, elliptic.P384(), sha512.New384},
	{0x0378, 1, 32, sha512.New384, false, elliptic.P384(), sha512.New384},
	{0x0478, 2, 32, sha512.New, true, nil, nil},
	{0x0578, 2, 32, sha512.New, true, elliptic.P384(), sha512.New384},
}

func twSuiteOf(id uint16) twSuite {
	for _, s := range twSuites {
		if s.id == id {
			return s
		}
	}
	panic("unknown suite")
}

// The raw AES wrapping key the tests' keyrings share with the writer.
var (
	twWrapKey   = []byte("0123456789abcdef0123456789abcdef")
	twNamespace = "tw-ns"
	twKeyName   = "tw-key"
)

type twEDK struct {
	providerID   string
	providerInfo []byte
	ciphertext   []byte
}

// twMessage says what to write. Zero values mean: a random message ID and
// data key, one EDK wrapping the data key for twWrapKey.
type twMessage struct {
	suite     uint16
	messageID []byte
	dataKey   []byte
	ec        map[string]string // without aws-crypto-public-key
	edks      []twEDK           // replaces the default EDK when set
	frameLen  uint32            // 0: non-framed
	netV400   bool              // format 1: the .NET 4.0.0 derivation (info = suite ID only)
	signKey   *ecdsa.PrivateKey // signed suites: made when nil
}

// twEncoder writes one message piece by piece.
type twEncoder struct {
	s         twSuite
	m         twMessage
	aead      cipher.AEAD
	key       []byte // the derived encryption key
	commitKey []byte
	fullEC    map[string]string
	sig       hash.Hash
	headerIV  []byte
	iv        []byte // scratch, so that frames cost no allocation
	aad       []byte
}

func twSerializeEC(ec map[string]string) []byte {
	if len(ec) == 0 {
		return nil
	}
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := binary.BigEndian.AppendUint16(nil, uint16(len(keys)))
	for _, k := range keys {
		b = binary.BigEndian.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(ec[k])))
		b = append(b, ec[k]...)
	}
	return b
}

func twGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

// twWrapAES wraps a data key as the raw AES keyring does: AES-GCM under the
// wrapping key, the serialized context as AAD; provider info is the key
// name, the tag length in bits and the IV length (each 4 bytes), the IV.
func twWrapAES(dataKey []byte, fullEC map[string]string) twEDK {
	iv := make([]byte, 12)
	rand.Read(iv)
	info := append([]byte(twKeyName), 0, 0, 0, 128, 0, 0, 0, 12)
	info = append(info, iv...)
	ct := twGCM(twWrapKey).Seal(nil, iv, dataKey, twSerializeEC(fullEC))
	return twEDK{providerID: twNamespace, providerInfo: info, ciphertext: ct}
}

// twUnwrapAES is the reverse, for the tests that check derived keys.
func twUnwrapAES(e twEDK, fullEC map[string]string) ([]byte, bool) {
	if e.providerID != twNamespace || len(e.providerInfo) != len(twKeyName)+8+12 {
		return nil, false
	}
	pt, err := twGCM(twWrapKey).Open(nil, e.providerInfo[len(twKeyName)+8:], e.ciphertext, twSerializeEC(fullEC))
	return pt, err == nil
}

// twDerive derives the encryption key and, for committing suites, the
// commitment key, as the specification's framework/algorithm-suites.md
// says.
func twDerive(s twSuite, dataKey, messageID []byte, netV400 bool) (key, commitKey []byte) {
	id := binary.BigEndian.AppendUint16(nil, s.id)
	switch {
	case s.commit:
		prk, err := hkdf.Extract(sha512.New, dataKey, messageID)
		if err != nil {
			panic(err)
		}
		key, _ = hkdf.Expand(sha512.New, prk, string(id)+"DERIVEKEY", s.keyLen)
		commitKey, _ = hkdf.Expand(sha512.New, prk, "COMMITKEY", 32)
	case s.kdf != nil:
		info := string(id) + string(messageID)
		if netV400 {
			info = string(id)
		}
		key, _ = hkdf.Key(s.kdf, dataKey, nil, info, s.keyLen)
	default:
		key = dataKey
	}
	return key, commitKey
}

func newTWEncoder(m twMessage) *twEncoder {
	e := &twEncoder{s: twSuiteOf(m.suite), m: m}
	if e.m.messageID == nil {
		e.m.messageID = make([]byte, map[byte]int{1: 16, 2: 32}[e.s.version])
		rand.Read(e.m.messageID)
	}
	if e.m.dataKey == nil {
		e.m.dataKey = make([]byte, e.s.keyLen)
		rand.Read(e.m.dataKey)
	}
	e.fullEC = map[string]string{}
	for k, v := range m.ec {
		e.fullEC[k] = v
	}
	if e.s.curve != nil {
		if e.m.signKey == nil {
			e.m.signKey, _ = ecdsa.GenerateKey(e.s.curve, rand.Reader)
		}
		pub := e.m.signKey.PublicKey
		size := (pub.Curve.Params().BitSize + 7) / 8
		point := make([]byte, 1+size)
		point[0] = 2 | byte(pub.Y.Bit(0))
		pub.X.FillBytes(point[1:])
		e.fullEC["aws-crypto-public-key"] = base64.StdEncoding.EncodeToString(point)
		e.sig = e.s.sigHash()
	}
	if e.m.edks == nil {
		e.m.edks = []twEDK{twWrapAES(e.m.dataKey, e.fullEC)}
	}
	e.key, e.commitKey = twDerive(e.s, e.m.dataKey, e.m.messageID, m.netV400)
	e.aead = twGCM(e.key)
	return e
}

// headerBody is the serialized header body.
func (e *twEncoder) headerBody() []byte {
	b := []byte{e.s.version}
	if e.s.version == 1 {
		b = append(b, 0x80)
	}
	b = binary.BigEndian.AppendUint16(b, e.s.id)
	b = append(b, e.m.messageID...)
	ec := twSerializeEC(e.fullEC)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ec)))
	b = append(b, ec...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.m.edks)))
	for _, k := range e.m.edks {
		for _, f := range [][]byte{[]byte(k.providerID), k.providerInfo, k.ciphertext} {
			b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
			b = append(b, f...)
		}
	}
	if e.m.frameLen == 0 {
		b = append(b, 0x01)
	} else {
		b = append(b, 0x02)
	}
	if e.s.version == 1 {
		b = append(b, 0, 0, 0, 0, 12)
	}
	b = binary.BigEndian.AppendUint32(b, e.m.frameLen)
	if e.s.version == 2 {
		b = append(b, e.commitKey...)
	}
	return b
}

// header is the whole header: body, then (format 1) the IV and the tag.
// aadSuffix is appended to the AAD only: .NET 4.0.0 appended 00 00.
func (e *twEncoder) header(aadSuffix ...byte) []byte {
	body := e.headerBody()
	e.headerIV = make([]byte, 12)
	tag := e.aead.Seal(nil, e.headerIV, nil, append(append([]byte(nil), body...), aadSuffix...))
	out := body
	if e.s.version == 1 {
		out = append(out, e.headerIV...)
	}
	return e.emit(append(out, tag...))
}

func (e *twEncoder) emit(b []byte) []byte {
	if e.sig != nil {
		e.sig.Write(b)
	}
	return b
}

func (e *twEncoder) bodyAAD(content string, seq uint32, n int) []byte {
	aad := append(append([]byte(nil), e.m.messageID...), content...)
	aad = binary.BigEndian.AppendUint32(aad, seq)
	return binary.BigEndian.AppendUint64(aad, uint64(n))
}

// frame is one serialized frame of pt.
func (e *twEncoder) frame(seq uint32, pt []byte, final bool) []byte {
	return e.appendFrame(nil, seq, pt, final)
}

// appendFrame appends frame seq of pt to dst, without allocating when dst
// has room.
func (e *twEncoder) appendFrame(dst []byte, seq uint32, pt []byte, final bool) []byte {
	start := len(dst)
	if e.iv == nil {
		e.iv, e.aad = make([]byte, 12), make([]byte, 0, 128)
	}
	iv := e.iv
	binary.BigEndian.PutUint32(iv[8:], seq)
	content := "AWSKMSEncryptionClient Frame"
	if final {
		content = "AWSKMSEncryptionClient Final Frame"
		dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
	}
	dst = binary.BigEndian.AppendUint32(dst, seq)
	dst = append(dst, iv...)
	if final {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(pt)))
	}
	a := append(append(e.aad[:0], e.m.messageID...), content...)
	a = binary.BigEndian.AppendUint32(a, seq)
	a = binary.BigEndian.AppendUint64(a, uint64(len(pt)))
	e.aad = a
	dst = e.aead.Seal(dst, iv, pt, a)
	e.emit(dst[start:])
	return dst
}

// nonFramed is a whole non-framed body.
func (e *twEncoder) nonFramed(pt []byte) []byte {
	iv := make([]byte, 12)
	rand.Read(iv)
	b := append([]byte(nil), iv...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(pt)))
	return e.emit(e.aead.Seal(b, iv, pt, e.bodyAAD("AWSKMSEncryptionClient Single Block", 1, len(pt))))
}

// footer is the signature of signed suites, nil otherwise.
func (e *twEncoder) footer() []byte {
	if e.sig == nil {
		return nil
	}
	sig, err := ecdsa.SignASN1(rand.Reader, e.m.signKey, e.sig.Sum(nil))
	if err != nil {
		panic(err)
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(sig))), sig...)
}

// twWrite writes a whole message of pt: non-framed when m.frameLen is 0,
// else frames of m.frameLen, the last one final with the remaining 0 to
// frameLen bytes.
func twWrite(m twMessage, pt []byte) []byte {
	e := newTWEncoder(m)
	out := e.header()
	if m.frameLen == 0 {
		out = append(out, e.nonFramed(pt)...)
		return append(out, e.footer()...)
	}
	fl := int(m.frameLen)
	seq := uint32(1)
	for len(pt) > fl {
		out = append(out, e.frame(seq, pt[:fl], false)...)
		pt, seq = pt[fl:], seq+1
	}
	out = append(out, e.frame(seq, pt, true)...)
	return append(out, e.footer()...)
}

// twStream is a message of n frames of frameLen bytes of zeros (the last
// final), made as it is read without allocating, so huge messages cost no
// memory.
type twStream struct {
	e      *twEncoder
	n, seq uint32
	pt     []byte
	buf    []byte // buf[off:] is not read yet
	off    int
	done   bool
}

func newTWStream(m twMessage, frames uint32) *twStream {
	e := newTWEncoder(m)
	buf := make([]byte, 0, 64<<10)
	return &twStream{e: e, n: frames, seq: 1, pt: make([]byte, m.frameLen), buf: append(buf, e.header()...)}
}

func (s *twStream) Read(p []byte) (int, error) {
	for s.off == len(s.buf) {
		if s.done {
			return 0, io.EOF
		}
		s.buf, s.off = s.buf[:0], 0
		for len(s.buf) < 32<<10 && !s.done {
			final := s.seq == s.n
			s.buf = s.e.appendFrame(s.buf, s.seq, s.pt, final)
			s.seq++
			if final {
				s.buf = append(s.buf, s.e.footer()...)
				s.done = true
			}
		}
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

// twParsed is what twParse finds in a message: enough to check which
// (derived key, IV) pairs it uses.
type twParsed struct {
	s          twSuite
	messageID  []byte
	fullEC     map[string]string
	edks       []twEDK
	headerBody []byte
	headerIV   []byte
	frameIVs   [][]byte
	frameBlobs [][]byte // each frame's sequence number, length and ciphertext
}

// twParse parses a framed or non-framed message, trusting it.
func twParse(msg []byte) twParsed {
	var p twParsed
	off := 0
	take := func(n int) []byte { b := msg[off : off+n]; off += n; return b }
	u16 := func() int { return int(binary.BigEndian.Uint16(take(2))) }
	u32 := func() uint32 { return binary.BigEndian.Uint32(take(4)) }
	version := take(1)[0]
	if version == 1 {
		take(1)
	}
	p.s = twSuiteOf(uint16(u16()))
	p.messageID = take(map[byte]int{1: 16, 2: 32}[version])
	ec := take(u16())
	p.fullEC = map[string]string{}
	if len(ec) > 0 {
		r := ec[2:]
		for range int(binary.BigEndian.Uint16(ec)) {
			kl := int(binary.BigEndian.Uint16(r))
			k := string(r[2 : 2+kl])
			r = r[2+kl:]
			vl := int(binary.BigEndian.Uint16(r))
			p.fullEC[k] = string(r[2 : 2+vl])
			r = r[2+vl:]
		}
	}
	for range u16() {
		p.edks = append(p.edks, twEDK{providerID: string(take(u16())), providerInfo: take(u16()), ciphertext: take(u16())})
	}
	framed := take(1)[0] == 2
	if version == 1 {
		take(5)
	}
	frameLen := int(u32())
	if version == 2 {
		take(32)
	}
	p.headerBody = msg[:off]
	p.headerIV = make([]byte, 12)
	if version == 1 {
		p.headerIV = take(12)
	}
	take(16)
	if !framed {
		p.frameIVs = append(p.frameIVs, take(12))
		n := int(binary.BigEndian.Uint64(msg[off:]))
		p.frameBlobs = append(p.frameBlobs, take(8+n+16))
		return p
	}
	for {
		start := off
		seq := u32()
		if seq == 0xFFFFFFFF {
			take(4)
			p.frameIVs = append(p.frameIVs, take(12))
			n := int(u32())
			take(n + 16)
			p.frameBlobs = append(p.frameBlobs, msg[start:off])
			return p
		}
		p.frameIVs = append(p.frameIVs, take(12))
		take(frameLen + 16)
		p.frameBlobs = append(p.frameBlobs, msg[start:off])
	}
}
