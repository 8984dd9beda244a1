// Package fakecall is the call log and error injection the in-memory fakes
// (kmstest, cognitotest, sqstest) share.
package fakecall

import (
	"maps"
	"sync"
)

// Recorder counts calls by operation and hands out injected failures. Embed
// it in a fake: its methods become the fake's. The zero value is ready.
type Recorder struct {
	mu    sync.Mutex
	fail  map[string][]error
	lose  map[string][]error
	calls map[string]int
}

// FailNext makes the next call of operation op return err. Calls queue up:
// FailNext twice fails the next two calls.
func (r *Recorder) FailNext(op string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail == nil {
		r.fail = map[string][]error{}
	}
	r.fail[op] = append(r.fail[op], err)
}

// LoseNext makes the next call of operation op take effect and then return
// err instead of its answer, as when a connection breaks after the service
// acted. Calls queue up like FailNext's.
func (r *Recorder) LoseNext(op string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lose == nil {
		r.lose = map[string][]error{}
	}
	r.lose[op] = append(r.lose[op], err)
}

// Lost returns the error LoseNext queued for op, if any. Fakes that offer
// LoseNext call it once an operation has taken effect.
func (r *Recorder) Lost(op string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if q := r.lose[op]; len(q) > 0 {
		r.lose[op] = q[1:]
		return q[0]
	}
	return nil
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

// ResetCalls sets every call count to zero.
func (r *Recorder) ResetCalls() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.calls)
}

// Begin counts a call of op and returns the failure injected for it, if
// any. Fakes call it first in every operation.
func (r *Recorder) Begin(op string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[op]++
	if q := r.fail[op]; len(q) > 0 {
		r.fail[op] = q[1:]
		return q[0]
	}
	return nil
}
