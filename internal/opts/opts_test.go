package opts_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kumo-go/kumo/internal/opts"
)

type options struct{ calls []string }

func call(name string) func(*options) { return func(o *options) { o.calls = append(o.calls, name) } }

func callErr(name string) func(*options) error {
	return func(o *options) error { o.calls = append(o.calls, name); return nil }
}

// Apply calls the non-nil funcs in order and skips the nil ones; NonNil and
// NonNilErr keep the non-nil funcs in order. In the table "" stands for a
// nil func.
func TestSkipsNilFuncs(t *testing.T) {
	for _, tt := range []struct {
		name string
		fns  []string
		want []string
	}{
		{"none", nil, nil},
		{"one nil", []string{""}, nil},
		{"all nil", []string{"", "", ""}, nil},
		{"no nil", []string{"a", "b"}, []string{"a", "b"}},
		{"nil first", []string{"", "a", "b"}, []string{"a", "b"}},
		{"nil between", []string{"a", "", "b"}, []string{"a", "b"}},
		{"nil last", []string{"a", "b", ""}, []string{"a", "b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fns []func(*options)
			var fnsErr []func(*options) error
			for _, name := range tt.fns {
				fn, fnErr := call(name), callErr(name)
				if name == "" {
					fn, fnErr = nil, nil
				}
				fns, fnsErr = append(fns, fn), append(fnsErr, fnErr)
			}

			var o options
			assert.NotPanics(t, func() { opts.Apply(&o, fns) })
			assert.Equal(t, tt.want, o.calls, "Apply")

			o = options{}
			for _, fn := range opts.NonNil(fns) {
				fn(&o)
			}
			assert.Equal(t, tt.want, o.calls, "NonNil")

			o = options{}
			for _, fn := range opts.NonNilErr(fnsErr) {
				assert.NoError(t, fn(&o))
			}
			assert.Equal(t, tt.want, o.calls, "NonNilErr")
		})
	}
}

// NonNil hands back the caller's slice when there is nothing to drop, and
// never writes to it when there is.
func TestNonNilLeavesInputAlone(t *testing.T) {
	fns := []func(*options){call("a"), call("b")}
	assert.Equal(t, &fns[0], &opts.NonNil(fns)[0], "same backing array")

	withNil := []func(*options){call("a"), nil, call("b")}
	_ = opts.NonNil(withNil)
	assert.Nil(t, withNil[1], "input unchanged")

	errFns := []func(*options) error{nil, func(*options) error { return errors.New("x") }}
	assert.EqualError(t, opts.NonNilErr(errFns)[0](&options{}), "x")
	assert.Nil(t, errFns[0], "input unchanged")
}
