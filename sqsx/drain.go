package sqsx

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// inflight counts a session's SQS calls under way, so that Run returns only
// once each has ended and what came of it is counted and reported.
type inflight struct {
	mu      sync.Mutex
	n       int
	closing bool
	done    chan struct{} // closed once closing with none under way: no call may begin
}

func newInflight() *inflight { return &inflight{done: make(chan struct{})} }

// begin reports whether a call may begin: always, until wait has seen the
// last call end. A call begun must end.
func (c *inflight) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return false
	default:
	}
	c.n++
	return true
}

func (c *inflight) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if c.n == 0 && c.closing {
		close(c.done)
	}
}

// wait waits until no call is under way, those begun meanwhile (the rest
// of a split run, a retry) included; after it no call may begin.
func (c *inflight) wait() {
	c.mu.Lock()
	c.closing = true
	if c.n == 0 {
		select {
		case <-c.done:
		default:
			close(c.done)
		}
	}
	c.mu.Unlock()
	<-c.done
}

// errDrainOver is the cause of a delete or release asked for once Run had
// stopped waiting for calls: by a handler that outlived ShutdownTimeout.
var errDrainOver = fmt.Errorf("%w: asked for after the drain", ErrShutdownTimeout)

// cutOff is the error of items a retryBatch left unanswered because ctx
// ended: ctx's cause (ErrShutdownTimeout for a Processor's calls), and the
// error of the call under way, if one was.
func cutOff(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if err == nil || errors.Is(err, cause) {
		return cause
	}
	return fmt.Errorf("%w (%w)", cause, err)
}

// abandon reports messages whose delete or release (op) the end of the
// drain cut off, one report each, and counts them in Stats.Abandoned. What
// says what was not confirmed; err wraps ErrShutdownTimeout.
func (s *session) abandon(op, what string, ms []*Message, err error) {
	s.cut.Store(true)
	s.p.stats.abandoned.Add(int64(len(ms)))
	for _, m := range ms {
		s.p.report(op, m.ID, fmt.Errorf("%s not confirmed; unless SQS acted on a call cut off under way, the message comes back after its visibility timeout: %w", what, err))
	}
}
