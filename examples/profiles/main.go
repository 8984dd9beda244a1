// Command profiles keeps one AWS credentials file per IAM user.
//
//	go run ./examples/profiles import -dir DIR [-profile NAME] [-region R] [-file F]
//	go run ./examples/profiles list   -dir DIR
//	go run ./examples/profiles env    -dir DIR -profile NAME
//	go run ./examples/profiles export -dir DIR -profile NAME [-format F]
//	go run ./examples/profiles whoami -dir DIR -profile NAME [-endpoint URL]
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
// Any error exits with status 1 and one line on standard error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kumo-go/kumo/credentials"
)

const commands = "import list env export whoami remove"

const usage = `usage:
  profiles import -dir DIR [-profile NAME] [-region R] [-file F]
  profiles list   -dir DIR
  profiles env    -dir DIR -profile NAME
  profiles export -dir DIR -profile NAME [-format process|env|env-no-export|powershell|windows-cmd|fish]
  profiles whoami -dir DIR -profile NAME [-endpoint URL]
  profiles remove -dir DIR -profile NAME`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "profiles:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing command: want one of " + commands)
	}
	cmd := args[0]
	if cmd == "-h" || cmd == "-help" || cmd == "--help" || cmd == "help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	if !strings.Contains(" "+commands+" ", " "+cmd+" ") {
		return fmt.Errorf("unknown command %q: want one of %s", cmd, commands)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dirPath := fs.String("dir", "", "folder of per-profile credentials files")
	profile := fs.String("profile", "", "profile name")
	region := fs.String("region", "", "default region for the profile (import)")
	file := fs.String("file", "-", "create-access-key JSON, - for standard input (import)")
	endpoint := fs.String("endpoint", "", "STS endpoint URL, such as a local emulator (whoami)")
	format := fs.String("format", "env", "output format (export)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%s: %v (run profiles -h for usage)", cmd, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if *dirPath == "" {
		return fmt.Errorf("%s: -dir is required", cmd)
	}
	needProfile := func() error {
		if *profile == "" {
			return fmt.Errorf("%s: -profile is required", cmd)
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
		var opts []func(*config.LoadOptions) error
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
