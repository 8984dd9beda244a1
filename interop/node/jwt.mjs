// Signs and verifies JWTs with the npm jose package, an implementation
// independent of kumo, for kumo's Cognito Verifier tests. The one argument
// is JSON: {sign: [claims...], verify: {jwks, issuer, tokens: [...]}}.
// It makes a fresh RS256 key, signs each claim set with it (header
// {alg: RS256, kid: "node-1"}), verifies each token of verify.tokens
// against verify.jwks with algorithms [RS256] and the issuer, and prints
// {jwks, signed: [...], verified: [{ok, payload} | {ok: false, error}]}.
import * as jose from 'jose'

const cfg = JSON.parse(process.argv[2])
const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048 })
const pub = await jose.exportJWK(publicKey)
const jwks = { keys: [{ ...pub, kid: 'node-1', alg: 'RS256', use: 'sig' }] }
const signed = []
for (const claims of cfg.sign || []) {
  signed.push(await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'node-1' }).sign(privateKey))
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
process.stdout.write(JSON.stringify({ jwks, signed, verified }))
