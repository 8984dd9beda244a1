package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func greet(args []string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	fs := NewFlagSet("greet", "greet -name NAME\n\nGreets NAME.")
	name := fs.String("name", "", "who to greet (required)")
	err := fs.Parse(args)
	switch {
	case err != nil:
	case *name == "":
		err = fs.Usagef("-name is required")
	case *name == "fail":
		err = errors.New("greet: cannot greet fail\nat all")
	case *name == "late":
		err = fmt.Errorf("later: %w", Usagef("-name late is refused"))
	default:
		fmt.Fprintln(&out, "hello", *name)
	}
	return fs.Exit(err, &out, &errOut), out.String(), errOut.String()
}

func TestExit(t *testing.T) {
	const usage = "usage: greet -name NAME\n\nGreets NAME.\n\nflags:\n  -name string\n    \twho to greet (required)\n"
	for _, tt := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"-name", "bob"}, ExitOK, "hello bob\n", ""},
		{[]string{"-h"}, ExitOK, usage, ""},
		{[]string{"-help"}, ExitOK, usage, ""},
		{nil, ExitUsage, "", "greet: -name is required\n\n" + usage},
		{[]string{"-nope"}, ExitUsage, "", "greet: flag provided but not defined: -nope\n\n" + usage},
		{[]string{"-name", "bob", "extra"}, ExitUsage, "", "greet: unexpected argument \"extra\"\n\n" + usage},
		{[]string{"-name", "late"}, ExitUsage, "", "greet: later: -name late is refused\n\n" + usage},
		{[]string{"-name", "fail"}, ExitError, "", "greet: cannot greet fail at all\n"},
	} {
		code, stdout, stderr := greet(tt.args)
		assert.Equal(t, tt.code, code, tt.args)
		assert.Equal(t, tt.stdout, stdout, tt.args)
		assert.Equal(t, tt.stderr, stderr, tt.args)
	}
}

func TestExitWithoutUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, ExitUsage, Exit("tool", Usagef("bad %d", 1), &out, &errOut))
	assert.Equal(t, "tool: bad 1\nrun tool -h for usage\n", errOut.String())
	assert.Equal(t, ExitOK, Exit("tool", nil, &out, &errOut))
	assert.Empty(t, out.String())
}

func TestSubcommandName(t *testing.T) {
	var out, errOut bytes.Buffer
	fs := NewFlagSet("tool run", "tool run [-n N]")
	fs.Int("n", 1, "times")
	code := fs.Exit(fs.Parse([]string{"-n", "x"}), &out, &errOut)
	assert.Equal(t, ExitUsage, code)
	assert.True(t, strings.HasPrefix(errOut.String(), "tool: run: invalid value \"x\" for flag -n: parse error\n"), errOut.String())
}

func TestWrapKeepsFlags(t *testing.T) {
	raw := flag.NewFlagSet("w", flag.ExitOnError)
	n := raw.Int("n", 0, "a number")
	fs := Wrap(raw, "tool", "tool [-n N]")
	var out, errOut bytes.Buffer
	assert.Equal(t, ExitUsage, fs.Exit(fs.Parse([]string{"-n", "x"}), &out, &errOut)) // ExitOnError would have exited
	assert.True(t, strings.HasPrefix(errOut.String(), "tool: invalid value"), errOut.String())
	require.NoError(t, fs.Parse([]string{"-n", "3"}))
	assert.Equal(t, 3, *n)
}

func TestAWSFlags(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	fs := NewFlagSet("tool", "tool")
	a := AWSFlags{DefaultRegion: "us-east-1"}
	a.Register(fs.FlagSet)
	require.NoError(t, fs.Parse([]string{"-endpoint", "http://127.0.0.1:1"}))
	cfg, err := a.Config(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", cfg.Region)
	assert.Equal(t, "http://127.0.0.1:1", *cfg.BaseEndpoint)
	assert.Equal(t, logging.Nop{}, cfg.Logger, "the SDK logs nothing without -debug")

	require.NoError(t, fs.Parse([]string{"-debug"}))
	cfg, err = a.Config(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, logging.Nop{}, cfg.Logger)
	assert.True(t, cfg.ClientLogMode.IsRetries())
	a = AWSFlags{DefaultRegion: "us-east-1"}

	require.NoError(t, fs.Parse([]string{"-region", "eu-west-1"}))
	cfg, err = a.Config(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.Region)

	require.NoError(t, fs.Parse([]string{"-profile", "missing"}))
	_, err = a.Config(context.Background())
	require.ErrorContains(t, err, "missing")
}

func TestCommands(t *testing.T) {
	got := Commands(map[string]string{"b": "tool b -x\n\nDoes b.", "a": "tool a"}, "a", "b")
	assert.Equal(t, "  tool a\n  tool b -x\n", got)
}

func TestDispatch(t *testing.T) {
	synopses := map[string]string{"get": "tool get KEY\n\nGets KEY.", "put": "tool put KEY\n\nPuts KEY."}
	for _, tt := range []struct {
		args      []string
		cmd       string   // "" for an error
		rest      []string // what is left for the command's FlagSet
		code      int      // Exit's code for the error
		firstLine string   // of stdout (code 0) or stderr
	}{
		{args: []string{"get", "-x", "k"}, cmd: "get", rest: []string{"-x", "k"}},
		{args: []string{"put"}, cmd: "put", rest: []string{}},
		{args: []string{"help", "put"}, cmd: "put", rest: []string{"-h"}},
		{args: []string{"-h"}, code: 0, firstLine: "usage: tool get|put"},
		{args: []string{"help"}, code: 0, firstLine: "usage: tool get|put"},
		{args: []string{"help", "nope"}, code: 0, firstLine: "usage: tool get|put"},
		{args: nil, code: 2, firstLine: "tool: missing command: want one of get put"},
		{args: []string{"rm"}, code: 2, firstLine: `tool: unknown command "rm": want one of get put`},
		{args: []string{"-v", "get"}, code: 2, firstLine: "tool: flag provided but not defined: -v"},
	} {
		cmd, fs, rest, err := Dispatch("tool", "tool get|put", "get put", synopses, tt.args)
		if tt.cmd != "" {
			require.NoError(t, err, tt.args)
			assert.Equal(t, tt.cmd, cmd, tt.args)
			assert.Equal(t, tt.rest, rest, tt.args)
			assert.Equal(t, "tool "+tt.cmd, fs.Name(), tt.args)
			continue
		}
		var out, errOut bytes.Buffer
		assert.Equal(t, tt.code, Exit("tool", err, &out, &errOut), tt.args)
		got := errOut.String()
		if tt.code == 0 {
			got = out.String()
		}
		first, _, _ := strings.Cut(got, "\n")
		assert.Equal(t, tt.firstLine, first, tt.args)
	}
}
