package cognitoauth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// lifecycle returns the user-pools client's LifecycleAPI, or an error
// naming the call that needs it.
func (c *Client) lifecycle(call string) (LifecycleAPI, error) {
	l, ok := c.idp.(LifecycleAPI)
	if !ok {
		return nil, fmt.Errorf("cognitoauth: %s needs a user-pools client with the LifecycleAPI calls (cognitoidentityprovider.Client has them); %T has none", call, c.idp)
	}
	return l, nil
}

// secretHash is SECRET_HASH for username, or nil when the app client has
// no secret.
func (c *Client) secretHash(username string) *string {
	if secret := c.secret.Value(); secret != "" {
		return aws.String(SecretHash(secret, username, c.clientID))
	}
	return nil
}

// SignUp registers username with password and the user attributes given
// (such as "email"; attribute names as Cognito spells them, custom ones
// with their "custom:" prefix). The user is usually unconfirmed until
// [Client.ConfirmSignUp] with the code Cognito sent, as the answer's
// UserConfirmed and CodeDeliveryDetails say. A taken username gives
// ErrUsernameExists, a password the pool's policy refuses
// ErrInvalidPassword.
func (c *Client) SignUp(ctx context.Context, username, password string, attributes map[string]string) (*cip.SignUpOutput, error) {
	l, err := c.lifecycle("SignUp")
	if err != nil {
		return nil, err
	}
	if username == "" || password == "" {
		return nil, errors.New("cognitoauth: SignUp needs a username and a password")
	}
	in := &cip.SignUpInput{ClientId: aws.String(c.clientID), Username: aws.String(username), Password: aws.String(password),
		SecretHash: c.secretHash(username)}
	for _, k := range slices.Sorted(maps.Keys(attributes)) {
		in.UserAttributes = append(in.UserAttributes, ciptypes.AttributeType{Name: aws.String(k), Value: aws.String(attributes[k])})
	}
	out, err := l.SignUp(ctx, in)
	if err != nil {
		return nil, mapError(err, false)
	}
	return out, nil
}

// ConfirmSignUp confirms username's registration with the code Cognito
// sent. A wrong code gives ErrCodeMismatch, an old one ErrCodeExpired.
func (c *Client) ConfirmSignUp(ctx context.Context, username, code string) error {
	l, err := c.lifecycle("ConfirmSignUp")
	if err != nil {
		return err
	}
	if username == "" || code == "" {
		return errors.New("cognitoauth: ConfirmSignUp needs a username and a code")
	}
	_, err = l.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(c.clientID), Username: aws.String(username),
		ConfirmationCode: aws.String(code), SecretHash: c.secretHash(username)})
	if err != nil {
		return mapError(err, false)
	}
	return nil
}

// ResendConfirmationCode sends username a new sign-up code (the earlier
// one stops working) and says where it went.
func (c *Client) ResendConfirmationCode(ctx context.Context, username string) (*ciptypes.CodeDeliveryDetailsType, error) {
	l, err := c.lifecycle("ResendConfirmationCode")
	if err != nil {
		return nil, err
	}
	if username == "" {
		return nil, errors.New("cognitoauth: ResendConfirmationCode needs a username")
	}
	out, err := l.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(c.clientID),
		Username: aws.String(username), SecretHash: c.secretHash(username)})
	if err != nil {
		return nil, mapError(err, false)
	}
	return out.CodeDeliveryDetails, nil
}

// ForgotPassword sends username a code to reset the password with
// [Client.ConfirmForgotPassword], and says where it went.
func (c *Client) ForgotPassword(ctx context.Context, username string) (*ciptypes.CodeDeliveryDetailsType, error) {
	l, err := c.lifecycle("ForgotPassword")
	if err != nil {
		return nil, err
	}
	if username == "" {
		return nil, errors.New("cognitoauth: ForgotPassword needs a username")
	}
	out, err := l.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(c.clientID), Username: aws.String(username),
		SecretHash: c.secretHash(username)})
	if err != nil {
		return nil, mapError(err, false)
	}
	return out.CodeDeliveryDetails, nil
}

// ConfirmForgotPassword sets username's new password with the code
// ForgotPassword sent. A wrong code gives ErrCodeMismatch, an old one
// ErrCodeExpired, a refused password ErrInvalidPassword.
func (c *Client) ConfirmForgotPassword(ctx context.Context, username, code, newPassword string) error {
	l, err := c.lifecycle("ConfirmForgotPassword")
	if err != nil {
		return err
	}
	if username == "" || code == "" || newPassword == "" {
		return errors.New("cognitoauth: ConfirmForgotPassword needs a username, a code and a new password")
	}
	_, err = l.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(c.clientID), Username: aws.String(username),
		ConfirmationCode: aws.String(code), Password: aws.String(newPassword), SecretHash: c.secretHash(username)})
	if err != nil {
		return mapError(err, false)
	}
	return nil
}

// ChangePassword changes the signed-in user's password. A wrong old
// password gives ErrNotAuthorized, a refused new one ErrInvalidPassword.
func (c *Client) ChangePassword(ctx context.Context, t *Tokens, oldPassword, newPassword string) error {
	l, err := c.lifecycle("ChangePassword")
	if err != nil {
		return err
	}
	if t == nil || t.AccessToken == "" {
		return errors.New("cognitoauth: ChangePassword needs signed-in tokens with an access token")
	}
	if oldPassword == "" || newPassword == "" {
		return errors.New("cognitoauth: ChangePassword needs the old and the new password")
	}
	_, err = l.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: aws.String(t.AccessToken),
		PreviousPassword: aws.String(oldPassword), ProposedPassword: aws.String(newPassword)})
	if err != nil {
		return mapError(err, false)
	}
	return nil
}

// GlobalSignOut signs the user out everywhere: every refresh token the
// user holds stops working, and the access tokens stop working at the
// user pool's own calls. (ID and access tokens that a service verifies
// itself stay valid until they expire.)
func (c *Client) GlobalSignOut(ctx context.Context, t *Tokens) error {
	l, err := c.lifecycle("GlobalSignOut")
	if err != nil {
		return err
	}
	if t == nil || t.AccessToken == "" {
		return errors.New("cognitoauth: GlobalSignOut needs signed-in tokens with an access token")
	}
	if _, err := l.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(t.AccessToken)}); err != nil {
		return mapError(err, true)
	}
	return nil
}

// RevokeToken ends this session only: t's refresh token and the access
// tokens it issued stop working (the app client must have token
// revocation on, Cognito's default for new clients).
func (c *Client) RevokeToken(ctx context.Context, t *Tokens) error {
	l, err := c.lifecycle("RevokeToken")
	if err != nil {
		return err
	}
	if t == nil || t.RefreshToken == "" {
		return errors.New("cognitoauth: RevokeToken needs tokens with a refresh token")
	}
	in := &cip.RevokeTokenInput{ClientId: aws.String(c.clientID), Token: aws.String(t.RefreshToken)}
	if secret := c.secret.Value(); secret != "" {
		in.ClientSecret = aws.String(secret)
	}
	if _, err := l.RevokeToken(ctx, in); err != nil {
		return mapError(err, true)
	}
	return nil
}
