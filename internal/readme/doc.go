// Package readme holds the test that compiles the Go snippets of the
// repository's README.md, so the front page never shows code that does not
// build. It has no code of its own.
package readme
