package redact_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkcreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sdkkms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/s3sign"
	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqslambda"
)

// The secrets every value below is built with. Each is distinctive, so that
// finding it (or its hex, base64, byte list or first key-schedule word) in
// any rendering is a leak and nothing else.
const (
	profileSecret = "wJalrXUtnFEMIK7MDENGbPxRfiCYPROFILE00001"
	sessionToken  = "FwoGZXIvYXdzEBYaDSESSIONTOKEN00002"
	sdkSecret     = "SDKSECRETwJalrXUtnFEMIK7MDENGbPxR00003"
	clientSecret  = "CLIENTSECRET1q2w3e4r5t6y7u8i9o0p00004"
	idToken       = "eyJIDTOKENaaaaaaaaaaaaaaaaaa.bbbbb.c00005"
	accessToken   = "eyJACCESSTOKENaaaaaaaaaaaaa.bbbbb.c00006"
	refreshToken  = "eyJREFRESHTOKENaaaaaaaaaaaaaaaaaaaa00007"
	aesKeyText    = "AESWRAPPINGKEY!!0123456789abcdef" // 32 bytes
	devicePass    = "DEVICEPASSWORDzxcvbnmasdfghjkl0000000008"
	deviceKey     = "eu-west-1_DEVICEKEY0000-0000-00000009"
	deviceGroup   = "-DEVICEGROUPKEY00010"
)

// secretCase is one exported kumo type that holds a secret: a value of it
// (always a pointer, so the value form can be derived), the secrets it
// holds, and whether only the pointer form can print safely.
type secretCase struct {
	name    string // "pkg.Type", as the API scan finds it
	value   any    // a pointer to a value holding secrets
	secrets [][]byte
	// pointerOnly: the type holds a sync.Mutex, so its methods have pointer
	// receivers (a value receiver would copy the lock; go vet's copylocks
	// check refuses that, and it refuses copying such a value to print it).
	pointerOnly bool
	// opaque: even fmt walking the value by reflection, without calling its
	// methods, finds no secret: its secrets sit behind pointers fmt does
	// not follow there, or in redact.Hidden closures it never calls. fmt
	// does that for %w with anything but an error in Errorf, and for an
	// unexported field of a caller's struct under a verb like %s. Types
	// whose exported fields hold the secret (Profile, Tokens, Config, ...)
	// cannot be opaque; go vet's printf check reports %w misuse.
	opaque bool
}

// valueWalked lists opaque types whose value copies (not pointers) are not
// safe in an unexported field under a verb like %s: fmt follows every
// pointer there, reaching the AES cipher or the SDK client they hold. The
// pointers their constructors return are safe. (kms is being rewritten by
// another change; s3sign.Options.Multipart and the S3 fields of sqsx's and
// sqslambda's options are exported fields.)
var valueWalked = map[string]bool{"kms.RawAESKeyring": true, "kms.KMSDiscoveryKeyring": true, "kms.KMSMRKKeyring": true, "kms.KMSMRKDiscoveryKeyring": true, "kms.BranchKeyStore": true, "s3sign.Options": true,
	"sqsx.SenderOptions": true, "sqsx.ProcessorOptions": true, "sqslambda.Options": true}

// holder keeps a value in an unexported field: fmt cannot call the
// value's methods there, and under a verb the field does not support it
// prints the value by reflection.
type holder struct{ v any }

func staticCreds() aws.CredentialsProvider {
	return sdkcreds.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", sdkSecret, sessionToken)
}

// recordingKeyring wraps a keyring and keeps the data keys it sees, so the
// test knows what a Cache holds.
type recordingKeyring struct {
	kms.Keyring
	mu   sync.Mutex
	keys [][]byte
}

func (r *recordingKeyring) OnEncrypt(ctx context.Context, m *kms.EncryptionMaterials) error {
	if err := r.Keyring.OnEncrypt(ctx, m); err != nil {
		return err
	}
	r.mu.Lock()
	r.keys = append(r.keys, bytes.Clone(m.PlaintextDataKey))
	r.mu.Unlock()
	return nil
}

