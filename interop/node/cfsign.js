// Signs a CloudFront URL with @aws-sdk/cloudfront-signer for kumo's interop
// tests. The one argument is JSON with getSignedUrl's parameters
// (url, keyPairId, privateKey, dateLessThan, dateGreaterThan, ipAddress,
// policy, algorithm); dates are epoch seconds.
'use strict'
const { getSignedUrl } = require('@aws-sdk/cloudfront-signer')

const cfg = JSON.parse(process.argv[2])
for (const k of ['dateLessThan', 'dateGreaterThan']) {
  if (cfg[k] !== undefined) cfg[k] = new Date(cfg[k] * 1000).toISOString()
}
process.stdout.write(getSignedUrl(cfg))
