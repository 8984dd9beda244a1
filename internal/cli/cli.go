// Package cli is the command-line plumbing kumo's example programs share:
// real usage on -h, usage on misuse, exit codes, one line per error, and
// the flags of programs that call AWS.
//
//	func main() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) }
//
//	func realMain(args []string, stdout, stderr io.Writer) int {
//		fs := cli.NewFlagSet("greet", "greet -name NAME\n\nGreets NAME.")
//		name := fs.String("name", "", "who to greet (required)")
//		if err := fs.Parse(args); err != nil {
//			return fs.Exit(err, stdout, stderr) // -h: usage on stdout, 0; misuse: error and usage on stderr, 2
//		}
//		if *name == "" {
//			return fs.Exit(fs.Usagef("-name is required"), stdout, stderr)
//		}
//		fmt.Fprintln(stdout, "hello", *name)
//		return cli.ExitOK
//	}
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes of every example program.
const (
	ExitOK    = 0 // success, or usage asked for with -h
	ExitError = 1 // the program ran and failed
	ExitUsage = 2 // the command line was wrong; the usage was printed
)

// UsageError is a wrong command line: an unknown or malformed flag, a
// missing required value, flags that do not go together. Exit prints its
// message and then the usage, and returns ExitUsage. A UsageError wrapping
// flag.ErrHelp is a request for help: Exit prints the usage on standard
// output and returns ExitOK.
type UsageError struct {
	Err   error
	usage func(io.Writer) // nil: the FlagSet's that reports it
}

// Error returns the message of the wrapped error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError whose message is formatted as fmt.Errorf
// does (%w included).
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// FlagSet is a flag.FlagSet that never prints or exits by itself and knows
// its usage: a synopsis written by the program followed by the flags.
type FlagSet struct {
	*flag.FlagSet
	synopsis string
}

// NewFlagSet returns an empty FlagSet. name is the program, or the program
// and the command ("envelope encrypt"); synopsis is the text printed before
// the flags, starting with the command line ("cfsign -url U ...").
func NewFlagSet(name, synopsis string) *FlagSet {
	return Wrap(flag.NewFlagSet(name, flag.ContinueOnError), name, synopsis)
}

// Wrap turns fs (flag.CommandLine, say) into a FlagSet named name: it keeps
// fs's flags, and makes it return errors instead of printing and exiting.
func Wrap(fs *flag.FlagSet, name, synopsis string) *FlagSet {
	fs.Init(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &FlagSet{FlagSet: fs, synopsis: synopsis}
}

// PrintUsage writes "usage: " and the synopsis, then each flag with its
// description and default.
func (f *FlagSet) PrintUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n", strings.TrimRight(f.synopsis, "\n"))
	var n int
	f.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// Parse parses args. -h or -help gives a *UsageError wrapping
// flag.ErrHelp; an unknown or malformed flag, or an argument left over
// after the flags, a *UsageError saying so. Use ParseArgs where positional
// arguments are allowed.
func (f *FlagSet) Parse(args []string) error {
	if err := f.ParseArgs(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return f.Usagef("unexpected argument %q", f.Arg(0))
	}
	return nil
}

// ParseArgs parses args as Parse does but leaves the arguments after the
// flags to the caller (f.Args). In a FlagSet named "prog command" the
// error names the command.
func (f *FlagSet) ParseArgs(args []string) error {
	if err := f.FlagSet.Parse(args); err != nil {
		if _, cmd, ok := strings.Cut(f.Name(), " "); ok && err != flag.ErrHelp {
			err = fmt.Errorf("%s: %w", cmd, err) // "encrypt: flag provided but not defined: -x"
		}
		return &UsageError{Err: err, usage: f.PrintUsage}
	}
	return nil
}

// Usagef returns a *UsageError, formatted as fmt.Errorf does, that prints
// f's usage.
func (f *FlagSet) Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...), usage: f.PrintUsage}
}

