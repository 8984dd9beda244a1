// Package iamtest is an in-memory AWS STS and IAM for tests, in the manner
// of net/http/httptest. A [Fake] satisfies iamx.STSAPI, iamx.IAMAPI and
// iamx.CallerIdentityAPI, so it stands in for *sts.Client and *iam.Client
// wherever code asks for those interfaces:
//
//	func TestRotation(t *testing.T) {
//		ctx := context.Background()
//		fake := iamtest.New(func(o *iamtest.Options) { o.Propagation = 20 * time.Millisecond })
//		fake.AddUser("deploy-bot")
//		_, _ = fake.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deploy-bot")})
//		_, err := iamx.RotateAccessKey(ctx, fake, "deploy-bot", func(credentials.Profile) error { return nil },
//			func(o *iamx.RotateOptions) { o.NewSTS = fake.ClientFor })
//		if err != nil {
//			t.Fatal(err)
//		}
//	}
//
// The fake does the parts code under test relies on:
//   - IAM users and their access keys, with IAM's limit of two keys per
//     user (LimitExceeded), Active/Inactive status and NoSuchEntity for
//     unknown users and keys;
//   - eventual consistency you can switch on: with [Options.Propagation]
//     set, a new key is refused by STS (InvalidClientTokenId) until that
//     much time has passed on [Options.Clock];
//   - GetCallerIdentity for the credentials in the call's sts.Options, so
//     [Fake.ClientFor] gives a client that is "signed in" as one key, and a
//     wrong secret is SignatureDoesNotMatch; iamx.RotateAccessKey given the
//     fake as its IAM client checks the new key through ClientFor, so a
//     rotation test never reaches AWS;
//   - AssumeRole and AssumeRoleWithSAML issuing temporary credentials that
//     GetCallerIdentity then knows; AssumeRoleWithSAML reads the assertion
//     with iamx.ParseSAMLResponse and refuses a role the assertion does not
//     offer (AccessDenied) and an expired one (ExpiredTokenException);
//   - error injection, a log of every call's input and call counts.
//
// Signatures on SAML responses are not checked. Errors are those the SDK's
// clients return: IAM's typed structs (*types.NoSuchEntityException,
// *types.LimitExceededException), STS's (*types.ExpiredTokenException,
// *types.InvalidIdentityTokenException), and a *smithy.GenericAPIError for
// the common errors the SDK has no struct for (ValidationError,
// InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken, AccessDenied).
// An input without a member the SDK requires (UpdateAccessKey's Status,
// AssumeRole's RoleSessionName, ...) fails as the SDK's client fails it
// before sending anything: a *smithy.OperationError wrapping a
// smithy.InvalidParamsError, not a service error.
// The account is 123456789012 unless [Options] say otherwise.
package iamtest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/internal/fakecall"
	"github.com/kumo-go/kumo/internal/opts"
)

// Options configure a [Fake]; a nil option func is skipped.
type Options struct {
	// AccountID goes into ARNs; default 123456789012 (the account moto
	// answers for).
	AccountID string
	// Propagation is how long a new access key is refused by STS, as IAM's
	// eventual consistency does; default 0 (usable at once).
	Propagation time.Duration
	// Clock is the fake's time: keys' creation dates, propagation,
	// temporary credentials' expiry and SAML assertions' NotOnOrAfter;
	// default time.Now.
	Clock func() time.Time
	// Rand is the source of access key IDs, secrets and session tokens;
	// default crypto/rand. It is read under a lock of the fake's own.
	Rand io.Reader
}

// Fake is an in-memory STS and IAM. It is safe for concurrent use.
//
// Its embedded Recorder gives it these methods, by operation name
// ("ListAccessKeys", "CreateAccessKey", "UpdateAccessKey",
// "DeleteAccessKey", "GetCallerIdentity", "AssumeRole",
// "AssumeRoleWithSAML"):
//   - FailNext(op, err): the next call of op returns err without acting;
//   - LoseNext(op, err): the next successful call of op acts, then
//     returns err instead of its answer;
//   - OnCall(op, fn): fn(input) runs before every call of op; an error
//     from it is the call's answer;
//   - Log(op): the inputs of the calls of op, oldest first, as copies;
//   - Calls(op), CallCounts(), TotalCalls(), ResetCalls(): call counts.
type Fake struct {
	fakecall.Recorder
	opts Options

	randMu sync.Mutex // serialises reads of opts.Rand

	mu    sync.Mutex
	users map[string]*user
	keys  map[string]*key // by access key ID, IAM keys and session keys
}

