// The official JavaScript Encryption SDK's hierarchical keyring and branch
// key store, pointed at moto's DynamoDB and KMS, for kumo's interop tests.
// The one argument is JSON:
//   {"op": "create"|"version"|"encrypt"|"decrypt", "endpoint": "http://...",
//    "table": "...", "logicalName": "...", "kmsArn": "...",
//    "branchKeyId": "...", "branchKeyContext": {...}, "suite": "0478"|"0578",
//    "context": {...}}
// create prints the new branch key's ID; encrypt and decrypt read standard
// input and write standard output; decrypt checks that every pair of
// "context" is in the message's context.
'use strict'
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb')
const { KMSClient } = require('@aws-sdk/client-kms')
const {
  buildClient, CommitmentPolicy, AlgorithmSuiteIdentifier,
  KmsHierarchicalKeyRingNode, BranchKeyStoreNode
} = require('@aws-crypto/client-node')

async function main () {
  const cfg = JSON.parse(process.argv[2])
  const aws = {
    endpoint: cfg.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' }
  }
  const keyStore = new BranchKeyStoreNode({
    logicalKeyStoreName: cfg.logicalName,
    storage: { ddbTableName: cfg.table, ddbClient: new DynamoDBClient(aws) },
    keyManagement: { kmsClient: new KMSClient(aws) },
    kmsConfiguration: { identifier: cfg.kmsArn }
  })
  if (cfg.op === 'create') {
    const input = cfg.branchKeyId ? { branchKeyIdentifier: cfg.branchKeyId, encryptionContext: cfg.branchKeyContext } : undefined
    const { branchKeyIdentifier } = await keyStore.createKey(input)
    process.stdout.write(branchKeyIdentifier)
    return
  }
  if (cfg.op === 'version') {
    await keyStore.versionKey({ branchKeyIdentifier: cfg.branchKeyId })
    return
  }
  const keyring = new KmsHierarchicalKeyRingNode({
    branchKeyId: cfg.branchKeyId,
    keyStore,
    cacheLimitTtl: 60,
    // The spec and every other SDK sort the context by UTF-8 bytes; the JS
    // SDK sorts by locale unless told (its issue #428).
    utf8Sorting: true
  })
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  const input = Buffer.concat(chunks)
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
  if (cfg.op === 'encrypt') {
    const suiteId = cfg.suite === '0578'
      ? AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
      : AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
    const { result } = await encrypt(keyring, input, { encryptionContext: cfg.context || {}, suiteId })
    process.stdout.write(result)
    return
  }
  const { plaintext, messageHeader } = await decrypt(keyring, input)
  for (const [k, v] of Object.entries(cfg.context || {})) {
    if (messageHeader.encryptionContext[k] !== v) {
      throw new Error(`context pair ${k} does not match`)
    }
  }
  if (cfg.header) {
    // What the SDK says the authenticated header holds, for comparison
    // with kumo's DecryptWithHeader.
    process.stdout.write(JSON.stringify({
      plaintext: Buffer.from(plaintext).toString('base64'),
      suiteId: messageHeader.suiteId,
      frameLength: messageHeader.frameLength,
      encryptionContext: messageHeader.encryptionContext,
      encryptedDataKeys: messageHeader.encryptedDataKeys.map(k => ({ providerId: k.providerId, providerInfo: k.providerInfo }))
    }))
    return
  }
  process.stdout.write(plaintext)
}

main().catch(err => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
