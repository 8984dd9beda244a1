package iamtest_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/iamx/iamtest"
)

var ctx = context.Background()

func code(t *testing.T, err error) string {
	t.Helper()
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	return api.ErrorCode()
}

func TestAccessKeys(t *testing.T) {
	f := iamtest.New()
	_, err := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("nobody")})
	assert.Equal(t, "NoSuchEntity", code(t, err))

	f.AddUser("bot")
	a, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	b, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	assert.Regexp(t, `^AKIA[A-Z2-7]{16}$`, aws.ToString(a.AccessKey.AccessKeyId))
	assert.Regexp(t, `^[A-Za-z0-9+/]{40}$`, aws.ToString(a.AccessKey.SecretAccessKey), "IAM's secret shape")
	assert.NotEqual(t, aws.ToString(a.AccessKey.AccessKeyId), aws.ToString(b.AccessKey.AccessKeyId))
	_, err = f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	assert.Equal(t, "LimitExceeded", code(t, err))

	_, err = f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: a.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive})
	require.NoError(t, err)
	_, err = f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: a.AccessKey.AccessKeyId, Status: "Paused"})
	assert.Equal(t, "ValidationError", code(t, err))
	list, err := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	require.Len(t, list.AccessKeyMetadata, 2)
	assert.Equal(t, iamtypes.StatusTypeInactive, list.AccessKeyMetadata[0].Status)
	assert.Equal(t, iamtypes.StatusTypeActive, list.AccessKeyMetadata[1].Status)

	_, err = f.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: a.AccessKey.AccessKeyId})
	require.NoError(t, err)
	_, err = f.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: a.AccessKey.AccessKeyId})
	assert.Equal(t, "NoSuchEntity", code(t, err))
	assert.Equal(t, 3, f.Calls("CreateAccessKey"))
}

