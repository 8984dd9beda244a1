package sqsx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// deleteWait is how long a handled message waits for others to share its
// DeleteMessageBatch call; ten waiting go at once. A FIFO group stays held
// until its messages are deleted, so the wait is short: at 20 ms, runs of
// uneven length left calls part-filled and groups held, and the Processor
// with no-op handlers at Concurrency 4 fell to ~2,000 msgs/s on sqstest.
const deleteWait = 2 * time.Millisecond

// deleteCalls is how many DeleteMessageBatch calls a Processor makes at
// once.
const deleteCalls = 4

// deleter batches the deletes of handled messages. Its calls count in the
// session's calls, which Run waits for.
//
// The calls are made by up to deleteCalls workers that live as long as
// the session, not by a goroutine per call: a new goroutine grows its
// stack again for every call (an SDK client's middleware runs deep), which
// cost the Processor more CPU per message than any other part of it.
type deleter struct {
	s *session

	mu      sync.Mutex
	buf     []delItem
	timer   *time.Timer
	closed  bool
	queue   [][]delItem // calls begun (counted in s.calls), not yet taken by a worker
	workers int         // workers started
	idle    int         // workers waiting for a call
	wake    *sync.Cond  // on mu: a call is queued, or the workers stop
	stop    bool        // the workers end once the queue is empty
	ended   sync.WaitGroup
}

type delItem struct {
	r  *received
	m  *Message
	sp *split // set on the first part of a run that did not fit one call
}

// split holds the rest of a run whose first part is in a call: it follows
// once that part is deleted, so a later message of a FIFO group is never
// deleted before an earlier one.
type split struct {
	r    *received
	then []*Message
	err  error // why the first part was not deleted, if it was not
}

func newDeleter(s *session) *deleter {
	d := &deleter{s: s}
	d.wake = sync.NewCond(&d.mu)
	return d
}

// add queues ms, the handled messages of one run, for deletion; idle
// sends what is queued at once instead of waiting for more.
func (d *deleter) add(r *received, idle bool, ms ...*Message) {
	d.enqueue(r, ms, false)
	if idle {
		d.flush()
	}
}

func (d *deleter) enqueue(r *received, ms []*Message, rest bool) {
	if len(ms) == 0 {
		return
	}
	d.mu.Lock()
	if d.closed {
		if rest { // the rest of a run already being deleted: finish it
			items := make([]delItem, len(ms))
			for i, m := range ms {
				items[i] = delItem{r: r, m: m}
			}
			d.send(items)
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		// A handler that outlived ShutdownTimeout.
		r.letGo(ms...)
		d.s.abandon("DeleteMessageBatch", "handled after the drain ended: delete", ms, errDrainOver)
		return
	}
	var full []delItem
	if d.buf == nil {
		d.buf = make([]delItem, 0, maxBatchEntries)
	}
	if room := maxBatchEntries - len(d.buf); len(ms) > room {
		sp := &split{r: r, then: ms[room:]}
		for _, m := range ms[:room] {
			d.buf = append(d.buf, delItem{r: r, m: m, sp: sp})
		}
	} else {
		for _, m := range ms {
			d.buf = append(d.buf, delItem{r: r, m: m})
		}
	}
	switch {
	case len(d.buf) == maxBatchEntries:
		full, d.buf = d.buf, nil
		if d.timer != nil {
			d.timer.Stop()
		}
	case len(d.buf) == len(ms):
		if d.timer == nil {
			d.timer = time.AfterFunc(deleteWait, d.flush)
		} else {
			d.timer.Reset(deleteWait)
		}
	}
	if full != nil {
		d.send(full)
	}
	d.mu.Unlock()
}

func (d *deleter) flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.buf) > 0 && !d.closed {
		d.send(d.buf)
		d.buf = nil
	}
}

// close sends what is queued; later deletes are refused, but for the rest
// of a run being deleted. The session's calls count them all.
func (d *deleter) close() {
	d.mu.Lock()
	d.closed = true
	items := d.buf
	d.buf = nil
	if d.timer != nil {
		d.timer.Stop()
	}
	for start := 0; start < len(items); start += maxBatchEntries {
		d.send(items[start:min(start+maxBatchEntries, len(items))])
	}
	d.mu.Unlock()
}

// send deletes up to 10 messages on a worker, retrying what may succeed
// later. It is called with d.mu held, so that Run cannot stop waiting for
// calls between the check of d.closed and the count.
func (d *deleter) send(items []delItem) {
	if !d.s.calls.begin() {
		// Run has stopped waiting: only after close, where every send
		// comes from a call under way, so this does not happen.
		go func() {
			d.cutOff(items, errDrainOver)
			d.rest(items)
		}()
		return
	}
	d.queue = append(d.queue, items)
	switch {
	case d.idle > 0:
		d.wake.Signal()
	case d.workers < deleteCalls:
		d.workers++
		d.ended.Add(1)
		go d.work()
	}
}

