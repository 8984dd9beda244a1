package iamx_test

import (
	"encoding/json"
	"fmt"

	"github.com/kumo-go/kumo/iamx"
)

// A role that may be assumed only from the office network, checked offline
// before anyone deploys it.
func Example() {
	trust := iamx.RestrictTrustToSourceIP(iamx.CrossAccountTrustPolicy("444455556666", "partner-42"), "203.0.113.0/24")
	doc, _ := json.Marshal(trust)
	fmt.Println(string(doc))
	fmt.Println(trust.Validate())

	req := iamx.Request{Action: "sts:AssumeRole", Principal: "arn:aws:iam::444455556666:role/partner",
		Context: map[string][]string{"sts:ExternalId": {"partner-42"}, "aws:SourceIp": {"198.51.100.9"}}}
	fmt.Println(iamx.Evaluate([]*iamx.Policy{trust}, req))
	req.Context["aws:SourceIp"] = []string{"203.0.113.50"}
	fmt.Println(iamx.Evaluate([]*iamx.Policy{trust}, req))
	// Output:
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"StringEquals":{"sts:ExternalId":"partner-42"}}}]}
	// <nil>
	// ImplicitDeny
	// Allow
}

// Reading the roles a SAML sign-in offers and picking one; the assertion
// then goes to STS with AssumeRoleWithSAML(ctx, sts.NewFromConfig(cfg), a, role).
func ExampleParseSAMLResponse() {
	// What the IdP posts to https://signin.aws.amazon.com/saml, usually
	// base64; an HTML page holding the form works too.
	response := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion>
    <saml:Issuer>https://idp.example.com</saml:Issuer>
    <saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject>
    <saml:Conditions NotOnOrAfter="2030-01-01T00:05:00Z"/>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">
        <saml:AttributeValue>arn:aws:iam::111122223333:role/Dev,arn:aws:iam::111122223333:saml-provider/Corp</saml:AttributeValue>
        <saml:AttributeValue>arn:aws:iam::111122223333:saml-provider/Corp,arn:aws:iam::111122223333:role/ReadOnly</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>`
	a, err := iamx.ParseSAMLResponse(response)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a)
	for _, r := range a.Roles {
		fmt.Println(r.AccountID, r.RoleName)
	}
	role, err := a.Role("ReadOnly")
	fmt.Println(role.RoleARN, role.PrincipalARN, err)
	_, err = a.Role("Admin")
	fmt.Println(err)
	// Output:
	// SAMLAssertion{Subject:"alice@example.com" Issuer:"https://idp.example.com" Roles:2 NotOnOrAfter:2030-01-01T00:05:00Z}
	// 111122223333 Dev
	// 111122223333 ReadOnly
	// arn:aws:iam::111122223333:role/ReadOnly arn:aws:iam::111122223333:saml-provider/Corp <nil>
	// iamx: no role matches "Admin"; choose one of 111122223333:Dev, 111122223333:ReadOnly
}
