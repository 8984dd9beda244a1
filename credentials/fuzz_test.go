package credentials

import (
	"bytes"
	"slices"
	"strings"
	"testing"
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
	f.Add("[default]\nregion = us-east-1\n", "default", "output", "json")
	f.Add("[profile a]\ns3 =\n  x = 1\n  # c\n  y = 2\nregion=eu\n", "a", "s3", "v")
	f.Add("# c\r\n[profile  a ]\r\nk: v\r\n[sso-session s]\r\nk = v", "a", "k", "w;x#y")
	f.Add("  [profile b]\n  k = v\n\n\tz\n[", "b", "k", "")
	f.Add("", "new", "region", "us-west-2")
	f.Fuzz(func(t *testing.T, content, name, key, value string) {
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
			again := &SharedFile{kind: kind, doc: parseINI(sf.doc.bytes())}
			if got, ok := again.Value(name, key); !ok || got != value {
				t.Fatalf("after SetKey(%q, %q, %q) the value reads back as %q, %v:\n%s", name, key, value, got, ok, sf.doc.bytes())
			}
			after := again.Profiles()
			for _, p := range before {
				if !slices.Contains(after, p) {
					t.Fatalf("SetKey lost profile %q:\n%s", p, sf.doc.bytes())
				}
			}
			if !again.Remove(name) {
				t.Fatalf("Remove(%q) found nothing", name)
			}
			third := &SharedFile{kind: kind, doc: parseINI(again.doc.bytes())}
			if slices.Contains(third.Profiles(), name) {
				t.Fatalf("Remove(%q) left it in:\n%s", name, again.doc.bytes())
			}
		}
	})
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
