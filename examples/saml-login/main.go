// Command saml-login turns the SAML response your identity provider posts
// to AWS into AWS credentials: stored in a per-profile file, or as a
// console sign-in URL.
//
//	go run ./examples/saml-login -saml-response-file F -list-roles
//	go run ./examples/saml-login -saml-response-file F [-role ARN|name|account:name] [-duration 1h]
//	    [-dir DIR -profile NAME] [-console] [-region R] [-endpoint URL]
//
// F holds the SAMLResponse form value (base64), the XML, or the IdP's HTML
// page as saved from the browser; "-" reads standard input. -list-roles
// prints one "roleArn providerArn" line per role the assertion offers.
// -dir and -profile write the credentials to DIR/NAME.ini (0600 in a 0700
// folder); -console prints a URL that signs you in to the console. The
// AssumeRoleWithSAML call needs no AWS credentials; -endpoint points it at
// an emulator such as moto_server.
//
// -h prints the usage; a wrong command line prints it and exits 2; any
// other error exits 1 with one line on standard error. Neither the
// assertion nor the credentials are ever printed.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/internal/cli"
)

const synopsis = `saml-login -saml-response-file F -list-roles
       saml-login -saml-response-file F [-role ARN|name|account:name] [-duration 1h]
                  [-dir DIR -profile NAME] [-console] [-region R] [-endpoint URL]

Turns the SAML response your identity provider posts to AWS (F: the form
value, the XML or the saved HTML page; - for standard input) into AWS
credentials, stored as DIR/NAME.ini, or a console sign-in URL.`

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout)
	os.Exit(cli.Exit("saml-login", err, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := cli.NewFlagSet("saml-login", synopsis)
	var (
		file       = fs.String("saml-response-file", "", `file holding the SAML response ("-" for standard input)`)
		listRoles  = fs.Bool("list-roles", false, "print the roles the assertion offers and stop")
		roleMatch  = fs.String("role", "", "the role to assume: ARN, name or account:name (optional when there is one)")
		duration   = fs.Duration("duration", 0, "session length, 15m to 12h (default: the assertion's, else 1h)")
		dirPath    = fs.String("dir", "", "folder of per-profile credential files")
		profile    = fs.String("profile", "", "profile to write in -dir")
		console    = fs.Bool("console", false, "print a console sign-in URL")
		region     = fs.String("region", "us-east-1", "STS region")
		endpoint   = fs.String("endpoint", "", "AWS endpoint URL, such as an emulator's (moto_server); default: AWS")
		federation = fs.String("federation-endpoint", "", "sign-in federation endpoint, for a proxy or test")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		return fs.Usagef("-saml-response-file is required (a file, or - for standard input)")
	}
	if !*listRoles && *dirPath == "" && !*console {
		return fs.Usagef("nothing to do: pass -list-roles, -dir with -profile to store credentials, or -console for a sign-in URL")
	}
	if (*dirPath == "") != (*profile == "") {
		return fs.Usagef("-dir and -profile go together")
	}
	var dir *credentials.Dir
	if *dirPath != "" {
		var err error
		if dir, err = credentials.OpenDir(*dirPath); err != nil {
			return err
		}
	}

	raw, err := readInput(*file, stdin)
	if err != nil {
		return err
	}
	a, err := iamx.ParseSAMLResponse(string(raw))
	if err != nil {
		return err
	}
	if *listRoles {
		for _, r := range a.Roles {
			fmt.Fprintf(stdout, "%s %s\n", r.RoleARN, r.PrincipalARN)
		}
		return nil
	}
	role, err := a.Role(*roleMatch)
	if err != nil {
		return err
	}
	client := sts.New(sts.Options{Region: *region, BaseEndpoint: optional(*endpoint)})
	creds, err := iamx.AssumeRoleWithSAML(ctx, client, a, role, func(o *iamx.SAMLOptions) { o.Duration = *duration })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "assumed %s until %s\n", role.RoleARN, creds.Expires.UTC().Format(time.RFC3339))
	if dir != nil {
		p, err := credentials.FromAWS(creds)
		if err != nil {
			return err
		}
		p.Name, p.Region = *profile, *region
		if err := dir.Put(p); err != nil {
			return err
		}
		path, _ := dir.Path(*profile)
		fmt.Fprintln(stdout, path)
	}
	if *console {
		u, err := iamx.ConsoleURL(ctx, creds, "", func(o *iamx.ConsoleOptions) {
			o.FederationEndpoint = *federation
			switch {
			case strings.HasPrefix(*region, "cn-"):
				o.Partition = "aws-cn"
			case strings.HasPrefix(*region, "us-gov-"):
				o.Partition = "aws-us-gov"
			}
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, u)
	}
	return nil
}

// readInput reads the response from a file or standard input, refusing
// anything larger than a SAML response can be.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	const limit = 8 << 20
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s is over %d MiB; a SAML response is far smaller", name, limit>>20)
	}
	return b, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
