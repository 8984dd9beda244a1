// Computes a Cognito SRP password claim with amazon-cognito-identity-js's
// AuthenticationHelper, for kumo's SRP tests. The one argument is JSON:
// {poolId, aHex, userId, password, saltHex, bHex, secretBlock, nowMillis}.
// Prints {"A": ..., "signature": ..., "timestamp": ...}.
'use strict'
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper').default
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper').default
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default
const crypto = require('crypto')

const cfg = JSON.parse(process.argv[2])
const poolName = cfg.poolId.split('_')[1]
const helper = new AuthenticationHelper(poolName)
helper.smallAValue = new BigInteger(cfg.aHex, 16)
helper.largeAValue = undefined
helper.getLargeAValue((err, A) => {
  if (err) throw err
  helper.getPasswordAuthenticationKey(cfg.userId, cfg.password, new BigInteger(cfg.bHex, 16), new BigInteger(cfg.saltHex, 16), (err2, hkdf) => {
    if (err2) throw err2
    const RealDate = Date
    global.Date = class extends RealDate { constructor (...a) { super(...(a.length ? a : [cfg.nowMillis])) } }
    const timestamp = new DateHelper().getNowString()
    global.Date = RealDate
    const msg = Buffer.concat([Buffer.from(poolName, 'utf8'), Buffer.from(cfg.userId, 'utf8'),
      Buffer.from(cfg.secretBlock, 'base64'), Buffer.from(timestamp, 'utf8')])
    const signature = crypto.createHmac('sha256', Buffer.from(hkdf)).update(msg).digest('base64')
    process.stdout.write(JSON.stringify({ A: A.toString(16), signature, timestamp }))
  })
})
