// Command profiles keeps one AWS credentials file per IAM user.
//
//	go run ./examples/profiles import -dir DIR [-profile NAME] [-region R] [-in F]
//	go run ./examples/profiles list   -dir DIR
//	go run ./examples/profiles env    -dir DIR -profile NAME
//	go run ./examples/profiles export -dir DIR -profile NAME [-format F]
//	go run ./examples/profiles whoami -dir DIR -profile NAME [-endpoint URL] [-debug]
//	go run ./examples/profiles remove -dir DIR -profile NAME
//
// import reads the JSON of `aws iam create-access-key` from F or standard
// input and prints the file it wrote (creating DIR, mode 0700, if needed);
// env prints lines that point a shell at the profile's file; export prints
// the credentials themselves as `aws configure export-credentials --format F`
// does (process, env, env-no-export, powershell, windows-cmd, fish; default
// env):
//
//	aws iam create-access-key --user-name alice | go run ./examples/profiles import -dir ~/.aws/users
//	eval "$(go run ./examples/profiles env -dir ~/.aws/users -profile alice)"
//	go run ./examples/profiles export -dir ~/.aws/users -profile alice -format fish | source
//
// Only import creates anything: list, env, export, whoami and remove on a
// folder that does not exist say so and leave the file system as it was.
//
// profiles -h and profiles COMMAND -h print the usage; a wrong command line
// prints it and exits 2; any other error exits 1 with one line on standard
// error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/internal/cli"
)

const commands = "import list env export whoami remove"

// synopses are the commands' usage lines.
var synopses = map[string]string{
	"import": "profiles import -dir DIR [-profile NAME] [-region R] [-in F]\n\n" +
		"Stores the JSON of `aws iam create-access-key` (from F, or standard input)\n" +
		"as DIR/NAME.ini, NAME defaulting to the user name, and prints the file.",
	"list": "profiles list -dir DIR\n\nPrints the profiles in DIR.",
	"env":  "profiles env -dir DIR -profile NAME\n\nPrints export lines that point a shell at the profile's file.",
	"export": "profiles export -dir DIR -profile NAME [-format process|env|env-no-export|powershell|windows-cmd|fish]\n\n" +
		"Prints the credentials as aws configure export-credentials does.",
	"whoami": "profiles whoami -dir DIR -profile NAME [-endpoint URL] [-debug]\n\nPrints the ARN STS says the profile's keys belong to.",
	"remove": "profiles remove -dir DIR -profile NAME\n\nDeletes the profile's file.",
}

const usage = `profiles import|list|env|export|whoami|remove -dir DIR [flags]

Keeps one AWS credentials file per IAM user in DIR. Run profiles COMMAND -h
for a command's flags.`

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout)
	os.Exit(cli.Exit("profiles", err, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	cmd, fs, rest, err := cli.Dispatch("profiles", usage, commands, synopses, args)
	if err != nil {
		return err
	}
	// Each command takes only its own flags, so one it would ignore (-region
	// on list, -format on env) is refused rather than dropped.
	str := func(on bool, name, value, usage string) *string {
		if !on {
			return new(string)
		}
		return fs.String(name, value, usage)
	}
	dirPath := fs.String("dir", "", "folder of per-profile credentials files (required)")
	profileUsage := "profile name (required)"
	if cmd == "import" {
		profileUsage = "profile name (default: the IAM user name)"
	}
	profile := str(cmd != "list", "profile", "", profileUsage)
	region := str(cmd == "import", "region", "", "default region for the profile")
	file := str(cmd == "import", "in", "-", "create-access-key JSON file, - for standard input")
	endpoint := str(cmd == "whoami", "endpoint", "", "AWS endpoint URL, such as an emulator's (moto_server); default: AWS")
	format := str(cmd == "export", "format", string(credentials.FormatEnv), "output format")
	debug := new(bool)
	if cmd == "whoami" {
		debug = fs.Bool("debug", false, "print the AWS SDK's warnings and retries on standard error")
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if *dirPath == "" {
		return fs.Usagef("%s: -dir is required", cmd)
	}
	if cmd == "export" && !slices.Contains(credentials.ExportFormats(), credentials.ExportFormat(*format)) {
		return fs.Usagef("export: -format %q: want one of %v", *format, credentials.ExportFormats())
	}
	needProfile := func() error {
		if *profile == "" {
			return fs.Usagef("%s: -profile is required", cmd)
		}
		return nil
	}
	dir, err := credentials.OpenDir(*dirPath)
	if err != nil {
		return err
	}
	switch cmd {
	case "import":
		in := stdin
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
		p, err := credentials.FromAccessKeyJSON(in)
		if err != nil {
			return err
		}
		if *profile != "" {
			p.Name = *profile
		}
		p.Region = *region
		if err := dir.Put(p); err != nil {
			return err
		}
		path, _ := dir.Path(p.Name)
		fmt.Fprintln(stdout, path)
	case "list":
		names, err := dir.List()
		if err != nil {
			return err
		}
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
	case "env":
		if err := needProfile(); err != nil {
			return err
		}
		if _, err := dir.Get(*profile); err != nil {
			return err
		}
		env, err := dir.Env(*profile)
		if err != nil {
			return err
		}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			fmt.Fprintf(stdout, "export %s=%s\n", k, shellQuote(v))
		}
	case "export":
		if err := needProfile(); err != nil {
			return err
		}
		p, err := dir.Get(*profile)
		if err != nil {
			return err
		}
		out, err := credentials.Export(p.Credentials(), credentials.ExportFormat(*format))
		if err != nil {
			return err
		}
		_, err = stdout.Write(out)
		return err
	case "whoami":
		if err := needProfile(); err != nil {
			return err
		}
		opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
		if *debug {
			opts = []func(*config.LoadOptions) error{config.WithLogger(logging.NewStandardLogger(os.Stderr)), config.WithClientLogMode(aws.LogRetries)}
		}
		if *endpoint != "" {
			opts = append(opts, config.WithBaseEndpoint(*endpoint))
		}
		cfg, err := dir.LoadConfig(ctx, *profile, opts...)
		if err != nil {
			return err
		}
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, aws.ToString(id.Arn))
	case "remove":
		if err := needProfile(); err != nil {
			return err
		}
		return dir.Delete(*profile)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
