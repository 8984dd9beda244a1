package credentials_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/kumo-go/kumo/credentials"
)

// FuzzReadsAsTheSDK compares kumo's reading of any credentials file with
// aws-sdk-go-v2's own loader: same profiles found, same keys, token, account
// and region.
func FuzzReadsAsTheSDK(f *testing.F) {
	f.Add("[a]\naws_access_key_id = K # c\naws_secret_access_key = 'S'\n")
	f.Add("[a] ; c\r\nregion =\r\n  x = 1\r\naws_access_key_id=K\r\n  aws_secret_access_key = S ;c\r\n")
	f.Add("[ a ]\nk = v\n\tcont\naws_account_id: 1\n[a#b]\naws_access_key_id = X\naws_secret_access_key = Y\n")
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "credentials")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"a", "b"} {
			got, kerr := file.Get(name)
			sdk, serr, panicked := loadWithSDK(path, name)
			if panicked {
				return // the SDK crashes on a lone quote as a value; nothing to compare
			}
			var notExist config.SharedConfigProfileNotExistError
			if errors.As(serr, &notExist) {
				if !errors.Is(kerr, credentials.ErrProfileNotFound) {
					t.Fatalf("the SDK finds no profile %q, kumo does (%v):\n%q", name, kerr, content)
				}
				continue
			}
			if serr != nil || errors.Is(kerr, credentials.ErrInvalidCredentials) {
				continue
			}
			if kerr != nil {
				t.Fatalf("the SDK reads profile %q, kumo fails: %v\n%q", name, kerr, content)
			}
			want := [4]string{}
			if sdk.Credentials.HasKeys() {
				want = [4]string{sdk.Credentials.AccessKeyID, sdk.Credentials.SecretAccessKey, sdk.Credentials.SessionToken, sdk.Credentials.AccountID}
			}
			have := [4]string{}
			if got.AccessKeyID != "" && got.SecretAccessKey != "" {
				have = [4]string{got.AccessKeyID, got.SecretAccessKey, got.SessionToken, got.AccountID}
			}
			if want != have || sdk.Region != got.Region {
				t.Fatalf("profile %q: SDK %q region %q, kumo %q region %q:\n%q", name, want, sdk.Region, have, got.Region, content)
			}
		}
	})
}

func loadWithSDK(path, name string) (cfg config.SharedConfig, err error, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	cfg, err = config.LoadSharedConfigProfile(context.Background(), name, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{path}
		o.ConfigFiles = []string{}
	})
	return cfg, err, false
}
