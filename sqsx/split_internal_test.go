package sqsx

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSplitFIFO checks that a FIFO receive splits into one run per group,
// each in receive order, the groups in the order of their first message,
// for every assignment of 1 to 7 messages to up to 3 groups, and for 10
// messages in 4 groups.
func TestSplitFIFO(t *testing.T) {
	s := &session{p: &Processor{fifo: true}}
	for n := 1; n <= 7; n++ {
		for code := 0; code < pow(3, n); code++ {
			ms := make([]*Message, n)
			want := map[string][]*Message{}
			var order []string
			for i, c := 0, code; i < n; i, c = i+1, c/3 {
				g := fmt.Sprint("g", c%3)
				ms[i] = &Message{ID: fmt.Sprint(i), GroupID: g}
				if want[g] == nil {
					order = append(order, g)
				}
				want[g] = append(want[g], ms[i])
			}
			runs := s.split(ms)
			if !assert.Len(t, runs, len(order), "%d messages, code %d", n, code) {
				return
			}
			for i, g := range order {
				assert.Equal(t, want[g], runs[i], "%d messages, code %d, group %s", n, code, g)
				assert.Equal(t, len(runs[i]), cap(runs[i]), "a run must not grow into the next")
			}
		}
	}
	ms := make([]*Message, maxBatchEntries)
	for i := range ms {
		ms[i] = &Message{ID: fmt.Sprint(i), GroupID: fmt.Sprint("g", i*i%4)} // g0 g1 g0 g1 g0 g1 ...
	}
	ms[9].GroupID, ms[5].GroupID = "g2", "g3"
	assert.Equal(t, [][]*Message{{ms[0], ms[2], ms[4], ms[6], ms[8]}, {ms[1], ms[3], ms[7]}, {ms[5]}, {ms[9]}}, s.split(ms))
	// More than 10 (SQS never answers so many) still splits by group.
	ms = make([]*Message, 12)
	for i := range ms {
		ms[i] = &Message{ID: fmt.Sprint(i), GroupID: fmt.Sprint("g", i%2)}
	}
	runs := s.split(ms)
	assert.Len(t, runs, 2)
	assert.Equal(t, []*Message{ms[0], ms[2], ms[4], ms[6], ms[8], ms[10]}, runs[0])
}

func pow(b, e int) int {
	n := 1
	for range e {
		n *= b
	}
	return n
}
