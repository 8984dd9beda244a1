package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

// botocoreRead prints what botocore resolves for a profile.
const botocoreRead = `
import json, sys, botocore.session
s = botocore.session.Session(profile=sys.argv[1])
c = s.get_credentials().get_frozen_credentials()
print(json.dumps({"key": c.access_key, "secret": c.secret_key, "token": c.token,
                  "region": s.get_config_variable("region"),
                  "output": s.get_scoped_config().get("output")}))
`

type botoView struct {
	Key, Secret, Region string
	Token, Output       *string
}

func readWithBotocore(t *testing.T, env []string, profile string) botoView {
	t.Helper()
	out := runTool(t, env, "", "python3", "-c", botocoreRead, profile)
	var v botoView
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

func str(s string) *string { return &s }

// A file kumo's Dir writes is read the same way by the AWS CLI, botocore and
// aws-sdk-go-v2 through the environment Dir.Env gives.
func TestDirFilesReadByCLIBotocoreAndSDK(t *testing.T) {
	dir, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)
	profiles := []credentials.Profile{
		{Name: "alice", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Region: "eu-west-1"},
		{Name: "bob.smith+ops@example.com", AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
			SessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==", Expires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Region: "ap-southeast-2"},
	}
	for _, p := range profiles {
		require.NoError(t, dir.Put(p))
		env, err := dir.Env(p.Name)
		require.NoError(t, err)
		env = append(env, "AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none"))

		list := runTool(t, env, "", "aws", "configure", "list", "--profile", p.Name)
		assert.Regexp(t, `access_key\s+\*+`+p.AccessKeyID[len(p.AccessKeyID)-4:]+`\s+shared-credentials-file`, list)
		assert.Regexp(t, `region\s+`+p.Region+`\s`, list)

		var token *string
		if p.SessionToken != "" {
			token = str(p.SessionToken)
		}
		assert.Equal(t, botoView{Key: p.AccessKeyID, Secret: p.SecretAccessKey, Token: token, Region: p.Region},
			readWithBotocore(t, env, p.Name))

		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		cfg, err := config.LoadDefaultConfig(context.Background())
		require.NoError(t, err)
		c, err := cfg.Credentials.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, []string{p.AccessKeyID, p.SecretAccessKey, p.SessionToken, p.Region},
			[]string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, cfg.Region})
	}
}

