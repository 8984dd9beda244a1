package credentials

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kumo-go/kumo/internal/pyjson"
)

// ExportFormat is one of the forms `aws configure export-credentials
// --format` prints credentials in.
type ExportFormat string

const (
	// FormatProcess is the JSON a credential_process command prints, laid
	// out as the AWS CLI lays it out (two-space indent, non-ASCII escaped).
	FormatProcess ExportFormat = "process"
	// FormatEnv is POSIX shell: export AWS_ACCESS_KEY_ID=...
	FormatEnv ExportFormat = "env"
	// FormatEnvNoExport is POSIX shell without export: AWS_ACCESS_KEY_ID=...
	FormatEnvNoExport ExportFormat = "env-no-export"
	// FormatPowerShell is PowerShell: $Env:AWS_ACCESS_KEY_ID="..."
	FormatPowerShell ExportFormat = "powershell"
	// FormatWindowsCmd is cmd.exe: set AWS_ACCESS_KEY_ID=...
	FormatWindowsCmd ExportFormat = "windows-cmd"
	// FormatFish is the fish shell: set -gx AWS_ACCESS_KEY_ID "..."
	FormatFish ExportFormat = "fish"
)

// ExportFormats lists every format, in the AWS CLI's order.
func ExportFormats() []ExportFormat {
	return []ExportFormat{FormatProcess, FormatEnv, FormatEnvNoExport, FormatPowerShell, FormatWindowsCmd, FormatFish}
}

// Export renders c as `aws configure export-credentials --format f` prints
// it: the access key ID, the secret, then the session token, the expiry
// (AWS_CREDENTIAL_EXPIRATION, ISO 8601 in UTC as Python writes it) and the
// account ID (AWS_ACCOUNT_ID / AccountId) when c has them. For the
// credentials AWS issues (letters, digits, + / =) the output is byte for
// byte what awscli 2.9.19 prints, in every format and field it has (it has
// no fish format, which follows the CLI's later source, and prints no
// account ID, which comes last here). Unlike the CLI, a value a shell would interpret is
// quoted for that shell (single quotes in sh and fish, literal quotes in
// PowerShell), and one cmd.exe cannot hold literally is refused, so
// evaluating the output can never run a command. The output holds the
// secret: write it only where the secret may go.
func Export(c aws.Credentials, f ExportFormat) ([]byte, error) {
	p, err := FromAWS(c)
	if err != nil {
		return nil, err
	}
	var exp string
	if !p.Expires.IsZero() {
		exp = isoformat(p.Expires)
	}
	vars := []struct{ name, value string }{
		{"AWS_ACCESS_KEY_ID", p.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", p.SecretAccessKey},
		{"AWS_SESSION_TOKEN", p.SessionToken},
		{"AWS_CREDENTIAL_EXPIRATION", exp},
		{"AWS_ACCOUNT_ID", p.AccountID},
	}
	if f == FormatProcess {
		return processJSON(p, exp), nil
	}
	var b strings.Builder
	for _, v := range vars {
		if v.value == "" {
			continue
		}
		switch f {
		case FormatEnv:
			b.WriteString("export " + v.name + "=" + shellQuote(v.value))
		case FormatEnvNoExport:
			b.WriteString(v.name + "=" + shellQuote(v.value))
		case FormatPowerShell:
			b.WriteString("$Env:" + v.name + "=" + powershellQuote(v.value))
		case FormatWindowsCmd:
			if i := strings.IndexFunc(v.value, func(r rune) bool { return !cmdSafe(r) }); i >= 0 {
				return nil, fmt.Errorf("%w: %s has a character at byte %d that cmd.exe would interpret; use another format", ErrInvalidCredentials, exportWhat(v.name), i)
			}
			b.WriteString("set " + v.name + "=" + v.value)
		case FormatFish:
			b.WriteString("set -gx " + v.name + " " + fishQuote(v.value))
		default:
			return nil, fmt.Errorf("credentials: unknown export format %q; want one of process, env, env-no-export, powershell, windows-cmd, fish", string(f))
		}
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

func exportWhat(name string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, "AWS_"), "_", " "))
}

// isoformat writes t in UTC as Python's datetime.isoformat does: seconds,
// microseconds only when there are any, and +00:00.
func isoformat(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

// processJSON writes the process format as Python's json.dumps(indent=2)
// does, so the bytes match the AWS CLI's.
func processJSON(p Profile, exp string) []byte {
	var b strings.Builder
	b.WriteString("{\n  \"Version\": 1,\n  \"AccessKeyId\": " + pyjson.Quote(p.AccessKeyID) + ",\n  \"SecretAccessKey\": " + pyjson.Quote(p.SecretAccessKey))
	for _, f := range []struct{ name, value string }{{"SessionToken", p.SessionToken}, {"Expiration", exp}, {"AccountId", p.AccountID}} {
		if f.value != "" {
			b.WriteString(",\n  \"" + f.name + "\": " + pyjson.Quote(f.value))
		}
	}
	b.WriteString("\n}\n")
	return []byte(b.String())
}

// powershellQuote writes the CLI's double quotes when nothing in s is
// special inside them, and a literal single-quoted string otherwise.
// PowerShell also takes the typographic quotes as quotes, so those are
// doubled like the ASCII one.
func powershellQuote(s string) string {
	if !strings.ContainsAny(s, "$`\"\u201c\u201d\u201e'\u2018\u2019\u201a\u201b") {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune("'\u2018\u2019\u201a\u201b", r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// fishQuote writes the CLI's double quotes when nothing in s is special
// inside them, and a single-quoted string otherwise.
func fishQuote(s string) string {
	if !strings.ContainsAny(s, "$\\\"") {
		return `"` + s + `"`
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// cmdSafe is what cmd.exe's set command holds literally, unquoted.
func cmdSafe(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+/=._:-@#$*~[]{}',;`?", r))
}
