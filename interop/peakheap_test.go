package interop

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// peakHeap runs fn while sampling the live heap every millisecond and
// returns the highest reading above the heap before fn started.
//
// It is the interop module's own copy of kumo's internal/benchmem. An
// internal package is no part of kumo's API and may change in any release;
// importing it from this module worked only through the replace directive
// that points at the checkout, so the module keeps the lines it needs.
func peakHeap(fn func()) uint64 {
	const sample = "/memory/classes/heap/objects:bytes"
	runtime.GC()
	s := []metrics.Sample{{Name: sample}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: sample}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > base && v-base > peak.Load() {
				peak.Store(v - base)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load()
}
