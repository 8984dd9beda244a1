// Package benchmem measures peak live heap for memory benchmarks.
package benchmem

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

const sample = "/memory/classes/heap/objects:bytes"

// PeakHeap runs fn while sampling the live heap every millisecond and
// returns the highest reading above the heap before fn started. Sampling
// runtime/metrics does not stop the world, so it barely disturbs fn.
func PeakHeap(fn func()) uint64 {
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
