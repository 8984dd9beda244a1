package cfsign_test

import (
	"testing"
	"time"

	"github.com/kumo-go/kumo/cfsign"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Statement":[{"Resource":"https://d1.cloudfront.net/*","Condition":{"DateLessThan":{"AWS:EpochTime":1795352400},"IpAddress":{"AWS:SourceIp":"192.0.2.7/32"},"DateGreaterThan":{"AWS:EpochTime":1795348800}}}]}`)
	f.Add(`{"Statement":[{"Resource":"https://x/\u00e9","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`)
	f.Add(`{"Statement":[{}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := cfsign.ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		// What parses renders, and the rendering parses back the same.
		out, err := p.JSON()
		if err != nil {
			t.Fatalf("parsed policy does not render: %v", err)
		}
		q, err := cfsign.ParsePolicy(out)
		if err != nil || q.Resource != p.Resource || !q.DateLessThan.Equal(p.DateLessThan) || !q.DateGreaterThan.Equal(p.DateGreaterThan) {
			t.Fatalf("round trip differs: %v\n%s", err, out)
		}
	})
}

// FuzzVerify: any URL either fails to verify or is one the signer made;
// nothing panics.
func FuzzVerify(f *testing.F) {
	s, err := cfsign.New("KRSA", rsaKey, clock)
	if err != nil {
		f.Fatal(err)
	}
	canned, _ := s.SignURL("https://d1.cloudfront.net/a.pdf?x=1", later)
	custom, _ := s.SignURLWithPolicy("https://d1.cloudfront.net/v/1", cfsign.Policy{Resource: "https://d1.cloudfront.net/v/*", DateLessThan: later, SourceIP: "10.0.0.0/8"})
	f.Add(canned)
	f.Add(custom)
	f.Add("https://x/?Expires=1&Signature=&Key-Pair-Id=KRSA")
	f.Fuzz(func(t *testing.T, u string) {
		p, err := cfsign.Verify(u, pubKeys, at(now))
		if err != nil {
			return
		}
		if u != canned && p.Resource != "https://d1.cloudfront.net/v/*" {
			t.Fatalf("verified a URL the signer did not make: %q", u)
		}
		if p.DateLessThan.Before(now) || p.DateLessThan.After(now.Add(2*time.Hour)) {
			t.Fatalf("verified with a forged expiry: %v", p.DateLessThan)
		}
	})
}
