package iamtest_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/iamx/iamtest"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

// iamErrorCases are the IAM errors the fake returns, each provoked through
// iamx.IAMAPI after making user "bot" with two keys.
var iamErrorCases = []struct {
	name, code, msg string
	call            func(c iamx.IAMAPI) error
	as              any
}{
	{"unknown user", "NoSuchEntity", "The user with name nobody cannot be found.", func(c iamx.IAMAPI) error {
		_, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("nobody")})
		return err
	}, new(*iamtypes.NoSuchEntityException)},
	{"unknown key", "NoSuchEntity", "The Access Key with id AKIANOTAKEY0000000 cannot be found.", func(c iamx.IAMAPI) error {
		_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: aws.String("AKIANOTAKEY0000000")})
		return err
	}, new(*iamtypes.NoSuchEntityException)},
	{"key for an unknown user", "NoSuchEntity", "The user with name nobody cannot be found.", func(c iamx.IAMAPI) error {
		_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
		return err
	}, new(*iamtypes.NoSuchEntityException)},
	{"update for an unknown user", "NoSuchEntity", "The user with name nobody cannot be found.", func(c iamx.IAMAPI) error {
		_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("nobody"), AccessKeyId: aws.String("AKIANOTAKEY0000000"), Status: iamtypes.StatusTypeInactive})
		return err
	}, new(*iamtypes.NoSuchEntityException)},
	{"update of an unknown key", "NoSuchEntity", "The Access Key with id AKIANOTAKEY0000000 cannot be found.", func(c iamx.IAMAPI) error {
		_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: aws.String("AKIANOTAKEY0000000"), Status: iamtypes.StatusTypeInactive})
		return err
	}, new(*iamtypes.NoSuchEntityException)},
	{"delete for an unknown user", "NoSuchEntity", "The user with name nobody cannot be found.", func(c iamx.IAMAPI) error {
		_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("nobody"), AccessKeyId: aws.String("AKIANOTAKEY0000000")})
		return err
	}, new(*iamtypes.NoSuchEntityException)},
	{"third key", "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", func(c iamx.IAMAPI) error {
		_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
		return err
	}, new(*iamtypes.LimitExceededException)},
}

// checkIAMErrors runs the cases against c; exactMsg is false for moto,
// whose messages differ from IAM's in a trailing full stop.
func checkIAMErrors(t *testing.T, c iamx.IAMAPI, exactMsg bool) {
	for _, tc := range iamErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(c)
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.ErrorCode())
			assert.Equal(t, smithy.FaultClient, apiErr.ErrorFault())
			assert.ErrorAs(t, err, tc.as, "errors.As with the SDK's type: got %T", apiErr)
			if exactMsg {
				assert.Equal(t, tc.msg, apiErr.ErrorMessage())
			}
		})
	}
}

// checkAccessKeys runs the access-key life cycle iamx relies on, on user
// "carol" (made, with no keys).
func checkAccessKeys(t *testing.T, c iamx.IAMAPI) {
	user := aws.String("carol")
	var ids []string
	for range 2 {
		k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
		require.NoError(t, err)
		assert.Equal(t, iamtypes.StatusTypeActive, k.AccessKey.Status)
		assert.Len(t, aws.ToString(k.AccessKey.SecretAccessKey), 40)
		assert.Regexp(t, `^AKIA[A-Z0-9]{16}$`, aws.ToString(k.AccessKey.AccessKeyId))
		ids = append(ids, aws.ToString(k.AccessKey.AccessKeyId))
	}
	_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: aws.String(ids[0]), Status: iamtypes.StatusTypeInactive})
	require.NoError(t, err)
	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: user})
	require.NoError(t, err)
	status := map[string]iamtypes.StatusType{}
	for _, k := range list.AccessKeyMetadata {
		status[aws.ToString(k.AccessKeyId)] = k.Status
	}
	assert.Equal(t, map[string]iamtypes.StatusType{ids[0]: iamtypes.StatusTypeInactive, ids[1]: iamtypes.StatusTypeActive}, status)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: aws.String(ids[0])})
	require.NoError(t, err)
	list, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: user})
	require.NoError(t, err)
	require.Len(t, list.AccessKeyMetadata, 1)
	assert.Equal(t, ids[1], aws.ToString(list.AccessKeyMetadata[0].AccessKeyId))
}

