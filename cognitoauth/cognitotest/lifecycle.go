package cognitotest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/internal/fakecall"
)

// Codes live as long as Cognito's: sign-up codes a day, password-reset
// codes an hour. Five wrong codes in a row give LimitExceededException.
const (
	signUpCodeTTL = 24 * time.Hour
	resetCodeTTL  = time.Hour
	maxCodeMisses = 5
	minPassword   = 8
)

// lifeState is the fake's state for the lifecycle calls and devices.
type lifeState struct {
	signUp, reset map[string]*code      // by username
	access        map[string]*accessTok // access token -> who, which session
	family        map[string]string     // refresh token -> the first refresh token of its session
	devices       map[string]*device    // by device key
	refreshDevice map[string]string     // refresh token -> device key it was issued on
}

type code struct {
	value   string
	old     map[string]bool // codes this one replaced
	expires time.Time
	misses  int
}

type accessTok struct {
	username, family string
	revoked          bool
}

func (f *Fake) state() *lifeState {
	l := &f.life
	if l.access == nil {
		l.signUp, l.reset, l.access, l.family = map[string]*code{}, map[string]*code{}, map[string]*accessTok{}, map[string]string{}
		l.devices, l.refreshDevice = map[string]*device{}, map[string]string{}
	}
	return l
}

// recordIssued notes who holds the access token of r and which session
// its refresh token starts.
func (f *Fake) recordIssued(username string, r *ciptypes.AuthenticationResultType) {
	l := f.state()
	fam := aws.ToString(r.RefreshToken)
	if fam != "" {
		l.family[fam] = fam
	}
	l.access[aws.ToString(r.AccessToken)] = &accessTok{username: username, family: fam}
}

// refreshed puts the tokens a refresh issued in the old refresh token's
// session, on its device.
func (f *Fake) refreshed(old string, r *ciptypes.AuthenticationResultType) {
	l := f.state()
	fam := l.family[old]
	l.access[aws.ToString(r.AccessToken)].family = fam
	if nt := aws.ToString(r.RefreshToken); nt != "" && nt != old {
		l.family[nt] = fam
		if d, ok := l.refreshDevice[old]; ok {
			l.refreshDevice[nt] = d
		}
	}
}

// accessUser checks an access token as the user-pool calls that take one
// do: issued by this pool, not expired, not revoked.
func (f *Fake) accessUser(tok string) (*user, error) {
	a, ok := f.state().access[tok]
	if !ok {
		return nil, apiError("NotAuthorizedException", "Invalid Access Token")
	}
	if a.revoked {
		return nil, apiError("NotAuthorizedException", "Access Token has been revoked")
	}
	claims, exp, err := cognitoauth.ParseClaims(tok)
	if err != nil || claims.Subject == "" {
		return nil, apiError("NotAuthorizedException", "Invalid Access Token")
	}
	if !f.opts.Clock().Before(exp) {
		return nil, apiError("NotAuthorizedException", "Access Token has expired")
	}
	u, ok := f.users[a.username]
	if !ok {
		return nil, apiError("NotAuthorizedException", "Invalid Access Token")
	}
	return u, nil
}

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n)
}

// issueCode makes a new code in m for username; the one it replaces stops
// working (ExpiredCodeException).
func (f *Fake) issueCode(m map[string]*code, username string, ttl time.Duration) {
	c := &code{value: newCode(), old: map[string]bool{}, expires: f.opts.Clock().Add(ttl)}
	if prev, ok := m[username]; ok {
		c.old = prev.old
		c.old[prev.value] = true
	}
	m[username] = c
}

// useCode checks got against username's code in m and uses it up.
func (f *Fake) useCode(m map[string]*code, username, got string) error {
	c, ok := m[username]
	if !ok {
		return apiError("ExpiredCodeException", "Invalid code provided, please request a code again.")
	}
	if c.misses >= maxCodeMisses {
		return apiError("LimitExceededException", "Attempt limit exceeded, please try after some time.")
	}
	switch {
	case hmac.Equal([]byte(got), []byte(c.value)):
		if !f.opts.Clock().Before(c.expires) {
			return apiError("ExpiredCodeException", "Invalid code provided, please request a code again.")
		}
		delete(m, username)
		return nil
	case c.old[got]:
		return apiError("ExpiredCodeException", "Invalid code provided, please request a code again.")
	}
	c.misses++
	return apiError("CodeMismatchException", "Invalid verification code provided, please try again.")
}