type fakeMultipart struct{ s3sign.MultipartAPI }

func (fakeMultipart) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("upload-1")}, nil
}

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// rsaSecrets are the renderings of an RSA private key fmt could produce:
// D and a prime in decimal and hex, and D's first machine word (what fmt
// prints when it walks a big.Int's fields).
func rsaSecrets(k *rsa.PrivateKey) [][]byte {
	return [][]byte{[]byte(k.D.String()), []byte(k.D.Text(16)), []byte(k.Primes[0].String()),
		[]byte(strconv.FormatUint(uint64(k.D.Bits()[0]), 10))}
}

func b(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

// samlResponse is a minimal SAML response with a Role attribute, built here
// rather than by iamx.
func samlResponse() string {
	return base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
		`<saml:Issuer>https://idp.example</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
		`<saml:Assertion><saml:Issuer>https://idp.example</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>` +
		`<saml:Conditions NotOnOrAfter="2099-01-01T00:00:00Z"/><saml:AttributeStatement>` +
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>arn:aws:iam::111122223333:role/Dev,arn:aws:iam::111122223333:saml-provider/IdP</saml:AttributeValue></saml:Attribute>` +
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>` +
		`</saml:AttributeStatement></saml:Assertion></samlp:Response>`))
}

// secretCases builds one value of every secret-holding exported type.
func secretCases(t testing.TB) []secretCase {
	t.Helper()
	ctx := t.Context()
	aesKey := []byte(aesKeyText)
	sdk := b(sdkSecret, sessionToken)

	aesRing, err := kms.NewRawAESKeyring("ns", "aes", aesKey)
	require.NoError(t, err)
	rsaRing, err := kms.NewRawRSAKeyring("ns", "rsa", nil, rsaKey(), kms.OAEPSHA256)
	require.NoError(t, err)
	kmsClient := sdkkms.New(sdkkms.Options{Region: "us-east-1", Credentials: staticCreds()})
	kmsRing, err := kms.NewKMSKeyring(kmsClient, "alias/app")
	require.NoError(t, err)
	multiRing, err := kms.NewMultiKeyring(aesRing, rsaRing, kmsRing)
	require.NoError(t, err)
	mrkRing, err := kms.NewKMSMRKKeyring(kmsClient, "arn:aws:kms:us-east-1:111122223333:key/mrk-1")
	require.NoError(t, err)
	mrkDiscovery, err := kms.NewKMSMRKDiscoveryKeyring(kmsClient, "us-east-1", &kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"111122223333"}})
	require.NoError(t, err)
	kmsRSARing, err := kms.NewKMSRSAKeyring(kmsClient, "arn:aws:kms:us-east-1:111122223333:key/rsa-1", "RSAES_OAEP_SHA_256")
	require.NoError(t, err)
	discovery, err := kms.NewKMSDiscoveryKeyring(kmsClient, &kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"111122223333"}})
	require.NoError(t, err)
	client, err := kms.New(aesRing)
	require.NoError(t, err)
	ddbClient := dynamodb.New(dynamodb.Options{Region: "us-east-1", Credentials: staticCreds()})
	keyStore, err := kms.NewBranchKeyStore(ddbClient, kmsClient, "table", "logical", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		func(o *kms.BranchKeyStoreOptions) { o.GrantTokens = []string{"grant"} })
	require.NoError(t, err)
	hierarchy, err := kms.NewHierarchicalKeyring(keyStore, "branch-key")
	require.NoError(t, err)

	// A reader part-way through a message holds its derived key and
	// plaintext it has not released yet.
	readerSecret := []byte("decrypted-reader-plaintext-0123456789")
	readerMsg, err := client.Encrypt(ctx, bytes.Repeat(readerSecret, 10), nil)
	require.NoError(t, err)
	reader, err := client.DecryptReaderWithHeader(ctx, bytes.NewReader(readerMsg), nil)
	require.NoError(t, err)
	_, err = reader.Read(make([]byte, 5))
	require.NoError(t, err)

	cache, err := kms.NewCache()
	require.NoError(t, err)
	rec := &recordingKeyring{Keyring: aesRing}
	cached, err := kms.New(rec, func(o *kms.Options) { o.Cache = cache })
	require.NoError(t, err)
	_, err = cached.Encrypt(ctx, []byte("hello"), map[string]string{"purpose": "test"})
	require.NoError(t, err)
	require.Len(t, rec.keys, 1)
	cacheSecrets := append([][]byte{aesKey}, rec.keys...)

	s3Client := s3.New(s3.Options{Region: "us-east-1", Credentials: staticCreds()})
	s3Signer, err := s3sign.NewFromClient(s3Client)
	require.NoError(t, err)
	cachedSigner, err := s3sign.NewFromClient(s3.New(s3.Options{Region: "us-east-1", Credentials: aws.NewCredentialsCache(staticCreds())}))
	require.NoError(t, err)
	uploadSigner, err := s3sign.NewFromClient(s3Client, func(o *s3sign.Options) { o.Multipart = fakeMultipart{} })
	require.NoError(t, err)
	upload, err := uploadSigner.CreateUpload(ctx, "bucket", "key", 6<<20, 5<<20)
	require.NoError(t, err)

	sseKey := []byte("SSECUSTOMERKEY-0123456789abcdef!")
	putOpts := s3sign.PutOptions{ContentType: "text/plain", SSECustomerKey: sseKey}
	sseReq, err := s3Signer.PutURL(ctx, "bucket", "key", func(o *s3sign.PutOptions) { *o = putOpts })
	require.NoError(t, err)
	getOpts := s3sign.GetOptions{SSECustomerKey: sseKey}

	cfSigner, err := cfsign.New("K2JCJMDEHXQW5F", rsaKey())
	require.NoError(t, err)

	cfg := cognitoauth.Options{Region: "eu-west-1", ClientSecret: clientSecret, IdentityPoolID: "eu-west-1:pool"}
	idp := cognitoidentityprovider.New(cognitoidentityprovider.Options{Region: "eu-west-1", Credentials: staticCreds()})
	cog, err := cognitoauth.New(idp, nil, "eu-west-1_AbC123", "client", func(o *cognitoauth.Options) { *o = cfg })
	require.NoError(t, err)
	tokens := cognitoauth.Tokens{IDToken: idToken, AccessToken: accessToken, RefreshToken: refreshToken, DeviceKey: deviceKey,
		Claims: cognitoauth.Claims{Subject: "sub-1", Username: "alice"}}
	provider := cog.CredentialsProvider(&tokens)
	tokenSecrets := b(idToken, accessToken, refreshToken, deviceKey)
	device := cognitoauth.Device{Key: deviceKey, GroupKey: deviceGroup, Password: devicePass}
	devices := &cognitoauth.MemoryDeviceStore{}
	require.NoError(t, devices.SaveDevice(ctx, "alice", device))

	saml := samlResponse()
	assertion, err := iamx.ParseSAMLResponse(saml)
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "credentials")
	require.NoError(t, os.WriteFile(path, []byte("[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = "+profileSecret+"\naws_session_token = "+sessionToken+"\n"), 0o600))
	shared, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)

	sqsClient := sqs.New(sqs.Options{Region: "us-east-1", Credentials: staticCreds()})
	sender, err := sqsx.NewSender(sqsClient, "https://sqs.us-east-1.amazonaws.com/111122223333/q")
	require.NoError(t, err)
	processor, err := sqsx.NewProcessor(sqsClient, "https://sqs.us-east-1.amazonaws.com/111122223333/q", func(context.Context, *sqsx.Message) error { return nil })
	require.NoError(t, err)

	return []secretCase{
		{name: "credentials.Profile", value: &credentials.Profile{Name: "p", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: profileSecret, SessionToken: sessionToken, Region: "eu-west-1"}, secrets: b(profileSecret, sessionToken)},
		{name: "credentials.SharedFile", value: shared, secrets: b(profileSecret, sessionToken), pointerOnly: true},
		{name: "kms.Client", value: client, secrets: [][]byte{aesKey}, opaque: true},
		{name: "kms.RawAESKeyring", value: aesRing, secrets: [][]byte{aesKey}, opaque: true},
		{name: "kms.RawRSAKeyring", value: rsaRing, secrets: rsaSecrets(rsaKey()), opaque: true},
		{name: "kms.MultiKeyring", value: multiRing, secrets: append(append([][]byte{aesKey}, rsaSecrets(rsaKey())...), sdk...), opaque: true},
		{name: "kms.KMSKeyring", value: kmsRing, secrets: sdk, pointerOnly: true, opaque: true},
		{name: "kms.KMSDiscoveryKeyring", value: discovery, secrets: sdk, opaque: true},
		{name: "kms.KMSMRKKeyring", value: mrkRing, secrets: sdk, opaque: true},
		{name: "kms.KMSMRKDiscoveryKeyring", value: mrkDiscovery, secrets: sdk, opaque: true},
		{name: "kms.KMSRSAKeyring", value: kmsRSARing, secrets: sdk, pointerOnly: true, opaque: true},
		{name: "kms.DecryptedReader", value: reader, secrets: [][]byte{readerSecret[5:]}, opaque: true},
		{name: "kms.BranchKeyStore", value: keyStore, secrets: sdk, opaque: true},
		{name: "kms.HierarchicalKeyring", value: hierarchy, secrets: sdk, pointerOnly: true, opaque: true},
		{name: "kms.Cache", value: cache, secrets: cacheSecrets, pointerOnly: true, opaque: true},
		{name: "kms.EncryptionMaterials", value: &kms.EncryptionMaterials{Suite: kms.SuiteCommitted, PlaintextDataKey: aesKey}, secrets: [][]byte{aesKey}},
		{name: "kms.DecryptionMaterials", value: &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, PlaintextDataKey: aesKey}, secrets: [][]byte{aesKey}},
		{name: "s3sign.Signer", value: s3Signer, secrets: sdk, opaque: true},
		{name: "s3sign.Options", value: &s3sign.Options{Region: "us-east-1", Multipart: s3Client}, secrets: sdk, opaque: true},
		{name: "s3sign.Signer (credentials cache)", value: cachedSigner, secrets: sdk, opaque: true},
		// The part URLs are the upload's product: with temporary credentials
		// each carries the session token (X-Amz-Security-Token), as every
		// presigned URL does, so only the secret key is checked here.
		{name: "s3sign.Upload", value: upload, secrets: b(sdkSecret), opaque: true},
		// A Request's URL is its product and carries the session token of
		// temporary credentials, as every presigned URL does; the SSE-C key
		// travels in a header and is what must not print.
		{name: "s3sign.Request", value: sseReq, secrets: [][]byte{sseKey}},
		{name: "s3sign.PutOptions", value: &putOpts, secrets: [][]byte{sseKey}},
		{name: "s3sign.GetOptions", value: &getOpts, secrets: [][]byte{sseKey}},
		{name: "cfsign.Signer", value: cfSigner, secrets: rsaSecrets(rsaKey()), opaque: true},
		{name: "cognitoauth.Options", value: &cfg, secrets: b(clientSecret)},
		{name: "cognitoauth.Device", value: &device, secrets: b(deviceKey, deviceGroup, devicePass)},
		{name: "cognitoauth.MemoryDeviceStore", value: devices, secrets: b(deviceKey, deviceGroup, devicePass), pointerOnly: true},
		{name: "cognitoauth.Client", value: cog, secrets: append(b(clientSecret), sdk...), pointerOnly: true, opaque: true},
		{name: "cognitoauth.Provider", value: provider, secrets: append(append(b(clientSecret), sdk...), tokenSecrets...), pointerOnly: true, opaque: true},
		{name: "cognitoauth.Tokens", value: &tokens, secrets: tokenSecrets},
		{name: "iamx.SAMLAssertion", value: assertion, secrets: b(saml[40:120]), opaque: true},
		{name: "sqsx.Sender", value: sender, secrets: sdk, pointerOnly: true, opaque: true},
		{name: "sqsx.Processor", value: processor, secrets: sdk, pointerOnly: true, opaque: true},
		{name: "sqsx.SenderOptions", value: &sqsx.SenderOptions{OffloadBucket: "b", S3: s3Client}, secrets: sdk, opaque: true},
		{name: "sqsx.ProcessorOptions", value: &sqsx.ProcessorOptions{S3: s3Client}, secrets: sdk, opaque: true},
		{name: "sqslambda.Options", value: &sqslambda.Options{S3: s3Client}, secrets: sdk, opaque: true},
	}
}

