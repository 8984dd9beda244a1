package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/kms"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

func envelope(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, bytes.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestRawKeyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(key, []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))+"\n"), 0o600))
	plain := filepath.Join(dir, "report.csv")
	content := bytes.Repeat([]byte("a,b,c\n"), 50_000)
	require.NoError(t, os.WriteFile(plain, content, 0o600))
	raw := []string{"-raw-aes-key-file", key, "-raw-key-namespace", "team", "-raw-key-name", "k1"}

	_, err := envelope(t, nil, append([]string{"encrypt", "-in", plain, "-out", plain + ".enc", "-context", "dept=finance,year=2026", "-suite", "signed", "-frame-size", "1024"}, raw...)...)
	require.NoError(t, err)
	info, err := envelope(t, nil, "inspect", "-in", plain+".enc")
	require.NoError(t, err)
	assert.Contains(t, info, "suite:       AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 (0x0578)\n")
	assert.Contains(t, info, "frame size:  1024\n")
	assert.Contains(t, info, "  dept=finance\n  year=2026\n")
	assert.Regexp(t, `\n  team k1 \(raw AES: 128-bit tag, IV [0-9a-f]{24}\)\n`, info)

	out := filepath.Join(dir, "back.csv")
	_, err = envelope(t, nil, append([]string{"decrypt", "-in", plain + ".enc", "-out", out, "-context", "dept=finance"}, raw...)...)
	require.NoError(t, err)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(content, got))

	// A failed decrypt leaves no output file behind.
	bad := filepath.Join(dir, "bad.csv")
	_, err = envelope(t, nil, append([]string{"decrypt", "-in", plain + ".enc", "-out", bad, "-context", "dept=sales"}, raw...)...)
	require.ErrorContains(t, err, "other values for dept")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.False(t, e.Name() == "bad.csv" || strings.Contains(e.Name(), ".tmp-"), "left behind: %s", e.Name())
	}

	// Standard input and output.
	enc, err := envelope(t, []byte("piped"), append([]string{"encrypt", "-in", "-", "-out", "-"}, raw...)...)
	require.NoError(t, err)
	dec, err := envelope(t, []byte(enc), append([]string{"decrypt", "-in", "-", "-out", "-"}, raw...)...)
	require.NoError(t, err)
	assert.Equal(t, "piped", dec)
}

