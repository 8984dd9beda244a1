package credentials

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func FuzzFromAccessKeyJSON(f *testing.F) {
	f.Add(`{"AccessKey":{"UserName":"alice","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","Status":"Active","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","CreateDate":"2026-11-22T15:28:49+00:00"}}`)
	f.Add(`{"UserName":"bob","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","Status":"Inactive","SecretAccessKey":"x"}`)
	f.Add(`{"AccessKey":null}`)
	f.Add(`{"AccessKey":[]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := FromAccessKeyJSON(strings.NewReader(in))
		if err != nil {
			if p != (Profile{}) {
				t.Fatalf("error with a non-empty profile: %v", err)
			}
			return
		}
		if checkIAMKeyShape(p.AccessKeyID, p.SecretAccessKey) != nil || p.Name == "" {
			t.Fatalf("accepted a profile of the wrong shape: %v", p)
		}
		if strings.Contains(p.String(), p.SecretAccessKey) {
			t.Fatalf("String shows the secret")
		}
	})
}

func FuzzSharedFile(f *testing.F) {
	f.Add("[default]\nregion = us-east-1\n", "default", "output", "json", uint8(0))
	f.Add("[profile a]\ns3 =\n  x = 1\n  # c\n  y = 2\nregion=eu\n", "a", "s3", "v", uint8(0))
	f.Add("# c\r\n[profile  a ]\r\nk: v\r\n[sso-session s]\r\nk = v", "a", "k", "w;x#y", uint8(1))
	f.Add("  [profile b]\n  k = v\n\n\tz\n[", "b", "k", "", uint8(0))
	f.Add("", "new", "region", "us-west-2", uint8(2))
	f.Add("[a]\rk = old # note\r  sub = 1\r\tcont\r", "a", "k", "new", uint8(2))
	f.Add("[a] ; c\nk = 'q' ; c\nj =\n  n = 1\nk2 = x\n  p = 2\n", "a", "j", "", uint8(0))
	f.Add("[a#b]\nk = 1\n[a]\nk=2\n", "a", "k", "3", uint8(1))
	f.Fuzz(func(t *testing.T, content, name, key, value string, eol uint8) {
		// The same content with each kind of line ending.
		switch eol % 3 {
		case 1:
			content = strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\n", "\r\n")
		case 2:
			content = strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\n", "\r")
		}
		for _, kind := range []FileKind{CredentialsFile, ConfigFile} {
			sf := &SharedFile{kind: kind, doc: parseINI([]byte(content))}
			if got := sf.doc.bytes(); !bytes.Equal(got, []byte(content)) {
				t.Fatalf("round trip changed the file:\n%q\n%q", content, got)
			}
			before := sf.Profiles()
			if checkSectionName(name) != nil || checkKey(key) != nil || checkValue(key, value) != nil {
				continue
			}
			if err := sf.SetKey(name, key, value); err != nil {
				t.Fatal(err)
			}
			out := sf.doc.bytes()
			again := &SharedFile{kind: kind, doc: parseINI(out)}
			if got, ok := again.Value(name, key); !ok || got != value {
				t.Fatalf("after SetKey(%q, %q, %q) the value reads back as %q, %v:\n%q", name, key, value, got, ok, out)
			}
			if !strings.Contains(content, "\r") && strings.Contains(string(out), "\r") {
				t.Fatalf("a file without CR gained one:\n%q", out)
			}
			if strings.Contains(content, "\r") && !strings.Contains(content, "\n") && strings.Contains(string(out), "\n") {
				t.Fatalf("a CR-only file gained an LF:\n%q", out)
			}
			after := again.Profiles()
			for _, p := range before {
				if !slices.Contains(after, p) {
					t.Fatalf("SetKey lost profile %q:\n%q", p, out)
				}
			}
			if !again.Remove(name) {
				t.Fatalf("Remove(%q) found nothing", name)
			}
			third := &SharedFile{kind: kind, doc: parseINI(again.doc.bytes())}
			if slices.Contains(third.Profiles(), name) {
				t.Fatalf("Remove(%q) left it in:\n%q", name, again.doc.bytes())
			}
		}
	})
}

// FuzzExport checks every export format against a small independent reader
// of each: what it reads back is exactly what was exported.
func FuzzExport(f *testing.F) {
	f.Add("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "", int64(0))
	f.Add("ASIA", "s+/=", "tok'en", "111122223333", int64(1893553445))
	f.Add("A$(id)", `a"b\c`+"`"+`d`, `x\'y`, "", int64(-1))
	f.Add("A", "é’“", "%PATH%&", "", int64(1))
	f.Fuzz(func(t *testing.T, id, secret, token, account string, exp int64) {
		c := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, AccountID: account}
		if exp > 0 {
			c.CanExpire, c.Expires = true, time.Unix(exp%(1<<34), exp%1000*1000)
		}
		if _, err := FromAWS(c); err != nil || !utf8.ValidString(id+secret+token) {
			return
		}
		want := map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret}
		if token != "" {
			want["AWS_SESSION_TOKEN"] = token
		}
		if c.CanExpire {
			want["AWS_CREDENTIAL_EXPIRATION"] = isoformat(c.Expires)
		}
		if account != "" {
			want["AWS_ACCOUNT_ID"] = account
		}
		for _, format := range ExportFormats() {
			out, err := Export(c, format)
			if format == FormatWindowsCmd && err != nil {
				continue // refused: a value cmd.exe would interpret
			}
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			got, err := readExport(format, string(out))
			if err != nil {
				t.Fatalf("%s: %v\n%s", format, err, out)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("%s reads back as %q, want %q:\n%s", format, got, want, out)
			}
		}
	})
}

