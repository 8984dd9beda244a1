package redact_test

import (
	"crypto"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/s3sign"
	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqsotel"
)

const module = "github.com/kumo-go/kumo/"

// noSecret is every other exported type of kumo's public packages.
// TestNoSecretTypesHoldNone checks each holds nothing that looks like a
// secret; a type that does belongs in secretCases.
var noSecret = []reflect.Type{
	reflect.TypeFor[kms.CacheOptions](), reflect.TypeFor[kms.CommitmentPolicy](), reflect.TypeFor[kms.DiscoveryFilter](),
	reflect.TypeFor[kms.ClientSupplier](), reflect.TypeFor[kms.KMSRSAOptions](),
	reflect.TypeFor[kms.BranchKeyIDSupplier](), reflect.TypeFor[kms.BranchKeyStoreKMSAPI](), reflect.TypeFor[kms.BranchKeyStoreOptions](),
	reflect.TypeFor[kms.DecryptedHeader](), reflect.TypeFor[kms.DynamoDBAPI](), reflect.TypeFor[kms.HierarchicalKeyringOptions](),
	reflect.TypeFor[kms.EncryptedDataKey](), reflect.TypeFor[kms.Header](), reflect.TypeFor[kms.KMSAPI](),
	reflect.TypeFor[kms.Keyring](), reflect.TypeFor[kms.OpenSSLKDF](), reflect.TypeFor[kms.OpenSSLOptions](),
	reflect.TypeFor[kms.Options](), reflect.TypeFor[kms.RSAPadding](), reflect.TypeFor[kms.Suite](),
	reflect.TypeFor[s3sign.Checksum](), reflect.TypeFor[s3sign.ExpiryPolicy](),
	reflect.TypeFor[s3sign.MultipartAPI](), reflect.TypeFor[s3sign.PostForm](), reflect.TypeFor[s3sign.PostPolicy](),
	reflect.TypeFor[s3sign.PresignAPI](),
	reflect.TypeFor[s3sign.URLInfo](), reflect.TypeFor[s3sign.HeadOptions](), reflect.TypeFor[s3sign.DeleteOptions](),
	reflect.TypeFor[s3sign.UploadOptions](), reflect.TypeFor[s3sign.InspectOptions](),
	reflect.TypeFor[cfsign.CookieOptions](), reflect.TypeFor[cfsign.Hash](), reflect.TypeFor[cfsign.Options](),
	reflect.TypeFor[cfsign.Policy](), reflect.TypeFor[cfsign.VerifyOptions](),
	reflect.TypeFor[cognitoauth.Challenge](), reflect.TypeFor[cognitoauth.ChallengeError](),
	reflect.TypeFor[cognitoauth.ChallengeHandler](), reflect.TypeFor[cognitoauth.Claims](), reflect.TypeFor[cognitoauth.Flow](),
	reflect.TypeFor[cognitoauth.IdentityAPI](), reflect.TypeFor[cognitoauth.IdentityProviderAPI](),
	reflect.TypeFor[cognitoauth.LifecycleAPI](), reflect.TypeFor[cognitoauth.DeviceAPI](), reflect.TypeFor[cognitoauth.DeviceStore](),
	reflect.TypeFor[cognitoauth.RefreshTokenAPI](), reflect.TypeFor[cognitoauth.TokenUse](), reflect.TypeFor[cognitoauth.Verifier](), reflect.TypeFor[cognitoauth.VerifierOptions](),
	reflect.TypeFor[iamx.CallerIdentityAPI](), reflect.TypeFor[iamx.Condition](), reflect.TypeFor[iamx.ConsoleOptions](),
	reflect.TypeFor[iamx.Decision](), reflect.TypeFor[iamx.IAMAPI](), reflect.TypeFor[iamx.Policy](), reflect.TypeFor[iamx.Principal](),
	reflect.TypeFor[iamx.Request](), reflect.TypeFor[iamx.RotateOptions](), reflect.TypeFor[iamx.RotateResult](),
	reflect.TypeFor[iamx.SAMLOptions](), reflect.TypeFor[iamx.SAMLRole](), reflect.TypeFor[iamx.STSAPI](),
	reflect.TypeFor[iamx.Statement](), reflect.TypeFor[iamx.Values](),
	reflect.TypeFor[iamx.Policies](), reflect.TypeFor[iamx.PolicyKind](), reflect.TypeFor[iamx.Result](),
	reflect.TypeFor[iamx.MatchedStatement](), reflect.TypeFor[iamx.NotApplied](),
	reflect.TypeFor[credentials.ExportFormat](),
	reflect.TypeFor[sqsx.Clock](),
	reflect.TypeFor[credentials.Dir](), reflect.TypeFor[credentials.FileKind](),
	reflect.TypeFor[sqsx.BatchError](), reflect.TypeFor[sqsx.BatchHandler](), reflect.TypeFor[sqsx.EntryError](),
	reflect.TypeFor[sqsx.Handler](), reflect.TypeFor[sqsx.Message](), reflect.TypeFor[sqsx.ProcessError](),
	reflect.TypeFor[sqsx.S3Event](), reflect.TypeFor[sqsx.S3Record](),
	reflect.TypeFor[sqsx.S3TestEvent](), reflect.TypeFor[sqsx.SQSAPI](), reflect.TypeFor[sqsx.SendResult](),
	reflect.TypeFor[sqsx.Stats](),
	reflect.TypeFor[sqsx.Attribute](), reflect.TypeFor[sqsx.S3Pointer](), reflect.TypeFor[sqsx.S3API](),
	reflect.TypeFor[sqsx.Observer](), reflect.TypeFor[sqsx.Op](), reflect.TypeFor[sqsx.CreateEvent](),
	reflect.TypeFor[sqsx.CallEvent](), reflect.TypeFor[sqsx.CallEntry](), reflect.TypeFor[sqsx.HandleEvent](),
	reflect.TypeFor[sqsotel.Options](),
}

