package cognitoauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// Refresh gets new ID and access tokens for t's refresh token, sending
// Tokens.DeviceKey as DEVICE_KEY when set (pools that track devices
// require it). A refresh token that was revoked, has expired or was already
// rotated out gives ErrSessionExpired.
//
// With Options.RefreshRotation, or once this Client has seen that the app
// client rotates refresh tokens, it calls GetTokensFromRefreshToken, and
// the returned Tokens carry the new refresh token (the old one stops
// working; keep the new one). Otherwise it uses REFRESH_TOKEN_AUTH, which
// app clients with rotation refuse: when that is refused with
// NotAuthorizedException or InvalidParameterException and the user-pools
// client implements RefreshTokenAPI, Refresh tries GetTokensFromRefreshToken
// once, and if that succeeds, uses it from then on. (A revoked token
// therefore costs two calls on such clients.)
//
// With rotation a refresh token works once: refresh one session from one
// place at a time (the [Provider] does), or the second caller gets
// ErrSessionExpired; and store the returned Tokens, not the ones passed in.
func (c *Client) Refresh(ctx context.Context, t *Tokens) (*Tokens, error) {
	if t == nil || t.RefreshToken == "" {
		return nil, fmt.Errorf("%w: no refresh token", ErrSessionExpired)
	}
	if c.opts.RefreshRotation || c.rotates.Load() {
		return c.refreshRotating(ctx, t)
	}
	user := t.Claims.Username
	if user == "" {
		user = t.Claims.Subject
	}
	params := map[string]string{"REFRESH_TOKEN": t.RefreshToken}
	if t.DeviceKey != "" {
		params["DEVICE_KEY"] = t.DeviceKey
	}
	st, err := c.initiate(ctx, ciptypes.AuthFlowTypeRefreshTokenAuth, c.withSecret(params, user))
	if err != nil {
		var apiErr smithy.APIError
		if _, ok := c.idp.(RefreshTokenAPI); ok && errors.As(err, &apiErr) &&
			(apiErr.ErrorCode() == "NotAuthorizedException" || apiErr.ErrorCode() == "InvalidParameterException") {
			if nt, err2 := c.refreshRotating(ctx, t); err2 == nil {
				c.rotates.Store(true)
				return nt, nil
			}
		}
		return nil, mapError(err, true)
	}
	if st.result == nil {
		return nil, fmt.Errorf("cognitoauth: refreshing answered with the %s challenge", st.challenge)
	}
	return refreshed(st.result, t, c.opts.Clock())
}

// refreshed is tokensFrom for a refresh: the old refresh token and device
// key carry over unless the answer replaces them.
func refreshed(r *ciptypes.AuthenticationResultType, old *Tokens, now time.Time) (*Tokens, error) {
	t, err := tokensFrom(r, old.RefreshToken, now)
	if err != nil {
		return nil, err
	}
	t.DeviceKey = old.DeviceKey
	return t, nil
}

// refreshRotating refreshes with GetTokensFromRefreshToken.
func (c *Client) refreshRotating(ctx context.Context, t *Tokens) (*Tokens, error) {
	rt, ok := c.idp.(RefreshTokenAPI)
	if !ok {
		return nil, fmt.Errorf("cognitoauth: refresh-token rotation needs a user-pools client with GetTokensFromRefreshToken (%T has none)", c.idp)
	}
	in := &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(c.clientID), RefreshToken: aws.String(t.RefreshToken)}
	if secret := c.secret.Value(); secret != "" {
		in.ClientSecret = aws.String(secret)
	}
	if t.DeviceKey != "" {
		in.DeviceKey = aws.String(t.DeviceKey)
	}
	out, err := rt.GetTokensFromRefreshToken(ctx, in)
	if err != nil {
		return nil, mapError(err, true)
	}
	return refreshed(out.AuthenticationResult, t, c.opts.Clock())
}
