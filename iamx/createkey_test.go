package iamx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/iamx/iamtest"
)

// connReset is the error a read on a connection the peer reset gives.
var connReset = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

// ctxIAM answers as an SDK client does when its context ends: a call made
// with an ended context fails without acting, and a call whose context
// ends while IAM acts loses its answer.
type ctxIAM struct{ *iamtest.Fake }

func (c ctxIAM) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Fake.ListAccessKeys(ctx, in, optFns...)
}

func (c ctxIAM) CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := c.Fake.CreateAccessKey(ctx, in, optFns...)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return out, err
}

func (c ctxIAM) UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Fake.UpdateAccessKey(ctx, in, optFns...)
}

func (c ctxIAM) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Fake.DeleteAccessKey(ctx, in, optFns...)
}

// keylessAnswer makes the key, then answers without it.
type keylessAnswer struct{ *iamtest.Fake }

func (k keylessAnswer) CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	if _, err := k.Fake.CreateAccessKey(ctx, in, optFns...); err != nil {
		return nil, err
	}
	return &iam.CreateAccessKeyOutput{}, nil
}

func fakeKeys(t *testing.T, f *iamtest.Fake, user string) []string {
	t.Helper()
	out, err := f.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	require.NoError(t, err)
	ids := []string{}
	for _, k := range out.AccessKeyMetadata {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	return ids
}

func fakeKey(t *testing.T, f *iamtest.Fake, user string) string {
	t.Helper()
	out, err := f.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	require.NoError(t, err)
	return aws.ToString(out.AccessKey.AccessKeyId)
}

// A CreateAccessKey that fails may have made a key all the same; the
// rotation finds out, deletes a key whose secret was lost, and says so.
func TestRotateAccessKeyFailedCreate(t *testing.T) {
	type env struct {
		t      *testing.T
		f      *iamtest.Fake
		old    string // the user's key before the rotation; "" for none
		other  string // a key made by someone else during the call
		other2 string // and a second one
		client iamx.IAMAPI
		cancel context.CancelFunc
	}
	const head = "iamx: access key rotation: CreateAccessKey for bot failed without saying whether IAM made a key"
	// madeMeanwhile has another caller make a key just before IAM acts
	// on the rotation's CreateAccessKey, then runs then.
	madeMeanwhile := func(e *env, status iamtypes.StatusType, then func()) {
		e.f.OnCall("CreateAccessKey", func(any) error {
			e.f.OnCall("CreateAccessKey", nil)
			e.other = fakeKey(e.t, e.f, "bot")
			if status == iamtypes.StatusTypeInactive {
				_, err := e.f.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: aws.String(e.other), Status: status})
				require.NoError(e.t, err)
			}
			if then != nil {
				then()
			}
			return nil
		})
	}
	for _, tc := range []struct {
		name     string
		noOldKey bool
		opt      func(*iamx.RotateOptions)
		setup    func(e *env)
		// want is the exact error, with {old}, {lost} and {other} for the
		// old key, the key lost with the answer and a key made meanwhile.
		want string
		is   error // errors.Is
		as   any   // errors.As, for the SDK's typed errors
		// lost: the lost answer's key was deleted (and is LostKeyID);
		// kept: it is still there.
		lost, kept bool
		calls      map[string]int
	}{
		{
			name:  "answer lost after IAM made the key: it is deleted",
			setup: func(e *env) { e.f.LoseNext("CreateAccessKey", connReset) },
			want:  head + " (read tcp: connection reset by peer); it had made {lost}, whose secret was lost with the answer, so that key was deleted; the old key {old} is untouched",
			is:    syscall.ECONNRESET, lost: true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1},
		},
		{
			name: "answer lost, user had no key", noOldKey: true,
			setup: func(e *env) { e.f.LoseNext("CreateAccessKey", connReset) },
			want:  head + " (read tcp: connection reset by peer); it had made {lost}, whose secret was lost with the answer, so that key was deleted; there was no old key",
			is:    syscall.ECONNRESET, lost: true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1},
		},
		{
			name: "5xx answer after IAM made the key: it is deleted",
			setup: func(e *env) {
				e.f.LoseNext("CreateAccessKey", &iamtypes.ServiceFailureException{Message: aws.String("internal")})
			},
			want: head + " (ServiceFailure: internal); it had made {lost}, whose secret was lost with the answer, so that key was deleted; the old key {old} is untouched",
			as:   new(*iamtypes.ServiceFailureException), lost: true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1},
		},
		{
			name: "5xx answer, no key made: nothing to delete, and the error says to check later",
			setup: func(e *env) {
				e.f.FailNext("CreateAccessKey", &iamtypes.ServiceFailureException{Message: aws.String("internal")})
			},
			want:  head + " (ServiceFailure: internal); IAM lists no key made by it, but IAM is eventually consistent: if any key of bot other than {old} shows up later, nobody holds its secret, so delete it; the old key {old} is untouched",
			as:    new(*iamtypes.ServiceFailureException),
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1},
		},
		{
			name:  "answer without a key: the key made is deleted",
			setup: func(e *env) { e.client = keylessAnswer{e.f} },
			want:  head + " (CreateAccessKey answered without a key); it had made {lost}, whose secret was lost with the answer, so that key was deleted; the old key {old} is untouched",
			lost:  true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1},
		},
		{
			name: "context cancelled while IAM acts: the key is deleted all the same",
			setup: func(e *env) {
				e.client = ctxIAM{e.f}
				e.f.OnCall("CreateAccessKey", func(any) error { e.cancel(); return nil })
			},
			want: head + " (context canceled); it had made {lost}, whose secret was lost with the answer, so that key was deleted; the old key {old} is untouched",
			is:   context.Canceled, lost: true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1},
		},
		{
			name: "list fails during cleanup: the error says which key to delete",
			setup: func(e *env) {
				e.f.LoseNext("CreateAccessKey", connReset)
				e.f.OnCall("CreateAccessKey", func(any) error {
					e.f.FailNext("ListAccessKeys", &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "try later"})
					return nil
				})
			},
			want: head + " (read tcp: connection reset by peer), and listing the keys to find out failed (api error ServiceUnavailable: try later): any key of bot other than {old} was made by this call and nobody holds its secret, so delete it; the old key {old} is untouched",
			is:   syscall.ECONNRESET, kept: true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1},
		},
		{
			name: "delete fails during cleanup: the key is named",
			setup: func(e *env) {
				e.f.LoseNext("CreateAccessKey", connReset)
				e.f.FailNext("DeleteAccessKey", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not allowed"})
			},
			want: head + " (read tcp: connection reset by peer); it had made {lost}, whose secret was lost with the answer, and deleting that key failed (api error AccessDenied: not allowed): delete it yourself; the old key {old} is untouched",
			is:   syscall.ECONNRESET, lost: true, kept: true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1},
		},
		{
			name: "two new keys: which is whose is unknown, so neither is deleted", noOldKey: true,
			setup: func(e *env) {
				madeMeanwhile(e, iamtypes.StatusTypeActive, func() { e.f.LoseNext("CreateAccessKey", connReset) })
			},
			want: head + " (read tcp: connection reset by peer); bot now also has keys {other}, {lost}, more than one request makes, so none was deleted: delete those whose secret nobody holds; there was no old key",
			is:   syscall.ECONNRESET, kept: true,
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 2},
		},
		{
			name: "throttled: IAM made no key",
			setup: func(e *env) {
				e.f.FailNext("CreateAccessKey", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"})
			},
			want:  "iamx: access key rotation: create a key for bot: api error Throttling: Rate exceeded; IAM made none; the old key {old} is untouched",
			calls: map[string]int{"ListAccessKeys": 1, "CreateAccessKey": 1},
		},
		{
			name: "connection never made: no key made",
			setup: func(e *env) {
				e.f.FailNext("CreateAccessKey", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
			},
			want:  "iamx: access key rotation: create a key for bot: dial tcp: connection refused; IAM made none; the old key {old} is untouched",
			is:    syscall.ECONNREFUSED,
			calls: map[string]int{"ListAccessKeys": 1, "CreateAccessKey": 1},
		},
		{
			name:  "limit met through a key made meanwhile: it is named, not deleted",
			setup: func(e *env) { madeMeanwhile(e, iamtypes.StatusTypeActive, nil) },
			want:  "iamx: access key rotation: create a key for bot: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2: it has 2 keys now, IAM's limit: {old} (Active), {other} (Active, made since the rotation listed the keys); both are active, so delete the one no longer in use yourself; the old key {old} is untouched",
			as:    new(*iamtypes.LimitExceededException),
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 2},
		},
		{
			name: "limit met through two keys made meanwhile: both are named", noOldKey: true,
			setup: func(e *env) {
				madeMeanwhile(e, iamtypes.StatusTypeActive, func() { e.other2 = fakeKey(e.t, e.f, "bot") })
			},
			want:  "iamx: access key rotation: create a key for bot: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2: it has 2 keys now, IAM's limit: {other} (Active, made since the rotation listed the keys), {other2} (Active, made since the rotation listed the keys); both are active, so delete the one no longer in use yourself; there was no old key",
			as:    new(*iamtypes.LimitExceededException),
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 3},
		},
		{
			name:  "limit met through an inactive key made meanwhile, DeleteInactive set",
			opt:   func(o *iamx.RotateOptions) { o.DeleteInactive = true },
			setup: func(e *env) { madeMeanwhile(e, iamtypes.StatusTypeInactive, nil) },
			want:  "iamx: access key rotation: create a key for bot: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2: it has 2 keys now, IAM's limit: {old} (Active), {other} (Inactive, made since the rotation listed the keys); rotate again to delete the inactive one first; the old key {old} is untouched",
			as:    new(*iamtypes.LimitExceededException),
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 2, "UpdateAccessKey": 1},
		},
		{
			name: "limit met, though IAM does not list the second key yet",
			setup: func(e *env) {
				e.f.FailNext("CreateAccessKey", &iamtypes.LimitExceededException{Message: aws.String("Cannot exceed quota for AccessKeysPerUser: 2")})
			},
			want:  "iamx: access key rotation: create a key for bot: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2, though IAM lists only {old} for it (IAM is eventually consistent, so a key made meanwhile may not show yet): list its keys again and delete the one no longer in use yourself, then rotate again; the old key {old} is untouched",
			as:    new(*iamtypes.LimitExceededException),
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 1},
		},
		{
			name: "limit met, and the list to say which fails",
			setup: func(e *env) {
				madeMeanwhile(e, iamtypes.StatusTypeActive, nil)
				e.f.OnCall("ListAccessKeys", func(any) error {
					if e.other != "" {
						return errors.New("network down")
					}
					return nil
				})
			},
			want:  "iamx: access key rotation: create a key for bot: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2: keys were made since the rotation found {old}, and listing them to say which failed (network down); delete the one no longer in use yourself, then rotate again; the old key {old} is untouched",
			as:    new(*iamtypes.LimitExceededException),
			calls: map[string]int{"ListAccessKeys": 2, "CreateAccessKey": 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			e := &env{t: t, f: iamtest.New(), cancel: cancel}
			e.f.AddUser("bot")
			if !tc.noOldKey {
				e.old = fakeKey(t, e.f, "bot")
			}
			e.client = e.f
			e.f.ResetCalls()
			tc.setup(e)
			stored := 0
			res, err := iamx.RotateAccessKey(ctx, e.client, "bot", func(credentials.Profile) error { stored++; return nil },
				func(o *iamx.RotateOptions) { o.NewSTS = e.f.ClientFor }, func(o *iamx.RotateOptions) {
					if tc.opt != nil {
						tc.opt(o)
					}
				})
			calls := e.f.CallCounts()
			e.f.OnCall("ListAccessKeys", nil)
			require.ErrorIs(t, err, iamx.ErrRotate)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			if tc.as != nil {
				assert.ErrorAs(t, err, tc.as)
			}

			now := fakeKeys(t, e.f, "bot")
			want := []string{}
			if e.old != "" {
				want = append(want, e.old)
			}
			for _, id := range []string{e.other, e.other2} {
				if id != "" {
					want = append(want, id)
				}
			}
			lost := ""
			if tc.lost {
				lost = res.LostKeyID
				require.NotEmpty(t, lost)
				assert.NotContains(t, []string{e.old, e.other, e.other2}, lost)
				assert.Equal(t, []any{&iam.DeleteAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: aws.String(lost)}}, e.f.Log("DeleteAccessKey"), "the key deleted is the one lost")
			} else {
				assert.Empty(t, res.LostKeyID)
			}
			if tc.kept {
				// The key the lost answer made is the one nobody expected.
				for _, id := range now {
					if id != e.old && id != e.other && id != e.other2 {
						assert.True(t, lost == "" || lost == id)
						lost = id
					}
				}
				want = append(want, lost)
			}
			assert.ElementsMatch(t, want, now)
			assert.Equal(t, iamx.RotateResult{RetiredKeyID: e.old, LostKeyID: res.LostKeyID}, res)

			text := strings.NewReplacer("{old}", e.old, "{lost}", lost, "{other2}", e.other2, "{other}", e.other).Replace(tc.want)
			assert.EqualError(t, err, text)
			assert.Zero(t, stored, "nothing was stored")
			assert.Equal(t, tc.calls, calls)
		})
	}
}