// Files `aws configure set` writes are read and edited by kumo without a
// byte it did not change moving, and the CLI reads kumo's edits back.
func TestEditFilesWrittenByAWSConfigureSet(t *testing.T) {
	tmp := t.TempDir()
	credsPath, cfgPath := filepath.Join(tmp, "credentials"), filepath.Join(tmp, "config")
	env := []string{"AWS_SHARED_CREDENTIALS_FILE=" + credsPath, "AWS_CONFIG_FILE=" + cfgPath}
	for _, args := range [][]string{
		{"aws_access_key_id", "AKIAOLDKEY0000000000", "--profile", "dev"},
		{"aws_secret_access_key", "old/secret+value", "--profile", "dev"},
		{"region", "eu-west-1", "--profile", "dev"},
		{"s3.max_concurrent_requests", "20", "--profile", "dev"},
		{"role_arn", "arn:aws:iam::111122223333:role/ci", "--profile", "ci"},
		{"source_profile", "dev", "--profile", "ci"},
		{"output", "json"},
		{"aws_access_key_id", "AKIADEFAULT000000000"},
		{"aws_secret_access_key", "default/secret"},
	} {
		runTool(t, env, "", "aws", append([]string{"configure", "set"}, args...)...)
	}
	credsBefore, err := os.ReadFile(credsPath)
	require.NoError(t, err)
	cfgBefore, err := os.ReadFile(cfgPath)
	require.NoError(t, err)

	creds, err := credentials.OpenSharedFile(credsPath, credentials.CredentialsFile)
	require.NoError(t, err)
	assert.Equal(t, []string{"dev", "default"}, creds.Profiles())
	dev, err := creds.Get("dev")
	require.NoError(t, err)
	assert.Equal(t, credentials.Profile{Name: "dev", AccessKeyID: "AKIAOLDKEY0000000000", SecretAccessKey: "old/secret+value"}, dev)
	conf, err := credentials.OpenSharedFile(cfgPath, credentials.ConfigFile)
	require.NoError(t, err)
	assert.Equal(t, []string{"dev", "ci", "default"}, conf.Profiles())
	roleArn, _ := conf.Value("ci", "role_arn")
	assert.Equal(t, "arn:aws:iam::111122223333:role/ci", roleArn)

	// Read and saved unchanged: byte-identical.
	require.NoError(t, creds.Save())
	require.NoError(t, conf.Save())
	assertFile(t, credsPath, string(credsBefore))
	assertFile(t, cfgPath, string(cfgBefore))

	// Rotate dev's key and change its region: exactly those lines change.
	require.NoError(t, creds.Set(credentials.Profile{Name: "dev", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}))
	require.NoError(t, conf.Set(credentials.Profile{Name: "dev", Region: "us-west-2"}))
	require.NoError(t, creds.Save())
	require.NoError(t, conf.Save())
	assertFile(t, credsPath, strings.NewReplacer("AKIAOLDKEY0000000000", "AKIAIOSFODNN7EXAMPLE", "old/secret+value", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").Replace(string(credsBefore)))
	assertFile(t, cfgPath, strings.Replace(string(cfgBefore), "region = eu-west-1", "region = us-west-2", 1))

	assert.Equal(t, "us-west-2\n", runTool(t, env, "", "aws", "configure", "get", "region", "--profile", "dev"))
	assert.Equal(t, "20\n", runTool(t, env, "", "aws", "configure", "get", "s3.max_concurrent_requests", "--profile", "dev"))
	assert.Equal(t, botoView{Key: "AKIAIOSFODNN7EXAMPLE", Secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Region: "us-west-2"},
		readWithBotocore(t, env, "dev"))
	assert.Equal(t, botoView{Key: "AKIADEFAULT000000000", Secret: "default/secret", Output: str("json")},
		readWithBotocore(t, env, "default"))

	// The CLI edits kumo's output in turn, and kumo reads it.
	runTool(t, env, "", "aws", "configure", "set", "output", "table", "--profile", "dev")
	conf, err = credentials.OpenSharedFile(cfgPath, credentials.ConfigFile)
	require.NoError(t, err)
	out, ok := conf.Value("dev", "output")
	assert.True(t, ok)
	assert.Equal(t, "table", out)
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(got), path)
}

// awsCLIv2 is the Debian awscli 2.x, which has export-credentials; the aws
// first on PATH may be the 1.x line, which does not.
const awsCLIv2 = "/usr/bin/aws"

// credentials.Export is byte for byte what `aws configure
// export-credentials --format F` prints, for long-term keys read from a
// credentials file and for expiring ones from a credential_process (whose
// expiry the CLI reprints). awscli 2.9.19 has every format but fish and
// does not print AccountId, so those are checked in the unit tests.
func TestExportMatchesAWSCLIv2(t *testing.T) {
	if _, err := os.Stat(awsCLIv2); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; .ci/run should have installed awscli", awsCLIv2)
		}
		t.Skipf("%s is not installed (apt-get install awscli)", awsCLIv2)
	}
	tmp := t.TempDir()
	static := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", SessionToken: "IQoJb3JpZ2luX2VjEAk+/wEaCXVz=="}
	expiring := aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", SessionToken: "FwoGZXIvYXdzE+/=",
		CanExpire: true, Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	credsFile := filepath.Join(tmp, "credentials")
	f, err := credentials.OpenSharedFile(credsFile, credentials.CredentialsFile)
	require.NoError(t, err)
	p, err := credentials.FromAWS(static)
	require.NoError(t, err)
	p.Name = "static"
	require.NoError(t, f.Set(p))
	require.NoError(t, f.Save())
	procJSON := filepath.Join(tmp, "process.json")
	out, err := credentials.ProcessOutput(expiring)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(procJSON, out, 0o600))
	cfgFile := filepath.Join(tmp, "config")
	require.NoError(t, os.WriteFile(cfgFile, []byte("[profile expiring]\ncredential_process = /bin/cat "+procJSON+"\n"), 0o600))
	env := []string{"AWS_SHARED_CREDENTIALS_FILE=" + credsFile, "AWS_CONFIG_FILE=" + cfgFile}

	for _, c := range []struct {
		profile string
		creds   aws.Credentials
	}{{"static", static}, {"expiring", expiring}} {
		for _, format := range []credentials.ExportFormat{credentials.FormatProcess, credentials.FormatEnv, credentials.FormatEnvNoExport, credentials.FormatPowerShell, credentials.FormatWindowsCmd} {
			cli := runTool(t, env, "", awsCLIv2, "configure", "export-credentials", "--profile", c.profile, "--format", string(format))
			ours, err := credentials.Export(c.creds, format)
			require.NoError(t, err)
			assert.Equal(t, cli, string(ours), "%s, --format %s", c.profile, format)
		}
	}
}