// fakePackages are the in-memory fakes for tests. They are left out of the
// rule on purpose: they hold made-up keys and passwords that tests set, and
// printing them is how a failing test explains itself.
var fakePackages = []string{"kms/kmstest", "cognitoauth/cognitotest", "iamx/iamtest", "sqsx/sqstest"}

// secretName matches field names that suggest a secret.
var secretName = regexp.MustCompile(`(?i)secret|token|passw|passphrase|private|priv$|assertion|saml|credential|creds|plaintext|wrappingkey|signingkey|customerkey|^key$|^aead$|^block$`)

// notSecret lists fields whose names match secretName but hold no secret,
// each with the reason.
var notSecret = map[string]string{
	"s3sign.PostPolicy.Key":                 "an S3 object key",
	"sqsx.S3Record.Key":                     "an S3 object key",
	"sqsx.S3Pointer.Key":                    "an S3 object key",
	"cognitoauth.Claims.TokenUse":           `which token it is ("id" or "access"), not a token`,
	"cognitoauth.VerifierOptions.TokenUse":  `which token is accepted ("id", "access" or "any"), not a token`,
	"cognitoauth.jwksKey.key":               "an RSA public key from the user pool's published JWKS",
	"kms.OpenSSLOptions.Password":           `says which form of the data key was the password ("base64" or "raw"), not the password`,
	"kms.BranchKeyStoreOptions.GrantTokens": "KMS grant tokens, which name a grant and are not secret (KMS logs them)",
}

// carriers are types that hold secrets themselves: private keys, ciphers
// (whose key schedule starts with the key) and AWS credentials. AWS SDK
// clients and the interfaces they satisfy are carriers too: a client's
// options hold its credentials provider, and under a verb like %s fmt
// prints what a client's pointers point to.
var carriers = []reflect.Type{
	reflect.TypeFor[aws.CredentialsProvider](), reflect.TypeFor[aws.Credentials](), reflect.TypeFor[*aws.CredentialsCache](),
	reflect.TypeFor[crypto.Signer](), reflect.TypeFor[crypto.Decrypter](), reflect.TypeFor[cipher.AEAD](), reflect.TypeFor[cipher.Block](),
	reflect.TypeFor[*rsa.PrivateKey](), reflect.TypeFor[*ecdsa.PrivateKey](), reflect.TypeFor[*ecdh.PrivateKey](), reflect.TypeFor[ed25519.PrivateKey](),
}

