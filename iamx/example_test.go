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
