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

// pkgs are every public package of the module, each with what a pasted
// copy of its doc example needs around it: its imports ("name path" for a
// named one) and either the
// parameters of the function it is pasted into (which returns an error)
// or, for an example that is itself a declaration (a test function of a
// fake, a Lambda handler), top set to paste it at the top level.
var pkgs = []struct {
	dir     string
	imports []string
	params  string
	top     bool
}{
	{dir: "s3sign", imports: []string{"context", "fmt", "time", "github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/s3", "github.com/kumo-go/kumo/s3sign"}, params: "ctx context.Context"},
	{dir: "cfsign", imports: []string{"crypto", "time", "github.com/kumo-go/kumo/cfsign"}},
	{dir: "credentials", imports: []string{"bytes", "context", "fmt", "os/exec", "github.com/kumo-go/kumo/credentials"}, params: "ctx context.Context"},
	{dir: "iamx", imports: []string{"fmt", "github.com/kumo-go/kumo/iamx"}},
	{dir: "iamx/iamtest", top: true, imports: []string{"context", "testing", "time", "github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/service/iam", "github.com/kumo-go/kumo/credentials", "github.com/kumo-go/kumo/iamx", "github.com/kumo-go/kumo/iamx/iamtest"}},
	{dir: "kms", imports: []string{"context", "fmt", "github.com/aws/aws-sdk-go-v2/config", "awskms github.com/aws/aws-sdk-go-v2/service/kms", "github.com/kumo-go/kumo/kms"}, params: "ctx context.Context, kmsKeyARN string, plaintext []byte"},
	{dir: "kms/kmstest", top: true, imports: []string{"context", "errors", "testing", "github.com/aws/aws-sdk-go-v2/service/kms/types", "github.com/kumo-go/kumo/kms", "github.com/kumo-go/kumo/kms/kmstest"}},
	{dir: "sqsx", imports: []string{"context", "fmt", "github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/service/sqs", "github.com/kumo-go/kumo/sqsx"}, params: "ctx context.Context, cfg aws.Config, queueURL string"},
	{dir: "sqsx/sqstest", top: true, imports: []string{"context", "errors", "testing", "time", "github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/service/sqs", "github.com/kumo-go/kumo/sqsx/sqstest"}},
	{dir: "sqsx/sqslambda", top: true, imports: []string{"context", "github.com/aws/aws-lambda-go/events", "github.com/aws/aws-lambda-go/lambda", "github.com/kumo-go/kumo/sqsx", "github.com/kumo-go/kumo/sqsx/sqslambda"}},
	{dir: "sqsx/sqsotel", imports: []string{"context", "github.com/kumo-go/kumo/sqsx", "github.com/kumo-go/kumo/sqsx/sqsotel"}, params: "ctx context.Context, client sqsx.SQSAPI, url string"},
	{dir: "cognitoauth", imports: []string{"context", "fmt", "github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/cognitoidentity", "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider", "github.com/aws/aws-sdk-go-v2/service/s3", "github.com/kumo-go/kumo/cognitoauth"}, params: "ctx context.Context, password string"},
	{dir: "cognitoauth/cognitotest", top: true, imports: []string{"context", "testing", "github.com/kumo-go/kumo/cognitoauth", "github.com/kumo-go/kumo/cognitoauth/cognitotest"}},
}

// Every public package of the module is in pkgs: a new package needs a
// doc example from its first commit.
func TestEveryPublicPackageIsChecked(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch {
			case rel == ".":
				return nil
			case strings.HasPrefix(d.Name(), ".") || d.Name() == "internal" || d.Name() == "testdata" || d.Name() == "examples" || d.Name() == "node_modules":
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module (interop)
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dir := filepath.ToSlash(filepath.Dir(rel))
			if !seen[dir] {
				seen[dir] = true
				found = append(found, dir)
			}
		}
		return nil
	})
	require.NoError(t, err)
	var checked []string
	for _, p := range pkgs {
		checked = append(checked, p.dir)
	}
	require.ElementsMatch(t, found, checked, "every public package, and only those, has its doc example checked")
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

// readerCode declares what the doc examples call but leave to the reader,
// as the reader's own program would.
const readerCode = `package docexample

import (
	"context"

	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// apply is the work of a message handler (sqsx, sqslambda, sqsotel).
func apply(ctx context.Context, group, body string) error { return nil }

// processJobs is the code under test in sqstest's example.
func processJobs(ctx context.Context, q *sqstest.Fake, url string) {}
`

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
			if name, path, ok := strings.Cut(imp, " "); ok { // "name path": a named import
				fmt.Fprintf(&b, "\t%s %q\n", name, path)
			} else {
				fmt.Fprintf(&b, "\t%q\n", imp)
			}
		}
		b.WriteString(")\n\n")
		if pkg.top {
			b.WriteString(code.Text)
		} else {
			fmt.Fprintf(&b, "func _(%s) error {\n%s\treturn nil\n}\n", pkg.params, code.Text)
		}
		name := strings.ReplaceAll(pkg.dir, "/", "_")
		src := filepath.Join(tmp, name+".go")
		require.NoError(t, os.WriteFile(src, []byte(b.String()), 0o600))
		overlay["Replace"][filepath.Join(here, "zz_example_"+name+".go")] = src
	}
	// What the examples call but leave to the reader's own code.
	reader := filepath.Join(tmp, "reader.go")
	require.NoError(t, os.WriteFile(reader, []byte(readerCode), 0o600))
	overlay["Replace"][filepath.Join(here, "zz_reader.go")] = reader
	data, err := json.Marshal(overlay)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "overlay.json"), data, 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-overlay", filepath.Join(tmp, "overlay.json"), ".").CombinedOutput()
	require.NoError(t, err, "the doc examples do not compile as pasted:\n%s", out)
}
