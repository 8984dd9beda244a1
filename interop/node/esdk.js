// Encrypts or decrypts standard input with the official JavaScript
// Encryption SDK, for kumo's interop tests. The one argument is JSON:
//   {"op": "encrypt"|"decrypt", "keyring": "aes"|"rsa", "namespace": "...",
//    "name": "...", "aesKeyHex": "...", "rsaPrivatePem": "...",
//    "rsaPublicPem": "...", "oaepHash": "sha256"|..., "pkcs1": false,
//    "suite": "0478"|"0578", "frameLength": 4096, "context": {...}}
// Decrypt checks that every pair of "context" is in the message's context.
'use strict'
const crypto = require('crypto')
const {
  buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier,
  RawRsaKeyringNode, AlgorithmSuiteIdentifier
} = require('@aws-crypto/client-node')

// The SDK wants key bytes in a buffer of their own, not a slice of Node's pool.
function isolated (buf) {
  const out = new Uint8Array(new ArrayBuffer(buf.length))
  out.set(buf)
  return out
}

async function main () {
  const cfg = JSON.parse(process.argv[2])
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  const input = Buffer.concat(chunks)

  let keyring
  if (cfg.keyring === 'aes') {
    keyring = new RawAesKeyringNode({
      keyName: cfg.name,
      keyNamespace: cfg.namespace,
      unencryptedMasterKey: isolated(Buffer.from(cfg.aesKeyHex, 'hex')),
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING
    })
  } else {
    keyring = new RawRsaKeyringNode({
      keyName: cfg.name,
      keyNamespace: cfg.namespace,
      rsaKey: { privateKey: cfg.rsaPrivatePem, publicKey: cfg.rsaPublicPem },
      padding: cfg.pkcs1 ? crypto.constants.RSA_PKCS1_PADDING : crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: cfg.pkcs1 ? undefined : cfg.oaepHash
    })
  }
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
  if (cfg.op === 'encrypt') {
    const suiteId = cfg.suite === '0578'
      ? AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
      : AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
    const { result } = await encrypt(keyring, input, {
      encryptionContext: cfg.context || {}, suiteId, frameLength: cfg.frameLength || 4096
    })
    process.stdout.write(result)
    return
  }
  const { plaintext, messageHeader } = await decrypt(keyring, input)
  for (const [k, v] of Object.entries(cfg.context || {})) {
    if (messageHeader.encryptionContext[k] !== v) {
      throw new Error(`context pair ${k} does not match`)
    }
  }
  process.stdout.write(plaintext)
}

main().catch(err => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
