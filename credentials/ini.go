package credentials

import (
	"bytes"
	"strings"
)

// The shared files are edited as lines, never re-rendered: every line a call
// does not change is written back exactly as it was read, which is what keeps
// comments, unknown settings and nested blocks intact.
//
// Lines are read as aws-sdk-go-v2's own loader (config/internal/ini) reads
// them, so that kumo and the SDK never disagree about which section a
// setting belongs to or what its value is:
//   - blank lines and lines whose first non-blank character is # or ; are
//     comments; so is anything from a # or ; that follows a space or tab in
//     a setting (`key = value # note` has the value "value"), and anything
//     from the first # or ; in a section header;
//   - a value wrapped in matching quotes loses them;
//   - a line at column 0 that is neither a header nor a setting is ignored;
//   - an indented `key = value` belongs to a nested block (s3 = ...) when the
//     setting above it has an empty value, and is a setting of its own
//     otherwise; an indented line without = continues the value above it.
//
// Every operation is one or a few passes over the lines, so reading and
// editing are linear in the size of the file.

// syntax is what a line is on its own, before its neighbours are considered.
type syntax uint8

const (
	synTrivia  syntax = iota // blank, comment, or ignored column-0 text
	synSection               // [name]
	synProp                  // key = value at column 0
	synSub                   // indented key = value
	synCont                  // indented text without a separator
)

// lineKind is what a line means in its place in the file.
type lineKind uint8

const (
	lineTrivia  lineKind = iota // ignored by the AWS tools
	lineSection                 // a section header
	lineKey                     // a setting of the section
	lineSub                     // part of the block under the setting above
)

// iniLine is one line, or a run of trivia lines, terminators included.
// It is kept small: a 16 MiB file of short lines makes millions of them.
type iniLine struct {
	raw   string
	syn   syntax
	kind  lineKind
	empty bool // a setting line whose own value is empty, or a header with an empty name
}

// newLine classifies one line on its own.
func (d *iniDoc) newLine(raw string) iniLine {
	l := iniLine{raw: raw, syn: d.syntaxOf(raw)}
	switch l.syn {
	case synProp, synSub:
		l.empty = d.ownValue(l) == ""
	case synSection:
		l.empty = d.section(l) == ""
	}
	return l
}

type iniDoc struct {
	lines []iniLine
	sep   byte   // the byte lines are split at: '\n', or '\r' in a CR-only file
	seps  string // sep as a string
	eol   string // the terminator new lines get: the file's own
}

// parseINI splits data into lines. A file with any LF is split at LFs (a CR
// before one is part of the terminator, a lone CR part of the line), as the
// SDK does; a file with CRs and no LF at all is split at CRs, as Python's
// universal newlines (and so botocore and the AWS CLI) read it.
func parseINI(data []byte) *iniDoc {
	d := &iniDoc{sep: '\n', seps: "\n", eol: "\n"}
	if bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') >= 0 {
		d.sep, d.seps, d.eol = '\r', "\r", "\r"
	} else if i := bytes.IndexByte(data, '\n'); i > 0 && data[i-1] == '\r' {
		d.eol = "\r\n"
	}
	// One entry per line at most, and room for a few added ones: growing
	// the slice by appending would allocate several times its final size.
	d.lines = make([]iniLine, 0, bytes.Count(data, []byte{d.sep})+16)
	s := string(data)
	for pos := 0; pos < len(s); {
		n := strings.IndexByte(s[pos:], d.sep) + 1
		if n == 0 {
			n = len(s) - pos
		}
		l := d.newLine(s[pos : pos+n])
		if k := len(d.lines) - 1; l.syn == synTrivia && k >= 0 && d.lines[k].syn == synTrivia {
			// Runs of trivia share one entry, a slice of the same string:
			// they are never edited one by one, and this bounds memory for
			// files of blank lines.
			d.lines[k].raw = s[pos-len(d.lines[k].raw) : pos+n]
		} else {
			d.lines = append(d.lines, l)
		}
		pos += n
	}
	d.resolve()
	return d
}