// createTransport sends requests on to moto, except that CreateAccessKey
// can be answered Throttling without reaching moto, or reach moto and lose
// its answer, as a connection reset after the service answered does (or,
// with fault, have it replaced by a 500 ServiceFailure).
type createTransport struct {
	throttle, drop int32        // how many CreateAccessKey requests to throttle, then to lose the answer of
	fault          bool         // lost answers become 500 ServiceFailure answers
	sent, passed   atomic.Int32 // CreateAccessKey requests made, and passed on to moto
}

const (
	throttleXML = `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`
	faultXML    = `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>internal</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`
)

func xmlAnswer(r *http.Request, status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"text/xml"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}
}

func (c *createTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "CreateAccessKey" {
		return http.DefaultTransport.RoundTrip(r)
	}
	n := c.sent.Add(1)
	if n <= c.throttle {
		return xmlAnswer(r, http.StatusBadRequest, throttleXML), nil
	}
	c.passed.Add(1)
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || n > c.throttle+c.drop {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if c.fault {
		return xmlAnswer(r, http.StatusInternalServerError, faultXML), nil
	}
	return nil, connReset
}

// Against moto through a real SDK client with its default retryer, which
// retries a connection reset and a 500: the finding was such a retry
// meeting the two-key limit, with the first key left behind.
func TestRotateAccessKeyLostCreateMoto(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault bool
		cause error  // what the error wraps: errors.Is
		as    any    // or errors.As
		ends  string // how the error in parentheses ends
	}{
		{name: "connection reset after moto acted", cause: syscall.ECONNRESET, ends: "connection reset by peer"},
		{name: "500 after moto acted", fault: true, as: new(*iamtypes.ServiceFailureException),
			ends: "https response error StatusCode: 500, RequestID: r-2, ServiceFailure: internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			client, user, opts := motoIAM(t)
			old := newKey(t, client, user, iamtypes.StatusTypeActive)
			tr := &createTransport{drop: 1, fault: tc.fault}
			lossy := iam.New(client.Options(), func(o *iam.Options) { o.HTTPClient = &http.Client{Transport: tr} })

			res, err := iamx.RotateAccessKey(ctx, lossy, user, func(credentials.Profile) error { t.Error("nothing to store"); return nil }, opts)
			require.ErrorIs(t, err, iamx.ErrRotate)
			if tc.cause != nil {
				assert.ErrorIs(t, err, tc.cause)
			} else {
				assert.ErrorAs(t, err, tc.as)
			}
			assert.Equal(t, int32(1), tr.sent.Load(), "CreateAccessKey was not repeated")
			require.NotEmpty(t, res.LostKeyID)
			assert.NotEqual(t, old, res.LostKeyID)
			assert.Equal(t, iamx.RotateResult{RetiredKeyID: old, LostKeyID: res.LostKeyID}, res)
			assert.Equal(t, map[string]iamtypes.StatusType{old: iamtypes.StatusTypeActive}, keys(t, client, user), "the lost key was deleted, the old one kept")
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "iamx: access key rotation: CreateAccessKey for "+user+" failed without saying whether IAM made a key (operation error IAM: CreateAccessKey, "), msg)
			assert.True(t, strings.HasSuffix(msg, tc.ends+"); it had made "+res.LostKeyID+", whose secret was lost with the answer, so that key was deleted; the old key "+old+" is untouched"), msg)

			// The state is clean: the next rotation works.
			res, err = iamx.RotateAccessKey(ctx, client, user, func(credentials.Profile) error { return nil }, opts)
			require.NoError(t, err)
			assert.Equal(t, map[string]iamtypes.StatusType{res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))
		})
	}
}

