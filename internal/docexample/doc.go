// Package docexample holds only a test: it checks that the package docs of
// kumo's packages start with an example that go doc renders intact and
// that compiles when pasted into a function.
package docexample
