// Package goroutines checks in tests that goroutines a test started have
// ended.
//
//	before := runtime.NumGoroutine()
//	// ... start and abandon readers ...
//	goroutines.Settle(t, before)
package goroutines

import (
	"runtime"
	"testing"
	"time"
)

// Settle fails t unless the process is back to at most before goroutines
// within 10 seconds. Goroutines that end show no event a test outside
// their package can wait on, so Settle looks again after yielding, then
// every millisecond: it returns as soon as they are gone.
func Settle(t testing.TB, before int) {
	t.Helper()
	settle(t, before, 10*time.Second)
}

func settle(t testing.TB, before int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for n := runtime.NumGoroutine(); n > before; n = runtime.NumGoroutine() {
		if !time.Now().Before(deadline) {
			t.Fatalf("%d goroutines left behind after %s", n-before, within)
		}
		runtime.Gosched()
		if runtime.NumGoroutine() > before {
			time.Sleep(time.Millisecond)
		}
	}
}
