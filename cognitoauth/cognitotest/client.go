package cognitotest

import "github.com/kumo-go/kumo/cognitoauth"

// UserPoolID returns the pool's ID, for cognitoauth.New.
func (f *Fake) UserPoolID() string { return f.opts.UserPoolID }

// ClientID returns the app client's ID, for cognitoauth.New.
func (f *Fake) ClientID() string { return f.opts.ClientID }

// ClientOptions is an option for cognitoauth.New that matches the fake:
// its Region, client secret, identity pool and clock.
//
//	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
func (f *Fake) ClientOptions(o *cognitoauth.Options) {
	o.Region, o.ClientSecret, o.IdentityPoolID, o.Clock = f.opts.Region, f.opts.ClientSecret, f.opts.IdentityPoolID, f.opts.Clock
}

var (
	_ cognitoauth.IdentityProviderAPI = (*Fake)(nil)
	_ cognitoauth.IdentityAPI         = (*Fake)(nil)
	_ cognitoauth.RefreshTokenAPI     = (*Fake)(nil)
	_ cognitoauth.LifecycleAPI        = (*Fake)(nil)
	_ cognitoauth.DeviceAPI           = (*Fake)(nil)
)

// Region returns the pool's Region, for cognitoauth.NewVerifier.
func (f *Fake) Region() string { return f.opts.Region }