func TestCallerIdentity(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f := iamtest.New(func(o *iamtest.Options) { o.Propagation = 10 * time.Second; o.Clock = func() time.Time { return now } })
	f.AddUser("bot")
	k, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	good := aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
	wrong := good
	wrong.SecretAccessKey += "x"

	_, err = f.ClientFor(good).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	assert.Equal(t, "InvalidClientTokenId", code(t, err), "not propagated yet")
	now = now.Add(10 * time.Second)
	id, err := f.ClientFor(good).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:user/bot", aws.ToString(id.Arn))
	_, err = f.ClientFor(wrong).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	assert.Equal(t, "SignatureDoesNotMatch", code(t, err))
	_, err = f.ClientFor(aws.Credentials{AccessKeyID: "AKIANOTAKEY", SecretAccessKey: "s"}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	assert.Equal(t, "InvalidClientTokenId", code(t, err))
	root, err := f.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:root", aws.ToString(root.Arn))

	boom := errors.New("throttled")
	f.FailNext("GetCallerIdentity", boom)
	_, err = f.ClientFor(good).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	assert.ErrorIs(t, err, boom)
}

const samlDoc = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion><saml:Issuer>idp</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>
<saml:Conditions NotOnOrAfter="2026-11-22T12:05:00Z"/>
<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">
<saml:AttributeValue>arn:aws:iam::123456789012:role/Dev,arn:aws:iam::123456789012:saml-provider/Corp</saml:AttributeValue>
</saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement></saml:Assertion></samlp:Response>`

func TestAssumeRoleWithSAML(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f := iamtest.New(func(o *iamtest.Options) { o.Clock = func() time.Time { return now } })
	a, err := iamx.ParseSAMLResponse(samlDoc)
	require.NoError(t, err)
	role, err := a.Role("Dev")
	require.NoError(t, err)

	c, err := iamx.AssumeRoleWithSAML(ctx, f, a, role, func(o *iamx.SAMLOptions) { o.Clock = func() time.Time { return now } })
	require.NoError(t, err)
	id, err := f.ClientFor(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Dev/alice", aws.ToString(id.Arn))
	assert.Equal(t, now.Add(time.Hour), c.Expires)

	in := func(roleARN string, d *int32) *sts.AssumeRoleWithSAMLInput {
		return &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String("arn:aws:iam::123456789012:saml-provider/Corp"),
			SAMLAssertion: aws.String(base64.StdEncoding.EncodeToString([]byte(samlDoc))), DurationSeconds: d}
	}
	_, err = f.AssumeRoleWithSAML(ctx, in("arn:aws:iam::123456789012:role/Admin", nil))
	assert.Equal(t, "AccessDenied", code(t, err), "a role the assertion does not offer")
	_, err = f.AssumeRoleWithSAML(ctx, in(role.RoleARN, aws.Int32(899)))
	assert.Equal(t, "ValidationError", code(t, err))
	bad := in(role.RoleARN, nil)
	bad.SAMLAssertion = aws.String("bm90IHNhbWw=")
	_, err = f.AssumeRoleWithSAML(ctx, bad)
	assert.Equal(t, "InvalidIdentityToken", code(t, err))
	now = now.Add(5 * time.Minute)
	_, err = f.AssumeRoleWithSAML(ctx, in(role.RoleARN, nil))
	assert.Equal(t, "ExpiredTokenException", code(t, err))
	now = now.Add(time.Hour)
	_, err = f.ClientFor(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	assert.Equal(t, "ExpiredToken", code(t, err), "the session has expired")
}

func TestAssumeRole(t *testing.T) {
	f := iamtest.New()
	out, err := f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/path/Ops"), RoleSessionName: aws.String("ci")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::444455556666:assumed-role/Ops/ci", aws.ToString(out.AssumedRoleUser.Arn))
	_, err = f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("Ops"), RoleSessionName: aws.String("ci")})
	assert.Equal(t, "ValidationError", code(t, err))
	// Without a session name the SDK's client refuses the input itself.
	_, err = f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/Ops")})
	var params smithy.InvalidParamsError
	assert.ErrorAs(t, err, &params)
}

// RotateAccessKey against the fake with propagation switched on: it waits
// out the delay, then retires the old key.
func TestRotateWithPropagation(t *testing.T) {
	f := iamtest.New(func(o *iamtest.Options) { o.Propagation = 50 * time.Millisecond })
	f.AddUser("bot")
	old, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	var stored credentials.Profile
	res, err := iamx.RotateAccessKey(ctx, f, "bot", func(p credentials.Profile) error { stored = p; return nil },
		func(o *iamx.RotateOptions) { o.NewSTS = f.ClientFor; o.Poll = 10 * time.Millisecond })
	require.NoError(t, err)
	assert.Greater(t, f.Calls("GetCallerIdentity"), 1, "retried while the key propagated")
	assert.Equal(t, aws.ToString(old.AccessKey.AccessKeyId), res.RetiredKeyID)
	assert.Equal(t, res.NewKeyID, stored.AccessKeyID)
	list, _ := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bot")})
	require.Len(t, list.AccessKeyMetadata, 1)
	assert.Equal(t, res.NewKeyID, aws.ToString(list.AccessKeyMetadata[0].AccessKeyId))
}

// A failure injected on the last step leaves the new key working and the
// old one inactive, and says so.
func TestRotateDeleteFails(t *testing.T) {
	f := iamtest.New()
	f.AddUser("bot")
	_, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	f.FailNext("DeleteAccessKey", errors.New("throttled"))
	res, err := iamx.RotateAccessKey(ctx, f, "bot", func(credentials.Profile) error { return nil }, func(o *iamx.RotateOptions) { o.NewSTS = f.ClientFor })
	require.ErrorIs(t, err, iamx.ErrRotate)
	assert.ErrorContains(t, err, "is inactive, but deleting it failed: throttled")
	list, _ := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bot")})
	require.Len(t, list.AccessKeyMetadata, 2)
	assert.Equal(t, res.RetiredKeyID, aws.ToString(list.AccessKeyMetadata[0].AccessKeyId))
	assert.Equal(t, iamtypes.StatusTypeInactive, list.AccessKeyMetadata[0].Status)
}

// Options.Rand makes key IDs, secrets and session tokens repeatable, as
// Clock makes their dates; a failing Rand is an error, not a panic.
func TestRand(t *testing.T) {
	newFake := func(r io.Reader) *iamtest.Fake {
		f := iamtest.New(func(o *iamtest.Options) { o.Rand = r })
		f.AddUser("bot")
		return f
	}
	keyOf := func(f *iamtest.Fake) (*iamtypes.AccessKey, *ststypes.Credentials) {
		k, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
		require.NoError(t, err)
		r, err := f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Dev"), RoleSessionName: aws.String("ci")})
		require.NoError(t, err)
		return k.AccessKey, r.Credentials
	}
	k1, s1 := keyOf(newFake(mrand.NewChaCha8([32]byte{1})))
	k2, s2 := keyOf(newFake(mrand.NewChaCha8([32]byte{1})))
	assert.Equal(t, aws.ToString(k1.AccessKeyId), aws.ToString(k2.AccessKeyId))
	assert.Equal(t, aws.ToString(k1.SecretAccessKey), aws.ToString(k2.SecretAccessKey))
	assert.Equal(t, aws.ToString(s1.SessionToken), aws.ToString(s2.SessionToken))
	assert.Regexp(t, `^AKIA[A-Z2-7]{16}$`, aws.ToString(k1.AccessKeyId))
	assert.Regexp(t, `^ASIA[A-Z2-7]{16}$`, aws.ToString(s1.AccessKeyId))
	assert.Len(t, aws.ToString(k1.SecretAccessKey), 40)
	assert.Len(t, aws.ToString(s1.SessionToken), 120)

	f := newFake(iotest.ErrReader(errors.New("no entropy")))
	_, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bot")})
	require.EqualError(t, err, "iamtest: reading Options.Rand: no entropy")
	_, err = f.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Dev"), RoleSessionName: aws.String("ci")})
	require.EqualError(t, err, "iamtest: reading Options.Rand: no entropy")
	keys, err := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bot")})
	require.NoError(t, err)
	assert.Empty(t, keys.AccessKeyMetadata, "no key half made")
}
