package iamx_test

import (
	"encoding/json"
	"fmt"

	"github.com/kumo-go/kumo/iamx"
)

// The seed scenario: alice may assume the ops role only from the office
// network. The restriction can sit in her identity policy, in the role's
// trust policy, or both; AssumeRole needs both to allow, and the result
// says which side refused.
func Example() {
	role := "arn:aws:iam::111122223333:role/ops"
	office := "203.0.113.0/24"

	userPolicy := iamx.AllowAssumeRoleFrom(role, office) // IP-restricted user policy
	trust := &iamx.Policy{Version: "2012-10-17", Statements: []iamx.Statement{{
		Effect:    "Allow",
		Principal: &iamx.Principal{Values: map[string]iamx.Values{"AWS": iamx.NewValues("arn:aws:iam::111122223333:root")}},
		Action:    iamx.NewValues("sts:AssumeRole"),
	}}}
	restrictedTrust := iamx.RestrictTrustToSourceIP(trust, office) // IP-restricted trust policy
	doc, _ := json.Marshal(restrictedTrust)
	fmt.Println(string(doc))

	from := func(ip string) iamx.Request {
		return iamx.Request{Action: "sts:AssumeRole", Resource: role, Principal: "arn:aws:iam::111122223333:user/alice",
			Context: map[string][]string{"aws:SourceIp": {ip}}}
	}
	fmt.Println("user policy restricted, from home:")
	fmt.Println(iamx.Evaluate(from("198.51.100.9"), iamx.Policies{Identity: []*iamx.Policy{userPolicy}, Resource: []*iamx.Policy{trust}}))
	fmt.Println("trust policy restricted, from home:")
	fmt.Println(iamx.Evaluate(from("198.51.100.9"), iamx.Policies{Identity: []*iamx.Policy{iamx.AllowAssumeRoleFrom(role)}, Resource: []*iamx.Policy{restrictedTrust}}))
	fmt.Println("both restricted, from the office:")
	fmt.Println(iamx.Evaluate(from("203.0.113.50"), iamx.Policies{Identity: []*iamx.Policy{userPolicy}, Resource: []*iamx.Policy{restrictedTrust}}))
	// Output:
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}
	// user policy restricted, from home:
	// ImplicitDeny (identity-based policy): no identity-based policy allows sts:AssumeRole on arn:aws:iam::111122223333:role/ops; the resource-based policy names only the account, which delegates to identity-based policies
	//   matched resource-based policy 1 statement 1: Allow
	//   not applied identity-based policy 1 statement 1: Allow: its condition IpAddress aws:SourceIp does not hold
	// trust policy restricted, from home:
	// ImplicitDeny (resource-based policy): sts:AssumeRole on arn:aws:iam::111122223333:role/ops needs the resource's own policy (a role's trust policy or a KMS key policy) to allow the principal, and none applies
	//   matched identity-based policy 1 statement 1: Allow
	//   not applied resource-based policy 1 statement 1: Allow: its condition IpAddress aws:SourceIp does not hold
	// both restricted, from the office:
	// Allow (identity-based policy): an identity-based policy allows sts:AssumeRole on arn:aws:iam::111122223333:role/ops
	//   matched identity-based policy 1 statement 1: Allow
	//   matched resource-based policy 1 statement 1: Allow
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

// Validate refuses what IAM would refuse, naming the statement and what
// is allowed; Evaluate, given the same policy unvalidated, counts the
// condition it cannot evaluate against the request.
func ExamplePolicy_Validate() {
	p, _ := iamx.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"NoOldTLS","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:TlsVersion":"one point two"}}}]}`))
	fmt.Println(p.Validate())
	res := iamx.Evaluate(iamx.Request{Action: "s3:GetObject", Principal: "arn:aws:iam::111122223333:user/alice",
		Context: map[string][]string{"s3:TlsVersion": {"1.3"}}}, iamx.Policies{Identity: []*iamx.Policy{p}})
	fmt.Println(res)
	// Output:
	// iamx: invalid policy: statement 1 (NoOldTLS): condition NumericLessThan s3:TlsVersion: "one point two" is not a number (digits with an optional leading - and decimal point)
	// ExplicitDeny (identity-based policy): identity-based policy 1 statement 1 (NoOldTLS): Deny (assumed: part of it could not be evaluated) denies s3:GetObject
	//   matched identity-based policy 1 statement 1 (NoOldTLS): Deny (assumed: part of it could not be evaluated)
	//   note: identity-based policy 1 statement 1: condition NumericLessThan s3:TlsVersion: a Numeric operator compares numbers, not "1.3" with "one point two"; the Deny was counted
}
