// Command envelope encrypts files with KMS data keys (or a raw AES key) in
// the AWS Encryption SDK message format, so the official SDKs and the
// aws-encryption-cli can read them too.
//
//	envelope encrypt -in F -out F.enc [-key-id ARN|alias]... [-raw-aes-key-file K -raw-key-namespace NS -raw-key-name N]
//	                 [-kms-rsa-key ARN [-kms-rsa-oaep sha256|sha1] [-kms-rsa-public-key PEMFILE]] [-mrk-region R]
//	                 [-branch-key-id ID -key-store-table T -key-store-kms-key ARN [-key-store-name N]]
//	                 [-context k=v,...] [-required-context k,...] [-frame-size N] [-suite committed|signed] [AWS flags]
//	envelope decrypt -in F.enc -out F [-context k=v,...] [-required-context k,...] [the same keyring flags, or -discovery] [-mrk-region R]...
//	envelope rewrap  -in F.enc -out G.enc -from-key-id ARN -key-id NEWARN [AWS flags]
//	envelope inspect -in F.enc
//	envelope create-branch-key -key-store-table T -key-store-kms-key ARN [-key-store-name N] [-branch-key-id ID -context k=v,...]
//
// The AWS flags are -endpoint URL, -region R, -profile NAME and -debug (the
// SDK's own warnings). envelope -h and envelope COMMAND -h print the usage;
// a wrong command line prints it and exits 2; any other error exits 1 with
// one line on standard error.
//
// -mrk-region uses the multi-Region-key-aware keyrings in Region R: each
// multi-Region key of -key-id is used through its replica in R (the first
// R given), and -discovery tries each R in turn, so a message encrypted in
// one Region decrypts with the replica in another. -kms-rsa-key wraps data
// keys with the public key of an RSA KMS key (fetched with GetPublicKey,
// or read from -kms-rsa-public-key, so encrypting needs no KMS call) and
// decrypts through KMS.
//
// -branch-key-id with -key-store-table and -key-store-kms-key (and
// -key-store-name, the logical name, which defaults to the table's) selects
// the hierarchical keyring: data keys wrapped by a branch key kept in a
// DynamoDB key store in the official SDKs' schema; create-branch-key makes
// one and prints its ID. -endpoint applies to DynamoDB too.
//
// -required-context names keys of -context that are authenticated but not
// stored in the file: decrypting needs their values in -context again.
//
// "-" is standard input or output. A raw key file holds 16, 24 or 32 bytes,
// raw or base64. Output files are written to a temporary file and renamed
// only on success, so a failed decrypt leaves nothing behind. When standard
// error is a terminal, long runs show their progress there.
package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/kms"
)

const commands = "encrypt decrypt rewrap inspect create-branch-key"

const usage = `envelope encrypt|decrypt|rewrap|inspect|create-branch-key [flags]

Encrypts files in the AWS Encryption SDK message format with KMS keys or a
raw AES key, decrypts them, re-wraps them for other KMS keys, and shows a
message's header. Run envelope COMMAND -h for a command's flags.`

// synopses are the commands' usage lines.
var synopses = map[string]string{
	"encrypt": `envelope encrypt -in F -out F.enc [-key-id ARN|alias]... [-raw-aes-key-file K -raw-key-namespace NS -raw-key-name N]
                 [-context k=v,...] [-frame-size N] [-suite committed|signed] [-endpoint URL] [-region R] [-profile P]

Encrypts F for every key given. "-" is standard input or output.`,
	"decrypt": `envelope decrypt -in F.enc -out F [-context k=v,...] [-key-id ARN|alias]... [-raw-aes-key-file K ...] [-discovery]
                 [-endpoint URL] [-region R] [-profile P]

Decrypts with any of the keys given (-discovery: whichever KMS key the
message names). -context lists pairs the message must carry. The output is
written only if the whole message authenticates.`,
	"rewrap": `envelope rewrap -in F.enc -out G.enc -from-key-id ARN -key-id NEWARN... [-endpoint URL] [-region R] [-profile P]

Re-wraps the message's data key from one KMS key to others, without
decrypting the body with a new key.`,
	"inspect": `envelope inspect -in F.enc

Prints the message's header: format, suite, message ID, frame size,
encryption context and encrypted data keys.`,
	"create-branch-key": `envelope create-branch-key -key-store-table T -key-store-kms-key ARN [-key-store-name N] [-branch-key-id ID -context k=v,...]
                 [-endpoint URL] [-region R] [-profile P]

Creates a branch key for the hierarchical keyring in a DynamoDB key store
(the official SDKs' schema) and prints its ID.`,
}

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	os.Exit(cli.Exit("envelope", err, os.Stdout, os.Stderr))
}

