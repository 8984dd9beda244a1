package credentials_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

// configCorpus has what real config files hold: comments of both kinds,
// sso sessions, nested s3 blocks, role settings, values with # and ;, odd
// spacing, a colon delimiter, duplicate sections and no final newline.
const configCorpus = `# managed by hand; do not break
[default]
region = us-east-1
output=json

; work account
[profile work]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
s3 =
    max_concurrent_requests = 20
    # a comment inside the block
    multipart_threshold = 64MB
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start#/
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile  deploy ]
role_arn = arn:aws:iam::111122223333:role/deploy
source_profile = default
external_id = a#b;c
cli_pager:

[services local]
s3 =
  endpoint_url = http://localhost:4566

[profile work]
output = table`

func writeTemp(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), mode))
	require.NoError(t, os.Chmod(path, mode))
	return path
}

func TestSharedConfigRoundTripIsByteIdentical(t *testing.T) {
	for name, content := range map[string]string{
		"corpus": configCorpus,
		"crlf":   "[default]\r\nregion = us-east-1\r\n\r\n[profile a]\r\noutput = json\r\n",
		"empty":  "",
		"junk":   "no section here\n  indented = 1\n[unterminated\n=\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := writeTemp(t, "config", content, 0o644)
			f, err := credentials.OpenSharedFile(path, credentials.ConfigFile)
			require.NoError(t, err)
			assert.Equal(t, content, string(f.Bytes()))
			fi, _ := os.Stat(path)
			require.NoError(t, f.Save())
			assert.Equal(t, content, readFile(t, path))
			fi2, _ := os.Stat(path)
			assert.True(t, os.SameFile(fi, fi2), "an unchanged file is not rewritten")
		})
	}
}

func TestSharedConfigProfilesAndValues(t *testing.T) {
	f, err := credentials.OpenSharedFile(writeTemp(t, "config", configCorpus, 0o644), credentials.ConfigFile)
	require.NoError(t, err)
	assert.Equal(t, []string{"default", "work", "deploy"}, f.Profiles())

	for _, tt := range []struct{ profile, key, want string }{
		{"default", "output", "json"},
		{"work", "region", "eu-west-1"},
		{"work", "output", "table"}, // from the second [profile work]
		{"work", "s3", ""},
		{"deploy", "external_id", "a#b;c"},
		{"deploy", "cli_pager", ""},
		{"deploy", "ROLE_ARN", "arn:aws:iam::111122223333:role/deploy"},
	} {
		got, ok := f.Value(tt.profile, tt.key)
		assert.True(t, ok, "%s.%s", tt.profile, tt.key)
		assert.Equal(t, tt.want, got, "%s.%s", tt.profile, tt.key)
	}
	_, ok := f.Value("work", "max_concurrent_requests")
	assert.False(t, ok, "nested settings are not the profile's own")
	_, ok = f.Value("corp", "sso_region")
	assert.False(t, ok, "an sso-session is not a profile")

	p, err := f.Get("work")
	require.NoError(t, err)
	assert.Equal(t, credentials.Profile{Name: "work", Region: "eu-west-1"}, p)
	_, err = f.Get("nobody")
	require.ErrorIs(t, err, credentials.ErrProfileNotFound)
}