func isCarrier(t reflect.Type) bool {
	if slices.Contains(carriers, t) {
		return true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if strings.HasPrefix(t.PkgPath(), "github.com/aws/aws-sdk-go-v2/service/") && strings.HasSuffix(t.Name(), "Client") {
		return true
	}
	// kumo's client interfaces (KMSAPI, SQSAPI, ...) and Keyring are
	// satisfied by SDK clients and keyrings holding keys.
	return t.Kind() == reflect.Interface && strings.HasPrefix(t.PkgPath(), module) &&
		(strings.HasSuffix(t.Name(), "API") || t.Name() == "Keyring")
}

func typeName(t reflect.Type) string {
	return strings.TrimPrefix(t.PkgPath(), module) + "." + t.Name()
}

// findSecrets walks t's fields, unexported ones included, through pointers,
// slices, arrays and maps, into kumo's own types, and reports fields that
// are carriers or are named like secrets. A field of a type in the secrets
// table is fine: it redacts itself.
func findSecrets(t reflect.Type, path string, redacting map[reflect.Type]bool, seen map[reflect.Type]bool, report func(string)) {
	if seen[t] {
		return
	}
	seen[t] = true
	if redacting[t] {
		return
	}
	if path != "" && isCarrier(t) {
		report(path + " is a " + t.String())
		return
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		findSecrets(t.Elem(), path, redacting, seen, report)
	case reflect.Map:
		findSecrets(t.Key(), path, redacting, seen, report)
		findSecrets(t.Elem(), path, redacting, seen, report)
	case reflect.Struct:
		if t.Name() != "" && !strings.HasPrefix(t.PkgPath(), module) {
			return // a foreign value type that is not a carrier
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name := typeName(t) + "." + f.Name
			if secretName.MatchString(f.Name) && notSecret[name] == "" {
				report(name + " is named like a secret")
			}
			findSecrets(f.Type, name, redacting, seen, report)
		}
	}
}

// TestEveryExportedTypeIsClassified reads the source of every public
// package and requires each exported type to be in the secrets table or in
// noSecret, so a new type cannot be added without joining one of them.
func TestEveryExportedTypeIsClassified(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	found := map[string]bool{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (strings.HasPrefix(base, ".") || base == "internal" || base == "testdata" || base == "node_modules" ||
				rel == "examples" || rel == "interop" || slices.Contains(fakePackages, rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				if ts := spec.(*ast.TypeSpec); ts.Name.IsExported() {
					found[filepath.ToSlash(filepath.Dir(rel))+"."+ts.Name.Name] = true
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, found)

	listed := map[string]bool{}
	for _, c := range secretCases(t) {
		listed[typeName(reflect.TypeOf(c.value).Elem())] = true
	}
	for _, nt := range noSecret {
		name := typeName(nt)
		require.False(t, listed[name], "%s is in both lists", name)
		listed[name] = true
	}
	for name := range found {
		if !listed[name] {
			t.Errorf("exported type %s is in neither the secrets table (secretCases) nor noSecret: if it can hold a secret, give it the printing methods of internal/redact and add it to the table", name)
		}
	}
	for name := range listed {
		if !found[name] {
			t.Errorf("%s is listed but the scan did not find it", name)
		}
	}
}

// TestNoSecretTypesHoldNone checks the types that claim to hold no secret.
func TestNoSecretTypesHoldNone(t *testing.T) {
	redacting := map[reflect.Type]bool{}
	for _, c := range secretCases(t) {
		pt := reflect.TypeOf(c.value)
		redacting[pt] = true
		if !c.pointerOnly {
			redacting[pt.Elem()] = true
		}
	}
	for _, nt := range noSecret {
		findSecrets(nt, "", redacting, map[reflect.Type]bool{}, func(msg string) {
			t.Errorf("%s holds what may be a secret: %s; give it the printing methods of internal/redact and add it to the secrets table, or list the field in notSecret with the reason", typeName(nt), msg)
		})
	}
	for name := range notSecret {
		require.Regexp(t, secretName, name[strings.LastIndex(name, ".")+1:], "notSecret lists %s, which is not named like a secret", name)
	}
	// The check finds what it is meant to find.
	var got []string
	findSecrets(reflect.TypeFor[struct {
		opts s3sign.Options
		Key  []byte
		c    *kms.Cache
		sqs  []*sqs.Client
	}](), "", redacting, map[reflect.Type]bool{}, func(msg string) { got = append(got, msg) })
	slices.Sort(got)
	require.Equal(t, []string{"..Key is named like a secret", "..sqs is a *sqs.Client"}, got)
}
