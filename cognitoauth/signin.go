package cognitoauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/cognitoauth/internal/srp"
)

// Challenge is a step Cognito asks for before it issues tokens.
type Challenge struct {
	Name       string
	Parameters map[string]string
}

// ChallengeHandler answers a challenge with its responses, such as
// {"NEW_PASSWORD": "…"} or {"SOFTWARE_TOKEN_MFA_CODE": "123456"}. USERNAME
// and SECRET_HASH are added for it.
type ChallengeHandler func(ctx context.Context, c Challenge) (map[string]string, error)

// ChallengeError is returned when Cognito asks for a challenge nobody
// answered.
type ChallengeError struct {
	Name       string
	Parameters map[string]string
}

func (e *ChallengeError) Error() string {
	return fmt.Sprintf("cognitoauth: Cognito asks for the %s challenge; set Options.ChallengeHandler to answer it", e.Name)
}

type step struct {
	result    *ciptypes.AuthenticationResultType
	challenge string
	params    map[string]string
	session   *string
}

func (c *Client) admin() bool {
	return c.opts.Flow == FlowAdminPassword || c.opts.Flow == FlowAdminNoSRP
}

// SignIn signs username in with password through Options.Flow and answers
// the challenges that follow: PASSWORD_VERIFIER and, with Options.Devices,
// DEVICE_SRP_AUTH itself, the rest through Options.ChallengeHandler. With
// FlowCustom the password may be empty (see FlowCustom). With
// Options.Devices, a device the pool reports as new is confirmed and saved
// before SignIn returns; a saved device the pool no longer knows
// (ResourceNotFoundException to DEVICE_SRP_AUTH) is forgotten, and the
// sign-in starts again without it, once.
func (c *Client) SignIn(ctx context.Context, username, password string) (*Tokens, error) {
	if username == "" || (password == "" && c.opts.Flow != FlowCustom) {
		return nil, errors.New("cognitoauth: username and password must not be empty")
	}
	t, err := c.signIn(ctx, username, password, c.opts.Devices != nil)
	var gone *deviceGoneError
	if errors.As(err, &gone) {
		if ferr := c.opts.Devices.ForgetDevice(ctx, username); ferr != nil {
			return nil, fmt.Errorf("cognitoauth: forgetting the device the pool no longer knows: %w", ferr)
		}
		return c.signIn(ctx, username, password, false)
	}
	return t, err
}

// deviceGoneError is DEVICE_SRP_AUTH refused because the pool does not
// know the saved device.
type deviceGoneError struct{ err error }

func (e *deviceGoneError) Error() string {
	return "cognitoauth: the pool does not know the saved device: " + e.err.Error()
}
func (e *deviceGoneError) Unwrap() error { return e.err }