// leakForms are the ways a secret could show in printed text.
func leakForms(secret []byte) map[string]string {
	forms := map[string]string{
		"raw":    string(secret),
		"hex":    hex.EncodeToString(secret),
		"HEX":    strings.ToUpper(hex.EncodeToString(secret)),
		"base64": base64.StdEncoding.EncodeToString(secret),
		"bytes":  strings.TrimSuffix(fmt.Sprint(secret[:min(len(secret), 6)]), "]"),
	}
	if len(secret) >= 16 {
		// An AES key schedule's first word is the key's first four bytes,
		// stored big- or little-endian depending on the implementation.
		forms["uint32be"] = strconv.FormatUint(uint64(binary.BigEndian.Uint32(secret)), 10)
		forms["uint32le"] = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(secret)), 10)
	}
	return forms
}

// containers puts v where user code puts values: alone, in typed and
// untyped slices and maps, and in exported struct fields.
func containers(v any) map[string]any {
	t := reflect.TypeOf(v)
	rv := reflect.ValueOf(v)
	slice := reflect.MakeSlice(reflect.SliceOf(t), 1, 1)
	slice.Index(0).Set(rv)
	m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), t))
	m.SetMapIndex(reflect.ValueOf("k"), rv)
	st := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "F", Type: t}})).Elem()
	st.Field(0).Set(rv)
	return map[string]any{
		"bare":           v,
		"[]T":            slice.Interface(),
		"map[string]T":   m.Interface(),
		"struct{F T}":    st.Interface(),
		"*struct{F T}":   st.Addr().Interface(),
		"[]any":          []any{v},
		"map[string]any": map[string]any{"k": v},
		"struct{F any}":  struct{ F any }{v},
		"error":          fmt.Errorf("wrapped: %v", v),
	}
}

