package goroutines

import (
	"runtime"
	"testing"
	"time"
)

// fakeTB records a Fatalf instead of ending the test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true; runtime.Goexit() }

func TestSettle(t *testing.T) {
	before := runtime.NumGoroutine()
	stop := make(chan struct{})
	go func() { <-stop }()
	go func() { close(stop) }()
	Settle(t, before) // both end: Settle returns

	// One that never ends makes it fail.
	block := make(chan struct{})
	defer close(block)
	before = runtime.NumGoroutine()
	go func() { <-block }()
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); settle(f, before, 50*time.Millisecond) }()
	<-done
	if !f.failed {
		t.Fatal("Settle passed with a goroutine left behind")
	}
}