// A throttled CreateAccessKey did nothing, so the client's own retryer
// (here one that does not wait) still repeats it.
func TestRotateAccessKeyThrottledCreateMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, user, opts := motoIAM(t)
	old := newKey(t, client, user, iamtypes.StatusTypeActive)
	tr := &createTransport{throttle: 1}
	noWait := retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
	throttled := iam.New(client.Options(), func(o *iam.Options) { o.HTTPClient, o.Retryer = &http.Client{Transport: tr}, noWait })

	res, err := iamx.RotateAccessKey(ctx, throttled, user, func(credentials.Profile) error { return nil }, opts)
	require.NoError(t, err)
	assert.Equal(t, int32(2), tr.sent.Load(), "the throttled request was repeated")
	assert.Equal(t, int32(1), tr.passed.Load())
	assert.Equal(t, iamx.RotateResult{NewKeyID: res.NewKeyID, RetiredKeyID: old}, res)
	assert.Equal(t, map[string]iamtypes.StatusType{res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))

	// With the retryer's attempts used up, the throttle is the error, and
	// IAM made no key.
	old = res.NewKeyID
	tr = &createTransport{throttle: 3}
	throttled = iam.New(client.Options(), func(o *iam.Options) { o.HTTPClient, o.Retryer = &http.Client{Transport: tr}, noWait })
	res, err = iamx.RotateAccessKey(ctx, throttled, user, func(credentials.Profile) error { return nil }, opts)
	require.ErrorIs(t, err, iamx.ErrRotate)
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "Throttling", api.ErrorCode())
	assert.ErrorContains(t, err, "; IAM made none; the old key "+old+" is untouched")
	assert.Equal(t, int32(3), tr.sent.Load(), "the retryer's three attempts")
	assert.Equal(t, iamx.RotateResult{RetiredKeyID: old}, res)
	assert.Equal(t, map[string]iamtypes.StatusType{old: iamtypes.StatusTypeActive}, keys(t, client, user))
}

