// Package kms does envelope encryption with AWS KMS data keys, in the AWS
// Encryption SDK message format, so anything it encrypts opens in every
// official Encryption SDK (Java, Python, JavaScript, C, .NET, Go, the CLI)
// and the reverse:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	if err != nil {
//		return err
//	}
//	keyring, err := kms.NewKMSKeyring(awskms.NewFromConfig(cfg), kmsKeyARN) // or raw AES, raw RSA, multi, hierarchical
//	if err != nil {
//		return err
//	}
//	client, err := kms.New(keyring)
//	if err != nil {
//		return err
//	}
//	msg, err := client.Encrypt(ctx, plaintext, map[string]string{"tenant": "acme"})
//	if err != nil {
//		return err
//	}
//	plain, err := client.Decrypt(ctx, msg, map[string]string{"tenant": "acme"}) // the pairs it must carry
//	if err != nil {
//		return err // a wrong key, context or message: nothing is returned
//	}
//	fmt.Printf("%d bytes sealed, %d opened\n", len(msg), len(plain))
//
// (awskms is aws-sdk-go-v2's github.com/aws/aws-sdk-go-v2/service/kms.)
//
// The recipe it makes one call: ask KMS for a data key, encrypt locally with
// the plaintext key, keep only the KMS-encrypted copy beside the data; to
// read, have KMS decrypt the copy. The message format adds what the
// hand-made recipe lacks: authenticated encryption (AES-256-GCM), a key
// derived per message and committed to, the encryption context bound to
// every part, and optionally an ECDSA signature.
//
// # Keyrings
//
// [NewKMSKeyring] wraps data keys with KMS keys (GenerateDataKey, then
// Encrypt for each extra key) and on decrypt asks KMS only about its own
// keys. [NewKMSDiscoveryKeyring] decrypts with whatever key a message
// names, within a partition and accounts. [NewRawAESKeyring] and
// [NewRawRSAKeyring] wrap with keys you hold; [NewMultiKeyring] combines
// keyrings. [NewHierarchicalKeyring] wraps with branch keys kept in a
// DynamoDB [BranchKeyStore] (the official SDKs' key store schema, read and
// written), each read through KMS once per cache TTL instead of one KMS
// call per message; a [BranchKeyIDSupplier] gives each tenant its own.
// The KMS keyrings (strict, discovery, MRK-aware and RSA) refuse a message
// with a KMS data key whose provider info is not a key ARN, with
// [ErrMalformed], rather than skip that data key, as the specification
// says (the JavaScript SDK's MRK-aware keyrings refuse it too, the official
// Go SDK's when it is not an ARN at all).
//
// # Encryption context
//
// The encryption context is stored in the message, unencrypted, and bound
// to it: Decrypt's required pairs must match it. Keys listed in
// Options.RequiredEncryptionContextKeys are authenticated but not stored
// (the Encryption SDK's required encryption context), so a reader must
// supply their values; errors name missing keys, never values.
// [Client.DecryptWithHeader] and [Client.DecryptReaderWithHeader] return the
// authenticated header with the plaintext: the whole context, the suite, the
// frame length and which keys wrapped the data key (for a stream of a
// signed suite, only once it is read to io.EOF). [ParseHeader] reads a
// header without any key: a claim, not a fact.
//
// The multi-Region-key-aware keyrings, as the Encryption SDKs define them,
// let a message encrypted under a multi-Region key (key/mrk-…) in one
// Region decrypt with its replica in another: [NewKMSMRKKeyring] for one
// key, [NewKMSMRKDiscoveryKeyring] for whatever key a message names, in
// one Region, and [NewKMSMRKMultiKeyring] and
// [NewKMSMRKDiscoveryMultiKeyring] for several keys or Regions, each
// reached through a client of its Region ([ClientSupplier],
// [NewClientSupplier]). [NewKMSRSAKeyring] wraps data keys with the public
// key of an asymmetric (RSA) KMS key, without calling KMS, and unwraps them
// through KMS Decrypt.
//
// # Streams
//
// [Client.EncryptWriter] and [Client.DecryptReader] keep memory at a few
// batches of frames whatever the message size, and seal or open batches on
// several goroutines (Options.Concurrency). A frame's plaintext is released
// only after its tag verifies; truncated, reordered or repeated frames are
// errors, never a short read. With a signed suite the signature is checked
// at the end, before the final frame is released: treat the plaintext read
// before io.EOF as unverified by the signature.
//
// Memory follows what the caller allows, never what a message claims. A
// batch holds at most 256 KiB of serialized frames and their bookkeeping
// (128 KiB when a DecryptReader reads an unsigned message; one frame, when
// frames are larger), opened in place; buffers grow only as bytes arrive.
// A DecryptReader holds at most
//
//	64 KiB + the header + max((C+1) × 256 KiB, F) + 2F
//
// where C is Options.Concurrency and F = max(256 KiB, frame length + 40
// bytes) (so about three frames for frames over 256 KiB). A buffer grows
// by doubling, so the smaller buffers it grew from add less than its final
// size until the garbage collector frees them: the peak heap stays under
// twice that bound (measured: within 10% of it, 1-byte frames at
// Concurrency 1 to 16). A frame (or non-framed body) over
// Options.MaxBodyLength (64 MiB by default) is refused before it is read.
// The header is refused as soon as it lists more than
// Options.MaxEncryptedDataKeys (10 by default) encrypted data keys, before
// any keyring is asked.
//
// A DecryptReader reads ahead of the plaintext it returns: its first Read
// returns once a whole batch (or the rest of the message) has arrived and
// verified, and at Concurrency above 1 once up to (C+1) × 256 KiB of the
// message has arrived; it keeps that much read ahead after. So the source
// must not wait for plaintext to be read before it sends the rest of the
// message: a request and its answer over one connection would deadlock.
//
// Decrypt, DecryptReader, Rewrap and ParseHeader read every message the
// format allows: both message formats, all eleven suites, framed and
// non-framed bodies (content type 0x01, which the Java and Python SDKs
// write when asked for frame length 0; up to 2^36-32 bytes). kumo itself
// writes framed messages only (Options.FrameSize is at least 1): a
// non-framed body has one tag, at its end, so every reader must hold it
// whole before releasing any of it.
//
// # Caching, re-wrapping, migrating
//
// A [Cache] reuses data keys across messages within limits of age, messages
// and bytes, with one KMS call for many concurrent encrypts.
// [Client.Rewrap] moves a message to new keys with one KMS unwrap, keeping
// its data key but under a new message ID, its frames sealed again in the
// same streaming pass, so that no derived key ever authenticates two
// headers. [DecryptOpenSSL] reads files made with `openssl enc -aes-256-cbc
// -pass file:<data key>`, with the key derivation the caller states (or
// openssl's default), so they can be moved into this format.
//
// The sub-package kmstest is an in-memory KMS for tests, with multi-Region
// key replicas across Regions and RSA keys; it can also be served over
// HTTP.
package kms