// verbs are every verb the issue lists, the bad-verb path (%d, %t, %e on a
// struct) and flags, width and precision.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%e", "% x", "%#q", "%-30v", "%.500s", "%+q", "%08d"}

// renderings prints x in every way the issue lists.
func renderings(x any) map[string]string {
	out := map[string]string{}
	for _, v := range verbs {
		out[v] = fmt.Sprintf(v, x)
	}
	out["Sprint"] = fmt.Sprint(x)
	out["Sprintln"] = fmt.Sprintln(x)
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", x, slog.Group("g", "v", x))
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", x, slog.Group("g", "v", x))
	out["slog text"] = text.String()
	out["slog json"] = js.String()
	j, err := json.Marshal(x)
	if err != nil {
		out["json.Marshal"] = err.Error()
	} else {
		out["json.Marshal"] = string(j)
	}
	return out
}

// TestSecretsNeverPrint is the one secrets table: every exported kumo type
// that holds a secret, in every container, under every fmt verb, slog
// handler and json.Marshal. TestEveryExportedTypeIsClassified keeps the
// table complete.
func TestSecretsNeverPrint(t *testing.T) {
	for _, c := range secretCases(t) {
		t.Run(c.name, func(t *testing.T) {
			values := map[string]any{"pointer": c.value}
			if !c.pointerOnly {
				values["value"] = reflect.ValueOf(c.value).Elem().Interface()
			}
			checked := 0
			for vname, v := range values {
				for cname, x := range containers(v) {
					for rname, out := range renderings(x) {
						checked++
						for _, s := range c.secrets {
							for fname, form := range leakForms(s) {
								if strings.Contains(out, form) {
									t.Errorf("%s in %s under %s leaks a secret (%s form):\n%.300s", vname, cname, rname, fname, out)
								}
							}
						}
					}
				}
			}
			if c.opaque {
				forms := []any{c.value}
				if !c.pointerOnly {
					forms = append(forms, reflect.ValueOf(c.value).Elem().Interface())
				}
				for i, x := range forms {
					// %w with anything but an error in Errorf is printed by
					// reflection, as are unexported fields under a verb
					// they do not support: fmt calls no method there.
					outs := map[string]string{}
					for _, w := range []string{"%w", "%+w", "%#w", "%[1]w"} {
						outs["Sprintf "+w] = fmt.Sprintf(w, x)
						outs["Errorf "+w] = fmt.Errorf(w, x).Error()
					}
					for _, v := range verbs {
						if i == 0 || !valueWalked[c.name] {
							outs["unexported field "+v] = fmt.Sprintf(v, holder{x})
						}
					}
					for where, out := range outs {
						for _, sec := range c.secrets {
							for fname, form := range leakForms(sec) {
								if strings.Contains(out, form) {
									t.Errorf("%T under %s leaks a secret (%s form):\n%.300s", x, where, fname, out)
								}
							}
						}
					}
				}
			}
			require.NotZero(t, checked)
			// The redacted form still says what the value is.
			require.Contains(t, fmt.Sprintf("%v", c.value), strings.Fields(strings.Split(c.name, ".")[1])[0])
		})
	}
}

