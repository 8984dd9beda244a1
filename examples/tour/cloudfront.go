package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/netip"
	"strings"
	"time"

	"github.com/kumo-go/kumo/cfsign"
)

// cloudfrontStop signs locally; CloudFront checks at the edge, which
// cfsign.Verify stands in for here, offline or not.
func cloudfrontStop(_ context.Context, g *guide) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	signer, err := cfsign.New("K2JCJMDEHXQW5F", key)
	if err != nil {
		return err
	}
	keys := map[string]crypto.PublicKey{"K2JCJMDEHXQW5F": &key.PublicKey}
	now := time.Now()
	u, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/reports/q3.pdf", now.Add(time.Hour))
	if err != nil {
		return err
	}
	g.say("An ECDSA P-256 key signs a canned URL valid for an hour (SHA-256, tens of µs a signature):")
	g.say("  %s...", u[:min(len(u), 110)])
	if _, err := cfsign.Verify(u, keys); err != nil {
		return err
	}
	g.say("Verify, doing what the edge does, accepts it; a changed path is refused: %v",
		errOf(cfsign.Verify(strings.Replace(u, "q3", "q4", 1), keys)))
	later := func(o *cfsign.VerifyOptions) { o.Clock = func() time.Time { return now.Add(2 * time.Hour) } }
	g.say("  and after the hour: %v", errOf(cfsign.Verify(u, keys, later)))
	g.say("  and so is Expires written another way (%s): %v", "Expires=0…",
		errOf(cfsign.Verify(strings.Replace(u, "Expires=", "Expires=0", 1), keys)))
	q := cfsign.Policy{Resource: "https://d111111abcdef8.cloudfront.net/app.js?v=339", DateLessThan: now.Add(time.Hour)}
	g.say("A URL with a query and only an expiry is canned, as the AWS CLI signs it: Canned() = %v", q.Canned())

	p := cfsign.Policy{Resource: "https://d111111abcdef8.cloudfront.net/videos/*", DateLessThan: now.Add(24 * time.Hour), SourceIP: "192.0.2.0/24"}
	cookies, err := signer.SignedCookies(p, func(o *cfsign.CookieOptions) { o.Domain = "d111111abcdef8.cloudfront.net" })
	if err != nil {
		return err
	}
	var names []string
	for _, c := range cookies {
		names = append(names, c.Name)
	}
	g.say("A custom policy for every video, from 192.0.2.0/24 only, as cookies: %s", strings.Join(names, ", "))
	from := func(ip string) func(*cfsign.VerifyOptions) {
		return func(o *cfsign.VerifyOptions) { o.ClientIP = netip.MustParseAddr(ip) }
	}
	video := "https://d111111abcdef8.cloudfront.net/videos/intro.mp4"
	if _, err := cfsign.VerifyCookies(video, cookies, keys, from("192.0.2.44")); err != nil {
		return err
	}
	g.say("They open %s from 192.0.2.44, and not from 198.51.100.1: %v", video,
		errOf(cfsign.VerifyCookies(video, cookies, keys, from("198.51.100.1"))))
	_, err = signer.SignURL("https://d111111abcdef8.cloudfront.net/my report.pdf", now.Add(time.Hour))
	g.say("Mistakes fail here, not at the edge: %v", err)
	return nil
}

func errOf(_ cfsign.Policy, err error) error { return err }