func (c *Client) signIn(ctx context.Context, username, password string, useDevice bool) (*Tokens, error) {
	var device Device
	var hasDevice bool
	if useDevice {
		d, ok, err := c.opts.Devices.LoadDevice(ctx, username)
		if err != nil {
			return nil, fmt.Errorf("cognitoauth: loading the saved device: %w", err)
		}
		device, hasDevice = d, ok && d.Key != "" && d.GroupKey != "" && d.Password != ""
	}
	params := map[string]string{"USERNAME": username}
	if hasDevice {
		params["DEVICE_KEY"] = device.Key
	}
	var sess *srp.Session
	if c.opts.Flow == FlowSRP || (c.opts.Flow == FlowCustom && password != "") {
		a, err := c.srpSecret()
		if err != nil {
			return nil, err
		}
		sess = srp.New(c.userPoolID, a)
		params["SRP_A"] = sess.A()
	}
	var st step
	var err error
	switch c.opts.Flow {
	case FlowSRP:
		st, err = c.initiate(ctx, ciptypes.AuthFlowTypeUserSrpAuth, c.withSecret(params, username))
	case FlowCustom:
		if sess != nil {
			params["CHALLENGE_NAME"] = "SRP_A"
		}
		st, err = c.initiate(ctx, ciptypes.AuthFlowTypeCustomAuth, c.withSecret(params, username))
	case FlowPassword:
		params["PASSWORD"] = password
		st, err = c.initiate(ctx, ciptypes.AuthFlowTypeUserPasswordAuth, c.withSecret(params, username))
	default:
		flow := ciptypes.AuthFlowTypeAdminUserPasswordAuth
		if c.opts.Flow == FlowAdminNoSRP {
			flow = ciptypes.AuthFlowTypeAdminNoSrpAuth
		}
		params["PASSWORD"] = password
		st, err = c.initiate(ctx, flow, c.withSecret(params, username))
	}
	for round := 0; err == nil && st.result == nil; round++ {
		if round == 10 {
			return nil, errors.New("cognitoauth: more than 10 challenges in a row")
		}
		user := st.params["USER_ID_FOR_SRP"]
		if user == "" {
			user = st.params["USERNAME"]
		}
		if user == "" {
			user = username
		}
		switch {
		case st.challenge == string(ciptypes.ChallengeNameTypePasswordVerifier) && sess != nil:
			userID := st.params["USER_ID_FOR_SRP"]
			if userID == "" {
				return nil, errors.New("cognitoauth: the PASSWORD_VERIFIER challenge has no USER_ID_FOR_SRP")
			}
			sig, ts, cerr := sess.PasswordClaim(userID, password, st.params["SALT"], st.params["SRP_B"], st.params["SECRET_BLOCK"], c.opts.Clock())
			if cerr != nil {
				return nil, fmt.Errorf("cognitoauth: %w", cerr)
			}
			responses := map[string]string{"USERNAME": userID, "PASSWORD_CLAIM_SECRET_BLOCK": st.params["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts}
			if hasDevice {
				responses["DEVICE_KEY"] = device.Key
			}
			st, err = c.respond(ctx, st, c.withSecret(responses, userID))
			sess = nil // one password claim per sign-in
			continue
		case st.challenge == string(ciptypes.ChallengeNameTypeDeviceSrpAuth) && hasDevice:
			st, err = c.deviceChallenge(ctx, st, user, device)
			hasDevice = false // one device proof per sign-in
			var apiErr smithy.APIError
			switch {
			case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ResourceNotFoundException":
				return nil, &deviceGoneError{err}
			case err != nil && !isAPIError(err):
				return nil, err
			}
			continue
		}
		ch := Challenge{Name: st.challenge, Parameters: st.params}
		if c.opts.ChallengeHandler == nil {
			return nil, &ChallengeError{Name: ch.Name, Parameters: ch.Parameters}
		}
		answers, herr := c.opts.ChallengeHandler(ctx, ch)
		if herr != nil {
			return nil, fmt.Errorf("cognitoauth: answering %s: %w", ch.Name, herr)
		}
		responses := map[string]string{"USERNAME": user}
		if device.Key != "" {
			responses["DEVICE_KEY"] = device.Key
		}
		for k, v := range answers {
			responses[k] = v
		}
		st, err = c.respond(ctx, st, c.withSecret(responses, user))
	}
	if err != nil {
		return nil, mapError(err, false)
	}
	t, err := tokensFrom(st.result, "", c.opts.Clock())
	if err != nil {
		return nil, err
	}
	if device.Key != "" {
		t.DeviceKey = device.Key
	}
	if st.result.NewDeviceMetadata != nil && c.opts.Devices != nil {
		key, err := c.confirmDevice(ctx, username, st.result)
		if err != nil {
			return nil, err
		}
		t.DeviceKey = key
	}
	return t, nil
}

// srpSecret draws the SRP secret a from Options.Rand; nil (crypto/rand in
// srp.New) when Rand is unset.
func (c *Client) srpSecret() (*big.Int, error) {
	if c.opts.Rand == nil {
		return nil, nil
	}
	b := make([]byte, 128)
	if _, err := io.ReadFull(c.opts.Rand, b); err != nil {
		return nil, fmt.Errorf("cognitoauth: reading Options.Rand: %w", err)
	}
	a := new(big.Int).Mod(new(big.Int).SetBytes(b), srp.N)
	if a.Sign() == 0 {
		return nil, errors.New("cognitoauth: Options.Rand gave an SRP secret of 0")
	}
	return a, nil
}

func isAPIError(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr)
}

func (c *Client) initiate(ctx context.Context, flow ciptypes.AuthFlowType, params map[string]string) (step, error) {
	if c.admin() {
		out, err := c.idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{AuthFlow: flow, ClientId: aws.String(c.clientID),
			UserPoolId: aws.String(c.userPoolID), AuthParameters: params})
		if err != nil {
			return step{}, err
		}
		return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
	}
	out, err := c.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: flow, ClientId: aws.String(c.clientID), AuthParameters: params})
	if err != nil {
		return step{}, err
	}
	return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
}

func (c *Client) respond(ctx context.Context, prev step, responses map[string]string) (step, error) {
	name := ciptypes.ChallengeNameType(prev.challenge)
	if c.admin() {
		out, err := c.idp.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{ChallengeName: name,
			ClientId: aws.String(c.clientID), UserPoolId: aws.String(c.userPoolID), ChallengeResponses: responses, Session: prev.session})
		if err != nil {
			return step{}, err
		}
		return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
	}
	out, err := c.idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: name,
		ClientId: aws.String(c.clientID), ChallengeResponses: responses, Session: prev.session})
	if err != nil {
		return step{}, err
	}
	return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
}

// mapError wraps Cognito's errors in the sentinel they mean.
