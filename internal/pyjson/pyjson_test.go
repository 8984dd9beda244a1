package pyjson_test

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/pyjson"
)

// cases hold what python3 -c 'import json; print(json.dumps(s))' prints.
var cases = []struct{ in, want string }{
	{"", `""`},
	{"plain", `"plain"`},
	{`a"b\\c`, `"a\"b\\\\c"`},
	{"\n\r\t\b\f", `"\n\r\t\b\f"`},
	{"\x00\x1f", `"\u0000\u001f"`},
	{"\x7f", `"\u007f"`}, // DEL is outside ' '..'~': escaped
	{"~ ", `"~ "`},
	{"é", `"\u00e9"`},
	{"\u2028", `"\u2028"`},
	{"😀", `"\ud83d\ude00"`},
	{"x\U00010000y", `"x\ud800\udc00y"`},
	{"\xff", `"\ufffd"`},
}

func TestQuote(t *testing.T) {
	for _, c := range cases {
		got := pyjson.Quote(c.in)
		assert.Equal(t, c.want, got, "%q", c.in)
		var back string
		require.NoError(t, json.Unmarshal([]byte(got), &back))
		if c.in != "\xff" {
			assert.Equal(t, c.in, back)
		}
	}
}

// TestQuoteAgainstPython compares with Python's json.dumps itself where
// python3 is installed (it is on CI machines).
func TestQuoteAgainstPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	var in []string
	for _, c := range cases[:len(cases)-1] { // Python would keep \xff as a surrogate escape
		in = append(in, c.in)
	}
	for r := rune(0); r < 0x300; r++ {
		in = append(in, string(r))
	}
	arg, err := json.Marshal(in)
	require.NoError(t, err)
	out, err := exec.Command("python3", "-c", "import json,sys\nfor s in json.loads(sys.argv[1]): print(json.dumps(s))", string(arg)).Output()
	require.NoError(t, err)
	var want []byte
	for _, s := range in {
		want = append(pyjson.Append(want, s), '\n')
	}
	assert.Equal(t, string(out), string(want))
}