// With -required-context the named pairs are authenticated but not
// stored: inspect does not show them, and decrypt needs their values.
func TestRequiredContext(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(key, bytes.Repeat([]byte{5}, 32), 0o600))
	raw := []string{"-raw-aes-key-file", key, "-raw-key-namespace", "team", "-raw-key-name", "k1"}
	enc, err := envelope(t, []byte("payroll"), append([]string{"encrypt", "-in", "-", "-out", "-", "-context", "tenant=acme,dept=finance", "-required-context", "tenant"}, raw...)...)
	require.NoError(t, err)
	info, err := envelope(t, []byte(enc), "inspect", "-in", "-")
	require.NoError(t, err)
	assert.Contains(t, info, "context:\n  dept=finance\ndata keys:")
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"-context", "tenant=acme", "-required-context", "tenant"}, ""},
		{[]string{"-context", "tenant=acme,dept=finance"}, ""},
		{[]string{"-required-context", "tenant"}, `the required context has no value for the required key(s) "tenant"`},
		{[]string{"-context", "dept=finance"}, "kms: no keyring could decrypt a data key"},
		{[]string{"-context", "tenant=other", "-required-context", "tenant"}, "kms: no keyring could decrypt a data key"},
		{[]string{"-required-context", "tenant,"}, `-required-context: "tenant," has an empty key`},
	} {
		dec, err := envelope(t, []byte(enc), append(append([]string{"decrypt", "-in", "-", "-out", "-"}, raw...), tt.args...)...)
		if tt.err == "" {
			require.NoError(t, err, tt.args)
			assert.Equal(t, "payroll", dec)
			continue
		}
		require.ErrorContains(t, err, tt.err, tt.args)
	}
	_, err = envelope(t, []byte("x"), append([]string{"encrypt", "-in", "-", "-out", "-", "-required-context", "tenant"}, raw...)...)
	require.ErrorContains(t, err, `the encryption context has no value for the required key(s) "tenant"`)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	require.NoError(t, os.WriteFile(short, []byte("0123456789"), 0o600))
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{nil, "missing command: want one of encrypt decrypt rewrap inspect create-branch-key"},
		{[]string{"seal"}, `unknown command "seal"`},
		{[]string{"encrypt", "-out", "x"}, "encrypt: -in is required"},
		{[]string{"encrypt", "-in", short}, "encrypt: -out is required"},
		{[]string{"encrypt", "-in", short, "-out", "-"}, "no keyring: give -key-id, -kms-rsa-key, -raw-aes-key-file, -branch-key-id or (to decrypt) -discovery"},
		{[]string{"encrypt", "-in", short, "-out", "-", "-raw-aes-key-file", short, "-raw-key-namespace", "a", "-raw-key-name", "b"}, "a raw AES key file holds 16, 24 or 32 bytes, raw or base64 (it holds 10 bytes)"},
		{[]string{"encrypt", "-in", short, "-out", "-", "-context", "novalue"}, `-context: "novalue" is not key=value`},
		{[]string{"inspect", "-in", short}, "kms: malformed message"},
		{[]string{"rewrap", "-in", short, "-out", "-"}, "rewrap: -from-key-id and -key-id are required"},
		{[]string{"encrypt", "-in", short, "-out", "-", "-suite", "fast"}, `-suite "fast": want committed or signed`},
	} {
		_, err := envelope(t, nil, tt.args...)
		require.Error(t, err, tt.args)
		assert.Contains(t, err.Error(), tt.err)
	}
}

func TestKMSAgainstMoto(t *testing.T) {
	endpoint := moto.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", moto.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", moto.SecretKey)
	t.Setenv("AWS_REGION", moto.Region)
	client := awskms.NewFromConfig(moto.Config(t))
	newKey := func() string {
		out, err := client.CreateKey(context.Background(), &awskms.CreateKeyInput{})
		require.NoError(t, err)
		return aws.ToString(out.KeyMetadata.Arn)
	}
	oldKey, newKeyARN := newKey(), newKey()
	dir := t.TempDir()
	plain := filepath.Join(dir, "data")
	require.NoError(t, os.WriteFile(plain, []byte("kms wrapped"), 0o600))

	_, err := envelope(t, nil, "encrypt", "-in", plain, "-out", plain+".enc", "-key-id", oldKey, "-endpoint", endpoint, "-context", "app=test")
	require.NoError(t, err)
	_, err = envelope(t, nil, "rewrap", "-in", plain+".enc", "-out", plain+".new", "-from-key-id", oldKey, "-key-id", newKeyARN, "-endpoint", endpoint)
	require.NoError(t, err)
	info, err := envelope(t, nil, "inspect", "-in", plain+".new")
	require.NoError(t, err)
	assert.Contains(t, info, "aws-kms "+newKeyARN)
	out, err := envelope(t, nil, "decrypt", "-in", plain+".new", "-out", "-", "-discovery", "-endpoint", endpoint, "-context", "app=test")
	require.NoError(t, err)
	assert.Equal(t, "kms wrapped", out)
}

