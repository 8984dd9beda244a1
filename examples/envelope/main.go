// Command envelope encrypts files with KMS data keys (or a raw AES key) in
// the AWS Encryption SDK message format, so the official SDKs and the
// aws-encryption-cli can read them too.
//
//	envelope encrypt -in F -out F.enc [-key-id ARN|alias]... [-raw-aes-key-file K -raw-key-namespace NS -raw-key-name N]
//	                 [-context k=v,...] [-required-context k,...] [-frame-size N] [-suite committed|signed] [-endpoint URL] [-region R]
//	envelope decrypt -in F.enc -out F [-context k=v,...] [-required-context k,...] [the same keyring flags, or -discovery]
//	envelope rewrap  -in F.enc -out G.enc -from-key-id ARN -key-id NEWARN [-endpoint URL] [-region R]
//	envelope inspect -in F.enc
//	envelope create-branch-key -key-store-table T -key-store-kms-key ARN [-key-store-name N] [-branch-key-id ID -context k=v,...]
//
// -branch-key-id with -key-store-table and -key-store-kms-key (and
// -key-store-name, the logical name, which defaults to the table's) selects
// the hierarchical keyring: data keys wrapped by a branch key kept in a
// DynamoDB key store in the official SDKs' schema; create-branch-key makes
// one and prints its ID. -endpoint applies to DynamoDB too.
//
// -required-context names keys of -context that are authenticated but not
// stored in the file: decrypting needs their values in -context again.
// "-" is standard input or output. A raw key file holds 16, 24 or 32 bytes,
// raw or base64. Output files are written to a temporary file and renamed
// only on success, so a failed decrypt leaves nothing behind. When standard
// error is a terminal, long runs show their progress there.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kumo-go/kumo/kms"
)

const commands = "encrypt decrypt rewrap inspect create-branch-key"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "envelope:", err)
		os.Exit(1)
	}
}

type keyIDs []string

func (k *keyIDs) String() string     { return strings.Join(*k, ",") }
func (k *keyIDs) Set(v string) error { *k = append(*k, v); return nil }

