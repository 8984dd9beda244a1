package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

// iniGen writes random credentials files from the grammar real files use,
// with the forms the readers disagree on when they are careless: comments
// after values and headers, quotes, indented settings after empty and
// non-empty values, continuation lines, stray text, odd spacing and CRLF.
// It is independent of kumo's parser.
type iniGen struct {
	r   *rand.Rand
	eol string
}

func (g *iniGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *iniGen) value() string {
	base := g.pick("AKIAIOSFODNN7EXAMPLE", "wJalr/K7MDENG+bPxRfi", "v", "a#b", "a;b", "x=y", "us-east-1", "111122223333", "")
	switch g.r.IntN(8) {
	case 0:
		return `"` + base + `"`
	case 1:
		return "'" + base + "'"
	case 2:
		return base + g.pick(" # note", "\t; note", " ;x", "#tight")
	case 3:
		return `"` + base + `" # c`
	}
	return base
}

func (g *iniGen) key() string {
	return g.pick("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region", "aws_account_id", "AWS_Access_Key_ID", "output", "s3")
}

func (g *iniGen) line() string {
	sp := func() string { return g.pick("", " ", "  ", "\t") }
	switch g.r.IntN(12) {
	case 0:
		return sp() + "[" + sp() + g.pick("a", "b", "a b", "a  b", "profile a", "profile\tb", "profile  a b", "default", "profile default", "sso-session a", "a#x", "a;y") + sp() + "]" + g.pick("", " # c", ";c", " x")
	case 1:
		return g.pick("# comment", "; comment", "  # indented comment", "")
	case 2:
		return g.pick("junk", "[unclosed", "=novalue", ": colon")
	case 3:
		return g.pick("  ", "\t") + g.key() + sp() + g.pick("=", ":") + sp() + g.value()
	case 4:
		return g.pick("  ", "\t") + g.pick("continued", "more # text")
	}
	return g.key() + sp() + g.pick("=", ":", " =") + sp() + g.value()
}

func (g *iniGen) file() string {
	var b strings.Builder
	for range 1 + g.r.IntN(14) {
		b.WriteString(g.line())
		b.WriteString(g.eol)
	}
	return b.String()
}

// TestSharedFileReadsAsTheSDK reads generated files with kumo and with
// aws-sdk-go-v2's own shared-config loader: both see the same profiles and
// the same credentials, region and account.
func TestSharedFileReadsAsTheSDK(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	checked, withKeys := 0, 0
	for i := range 3000 {
		g := &iniGen{r: rand.New(rand.NewPCG(uint64(i), 7)), eol: "\n"}
		if i%3 == 0 {
			g.eol = "\r\n"
		}
		content := g.file()
		path := filepath.Join(dir, fmt.Sprintf("credentials-%d", i))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
		require.NoError(t, err)
		for _, name := range []string{"a", "b", "a b"} {
			got, kerr := f.Get(name)
			sdk, serr := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
				o.CredentialsFiles = []string{path}
				o.ConfigFiles = []string{}
			})
			var notExist config.SharedConfigProfileNotExistError
			if errors.As(serr, &notExist) {
				require.ErrorIs(t, kerr, credentials.ErrProfileNotFound, "profile %q of %q", name, content)
				continue
			}
			if serr != nil || errors.Is(kerr, credentials.ErrInvalidCredentials) {
				continue // the SDK refuses what kumo also refuses (an unparsable expiry) or something kumo does not read
			}
			require.NoError(t, kerr, "profile %q of %q", name, content)
			checked++
			want := [4]string{}
			if sdk.Credentials.HasKeys() {
				want = [4]string{sdk.Credentials.AccessKeyID, sdk.Credentials.SecretAccessKey, sdk.Credentials.SessionToken, sdk.Credentials.AccountID}
			}
			have := [4]string{}
			if got.AccessKeyID != "" && got.SecretAccessKey != "" {
				have = [4]string{got.AccessKeyID, got.SecretAccessKey, got.SessionToken, got.AccountID}
			}
			if have[0] != "" {
				withKeys++
			}
			assert.Equal(t, want, have, "profile %q of %q", name, content)
			assert.Equal(t, sdk.Region, got.Region, "region of profile %q of %q", name, content)
			if t.Failed() {
				return
			}
		}
	}
	t.Logf("%d profiles compared, %d with keys", checked, withKeys)
}

// The same for config files, where profiles are [profile name] and
// [default]: kumo and the SDK agree on the region they give a profile.
func TestSharedConfigReadsAsTheSDK(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	checked := 0
	for i := range 3000 {
		g := &iniGen{r: rand.New(rand.NewPCG(uint64(i), 11)), eol: "\n"}
		content := g.file()
		path := filepath.Join(dir, fmt.Sprintf("config-%d", i))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		f, err := credentials.OpenSharedFile(path, credentials.ConfigFile)
		require.NoError(t, err)
		for _, name := range []string{"a", "b", "a b", "default"} {
			got, kerr := f.Get(name)
			sdk, serr := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
				o.CredentialsFiles = []string{}
				o.ConfigFiles = []string{path}
			})
			var notExist config.SharedConfigProfileNotExistError
			if errors.As(serr, &notExist) {
				require.ErrorIs(t, kerr, credentials.ErrProfileNotFound, "profile %q of %q", name, content)
				continue
			}
			if serr != nil {
				continue
			}
			require.NoError(t, kerr, "profile %q of %q", name, content)
			checked++
			assert.Equal(t, sdk.Region, got.Region, "region of profile %q of %q", name, content)
			if t.Failed() {
				return
			}
		}
	}
	t.Logf("%d profiles compared", checked)
}
