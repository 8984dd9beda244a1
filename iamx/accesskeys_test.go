package iamx_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/iamx/iamtest"
	"github.com/kumo-go/kumo/internal/moto"
)

// rotateOnMoto is iamx.RotateAccessKey against moto, run again (at most
// three times in all) when moto's server lost CreateAccessKey's answer in
// transport: the SDK's "use of closed network connection" on a 200 answer
// (aws/aws-sdk-go-v2#1825), which moto causes now and then under -race on
// a busy machine. RotateAccessKey then finds and deletes the key the lost
// call made, if any, and leaves the old keys as they were (its error says
// so), so running it again tests the same thing; any other error is
// returned.
func rotateOnMoto(t *testing.T, ctx context.Context, client iamx.IAMAPI, user string, store func(credentials.Profile) error, optFns ...func(*iamx.RotateOptions)) (iamx.RotateResult, error) {
	t.Helper()
	for try := 1; ; try++ {
		res, err := iamx.RotateAccessKey(ctx, client, user, store, optFns...)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		lost := errors.Is(err, net.ErrClosed) && strings.Contains(msg, "CreateAccessKey for "+user+" failed without saying whether IAM made a key")
		unchanged := strings.Contains(msg, "so that key was deleted") || strings.Contains(msg, "IAM lists no key made by it")
		if !lost || !unchanged || try == 3 {
			return res, err
		}
		t.Logf("moto lost CreateAccessKey's answer; rotating again: %v", err)
	}
}

// motoIAM gives a fresh IAM user on moto and the options that check new
// keys against moto's STS.
func motoIAM(t *testing.T) (*iam.Client, string, func(*iamx.RotateOptions)) {
	t.Helper()
	cfg := moto.Config(t)
	client := iam.NewFromConfig(cfg)
	user, _ := moto.NewUser(t, client, "rot-")
	opts := func(o *iamx.RotateOptions) {
		o.NewSTS = func(c aws.Credentials) iamx.CallerIdentityAPI {
			return sts.New(sts.Options{Region: cfg.Region, BaseEndpoint: cfg.BaseEndpoint, Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })})
		}
		o.Poll = 10 * time.Millisecond
	}
	return client, user, opts
}

func newKey(t *testing.T, c *iam.Client, user string, status iamtypes.StatusType) string {
	t.Helper()
	out, err := c.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	require.NoError(t, err)
	id := aws.ToString(out.AccessKey.AccessKeyId)
	if status == iamtypes.StatusTypeInactive {
		_, err = c.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id), Status: status})
		require.NoError(t, err)
	}
	return id
}

func keys(t *testing.T, c *iam.Client, user string) map[string]iamtypes.StatusType {
	t.Helper()
	out, err := c.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	require.NoError(t, err)
	m := map[string]iamtypes.StatusType{}
	for _, k := range out.AccessKeyMetadata {
		m[aws.ToString(k.AccessKeyId)] = k.Status
	}
	return m
}

func TestRotateAccessKeyMoto(t *testing.T) {
	client, user, opts := motoIAM(t)
	old := newKey(t, client, user, iamtypes.StatusTypeActive)
	dir, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)

	res, err := rotateOnMoto(t, context.Background(), client, user, dir.Put, opts, func(o *iamx.RotateOptions) { o.Profile, o.Region = "deploy", "eu-west-1" })
	require.NoError(t, err)
	assert.Equal(t, old, res.RetiredKeyID)
	assert.Empty(t, res.DeletedKeyID)
	assert.Equal(t, map[string]iamtypes.StatusType{res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))
	p, err := dir.Get("deploy")
	require.NoError(t, err)
	assert.Equal(t, res.NewKeyID, p.AccessKeyID)
	assert.NotEmpty(t, p.SecretAccessKey)
	assert.Equal(t, "eu-west-1", p.Region)
}