// A new key that could not be stored is deleted even when the context has
// ended meanwhile: nobody else will ever hold its secret.
func TestRotateAccessKeyStoreFailsAfterCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f := iamtest.New()
	f.AddUser("bot")
	old := fakeKey(t, f, "bot")
	interrupted := errors.New("interrupted")
	res, err := iamx.RotateAccessKey(ctx, ctxIAM{f}, "bot", func(credentials.Profile) error { cancel(); return interrupted },
		func(o *iamx.RotateOptions) { o.NewSTS = f.ClientFor })
	require.ErrorIs(t, err, iamx.ErrRotate)
	assert.ErrorIs(t, err, interrupted)
	assert.EqualError(t, err, "iamx: access key rotation: storing the new key failed, so it was deleted again: interrupted; the old key "+old+" is untouched")
	assert.Equal(t, iamx.RotateResult{RetiredKeyID: old}, res)
	assert.Equal(t, []string{old}, fakeKeys(t, f, "bot"))
}

// sdkError wraps err as an *iam.Client returns an error answer with the
// given HTTP status.
func sdkError(status int, err error) error {
	return &smithy.OperationError{ServiceID: "IAM", OperationName: "CreateAccessKey", Err: &awshttp.ResponseError{RequestID: "r-1",
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}}
}

