package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kumo-go/kumo/credentials"
)

// sampleAccessKey is what `aws iam create-access-key` prints, with AWS's
// documented example key.
const sampleAccessKey = `{
    "AccessKey": {
        "UserName": "alice",
        "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "Status": "Active",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "CreateDate": "2026-11-22T10:00:00+00:00"
    }
}`

func credentialsStop(ctx context.Context, g *guide) error {
	keyJSON := sampleAccessKey
	if g.endpoint != "" {
		g.say("Creating an IAM user and an access key through the IAM API of the emulator.")
		js, err := createAccessKey(ctx, g.endpoint)
		if err != nil {
			return err
		}
		keyJSON = js
	} else {
		g.say("Starting from the JSON that `aws iam create-access-key --user-name alice` prints.")
	}
	p, err := credentials.FromAccessKeyJSON(strings.NewReader(keyJSON))
	if err != nil {
		return err
	}
	p.Region = "eu-west-1"
	g.say("FromAccessKeyJSON read it; printed, the profile hides its secret:")
	g.say("  %v", p)

	dir, err := credentials.OpenDir(filepath.Join(g.work, "users"))
	if err != nil {
		return err
	}
	if err := dir.Put(p); err != nil {
		return err
	}
	path, _ := dir.Path(p.Name)
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	g.say("Dir.Put wrote %s (mode %04o, in a 0700 folder it created: OpenDir itself creates nothing), atomically and under a lock.", filepath.Base(path), fi.Mode().Perm())
	env, _ := dir.Env(p.Name)
	g.say("A shell or child process points at it with:")
	for _, kv := range env {
		g.say("  export %s", kv)
	}

	var opts []func(*config.LoadOptions) error
	if g.endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(g.endpoint))
	}
	cfg, err := dir.LoadConfig(ctx, p.Name, opts...)
	if err != nil {
		return err
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	g.say("Dir.LoadConfig loaded an aws.Config from that file alone (AWS_REGION and keys in the environment do not mix in): region %s, key %s.", cfg.Region, c.AccessKeyID)
	if g.endpoint != "" {
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return err
		}
		g.say("STS GetCallerIdentity with it answers: %s", aws.ToString(id.Arn))
	}

	// Editing a hand-kept ~/.aws/config.
	cfgPath := filepath.Join(g.work, "config")
	original := "# my settings: keep this comment\n[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 20\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start#/\n"
	if err := os.WriteFile(cfgPath, []byte(original), 0o600); err != nil {
		return err
	}
	f, err := credentials.OpenSharedFile(cfgPath, credentials.ConfigFile)
	if err != nil {
		return err
	}
	if err := f.Set(credentials.Profile{Name: p.Name, Region: p.Region}); err != nil {
		return err
	}
	if err := f.SetKey(p.Name, "output", "json"); err != nil {
		return err
	}
	if err := f.Save(); err != nil {
		return err
	}
	edited, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(edited, []byte(original)) {
		return fmt.Errorf("the edit changed lines it should have left alone")
	}
	g.say("SharedFile added [profile %s] to a hand-kept config file; every earlier byte is unchanged:", p.Name)
	g.show(string(edited))

	stale, err := credentials.OpenSharedFile(cfgPath, credentials.ConfigFile)
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, append(edited, "# edited elsewhere\n"...), 0o600); err != nil {
		return err
	}
	_ = stale.SetKey(p.Name, "output", "text")
	g.say("Saving over a file another program changed meanwhile is refused: %v", stale.Save())

	out, err := credentials.ProcessOutput(aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken: "EXAMPLETOKEN", CanExpire: true, Expires: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	g.say("ProcessOutput renders credentials for a credential_process command:")
	g.show(string(out))

	// The formats of `aws configure export-credentials`, quoted for each
	// shell so a hostile value can never run a command.
	exp, err := credentials.Export(aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken: "EXAMPLETOKEN", AccountID: "111122223333"}, credentials.FormatFish)
	if err != nil {
		return err
	}
	g.say("Export writes what `aws configure export-credentials --format fish` writes (also process, env, env-no-export, powershell, windows-cmd):")
	g.show(string(exp))
	hostile, err := credentials.Export(aws.Credentials{AccessKeyID: "AKIA$(reboot)", SecretAccessKey: "x"}, credentials.FormatEnv)
	if err != nil {
		return err
	}
	g.say("A value a shell would interpret is quoted, never run: %s", strings.SplitN(string(hostile), "\n", 2)[0])

	// A mistyped folder: reading it leaves nothing behind.
	typo, err := credentials.OpenDir(filepath.Join(g.work, "usres"))
	if err != nil {
		return err
	}
	_, err = typo.List()
	_, statErr := os.Stat(filepath.Join(g.work, "usres"))
	g.say("Listing a mistyped folder fails and creates nothing (%v): %v", os.IsNotExist(statErr), err)
	return nil
}

// createAccessKey makes a user and a key in the emulator and returns the key
// as create-access-key JSON.
func createAccessKey(ctx context.Context, endpoint string) (string, error) {
	client := iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  awscreds.NewStaticCredentialsProvider("test", "test", ""),
	})
	user := fmt.Sprintf("kumo-tour-%d", time.Now().UnixNano())
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		return "", err
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return "", err
	}
	js, err := json.Marshal(map[string]any{"AccessKey": map[string]string{
		"UserName":        aws.ToString(key.AccessKey.UserName),
		"AccessKeyId":     aws.ToString(key.AccessKey.AccessKeyId),
		"Status":          string(key.AccessKey.Status),
		"SecretAccessKey": aws.ToString(key.AccessKey.SecretAccessKey),
	}})
	return string(js), err
}