func TestRotateAccessKeyTwoKeyLimitMoto(t *testing.T) {
	t.Run("two active: refused, nothing changes", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		a, b := newKey(t, client, user, iamtypes.StatusTypeActive), newKey(t, client, user, iamtypes.StatusTypeActive)
		// IAM's own limit, which the refusal saves users from meeting halfway.
		_, err := client.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
		var api smithy.APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, "LimitExceeded", api.ErrorCode())

		stored := 0
		_, err = rotateOnMoto(t, context.Background(), client, user, func(credentials.Profile) error { stored++; return nil }, opts, func(o *iamx.RotateOptions) { o.DeleteInactive = true })
		require.ErrorIs(t, err, iamx.ErrRotate)
		assert.ErrorContains(t, err, "has 2 keys, IAM's limit")
		assert.ErrorContains(t, err, "both are active")
		assert.Zero(t, stored)
		assert.Equal(t, map[string]iamtypes.StatusType{a: iamtypes.StatusTypeActive, b: iamtypes.StatusTypeActive}, keys(t, client, user))
	})
	t.Run("one inactive, not allowed to delete", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		newKey(t, client, user, iamtypes.StatusTypeActive)
		newKey(t, client, user, iamtypes.StatusTypeInactive)
		_, err := rotateOnMoto(t, context.Background(), client, user, func(credentials.Profile) error { return nil }, opts)
		require.ErrorIs(t, err, iamx.ErrRotate)
		assert.ErrorContains(t, err, "set DeleteInactive")
		assert.Len(t, keys(t, client, user), 2)
	})
	t.Run("one inactive, DeleteInactive", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		active := newKey(t, client, user, iamtypes.StatusTypeActive)
		inactive := newKey(t, client, user, iamtypes.StatusTypeInactive)
		res, err := rotateOnMoto(t, context.Background(), client, user, func(credentials.Profile) error { return nil }, opts, func(o *iamx.RotateOptions) { o.DeleteInactive = true })
		require.NoError(t, err)
		assert.Equal(t, iamx.RotateResult{NewKeyID: res.NewKeyID, RetiredKeyID: active, DeletedKeyID: inactive}, res)
		assert.Equal(t, map[string]iamtypes.StatusType{res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))
	})
}

// failingSTS never accepts the new key, as STS does before IAM propagates
// it.
type failingSTS struct{ calls int }

func (f *failingSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.calls++
	return nil, &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
}

func TestRotateAccessKeyFailuresLeaveAUsableState(t *testing.T) {
	t.Run("store fails: the new key is deleted, the old untouched", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		old := newKey(t, client, user, iamtypes.StatusTypeActive)
		boom := errors.New("disk full")
		res, err := rotateOnMoto(t, context.Background(), client, user, func(credentials.Profile) error { return boom }, opts)
		require.ErrorIs(t, err, iamx.ErrRotate)
		require.ErrorIs(t, err, boom)
		assert.ErrorContains(t, err, "the old key "+old+" is untouched")
		assert.Empty(t, res.NewKeyID)
		assert.Equal(t, map[string]iamtypes.StatusType{old: iamtypes.StatusTypeActive}, keys(t, client, user))
	})
	t.Run("new key never works: both stay, old active", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		old := newKey(t, client, user, iamtypes.StatusTypeActive)
		never := &failingSTS{}
		var stored credentials.Profile
		res, err := rotateOnMoto(t, context.Background(), client, user, func(p credentials.Profile) error { stored = p; return nil }, opts,
			func(o *iamx.RotateOptions) {
				o.NewSTS = func(c aws.Credentials) iamx.CallerIdentityAPI {
					assert.Equal(t, stored.Credentials(), c, "checked with the stored key alone")
					return never
				}
				o.Wait = 100 * time.Millisecond
			})
		require.ErrorIs(t, err, iamx.ErrRotate)
		assert.ErrorContains(t, err, "is stored, but STS still refused it after")
		assert.ErrorContains(t, err, "(Wait is 100ms)")
		assert.ErrorContains(t, err, "the old key "+old+" is still active")
		assert.Greater(t, never.calls, 1, "retried while IAM propagates")
		assert.Equal(t, map[string]iamtypes.StatusType{old: iamtypes.StatusTypeActive, res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))
		assert.NotContains(t, err.Error(), stored.SecretAccessKey)
	})
	t.Run("no key yet: one is created and stored", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		res, err := rotateOnMoto(t, context.Background(), client, user, func(credentials.Profile) error { return nil }, opts)
		require.NoError(t, err)
		assert.Empty(t, res.RetiredKeyID)
		assert.Equal(t, map[string]iamtypes.StatusType{res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))
	})
	t.Run("new key works after IAM propagates it", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		old := newKey(t, client, user, iamtypes.StatusTypeActive)
		slow := &propagatingSTS{failures: 3}
		res, err := rotateOnMoto(t, context.Background(), client, user, func(credentials.Profile) error { return nil }, opts,
			func(o *iamx.RotateOptions) { o.NewSTS = func(aws.Credentials) iamx.CallerIdentityAPI { return slow } })
		require.NoError(t, err)
		assert.Equal(t, 4, slow.calls)
		assert.Equal(t, old, res.RetiredKeyID)
		assert.Equal(t, map[string]iamtypes.StatusType{res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))
	})
	t.Run("other STS errors are not retried", func(t *testing.T) {
		client, user, opts := motoIAM(t)
		old := newKey(t, client, user, iamtypes.StatusTypeActive)
		broken := &propagatingSTS{failures: 100, code: "ExpiredToken"}
		_, err := rotateOnMoto(t, context.Background(), client, user, func(credentials.Profile) error { return nil }, opts,
			func(o *iamx.RotateOptions) { o.NewSTS = func(aws.Credentials) iamx.CallerIdentityAPI { return broken } })
		require.ErrorIs(t, err, iamx.ErrRotate)
		// A failure on the first call says so; it did not wait out Wait.
		assert.ErrorContains(t, err, "failed on attempt 1 after")
		assert.ErrorContains(t, err, "so it was not retried")
		assert.NotContains(t, err.Error(), "within")
		assert.Equal(t, 1, broken.calls)
		assert.Equal(t, iamtypes.StatusTypeActive, keys(t, client, user)[old])
	})
}

