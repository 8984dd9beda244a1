// Command cfsign signs a CloudFront URL, or makes signed cookies, with the
// AWS CLI's flags:
//
//	go run ./examples/cfsign -url U -key-pair-id ID -private-key FILE -date-less-than T
//	    [-date-greater-than T] [-ip-address CIDR] [-hash-algorithm SHA1|SHA256] [-cookies]
//
// T is RFC 3339, a date YYYY-MM-DD (midnight UTC), or Unix seconds. It
// prints the signed URL on one line, or with -cookies one Set-Cookie: line
// per cookie. -h prints the usage; a wrong command line prints the usage
// and exits 2; any other error exits 1 with one line on standard error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kumo-go/kumo/cfsign"
	"github.com/kumo-go/kumo/internal/cli"
)

const synopsis = `cfsign -url U -key-pair-id ID -private-key FILE -date-less-than T
           [-date-greater-than T] [-ip-address CIDR] [-hash-algorithm SHA1|SHA256] [-cookies]

Signs a CloudFront URL, or with -cookies makes signed cookies, as
aws cloudfront sign does. T is RFC 3339, a date YYYY-MM-DD (midnight UTC)
or Unix seconds.`

func main() {
	os.Exit(cli.Exit("cfsign", run(os.Args[1:], os.Stdout, time.Now), os.Stdout, os.Stderr))
}

func run(args []string, stdout io.Writer, clock func() time.Time) error {
	fs := cli.NewFlagSet("cfsign", synopsis)
	rawURL := fs.String("url", "", "the URL to sign (for cookies, the policy resource; * wildcards allowed)")
	keyPairID := fs.String("key-pair-id", "", "the public key ID in the distribution's key group")
	keyFile := fs.String("private-key", "", "PEM private key file (file:// accepted)")
	lessThan := fs.String("date-less-than", "", "when access ends")
	greaterThan := fs.String("date-greater-than", "", "when access begins")
	ip := fs.String("ip-address", "", "IPv4 address or CIDR range clients must come from")
	hash := fs.String("hash-algorithm", "", "SHA1 or SHA256 (default SHA1 for RSA, SHA256 for ECDSA)")
	cookies := fs.Bool("cookies", false, "print Set-Cookie lines instead of a URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, req := range []struct{ name, value string }{
		{"-url", *rawURL}, {"-key-pair-id", *keyPairID}, {"-private-key", *keyFile}, {"-date-less-than", *lessThan},
	} {
		if req.value == "" {
			return fs.Usagef("%s is required", req.name)
		}
	}
	key, err := cfsign.LoadPrivateKeyFile(strings.TrimPrefix(*keyFile, "file://"))
	if err != nil {
		return err
	}
	var h cfsign.Hash
	switch strings.ToUpper(*hash) {
	case "":
	case "SHA1":
		h = cfsign.SHA1
	case "SHA256":
		h = cfsign.SHA256
	default:
		return fs.Usagef("-hash-algorithm %q: want SHA1 or SHA256", *hash)
	}
	signer, err := cfsign.New(*keyPairID, key, func(o *cfsign.Options) { o.Hash, o.Clock = h, clock })
	if err != nil {
		return err
	}
	p := cfsign.Policy{Resource: *rawURL, SourceIP: *ip}
	if p.DateLessThan, err = parseTime(*lessThan); err != nil {
		return fs.Usagef("-date-less-than: %w", err)
	}
	if *greaterThan != "" {
		if p.DateGreaterThan, err = parseTime(*greaterThan); err != nil {
			return fs.Usagef("-date-greater-than: %w", err)
		}
	}
	if *cookies {
		cs, err := signer.SignedCookies(p)
		if err != nil {
			return err
		}
		for _, c := range cs {
			fmt.Fprintln(stdout, "Set-Cookie: "+c.String())
		}
		return nil
	}
	var signed string
	if p.Canned() {
		signed, err = signer.SignURL(*rawURL, p.DateLessThan)
	} else {
		signed, err = signer.SignURLWithPolicy(*rawURL, p)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, signed)
	return nil
}

// parseTime reads RFC 3339, YYYY-MM-DD (midnight UTC) or Unix seconds.
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or Unix seconds")
}
