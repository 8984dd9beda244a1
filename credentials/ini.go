package credentials

import (
	"bytes"
	"strings"
)

// The shared files are edited as lines, never re-rendered: every line a call
// does not change is written back exactly as it was read, which is what keeps
// comments, unknown settings and nested blocks intact.

type lineKind uint8

const (
	lineBlank   lineKind = iota
	lineComment          // starts with # or ;
	lineSection          // [name]
	lineKey              // key = value
	lineSub              // indented line under a key: a nested block or continuation
	lineOther            // anything else, kept as it is
)

type iniLine struct {
	raw     string // the whole line, terminator included
	kind    lineKind
	section string // lineSection: the text between the brackets, trimmed
	key     string // lineKey: the name, lower case
	value   string // lineKey: the value, trimmed
	vstart  int    // lineKey: where the value starts in raw
}

// content is the line without its terminator.
func (l iniLine) content() string {
	return strings.TrimRight(l.raw, "\r\n")
}

func (l iniLine) eol() string {
	return l.raw[len(l.content()):]
}

type iniDoc struct {
	lines []iniLine
	eol   string // the terminator new lines get: the file's own
}

func parseINI(data []byte) *iniDoc {
	d := &iniDoc{eol: "\n"}
	if bytes.Contains(data, []byte("\r\n")) {
		d.eol = "\r\n"
	}
	s := string(data)
	for len(s) > 0 {
		n := strings.IndexByte(s, '\n') + 1
		if n == 0 {
			n = len(s)
		}
		d.lines = append(d.lines, classify(s[:n]))
		s = s[n:]
	}
	// An indented line continues the setting above it (a nested block such
	// as "s3 =" or a multi-line value), looking past comments and blank
	// lines as configparser does. Anywhere else it is read as if it were not
	// indented.
	prev := lineBlank
	for i := range d.lines {
		l := &d.lines[i]
		if l.kind == lineSub && prev != lineKey && prev != lineSub {
			raw := l.raw
			indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
			*l = classify(raw[indent:])
			l.raw = raw
			if l.kind == lineKey {
				l.vstart += indent
			}
		}
		if l.kind != lineBlank && l.kind != lineComment {
			prev = l.kind
		}
	}
	return d
}

func classify(raw string) iniLine {
	l := iniLine{raw: raw}
	c := l.content()
	t := strings.TrimSpace(c)
	switch {
	case t == "":
		l.kind = lineBlank
	case t[0] == '#' || t[0] == ';':
		l.kind = lineComment
	case c[0] == ' ' || c[0] == '\t':
		l.kind = lineSub
	case t[0] == '[':
		end := strings.IndexByte(t, ']')
		if end < 0 {
			l.kind = lineOther
			break
		}
		l.kind = lineSection
		l.section = strings.TrimSpace(t[1:end])
	default:
		i := strings.IndexAny(c, "=:")
		if i <= 0 {
			l.kind = lineOther
			break
		}
		l.kind = lineKey
		l.key = strings.ToLower(strings.TrimSpace(c[:i]))
		l.vstart = i + 1
		for l.vstart < len(c) && (c[l.vstart] == ' ' || c[l.vstart] == '\t') {
			l.vstart++
		}
		l.value = strings.TrimSpace(c[i+1:])
	}
	return l
}

func (d *iniDoc) bytes() []byte {
	var b bytes.Buffer
	for _, l := range d.lines {
		b.WriteString(l.raw)
	}
	return b.Bytes()
}

// sections lists the header lines whose name matches.
func (d *iniDoc) sections(match func(string) bool) []int {
	var out []int
	for i, l := range d.lines {
		if l.kind == lineSection && match(l.section) {
			out = append(out, i)
		}
	}
	return out
}

// body returns the index just past a section's last key or nested line: the
// place a new key goes. Comments and blank lines after it belong to whatever
// follows.
func (d *iniDoc) body(header int) (end int) {
	end = header + 1
	for i := header + 1; i < len(d.lines) && d.lines[i].kind != lineSection; i++ {
		if k := d.lines[i].kind; k == lineKey || k == lineSub || k == lineOther {
			end = i + 1
		}
	}
	return end
}