// line is what the SDK sees of raw: raw without its split terminator (a CR
// before an LF stays, as in the SDK, whose trimming removes it).
func (d *iniDoc) line(raw string) string {
	return strings.TrimSuffix(raw, d.seps)
}

func (d *iniDoc) syntaxOf(raw string) syntax {
	c := d.line(raw)
	switch {
	case strings.TrimSpace(c) == "" || isLineComment(c):
		return synTrivia
	case isSection(c):
		return synSection
	case !isLineSpace(c[0]):
		if separator(trimPropertyComment(c)) >= 0 {
			return synProp
		}
		return synTrivia
	}
	if separator(c) >= 0 {
		return synSub
	}
	return synCont
}

func indexBlank(s string) int {
	for i := 0; i < len(s); i++ {
		if isLineSpace(s[i]) {
			return i
		}
	}
	return -1
}

func isSection(c string) bool { _, ok := sectionName(c); return ok }

func isLineSpace(b byte) bool { return b == ' ' || b == '\t' }

// trimLeftBlank and trimRightBlank trim spaces and tabs; they are
// strings.TrimLeft(s, " \t") without building a cutset per call, which
// dominated reading files of millions of short lines.
func trimLeftBlank(s string) string {
	i := 0
	for i < len(s) && isLineSpace(s[i]) {
		i++
	}
	return s[i:]
}

func trimRightBlank(s string) string {
	i := len(s)
	for i > 0 && isLineSpace(s[i-1]) {
		i--
	}
	return s[:i]
}

func isLineComment(c string) bool {
	t := trimLeftBlank(c)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";")
}

// sectionName returns the name a header line gives its section, and false
// when the line is not a header. A header's comment starts at its first # or
// ;. The first run of blanks inside the brackets becomes one space, as the
// SDK joins the "type" and "name" of a header.
func sectionName(c string) (string, bool) {
	t := c
	for i := 0; i < len(t); i++ {
		if t[i] == '#' || t[i] == ';' {
			t = t[:i]
			break
		}
	}
	t = strings.TrimSpace(t)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return "", false
	}
	t = strings.TrimSpace(t[1 : len(t)-1])
	if i := indexBlank(t); i >= 0 {
		j := i
		for j < len(t) && isLineSpace(t[j]) {
			j++
		}
		if j != i+1 || t[i] != ' ' {
			t = t[:i] + " " + t[j:]
		}
	}
	return t, true
}

// trimPropertyComment cuts a setting line at the first space or tab followed
// by # or ;.
func trimPropertyComment(s string) string {
	return s[:commentStart(s)]
}

func commentStart(s string) int {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && isLineSpace(s[i-1]) {
			return i - 1
		}
	}
	return len(s)
}

