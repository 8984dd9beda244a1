package cognitoauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

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
// the challenges that follow.
func (c *Client) SignIn(ctx context.Context, username, password string) (*Tokens, error) {
	if username == "" || password == "" {
		return nil, errors.New("cognitoauth: username and password must not be empty")
	}
	var st step
	var err error
	switch c.opts.Flow {
	case FlowSRP:
		sess := srp.New(c.cfg.UserPoolID, nil)
		st, err = c.initiate(ctx, ciptypes.AuthFlowTypeUserSrpAuth, c.withSecret(map[string]string{"USERNAME": username, "SRP_A": sess.A()}, username))
		if err == nil && st.challenge == string(ciptypes.ChallengeNameTypePasswordVerifier) {
			userID := st.params["USER_ID_FOR_SRP"]
			if userID == "" {
				return nil, errors.New("cognitoauth: the PASSWORD_VERIFIER challenge has no USER_ID_FOR_SRP")
			}
			sig, ts, cerr := sess.PasswordClaim(userID, password, st.params["SALT"], st.params["SRP_B"], st.params["SECRET_BLOCK"], c.opts.Clock())
			if cerr != nil {
				return nil, fmt.Errorf("cognitoauth: %w", cerr)
			}
			st, err = c.respond(ctx, st, c.withSecret(map[string]string{
				"USERNAME": userID, "PASSWORD_CLAIM_SECRET_BLOCK": st.params["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
			}, userID))
		}
	case FlowPassword:
		st, err = c.initiate(ctx, ciptypes.AuthFlowTypeUserPasswordAuth, c.withSecret(map[string]string{"USERNAME": username, "PASSWORD": password}, username))
	default:
		flow := ciptypes.AuthFlowTypeAdminUserPasswordAuth
		if c.opts.Flow == FlowAdminNoSRP {
			flow = ciptypes.AuthFlowTypeAdminNoSrpAuth
		}
		st, err = c.initiate(ctx, flow, c.withSecret(map[string]string{"USERNAME": username, "PASSWORD": password}, username))
	}
	for round := 0; err == nil && st.result == nil; round++ {
		if round == 10 {
			return nil, errors.New("cognitoauth: more than 10 challenges in a row")
		}
		ch := Challenge{Name: st.challenge, Parameters: st.params}
		if c.opts.ChallengeHandler == nil {
			return nil, &ChallengeError{Name: ch.Name, Parameters: ch.Parameters}
		}
		answers, herr := c.opts.ChallengeHandler(ctx, ch)
		if herr != nil {
			return nil, fmt.Errorf("cognitoauth: answering %s: %w", ch.Name, herr)
		}
		user := st.params["USER_ID_FOR_SRP"]
		if user == "" {
			user = st.params["USERNAME"]
		}
		if user == "" {
			user = username
		}
		responses := map[string]string{"USERNAME": user}
		for k, v := range answers {
			responses[k] = v
		}
		st, err = c.respond(ctx, st, c.withSecret(responses, user))
	}
	if err != nil {
		return nil, mapError(err, false)
	}
	return tokensFrom(st.result, "", c.opts.Clock())
}

func (c *Client) initiate(ctx context.Context, flow ciptypes.AuthFlowType, params map[string]string) (step, error) {
	if c.admin() {
		out, err := c.idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{AuthFlow: flow, ClientId: aws.String(c.cfg.ClientID),
			UserPoolId: aws.String(c.cfg.UserPoolID), AuthParameters: params})
		if err != nil {
			return step{}, err
		}
		return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
	}
	out, err := c.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: flow, ClientId: aws.String(c.cfg.ClientID), AuthParameters: params})
	if err != nil {
		return step{}, err
	}
	return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
}

func (c *Client) respond(ctx context.Context, prev step, responses map[string]string) (step, error) {
	name := ciptypes.ChallengeNameType(prev.challenge)
	if c.admin() {
		out, err := c.idp.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{ChallengeName: name,
			ClientId: aws.String(c.cfg.ClientID), UserPoolId: aws.String(c.cfg.UserPoolID), ChallengeResponses: responses, Session: prev.session})
		if err != nil {
			return step{}, err
		}
		return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
	}
	out, err := c.idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: name,
		ClientId: aws.String(c.cfg.ClientID), ChallengeResponses: responses, Session: prev.session})
	if err != nil {
		return step{}, err
	}
	return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
}

// mapError wraps Cognito's errors in the sentinel they mean.
