package sqsx

import "time"

// Clock is the time a Processor keeps for its heartbeats, its retry
// backoff and SQS's 12-hour visibility limit; tests pass a fake one
// (*sqstest.Clock is one) to run those on fake time. ShutdownTimeout and
// the brief wait that gathers deletes into one call run on real time. A
// fake clock must be advanced for retries of failed calls to go on.
type Clock interface {
	Now() time.Time
	// After sends the time on the returned channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

// realClock is the system's time.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