// splitProperty splits at the first '=', or at the first ':' when that comes
// earlier or there is no '='.
func splitProperty(s string) (key, value string, ok bool) {
	i := separator(s)
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

func separator(s string) int {
	// The SDK takes the first '=' unless a ':' comes earlier: the first of
	// either.
	for i := 0; i < len(s); i++ {
		if s[i] == '=' || s[i] == ':' {
			return i
		}
	}
	return -1
}

// unquote removes one pair of matching quotes around a value.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// key returns the lower-cased name a setting line sets. Any comment on the
// line starts after the separator (or the line would not be a setting), so
// the name is what comes before the first separator.
func (d *iniDoc) key(l iniLine) string {
	c := d.line(l.raw)
	if l.syn == synSub {
		c = trimLeftBlank(c)
	}
	return strings.ToLower(strings.TrimSpace(c[:separator(c)]))
}

// keyIs reports whether setting line l sets key (lower case), rejecting
// most lines without computing their key.
func (d *iniDoc) keyIs(l iniLine, key string) bool {
	c := l.raw
	if l.syn == synSub {
		c = trimLeftBlank(c)
	}
	if len(c) < len(key) || !strings.EqualFold(c[:len(key)], key) {
		return false
	}
	return d.key(l) == key
}

// ownValue returns the value a setting line gives, without continuations.
func (d *iniDoc) ownValue(l iniLine) string {
	c := d.line(l.raw)
	if l.syn == synProp {
		_, v, _ := splitProperty(trimRightBlank(trimPropertyComment(c)))
		return unquote(v)
	}
	// An indented setting that is not part of a nested block: the SDK
	// unquotes it first and then cuts its comment.
	_, v, _ := splitProperty(trimLeftBlank(c))
	return strings.TrimSpace(trimPropertyComment(unquote(v)))
}

// resolve gives every line its meaning in context; it runs after parsing and
// after every edit.
func (d *iniDoc) resolve() {
	inSection, haveKey, keyEmpty := false, false, true
	for i := range d.lines {
		l := &d.lines[i]
		switch l.syn {
		case synTrivia:
			l.kind = lineTrivia
		case synSection:
			l.kind = lineSection
			inSection = !l.empty
			haveKey = false
		case synProp, synSub:
			switch {
			case !inSection:
				l.kind = lineTrivia
			case l.syn == synSub && haveKey && keyEmpty:
				l.kind = lineSub // a nested block under an empty setting
			default:
				l.kind = lineKey
				haveKey, keyEmpty = true, l.empty
			}
		case synCont:
			if haveKey {
				l.kind = lineSub
			} else {
				l.kind = lineTrivia
			}
		}
	}
}

func (d *iniDoc) bytes() []byte {
	n := 0
	for _, l := range d.lines {
		n += len(l.raw)
	}
	b := make([]byte, 0, n)
	for _, l := range d.lines {
		b = append(b, l.raw...)
	}
	return b
}

// section returns the name of a header line.
func (d *iniDoc) section(l iniLine) string {
	name, _ := sectionName(d.line(l.raw))
	return name
}

// lastSection returns the last header line whose name matches, or -1.
func (d *iniDoc) lastSection(match func(string) bool) int {
	for i := len(d.lines) - 1; i >= 0; i-- {
		if l := d.lines[i]; l.kind == lineSection && match(d.section(l)) {
			return i
		}
	}
	return -1
}

// body returns the index just past a section's last line that is not
// trivia: the place a new key goes. Comments and blank lines after it
// belong to whatever follows.
func (d *iniDoc) body(header int) (end int) {
	end = header + 1
	for i := header + 1; i < len(d.lines) && d.lines[i].kind != lineSection; i++ {
		if d.lines[i].syn != synTrivia {
			end = i + 1
		}
	}
	return end
}

// find returns the last line in any matching section that sets key, or -1.
func (d *iniDoc) find(match func(string) bool, key string) int {
	found, in := -1, false
	for i, l := range d.lines {
		switch l.kind {
		case lineSection:
			in = match(d.section(l))
		case lineKey:
			if in && d.keyIs(l, key) {
				found = i
			}
		}
	}
	return found
}

// value returns a setting of the matching sections; later ones win, as in
// the AWS tools. Continuation lines join the value with newlines.
func (d *iniDoc) value(match func(string) bool, key string) (string, bool) {
	return d.valueAt(d.find(match, key))
}

func (d *iniDoc) valueAt(i int) (string, bool) {
	if i < 0 {
		return "", false
	}
	v := d.ownValue(d.lines[i])
	if v == "" {
		return "", true
	}
	end := d.subEnd(i)
	if end == i+1 {
		return v, true
	}
	// One builder, not v += ...: a value with n continuation lines must cost
	// O(n), not O(n²) (an outside attack made a 256 KiB file take 2 s).
	var b strings.Builder
	b.WriteString(v)
	for j := i + 1; j < end; j++ {
		if d.lines[j].kind == lineSub && d.lines[j].syn == synCont {
			b.WriteByte('\n')
			b.WriteString(trimLeftBlank(d.line(d.lines[j].raw)))
		}
	}
	return b.String(), true
}

// values reads several settings of the matching sections in one pass.
func (d *iniDoc) values(match func(string) bool, keys ...string) map[string]string {
	last := make(map[string]int, len(keys))
	for _, k := range keys {
		last[k] = -1
	}
	in := false
	for i, l := range d.lines {
		switch l.kind {
		case lineSection:
			in = match(d.section(l))
		case lineKey:
			if in {
				if _, ok := last[d.key(l)]; ok {
					last[d.key(l)] = i
				}
			}
		}
	}
	out := make(map[string]string, len(keys))
	for k, i := range last {
		if v, ok := d.valueAt(i); ok {
			out[k] = v
		}
	}
	return out
}

// subEnd returns the index past the block under setting i: its nested or
// continuation lines, with the comments between them.
func (d *iniDoc) subEnd(i int) int {
	end := i + 1
	for j := i + 1; j < len(d.lines); j++ {
		switch d.lines[j].kind {
		case lineSub:
			end = j + 1
		case lineTrivia:
		default:
			return end
		}
	}
	return end
}

// nextMeaningful returns the first line at or after i that is not trivia,
// or -1.
func (d *iniDoc) nextMeaningful(i int) int {
	for ; i < len(d.lines); i++ {
		if d.lines[i].kind != lineTrivia {
			return i
		}
	}
	return -1
}

// set changes or adds key = value in the matching sections, adding a
// section named header at the end of the file when none matches. A changed
// line keeps its own spacing, comment and terminator.
func (d *iniDoc) set(match func(string) bool, header, key, value string) {
	defer d.resolve()
	if i := d.find(match, key); i >= 0 {
		end := d.subEnd(i)
		// An empty value would pull the indented settings that follow it
		// into a nested block: such a line moves to the end of the section.
		if n := d.nextMeaningful(end); value != "" || n < 0 || !isLineSpace(d.line(d.lines[n].raw)[0]) {
			d.lines[i] = d.newLine(d.replaceValue(d.lines[i], value))
			d.cut(i+1, end) // a nested block under the old value goes with it
			return
		}
		d.cut(i, end)
		d.resolve()
	}
	line := d.newLine(key + " = " + value + d.eol)
	if value == "" {
		line = d.newLine(key + " =" + d.eol)
	}
	last := d.lastSection(match)
	if last < 0 {
		d.appendSection(header)
		d.lines = append(d.lines, line)
		return
	}
	at := d.body(last)
	if at == len(d.lines) {
		d.terminateLast()
	}
	d.lines = append(d.lines, iniLine{})
	copy(d.lines[at+1:], d.lines[at:])
	d.lines[at] = line
}

// replaceValue returns line l with its value replaced. The line keeps its
// indentation, key, separator and spacing and its terminator; an inline
// comment on it goes, since botocore and the AWS CLI (which know no inline
// comments) would read it as part of the new value.
func (d *iniDoc) replaceValue(l iniLine, value string) string {
	c := d.line(l.raw)
	term := l.raw[len(c):]
	if d.sep == '\n' && strings.HasSuffix(c, "\r") {
		c, term = c[:len(c)-1], "\r"+term
	}
	vstart := separator(c) + 1
	for vstart < len(c) && isLineSpace(c[vstart]) {
		vstart++
	}
	prefix := c[:vstart]
	if value == "" {
		prefix = trimRightBlank(prefix)
	} else if !strings.HasSuffix(prefix, " ") && !strings.HasSuffix(prefix, "\t") && vstart == len(c) {
		prefix += " "
	}
	return prefix + value + term
}

// ensure adds an empty section named header when none matches.
func (d *iniDoc) ensure(match func(string) bool, header string) {
	if d.lastSection(match) >= 0 {
		return
	}
	d.appendSection(header)
	d.resolve()
}

func (d *iniDoc) appendSection(header string) {
	d.terminateLast()
	if n := len(d.lines); n > 0 && !d.endsBlank(d.lines[n-1]) {
		d.lines = append(d.lines, d.newLine(d.eol))
	}
	d.lines = append(d.lines, d.newLine("["+header+"]"+d.eol))
}

// endsBlank and startsBlank say whether a trivia entry's last or first
// physical line is blank.
func (d *iniDoc) endsBlank(l iniLine) bool {
	if l.syn != synTrivia {
		return false
	}
	c := d.line(l.raw)
	if i := strings.LastIndexByte(c, d.sep); i >= 0 {
		c = c[i+1:]
	}
	return strings.TrimSpace(c) == ""
}

func (d *iniDoc) startsBlank(l iniLine) bool {
	if l.syn != synTrivia {
		return false
	}
	c, _, _ := strings.Cut(l.raw, d.seps)
	return strings.TrimSpace(c) == ""
}

func (d *iniDoc) terminateLast() {
	if n := len(d.lines); n > 0 && !strings.HasSuffix(d.lines[n-1].raw, d.seps) {
		d.lines[n-1].raw += d.eol
	}
}

func (d *iniDoc) cut(from, to int) {
	d.lines = append(d.lines[:from], d.lines[to:]...)
}

// unset removes key, and any nested block under it, from the matching
// sections, in one pass.
func (d *iniDoc) unset(match func(string) bool, key string) bool {
	out := d.lines[:0]
	removed, in := false, false
	for i := 0; i < len(d.lines); {
		l := d.lines[i]
		if l.kind == lineSection {
			in = match(d.section(l))
		}
		if l.kind == lineKey && in && d.keyIs(l, key) {
			removed = true
			i = d.subEnd(i)
			continue
		}
		out = append(out, l)
		i++
	}
	d.lines = out
	d.resolve()
	return removed
}

// remove deletes the matching sections: each header and its lines up to the
// last setting. Comments and blank lines after that stay, since they usually
// introduce what follows.
func (d *iniDoc) remove(match func(string) bool) bool {
	out := d.lines[:0]
	found := false
	for i := 0; i < len(d.lines); {
		l := d.lines[i]
		if l.kind != lineSection || !match(d.section(l)) {
			out = append(out, l)
			i++
			continue
		}
		found = true
		i = d.body(i)
		n := len(out)
		switch {
		case n > 0 && i < len(d.lines) && d.endsBlank(out[n-1]) && d.startsBlank(d.lines[i]):
			// Do not leave two blank lines where a section stood between them.
			_, rest, _ := strings.Cut(d.lines[i].raw, d.seps)
			if rest == "" {
				i++
			} else {
				d.lines[i].raw = rest
			}
		case n > 0 && i == len(d.lines) && d.endsBlank(out[n-1]):
			// Nor a blank line at the end after a removed last section.
			c := d.line(out[n-1].raw)
			if j := strings.LastIndexByte(c, d.sep); j >= 0 {
				out[n-1].raw = c[:j+1]
			} else {
				out = out[:n-1]
			}
		}
	}
	d.lines = out
	d.resolve()
	return found
}

// sdkCrashLine returns the 1-based number of the first line whose value is
// a lone quote, which makes aws-sdk-go-v2's loader (config v1.33) panic
// while it tokenizes, whatever section the line is in; 0 when there is none.
func sdkCrashLine(d *iniDoc) int {
	n := 1
	for _, l := range d.lines {
		if l.syn == synProp || l.syn == synSub {
			c := d.line(l.raw)
			if l.syn == synProp {
				c = trimRightBlank(trimPropertyComment(c))
			} else {
				c = trimLeftBlank(c)
			}
			if v := strings.TrimSpace(c[separator(c)+1:]); v == `"` || v == "'" {
				return n
			}
		}
		n += strings.Count(l.raw, d.seps)
	}
	return 0
}