func TestIAMConformanceFake(t *testing.T) {
	f := iamtest.New()
	f.AddUser("bot")
	for range 2 {
		_, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
		require.NoError(t, err)
	}
	checkIAMErrors(t, f, true)
	f.AddUser("carol")
	checkAccessKeys(t, f)
}

func TestIAMConformanceMoto(t *testing.T) {
	c := iam.NewFromConfig(moto.Config(t))
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	for range 2 {
		_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
		require.NoError(t, err)
	}
	checkIAMErrors(t, c, false)
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	checkAccessKeys(t, c)
}

// missingMemberCases are inputs without a member the service model
// requires: the SDK's client refuses them before sending anything, with a
// *smithy.OperationError wrapping a smithy.InvalidParamsError (not an
// APIError), and the fake must too.
var missingMemberCases = []struct {
	name string
	iam  func(c iamx.IAMAPI) error
	sts  func(c interface {
		AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
		AssumeRoleWithSAML(context.Context, *sts.AssumeRoleWithSAMLInput, ...func(*sts.Options)) (*sts.AssumeRoleWithSAMLOutput, error)
	}) error
}{
	{name: "update without key or status", iam: func(c iamx.IAMAPI) error {
		_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bot")})
		return err
	}},
	{name: "update without status", iam: func(c iamx.IAMAPI) error {
		_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: aws.String("AKIANOTAKEY0000000")})
		return err
	}},
	{name: "delete without key", iam: func(c iamx.IAMAPI) error {
		_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bot")})
		return err
	}},
	{name: "assume role without session name", sts: func(c interface {
		AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
		AssumeRoleWithSAML(context.Context, *sts.AssumeRoleWithSAMLInput, ...func(*sts.Options)) (*sts.AssumeRoleWithSAMLOutput, error)
	}) error {
		_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Dev")})
		return err
	}},
	{name: "SAML with nothing", sts: func(c interface {
		AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
		AssumeRoleWithSAML(context.Context, *sts.AssumeRoleWithSAMLInput, ...func(*sts.Options)) (*sts.AssumeRoleWithSAMLOutput, error)
	}) error {
		_, err := c.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{})
		return err
	}},
}

// The fake fails an input missing a required member exactly as the SDK's
// client does (the client never reaches moto with it).
func TestMissingMembersFailAsTheClient(t *testing.T) {
	f := iamtest.New()
	f.AddUser("bot")
	cfg := moto.Config(t)
	realIAM, realSTS := iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	for _, tc := range missingMemberCases {
		t.Run(tc.name, func(t *testing.T) {
			var fakeErr, realErr error
			if tc.iam != nil {
				fakeErr, realErr = tc.iam(f), tc.iam(realIAM)
			} else {
				fakeErr, realErr = tc.sts(f), tc.sts(realSTS)
			}
			for _, err := range []error{realErr, fakeErr} {
				var params smithy.InvalidParamsError
				require.ErrorAs(t, err, &params)
				var op *smithy.OperationError
				require.ErrorAs(t, err, &op)
				var apiErr smithy.APIError
				assert.False(t, errors.As(err, &apiErr), "not a service error: %v", err)
			}
			assert.Equal(t, realErr.Error(), fakeErr.Error())
		})
	}
}

