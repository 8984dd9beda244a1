// Encrypts or decrypts standard input with the official JavaScript
// Encryption SDK's multi-Region-key-aware KMS keyrings, for kumo's interop
// tests. The one argument is JSON:
//   {"op": "encrypt"|"decrypt", "keyring": "mrk"|"mrk-discovery"|"mrk-discovery-multi"|"mrk-strict-multi",
//    "keyId": "arn:...", "keyIds": [...], "region": "us-west-2", "regions": [...],
//    "endpoints": {"us-east-1": "http://127.0.0.1:PORT", ...},
//    "discoveryFilter": {"partition": "aws", "accountIDs": [...]}, "context": {...}}
// Each Region's KMS client talks to its endpoint with test credentials.
'use strict'
const { KMS } = require('@aws-sdk/client-kms')
const {
  buildClient, CommitmentPolicy,
  AwsKmsMrkAwareSymmetricKeyringNode, AwsKmsMrkAwareSymmetricDiscoveryKeyringNode,
  buildAwsKmsMrkAwareDiscoveryMultiKeyringNode, buildAwsKmsMrkAwareStrictMultiKeyringNode
} = require('@aws-crypto/client-node')

async function main () {
  const cfg = JSON.parse(process.argv[2])
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  const input = Buffer.concat(chunks)

  const clientFor = region => {
    if (!cfg.endpoints[region]) throw new Error(`no endpoint for region ${region}`)
    return new KMS({
      region,
      endpoint: cfg.endpoints[region],
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' }
    })
  }
  let keyring
  if (cfg.keyring === 'mrk') {
    keyring = new AwsKmsMrkAwareSymmetricKeyringNode({ client: clientFor(cfg.region), keyId: cfg.keyId })
  } else if (cfg.keyring === 'mrk-discovery') {
    keyring = new AwsKmsMrkAwareSymmetricDiscoveryKeyringNode({ client: clientFor(cfg.region), discoveryFilter: cfg.discoveryFilter })
  } else if (cfg.keyring === 'mrk-strict-multi') {
    keyring = buildAwsKmsMrkAwareStrictMultiKeyringNode({
      generatorKeyId: cfg.keyId, keyIds: cfg.keyIds || [], clientProvider: clientFor
    })
  } else {
    keyring = buildAwsKmsMrkAwareDiscoveryMultiKeyringNode({
      regions: cfg.regions, clientProvider: clientFor, discoveryFilter: cfg.discoveryFilter
    })
  }
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
  if (cfg.op === 'encrypt') {
    const { result } = await encrypt(keyring, input, { encryptionContext: cfg.context || {} })
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
