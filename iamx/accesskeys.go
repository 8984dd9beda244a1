package iamx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/internal/opts"
)

// IAMAPI is the part of the IAM client RotateAccessKey calls.
type IAMAPI interface {
	ListAccessKeys(ctx context.Context, params *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	CreateAccessKey(ctx context.Context, params *iam.CreateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	UpdateAccessKey(ctx context.Context, params *iam.UpdateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	DeleteAccessKey(ctx context.Context, params *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
}

// CallerIdentityAPI is the STS call RotateAccessKey makes with the new key
// to see that it works.
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// RotateOptions adjust RotateAccessKey. The zero value of each field is its
// default; a nil option func is skipped.
type RotateOptions struct {
	// DeleteInactive lets a rotation of a user at IAM's two-key limit
	// delete the user's inactive key first. Without it, two keys is an
	// error; with it, two active keys still are.
	DeleteInactive bool
	// Profile is the Name of the profile handed to store; empty means the
	// user name.
	Profile string
	// Region is the Region of the profile handed to store; optional.
	Region string
	// NewSTS builds the client that checks the new key, signed with that
	// key alone. When nil, it is derived from client, never guessed:
	//   - for an *iam.Client, an STS client with the IAM client's Region,
	//     BaseEndpoint, HTTPClient and AppID (so a client pointed at an
	//     emulator checks the key there too);
	//   - for a client with a ClientFor(aws.Credentials) CallerIdentityAPI
	//     method, such as iamtest.Fake, that method;
	//   - for any other client, RotateAccessKey returns an error before it
	//     calls IAM at all.
	NewSTS func(aws.Credentials) CallerIdentityAPI
	// Wait bounds how long to wait for the new key to work while IAM
	// propagates it; zero means 2 minutes. Poll is the pause between
	// tries; zero means 2 seconds. Neither may be negative, and Poll may
	// not exceed Wait. The wait ends when Clock has passed Wait or after
	// 1 + Wait/Poll calls, whichever comes first. An error from the wait
	// says how many calls were made over how long, and why it stopped.
	Wait, Poll time.Duration
	// Clock is the time source the wait is measured by; nil means
	// time.Now. The pauses between tries are real time.
	Clock func() time.Time
}

// Defaults of RotateOptions.
const (
	DefaultRotateWait = 2 * time.Minute
	DefaultRotatePoll = 2 * time.Second
)

// RotateResult says what RotateAccessKey did. It holds key IDs only; the
// new secret went to store and nowhere else.
type RotateResult struct {
	NewKeyID     string
	RetiredKeyID string // the key deactivated and deleted; "" if the user had none
	DeletedKeyID string // the inactive key deleted first under DeleteInactive
	// LostKeyID is a key a failed CreateAccessKey had made after all: its
	// answer, and with it the key's secret, was lost, so RotateAccessKey
	// deleted the key again (the error says whether that worked).
	LostKeyID string
}

// ErrRotate is wrapped by every RotateAccessKey error. The message says
// which keys exist and which work, so the user knows where they stand.
var ErrRotate = errors.New("iamx: access key rotation")

// RotateAccessKey replaces user's access key:
//
//  1. it lists the keys; at IAM's limit of two it refuses, unless
//     DeleteInactive is set and one of them is inactive, which it deletes;
//  2. it creates a key and hands it to store (for example a
//     credentials.Dir's Put); if store fails, it deletes the new key again;
//  3. it calls STS GetCallerIdentity with the new key until it works,
//     retrying while IAM propagates it, up to Wait;
//  4. it deactivates the old key, then deletes it.
//
// The old key is never touched before the new one is stored and working;
// a failure after that leaves the new key in place and says what remains.
//
// IAM's CreateAccessKey is not idempotent, and the secret of a new key is
// in its answer only: a request repeated after its answer was lost makes a
// second key, or meets the two-key limit, and the first key lives on with a
// secret nobody holds. So CreateAccessKey is sent with a per-call option
// that lets the client's retryer (an *iam.Client's, or any client's that
// applies its optFns) repeat it only after an error saying IAM did not act
// on it: throttling, or a connection that was never made. Then:
//   - an error answer from IAM (other than a 5xx) means no key was made;
//     for LimitExceeded, met because keys were made since step 1, the
//     error lists the user's keys now and says which to delete;
//   - any other failure (a broken connection, a timeout, ctx ending, a 5xx
//     answer, an answer without a key) leaves open whether IAM made a key.
//     RotateAccessKey then lists the user's keys: one that was not there in
//     step 1 was made by this call, and since its secret was lost, it is
//     deleted and named in [RotateResult.LostKeyID]. The error says what
//     happened, what was deleted, and what to check by hand when the list
//     fails, shows no new key (IAM is eventually consistent, so it may
//     appear later) or shows more than one (then none is deleted).
//
// Deleting a key whose secret nobody holds, here or after store fails, is
// done even when ctx has ended, taking at most 10 s more. RotateAccessKey
// assumes nothing else changes user's keys while it runs: a key another
// caller makes meanwhile can be taken for one a lost answer made.
func RotateAccessKey(ctx context.Context, client IAMAPI, user string, store func(credentials.Profile) error, optFns ...func(*RotateOptions)) (RotateResult, error) {
	var o RotateOptions
	opts.Apply(&o, optFns)
	var res RotateResult
	if user == "" || store == nil {
		return res, fmt.Errorf("%w: needs a user name and a store function", ErrRotate)
	}
	if o.Profile == "" {
		o.Profile = user
	}
	if o.Wait == 0 {
		o.Wait = DefaultRotateWait
	}
	if o.Poll == 0 {
		o.Poll = DefaultRotatePoll
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Wait < 0 || o.Poll < 0 || o.Poll > o.Wait {
		return res, fmt.Errorf("%w: Wait %s and Poll %s: neither may be negative (0 means the defaults, %s and %s) and Poll may not exceed Wait; nothing was changed",
			ErrRotate, o.Wait, o.Poll, DefaultRotateWait, DefaultRotatePoll)
	}
	if o.NewSTS == nil {
		o.NewSTS = stsFor(client)
		if o.NewSTS == nil {
			return res, fmt.Errorf("%w: set RotateOptions.NewSTS: the new key cannot be checked against STS, because a %T is neither an *iam.Client nor has a ClientFor method to derive one from; nothing was changed", ErrRotate, client)
		}
	}
	list, err := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return res, fmt.Errorf("%w: list keys of %s: %w", ErrRotate, user, err)
	}
	keys := list.AccessKeyMetadata
	if len(keys) >= 2 {
		var inactive []iamtypes.AccessKeyMetadata
		for _, k := range keys {
			if k.Status == iamtypes.StatusTypeInactive {
				inactive = append(inactive, k)
			}
		}
		if !o.DeleteInactive || len(inactive) == 0 {
			return res, fmt.Errorf("%w: %s has %d keys, IAM's limit: %s; %s", ErrRotate, user, len(keys), describeKeys(keys, keys), limitHint(keys, o.DeleteInactive, false))
		}
		victim := aws.ToString(inactive[0].AccessKeyId)
		if err := deleteKey(ctx, client, user, victim); err != nil {
			return res, fmt.Errorf("%w: delete inactive key %s of %s: %w", ErrRotate, victim, user, err)
		}
		res.DeletedKeyID = victim
		var rest []iamtypes.AccessKeyMetadata
		for _, k := range keys {
			if aws.ToString(k.AccessKeyId) != victim {
				rest = append(rest, k)
			}
		}
		keys = rest
	}
	if len(keys) == 1 {
		res.RetiredKeyID = aws.ToString(keys[0].AccessKeyId)
	}

	created, err := createKey(ctx, client, user, keys, o, &res)
	if err != nil {
		return res, err
	}
	res.NewKeyID = aws.ToString(created.AccessKeyId)
	p, err := credentials.FromAccessKey(created)
	if err == nil {
		p.Name, p.Region = o.Profile, o.Region
		err = store(p)
	}
	if err != nil {
		cctx, cancel := cleanupContext(ctx)
		derr := deleteKey(cctx, client, user, res.NewKeyID)
		cancel()
		if derr != nil {
			return res, fmt.Errorf("%w: storing the new key %s failed (%w) and deleting it again failed too (%v); delete it by hand; the old key %s is untouched", ErrRotate, res.NewKeyID, err, derr, orNone(res.RetiredKeyID))
		}
		res.NewKeyID = ""
		return res, fmt.Errorf("%w: storing the new key failed, so it was deleted again: %w; the old key %s is untouched", ErrRotate, err, orNone(res.RetiredKeyID))
	}

	if err := waitWorks(ctx, o, p.Credentials()); err != nil {
		return res, fmt.Errorf("%w: the new key %s is stored, but %w; the old key %s is still active", ErrRotate, res.NewKeyID, err, orNone(res.RetiredKeyID))
	}
	if res.RetiredKeyID == "" {
		return res, nil
	}
	if _, err := client.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(res.RetiredKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
		return res, fmt.Errorf("%w: the new key %s works, but deactivating the old key %s failed: %w; it is still active", ErrRotate, res.NewKeyID, res.RetiredKeyID, err)
	}
	if err := deleteKey(ctx, client, user, res.RetiredKeyID); err != nil {
		return res, fmt.Errorf("%w: the new key %s works and the old key %s is inactive, but deleting it failed: %w", ErrRotate, res.NewKeyID, res.RetiredKeyID, err)
	}
	return res, nil
}

// deleteKey deletes a key. A NoSuchEntity answer, which a retried delete
// gets when its first attempt succeeded, counts as deleted only once the
// key is confirmed absent from the user's list.
func deleteKey(ctx context.Context, client IAMAPI, user, id string) error {
	_, err := client.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)})
	var api smithy.APIError
	if err == nil || !errors.As(err, &api) || api.ErrorCode() != "NoSuchEntity" {
		return err
	}
	list, lerr := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if lerr != nil {
		return err
	}
	for _, k := range list.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == id {
			return err
		}
	}
	return nil
}