type user struct {
	name string
	keys []string // access key IDs in creation order
}

type key struct {
	id, secret, token string
	user              string // IAM user name; "" for session keys
	arn               string // the caller ARN GetCallerIdentity answers
	status            iamtypes.StatusType
	created, expires  time.Time
}

// New returns an empty fake.
func New(optFns ...func(*Options)) *Fake {
	var o Options
	opts.Apply(&o, optFns)
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return &Fake{opts: o, users: map[string]*user{}, keys: map[string]*key{}}
}

// AccountID returns the fake's account ID.
func (f *Fake) AccountID() string { return f.opts.AccountID }

// AddUser creates an IAM user with no keys; adding one twice is harmless.
func (f *Fake) AddUser(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.users[name] == nil {
		f.users[name] = &user{name: name}
	}
}

// ClientFor returns an STS client of the fake that calls with creds, as
// *sts.Client does when configured with them. It fits
// iamx.RotateOptions.NewSTS.
func (f *Fake) ClientFor(creds aws.Credentials) iamx.CallerIdentityAPI {
	return &boundClient{f: f, creds: creds}
}

type boundClient struct {
	f     *Fake
	creds aws.Credentials
}

// GetCallerIdentity calls the fake with the bound credentials.
func (b *boundClient) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	withCreds := func(o *sts.Options) { o.Credentials = credentialsValue(b.creds) }
	return b.f.GetCallerIdentity(ctx, in, append([]func(*sts.Options){withCreds}, optFns...)...)
}

type credentialsValue aws.Credentials

// Retrieve returns the credentials themselves.
func (c credentialsValue) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials(c), nil
}

// begin counts and logs a call with its input, and applies injected
// failures and hooks (fakecall.Begin). Unlike the other fakes' it takes no
// lock: each operation locks what it touches.
func (f *Fake) begin(op string, input any) error {
	return fakecall.Begin(&f.Recorder, op, input)
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// random reads n bytes of Options.Rand.
func (f *Fake) random(n int) ([]byte, error) {
	b := make([]byte, n)
	f.randMu.Lock()
	defer f.randMu.Unlock()
	if _, err := io.ReadFull(f.opts.Rand, b); err != nil {
		return nil, fmt.Errorf("iamtest: reading Options.Rand: %w", err)
	}
	return b, nil
}

// newKey returns a key with a random ID under prefix (AKIA, ASIA), a
// 40-character secret and, for session keys, a token.
func (f *Fake) newKey(prefix string, token bool) (*key, error) {
	n := 10 + 30
	if token {
		n += 90
	}
	b, err := f.random(n)
	if err != nil {
		return nil, err
	}
	k := &key{id: prefix + idEncoding.EncodeToString(b[:10])[:16], secret: base64.StdEncoding.EncodeToString(b[10:40])}
	if token {
		k.token = base64.StdEncoding.EncodeToString(b[40:])
	}
	return k, nil
}

func (f *Fake) userLocked(name *string) (*user, error) {
	u := f.users[aws.ToString(name)]
	if u == nil {
		return nil, apiError("NoSuchEntity", "The user with name %s cannot be found.", aws.ToString(name))
	}
	return u, nil
}

// ListAccessKeys lists a user's keys, oldest first.
func (f *Fake) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, _ ...func(*iam.Options)) (out *iam.ListAccessKeysOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ListAccessKeys", in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "ListAccessKeys", &out, &err)
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.userLocked(in.UserName)
	if err != nil {
		return nil, err
	}
	out = &iam.ListAccessKeysOutput{}
	for _, id := range u.keys {
		k := f.keys[id]
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamtypes.AccessKeyMetadata{AccessKeyId: aws.String(id), UserName: aws.String(u.name), Status: k.status, CreateDate: aws.Time(k.created)})
	}
	return out, nil
}

