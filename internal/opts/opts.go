// Package opts applies functional options the one way every kumo package
// does: in order, skipping nil funcs, so a nil option func is no panic but
// the defaults.
//
//	func New(optFns ...func(*Options)) (*Client, error) {
//		var o Options
//		opts.Apply(&o, optFns)
//		...
//	}
package opts

// Apply calls each non-nil fn of fns on o, in order.
func Apply[T any](o *T, fns []func(*T)) {
	for _, fn := range fns {
		if fn != nil {
			fn(o)
		}
	}
}

// NonNil returns the non-nil funcs of fns, in order, for passing on to a
// function that calls every func it is given (aws-sdk-go-v2's client
// constructors do, and panic on nil). It returns fns itself when none is
// nil.
func NonNil[T any](fns []func(*T)) []func(*T) {
	return nonNil[func(*T), T](fns)
}

// NonNilErr is [NonNil] for option funcs that return an error, such as
// aws-sdk-go-v2's config.LoadOptions funcs.
func NonNilErr[T any](fns []func(*T) error) []func(*T) error {
	return nonNil[func(*T) error, T](fns)
}

func nonNil[F interface{ ~func(*T) | ~func(*T) error }, T any](fns []F) []F {
	for i, fn := range fns {
		if fn == nil {
			out := append([]F(nil), fns[:i]...)
			for _, fn := range fns[i+1:] {
				if fn != nil {
					out = append(out, fn)
				}
			}
			return out
		}
	}
	return fns
}