type keyIDs []string

func (k *keyIDs) String() string     { return strings.Join(*k, ",") }
func (k *keyIDs) Set(v string) error { *k = append(*k, v); return nil }

type flags struct {
	in, out, context, suite                    string
	rawKeyFile, rawNamespace, rawName, fromKey string
	rsaKey, rsaOAEP, rsaPublicKey              string
	requiredContext                            string
	branchKeyID, keyStoreTable, keyStoreName   string
	keyStoreKMSKey                             string
	keys, mrkRegions                           keyIDs
	frameSize                                  int
	discovery                                  bool
	aws                                        cli.AWSFlags
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	cmd, fs, rest, err := cli.Dispatch("envelope", usage, commands, synopses, args)
	if err != nil {
		return err
	}
	// Each command takes only the flags it uses, so one it would ignore
	// (-frame-size on decrypt, -key-id on inspect) is refused rather than
	// dropped, and its usage lists only its own.
	f := flags{suite: "committed", rsaOAEP: "sha256"}
	defer func() { err = fs.WithUsage(err) }()
	has := func(cmds ...string) bool { return slices.Contains(cmds, cmd) }
	if has("encrypt", "decrypt", "rewrap", "inspect") {
		fs.StringVar(&f.in, "in", "", "input file, - for standard input")
	}
	if has("encrypt", "decrypt", "rewrap") {
		fs.StringVar(&f.out, "out", "", "output file, - for standard output")
		fs.Var(&f.keys, "key-id", "KMS key ARN, ID or alias (repeat for more keys)")
	}
	if has("encrypt", "decrypt") {
		fs.StringVar(&f.rawKeyFile, "raw-aes-key-file", "", "file holding a raw AES key (16, 24 or 32 bytes, raw or base64)")
		fs.StringVar(&f.rawNamespace, "raw-key-namespace", "", "raw key namespace")
		fs.StringVar(&f.rawName, "raw-key-name", "", "raw key name")
		fs.StringVar(&f.requiredContext, "required-context", "", "keys of -context authenticated but not stored in the file, k,k2 (decrypt needs their values in -context)")
		fs.Var(&f.mrkRegions, "mrk-region", "use multi-Region keys' replicas in this region; with -discovery, repeat to try more regions")
		fs.StringVar(&f.rsaKey, "kms-rsa-key", "", "ARN of an RSA KMS key to wrap data keys with its public key")
		fs.StringVar(&f.rsaOAEP, "kms-rsa-oaep", "sha256", "OAEP hash of -kms-rsa-key: sha256 or sha1")
	}
	if has("encrypt") {
		fs.IntVar(&f.frameSize, "frame-size", 0, "plaintext bytes per frame (default 4096)")
		fs.StringVar(&f.suite, "suite", "committed", "committed or signed")
		fs.StringVar(&f.rsaPublicKey, "kms-rsa-public-key", "", "PEM file of -kms-rsa-key's public key (encrypt without calling KMS)")
	}
	if has("decrypt") {
		fs.BoolVar(&f.discovery, "discovery", false, "decrypt with whichever KMS key the message names")
	}
	if has("rewrap") {
		fs.StringVar(&f.fromKey, "from-key-id", "", "the KMS key the message is wrapped for")
	}
	if has("encrypt", "decrypt", "create-branch-key") {
		fs.StringVar(&f.context, "context", "", "encryption context, k=v,k2=v2")
		fs.StringVar(&f.branchKeyID, "branch-key-id", "", "hierarchical keyring: the branch key in the key store")
		fs.StringVar(&f.keyStoreTable, "key-store-table", "", "hierarchical keyring: the DynamoDB table of the branch key store")
		fs.StringVar(&f.keyStoreName, "key-store-name", "", "hierarchical keyring: the key store's logical name (default: the table name)")
		fs.StringVar(&f.keyStoreKMSKey, "key-store-kms-key", "", "hierarchical keyring: the KMS key ARN that wraps the branch keys")
	}
	if !has("inspect") {
		f.aws.Register(fs.FlagSet)
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if cmd == "create-branch-key" {
		return createBranchKey(ctx, f, stdout)
	}
	if f.in == "" {
		return fs.Usagef("%s: -in is required", cmd)
	}
	if cmd != "inspect" && f.out == "" {
		return fs.Usagef("%s: -out is required", cmd)
	}
	if cmd == "rewrap" && (f.fromKey == "" || len(f.keys) == 0) {
		return fs.Usagef("rewrap: -from-key-id and -key-id are required")
	}
	if f.suite != "committed" && f.suite != "signed" {
		return fs.Usagef("-suite %q: want committed or signed", f.suite)
	}
	ec, err := parseContext(f.context)
	if err != nil {
		return err
	}
	in, closeIn, err := openInput(f.in, stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	for _, s := range []any{in, stdout} {
		if f, ok := s.(*os.File); ok {
			growPipe(f)
		}
	}
	conc := concurrency(in)

	if cmd == "inspect" {
		return inspect(in, stdout)
	}
	var client *awskms.Client
	var cfg aws.Config
	needKMS := len(f.keys) > 0 || f.discovery || cmd == "rewrap" || f.branchKeyID != "" || (f.rsaKey != "" && (cmd != "encrypt" || f.rsaPublicKey == ""))
	if needKMS {
		if cfg, err = kmsConfig(ctx, f); err != nil {
			return err
		}
		client = awskms.NewFromConfig(cfg)
	}
	var keyring kms.Keyring
	switch cmd {
	case "rewrap":
		keyring, err = kms.NewKMSKeyring(client, f.fromKey)
	default:
		keyring, err = buildKeyring(ctx, f, cfg, client, cmd)
	}
	if err != nil {
		return err
	}
	required, err := parseKeys(f.requiredContext)
	if err != nil {
		return err
	}
	opts := func(o *kms.Options) {
		o.FrameSize = f.frameSize
		o.Concurrency = conc
		o.RequiredEncryptionContextKeys = required
		if f.suite == "signed" {
			o.Suite = kms.SuiteCommittedSigned
		}
	}
	c, err := kms.New(keyring, opts)
	if err != nil {
		return err
	}
	progress := newProgress(stderr)
	return writeOutput(f.out, stdout, func(w io.Writer) error {
		switch cmd {
		case "encrypt":
			ew, err := c.EncryptWriter(ctx, w, ec)
			if err != nil {
				return err
			}
			if _, err := io.Copy(ew, progress.reader(in)); err != nil {
				return err
			}
			return ew.Close()
		case "decrypt":
			r, err := c.DecryptReader(ctx, in, ec)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, progress.reader(r))
			return err
		default: // rewrap
			to, err := kms.NewKMSKeyring(client, f.keys[0], f.keys[1:]...)
			if err != nil {
				return err
			}
			return c.Rewrap(ctx, w, progress.reader(in), to)
		}
	})
}

func buildKeyring(ctx context.Context, f flags, cfg aws.Config, client *awskms.Client, cmd string) (kms.Keyring, error) {
	var rings []kms.Keyring
	if f.branchKeyID != "" {
		store, err := keyStore(ctx, f, client)
		if err != nil {
			return nil, err
		}
		k, err := kms.NewHierarchicalKeyring(store, f.branchKeyID)
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	if f.rawKeyFile != "" {
		key, err := readRawKey(f.rawKeyFile)
		if err != nil {
			return nil, err
		}
		if f.rawNamespace == "" || f.rawName == "" {
			return nil, cli.Usagef("-raw-aes-key-file needs -raw-key-namespace and -raw-key-name")
		}
		k, err := kms.NewRawAESKeyring(f.rawNamespace, f.rawName, key)
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	if f.rsaKey != "" {
		k, err := kmsRSAKeyring(f, client)
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	if len(f.mrkRegions) > 1 && !f.discovery {
		return nil, cli.Usagef("-mrk-region: give one region, or several with -discovery")
	}
	supplier := kms.NewClientSupplier(cfg)
	if len(f.keys) > 0 {
		var k kms.Keyring
		var err error
		if len(f.mrkRegions) > 0 {
			ids := make([]string, len(f.keys))
			for i, id := range f.keys {
				ids[i] = inRegion(id, f.mrkRegions[0])
			}
			k, err = kms.NewKMSMRKMultiKeyring(supplier, ids[0], ids[1:]...)
		} else {
			k, err = kms.NewKMSKeyring(client, f.keys[0], f.keys[1:]...)
		}
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	if f.discovery {
		if cmd == "encrypt" {
			return nil, cli.Usagef("-discovery only decrypts; name keys with -key-id")
		}
		var k kms.Keyring
		var err error
		if len(f.mrkRegions) > 0 {
			k, err = kms.NewKMSMRKDiscoveryMultiKeyring(supplier, f.mrkRegions, nil)
		} else {
			k, err = kms.NewKMSDiscoveryKeyring(client, nil)
		}
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	switch len(rings) {
	case 0:
		return nil, cli.Usagef("no keyring: give -key-id, -kms-rsa-key, -raw-aes-key-file, -branch-key-id or (to decrypt) -discovery")
	case 1:
		return rings[0], nil
	}
	return kms.NewMultiKeyring(rings[0], rings[1:]...)
}

// inRegion returns the ARN of a multi-Region key's replica in region; other
// identifiers are returned as they are.
func inRegion(id, region string) string {
	a, err := arn.Parse(id)
	if err != nil || !strings.HasPrefix(a.Resource, "key/mrk-") {
		return id
	}
	a.Region = region
	return a.String()
}

func kmsRSAKeyring(f flags, client *awskms.Client) (kms.Keyring, error) {
	alg := map[string]types.EncryptionAlgorithmSpec{"sha256": types.EncryptionAlgorithmSpecRsaesOaepSha256, "sha1": types.EncryptionAlgorithmSpecRsaesOaepSha1}[f.rsaOAEP]
	if alg == "" {
		return nil, fmt.Errorf("-kms-rsa-oaep %q: want sha256 or sha1", f.rsaOAEP)
	}
	var pub *rsa.PublicKey
	if f.rsaPublicKey != "" {
		b, err := os.ReadFile(f.rsaPublicKey)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("-kms-rsa-public-key %s: no PEM block", f.rsaPublicKey)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("-kms-rsa-public-key %s: %w", f.rsaPublicKey, err)
		}
		var ok bool
		if pub, ok = k.(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("-kms-rsa-public-key %s: a %T key, not RSA", f.rsaPublicKey, k)
		}
	}
	var c kms.KMSAPI
	if client != nil {
		c = client
	}
	return kms.NewKMSRSAKeyring(c, f.rsaKey, alg, func(o *kms.KMSRSAOptions) { o.PublicKey = pub })
}

// readRawKey reads a 16, 24 or 32-byte key, raw or base64.
func readRawKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch len(b) {
	case 16, 24, 32:
		return b, nil
	}
	if d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err == nil {
		switch len(d) {
		case 16, 24, 32:
			return d, nil
		}
	}
	return nil, fmt.Errorf("%s: a raw AES key file holds 16, 24 or 32 bytes, raw or base64 (it holds %d bytes)", path, len(b))
}

// keyStore is the branch key store the flags name.
func keyStore(ctx context.Context, f flags, client *awskms.Client) (*kms.BranchKeyStore, error) {
	if err := needKeyStore(f); err != nil {
		return nil, err
	}
	cfg, err := kmsConfig(ctx, f)
	if err != nil {
		return nil, err
	}
	name := f.keyStoreName
	if name == "" {
		name = f.keyStoreTable
	}
	return kms.NewBranchKeyStore(dynamodb.NewFromConfig(cfg), client, f.keyStoreTable, name, f.keyStoreKMSKey)
}

// createBranchKey creates a branch key and prints its ID.
// needKeyStore checks that the flags name a key store, before anything
// else about AWS (the region) is asked for.
func needKeyStore(f flags) error {
	if f.keyStoreTable == "" || f.keyStoreKMSKey == "" {
		return cli.Usagef("the hierarchical keyring needs -key-store-table and -key-store-kms-key")
	}
	return nil
}

func createBranchKey(ctx context.Context, f flags, stdout io.Writer) error {
	if err := needKeyStore(f); err != nil {
		return err
	}
	ec, err := parseContext(f.context)
	if err != nil {
		return err
	}
	cfg, err := kmsConfig(ctx, f)
	if err != nil {
		return err
	}
	store, err := keyStore(ctx, f, awskms.NewFromConfig(cfg))
	if err != nil {
		return err
	}
	id, err := store.CreateBranchKey(ctx, f.branchKeyID, ec)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, id)
	return err
}

func kmsConfig(ctx context.Context, f flags) (aws.Config, error) {
	cfg, err := f.aws.Config(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		return aws.Config{}, cli.Usagef("no AWS region: set -region, AWS_REGION or a region in the profile")
	}
	return cfg, nil
}

// parseContext reads "k=v,k2=v2".
func parseContext(s string) (map[string]string, error) {
	ec := map[string]string{}
	if s == "" {
		return ec, nil
	}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, cli.Usagef("-context: %q is not key=value", pair)
		}
		ec[k] = v
	}
	return ec, nil
}

// parseKeys reads "k,k2".
func parseKeys(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	keys := strings.Split(s, ",")
	for _, k := range keys {
		if k == "" {
			return nil, fmt.Errorf("-required-context: %q has an empty key", s)
		}
	}
	return keys, nil
}

func inspect(in io.Reader, out io.Writer) error {
	h, err := kms.ParseHeader(in)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "format:      %d\n", h.Version)
	fmt.Fprintf(out, "suite:       %v\n", h.Suite)
	fmt.Fprintf(out, "message ID:  %x\n", h.MessageID)
	if h.Framed {
		fmt.Fprintf(out, "frame size:  %d\n", h.FrameLength)
	} else {
		fmt.Fprintln(out, "frame size:  not framed")
	}
	keys := make([]string, 0, len(h.EncryptionContext))
	for k := range h.EncryptionContext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(out, "context:")
	for _, k := range keys {
		fmt.Fprintf(out, "  %s=%s\n", readable([]byte(k)), readable([]byte(h.EncryptionContext[k])))
	}
	fmt.Fprintln(out, "data keys:")
	for _, k := range h.EncryptedDataKeys {
		fmt.Fprintf(out, "  %s %s\n", readable([]byte(k.ProviderID)), providerInfo(k.ProviderInfo))
	}
	return nil
}

