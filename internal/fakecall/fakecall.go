// Package fakecall is the call recorder the in-memory fakes (kmstest,
// sqstest, cognitotest, iamtest) embed, and the errors they return.
//
// A fake embeds a [Recorder], so the recorder's methods (FailNext, LoseNext,
// OnCall, Log, Calls, CallCounts, TotalCalls, ResetCalls) are the fake's,
// the same in every fake. Each operation starts with [Begin] and, where it
// has an answer to lose, defers [End]; both are functions, not methods, so
// they stay out of the fake's API:
//
//	type Fake struct {
//		fakecall.Recorder
//		...
//	}
//
//	func (f *Fake) Encrypt(ctx context.Context, in *kms.EncryptInput, _ ...func(*kms.Options)) (out *kms.EncryptOutput, err error) {
//		if err := fakecall.Begin(&f.Recorder, "Encrypt", in); err != nil {
//			return nil, err
//		}
//		defer fakecall.End(&f.Recorder, "Encrypt", &out, &err)
//		...
//	}
//
// [Errors] makes the error an SDK client returns for a service's error code
// and message, from the service package's TypeRegistry or error structs;
// [Input] turns a nil input into an empty one, as the SDK does; [Copy]
// deep-copies what a fake keeps or hands out.
package fakecall

import (
	"maps"
	"reflect"
	"sync"
)

// The log keeps the latest inputs of each operation: at most LogLimit of
// them, and of those no more than take LogBytes (counting the bytes of
// their strings and byte slices and 8 for each other value), but always the
// latest one.
const (
	LogLimit = 1000
	LogBytes = 8 << 20
)

// Recorder counts and logs calls by operation and hands out injected
// failures. The zero value is ready; it is safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	fail  map[string][]error
	lose  map[string][]error
	hooks map[string]func(input any) error
	calls map[string]int
	log   map[string]*opLog
}

// opLog is the log of one operation: entries[start:] are kept.
type opLog struct {
	entries []logEntry
	start   int
	bytes   int
}

type logEntry struct {
	input any
	size  int
}

func (l *opLog) add(e logEntry) {
	l.entries = append(l.entries, e)
	l.bytes += e.size
	for n := len(l.entries) - l.start; n > 1 && (n > LogLimit || l.bytes > LogBytes); n-- {
		l.bytes -= l.entries[l.start].size
		l.entries[l.start] = logEntry{}
		l.start++
	}
	if l.start > len(l.entries)/2 { // compacted in bulk, so a call costs the same however many came before
		l.entries = append(l.entries[:0:0], l.entries[l.start:]...)
		l.start = 0
	}
}

// FailNext makes the next call of operation op return err without acting.
// Calls queue up: FailNext twice fails the next two calls.
func (r *Recorder) FailNext(op string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail == nil {
		r.fail = map[string][]error{}
	}
	r.fail[op] = append(r.fail[op], err)
}

// LoseNext makes the next successful call of operation op take effect and
// then return err instead of its answer, as when a connection breaks after
// the service acted. Calls queue up like FailNext's.
func (r *Recorder) LoseNext(op string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lose == nil {
		r.lose = map[string][]error{}
	}
	r.lose[op] = append(r.lose[op], err)
}

// OnCall runs fn with the input of every later call of operation op (the
// SDK input, such as *kms.EncryptInput) before the fake acts. An error from
// fn is the call's answer, and the fake does nothing else. fn runs after the
// call is counted and logged and after FailNext's errors, without the fake's
// locks held, so it may call the fake. Another OnCall for op replaces fn;
// a nil fn removes it.
func (r *Recorder) OnCall(op string, fn func(input any) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fn == nil {
		delete(r.hooks, op)
		return
	}
	if r.hooks == nil {
		r.hooks = map[string]func(input any) error{}
	}
	r.hooks[op] = fn
}

// Log returns the inputs of the calls of operation op, oldest first, failed
// calls included: deep copies taken when each call began, so later changes
// to a caller's input do not show, and changes to what Log returns do not
// reach the log. It keeps the latest calls of each operation: at most
// [LogLimit], in at most [LogBytes].
func (r *Recorder) Log(op string) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.log[op]
	if l == nil {
		return []any{}
	}
	out := make([]any, 0, len(l.entries)-l.start)
	for _, e := range l.entries[l.start:] {
		in, _ := deepCopy(e.input)
		out = append(out, in)
	}
	return out
}