func TestSharedConfigEdits(t *testing.T) {
	path := writeTemp(t, "config", configCorpus, 0o644)
	f, err := credentials.OpenSharedFile(path, credentials.ConfigFile)
	require.NoError(t, err)

	require.NoError(t, f.Set(credentials.Profile{Name: "work", Region: "ap-south-1", AccessKeyID: "ignored", SecretAccessKey: "ignored"}))
	require.NoError(t, f.SetKey("deploy", "external_id", "x;y#z"))
	require.NoError(t, f.SetKey("deploy", "cli_pager", "less"))
	require.NoError(t, f.SetKey("default", "s3", "fast")) // not nested in default
	require.NoError(t, f.SetKey("work", "s3", "plain"))   // drops the nested block
	require.NoError(t, f.Set(credentials.Profile{Name: "new", Region: "us-west-2"}))
	require.NoError(t, f.Set(credentials.Profile{Name: "bare"}))
	assert.True(t, f.RemoveKey("default", "output"))
	assert.False(t, f.RemoveKey("default", "output"))
	require.NoError(t, f.Save())

	assert.Equal(t, `# managed by hand; do not break
[default]
region = us-east-1
s3 = fast

; work account
[profile work]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
s3 = plain
region = ap-south-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start#/
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile  deploy ]
role_arn = arn:aws:iam::111122223333:role/deploy
source_profile = default
external_id = x;y#z
cli_pager: less

[services local]
s3 =
  endpoint_url = http://localhost:4566

[profile work]
output = table

[profile new]
region = us-west-2

[profile bare]
`, readFile(t, path))
	assertMode(t, path, 0o600)

	assert.True(t, f.Remove("work"))
	assert.True(t, f.Remove("deploy"))
	assert.True(t, f.Remove("bare"))
	assert.False(t, f.Remove("deploy"))
	require.NoError(t, f.Save())
	assert.Equal(t, `# managed by hand; do not break
[default]
region = us-east-1
s3 = fast

; work account

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start#/
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[services local]
s3 =
  endpoint_url = http://localhost:4566

[profile new]
region = us-west-2
`, readFile(t, path))
}

func TestSharedCredentialsEdits(t *testing.T) {
	const before = "[default]\r\naws_access_key_id=AKIAOLDOLDOLDOLD0000\r\naws_secret_access_key=old\r\naws_session_token=oldtoken\r\n# keep me\r\n\r\n[ci]\r\naws_access_key_id = AKIACICICICICICI0000\r\naws_secret_access_key = ci"
	path := writeTemp(t, "credentials", before, 0o600)
	f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)
	assert.Equal(t, []string{"default", "ci"}, f.Profiles())

	require.NoError(t, f.Set(credentials.Profile{Name: "default", AccessKeyID: testKeyID, SecretAccessKey: testSecret, Region: "ignored-here"}))
	exp := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	require.NoError(t, f.Set(credentials.Profile{Name: "ci", AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret, SessionToken: testToken, Expires: exp}))
	require.NoError(t, f.Set(credentials.Profile{Name: "profile x", AccessKeyID: "AK", SecretAccessKey: "SK"}))
	require.NoError(t, f.Save())
	assert.Equal(t, "[default]\r\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\r\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\n# keep me\r\n\r\n"+
		"[ci]\r\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\r\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\naws_session_token = FwoGZXIvYXdzEXAMPLETOKEN\r\nx_security_token_expires = 2030-05-06T07:08:09Z\r\n"+
		"\r\n[profile x]\r\naws_access_key_id = AK\r\naws_secret_access_key = SK\r\n", readFile(t, path))

	got, err := f.Get("ci")
	require.NoError(t, err)
	assert.Equal(t, credentials.Profile{Name: "ci", AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret, SessionToken: testToken, Expires: exp}, got)

	require.ErrorIs(t, f.Set(credentials.Profile{Name: "bad]", AccessKeyID: "a", SecretAccessKey: "b"}), credentials.ErrInvalidProfileName)
	require.ErrorIs(t, f.Set(credentials.Profile{Name: " pad", AccessKeyID: "a", SecretAccessKey: "b"}), credentials.ErrInvalidProfileName)
	require.ErrorIs(t, f.Set(credentials.Profile{Name: "nokey"}), credentials.ErrInvalidCredentials)
	require.Error(t, f.SetKey("ci", "bad key", "v"))
	err = f.SetKey("ci", "aws_secret_access_key", "s3cr3t\nbreak")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr3t")
	require.Error(t, f.SetKey("ci", "k", " padded"))
}

