package cli

import (
	"context"
	"flag"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// AWSFlags are the flags every example program that calls AWS takes, with
// the same names and meanings everywhere.
type AWSFlags struct {
	Endpoint string // -endpoint: every client's base URL, for an emulator such as moto_server
	Region   string // -region: overrides the environment and the shared config
	Profile  string // -profile: the shared config profile (as the AWS CLI's --profile)
	Debug    bool   // -debug: the SDK's own warnings and retries on standard error

	// DefaultRegion is the region when neither -region, the environment
	// nor the profile names one; "" leaves cfg.Region empty. Set it before
	// Register, whose help text states it.
	DefaultRegion string
}

// Register adds -endpoint, -region, -profile and -debug to fs.
func (a *AWSFlags) Register(fs *flag.FlagSet) {
	fallback := "from the environment or the profile"
	if a.DefaultRegion != "" {
		fallback += ", else " + a.DefaultRegion
	}
	fs.StringVar(&a.Endpoint, "endpoint", "", "AWS endpoint URL, such as an emulator's (moto_server); default: AWS")
	fs.StringVar(&a.Region, "region", "", "AWS region (default: "+fallback+")")
	fs.StringVar(&a.Profile, "profile", "", "shared config profile (default: AWS_PROFILE, else default)")
	fs.BoolVar(&a.Debug, "debug", false, "print the AWS SDK's warnings and retries on standard error")
}

// Config loads the SDK's default config with the flags applied. Without
// -debug the SDK logs nothing, so a missing credential is one error, not
// the SDK's EC2 metadata warnings before it.
func (a *AWSFlags) Config(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if a.Debug {
		opts = []func(*config.LoadOptions) error{
			config.WithLogger(logging.NewStandardLogger(os.Stderr)),
			config.WithClientLogMode(aws.LogRetries),
		}
	}
	if a.Region != "" {
		opts = append(opts, config.WithRegion(a.Region))
	}
	if a.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(a.Profile))
	}
	if a.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(a.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, optFns...)...)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		cfg.Region = a.DefaultRegion
	}
	return cfg, nil
}