// find returns the last line in any matching section that sets key, or -1.
func (d *iniDoc) find(match func(string) bool, key string) int {
	found := -1
	for _, h := range d.sections(match) {
		for i := h + 1; i < d.body(h); i++ {
			if d.lines[i].kind == lineKey && d.lines[i].key == key {
				found = i
			}
		}
	}
	return found
}

// value returns a setting of the matching sections; later ones win, as in
// the AWS tools.
func (d *iniDoc) value(match func(string) bool, key string) (string, bool) {
	if i := d.find(match, key); i >= 0 {
		return d.lines[i].value, true
	}
	return "", false
}

// set changes or adds key = value in the matching sections, adding a
// section named header at the end of the file when none matches. A changed
// line keeps its own spacing and terminator.
func (d *iniDoc) set(match func(string) bool, header, key, value string) {
	if i := d.find(match, key); i >= 0 {
		l := d.lines[i]
		c := l.content()
		prefix := c[:l.vstart]
		if l.vstart >= len(c) && !strings.HasSuffix(prefix, " ") && !strings.HasSuffix(prefix, "\t") {
			prefix += " "
		}
		d.lines[i] = classify(prefix + value + l.eol())
		d.cut(i+1, d.subEnd(i)) // a nested block under the old value goes with it
		return
	}
	line := classify(key + " = " + value + d.eol)
	headers := d.sections(match)
	if len(headers) == 0 {
		d.appendSection(header)
		d.lines = append(d.lines, line)
		return
	}
	at := d.body(headers[len(headers)-1])
	if at == len(d.lines) {
		d.terminateLast()
	}
	d.lines = append(d.lines, iniLine{})
	copy(d.lines[at+1:], d.lines[at:])
	d.lines[at] = line
}

// ensure adds an empty section named header when none matches.
func (d *iniDoc) ensure(match func(string) bool, header string) {
	if len(d.sections(match)) > 0 {
		return
	}
	d.appendSection(header)
}

func (d *iniDoc) appendSection(header string) {
	d.terminateLast()
	if len(d.lines) > 0 && d.lines[len(d.lines)-1].kind != lineBlank {
		d.lines = append(d.lines, classify(d.eol))
	}
	d.lines = append(d.lines, classify("["+header+"]"+d.eol))
}

func (d *iniDoc) terminateLast() {
	if n := len(d.lines); n > 0 && d.lines[n-1].eol() == "" {
		d.lines[n-1] = classify(d.lines[n-1].raw + d.eol)
	}
}

// subEnd returns the index past the nested lines under line i.
// Comments and blank lines between nested lines are part of the block.
func (d *iniDoc) subEnd(i int) int {
	end := i + 1
	for j := i + 1; j < len(d.lines); j++ {
		switch d.lines[j].kind {
		case lineSub:
			end = j + 1
		case lineComment, lineBlank:
		default:
			return end
		}
	}
	return end
}

func (d *iniDoc) cut(from, to int) {
	d.lines = append(d.lines[:from], d.lines[to:]...)
}

// unset removes key, and any nested block under it, from the matching
// sections.
func (d *iniDoc) unset(match func(string) bool, key string) bool {
	removed := false
	for i := d.find(match, key); i >= 0; i = d.find(match, key) {
		d.cut(i, d.subEnd(i))
		removed = true
	}
	return removed
}

// remove deletes the matching sections: each header and its lines up to the
// last setting. Comments and blank lines after that stay, since they usually
// introduce what follows.
func (d *iniDoc) remove(match func(string) bool) bool {
	headers := d.sections(match)
	for k := len(headers) - 1; k >= 0; k-- {
		h := headers[k]
		d.cut(h, d.body(h))
		switch {
		case h > 0 && h < len(d.lines) && d.lines[h-1].kind == lineBlank && d.lines[h].kind == lineBlank:
			// Do not leave two blank lines where a section stood between them.
			d.cut(h, h+1)
		case h > 0 && h == len(d.lines) && d.lines[h-1].kind == lineBlank:
			// Nor a blank line at the end after a removed last section.
			d.cut(h-1, h)
		}
	}
	return len(headers) > 0
}
