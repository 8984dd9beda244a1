// Package pyjson writes JSON strings byte for byte as Python's json.dumps
// does with its default ensure_ascii=True, the form the AWS CLI (a Python
// program) prints. cfsign's policies and credentials' process output both
// have to match the CLI exactly.
package pyjson

// Append appends s to b as a quoted JSON string: '"' and '\' escaped with a
// backslash, \n \r \t \b \f as such, every other rune outside the printable
// ASCII range ' '..'~' (DEL included) as \uXXXX, and runes past the Basic
// Multilingual Plane as a UTF-16 surrogate pair. Invalid UTF-8 is written
// as U+FFFD, which Go's range loop yields for it.
func Append(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	unit := func(b []byte, u rune) []byte {
		return append(b, '\\', 'u', hex[u>>12&0xf], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r >= ' ' && r <= '~':
			b = append(b, byte(r))
		case r > 0xffff:
			r -= 0x10000
			b = unit(unit(b, 0xd800+r>>10), 0xdc00+r&0x3ff)
		default:
			b = unit(b, r)
		}
	}
	return append(b, '"')
}

// Quote returns s as a quoted JSON string, as Append writes it.
func Quote(s string) string { return string(Append(nil, s)) }
