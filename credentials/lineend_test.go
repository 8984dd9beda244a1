package credentials_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

// Each file keeps its own line endings through an edit, and kumo reads the
// result back.
func TestLineEndingsAreKept(t *testing.T) {
	const lf = "# keys\n[a]\naws_access_key_id = AKIAOLDOLDOLDOLD0000 # old\naws_secret_access_key = old\n\n[b]\nregion = eu-west-1\n"
	for _, tt := range []struct{ name, eol string }{{"LF", "\n"}, {"CRLF", "\r\n"}, {"CR", "\r"}} {
		t.Run(tt.name, func(t *testing.T) {
			before := strings.ReplaceAll(lf, "\n", tt.eol)
			path := writeTemp(t, "credentials", before, 0o600)
			f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b"}, f.Profiles())
			got, err := f.Get("a")
			require.NoError(t, err)
			assert.Equal(t, credentials.Profile{Name: "a", AccessKeyID: "AKIAOLDOLDOLDOLD0000", SecretAccessKey: "old"}, got, "the inline comment is not part of the key")

			require.NoError(t, f.SetKey("a", "aws_access_key_id", testKeyID))
			require.NoError(t, f.SetKey("b", "output", "json"))
			require.NoError(t, f.SetKey("c", "region", "us-east-1"))
			require.NoError(t, f.Save())
			want := "# keys\n[a]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = old\n\n[b]\nregion = eu-west-1\noutput = json\n\n[c]\nregion = us-east-1\n"
			assert.Equal(t, strings.ReplaceAll(want, "\n", tt.eol), readFile(t, path))

			again, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b", "c"}, again.Profiles())
			got, err = again.Get("a")
			require.NoError(t, err)
			assert.Equal(t, testKeyID, got.AccessKeyID)
			v, ok := again.Value("b", "output")
			assert.True(t, ok)
			assert.Equal(t, "json", v)
		})
	}
}

// What the SDK's loader makes of each kind of file: LF and CRLF files are
// read as kumo reads them. aws-sdk-go-v2 splits only at LF, so it reads a
// CR-only file as one line and finds no profile in it, before an edit as
// after; botocore reads it (see the interop suite).
func TestSDKReadsEditedFiles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tt := range []struct {
		eol      string
		sdkReads bool
	}{{"\n", true}, {"\r\n", true}, {"\r", false}} {
		before := strings.ReplaceAll("[a]\naws_access_key_id = AKIAOLDOLDOLDOLD0000 ; rotated yearly\naws_secret_access_key = old\n", "\n", tt.eol)
		path := filepath.Join(t.TempDir(), "credentials")
		require.NoError(t, os.WriteFile(path, []byte(before), 0o600))
		f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
		require.NoError(t, err)
		require.NoError(t, f.SetKey("a", "aws_access_key_id", testKeyID))
		require.NoError(t, f.SetKey("a", "region", "eu-north-1"))
		require.NoError(t, f.Save())
		sdk, err := config.LoadSharedConfigProfile(ctx, "a", func(o *config.LoadSharedConfigOptions) {
			o.CredentialsFiles = []string{path}
			o.ConfigFiles = []string{}
		})
		if !tt.sdkReads {
			var notExist config.SharedConfigProfileNotExistError
			require.ErrorAs(t, err, &notExist, "%q", tt.eol)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, []string{testKeyID, "old", "eu-north-1"}, []string{sdk.Credentials.AccessKeyID, sdk.Credentials.SecretAccessKey, sdk.Region}, "%q", tt.eol)
	}
}
