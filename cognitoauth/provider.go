package cognitoauth

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Provider is an aws.CredentialsProvider for one signed-in user: each
// Retrieve refreshes the tokens when they are near expiry and exchanges them
// for new credentials. Wrap it in aws.NewCredentialsCache; concurrent
// callers trigger one refresh.
type Provider struct {
	c      *Client
	mu     sync.Mutex
	tokens *Tokens
}

// CredentialsProvider returns a provider for the user signed in as t.
func (c *Client) CredentialsProvider(t *Tokens) *Provider {
	cp := *t
	return &Provider{c: c, tokens: &cp}
}

// Tokens returns the provider's current tokens, as refreshed so far (keep
// the refresh token to resume a session).
func (p *Provider) Tokens() Tokens {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.tokens
}

// Retrieve implements aws.CredentialsProvider.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c.opts.Clock().Add(p.c.opts.RefreshBefore).After(p.tokens.Expires) {
		t, err := p.c.Refresh(ctx, p.tokens)
		if err != nil {
			return aws.Credentials{}, err
		}
		p.tokens = t
	}
	cr, err := p.c.Credentials(ctx, p.tokens)
	if err != nil {
		return aws.Credentials{}, err
	}
	if cr.CanExpire {
		// Let aws.CredentialsCache come back a little early.
		cr.Expires = cr.Expires.Add(-min(p.c.opts.RefreshBefore, time.Minute))
	}
	return cr, nil
}