// WithUsage makes a *UsageError in err's chain that has no usage yet print
// f's; it returns err.
func (f *FlagSet) WithUsage(err error) error {
	var ue *UsageError
	if errors.As(err, &ue) && ue.usage == nil {
		ue.usage = f.PrintUsage
	}
	return err
}

// Exit reports err as Exit does, a *UsageError without a usage of its own
// printing f's, and returns the exit code.
func (f *FlagSet) Exit(err error, stdout, stderr io.Writer) int {
	prog, _, _ := strings.Cut(f.Name(), " ")
	return Exit(prog, f.WithUsage(err), stdout, stderr)
}

// Exit reports err for program prog and returns the exit code:
//   - nil: ExitOK, nothing printed;
//   - a request for help (flag.ErrHelp): the usage on stdout, ExitOK;
//   - a *UsageError: "prog: message" and the usage on stderr, ExitUsage;
//   - any other error: "prog: message" on one line of stderr, ExitError.
//
// The message is the error's on one line (line breaks become spaces), and
// a message that already starts with "prog: " is not prefixed again.
func Exit(prog string, err error, stdout, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	isUsage := errors.As(err, &ue)
	if isUsage && errors.Is(err, flag.ErrHelp) {
		if ue.usage != nil {
			ue.usage(stdout)
		}
		return ExitOK
	}
	fmt.Fprintln(stderr, Line(prog, err))
	if !isUsage {
		return ExitError
	}
	if ue.usage != nil {
		fmt.Fprintln(stderr)
		ue.usage(stderr)
	} else {
		fmt.Fprintf(stderr, "run %s -h for usage\n", prog)
	}
	return ExitUsage
}

// Line returns err's message as one line starting with "prog: ".
func Line(prog string, err error) string {
	msg := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error())
	if strings.HasPrefix(msg, prog+": ") {
		return msg
	}
	return prog + ": " + msg
}

// Commands lists the first line of each command's synopsis, in order, one
// indented line each: the command summary of a program's top-level usage.
func Commands(synopses map[string]string, order ...string) string {
	var b strings.Builder
	for _, name := range order {
		first, _, _ := strings.Cut(synopses[name], "\n")
		fmt.Fprintf(&b, "  %s\n", first)
	}
	return b.String()
}

// Dispatch reads the command line of a program with commands, "prog
// [-h] COMMAND [command flags]", where commands lists the command names in
// order and synopses holds each one's usage. It returns the command, an
// empty FlagSet for it named "prog COMMAND", and the arguments left for
// that FlagSet to parse. "prog help COMMAND" is "prog COMMAND -h"; "prog
// -h" and "prog help" give the top-level usage; a missing or unknown
// command is a *UsageError.
func Dispatch(prog, usage, commands string, synopses map[string]string, args []string) (cmd string, fs *FlagSet, rest []string, err error) {
	order := strings.Fields(commands)
	top := NewFlagSet(prog, usage+"\n\ncommands:\n"+Commands(synopses, order...))
	if err := top.ParseArgs(args); err != nil {
		return "", nil, nil, err
	}
	cmd = top.Arg(0)
	if top.NArg() > 0 {
		rest = top.Args()[1:]
	}
	if cmd == "help" && top.NArg() <= 2 { // prog help [COMMAND]
		if _, ok := synopses[top.Arg(1)]; !ok {
			return "", nil, nil, top.Parse([]string{"-h"})
		}
		cmd, rest = top.Arg(1), []string{"-h"}
	}
	synopsis, ok := synopses[cmd]
	switch {
	case cmd == "":
		return "", nil, nil, top.Usagef("missing command: want one of %s", commands)
	case !ok:
		return "", nil, nil, top.Usagef("unknown command %q: want one of %s", cmd, commands)
	}
	return cmd, NewFlagSet(prog+" "+cmd, synopsis), rest, nil
}