// The hierarchical keyring from the command line: a branch key created in
// a key store table on moto's DynamoDB, a file encrypted under it and back.
func TestHierarchicalAgainstMoto(t *testing.T) {
	endpoint := moto.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", moto.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", moto.SecretKey)
	t.Setenv("AWS_REGION", moto.Region)
	ctx := context.Background()
	cfg := moto.Config(t)
	key, err := awskms.NewFromConfig(cfg).CreateKey(ctx, &awskms.CreateKeyInput{})
	require.NoError(t, err)
	table := moto.UniqueName("keystore")
	_, err = dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("branch-key-id"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("type"), KeyType: ddbtypes.KeyTypeRange},
		},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("branch-key-id"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("type"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	store := []string{"-key-store-table", table, "-key-store-kms-key", aws.ToString(key.KeyMetadata.Arn), "-endpoint", endpoint}

	id, err := envelope(t, nil, append([]string{"create-branch-key", "-branch-key-id", "tenant-acme", "-context", "tenant=acme"}, store...)...)
	require.NoError(t, err)
	require.Equal(t, "tenant-acme\n", id)
	_, err = envelope(t, nil, append([]string{"create-branch-key", "-branch-key-id", "tenant-acme"}, store...)...)
	require.ErrorContains(t, err, "kms: CreateBranchKey with a chosen branch key ID needs an encryption context")

	enc, err := envelope(t, []byte("branch wrapped"), append([]string{"encrypt", "-in", "-", "-out", "-", "-branch-key-id", "tenant-acme", "-context", "app=test"}, store...)...)
	require.NoError(t, err)
	info, err := envelope(t, []byte(enc), "inspect", "-in", "-")
	require.NoError(t, err)
	assert.Contains(t, info, "aws-kms-hierarchy ")
	out, err := envelope(t, []byte(enc), append([]string{"decrypt", "-in", "-", "-out", "-", "-branch-key-id", "tenant-acme", "-context", "app=test"}, store...)...)
	require.NoError(t, err)
	assert.Equal(t, "branch wrapped", out)
	_, err = envelope(t, []byte(enc), "decrypt", "-in", "-", "-out", "-", "-branch-key-id", "tenant-acme", "-endpoint", endpoint)
	require.ErrorContains(t, err, "the hierarchical keyring needs -key-store-table and -key-store-kms-key")
}

// BenchmarkCommandVsLibrary moves 256 MiB through the command people copy,
// `envelope encrypt -in - -out -` (and decrypt), with standard output
// /dev/null, beside the library on one goroutine (Concurrency 1) reading
// the same file into the same sink. Each iteration runs every variant once,
// in turn, so that all of them meet the same (possibly busy) machine:
//
//   - library: the library's single-goroutine figure, reading the file;
//   - command: standard input the file (`envelope ... < F`);
//   - command-pipe: standard input a pipe fed as `cat F |` feeds it
//     (reads and writes of 128 KiB, coreutils cat's buffer);
//   - library-pipe: the library on one goroutine reading that same pipe,
//     which separates what the pipe costs from what the command adds.
//
// It reports each variant's rate, its ratio to the library's (the goal is
// 0.8 for command-pipe) and the CPU time each took over the library's. The
// CPU time of the pipe variants includes the feeder's, as `cat`'s would be
// paid on the same cores.
func BenchmarkCommandVsLibrary(b *testing.B) {
	const size = 256 << 20
	dir := b.TempDir()
	key := filepath.Join(dir, "key")
	require.NoError(b, os.WriteFile(key, bytes.Repeat([]byte{3}, 32), 0o600))
	raw := []string{"-raw-aes-key-file", key, "-raw-key-namespace", "team", "-raw-key-name", "k1"}
	plain := filepath.Join(dir, "plain")
	pattern := bytes.Repeat([]byte("envelope bench "), size/15+1)[:size]
	require.NoError(b, os.WriteFile(plain, pattern, 0o600))
	enc := filepath.Join(dir, "plain.enc")
	require.NoError(b, run(context.Background(), append([]string{"encrypt", "-in", plain, "-out", enc}, raw...), nil, io.Discard, io.Discard))
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(b, err)
	defer devnull.Close()
	kr, err := kms.NewRawAESKeyring("team", "k1", bytes.Repeat([]byte{3}, 32))
	require.NoError(b, err)
	lib, err := kms.New(kr, func(o *kms.Options) { o.Concurrency = 1 })
	require.NoError(b, err)

	fromFile := func(path string, fn func(in *os.File) error) func() error {
		return func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			return fn(f)
		}
	}
	// fromPipe feeds the file through a pipe as cat does: read 128 KiB,
	// write it, until the end.
	fromPipe := func(path string, fn func(in *os.File) error) func() error {
		return fromFile(path, func(f *os.File) error {
			pr, pw, err := os.Pipe()
			if err != nil {
				return err
			}
			defer pr.Close()
			go func() {
				defer pw.Close()
				buf := make([]byte, 128<<10)
				for {
					n, err := f.Read(buf)
					if n > 0 {
						if _, err := pw.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
			return fn(pr)
		})
	}
	command := func(cmd string) func(in *os.File) error {
		return func(in *os.File) error {
			return run(context.Background(), append([]string{cmd, "-in", "-", "-out", "-"}, raw...), in, devnull, io.Discard)
		}
	}
	library := map[string]func(in *os.File) error{
		"encrypt": func(in *os.File) error {
			w, err := lib.EncryptWriter(context.Background(), devnull, nil)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, in); err != nil {
				return err
			}
			return w.Close()
		},
		"decrypt": func(in *os.File) error {
			r, err := lib.DecryptReader(context.Background(), in, nil)
			if err != nil {
				return err
			}
			_, err = io.Copy(devnull, r)
			return err
		},
	}
	for _, cmd := range []string{"encrypt", "decrypt"} {
		b.Run(cmd, func(b *testing.B) {
			in := plain
			if cmd == "decrypt" {
				in = enc
			}
			variants := []struct {
				name string
				fn   func() error
			}{
				{"library", fromFile(in, library[cmd])},
				{"command", fromFile(in, command(cmd))},
				{"command-pipe", fromPipe(in, command(cmd))},
				{"library-pipe", fromPipe(in, library[cmd])},
			}
			wall := make([]time.Duration, len(variants))
			cpu := make([]time.Duration, len(variants))
			b.ResetTimer()
			for range b.N {
				for i, v := range variants {
					t0, c0 := time.Now(), cpuTime()
					require.NoError(b, v.fn())
					wall[i] += time.Since(t0)
					cpu[i] += cpuTime() - c0
				}
			}
			mb := float64(size) * float64(b.N) / 1e6
			for i, v := range variants {
				b.ReportMetric(mb/wall[i].Seconds(), "MB/s-"+v.name)
				if i > 0 {
					b.ReportMetric(wall[0].Seconds()/wall[i].Seconds(), "ratio-"+v.name)
					b.ReportMetric(cpu[i].Seconds()/cpu[0].Seconds(), "cpu-"+v.name+"/library")
				}
			}
		})
	}
}

// TestConcurrency checks that input from a pipe leaves a core to the
// process writing into it, and that anything else keeps the library's
// default.
func TestConcurrency(t *testing.T) {
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	file, err := os.CreateTemp(t.TempDir(), "in")
	require.NoError(t, err)
	defer file.Close()
	assert.Equal(t, max(1, runtime.GOMAXPROCS(0)-1), concurrency(pr))
	assert.Equal(t, 0, concurrency(file))
	assert.Equal(t, 0, concurrency(bytes.NewReader(nil)))
}

func TestProviderInfo(t *testing.T) {
	iv := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	rawAES := append([]byte("k1"), 0, 0, 0, 128, 0, 0, 0, 12)
	for _, tt := range []struct {
		info []byte
		want string
	}{
		{[]byte("arn:aws:kms:us-east-1:123456789012:key/1234abcd"), "arn:aws:kms:us-east-1:123456789012:key/1234abcd"},
		{append(rawAES, iv...), "k1 (raw AES: 128-bit tag, IV 0102030405060708090a0b0c)"},
		{[]byte("rsa key ü"), "rsa key ü"},
		{[]byte{0xff, 0x00, 'a'}, "0xff0061"},
		{[]byte("two\nlines"), "0x74776f0a6c696e6573"},
		{nil, ""},
	} {
		assert.Equal(t, tt.want, providerInfo(tt.info), "%q", tt.info)
	}
}

// TestCommandLine runs the program as main does, each command included:
// -h prints the usage on stdout and exits 0; a wrong command line prints
// one error line and the usage on stderr and exits 2; a failure prints one
// line and exits 1.
func TestCommandLine(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	for _, tt := range []struct {
		args  []string
		code  int
		first string // of stdout for code 0, else of stderr
	}{
		{[]string{"-h"}, 0, "usage: envelope encrypt|decrypt|rewrap|inspect|create-branch-key [flags]"},
		{[]string{"help"}, 0, "usage: envelope encrypt|decrypt|rewrap|inspect|create-branch-key [flags]"},
		{[]string{"help", "inspect"}, 0, "usage: envelope inspect -in F.enc"},
		{[]string{"encrypt", "-h"}, 0, "usage: envelope encrypt -in F -out F.enc [-key-id ARN|alias]... [-raw-aes-key-file K -raw-key-namespace NS -raw-key-name N]"},
		{[]string{"decrypt", "-help"}, 0, "usage: envelope decrypt -in F.enc -out F [-context k=v,...] [-key-id ARN|alias]... [-raw-aes-key-file K ...] [-discovery]"},
		{[]string{"rewrap", "-h"}, 0, "usage: envelope rewrap -in F.enc -out G.enc -from-key-id ARN -key-id NEWARN... [-endpoint URL] [-region R] [-profile P]"},
		{[]string{"inspect", "-h"}, 0, "usage: envelope inspect -in F.enc"},
		{nil, 2, "envelope: missing command: want one of encrypt decrypt rewrap inspect create-branch-key"},
		{[]string{"seal"}, 2, `envelope: unknown command "seal": want one of encrypt decrypt rewrap inspect create-branch-key`},
		{[]string{"-x"}, 2, "envelope: flag provided but not defined: -x"},
		{[]string{"encrypt", "-x"}, 2, "envelope: encrypt: flag provided but not defined: -x"},
		{[]string{"decrypt", "-in", "a"}, 2, "envelope: decrypt: -out is required"},
		{[]string{"encrypt", "-in", "a", "-out", "-", "-context", "x"}, 2, `envelope: -context: "x" is not key=value`},
		{[]string{"inspect", "-in", "/nonexistent"}, 1, "envelope: open /nonexistent: no such file or directory"},
		// A flag of another command is refused, not silently dropped.
		{[]string{"inspect", "-in", "a", "-key-id", "alias/x"}, 2, "envelope: inspect: flag provided but not defined: -key-id"},
		{[]string{"decrypt", "-in", "a", "-out", "b", "-frame-size", "1"}, 2, "envelope: decrypt: flag provided but not defined: -frame-size"},
		{[]string{"rewrap", "-in", "a", "-out", "b", "-raw-aes-key-file", "k"}, 2, "envelope: rewrap: flag provided but not defined: -raw-aes-key-file"},
		{[]string{"encrypt", "-in", "a", "-out", "b", "-discovery"}, 2, "envelope: encrypt: flag provided but not defined: -discovery"},
		{[]string{"create-branch-key", "-in", "a"}, 2, "envelope: create-branch-key: flag provided but not defined: -in"},
		// The missing flags are named before a missing region is.
		{[]string{"create-branch-key"}, 2, "envelope: the hierarchical keyring needs -key-store-table and -key-store-kms-key"},
	} {
		var out, errOut bytes.Buffer
		code := cli.Exit("envelope", run(context.Background(), tt.args, nil, &out, &errOut), &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		got := errOut.String()
		if code == 0 {
			got = out.String()
		}
		first, rest, _ := strings.Cut(got, "\n")
		assert.Equal(t, tt.first, first, tt.args)
		switch {
		case code == 2:
			assert.True(t, strings.HasPrefix(rest, "\nusage: envelope "), rest)
		case code == 1:
			assert.Empty(t, rest, "one line per error")
		case strings.Contains(first, "-in F"):
			assert.Contains(t, got, "\n  -in string\n", "the flags are listed")
		}
		if code == 0 && strings.HasPrefix(first, "usage: envelope inspect") {
			assert.NotContains(t, got, "-key-id", "inspect lists only its own flags")
		}
	}
}
