package interop

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// need returns the path of an outside tool, skipping the test when it is
// missing (failing under CI=true, where .ci/run must have installed it).
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; .ci/run should have installed it", tool)
		}
		t.Skipf("%s is not installed", tool)
	}
	return path
}

// runTool runs a command with extra environment settings and returns its
// standard output, failing the test with its standard error.
func runTool(t *testing.T, env []string, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(need(t, name), args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// cleanEnv is the environment without AWS settings, so nothing on the
// machine leaks into a check.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}
