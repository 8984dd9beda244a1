package docexample_test

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pkgs are the packages whose doc example is checked, with what a pasted
// copy of the example needs around it: its imports and the parameters of
// the function it is pasted into (which returns an error).
var pkgs = []struct {
	dir     string
	imports []string
	params  string
}{
	{"s3sign", []string{"context", "fmt", "time", "github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/s3", "github.com/kumo-go/kumo/s3sign"}, "ctx context.Context"},
	{"cfsign", []string{"crypto", "time", "github.com/kumo-go/kumo/cfsign"}, ""},
	{"credentials", []string{"bytes", "context", "fmt", "os/exec", "github.com/kumo-go/kumo/credentials"}, "ctx context.Context"},
	{"iamx", []string{"fmt", "github.com/kumo-go/kumo/iamx"}, ""},
}

// docExample parses the package in ../../dir as go doc does and returns
// its doc, the doc as go doc prints it, and the first code block.
func docExample(t *testing.T, dir string) (blocks []comment.Block, rendered string, code *comment.Code, index int) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
	require.NoError(t, err)
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/kumo-go/kumo/"+dir)
	require.NoError(t, err)
	d := p.Parser().Parse(p.Doc)
	for i, b := range d.Content {
		if c, ok := b.(*comment.Code); ok {
			return d.Content, string(p.Text(p.Doc)), c, i
		}
	}
	t.Fatalf("the package doc of %s has no code block", dir)
	return nil, "", nil, 0
}

// The doc starts with the example (after at most one paragraph), and go
// doc prints each of its lines intact and in order: a code block indented
// inside a list item would be reflowed into one line of prose.
func TestDocStartsWithIntactExample(t *testing.T) {
	for _, pkg := range pkgs {
		t.Run(pkg.dir, func(t *testing.T) {
			_, rendered, code, index := docExample(t, pkg.dir)
			require.LessOrEqual(t, index, 1, "the example comes first, after at most one paragraph")
			want := strings.Split(strings.TrimRight(code.Text, "\n"), "\n")
			require.GreaterOrEqual(t, len(want), 3, "an example, not a fragment")
			lines := strings.Split(rendered, "\n")
			start := -1
			for i, l := range lines {
				if strings.TrimLeft(l, " \t") == want[0] && strings.HasSuffix(l, want[0]) {
					start = i
					break
				}
			}
			require.GreaterOrEqual(t, start, 0, "go doc shows the example's first line %q on a line of its own:\n%s", want[0], rendered)
			indent := strings.TrimSuffix(lines[start], want[0])
			require.LessOrEqual(t, start+len(want), len(lines))
			for i, w := range want {
				got := lines[start+i]
				if w == "" {
					require.Empty(t, strings.TrimSpace(got), "line %d", i)
					continue
				}
				require.Equal(t, indent+w, got, "go doc line %d of the example", i)
			}
		})
	}
}

// Pasted into a function that returns an error, with the imports it
// names, each example compiles: the go tool builds them all into this
// package through an overlay, so nothing is written to the module.
func TestDocExampleCompiles(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to compile the examples with")
	}
	tmp := t.TempDir()
	here, err := os.Getwd()
	require.NoError(t, err)
	overlay := map[string]map[string]string{"Replace": {}}
	for _, pkg := range pkgs {
		_, _, code, _ := docExample(t, pkg.dir)
		var b strings.Builder
		b.WriteString("package docexample\n\nimport (\n")
		for _, imp := range pkg.imports {
			fmt.Fprintf(&b, "\t%q\n", imp)
		}
		fmt.Fprintf(&b, ")\n\nfunc _(%s) error {\n%s\treturn nil\n}\n", pkg.params, code.Text)
		src := filepath.Join(tmp, pkg.dir+".go")
		require.NoError(t, os.WriteFile(src, []byte(b.String()), 0o600))
		overlay["Replace"][filepath.Join(here, "zz_example_"+pkg.dir+".go")] = src
	}
	data, err := json.Marshal(overlay)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "overlay.json"), data, 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-overlay", filepath.Join(tmp, "overlay.json"), ".").CombinedOutput()
	require.NoError(t, err, "the doc examples do not compile as pasted:\n%s", out)
}
