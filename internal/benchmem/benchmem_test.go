package benchmem

import "testing"

var sink []byte

func TestPeakHeapSeesAnAllocation(t *testing.T) {
	peak := PeakHeap(func() {
		sink = make([]byte, 64<<20)
		for i := range sink {
			sink[i] = 1
		}
	})
	sink = nil
	if peak < 60<<20 {
		t.Fatalf("peak %d bytes, want at least 60 MiB", peak)
	}
}
