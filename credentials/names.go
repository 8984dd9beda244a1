package credentials

import (
	"fmt"
	"strings"
)

// checkDirName checks a profile name used as a file name in a [Dir]: the IAM
// user-name alphabet, 1 to 64 characters, and no leading dot, so a name can
// never point outside the folder or at a hidden file.
func checkDirName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: %q must be 1 to 64 characters (got %d)", ErrInvalidProfileName, name, len(name))
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !isNameChar(r) }); i >= 0 {
		return fmt.Errorf("%w: %q has %q at byte %d; allowed are letters, digits and +=,.@_-", ErrInvalidProfileName, name, name[i:i+1], i)
	}
	if name[0] == '.' {
		return fmt.Errorf("%w: %q starts with a dot; names must not start with one", ErrInvalidProfileName, name)
	}
	return nil
}

func isNameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+=,.@_-", r)
}

// checkSectionName checks a profile name used as a section of a shared file,
// where the AWS tools allow more than IAM does: anything printable without
// brackets, and no space at either end.
func checkSectionName(name string) error {
	if name == "" || len(name) > 256 {
		return fmt.Errorf("%w: %q must be 1 to 256 characters", ErrInvalidProfileName, name)
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("%w: %q starts or ends with white space", ErrInvalidProfileName, name)
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f || r == '[' || r == ']' }); i >= 0 {
		return fmt.Errorf("%w: %q has a bracket or control character at byte %d", ErrInvalidProfileName, name, i)
	}
	// The SDK cuts a header at # or ; and joins the words of a header with
	// one space: such names could never be read back.
	if i := strings.IndexAny(name, "#;"); i >= 0 {
		return fmt.Errorf("%w: %q has %q at byte %d, which starts a comment in a section header", ErrInvalidProfileName, name, name[i:i+1], i)
	}
	if strings.Contains(name, "  ") {
		return fmt.Errorf("%w: %q has two spaces in a row, which the AWS tools read as one", ErrInvalidProfileName, name)
	}
	return nil
}

// checkKey checks a setting name: letters, digits, '_', '-' and '.'.
func checkKey(key string) error {
	if key == "" || len(key) > 128 || strings.IndexFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}) >= 0 {
		return fmt.Errorf("credentials: invalid setting name %q: allowed are 1 to 128 letters, digits, '_', '-' and '.'", key)
	}
	return nil
}

// checkValue checks a setting's value: one line, no control characters, no
// white space at either end (the AWS tools would trim it).
func checkValue(key, value string) error {
	if i := strings.IndexFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }); i >= 0 {
		return fmt.Errorf("credentials: value of %s has a control character at byte %d; values are one line of printable text", key, i)
	}
	if strings.TrimSpace(value) != value {
		return fmt.Errorf("credentials: value of %s starts or ends with white space, which the AWS tools would drop", key)
	}
	if msg := sdkReadsDifferently(value); msg != "" {
		return fmt.Errorf("credentials: value of %s %s", key, msg)
	}
	return nil
}

// sdkReadsDifferently says why the SDK would not read value back as it
// is, or returns "". The message never quotes the value, which may be a
// secret.
func sdkReadsDifferently(value string) string {
	if value == "" {
		return ""
	}
	if value[0] == '#' || value[0] == ';' {
		return "starts with # or ;, which the AWS SDKs read as a comment"
	}
	if i := commentStart(value); i < len(value) {
		return fmt.Sprintf("has a blank and %q at byte %d, which the AWS SDKs read as the start of a comment", value[i+1:i+2], i)
	}
	if (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		return "is wrapped in quotes, which the AWS SDKs remove"
	}
	return ""
}
