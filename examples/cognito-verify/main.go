// Command cognito-verify verifies one Cognito user-pool token (a JWT) as a
// service behind Cognito would: the RS256 signature against the pool's
// JWKS, the issuer, the token use, the app client and the expiry.
//
//	go run ./examples/cognito-verify -user-pool-id ID [-region R] [-client-id C]... [-token-use id|access] [-issuer-type original|updated] [-jwks-url URL] TOKEN
//
// TOKEN - reads the token from stdin. On success it prints the token's
// claims as one JSON object on stdout and exits 0; on any failure it
// prints one line naming the reason on stderr and exits 1. -h prints the
// usage; a wrong command line prints it and exits 2. The region defaults
// to the one the pool ID starts with (eu-west-1 for eu-west-1_AbC123).
//
// -client-id may be given several times; without it, tokens of every app
// client of the pool are accepted. Without -token-use, ID and access
// tokens are both accepted. -issuer-type updated is for a pool whose
// issuer configuration is UPDATED (its tokens' iss is
// https://issuer-cognito-idp.<region>.amazonaws.com/<pool>). -jwks-url
// replaces the issuer's /.well-known/jwks.json (for an emulator, or
// cognitotest in tests).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, time.Now)
	stop()
	os.Exit(cli.Exit("cognito-verify", err, os.Stdout, os.Stderr))
}

const synopsis = `cognito-verify -user-pool-id ID [-region R] [-client-id C]... [-token-use id|access] [-issuer-type original|updated] [-jwks-url URL] TOKEN|-

Verifies a Cognito user-pool token (RS256 signature against the pool's
JWKS, issuer, token use, app client, expiry) and prints its claims as one
JSON line. TOKEN - reads the token from standard input.`

// maxStdin bounds what is read for "-": Verify refuses tokens over 1 MiB;
// the rest is room for white space around it.
const maxStdin = 1<<20 + 4<<10

type clientIDs []string

func (c *clientIDs) String() string     { return strings.Join(*c, ",") }
func (c *clientIDs) Set(s string) error { *c = append(*c, s); return nil }

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, clock func() time.Time) error {
	fs := cli.NewFlagSet("cognito-verify", synopsis)
	pool := fs.String("user-pool-id", "", "user pool ID, <region>_<id>")
	region := fs.String("region", "", "the pool's region (default: the one the pool ID starts with)")
	var clients clientIDs
	fs.Var(&clients, "client-id", "app client whose tokens are accepted (repeatable; default: any client of the pool)")
	use := fs.String("token-use", "", "id or access (default: either)")
	issuerType := fs.String("issuer-type", "original", "the pool's issuer configuration: original or updated")
	jwksURL := fs.String("jwks-url", "", "JWKS URL (default: the pool's)")
	if err := fs.ParseArgs(args); err != nil {
		return err
	}
	if *pool == "" {
		return fs.Usagef("-user-pool-id is required")
	}
	if *region == "" {
		r, _, ok := strings.Cut(*pool, "_")
		if !ok || r == "" {
			return fs.Usagef("-user-pool-id %q is not <region>_<id>: give -region", *pool)
		}
		*region = r
	}
	if fs.NArg() != 1 {
		return fs.Usagef("want one TOKEN argument (or - for stdin), got %d", fs.NArg())
	}
	tokenUse := cognitoauth.TokenUseAny
	switch *use {
	case "":
	case "id", "access":
		tokenUse = cognitoauth.TokenUse(*use)
	default:
		return fs.Usagef("-token-use %q: want id or access", *use)
	}
	var issuer ciptypes.IssuerType
	switch *issuerType {
	case "original":
		issuer = ciptypes.IssuerTypeOriginal
	case "updated":
		issuer = ciptypes.IssuerTypeUpdated
	default:
		return fs.Usagef("-issuer-type %q: want original or updated", *issuerType)
	}
	token := fs.Arg(0)
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, maxStdin+1))
		if err != nil {
			return fmt.Errorf("reading the token from stdin: %w", err)
		}
		if len(b) > maxStdin {
			return fmt.Errorf("stdin holds over %d bytes: not a token", maxStdin)
		}
		token = strings.TrimSpace(string(b))
	}
	v, err := cognitoauth.NewVerifier(*region, *pool, func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs, o.AnyClient, o.TokenUse, o.IssuerType, o.JWKSURL, o.Clock = clients, len(clients) == 0, tokenUse, issuer, *jwksURL, clock
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	claims, err := v.Verify(ctx, token)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, claims.Raw); err != nil {
		return fmt.Errorf("the verified claims do not print: %w", err)
	}
	out.WriteByte('\n')
	_, err = stdout.Write(out.Bytes())
	return err
}