// work makes the calls queued, oldest first, until the deleter stops.
func (d *deleter) work() {
	defer d.ended.Done()
	d.mu.Lock()
	for {
		for len(d.queue) == 0 {
			if d.stop {
				d.mu.Unlock()
				return
			}
			d.idle++
			d.wake.Wait()
			d.idle--
		}
		items := d.queue[0]
		d.queue[0] = nil
		d.queue = d.queue[1:]
		d.mu.Unlock()
		d.call(items)
		d.mu.Lock()
	}
}

// end stops the workers once Run has seen every call end, and waits for
// them.
func (d *deleter) end() {
	d.mu.Lock()
	d.stop = true
	d.wake.Broadcast()
	d.mu.Unlock()
	d.ended.Wait()
}

// call deletes items, up to 10 messages, retrying what may succeed later,
// then follows up the split runs among them; it ends a call of the
// session's calls.
func (d *deleter) call(items []delItem) {
	defer d.s.calls.end()
	defer d.rest(items)
	s := d.s
	p := s.p
	call := func(ctx context.Context, items []delItem) (batchAnswer, error) {
		in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.url), Entries: make([]types.DeleteMessageBatchRequestEntry, len(items))}
		strs := make([]string, 2*len(items)) // the entries' IDs and handles, in one allocation
		for i, it := range items {
			strs[2*i], strs[2*i+1] = strconv.Itoa(i), it.m.ReceiptHandle
			in.Entries[i] = types.DeleteMessageBatchRequestEntry{Id: &strs[2*i], ReceiptHandle: &strs[2*i+1]}
		}
		p.count("DeleteMessageBatch")
		var start time.Time
		if p.opts.Observer.Call != nil {
			start = time.Now()
		}
		out, err := p.client.DeleteMessageBatch(ctx, in)
		if p.opts.Observer.Call != nil {
			p.opts.Observer.observeDelete(ctx, p.url, start, items, out, err)
		}
		if err != nil {
			return batchAnswer{}, err
		}
		ans := batchAnswer{failed: out.Failed, ok: make([]string, 0, len(out.Successful))}
		for _, e := range out.Successful {
			ans.ok = append(ans.ok, aws.ToString(e.Id))
		}
		return ans, nil
	}
	retry := func(err error) bool {
		var ee *EntryError
		if errors.As(err, &ee) {
			return ee.retryable() && !expired(ee)
		}
		return true // a lost answer is safe to repeat: deleting twice succeeds
	}
	ok := func(it delItem) {
		p.stats.deleted.Add(1)
		it.r.letGo(it.m)
		s.deletePayload(it.m)
	}
	fail := func(items []delItem, err error) {
		if errors.Is(err, ErrShutdownTimeout) {
			d.cutOff(items, err)
			return
		}
		var ee *EntryError
		for _, it := range items {
			if errors.As(err, &ee) && expired(ee) {
				p.report("DeleteMessageBatch", it.m.ID, fmt.Errorf("%w: %w", ErrReceiptHandleExpired, ee))
			} else {
				p.report("DeleteMessageBatch", it.m.ID, fmt.Errorf("not deleted, so it will be handled again: %w", err))
			}
			it.r.letGo(it.m)
			if it.sp != nil {
				it.sp.err = err
			}
		}
	}
	retryBatch(s.apiCtx, p.opts.Clock, items, call, retry, ok, fail)
}

// rest follows up the split runs whose first part is in items, once that
// part is done: their rest is deleted if it was, or else let go.
func (d *deleter) rest(items []delItem) {
	p := d.s.p
	done := map[*split]bool{}
	for _, it := range items {
		sp := it.sp
		if sp == nil || done[sp] {
			continue
		}
		done[sp] = true
		switch {
		case sp.err == nil:
			d.enqueue(sp.r, sp.then, true)
		case errors.Is(sp.err, ErrShutdownTimeout):
			sp.r.letGo(sp.then...)
			d.s.abandon("DeleteMessageBatch", "delete (after an earlier message of its run)", sp.then, sp.err)
		default:
			for _, m := range sp.then {
				p.report("DeleteMessageBatch", m.ID, errors.New("not deleted because an earlier message of its run was not; it will be handled again, after that one"))
			}
			sp.r.letGo(sp.then...)
		}
	}
}

// cutOff reports items whose delete the end of the drain cut off, and the
// messages the first part of a split run holds back.
func (d *deleter) cutOff(items []delItem, err error) {
	ms := make([]*Message, len(items))
	for i, it := range items {
		ms[i] = it.m
		it.r.letGo(it.m)
		if it.sp != nil {
			it.sp.err = err
		}
	}
	d.s.abandon("DeleteMessageBatch", "delete", ms, err)
}
