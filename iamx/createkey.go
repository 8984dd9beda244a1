package iamx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// cleanupTimeout bounds the calls that delete a key whose secret nobody
// holds; they run even when the caller's context has ended.
const cleanupTimeout = 10 * time.Second

// cleanupContext is the context those calls run in: ctx's values, but not
// its cancellation, and at most cleanupTimeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// errNoKeyInAnswer stands for a CreateAccessKey answer that carries no key:
// IAM may have made one all the same.
var errNoKeyInAnswer = errors.New("CreateAccessKey answered without a key")

// createOnce is the per-call option CreateAccessKey is sent with. IAM's
// CreateAccessKey is not idempotent: a retry after an answer was lost
// makes a second key (or meets the two-key limit), and the first key's
// secret is gone with the lost answer. So the client's own retryer keeps
// its backoff and attempt limit but may retry only errors that say IAM did
// not act on the request.
func createOnce(o *iam.Options) {
	if o.Retryer == nil {
		o.Retryer = aws.NopRetryer{}
		return
	}
	o.Retryer = unactedOnly{o.Retryer}
}

// unactedOnly is a retryer that retries what its inner retryer would,
// provided the error says the request was not acted on.
type unactedOnly struct{ aws.Retryer }

// IsErrorRetryable narrows the inner retryer's answer to errors that say
// IAM did not act.
func (r unactedOnly) IsErrorRetryable(err error) bool {
	return notActedOn(err) && r.Retryer.IsErrorRetryable(err)
}

// GetAttemptToken forwards to the inner retryer, as the SDK's retry
// middleware would call it.
func (r unactedOnly) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.Retryer.GetInitialToken(), nil
}

var _ aws.RetryerV2 = unactedOnly{}