// propagatingSTS refuses the new key a few times, then accepts it.
type propagatingSTS struct {
	failures, calls int
	code            string
}

func (p *propagatingSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	p.calls++
	if p.calls <= p.failures {
		code := p.code
		if code == "" {
			code = "InvalidClientTokenId"
		}
		return nil, &smithy.GenericAPIError{Code: code}
	}
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:iam::123456789012:user/u")}, nil
}

// countingIAM is an IAM client that is neither an *iam.Client nor offers
// ClientFor, and counts the calls it gets.
type countingIAM struct{ iamx.IAMAPI }

func TestRotateAccessKeySTSSideIsStated(t *testing.T) {
	t.Run("iamtest fake without NewSTS checks the key on the fake", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fake := iamtest.New()
		fake.AddUser("bot")
		res, err := iamx.RotateAccessKey(ctx, fake, "bot", func(credentials.Profile) error { return nil })
		require.NoError(t, err)
		assert.NotEmpty(t, res.NewKeyID)
		assert.Equal(t, 1, fake.Calls("GetCallerIdentity"), "the new key was checked on the fake, not sent to AWS")
	})
	t.Run("other clients without NewSTS: refused before any call", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fake := iamtest.New()
		fake.AddUser("bot")
		_, err := iamx.RotateAccessKey(ctx, countingIAM{fake}, "bot", func(credentials.Profile) error { return nil })
		require.ErrorIs(t, err, iamx.ErrRotate)
		assert.ErrorContains(t, err, "set RotateOptions.NewSTS")
		assert.ErrorContains(t, err, "nothing was changed")
		assert.Zero(t, fake.Calls("ListAccessKeys")+fake.Calls("CreateAccessKey"))
	})
	t.Run("an *iam.Client's STS side follows its endpoint", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cfg := moto.Config(t)
		client := iam.NewFromConfig(cfg)
		user, _ := moto.NewUser(t, client, "rot-")
		res, err := rotateOnMoto(t, ctx, client, user, func(credentials.Profile) error { return nil }, func(o *iamx.RotateOptions) { o.Poll = 10 * time.Millisecond })
		require.NoError(t, err, "moto's STS accepted the key: the check went to the IAM client's endpoint")
		assert.Equal(t, map[string]iamtypes.StatusType{res.NewKeyID: iamtypes.StatusTypeActive}, keys(t, client, user))
	})
}

// retriedDelete deletes the key and then answers NoSuchEntity, as a
// delete retried after a lost response does.
type retriedDelete struct{ *iamtest.Fake }

func (r retriedDelete) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	if _, err := r.Fake.DeleteAccessKey(ctx, in, optFns...); err != nil {
		return nil, err
	}
	return r.Fake.DeleteAccessKey(ctx, in, optFns...)
}

func TestRotateAccessKeyRetriedDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fake := iamtest.New()
	fake.AddUser("bot")
	old, err := fake.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	res, err := iamx.RotateAccessKey(ctx, retriedDelete{fake}, "bot", func(credentials.Profile) error { return nil },
		func(o *iamx.RotateOptions) { o.NewSTS = fake.ClientFor })
	require.NoError(t, err, "the old key is gone, so the rotation succeeded")
	assert.Equal(t, aws.ToString(old.AccessKey.AccessKeyId), res.RetiredKeyID)

	// NoSuchEntity for a key that is still there is an error.
	fake2 := iamtest.New()
	fake2.AddUser("bot")
	_, err = fake2.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	fake2.FailNext("DeleteAccessKey", &smithy.GenericAPIError{Code: "NoSuchEntity"})
	_, err = iamx.RotateAccessKey(ctx, fake2, "bot", func(credentials.Profile) error { return nil })
	require.ErrorIs(t, err, iamx.ErrRotate)
	assert.ErrorContains(t, err, "deleting it failed")
}