// checkSecretHash checks SECRET_HASH of the calls that carry it as a
// field, and the app client.
func (f *Fake) checkSecretHash(clientID, username string, hash *string) error {
	return f.checkClient(clientID, map[string]string{"SECRET_HASH": aws.ToString(hash)}, username)
}

// clientUser checks the app client and SECRET_HASH of a call about a user
// by name, and finds the user.
func (f *Fake) clientUser(clientID, username, hash *string) (*user, error) {
	name := aws.ToString(username)
	if err := f.checkSecretHash(aws.ToString(clientID), name, hash); err != nil {
		return nil, err
	}
	u, ok := f.users[name]
	if !ok {
		return nil, apiError("UserNotFoundException", "Username/client id combination not found.")
	}
	return u, nil
}

// checkClientSecret checks the app client and the client secret of the
// calls that carry the secret itself (GetTokensFromRefreshToken,
// RevokeToken); newErr makes the operation's errors.
func (f *Fake) checkClientSecret(clientID, secret *string, newErr func(code, msg string) error) error {
	if aws.ToString(clientID) != f.opts.ClientID {
		return newErr("ResourceNotFoundException", "User pool client "+aws.ToString(clientID)+" does not exist.")
	}
	if f.opts.ClientSecret != "" && !hmac.Equal([]byte(aws.ToString(secret)), []byte(f.opts.ClientSecret)) {
		return newErr("NotAuthorizedException", "Client "+f.opts.ClientID+" is configured with secret but the secret was not received or is wrong")
	}
	return nil
}

func checkPassword(pw string) error {
	if len(pw) < minPassword {
		return apiError("InvalidPasswordException", fmt.Sprintf("Password does not conform to policy: Password not long enough (at least %d characters)", minPassword))
	}
	return nil
}

// ConfirmationCode returns the sign-up code the pool last "sent" to
// username (SignUp, ResendConfirmationCode), as a test reads it from the
// user's mailbox.
func (f *Fake) ConfirmationCode(username string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.state().signUp[username]
	if !ok {
		return "", false
	}
	return c.value, true
}

// ResetCode returns the password-reset code ForgotPassword last sent to
// username.
func (f *Fake) ResetCode(username string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.state().reset[username]
	if !ok {
		return "", false
	}
	return c.value, true
}

func delivery(u *user) *ciptypes.CodeDeliveryDetailsType {
	dest := "u***@e***"
	if at := strings.IndexByte(u.Email, '@'); at > 0 && at < len(u.Email)-1 {
		dest = u.Email[:1] + "***@" + u.Email[at+1:at+2] + "***"
	}
	return &ciptypes.CodeDeliveryDetailsType{AttributeName: aws.String("email"), DeliveryMedium: ciptypes.DeliveryMediumTypeEmail, Destination: aws.String(dest)}
}

// SignUp implements cognitoauth.LifecycleAPI: the user is added
// unconfirmed, with a code to read with [Fake.ConfirmationCode].
func (f *Fake) SignUp(_ context.Context, in *cip.SignUpInput, _ ...func(*cip.Options)) (out *cip.SignUpOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("SignUp", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "SignUp", &out, &err)
	name := aws.ToString(in.Username)
	if err := f.checkSecretHash(aws.ToString(in.ClientId), name, in.SecretHash); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, apiError("InvalidParameterException", "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if _, ok := f.users[name]; ok {
		return nil, apiError("UsernameExistsException", "User already exists")
	}
	if err := checkPassword(aws.ToString(in.Password)); err != nil {
		return nil, err
	}
	u := &user{name: name, sub: uuid(), password: aws.ToString(in.Password), salt: randHex(16), User: User{Unconfirmed: true}}
	for _, a := range in.UserAttributes {
		if aws.ToString(a.Name) == "email" {
			u.Email = aws.ToString(a.Value)
		}
	}
	f.users[name] = u
	f.issueCode(f.state().signUp, u.name, signUpCodeTTL)
	return &cip.SignUpOutput{UserConfirmed: false, UserSub: aws.String(u.sub), CodeDeliveryDetails: delivery(u)}, nil
}