// FuzzFormatString prints every secret-holding value with arbitrary format
// strings (any verbs, flags, widths, argument indexes, missing and extra
// arguments): no output may hold a secret.
func FuzzFormatString(f *testing.F) {
	for _, v := range verbs {
		f.Add(v)
	}
	f.Add("%[1]v %[1]d %[2]s")
	f.Add("%!%%-+# 0123456789.*[]vsqxXdtebcoOUpgGfFEw")
	f.Add("%v %v %v")
	f.Add("%#+-0 50.20x")
	cases := secretCases(f)
	bigNumber := regexp.MustCompile(`[0-9]{5,}`)
	wrapVerb := regexp.MustCompile(`%[-+# 0-9.*\[\]]*w`)
	f.Fuzz(func(t *testing.T, format string) {
		if len(format) > 64 || bigNumber.MatchString(format) {
			t.Skip("widths of 10,000 and more only make the output slow to search")
		}
		for _, c := range cases {
			if !c.opaque && wrapVerb.MatchString(format) {
				continue // see secretCase.opaque
			}
			for _, x := range []any{c.value, []any{c.value}, holderIfOpaque(c)} {
				out := fmt.Sprintf(format, x, x)
				for _, sec := range c.secrets {
					for fname, form := range leakForms(sec) {
						if strings.Contains(out, form) {
							t.Fatalf("%s under %q leaks a secret (%s form):\n%.300s", c.name, format, fname, out)
						}
					}
				}
			}
		}
	})
}

// holderIfOpaque puts an opaque value in an unexported field; others are
// printed as they are (see secretCase.opaque).
func holderIfOpaque(c secretCase) any {
	if c.opaque {
		return holder{c.value}
	}
	return c.value
}
