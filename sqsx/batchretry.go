package sqsx

import (
	"context"
	"fmt"
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

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
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