// ConfirmSignUp implements cognitoauth.LifecycleAPI.
func (f *Fake) ConfirmSignUp(_ context.Context, in *cip.ConfirmSignUpInput, _ ...func(*cip.Options)) (out *cip.ConfirmSignUpOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ConfirmSignUp", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ConfirmSignUp", &out, &err)
	u, err := f.clientUser(in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	if !u.Unconfirmed {
		return nil, apiError("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
	}
	if err := f.useCode(f.state().signUp, u.name, aws.ToString(in.ConfirmationCode)); err != nil {
		return nil, err
	}
	u.Unconfirmed = false
	return &cip.ConfirmSignUpOutput{}, nil
}

// ResendConfirmationCode implements cognitoauth.LifecycleAPI: a new code
// replaces the last one.
func (f *Fake) ResendConfirmationCode(_ context.Context, in *cip.ResendConfirmationCodeInput, _ ...func(*cip.Options)) (out *cip.ResendConfirmationCodeOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ResendConfirmationCode", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ResendConfirmationCode", &out, &err)
	u, err := f.clientUser(in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	if !u.Unconfirmed {
		return nil, apiError("InvalidParameterException", "User is already confirmed.")
	}
	f.issueCode(f.state().signUp, u.name, signUpCodeTTL)
	return &cip.ResendConfirmationCodeOutput{CodeDeliveryDetails: delivery(u)}, nil
}

// ForgotPassword implements cognitoauth.LifecycleAPI: the code is read
// with [Fake.ResetCode].
func (f *Fake) ForgotPassword(_ context.Context, in *cip.ForgotPasswordInput, _ ...func(*cip.Options)) (out *cip.ForgotPasswordOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ForgotPassword", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ForgotPassword", &out, &err)
	u, err := f.clientUser(in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	f.issueCode(f.state().reset, u.name, resetCodeTTL)
	return &cip.ForgotPasswordOutput{CodeDeliveryDetails: delivery(u)}, nil
}

// ConfirmForgotPassword implements cognitoauth.LifecycleAPI.
func (f *Fake) ConfirmForgotPassword(_ context.Context, in *cip.ConfirmForgotPasswordInput, _ ...func(*cip.Options)) (out *cip.ConfirmForgotPasswordOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ConfirmForgotPassword", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ConfirmForgotPassword", &out, &err)
	u, err := f.clientUser(in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(aws.ToString(in.Password)); err != nil {
		return nil, err
	}
	if err := f.useCode(f.state().reset, u.name, aws.ToString(in.ConfirmationCode)); err != nil {
		return nil, err
	}
	u.password, u.ResetRequired, u.TemporaryPassword = aws.ToString(in.Password), false, false
	return &cip.ConfirmForgotPasswordOutput{}, nil
}

// ChangePassword implements cognitoauth.LifecycleAPI.
func (f *Fake) ChangePassword(_ context.Context, in *cip.ChangePasswordInput, _ ...func(*cip.Options)) (out *cip.ChangePasswordOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ChangePassword", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ChangePassword", &out, &err)
	u, err := f.accessUser(aws.ToString(in.AccessToken))
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(aws.ToString(in.PreviousPassword)), []byte(u.password)) {
		return nil, apiError("NotAuthorizedException", "Incorrect username or password.")
	}
	if err := checkPassword(aws.ToString(in.ProposedPassword)); err != nil {
		return nil, err
	}
	u.password = aws.ToString(in.ProposedPassword)
	return &cip.ChangePasswordOutput{}, nil
}

