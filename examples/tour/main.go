// Command tour walks through every kumo package end to end and says what
// each step does. It runs offline, against kumo's in-process fakes, and needs
// no AWS account:
//
//	go run ./examples/tour
//
// With -endpoint it runs the same steps against an AWS emulator such as
// moto_server or LocalStack instead:
//
//	moto_server -p 5000 &
//	go run ./examples/tour -endpoint http://127.0.0.1:5000
//
// It exits 0 when every stop succeeded, 1 with one line on standard error
// when one failed; -h prints the usage, and a wrong command line prints it
// and exits 2.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kumo-go/kumo/internal/cli"
)

// guide carries what every stop needs and prints the narration.
type guide struct {
	out      io.Writer
	endpoint string // empty: the in-process fakes
	work     string // a scratch folder, removed at the end
}

func (g *guide) title(n int, s string) { fmt.Fprintf(g.out, "\n== %d. %s ==\n", n, s) }

// say narrates a step.
func (g *guide) say(format string, args ...any) { fmt.Fprintf(g.out, "  "+format+"\n", args...) }

// show prints a block of text (a file, a JSON document) indented.
func (g *guide) show(text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(g.out, "    | %s\n", line)
	}
}

type stop struct {
	name string
	run  func(context.Context, *guide) error
}

// stops lists the tour; each package adds its own.
var stops = []stop{
	{"credentials: one credentials file per IAM user, and safe edits of ~/.aws", credentialsStop},
	{"kms: envelope encryption with KMS data keys, in the AWS Encryption SDK format", envelopeStop},
	{"cfsign: CloudFront signed URLs and cookies", cloudfrontStop},
	{"s3sign: presigned URLs and POST forms that fail early", presignStop},
	{"cognitoauth: user-pool sign-in traded for self-refreshing AWS credentials", cognitoStop},
	{"cognitoauth: a Go service verifies the user's Cognito token", cognitoVerifyStop},
	{"iamx: SAML sign-in, a trust policy checked offline, and a safe key rotation", iamStop},
	{"sqsx: batched sends and ordered FIFO processing that survives a failure", sqsStop},
}

const synopsis = `tour [-endpoint URL]

Walks through every kumo package end to end and says what each step does:
offline against kumo's in-process fakes, or with -endpoint against an AWS
emulator such as moto_server.`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain is main with its command line and output given; it registers
// the flags on flag.CommandLine.
func realMain(args []string, stdout, stderr io.Writer) int {
	endpoint := flag.String("endpoint", "", "AWS endpoint URL, such as an emulator's (moto_server); default: kumo's in-process fakes")
	fs := cli.Wrap(flag.CommandLine, "tour", synopsis)
	if err := fs.Parse(args); err != nil {
		return fs.Exit(err, stdout, stderr)
	}
	return fs.Exit(run(context.Background(), stdout, *endpoint), stdout, stderr)
}

func run(ctx context.Context, out io.Writer, endpoint string) error {
	work, err := os.MkdirTemp("", "kumo-tour-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	g := &guide{out: out, endpoint: endpoint, work: work}
	where := "offline, against kumo's in-process fakes"
	if endpoint != "" {
		where = "against the emulator at " + endpoint
	}
	fmt.Fprintf(out, "kumo tour (%d stops), %s.\n", len(stops), where)
	for i, s := range stops {
		g.title(i+1, s.name)
		if err := s.run(ctx, g); err != nil {
			return fmt.Errorf("stop %d (%s): %w", i+1, s.name, err)
		}
	}
	fmt.Fprintln(out, "\nEvery stop done.")
	return nil
}
