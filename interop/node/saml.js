// Makes and checks signed SAML responses with xml-crypto, an independent
// XML-DSig implementation, for kumo's interop tests.
//
//   node saml.js sign '{"pairs":[...],"sessionName":"alice","duration":3600,"signResponse":true}'
//     prints {"response": base64, "publicKey": PEM}; the assertion is signed
//     (enveloped, exclusive c14n, RSA-SHA256) and, with signResponse, the
//     response around it too, as IdPs such as Okta and ADFS do.
//   node saml.js verify '{"response": base64, "publicKey": PEM}'
//     checks every signature in the response and prints "ok".
'use strict'
const crypto = require('crypto')
const { SignedXml } = require('xml-crypto')
const { DOMParser } = require('@xmldom/xmldom')
const xpath = require('xpath')

const C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'

function sign (xml, privateKey, localName, afterIssuer) {
  const sig = new SignedXml({ privateKey, canonicalizationAlgorithm: C14N, signatureAlgorithm: RSA_SHA256 })
  sig.addReference({ xpath: `//*[local-name(.)='${localName}']`, digestAlgorithm: SHA256, transforms: [ENVELOPED, C14N] })
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `//*[local-name(.)='${localName}']/*[local-name(.)='Issuer']`, action: afterIssuer ? 'after' : 'prepend' }
  })
  return sig.getSignedXml()
}

function makeResponse (cfg) {
  const now = new Date()
  const later = new Date(now.getTime() + 5 * 60 * 1000)
  const iso = d => d.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const values = cfg.pairs.map(p => `<saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${p}</saml2:AttributeValue>`).join('')
  const assertion = `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a${crypto.randomBytes(8).toString('hex')}" IssueInstant="${iso(now)}" Version="2.0">` +
    '<saml2:Issuer>http://idp.example.com/exk1</saml2:Issuer>' +
    `<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${cfg.sessionName}</saml2:NameID>` +
    `<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData NotOnOrAfter="${iso(later)}" Recipient="https://signin.aws.amazon.com/saml"/></saml2:SubjectConfirmation></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${iso(now)}" NotOnOrAfter="${iso(later)}"><saml2:AudienceRestriction><saml2:Audience>urn:amazon:webservices</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>` +
    `<saml2:AuthnStatement AuthnInstant="${iso(now)}"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
    '<saml2:AttributeStatement>' +
    `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">${values}</saml2:Attribute>` +
    `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml2:AttributeValue>${cfg.sessionName}</saml2:AttributeValue></saml2:Attribute>` +
    `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml2:AttributeValue>${cfg.duration}</saml2:AttributeValue></saml2:Attribute>` +
    '</saml2:AttributeStatement></saml2:Assertion>'
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' })
  const signedAssertion = sign(assertion, pem, 'Assertion', true)
  let response = `<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" Destination="https://signin.aws.amazon.com/saml" ID="_r${crypto.randomBytes(8).toString('hex')}" IssueInstant="${iso(now)}" Version="2.0">` +
    '<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">http://idp.example.com/exk1</saml2:Issuer>' +
    '<saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>' +
    signedAssertion + '</saml2p:Response>'
  if (cfg.signResponse) response = sign(response, pem, 'Response', true)
  return { response: Buffer.from(response).toString('base64'), publicKey: publicKey.export({ type: 'spki', format: 'pem' }) }
}

function verify (cfg) {
  const xml = Buffer.from(cfg.response, 'base64').toString('utf8')
  const doc = new DOMParser().parseFromString(xml, 'text/xml')
  const sigs = xpath.select("//*[local-name(.)='Signature' and namespace-uri(.)='http://www.w3.org/2000/09/xmldsig#']", doc)
  if (sigs.length === 0) throw new Error('no signature')
  for (const s of sigs) {
    const v = new SignedXml({ publicCert: cfg.publicKey })
    v.loadSignature(s)
    if (!v.checkSignature(xml)) throw new Error('signature does not verify')
  }
  return 'ok ' + sigs.length
}

const [mode, arg] = process.argv.slice(2)
const cfg = JSON.parse(arg)
process.stdout.write(mode === 'sign' ? JSON.stringify(makeResponse(cfg)) : verify(cfg))