func orNone(id string) string {
	if id == "" {
		return "(none)"
	}
	return id
}

// stsFor derives the key-checking client from the IAM client, or returns
// nil when it cannot.
func stsFor(client IAMAPI) func(aws.Credentials) CallerIdentityAPI {
	switch c := client.(type) {
	case *iam.Client:
		io := c.Options()
		return func(k aws.Credentials) CallerIdentityAPI {
			return sts.New(sts.Options{Region: io.Region, BaseEndpoint: io.BaseEndpoint, HTTPClient: io.HTTPClient, AppID: io.AppID,
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return k, nil })})
		}
	case interface {
		ClientFor(aws.Credentials) CallerIdentityAPI
	}:
		return c.ClientFor
	}
	return nil
}

// waitWorks calls GetCallerIdentity with the new key until it answers,
// retrying the errors IAM's propagation delay causes. Its error says how
// many calls were made over how long, and whether it gave up because the
// error is not one propagation explains, because Wait ran out, or because
// ctx ended.
func waitWorks(ctx context.Context, o RotateOptions, c aws.Credentials) error {
	client := o.NewSTS(c)
	start := o.Clock()
	deadline := start.Add(o.Wait)
	maxAttempts := 1 + int64(o.Wait/o.Poll)
	for attempt := 1; ; attempt++ {
		_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			return nil
		}
		took := o.Clock().Sub(start).Round(time.Millisecond)
		var api smithy.APIError
		if !errors.As(err, &api) || (api.ErrorCode() != "InvalidClientTokenId" && api.ErrorCode() != "SignatureDoesNotMatch" && api.ErrorCode() != "AccessDenied") {
			return fmt.Errorf("checking it with STS GetCallerIdentity failed on attempt %d after %s with an error IAM's propagation delay does not explain, so it was not retried: %w", attempt, took, err)
		}
		if int64(attempt) >= maxAttempts || !o.Clock().Add(o.Poll).Before(deadline) {
			return fmt.Errorf("STS still refused it after %d attempts over %s (Wait is %s): %w", attempt, took, o.Wait, err)
		}
		t := time.NewTimer(o.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("the wait for STS to accept it was cancelled after %d attempts over %s: %w (last refusal: %v)", attempt, o.Clock().Sub(start).Round(time.Millisecond), ctx.Err(), err)
		case <-t.C:
		}
	}
}
