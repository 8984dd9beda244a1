package sqsx

import (
	"context"
	"errors"
	"strconv"

	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	mrand "math/rand/v2"
	"strings"
	"time"
)

// backoffFor is capped exponential backoff with jitter over the upper half.
func backoffFor(attempt int, base, ceiling time.Duration) time.Duration {
	d := base << min(attempt-1, 20)
	if d > ceiling || d <= 0 {
		d = ceiling
	}
	return d/2 + mrand.N(d/2+1)
}

// sleep waits d on clk, or until ctx ends.
func sleep(ctx context.Context, clk Clock, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clk.After(d):
		return nil
	}
}

// newEntryError is SQS's answer for a failed batch entry.
func newEntryError(f types.BatchResultErrorEntry) *EntryError {
	return &EntryError{Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
}

// errNoAnswer is the error of an entry SQS named neither successful nor
// failed.
var errNoAnswer = errors.New("sqsx: SQS reported neither success nor failure for the entry")

// batchTries bounds the calls retryBatch makes for one entry.
const batchTries = 5

// batchAnswer is SQS's answer to one batch call: the entry IDs that
// succeeded and the entries that failed.
type batchAnswer struct {
	ok     []string
	failed []types.BatchResultErrorEntry
}

// retryBatch makes a batch call for up to 10 items, whose entry IDs are
// their indexes ("0" to "9"), and calls again for the entries (or the whole
// call) that may succeed later, up to batchTries calls with backoff on clk.
// retry says whether an error may go away: an *EntryError for an entry,
// anything else for a failed call. Every item ends in exactly one of ok or
// fail; fail gets every item of a failed call at once. Once ctx ends no
// call is made: the items not yet answered go to fail with an error that
// wraps ctx's cause (and the error of a call cut off under way).
func retryBatch[T any](ctx context.Context, clk Clock, items []T,
	call func(ctx context.Context, items []T) (batchAnswer, error),
	retry func(err error) bool, ok func(T), fail func(items []T, err error)) {
	pause := func(try int) { _ = sleep(ctx, clk, backoffFor(try, 50*time.Millisecond, 2*time.Second)) }
	for try := 1; len(items) > 0; try++ {
		if ctx.Err() != nil {
			fail(items, cutOff(ctx, nil))
			return
		}
		ans, err := call(ctx, items)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				fail(items, cutOff(ctx, err))
				return
			case try >= batchTries || !retry(err):
				fail(items, err)
				return
			}
			pause(try)
			continue
		}
		answered := make([]bool, len(items))
		for _, id := range ans.ok {
			if i, err := strconv.Atoi(id); err == nil && i >= 0 && i < len(items) && !answered[i] {
				answered[i] = true
				ok(items[i])
			}
		}
		var again []T
		for _, f := range ans.failed {
			i, err := strconv.Atoi(aws.ToString(f.Id))
			if err != nil || i < 0 || i >= len(items) || answered[i] {
				continue
			}
			answered[i] = true
			if ee := newEntryError(f); try < batchTries && retry(ee) { // a retry after ctx ended is cut off
				again = append(again, items[i])
			} else {
				fail(items[i:i+1], ee)
			}
		}
		for i, a := range answered {
			if !a {
				fail(items[i:i+1], errNoAnswer)
			}
		}
		items = again
		if len(items) > 0 {
			pause(try)
		}
	}
}

// EntryError is SQS's answer for one failed batch entry.
type EntryError struct {
	Code        string
	Message     string
	SenderFault bool
}

// Error says SQS's code and message.
func (e *EntryError) Error() string {
	return fmt.Sprintf("sqsx: SQS refused the message: %s: %s", e.Code, e.Message)
}

// retryable reports whether SQS says the entry failed through no fault of
// the sender, or was throttled.
func (e *EntryError) retryable() bool {
	return !e.SenderFault || strings.Contains(e.Code, "Throttl") // ThrottlingException, RequestThrottled, ...
}

// expired reports whether SQS refused a receipt handle as no longer valid.
func expired(e *EntryError) bool {
	return e.Code == "ReceiptHandleIsInvalid" || strings.HasSuffix(e.Code, "MessageNotInflight") || e.Code == "InvalidParameterValue" && strings.Contains(e.Message, "receipt handle")
}
