// Package kms does envelope encryption with AWS KMS data keys, in the AWS
// Encryption SDK message format, so anything it encrypts opens in every
// official Encryption SDK (Java, Python, JavaScript, C, .NET, Go, the CLI)
// and the reverse.
//
// The recipe it makes one call: ask KMS for a data key, encrypt locally with
// the plaintext key, keep only the KMS-encrypted copy beside the data; to
// read, have KMS decrypt the copy. The message format adds what the
// hand-made recipe lacks: authenticated encryption (AES-256-GCM), a key
// derived per message and committed to, the encryption context bound to
// every part, and optionally an ECDSA signature.
//
//	client, err := kms.New(keyring) // a KMS, raw AES, raw RSA or multi keyring
//	msg, err := client.Encrypt(ctx, plaintext, map[string]string{"tenant": "acme"})
//	plain, err := client.Decrypt(ctx, msg, map[string]string{"tenant": "acme"})
//
// # Keyrings
//
// [NewKMSKeyring] wraps data keys with KMS keys (GenerateDataKey, then
// Encrypt for each extra key) and on decrypt asks KMS only about its own
// keys. [NewKMSDiscoveryKeyring] decrypts with whatever key a message
// names, within a partition and accounts. [NewRawAESKeyring] and
// [NewRawRSAKeyring] wrap with keys you hold; [NewMultiKeyring] combines
// keyrings.
//
// # Streams
//
// [Client.EncryptWriter] and [Client.DecryptReader] keep memory at a few
// frames whatever the message size, and seal or open frames on several
// goroutines (Options.Concurrency). A frame's plaintext is released only
// after its tag verifies; truncated, reordered or repeated frames are
// errors, never a short read. With a signed suite the signature is checked
// at the end: treat plaintext as unverified until the reader returns
// io.EOF.
//
// # Caching, re-wrapping, migrating
//
// A [Cache] reuses data keys across messages within limits of age, messages
// and bytes, with one KMS call for many concurrent encrypts. [Client.Rewrap]
// moves a message to new keys without touching its body. [DecryptOpenSSL]
// reads files made with `openssl enc -aes-256-cbc -pass file:<data key>` so
// they can be moved into this format.
//
// The sub-package kmstest is an in-memory KMS for tests.
package kms
