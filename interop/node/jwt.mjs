// Signs and verifies JWTs with the npm jose package, an implementation
// independent of kumo, for kumo's Cognito Verifier tests. The one argument
// is JSON: {sign: [claims...], otherAlgs: [alg...], verify: {jwks, issuer,
// tokens: [...]}}.
// It makes a fresh RS256 key, signs each claim set with it (header
// {alg: RS256, kid: "node-1"}), verifies each token of verify.tokens
// against verify.jwks with algorithms [RS256] and the issuer, and prints
// {jwks, signed: [...], verified: [{ok, payload} | {ok: false, error}],
// others: {alg: token}}, others signed with a key of each alg in otherAlgs
// (its JWK in jwks, stating that alg) over the first claim set.
import * as jose from 'jose'

const cfg = JSON.parse(process.argv[2])
const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048 })
const pub = await jose.exportJWK(publicKey)
const jwks = { keys: [{ ...pub, kid: 'node-1', alg: 'RS256', use: 'sig' }] }
const signed = []
for (const claims of cfg.sign || []) {
  signed.push(await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'node-1' }).sign(privateKey))
}
// Tokens under other algorithms, each with its key in the JWKS stating
// that algorithm: a verifier limited to RS256 must refuse them all.
const others = {}
for (const alg of cfg.otherAlgs || []) {
  const pair = await jose.generateKeyPair(alg, { modulusLength: 2048, extractable: true })
  const kid = 'node-' + alg
  jwks.keys.push({ ...(await jose.exportJWK(pair.publicKey)), kid, alg, use: 'sig' })
  others[alg] = await new jose.SignJWT(cfg.sign[0]).setProtectedHeader({ alg, kid }).sign(pair.privateKey)
}
const verified = []
if (cfg.verify) {
  const set = jose.createLocalJWKSet(cfg.verify.jwks)
  for (const token of cfg.verify.tokens) {
    try {
      const { payload } = await jose.jwtVerify(token, set, { issuer: cfg.verify.issuer, algorithms: ['RS256'], currentDate: new Date(cfg.verify.nowMillis) })
      verified.push({ ok: true, payload })
    } catch (e) {
      verified.push({ ok: false, error: e.code || String(e) })
    }
  }
}
process.stdout.write(JSON.stringify({ jwks, signed, verified, others }))
