// Runs amazon-cognito-identity-js's device SRP for kumo's device tests.
// The one argument is JSON: {groupKey, deviceKey, randomHex, aHex, bHex,
// saltHex, secretBlock, nowMillis}. randomHex is fed to the library's
// random source (40 bytes of device password, then 16 of salt), as the Go
// client's Options.Rand is. Prints {"password", "salt", "verifier"} (what
// CognitoUser sends to ConfirmDevice) and {"A", "signature", "timestamp"}
// (the DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER answers).
'use strict'
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper').default
const WordArray = require('amazon-cognito-identity-js/lib/utils/WordArray').default
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper').default
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default
const crypto = require('crypto')

const cfg = JSON.parse(process.argv[2])
// The constructors draw their own secret a; make them before the random
// source is replaced.
const helper = new AuthenticationHelper(cfg.groupKey)
const dev = new AuthenticationHelper(cfg.groupKey)
let stream = Buffer.from(cfg.randomHex, 'hex')
WordArray.prototype.random = function (n) {
  const take = stream.subarray(0, n)
  stream = stream.subarray(n)
  if (take.length !== n) throw new Error('randomHex ran out')
  return { toString: () => take.toString('hex') }
}

const out = {}
helper.generateHashDevice(cfg.groupKey, cfg.deviceKey, (err) => {
  if (err) throw err
  out.password = helper.getRandomPassword()
  out.salt = Buffer.from(helper.getSaltDevices(), 'hex').toString('base64')
  out.verifier = Buffer.from(helper.getVerifierDevices(), 'hex').toString('base64')

  dev.smallAValue = new BigInteger(cfg.aHex, 16)
  dev.largeAValue = undefined
  dev.getLargeAValue((err2, A) => {
    if (err2) throw err2
    out.A = A.toString(16)
    dev.getPasswordAuthenticationKey(cfg.deviceKey, out.password, new BigInteger(cfg.bHex, 16), new BigInteger(cfg.saltHex, 16), (err3, hkdf) => {
      if (err3) throw err3
      const RealDate = Date
      global.Date = class extends RealDate { constructor (...a) { super(...(a.length ? a : [cfg.nowMillis])) } }
      out.timestamp = new DateHelper().getNowString()
      global.Date = RealDate
      const msg = Buffer.concat([Buffer.from(cfg.groupKey, 'utf8'), Buffer.from(cfg.deviceKey, 'utf8'),
        Buffer.from(cfg.secretBlock, 'base64'), Buffer.from(out.timestamp, 'utf8')])
      out.signature = crypto.createHmac('sha256', Buffer.from(hkdf)).update(msg).digest('base64')
      process.stdout.write(JSON.stringify(out))
    })
  })
})