func TestSharedFileSaveDetectsConcurrentChange(t *testing.T) {
	path := writeTemp(t, "credentials", "[a]\naws_access_key_id = A\naws_secret_access_key = B\n", 0o600)
	f1, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)
	f2, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)
	require.NoError(t, f1.SetKey("a", "region", "us-east-1"))
	require.NoError(t, f1.Save())
	require.NoError(t, f2.SetKey("a", "output", "json"))
	err = f2.Save()
	require.ErrorIs(t, err, credentials.ErrModifiedSinceRead)
	assert.Equal(t, "[a]\naws_access_key_id = A\naws_secret_access_key = B\nregion = us-east-1\n", readFile(t, path), "the first save survives")

	// A file created by someone else after an empty open counts too.
	missing := filepath.Join(t.TempDir(), "sub", "credentials")
	f3, err := credentials.OpenSharedFile(missing, credentials.CredentialsFile)
	require.NoError(t, err)
	assert.Empty(t, f3.Profiles())
	require.NoError(t, f3.Set(testProfile("fresh")))
	require.NoError(t, os.MkdirAll(filepath.Dir(missing), 0o700))
	require.NoError(t, os.WriteFile(missing, []byte("[other]\n"), 0o600))
	require.ErrorIs(t, f3.Save(), credentials.ErrModifiedSinceRead)
	require.NoError(t, os.Remove(missing))
	require.NoError(t, f3.Save())
	assert.Equal(t, "[fresh]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", readFile(t, missing))
	assertMode(t, missing, 0o600)
	// and a second save after a successful one works from the new state
	require.NoError(t, f3.SetKey("fresh", "region", "us-east-2"))
	require.NoError(t, f3.Save())
}

func TestSharedCredentialsPermissionsAndEnv(t *testing.T) {
	path := writeTemp(t, "credentials", "[a]\n", 0o644)
	_, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)

	cfg := writeTemp(t, "config", "[profile a]\nregion = us-east-1\n", 0o644)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	f, err := credentials.OpenSharedConfig()
	require.NoError(t, err, "a config file may be world-readable")
	assert.Equal(t, cfg, f.Path())
	assert.Equal(t, credentials.ConfigFile, f.Kind())

	require.NoError(t, os.Chmod(path, 0o600))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", path)
	f, err = credentials.OpenSharedCredentials()
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, f.Profiles())
}

func TestSharedFileSaveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real-credentials")
	require.NoError(t, os.WriteFile(target, []byte("[a]\naws_access_key_id = A\naws_secret_access_key = B\n"), 0o600))
	link := filepath.Join(dir, "credentials")
	require.NoError(t, os.Symlink(target, link))
	f, err := credentials.OpenSharedFile(link, credentials.CredentialsFile)
	require.NoError(t, err)
	require.NoError(t, f.SetKey("a", "region", "us-east-1"))
	require.NoError(t, f.Save())
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink)
	assert.Contains(t, readFile(t, target), "region = us-east-1")
}

// A FileKind other than the two is refused, naming both, rather than read
// as a credentials file.
func TestOpenSharedFileUnknownKind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	for _, kind := range []credentials.FileKind{2, -1} {
		_, err := credentials.OpenSharedFile(path, kind)
		assert.EqualError(t, err, fmt.Sprintf("credentials: unknown FileKind %d; want CredentialsFile or ConfigFile", int(kind)))
		// and is not printed as one of the two (it printed "credentials file").
		assert.Equal(t, fmt.Sprintf("FileKind(%d)", int(kind)), kind.String())
	}
	assert.Equal(t, "credentials file", credentials.CredentialsFile.String())
	assert.Equal(t, "config file", credentials.ConfigFile.String())
	for _, kind := range []credentials.FileKind{credentials.CredentialsFile, credentials.ConfigFile} {
		f, err := credentials.OpenSharedFile(path, kind)
		require.NoError(t, err)
		assert.Equal(t, kind, f.Kind())
	}
}