// CreateAccessKey gives a user a new active key; a third key is
// LimitExceeded.
func (f *Fake) CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, _ ...func(*iam.Options)) (out *iam.CreateAccessKeyOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("CreateAccessKey", in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "CreateAccessKey", &out, &err)
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.userLocked(in.UserName)
	if err != nil {
		return nil, err
	}
	if len(u.keys) >= 2 {
		return nil, apiError("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	}
	k, err := f.newKey("AKIA", false)
	if err != nil {
		return nil, err
	}
	k.user, k.status, k.created, k.arn = u.name, iamtypes.StatusTypeActive, f.opts.Clock(), fmt.Sprintf("arn:aws:iam::%s:user/%s", f.opts.AccountID, u.name)
	f.keys[k.id] = k
	u.keys = append(u.keys, k.id)
	return &iam.CreateAccessKeyOutput{AccessKey: &iamtypes.AccessKey{AccessKeyId: aws.String(k.id), SecretAccessKey: aws.String(k.secret),
		UserName: aws.String(u.name), Status: k.status, CreateDate: aws.Time(k.created)}}, nil
}

func (f *Fake) userKeyLocked(name, id *string) (*user, *key, error) {
	u, err := f.userLocked(name)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(u.keys, aws.ToString(id)) {
		return nil, nil, apiError("NoSuchEntity", "The Access Key with id %s cannot be found.", aws.ToString(id))
	}
	return u, f.keys[aws.ToString(id)], nil
}

// UpdateAccessKey sets a key Active or Inactive.
func (f *Fake) UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, _ ...func(*iam.Options)) (out *iam.UpdateAccessKeyOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("UpdateAccessKey", in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "UpdateAccessKey", &out, &err)
	if err := missingParams("IAM", "UpdateAccessKey", required{"AccessKeyId", in.AccessKeyId == nil}, required{"Status", in.Status == ""}); err != nil {
		return nil, err
	}
	if in.Status != iamtypes.StatusTypeActive && in.Status != iamtypes.StatusTypeInactive {
		return nil, apiError("ValidationError", "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", in.Status)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, k, err := f.userKeyLocked(in.UserName, in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	k.status = in.Status
	return &iam.UpdateAccessKeyOutput{}, nil
}

// DeleteAccessKey deletes a key, active or not.
func (f *Fake) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (out *iam.DeleteAccessKeyOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("DeleteAccessKey", in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "DeleteAccessKey", &out, &err)
	if err := missingParams("IAM", "DeleteAccessKey", required{"AccessKeyId", in.AccessKeyId == nil}); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, k, err := f.userKeyLocked(in.UserName, in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	u.keys = slices.DeleteFunc(u.keys, func(id string) bool { return id == k.id })
	delete(f.keys, k.id)
	return &iam.DeleteAccessKeyOutput{}, nil
}

// GetCallerIdentity answers for the credentials in the call's options (as
// [Fake.ClientFor] sets them). With none, it answers for the account root.
func (f *Fake) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (out *sts.GetCallerIdentityOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GetCallerIdentity", in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "GetCallerIdentity", &out, &err)
	var o sts.Options
	opts.Apply(&o, optFns)
	arn := fmt.Sprintf("arn:aws:iam::%s:root", f.opts.AccountID)
	userID := f.opts.AccountID
	if o.Credentials != nil {
		c, err := o.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, err
		}
		k, err := f.authenticate(c)
		if err != nil {
			return nil, err
		}
		arn, userID = k.arn, k.id
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(f.opts.AccountID), Arn: aws.String(arn), UserId: aws.String(userID)}, nil
}

// authenticate checks credentials as STS would, comparing secrets in
// constant time.
func (f *Fake) authenticate(c aws.Credentials) (*key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.keys[c.AccessKeyID]
	now := f.opts.Clock()
	if k == nil || k.status != iamtypes.StatusTypeActive || (k.user != "" && now.Sub(k.created) < f.opts.Propagation) {
		return nil, stsError("InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if subtle.ConstantTimeCompare([]byte(k.secret), []byte(c.SecretAccessKey)) != 1 || subtle.ConstantTimeCompare([]byte(k.token), []byte(c.SessionToken)) != 1 {
		return nil, stsError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	}
	if !k.expires.IsZero() && !now.Before(k.expires) {
		return nil, stsError("ExpiredToken", "The security token included in the request is expired")
	}
	return k, nil
}

// checkSessionName refuses a RoleSessionName as STS does: 2 to 64 of
// the characters [\w+=,.@-].
func checkSessionName(name string) error {
	const prefix = "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: "
	switch {
	case len(name) < 2:
		return stsError("ValidationError", prefix+"Member must have length greater than or equal to 2", name)
	case len(name) > 64:
		return stsError("ValidationError", prefix+"Member must have length less than or equal to 64", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+=,.@-", c)) {
			return stsError("ValidationError", prefix+"Member must satisfy regular expression pattern: [\\w+=,.@-]*", name)
		}
	}
	return nil
}

func durationSeconds(d *int32) (time.Duration, error) {
	if d == nil {
		return time.Hour, nil
	}
	if *d < 900 || *d > 43200 {
		return 0, stsError("ValidationError", "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", *d)
	}
	return time.Duration(*d) * time.Second, nil
}

// session issues temporary credentials for an assumed role.
func (f *Fake) session(roleARN, sessionName string, d time.Duration) (*ststypes.Credentials, *ststypes.AssumedRoleUser, error) {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[5], "role/") {
		return nil, nil, stsError("ValidationError", "%q is not a role ARN", roleARN)
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	now := f.opts.Clock()
	k, err := f.newKey("ASIA", true)
	if err != nil {
		return nil, nil, err
	}
	k.expires, k.created, k.status, k.arn = now.Add(d), now, iamtypes.StatusTypeActive, fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", parts[4], name, sessionName)
	f.mu.Lock()
	f.keys[k.id] = k
	f.mu.Unlock()
	return &ststypes.Credentials{AccessKeyId: aws.String(k.id), SecretAccessKey: aws.String(k.secret), SessionToken: aws.String(k.token), Expiration: aws.Time(k.expires)},
		&ststypes.AssumedRoleUser{Arn: aws.String(k.arn), AssumedRoleId: aws.String("AROA" + k.id[4:] + ":" + sessionName)}, nil
}

// AssumeRole issues credentials for any well-formed role ARN; the fake
// keeps no trust policies (evaluate those with iamx.Evaluate).
func (f *Fake) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (out *sts.AssumeRoleOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("AssumeRole", in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "AssumeRole", &out, &err)
	if err := missingParams("STS", "AssumeRole", required{"RoleArn", in.RoleArn == nil}, required{"RoleSessionName", in.RoleSessionName == nil}); err != nil {
		return nil, err
	}
	if err := checkSessionName(aws.ToString(in.RoleSessionName)); err != nil {
		return nil, err
	}
	d, err := durationSeconds(in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	c, u, err := f.session(aws.ToString(in.RoleArn), aws.ToString(in.RoleSessionName), d)
	if err != nil {
		return nil, err
	}
	return &sts.AssumeRoleOutput{Credentials: c, AssumedRoleUser: u}, nil
}

// AssumeRoleWithSAML reads the assertion, checks that it offers the
// role/provider pair, has a RoleSessionName and has not expired, and
// issues credentials for that session name.
func (f *Fake) AssumeRoleWithSAML(ctx context.Context, in *sts.AssumeRoleWithSAMLInput, _ ...func(*sts.Options)) (out *sts.AssumeRoleWithSAMLOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("AssumeRoleWithSAML", in); err != nil {
		return nil, err
	}
	defer fakecall.End(&f.Recorder, "AssumeRoleWithSAML", &out, &err)
	if err := missingParams("STS", "AssumeRoleWithSAML", required{"RoleArn", in.RoleArn == nil}, required{"PrincipalArn", in.PrincipalArn == nil},
		required{"SAMLAssertion", in.SAMLAssertion == nil}); err != nil {
		return nil, err
	}
	a, err := iamx.ParseSAMLResponse(aws.ToString(in.SAMLAssertion))
	if err != nil {
		return nil, stsError("InvalidIdentityToken", "Invalid SAML response: %v", err)
	}
	if !a.NotOnOrAfter.IsZero() && !f.opts.Clock().Before(a.NotOnOrAfter) {
		return nil, stsError("ExpiredTokenException", "Token is expired")
	}
	offered := slices.ContainsFunc(a.Roles, func(r iamx.SAMLRole) bool {
		return r.RoleARN == aws.ToString(in.RoleArn) && r.PrincipalARN == aws.ToString(in.PrincipalArn)
	})
	if !offered {
		return nil, stsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
	}
	d, err := durationSeconds(in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	if a.RoleSessionName == "" {
		return nil, stsError("InvalidIdentityToken", "Missing RoleSessionName attribute in SAML assertion")
	}
	c, u, err := f.session(aws.ToString(in.RoleArn), a.RoleSessionName, d)
	if err != nil {
		return nil, err
	}
	return &sts.AssumeRoleWithSAMLOutput{Credentials: c, AssumedRoleUser: u, Subject: aws.String(a.Subject), Issuer: aws.String(a.Issuer)}, nil
}

// Compile-time checks that the fake satisfies the interfaces iamx asks for.
var (
	_ iamx.STSAPI            = (*Fake)(nil)
	_ iamx.IAMAPI            = (*Fake)(nil)
	_ iamx.CallerIdentityAPI = (*Fake)(nil)
)