// readExport is an independent reader of the export formats: the quoting
// rules of each shell, written from their manuals, not from kumo's writer.
func readExport(format ExportFormat, out string) (map[string]string, error) {
	got := map[string]string{}
	if format == FormatProcess {
		var v struct {
			Version                                                           int
			AccessKeyId, SecretAccessKey, SessionToken, Expiration, AccountId string
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version != 1 {
			return nil, fmt.Errorf("bad JSON: %v", err)
		}
		for k, s := range map[string]string{"AWS_ACCESS_KEY_ID": v.AccessKeyId, "AWS_SECRET_ACCESS_KEY": v.SecretAccessKey,
			"AWS_SESSION_TOKEN": v.SessionToken, "AWS_CREDENTIAL_EXPIRATION": v.Expiration, "AWS_ACCOUNT_ID": v.AccountId} {
			if s != "" {
				got[k] = s
			}
		}
		if strings.ContainsFunc(out, func(r rune) bool { return r > 0x7e }) {
			return nil, fmt.Errorf("non-ASCII in JSON, which the CLI escapes")
		}
		return got, nil
	}
	if !strings.HasSuffix(out, "\n") {
		return nil, fmt.Errorf("no final newline")
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var name, word string
		var ok bool
		switch format {
		case FormatEnv, FormatEnvNoExport:
			if format == FormatEnv {
				if line, ok = strings.CutPrefix(line, "export "); !ok {
					return nil, fmt.Errorf("no export: %q", line)
				}
			}
			name, word, _ = strings.Cut(line, "=")
		case FormatPowerShell:
			line, _ = strings.CutPrefix(line, "$Env:")
			name, word, _ = strings.Cut(line, "=")
		case FormatWindowsCmd:
			line, _ = strings.CutPrefix(line, "set ")
			name, word, _ = strings.Cut(line, "=")
		case FormatFish:
			line, _ = strings.CutPrefix(line, "set -gx ")
			name, word, _ = strings.Cut(line, " ")
		}
		v, err := unquoteShell(format, word)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		got[name] = v
	}
	return got, nil
}

func unquoteShell(format ExportFormat, w string) (string, error) {
	switch format {
	case FormatEnv, FormatEnvNoExport:
		// POSIX: unquoted words of safe characters, or runs of '...' and \'.
		var b strings.Builder
		for len(w) > 0 {
			switch {
			case w[0] == '\'':
				end := strings.IndexByte(w[1:], '\'')
				if end < 0 {
					return "", fmt.Errorf("unterminated quote")
				}
				b.WriteString(w[1 : 1+end])
				w = w[2+end:]
			case w[0] == '\\' && len(w) > 1:
				b.WriteByte(w[1])
				w = w[2:]
			case strings.ContainsRune("$`\"\\|&;<>()*?[#~ \t{}!", rune(w[0])):
				return "", fmt.Errorf("unquoted %q", w[0])
			default:
				b.WriteByte(w[0])
				w = w[1:]
			}
		}
		return b.String(), nil
	case FormatPowerShell:
		if len(w) >= 2 && w[0] == '"' && w[len(w)-1] == '"' {
			in := w[1 : len(w)-1]
			if strings.ContainsAny(in, "$`\"\u201c\u201d\u201e") {
				return "", fmt.Errorf("special character inside double quotes")
			}
			return in, nil
		}
		if strings.HasPrefix(w, "'") && strings.HasSuffix(w, "'") && len(w) >= 2 {
			in := w[1 : len(w)-1]
			var b strings.Builder
			rs := []rune(in)
			for i := 0; i < len(rs); i++ {
				if strings.ContainsRune("'\u2018\u2019\u201a\u201b", rs[i]) {
					if i+1 >= len(rs) || !strings.ContainsRune("'\u2018\u2019\u201a\u201b", rs[i+1]) {
						return "", fmt.Errorf("lone quote inside single quotes")
					}
					i++
				}
				b.WriteRune(rs[i])
			}
			return b.String(), nil
		}
		return "", fmt.Errorf("not quoted")
	case FormatWindowsCmd:
		if strings.ContainsAny(w, "%!^&|<>\"() ") {
			return "", fmt.Errorf("cmd.exe would interpret %q", w)
		}
		return w, nil
	case FormatFish:
		if len(w) >= 2 && w[0] == '"' && w[len(w)-1] == '"' {
			in := w[1 : len(w)-1]
			if strings.ContainsAny(in, "$\\\"") {
				return "", fmt.Errorf("special character inside double quotes")
			}
			return in, nil
		}
		if len(w) >= 2 && w[0] == '\'' && w[len(w)-1] == '\'' {
			in := w[1 : len(w)-1]
			var b strings.Builder
			for i := 0; i < len(in); i++ {
				if in[i] == '\\' && i+1 < len(in) && (in[i+1] == '\\' || in[i+1] == '\'') {
					i++
				} else if in[i] == '\'' {
					return "", fmt.Errorf("lone quote inside single quotes")
				}
				b.WriteByte(in[i])
			}
			return b.String(), nil
		}
		return "", fmt.Errorf("not quoted")
	}
	return "", fmt.Errorf("unknown format")
}

func FuzzParseProcessOutput(f *testing.F) {
	f.Add(`{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s","SessionToken":"t","Expiration":"2026-01-02T03:04:05Z"}`)
	f.Add(`{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2026-01-02T03:04:05+01:00"}`)
	f.Add(`{"Version":2}`)
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseProcessOutput([]byte(in))
		if err != nil {
			return
		}
		out, err := ProcessOutput(c)
		if err != nil {
			t.Fatalf("cannot render what was parsed: %v", err)
		}
		back, err := ParseProcessOutput(out)
		if err != nil || back.AccessKeyID != c.AccessKeyID || back.SecretAccessKey != c.SecretAccessKey ||
			back.SessionToken != c.SessionToken || !back.Expires.Equal(c.Expires) {
			t.Fatalf("round trip differs: %v", err)
		}
	})
}
