package sqsx

import (
	"context"
	"fmt"
	"time"
)

// dispatch splits a receive into runs and starts each when a slot is free;
// runs not started when work stops are released at once.
func (s *session) dispatch(work context.Context, r *received) {
	runs := s.split(r.msgs)
	s.active.Add(int64(len(runs)))
	for i, run := range runs {
		select {
		case s.sem <- struct{}{}:
		case <-work.Done():
			var rest []*Message
			for _, run := range runs[i:] {
				rest = append(rest, run...)
			}
			r.release(rest, 0)
			if s.active.Add(-int64(len(runs)-i)) == 0 {
				s.del.flush()
			}
			return
		}
		s.start(r, run)
	}
}

// split makes the runs of a receive: on FIFO queues, each group's messages
// in order; on standard queues, each message alone, or the whole receive
// for a BatchHandler.
func (s *session) split(ms []*Message) [][]*Message {
	if !s.p.fifo {
		if s.p.batch != nil {
			return [][]*Message{ms}
		}
		runs := make([][]*Message, len(ms))
		for i := range ms {
			runs[i] = ms[i : i+1 : i+1]
		}
		return runs
	}
	// A receive has at most 10 messages: no map. The runs share one
	// array: each group's messages in receive order, the groups in the
	// order of their first message.
	var run [maxBatchEntries]int  // ms[i] is in runs[run[i]]
	var head [maxBatchEntries]int // runs[g] starts with ms[head[g]]
	if len(ms) > maxBatchEntries {
		return splitGroups(ms)
	}
	n := 0
	for i, m := range ms {
		g := 0
		for g < n && ms[head[g]].GroupID != m.GroupID {
			g++
		}
		if g == n {
			head[n] = i
			n++
		}
		run[i] = g
	}
	all := make([]*Message, 0, len(ms))
	runs := make([][]*Message, n)
	for g := range n {
		start := len(all)
		for i, m := range ms[head[g]:] {
			if run[head[g]+i] == g {
				all = append(all, m)
			}
		}
		runs[g] = all[start:len(all):len(all)]
	}
	return runs
}

// splitGroups is split for a FIFO receive of more than 10 messages, which
// SQS does not answer.
func splitGroups(ms []*Message) [][]*Message {
	var runs [][]*Message
	for _, m := range ms {
		i := 0
		for i < len(runs) && runs[i][0].GroupID != m.GroupID {
			i++
		}
		if i == len(runs) {
			runs = append(runs, nil)
		}
		runs[i] = append(runs[i], m)
	}
	return runs
}

// runJob is a run handed to a run worker.
type runJob struct {
	r    *received
	run  []*Message
	prev <-chan struct{} // closed when the group's previous run is done
	done chan struct{}   // closed when this run is done
}

// start hands one run to a run worker, after the group's previous run
// (which SQS hands out only once that one is deleted, unless a visibility
// timeout ran out). It is called holding a slot of s.sem, which the run
// gives back when it is done.
//
// Run workers live as long as the session, up to Concurrency of them,
// rather than a goroutine per run: a new goroutine grows its stack again
// for every run. A worker is started when none is waiting for a run and
// fewer than Concurrency are; otherwise one is free or about to be, since
// every busy worker holds a slot of s.sem and this run holds one too.
func (s *session) start(r *received, run []*Message) {
	j := runJob{r: r, run: run, done: make(chan struct{})}
	if s.p.fifo {
		g := run[0].GroupID
		s.mu.Lock()
		j.prev = s.groups[g]
		s.groups[g] = j.done
		s.mu.Unlock()
	}
	s.runs.Add(1)
	select {
	case s.jobs <- j:
		return
	default:
	}
	if s.workers.Add(1) <= int64(s.p.opts.Concurrency) {
		go s.work(j)
		return
	}
	s.workers.Add(-1)
	s.jobs <- j
}

// work is a run worker: it runs j, then each run handed to it, until
// Run closes s.jobs once its pollers have stopped.
func (s *session) work(j runJob) {
	for ok := true; ok; j, ok = <-s.jobs {
		s.runOne(j)
	}
}

func (s *session) runOne(j runJob) {
	defer s.runs.Done()
	defer func() { <-s.sem }()
	defer close(j.done)
	if j.prev != nil {
		<-j.prev
	}
	s.handle(j.r, j.run)
	if s.p.fifo {
		g := j.run[0].GroupID
		s.mu.Lock()
		if s.groups[g] == j.done {
			delete(s.groups, g)
		}
		s.mu.Unlock()
	}
}