// sdkFailure wraps err as an *iam.Client returns a failure without an
// error answer.
func sdkFailure(err error) error {
	return &smithy.OperationError{ServiceID: "IAM", OperationName: "CreateAccessKey", Err: err}
}

// Which failures of CreateAccessKey, in the shapes an *iam.Client returns
// them, leave open whether IAM made a key (so the keys are listed), and
// which say it made none.
func TestRotateAccessKeyWhichFailuresMayHaveActed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://iam.amazonaws.com/", Err: err} }
	for _, tc := range []struct {
		name  string
		err   error
		maybe bool
	}{
		{"400 Throttling", sdkError(400, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}), false},
		{"404 NoSuchEntity", sdkError(404, &iamtypes.NoSuchEntityException{Message: aws.String("no user")}), false},
		{"403 AccessDenied", sdkError(403, &smithy.GenericAPIError{Code: "AccessDenied"}), false},
		{"400 InvalidClientTokenId", sdkError(400, &smithy.GenericAPIError{Code: "InvalidClientTokenId"}), false},
		{"dial refused", sdkFailure(&smithyhttp.RequestSendError{Err: post(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})}), false},
		{"dial DNS failure", sdkFailure(&smithyhttp.RequestSendError{Err: post(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "iam.amazonaws.com", IsNotFound: true}})}), false},
		{"500 ServiceFailure", sdkError(500, &iamtypes.ServiceFailureException{Message: aws.String("internal")}), true},
		{"503 without a code the SDK knows", sdkError(503, &smithy.GenericAPIError{Code: "ServiceUnavailable"}), true},
		{"server fault, no status", &iamtypes.ServiceFailureException{}, true},
		{"connection reset", sdkFailure(&smithyhttp.RequestSendError{Err: post(connReset)}), true},
		{"unexpected EOF", sdkFailure(&smithyhttp.RequestSendError{Err: post(io.ErrUnexpectedEOF)}), true},
		{"timeout", sdkFailure(&smithyhttp.RequestSendError{Err: post(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded})}), true},
		{"context cancelled", sdkFailure(&smithy.CanceledError{Err: context.Canceled}), true},
		{"answer not readable", sdkFailure(&smithy.DeserializationError{Err: io.ErrUnexpectedEOF}), true},
		{"any other error", errors.New("proxy said no"), true},
	} {
		f := iamtest.New()
		f.AddUser("bot")
		old := fakeKey(t, f, "bot")
		f.ResetCalls()
		f.FailNext("CreateAccessKey", tc.err)
		_, err := iamx.RotateAccessKey(ctx, f, "bot", func(credentials.Profile) error { return nil })
		require.ErrorIs(t, err, tc.err, tc.name)
		if tc.maybe {
			assert.ErrorContains(t, err, "failed without saying whether IAM made a key", tc.name)
			assert.ErrorContains(t, err, "IAM lists no key made by it", tc.name)
			assert.Equal(t, 2, f.Calls("ListAccessKeys"), tc.name)
		} else {
			assert.ErrorContains(t, err, "; IAM made none; the old key "+old+" is untouched", tc.name)
			assert.Equal(t, 1, f.Calls("ListAccessKeys"), tc.name)
		}
	}
}