// Calls returns how many times operation op was called, failed calls
// included.
func (r *Recorder) Calls(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[op]
}

// CallCounts returns the call count of every operation called so far.
func (r *Recorder) CallCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.calls)
}

// TotalCalls returns the number of calls of all operations together.
func (r *Recorder) TotalCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		n += c
	}
	return n
}

// ResetCalls sets every call count to zero and empties the log. Queued
// failures and hooks stay.
func (r *Recorder) ResetCalls() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.calls)
	clear(r.log)
}

// Begin starts a call of op in a fake: it counts and logs the call, then
// returns the failure FailNext queued for op, if any, or else the error of
// op's OnCall hook. A fake calls it first in every operation, before taking
// its own locks, and acts only when it returns nil.
func Begin(r *Recorder, op string, input any) error {
	r.mu.Lock()
	if r.calls == nil {
		r.calls, r.log = map[string]int{}, map[string]*opLog{}
	}
	r.calls[op]++
	if r.log[op] == nil {
		r.log[op] = &opLog{}
	}
	in, size := deepCopy(input)
	r.log[op].add(logEntry{input: in, size: size})
	if q := r.fail[op]; len(q) > 0 {
		r.fail[op] = q[1:]
		r.mu.Unlock()
		return q[0]
	}
	hook := r.hooks[op]
	r.mu.Unlock()
	if hook != nil {
		return hook(input)
	}
	return nil
}

// End ends a call of op whose answer is *out and *err: when *err is nil and
// LoseNext queued an error for op, it sets *out to its zero value and *err
// to that error. A fake defers it once a call has begun.
func End[T any](r *Recorder, op string, out *T, err *error) {
	if *err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if q := r.lose[op]; len(q) > 0 {
		r.lose[op] = q[1:]
		var zero T
		*out, *err = zero, q[0]
	}
}

// deepCopy copies v and what it points to: pointers, structs (their
// exported fields; unexported ones are copied shallow), slices, arrays,
// maps and interfaces. Strings, which cannot change, functions and
// channels are shared. It also returns the size LogBytes counts.
func deepCopy(v any) (any, int) {
	if v == nil {
		return nil, 0
	}
	c := copier{}
	return c.copy(reflect.ValueOf(v), 0).Interface(), c.size
}

type copier struct{ size, nodes int }

// maxDepth and maxNodes bound a copy of a cyclic or shared-heavy value:
// past them values are shared, not copied. SDK inputs are trees far
// smaller than this.
const (
	maxDepth = 64
	maxNodes = 1 << 16
)

func (c *copier) copy(v reflect.Value, depth int) reflect.Value {
	if depth > maxDepth || c.nodes >= maxNodes {
		return v
	}
	c.nodes++
	c.size += 8
	switch v.Kind() {
	case reflect.String:
		c.size += v.Len()
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(c.copy(v.Elem(), depth+1))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if f := out.Field(i); f.CanSet() {
				f.Set(c.copy(v.Field(i), depth+1))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if v.Type().Elem().Kind() == reflect.Uint8 {
			reflect.Copy(out, v)
			c.size += v.Len()
			return out
		}
		for i := range v.Len() {
			out.Index(i).Set(c.copy(v.Index(i), depth+1))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(c.copy(v.Index(i), depth+1))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), c.copy(it.Value(), depth+1))
		}
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(c.copy(v.Elem(), depth+1))
		return out
	}
	return v
}

// Input returns in, or a new empty input when in is nil: the SDK's
// operations treat a nil input as an empty one, which then fails the
// service's validation, so a fake must not panic on it.
func Input[T any](in *T) *T {
	if in == nil {
		return new(T)
	}
	return in
}

// Copy returns a deep copy of v, made as [Recorder.Log]'s copies are, for
// a fake that keeps or hands out copies of what callers pass (items,
// objects). Past the bounds of a log copy (a depth of 64, 65,536 values)
// the rest is shared.
func Copy[T any](v T) T {
	c, _ := deepCopy(v)
	out, _ := c.(T)
	return out
}