type flags struct {
	in, out, context, suite, endpoint, region  string
	rawKeyFile, rawNamespace, rawName, fromKey string
	requiredContext                            string
	branchKeyID, keyStoreTable, keyStoreName   string
	keyStoreKMSKey                             string
	keys                                       keyIDs
	frameSize                                  int
	discovery                                  bool
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing command: want one of " + commands)
	}
	cmd := args[0]
	if !strings.Contains(" "+commands+" ", " "+cmd+" ") {
		return fmt.Errorf("unknown command %q: want one of %s", cmd, commands)
	}
	var f flags
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.in, "in", "", "input file, - for standard input")
	fs.StringVar(&f.out, "out", "", "output file, - for standard output")
	fs.Var(&f.keys, "key-id", "KMS key ARN, ID or alias (repeat for more keys)")
	fs.StringVar(&f.rawKeyFile, "raw-aes-key-file", "", "file holding a raw AES key (16, 24 or 32 bytes, raw or base64)")
	fs.StringVar(&f.rawNamespace, "raw-key-namespace", "", "raw key namespace")
	fs.StringVar(&f.rawName, "raw-key-name", "", "raw key name")
	fs.StringVar(&f.context, "context", "", "encryption context, k=v,k2=v2")
	fs.StringVar(&f.requiredContext, "required-context", "", "keys of -context authenticated but not stored in the file, k,k2 (decrypt needs their values in -context)")
	fs.IntVar(&f.frameSize, "frame-size", 0, "plaintext bytes per frame (default 4096)")
	fs.StringVar(&f.suite, "suite", "committed", "committed or signed")
	fs.StringVar(&f.endpoint, "endpoint", "", "KMS (and DynamoDB) endpoint URL, such as a local emulator")
	fs.StringVar(&f.region, "region", "", "AWS region")
	fs.BoolVar(&f.discovery, "discovery", false, "decrypt with whichever KMS key the message names")
	fs.StringVar(&f.fromKey, "from-key-id", "", "the KMS key the message is wrapped for (rewrap)")
	fs.StringVar(&f.branchKeyID, "branch-key-id", "", "hierarchical keyring: the branch key in the key store")
	fs.StringVar(&f.keyStoreTable, "key-store-table", "", "hierarchical keyring: the DynamoDB table of the branch key store")
	fs.StringVar(&f.keyStoreName, "key-store-name", "", "hierarchical keyring: the key store's logical name (default: the table name)")
	fs.StringVar(&f.keyStoreKMSKey, "key-store-kms-key", "", "hierarchical keyring: the KMS key ARN that wraps the branch keys")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%s: %v", cmd, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if cmd == "create-branch-key" {
		return createBranchKey(ctx, f, stdout)
	}
	if f.in == "" {
		return fmt.Errorf("%s: -in is required", cmd)
	}
	if cmd != "inspect" && f.out == "" {
		return fmt.Errorf("%s: -out is required", cmd)
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

	if cmd == "inspect" {
		return inspect(in, stdout)
	}
	ec, err := parseContext(f.context)
	if err != nil {
		return err
	}
	var client *awskms.Client
	needKMS := len(f.keys) > 0 || f.discovery || cmd == "rewrap" || f.branchKeyID != ""
	if needKMS {
		if client, err = kmsClient(ctx, f); err != nil {
			return err
		}
	}
	var keyring kms.Keyring
	switch cmd {
	case "rewrap":
		if f.fromKey == "" || len(f.keys) == 0 {
			return errors.New("rewrap: -from-key-id and -key-id are required")
		}
		keyring, err = kms.NewKMSKeyring(client, f.fromKey)
	default:
		keyring, err = buildKeyring(ctx, f, client, cmd)
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
		o.RequiredEncryptionContextKeys = required
		if f.suite == "signed" {
			o.Suite = kms.SuiteCommittedSigned
		}
	}
	if f.suite != "committed" && f.suite != "signed" {
		return fmt.Errorf("-suite %q: want committed or signed", f.suite)
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

func buildKeyring(ctx context.Context, f flags, client *awskms.Client, cmd string) (kms.Keyring, error) {
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
			return nil, errors.New("-raw-aes-key-file needs -raw-key-namespace and -raw-key-name")
		}
		k, err := kms.NewRawAESKeyring(f.rawNamespace, f.rawName, key)
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	if len(f.keys) > 0 {
		k, err := kms.NewKMSKeyring(client, f.keys[0], f.keys[1:]...)
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	if f.discovery {
		if cmd == "encrypt" {
			return nil, errors.New("-discovery only decrypts; name keys with -key-id")
		}
		k, err := kms.NewKMSDiscoveryKeyring(client, nil)
		if err != nil {
			return nil, err
		}
		rings = append(rings, k)
	}
	switch len(rings) {
	case 0:
		return nil, errors.New("no keyring: give -key-id, -raw-aes-key-file, -branch-key-id or (to decrypt) -discovery")
	case 1:
		return rings[0], nil
	}
	return kms.NewMultiKeyring(rings[0], rings[1:]...), nil
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
	if f.keyStoreTable == "" || f.keyStoreKMSKey == "" {
		return nil, errors.New("the hierarchical keyring needs -key-store-table and -key-store-kms-key")
	}
	cfg, err := awsConfig(ctx, f)
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
func createBranchKey(ctx context.Context, f flags, stdout io.Writer) error {
	ec, err := parseContext(f.context)
	if err != nil {
		return err
	}
	client, err := kmsClient(ctx, f)
	if err != nil {
		return err
	}
	store, err := keyStore(ctx, f, client)
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

func kmsClient(ctx context.Context, f flags) (*awskms.Client, error) {
	cfg, err := awsConfig(ctx, f)
	if err != nil {
		return nil, err
	}
	return awskms.NewFromConfig(cfg), nil
}

func awsConfig(ctx context.Context, f flags) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	if f.endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(f.endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: set -region or AWS_REGION")
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
			return nil, fmt.Errorf("-context: %q is not key=value", pair)
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
		fmt.Fprintf(out, "  %s=%s\n", k, h.EncryptionContext[k])
	}
	fmt.Fprintln(out, "data keys:")
	for _, k := range h.EncryptedDataKeys {
		info := string(k.ProviderInfo)
		if k.ProviderID != "aws-kms" {
			info = fmt.Sprintf("%q", k.ProviderInfo) // raw keys add binary IV details
		}
		fmt.Fprintf(out, "  %s %s\n", k.ProviderID, info)
	}
	return nil
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
