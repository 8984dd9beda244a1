package credentials_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

func TestExportFormats(t *testing.T) {
	static := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	session := aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret, SessionToken: "IQoJb3JpZ2luX2VjEAk+/wEaCXVz==",
		CanExpire: true, Expires: time.Date(2026, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600)), AccountID: "111122223333"}
	micro := session
	micro.Expires = time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC)
	micro.AccountID = ""
	for _, tt := range []struct {
		name  string
		creds aws.Credentials
		f     credentials.ExportFormat
		want  string
	}{
		{"static", static, credentials.FormatProcess, "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\",\n  \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n}\n"},
		{"static", static, credentials.FormatEnv, "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		{"static", static, credentials.FormatEnvNoExport, "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		{"static", static, credentials.FormatPowerShell, "$Env:AWS_ACCESS_KEY_ID=\"AKIAIOSFODNN7EXAMPLE\"\n$Env:AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n"},
		{"static", static, credentials.FormatWindowsCmd, "set AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nset AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		{"static", static, credentials.FormatFish, "set -gx AWS_ACCESS_KEY_ID \"AKIAIOSFODNN7EXAMPLE\"\nset -gx AWS_SECRET_ACCESS_KEY \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n"},
		{"session", session, credentials.FormatProcess, "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"ASIAIOSFODNN7EXAMPLE\",\n  \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",\n  \"SessionToken\": \"IQoJb3JpZ2luX2VjEAk+/wEaCXVz==\",\n  \"Expiration\": \"2026-01-02T03:04:05+00:00\",\n  \"AccountId\": \"111122223333\"\n}\n"},
		{"session", session, credentials.FormatEnv, "export AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nexport AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEAk+/wEaCXVz==\nexport AWS_CREDENTIAL_EXPIRATION=2026-01-02T03:04:05+00:00\nexport AWS_ACCOUNT_ID=111122223333\n"},
		{"session", session, credentials.FormatWindowsCmd, "set AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE\nset AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nset AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEAk+/wEaCXVz==\nset AWS_CREDENTIAL_EXPIRATION=2026-01-02T03:04:05+00:00\nset AWS_ACCOUNT_ID=111122223333\n"},
		{"microseconds", micro, credentials.FormatEnvNoExport, "AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nAWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEAk+/wEaCXVz==\nAWS_CREDENTIAL_EXPIRATION=2026-01-02T03:04:05.120000+00:00\n"},
		{"hostile", aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: `a$(id)'b"c\d` + "`id`;é"}, credentials.FormatEnv,
			"export AWS_ACCESS_KEY_ID=AKIA\nexport AWS_SECRET_ACCESS_KEY='a$(id)'\\''b\"c\\d`id`;é'\n"},
		{"hostile", aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: `a$(id)'b"c\d` + "`id`;’"}, credentials.FormatPowerShell,
			"$Env:AWS_ACCESS_KEY_ID=\"AKIA\"\n$Env:AWS_SECRET_ACCESS_KEY='a$(id)''b\"c\\d`id`;’’'\n"},
		{"hostile", aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: `a$(id)'b"c\d` + "`id`;é"}, credentials.FormatFish,
			"set -gx AWS_ACCESS_KEY_ID \"AKIA\"\nset -gx AWS_SECRET_ACCESS_KEY 'a$(id)\\'b\"c\\\\d`id`;é'\n"},
		{"hostile", aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "é\U0001F600\"\\"}, credentials.FormatProcess,
			"{\n  \"Version\": 1,\n  \"AccessKeyId\": \"AKIA\",\n  \"SecretAccessKey\": \"\\u00e9\\ud83d\\ude00\\\"\\\\\"\n}\n"},
	} {
		t.Run(tt.name+"/"+string(tt.f), func(t *testing.T) {
			got, err := credentials.Export(tt.creds, tt.f)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}

	for _, v := range []string{"a%PATH%", "a&calc", "a|b", "a^b", "a<b", "a>b", `a"b`, "a!b", "a(b)", "é"} {
		_, err := credentials.Export(aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: v}, credentials.FormatWindowsCmd)
		require.ErrorIs(t, err, credentials.ErrInvalidCredentials, v)
		assert.NotContains(t, err.Error(), v)
	}
	_, err := credentials.Export(static, "yaml")
	assert.EqualError(t, err, `credentials: unknown export format "yaml"; want one of process, env, env-no-export, powershell, windows-cmd, fish`)
	_, err = credentials.Export(aws.Credentials{AccessKeyID: "AKIA"}, credentials.FormatEnv)
	require.ErrorIs(t, err, credentials.ErrInvalidCredentials)
}

// The shell formats, evaluated by the shells themselves, set exactly the
// values given, however hostile, and run nothing.
func TestExportEvaluatedByShells(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hostile := aws.Credentials{AccessKeyID: "AKIA$(touch${IFS}/tmp/pwned)", SecretAccessKey: `a$(id)'b"c\d` + "`id`;é&|<>{}*?~#!%^()",
		SessionToken: "t'\\''x$HOME", CanExpire: true, Expires: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), AccountID: "111122223333"}
	want := strings.Join([]string{hostile.AccessKeyID, hostile.SecretAccessKey, hostile.SessionToken, "2026-01-02T03:04:05+00:00", "111122223333"}, "\n")
	for _, sh := range []struct {
		bin    string
		format credentials.ExportFormat
		script string
	}{
		{"sh", credentials.FormatEnv, `eval "$(cat)"; sh -c 'printf "%s\n%s\n%s\n%s\n%s" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_ACCOUNT_ID"'`},
		{"bash", credentials.FormatEnvNoExport, `eval "$(cat)"; printf "%s\n%s\n%s\n%s\n%s" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_ACCOUNT_ID"`},
		{"fish", credentials.FormatFish, `source; printf "%s\n%s\n%s\n%s\n%s" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_ACCOUNT_ID"`},
	} {
		t.Run(sh.bin, func(t *testing.T) {
			path, err := exec.LookPath(sh.bin)
			if err != nil {
				t.Skipf("%s is not installed", sh.bin)
			}
			out, err := credentials.Export(hostile, sh.format)
			require.NoError(t, err)
			cmd := exec.CommandContext(ctx, path, "-c", sh.script)
			cmd.Stdin = bytes.NewReader(out)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), stderr.String())
			assert.Equal(t, want, stdout.String())
			assert.Empty(t, stderr.String())
		})
	}
}
