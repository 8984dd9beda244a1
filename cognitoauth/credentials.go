package cognitoauth

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

func (c *Client) providerName() string {
	return "cognito-idp." + c.opts.Region + ".amazonaws.com/" + c.userPoolID
}

// Credentials exchanges the tokens at the identity pool (the enhanced flow:
// GetId, cached per user, then GetCredentialsForIdentity).
func (c *Client) Credentials(ctx context.Context, t *Tokens) (aws.Credentials, error) {
	if t == nil || t.IDToken == "" {
		return aws.Credentials{}, errors.New("cognitoauth: Credentials needs signed-in tokens")
	}
	return c.credentials(ctx, t.Claims.Subject, map[string]string{c.providerName(): t.IDToken})
}

// GuestCredentials gets credentials for an unauthenticated identity, where
// the identity pool allows them.
func (c *Client) GuestCredentials(ctx context.Context) (aws.Credentials, error) {
	return c.credentials(ctx, "", nil)
}

func (c *Client) credentials(ctx context.Context, who string, logins map[string]string) (aws.Credentials, error) {
	if c.ids == nil || c.opts.IdentityPoolID == "" {
		return aws.Credentials{}, errors.New("cognitoauth: credentials need an identity-pools client and Config.IdentityPoolID")
	}
	c.mu.Lock()
	id, ok := c.identities[who]
	c.mu.Unlock()
	if !ok {
		in := &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(c.opts.IdentityPoolID), Logins: logins}
		if c.opts.AccountID != "" {
			in.AccountId = aws.String(c.opts.AccountID)
		}
		out, err := c.ids.GetId(ctx, in)
		if err != nil {
			return aws.Credentials{}, mapError(err, false)
		}
		id = aws.ToString(out.IdentityId)
		c.mu.Lock()
		c.identities[who] = id
		c.mu.Unlock()
	}
	in := &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins}
	if c.opts.CustomRoleARN != "" {
		in.CustomRoleArn = aws.String(c.opts.CustomRoleARN)
	}
	out, err := c.ids.GetCredentialsForIdentity(ctx, in)
	if err != nil {
		return aws.Credentials{}, mapError(err, false)
	}
	if out.Credentials == nil {
		return aws.Credentials{}, errors.New("cognitoauth: the identity pool returned no credentials")
	}
	cr := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(cr.AccessKeyId), SecretAccessKey: aws.ToString(cr.SecretKey), SessionToken: aws.ToString(cr.SessionToken),
		Source: "kumo/cognitoauth", CanExpire: cr.Expiration != nil, Expires: aws.ToTime(cr.Expiration)}, nil
}