// GlobalSignOut implements cognitoauth.LifecycleAPI: every refresh token
// and access token of the user stops working.
func (f *Fake) GlobalSignOut(_ context.Context, in *cip.GlobalSignOutInput, _ ...func(*cip.Options)) (out *cip.GlobalSignOutOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GlobalSignOut", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GlobalSignOut", &out, &err)
	u, err := f.accessUser(aws.ToString(in.AccessToken))
	if err != nil {
		return nil, err
	}
	for tok, name := range f.refresh {
		if name == u.name {
			delete(f.refresh, tok)
		}
	}
	for _, a := range f.state().access {
		if a.username == u.name {
			a.revoked = true
		}
	}
	return &cip.GlobalSignOutOutput{}, nil
}

// RevokeToken implements cognitoauth.LifecycleAPI: the refresh token, the
// refresh tokens rotation made from it and the access tokens of its
// session stop working. An access token is refused with
// UnsupportedTokenTypeException; an unknown token is accepted, as OAuth
// revocation does.
func (f *Fake) RevokeToken(_ context.Context, in *cip.RevokeTokenInput, _ ...func(*cip.Options)) (out *cip.RevokeTokenOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("RevokeToken", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "RevokeToken", &out, &err)
	if err := f.checkClientSecret(in.ClientId, in.ClientSecret, revokeError); err != nil {
		return nil, err
	}
	tok := aws.ToString(in.Token)
	l := f.state()
	if _, ok := l.access[tok]; ok {
		return nil, revokeError("UnsupportedTokenTypeException", "The token type is not supported: only refresh tokens can be revoked")
	}
	fam, ok := l.family[tok]
	if !ok {
		return &cip.RevokeTokenOutput{}, nil
	}
	for t, ft := range l.family {
		if ft == fam {
			delete(f.refresh, t)
		}
	}
	for _, a := range l.access {
		if a.family == fam {
			a.revoked = true
		}
	}
	return &cip.RevokeTokenOutput{}, nil
}

// initiateCustom starts CUSTOM_AUTH: with CHALLENGE_NAME SRP_A the
// password is proved first (PASSWORD_VERIFIER), then CUSTOM_CHALLENGE.
func (f *Fake) initiateCustom(clientID string, params map[string]string, admin bool) (authOut, error) {
	if params["CHALLENGE_NAME"] == "SRP_A" && !admin {
		out, err := f.initiate(clientID, ciptypes.AuthFlowTypeUserSrpAuth, params, false)
		if err == nil {
			f.sessions[aws.ToString(out.session)].custom = true
		}
		return out, err
	}
	if err := f.checkClient(clientID, params, params["USERNAME"]); err != nil {
		return authOut{}, err
	}
	u, err := f.userFor(params["USERNAME"])
	if err != nil {
		return authOut{}, err
	}
	return f.customChallenge(u, params["DEVICE_KEY"]), nil
}

func (f *Fake) customChallenge(u *user, device string) authOut {
	return authOut{name: ciptypes.ChallengeNameTypeCustomChallenge, params: map[string]string{"USERNAME": u.name, "USER_ID_FOR_SRP": u.name},
		session: f.newSession(&session{username: u.name, stage: string(ciptypes.ChallengeNameTypeCustomChallenge), device: device})}
}

// respondMore answers the challenges of CUSTOM_AUTH and device sign-in.
func (f *Fake) respondMore(u *user, s *session, name ciptypes.ChallengeNameType, responses map[string]string) (authOut, error) {
	switch name {
	case ciptypes.ChallengeNameTypeCustomChallenge:
		if u.CustomAnswer == "" {
			return authOut{}, apiError("NotAuthorizedException", "Custom auth lambda trigger is not configured for the user pool.")
		}
		if !hmac.Equal([]byte(responses["ANSWER"]), []byte(u.CustomAnswer)) {
			return authOut{}, apiError("NotAuthorizedException", "Incorrect username or password.")
		}
		return authOut{result: f.issueDevice(u, s.device)}, nil
	case ciptypes.ChallengeNameTypeDeviceSrpAuth:
		return f.deviceSRP(u, s, responses)
	}
	return f.devicePassword(u, s, responses)
}
