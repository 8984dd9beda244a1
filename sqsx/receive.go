package sqsx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// fatal reports whether a receive error will not go away by retrying.
func fatal(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "AccessDenied", "AccessDeniedException",
		"InvalidAddress", "InvalidSecurity", "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
		"InvalidParameterValue", "UnsupportedOperation", "KmsAccessDenied", "KmsDisabled", "KmsNotFound":
		return true
	}
	return false
}

// transport reports whether err is a failure to reach SQS or to hear its
// answer, as opposed to an answer.
func transport(err error) bool {
	var api smithy.APIError
	return !errors.As(err, &api) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// attemptIDs makes ReceiveRequestAttemptIds: a random prefix, read once,
// and a count. They only need to differ from one another; reading the
// system's randomness for each receive cost a system call per receive.
type attemptIDs struct {
	prefix string
	n      uint64
}

func (a *attemptIDs) next() string {
	if a.prefix == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		a.prefix = hex.EncodeToString(b) + "-"
	}
	a.n++
	return a.prefix + strconv.FormatUint(a.n, 10)
}

// poll is one receive loop. It returns a fatal receive error, or nil when
// work stops.
func (s *session) poll(work context.Context, deadline <-chan struct{}) error {
	p := s.p
	// A FIFO receive's ReceiveRequestAttemptId. After a transport error SQS
	// may have taken messages for it unheard: the retry reuses the ID, and
	// SQS hands them over again. After throttling (SQS did not act) the
	// next receive gets a new ID, unless an earlier try of this ID may have
	// acted: a new ID would leave its messages hidden for a visibility
	// timeout.
	attempt, unsure := "", false
	var ids attemptIDs
	failures := 0
	// A long poll under way when work stops is abandoned, or with
	// FinishPollOnShutdown let finish, bounded by the drain (see
	// ProcessorOptions). One context serves every receive of the loop.
	rctx, cancel := context.WithCancel(s.apiCtx)
	defer cancel()
	stopRecv := context.AfterFunc(work, func() {
		if p.opts.FinishPollOnShutdown {
			select {
			case <-deadline:
			case <-rctx.Done():
				return
			}
		}
		cancel()
	})
	defer stopRecv()
	for work.Err() == nil {
		in := &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.url),
			MaxNumberOfMessages:         int32(p.opts.MaxMessages),
			WaitTimeSeconds:             int32(p.opts.WaitTime / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		}
		if p.opts.VisibilityTimeout > 0 {
			in.VisibilityTimeout = int32(p.opts.VisibilityTimeout / time.Second)
		}
		if p.fifo {
			if attempt == "" {
				attempt = ids.next()
			}
			in.ReceiveRequestAttemptId = aws.String(attempt)
		}
		p.count("ReceiveMessage")
		var start time.Time
		if p.opts.Observer.Call != nil {
			start = time.Now()
		}
		out, err := p.client.ReceiveMessage(rctx, in)
		if err != nil && p.opts.Observer.Call != nil && (work.Err() == nil || fatal(err)) { // not a poll abandoned at shutdown
			p.opts.Observer.observeCall(s.apiCtx, OpReceive, p.url, start, nil, nil, err)
		}
		if err != nil {
			if fatal(err) {
				return fmt.Errorf("sqsx: ReceiveMessage: %w", err)
			}
			if work.Err() != nil {
				return nil
			}
			p.report("ReceiveMessage", "", err)
			if transport(err) {
				unsure = true
			} else if !unsure {
				attempt = ""
			}
			failures++
			if sleep(work, p.opts.Clock, backoffFor(failures, 100*time.Millisecond, 5*time.Second)) != nil {
				return nil
			}
			continue
		}
		failures, attempt, unsure = 0, "", false
		if len(out.Messages) == 0 {
			if p.opts.Observer.Call != nil {
				p.opts.Observer.observeCall(s.apiCtx, OpReceive, p.url, start, nil, nil, nil)
			}
			continue
		}
		r := newReceived(s, out.Messages)
		if p.opts.Observer.Call != nil {
			p.opts.Observer.observeCall(s.apiCtx, OpReceive, p.url, start, r.msgs, nil, nil)
		}
		s.dispatch(work, r)
	}
	return nil
}