// A CR-only credentials file (as old Mac editors wrote them) keeps its line
// endings through an edit, and botocore reads the edited file. (aws-sdk-go-v2
// reads no profile from a CR-only file at all, edited or not: see the
// credentials package's tests.)
func TestCROnlyFileEditedStaysReadableByBotocore(t *testing.T) {
	tmp := t.TempDir()
	path := filepath.Join(tmp, "credentials")
	before := "[dev]\raws_access_key_id = AKIAOLDKEY0000000000 ; old\raws_secret_access_key = old/secret\r"
	require.NoError(t, os.WriteFile(path, []byte(before), 0o600))
	env := []string{"AWS_SHARED_CREDENTIALS_FILE=" + path, "AWS_CONFIG_FILE=" + filepath.Join(tmp, "none")}
	f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)
	require.NoError(t, f.SetKey("dev", "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"))
	require.NoError(t, f.SetKey("dev", "region", "eu-west-1"))
	require.NoError(t, f.Save())
	assertFile(t, path, "[dev]\raws_access_key_id = AKIAIOSFODNN7EXAMPLE\raws_secret_access_key = old/secret\rregion = eu-west-1\r")
	assert.Equal(t, botoView{Key: "AKIAIOSFODNN7EXAMPLE", Secret: "old/secret", Region: "eu-west-1"}, readWithBotocore(t, env, "dev"))

	// botocore knows no inline comments (configparser's default) while
	// aws-sdk-go-v2 does; an edited line drops its comment so that both
	// read the new value.
	before = "[dev]\naws_access_key_id = AKIAOLDKEY0000000000 ; old\naws_secret_access_key = old/secret\n"
	require.NoError(t, os.WriteFile(path, []byte(before), 0o600))
	assert.Equal(t, "AKIAOLDKEY0000000000 ; old", readWithBotocore(t, env, "dev").Key)
	f, err = credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)
	require.NoError(t, f.SetKey("dev", "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"))
	require.NoError(t, f.Save())
	assert.Equal(t, "AKIAIOSFODNN7EXAMPLE", readWithBotocore(t, env, "dev").Key)
}

// botocoreReadMany prints, for each file given, what botocore's own INI
// reader makes of profile "a": its access key, secret, token and region.
const botocoreReadMany = `
import json, sys
from botocore.configloader import raw_config_parse
out = []
for path in json.load(sys.stdin):
    try:
        s = raw_config_parse(path).get("a")
    except Exception as e:
        out.append({"error": type(e).__name__})
        continue
    if s is None:
        out.append({"missing": True})
        continue
    out.append({k: s.get(k, "") for k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region")})
print(json.dumps(out))
`

// Files in the grammar botocore and aws-sdk-go-v2 agree on (no inline
// comments, no quotes, no blanks inside brackets, no duplicate sections or
// keys, which configparser refuses), with LF, CRLF and CR line endings, are read by kumo as botocore
// reads them. (Where the two differ, kumo reads as aws-sdk-go-v2, and an
// edited line drops its inline comment so both agree afterwards.)
func TestSharedFileReadsAsBotocore(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var paths []string
	var want []map[string]string
	for i := range 300 {
		eol := pick("\n", "\r\n", "\r")
		var b strings.Builder
		keys := map[string]string{}
		for _, section := range []string{"b", "a", "c"}[:1+r.IntN(3)] {
			b.WriteString(pick("", "# note"+eol, "; note"+eol, eol))
			b.WriteString("[" + section + "]" + eol) // configparser keeps blanks inside brackets; the SDK trims them
			for _, k := range []string{"aws_access_key_id", "region", "aws_secret_access_key", "output", "aws_session_token"} {
				if r.IntN(4) == 0 {
					continue
				}
				v := pick("AKIAIOSFODNN7EXAMPLE", "wJalr/K7MDENG+bPxRfi==", "us-east-1", "json", "a#b", "x=y")
				b.WriteString(k + pick(" = ", "=", " =", ": ") + v + pick("", " ", "\t") + eol)
				if r.IntN(5) == 0 {
					b.WriteString(pick("# between", "   ; indented comment", "") + eol)
				}
				if section == "a" {
					keys[k] = v
				}
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("credentials-%d", i))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
		paths = append(paths, path)
		f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
		require.NoError(t, err)
		got := map[string]string{}
		if _, err := f.Get("a"); errors.Is(err, credentials.ErrProfileNotFound) {
			got["missing"] = "true"
		} else {
			for _, k := range []string{"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region"} {
				got[k], _ = f.Value("a", k)
			}
		}
		want = append(want, got)
	}
	in, err := json.Marshal(paths)
	require.NoError(t, err)
	var boto []map[string]any
	require.NoError(t, json.Unmarshal([]byte(runTool(t, nil, string(in), "python3", "-c", botocoreReadMany)), &boto))
	require.Len(t, boto, len(paths))
	for i := range paths {
		b := map[string]string{}
		for k, v := range boto[i] {
			b[k] = fmt.Sprint(v)
		}
		content, _ := os.ReadFile(paths[i])
		assert.Equal(t, b, want[i], "%q", content)
	}
}