// The STS errors are checked on the fake only: moto 5.2.1 does not
// authenticate callers, does not check DurationSeconds, and answers a
// malformed SAML assertion with a 500. The codes are those STS documents:
// InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken, AccessDenied
// and ValidationError are common errors the SDK has no struct for.
func TestSTSErrors(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f := iamtest.New(func(o *iamtest.Options) { o.Clock = func() time.Time { return now } })
	f.AddUser("bot")
	k, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	wrong := aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: "wrong"}
	role, err := f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Dev"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	require.NoError(t, err)
	session := aws.Credentials{AccessKeyID: aws.ToString(role.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(role.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(role.Credentials.SessionToken)}
	saml := func(roleARN, assertion string) error {
		_, err := f.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String("arn:aws:iam::123456789012:saml-provider/Corp"),
			SAMLAssertion: aws.String(base64.StdEncoding.EncodeToString([]byte(assertion)))})
		return err
	}
	callerIdentity := func(c aws.Credentials) error {
		_, err := f.ClientFor(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}

	for _, tc := range []struct {
		name, code string
		err        func() error
		as         any
	}{
		{"unknown key", "InvalidClientTokenId", func() error { return callerIdentity(aws.Credentials{AccessKeyID: "AKIANOTAKEY", SecretAccessKey: "s"}) },
			new(*smithy.GenericAPIError)},
		{"wrong secret", "SignatureDoesNotMatch", func() error { return callerIdentity(wrong) }, new(*smithy.GenericAPIError)},
		{"duration too short", "ValidationError", func() error {
			_, err := f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Dev"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(899)})
			return err
		}, new(*smithy.GenericAPIError)},
		{"role not offered", "AccessDenied", func() error { return saml("arn:aws:iam::123456789012:role/Admin", samlDoc) }, new(*smithy.GenericAPIError)},
		{"not SAML", "InvalidIdentityToken", func() error { return saml("arn:aws:iam::123456789012:role/Dev", "not saml") },
			new(*ststypes.InvalidIdentityTokenException)},
		{"assertion expired", "ExpiredTokenException", func() error {
			now = now.Add(5 * time.Minute)
			return saml("arn:aws:iam::123456789012:role/Dev", samlDoc)
		},
			new(*ststypes.ExpiredTokenException)},
		{"session name with a space", "ValidationError", func() error {
			_, err := f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Dev"), RoleSessionName: aws.String("a b")})
			return err
		}, new(*smithy.GenericAPIError)},
		{"session name too short", "ValidationError", func() error {
			_, err := f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Dev"), RoleSessionName: aws.String("")})
			return err
		}, new(*smithy.GenericAPIError)},
		{"status not an enum value", "ValidationError", func() error {
			_, err := f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: k.AccessKey.AccessKeyId, Status: "Paused"})
			return err
		}, new(*smithy.GenericAPIError)},
		{"session expired", "ExpiredToken", func() error { now = now.Add(time.Hour); return callerIdentity(session) }, new(*smithy.GenericAPIError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.ErrorCode())
			assert.ErrorAs(t, err, tc.as, "got %T", apiErr)
		})
	}
}

func TestLogOnCallAndLoseNext(t *testing.T) {
	f := iamtest.New()
	f.AddUser("bot")
	lost := errors.New("connection reset")
	f.LoseNext("CreateAccessKey", lost)
	_, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.ErrorIs(t, err, lost)
	keys, err := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	assert.Len(t, keys.AccessKeyMetadata, 1, "the lost call made its key")

	f.OnCall("DeleteAccessKey", func(in any) error {
		if aws.ToString(in.(*iam.DeleteAccessKeyInput).UserName) == "admin" {
			return errors.New("refused by the test")
		}
		return nil
	})
	_, err = f.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("admin"), AccessKeyId: aws.String("AKIA")})
	require.EqualError(t, err, "refused by the test")
	assert.Equal(t, []any{&iam.CreateAccessKeyInput{UserName: aws.String("bot")}}, f.Log("CreateAccessKey"))
	assert.Equal(t, map[string]int{"CreateAccessKey": 1, "ListAccessKeys": 1, "DeleteAccessKey": 1}, f.CallCounts())
}
