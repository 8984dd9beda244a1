package cfsign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/kumo-go/kumo/cfsign"
)

// Signing one URL with a canned policy, then checking it as the edge does.
// In a real program the key comes from cfsign.LoadPrivateKeyFile.
func Example() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	signer, err := cfsign.New("K2JCJMDEHXQW5F", key, func(o *cfsign.Options) {
		o.Clock = func() time.Time { return now } // tests pin the clock; programs need not
	})
	if err != nil {
		log.Fatal(err)
	}
	u, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/report.pdf", now.Add(time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u[:strings.Index(u, "&Signature=")])
	fmt.Println(strings.HasSuffix(u, "&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256"))

	_, err = cfsign.Verify(u, map[string]crypto.PublicKey{"K2JCJMDEHXQW5F": &key.PublicKey}, func(o *cfsign.VerifyOptions) {
		o.Clock = func() time.Time { return now }
	})
	fmt.Println(err)
	// Output:
	// https://d111111abcdef8.cloudfront.net/report.pdf?Expires=1795352400
	// true
	// <nil>
}

// A custom policy covers many files and is rendered exactly as the AWS CLI
// renders it.
func ExamplePolicy_JSON() {
	p := cfsign.Policy{
		Resource:     "https://d111111abcdef8.cloudfront.net/videos/*",
		DateLessThan: time.Unix(1795352400, 0),
		SourceIP:     "192.0.2.7",
	}
	doc, err := p.JSON()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(doc))
	// Output: {"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/videos/*","Condition":{"DateLessThan":{"AWS:EpochTime":1795352400},"IpAddress":{"AWS:SourceIp":"192.0.2.7/32"}}}]}
}
