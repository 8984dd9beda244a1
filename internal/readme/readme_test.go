package readme

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// givens declares the names the README's snippets use without showing
// where they come from: what a reader has at hand (a context, an SDK
// config, a queue URL, the data to protect).
const givens = `
var (
	ctx          context.Context
	cfg          aws.Config
	kmsClient    kms.KMSAPI
	data         []byte
	file         io.Writer
	ec           map[string]string
	dst          io.Writer
	src          io.Reader
	newKeyring   kms.Keyring
	publicKeys   map[string]crypto.PublicKey
	someURL      string
	password     string
	oldPassword  string
	newPassword  string
	code         string
	err          error
	client       *cognitoauth.Client
	tokens       *cognitoauth.Tokens
	sqsClient    sqsx.SQSAPI
	s3Client     sqsx.S3API
	mux          *http.ServeMux
	api          http.Handler
	token        string
	queueURL     string
	apply        func(ctx context.Context, group, body string) error
	msgs         []sqsx.Message
	handler      sqsx.Handler
	doc          []byte
	roleARN      string
	callerARN    string
	ip           string
	userPolicies []*iamx.Policy
	posted       string
	dir          *credentials.Dir
)
`

// imports maps the package names the snippets use to their import paths.
var imports = map[string]string{
	"aws":                     "github.com/aws/aws-sdk-go-v2/aws",
	"cfsign":                  "github.com/kumo-go/kumo/cfsign",
	"cognitoauth":             "github.com/kumo-go/kumo/cognitoauth",
	"cognitoidentity":         "github.com/aws/aws-sdk-go-v2/service/cognitoidentity",
	"cognitoidentityprovider": "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider",
	"context":                 "context",
	"credentials":             "github.com/kumo-go/kumo/credentials",
	"crypto":                  "crypto",
	"errors":                  "errors",
	"events":                  "github.com/aws/aws-lambda-go/events",
	"fmt":                     "fmt",
	"http":                    "net/http",
	"iam":                     "github.com/aws/aws-sdk-go-v2/service/iam",
	"iamx":                    "github.com/kumo-go/kumo/iamx",
	"io":                      "io",
	"kms":                     "github.com/kumo-go/kumo/kms",
	"os":                      "os",
	"s3":                      "github.com/aws/aws-sdk-go-v2/service/s3",
	"s3sign":                  "github.com/kumo-go/kumo/s3sign",
	"sqs":                     "github.com/aws/aws-sdk-go-v2/service/sqs",
	"sqslambda":               "github.com/kumo-go/kumo/sqsx/sqslambda",
	"sqsx":                    "github.com/kumo-go/kumo/sqsx",
	"sts":                     "github.com/aws/aws-sdk-go-v2/service/sts",
	"time":                    "time",
}

// snippet is one ```go block of the README.
type snippet struct {
	line int // of its first line in README.md
	text string
}

func goSnippets(t *testing.T, readme string) []snippet {
	var out []snippet
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		start := i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		if i == len(lines) {
			t.Fatalf("README.md:%d: unterminated ```go block", start)
		}
		out = append(out, snippet{line: start + 1, text: strings.Join(lines[start:i], "\n")})
	}
	return out
}

// source turns the snippets into one Go file: each snippet becomes the body
// of a function, except for function declarations at its left margin,
// which stay at the top level. //line comments keep README positions.
func source(snippets []snippet) string {
	var b strings.Builder
	b.WriteString(givens)
	for n, s := range snippets {
		var body, decls []string
		bodyLine := -1
		lines := strings.Split(s.text, "\n")
		for i := 0; i < len(lines); i++ {
			if strings.HasPrefix(lines[i], "func ") {
				decls = append(decls, fmt.Sprintf("//line README.md:%d", s.line+i))
				for ; i < len(lines); i++ {
					decls = append(decls, lines[i])
					if lines[i] == "}" {
						break
					}
				}
				continue
			}
			if bodyLine < 0 {
				bodyLine = s.line + i
			}
			body = append(body, lines[i])
		}
		fmt.Fprintf(&b, "\nfunc snippet%d() {\n", n+1)
		if bodyLine >= 0 {
			fmt.Fprintf(&b, "//line README.md:%d\n%s\n", bodyLine, strings.Join(body, "\n"))
		}
		b.WriteString("}\n")
		for _, d := range decls {
			b.WriteString(d + "\n")
		}
	}
	return b.String()
}

// TestREADMESnippetsCompile type-checks every ```go block of README.md
// against the module's packages (compiled export data from `go list
// -export`, so it needs no network and reuses the build cache). Unused
// variables are allowed: a snippet shows a call, not a program.
func TestREADMESnippetsCompile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	snippets := goSnippets(t, string(readme))
	if len(snippets) < 8 {
		t.Fatalf("found %d ```go blocks in README.md; want one per package at least", len(snippets))
	}
	src := source(snippets)

	// The imports a snippet needs: every known package name used as X in X.Sel.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "README.md", "package readme\n"+src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("a README snippet does not parse: %v", err)
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && imports[id.Name] != "" {
				used[imports[id.Name]] = true
			}
		}
		return true
	})
	paths := make([]string, 0, len(used))
	for p := range used {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var head bytes.Buffer
	head.WriteString("package readme\n\nimport (\n")
	for _, p := range paths {
		fmt.Fprintf(&head, "\t%q\n", p)
	}
	head.WriteString(")\n")

	exports := exportData(t, paths)
	fset = token.NewFileSet()
	f, err = parser.ParseFile(fset, "readme_snippets.go", head.String()+src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("a README snippet does not parse: %v", err)
	}
	var errs []string
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
			file, ok := exports[path]
			if !ok {
				return nil, fmt.Errorf("no export data for %s", path)
			}
			return os.Open(file)
		}),
		Error: func(err error) {
			if te, ok := err.(types.Error); ok && te.Soft && strings.Contains(te.Msg, "declared and not used") {
				return
			}
			errs = append(errs, err.Error())
		},
	}
	_, _ = conf.Check("readme", fset, []*ast.File{f}, nil)
	for _, e := range errs {
		t.Error(e)
	}
	if t.Failed() {
		t.Logf("the snippets as compiled:\n%s", src)
	}
}

// exportData maps each package the snippets import, and their
// dependencies, to its compiled export data.
func exportData(t *testing.T, paths []string) map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, paths...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "GOPROXY=off") // the build cache and module cache only
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, stderr.String())
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
			m[path] = file
		}
	}
	return m
}