// retryAll is a retryer of the older aws.Retryer kind (no
// GetAttemptToken) that retries every error at once.
type retryAll struct{}

func (r *retryAll) IsErrorRetryable(error) bool                  { return true }
func (r *retryAll) MaxAttempts() int                             { return 3 }
func (r *retryAll) RetryDelay(int, error) (time.Duration, error) { return 0, nil }
func (r *retryAll) GetRetryToken(context.Context, error) (func(error) error, error) {
	return nopRelease, nil
}
func (r *retryAll) GetInitialToken() func(error) error { return nopRelease }

func nopRelease(error) error { return nil }

// Even a client whose retryer retries everything sends a CreateAccessKey
// that may have acted once, and still repeats a throttled one.
func TestRotateAccessKeyRetryAllClientMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, user, opts := motoIAM(t)
	old := newKey(t, client, user, iamtypes.StatusTypeActive)
	for _, tc := range []struct {
		name string
		tr   *createTransport
		sent int32
	}{
		{"lost answer: sent once", &createTransport{drop: 1}, 1},
		{"throttled: repeated", &createTransport{throttle: 2}, 3},
	} {
		r := &retryAll{}
		c := iam.New(client.Options(), func(o *iam.Options) { o.HTTPClient, o.Retryer = &http.Client{Transport: tc.tr}, r })
		res, err := iamx.RotateAccessKey(ctx, c, user, func(credentials.Profile) error { return nil }, opts)
		assert.Equal(t, tc.sent, tc.tr.sent.Load(), tc.name)
		if tc.tr.drop > 0 {
			require.ErrorIs(t, err, syscall.ECONNRESET, tc.name)
			assert.NotEmpty(t, res.LostKeyID, tc.name)
		} else {
			require.NoError(t, err, tc.name)
			old = res.NewKeyID
		}
		assert.Equal(t, map[string]iamtypes.StatusType{old: iamtypes.StatusTypeActive}, keys(t, client, user), tc.name)
	}
}