// notActedOn reports whether err says for certain that the request was not
// acted on: IAM throttled it (refused before doing anything), or the
// connection to send it on was never made.
func notActedOn(err error) bool {
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// mayHaveActed reports whether a failed CreateAccessKey may still have made
// a key. Only two kinds of failure rule that out: an error answer from IAM
// other than a server fault (it refused the request: throttling, the key
// limit, an unknown user, access denied), and a request that was never
// sent. A broken connection, a timeout, an ended context, a 5xx answer, an
// answer that could not be read or that carries no key all leave it open.
func mayHaveActed(err error) bool {
	if errors.Is(err, errNoKeyInAnswer) {
		return true
	}
	if notActedOn(err) {
		return false
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() != 0 {
		return status.HTTPStatusCode() >= 500
	}
	return api.ErrorFault() == smithy.FaultServer
}

// createKey makes the new key for RotateAccessKey. before are the user's
// keys just before the call. On failure it returns the complete error,
// after deleting a key the call made whose answer was lost (and setting
// res.LostKeyID to it).
func createKey(ctx context.Context, client IAMAPI, user string, before []iamtypes.AccessKeyMetadata, o RotateOptions, res *RotateResult) (*iamtypes.AccessKey, error) {
	out, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}, createOnce)
	if err == nil && (out == nil || out.AccessKey == nil || aws.ToString(out.AccessKey.AccessKeyId) == "") {
		err = errNoKeyInAnswer
	}
	if err == nil {
		return out.AccessKey, nil
	}
	old := oldKeyUntouched(res.RetiredKeyID)
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "LimitExceeded" {
		return nil, limitExceeded(ctx, client, user, before, o, err, old)
	}
	if !mayHaveActed(err) {
		return nil, fmt.Errorf("%w: create a key for %s: %w; IAM made none; %s", ErrRotate, user, err, old)
	}

	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	head := "CreateAccessKey for " + user + " failed without saying whether IAM made a key"
	stray := strayKeys(user, before)
	list, lerr := client.ListAccessKeys(cctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if lerr != nil {
		return nil, fmt.Errorf("%w: %s (%w), and listing the keys to find out failed (%w): %s was made by this call and nobody holds its secret, so delete it; %s",
			ErrRotate, head, err, lerr, stray, old)
	}
	var fresh []string
	for _, k := range list.AccessKeyMetadata {
		if !hasKey(before, aws.ToString(k.AccessKeyId)) {
			fresh = append(fresh, aws.ToString(k.AccessKeyId))
		}
	}
	switch len(fresh) {
	case 0:
		return nil, fmt.Errorf("%w: %s (%w); IAM lists no key made by it, but IAM is eventually consistent: if %s shows up later, nobody holds its secret, so delete it; %s",
			ErrRotate, head, err, stray, old)
	case 1:
		res.LostKeyID = fresh[0]
		if derr := deleteKey(cctx, client, user, fresh[0]); derr != nil {
			return nil, fmt.Errorf("%w: %s (%w); it had made %s, whose secret was lost with the answer, and deleting that key failed (%w): delete it yourself; %s",
				ErrRotate, head, err, fresh[0], derr, old)
		}
		return nil, fmt.Errorf("%w: %s (%w); it had made %s, whose secret was lost with the answer, so that key was deleted; %s",
			ErrRotate, head, err, fresh[0], old)
	default:
		return nil, fmt.Errorf("%w: %s (%w); %s now also has keys %s, more than one request makes, so none was deleted: delete those whose secret nobody holds; %s",
			ErrRotate, head, err, user, strings.Join(fresh, ", "), old)
	}
}

// limitExceeded is the error for a CreateAccessKey that met IAM's limit of
// two keys although the user had fewer when the rotation listed them: it
// lists the keys the user has now and says which to delete.
func limitExceeded(ctx context.Context, client IAMAPI, user string, before []iamtypes.AccessKeyMetadata, o RotateOptions, err error, old string) error {
	list, lerr := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if lerr != nil {
		return fmt.Errorf("%w: create a key for %s: %w: keys were made since the rotation found %s, and listing them to say which failed (%w); delete the one no longer in use yourself, then rotate again; %s",
			ErrRotate, user, err, keyIDs(before), lerr, old)
	}
	keys := list.AccessKeyMetadata
	if len(keys) < 2 {
		return fmt.Errorf("%w: create a key for %s: %w, though IAM lists only %s for it (IAM is eventually consistent, so a key made meanwhile may not show yet): list its keys again and delete the one no longer in use yourself, then rotate again; %s",
			ErrRotate, user, err, keyIDs(keys), old)
	}
	return fmt.Errorf("%w: create a key for %s: %w: it has %d keys now, IAM's limit: %s; %s; %s",
		ErrRotate, user, err, len(keys), describeKeys(keys, before), limitHint(keys, o.DeleteInactive, true), old)
}

// describeKeys lists keys as "ID (Status)", marking those not in before.
func describeKeys(keys, before []iamtypes.AccessKeyMetadata) string {
	var s []string
	for _, k := range keys {
		id := aws.ToString(k.AccessKeyId)
		if !hasKey(before, id) {
			s = append(s, fmt.Sprintf("%s (%s, made since the rotation listed the keys)", id, k.Status))
			continue
		}
		s = append(s, fmt.Sprintf("%s (%s)", id, k.Status))
	}
	return strings.Join(s, ", ")
}

// limitHint says which key to delete when a user is at the limit.
func limitHint(keys []iamtypes.AccessKeyMetadata, deleteInactive, again bool) string {
	for _, k := range keys {
		if k.Status != iamtypes.StatusTypeInactive {
			continue
		}
		switch {
		case !deleteInactive:
			return "set DeleteInactive to delete the inactive one first, or delete one yourself"
		case again:
			return "rotate again to delete the inactive one first"
		}
	}
	return "both are active, so delete the one no longer in use yourself"
}

func hasKey(keys []iamtypes.AccessKeyMetadata, id string) bool {
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == id {
			return true
		}
	}
	return false
}

// strayKeys names the keys of user that a lost CreateAccessKey may have
// made: those not in before.
func strayKeys(user string, before []iamtypes.AccessKeyMetadata) string {
	if len(before) == 0 {
		return "any key of " + user
	}
	return "any key of " + user + " other than " + keyIDs(before)
}

// keyIDs lists the keys' IDs, or says there were none.
func keyIDs(keys []iamtypes.AccessKeyMetadata) string {
	if len(keys) == 0 {
		return "no key"
	}
	var s []string
	for _, k := range keys {
		s = append(s, aws.ToString(k.AccessKeyId))
	}
	return strings.Join(s, ", ")
}

// oldKeyUntouched says the old key is untouched, or that there is none.
func oldKeyUntouched(id string) string {
	if id == "" {
		return "there was no old key"
	}
	return "the old key " + id + " is untouched"
}