// providerInfo shows a data key's provider info: a KMS key ARN or a raw
// RSA key's name as text; a raw AES key's name, then its tag length and
// IV (the layout the Encryption SDK's raw AES keyring writes); anything
// else as readable() does.
func providerInfo(info []byte) string {
	// key name, tag length in bits (4 bytes), IV length (4 bytes), IV
	if n := len(info); n >= 20 {
		tagBits, ivLen := binary.BigEndian.Uint32(info[n-20:]), binary.BigEndian.Uint32(info[n-16:])
		if tagBits == 128 && ivLen == 12 && printable(info[:n-20]) {
			return fmt.Sprintf("%s (raw AES: %d-bit tag, IV %x)", info[:n-20], tagBits, info[n-12:])
		}
	}
	return readable(info)
}

// readable returns b as text when it is printable UTF-8 (or empty), else
// as "0x" and hex, so no line break or control character of a hostile
// header reaches the terminal.
func readable(b []byte) string {
	if printable(b) {
		return string(b)
	}
	return fmt.Sprintf("0x%x", b)
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// concurrency is Options.Concurrency for reading in: one goroutine fewer
// than the cores when in is a pipe, since the process writing into it (cat,
// a download) needs a core of its own and frames sealed or opened on every
// core only compete with it; the library's default (every core) otherwise.
// On 2 cores, from a pipe fed as cat feeds it, one goroutine costs less CPU
// than two and moves as much or more (BenchmarkCommandVsLibrary).
func concurrency(in io.Reader) int {
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
			return max(1, runtime.GOMAXPROCS(0)-1)
		}
	}
	return 0
}

func openInput(path string, stdin io.Reader) (io.Reader, func(), error) {
	if path == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// writeOutput runs fn on a temporary file beside path and renames it into
// place only if fn succeeds.
func writeOutput(path string, stdout io.Writer, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// progress reports bytes and rate on a terminal, at most twice a second.
type progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	n     int64
}

func newProgress(stderr io.Writer) *progress {
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return &progress{w: stderr, start: time.Now()}
		}
	}
	return nil
}

func (p *progress) reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &progressReader{r: r, p: p}
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	p := pr.p
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) > 500*time.Millisecond || err != nil {
		p.last = now
		secs := max(now.Sub(p.start).Seconds(), 0.001)
		fmt.Fprintf(p.w, "\r%.1f MiB  %.1f MiB/s ", float64(p.n)/(1<<20), float64(p.n)/(1<<20)/secs)
		if err != nil {
			fmt.Fprintln(p.w)
		}
	}
	return n, err
}