// handle handles a run in order. A failure on a FIFO queue stops the run:
// the failed message and the rest are released together. Once work stops,
// no new message is started; the rest are released at once.
//
// The messages done are deleted when the run ends, in one call, or, when
// they do not fit the call being filled, in order: the later part only
// once the earlier part is gone. SQS would hand an earlier message of a
// group back after a later one if the later one were deleted first.
func (s *session) handle(r *received, run []*Message) {
	p := s.p
	done := make([]*Message, 0, len(run))
	var one [1]error // a Handler's error, without an allocation per message
	// The last run to finish sends the deletes gathered so far at once:
	// no other run is there to fill the call, and FIFO groups stay held
	// until their messages are deleted.
	defer func() { s.del.add(r, s.active.Add(-1) == 0, done...) }()
	for i := 0; i < len(run); {
		select {
		case <-s.stopping:
			r.release(run[i:], 0)
			return
		default:
		}
		m := run[i]
		if s.poisoned(run, i) {
			if err := s.deadLetter(m); err != nil {
				p.report("DeadLetter", m.ID, err)
				if s.failed(r, run, []int{i}) {
					return
				}
			} else {
				p.stats.deadLettered.Add(1)
				done = append(done, m)
			}
			i++
			continue
		}
		// The next stretch of messages within the receive count.
		j := i + 1
		if p.batch != nil {
			for j < len(run) && !s.poisoned(run, j) {
				j++
			}
		}
		errs := s.call(run[i:j], one[:])
		var bad []int
		for k, err := range errs {
			if err != nil {
				p.report(failedOp(err), run[i+k].ID, err)
				bad = append(bad, i+k)
			}
		}
		for k := i; k < j; k++ {
			if len(bad) > 0 && p.fifo && k >= bad[0] {
				break
			}
			if len(bad) == 0 || !contains(bad, k) {
				p.stats.handled.Add(1)
				done = append(done, run[k])
			}
		}
		if len(bad) > 0 && s.failed(r, run, bad) {
			return
		}
		i = j
	}
}

// poisoned reports whether run[i] goes to DeadLetter: received more than
// MaxReceiveCount times and, on a FIFO queue, first of its group in this
// receive. The messages behind a failing FIFO message are received (and
// counted) with it each time, so their counts say nothing about them.
func (s *session) poisoned(run []*Message, i int) bool {
	max := s.p.opts.MaxReceiveCount
	return max > 0 && run[i].ReceiveCount > max && (!s.p.fifo || i == 0)
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// failed releases failed messages with their backoff. On a FIFO queue the
// rest of the run from the first failure goes with it, and the run ends
// (it returns true).
func (s *session) failed(r *received, run []*Message, bad []int) bool {
	p := s.p
	p.stats.failed.Add(int64(len(bad)))
	back := func(m *Message) time.Duration {
		if p.opts.RetryBackoff == nil {
			return 0
		}
		return min(max(p.opts.RetryBackoff(m.ReceiveCount), 0), maxVisibility)
	}
	if p.fifo {
		r.release(run[bad[0]:], back(run[bad[0]]))
		return true
	}
	byDelay := map[time.Duration][]*Message{} // one call per distinct backoff
	var delays []time.Duration
	for _, k := range bad {
		d := back(run[k])
		if _, ok := byDelay[d]; !ok {
			delays = append(delays, d)
		}
		byDelay[d] = append(byDelay[d], run[k])
	}
	for _, d := range delays {
		r.release(byDelay[d], d)
	}
	return false
}

// call runs the handler over ms and returns one error per message; a
// Handler's goes in one.
func (s *session) call(ms []*Message, one []error) []error {
	if errs, ok := s.resolve(ms); !ok {
		return errs
	}
	if s.p.opts.Observer.Handle == nil {
		return s.callCtx(s.handlerCtx, ms, one)
	}
	ctx, done := s.p.opts.Observer.Handle(s.handlerCtx, HandleEvent{Queue: s.p.url, Messages: ms})
	errs := s.callCtx(ctx, ms, make([]error, 1)) // done may keep errs
	if done != nil {
		done(errs)
	}
	return errs
}

// deadLetter hands m to the DeadLetter handler.
func (s *session) deadLetter(m *Message) error {
	if s.p.opts.Observer.Handle == nil {
		return safeHandle(s.handlerCtx, s.p.opts.DeadLetter, m)
	}
	ms := []*Message{m}
	ctx, done := s.p.opts.Observer.Handle(s.handlerCtx, HandleEvent{Queue: s.p.url, Messages: ms, DeadLetter: true})
	err := safeHandle(ctx, s.p.opts.DeadLetter, m)
	if done != nil {
		done([]error{err})
	}
	return err
}

func (s *session) callCtx(ctx context.Context, ms []*Message, one []error) []error {
	if s.p.one != nil {
		one[0] = safeHandle(ctx, s.p.one, ms[0])
		return one
	}
	errs := safeBatch(ctx, s.p.batch, ms)
	switch {
	case errs == nil:
		return make([]error, len(ms))
	case len(errs) != len(ms):
		err := fmt.Errorf("sqsx: BatchHandler returned %d errors for %d messages; want none or one per message", len(errs), len(ms))
		errs = make([]error, len(ms))
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

func safeBatch(ctx context.Context, h BatchHandler, ms []*Message) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("sqsx: batch handler panicked: %v", r)
			errs = make([]error, len(ms))
			for i := range errs {
				errs[i] = err
			}
		}
	}()
	return h(ctx, ms)
}

func safeHandle(ctx context.Context, h Handler, m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqsx: handler panicked: %v", r)
		}
	}()
	return h(ctx, m)
}
