package cognitoauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

// A nil option func is skipped: each function of cognitoauth and
// cognitotest that takes option funcs answers with its defaults, as
// without one.
func TestNilOptionFuncsSkipped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var pool *cognitotest.Fake
	require.NotPanics(t, func() { pool = cognitotest.New(nil) })
	assert.Equal(t, "us-east-1", pool.Region(), "cognitotest.Options.Region default")
	assert.Equal(t, "us-east-1_KumoTest1", pool.UserPoolID(), "cognitotest.Options.UserPoolID default")
	var err error
	require.NotPanics(t, func() {
		_, err = cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), nil, pool.ClientOptions, nil)
	})
	require.NoError(t, err)
	srv := pool.StartJWKS()
	defer srv.Close()
	var v *cognitoauth.Verifier
	require.NotPanics(t, func() {
		v, err = cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), nil, pool.VerifierOptions(srv.URL), nil)
	})
	require.NoError(t, err)
	idToken := pool.SignToken(with(idClaims(time.Now()), "iss", pool.Issuer(), "aud", pool.ClientID()))
	_, err = v.Verify(ctx, idToken)
	assert.ErrorIs(t, err, cognitoauth.ErrWrongTokenUse, "VerifierOptions.TokenUse default is access")
}
