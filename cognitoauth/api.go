package cognitoauth

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// IdentityProviderAPI is the part of the Cognito user-pools client
// (cognitoidentityprovider.Client) this package calls.
type IdentityProviderAPI interface {
	InitiateAuth(ctx context.Context, params *cip.InitiateAuthInput, optFns ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RespondToAuthChallenge(ctx context.Context, params *cip.RespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
	AdminInitiateAuth(ctx context.Context, params *cip.AdminInitiateAuthInput, optFns ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
	AdminRespondToAuthChallenge(ctx context.Context, params *cip.AdminRespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.AdminRespondToAuthChallengeOutput, error)
}

// IdentityAPI is the part of the Cognito identity-pools client
// (cognitoidentity.Client) this package calls.
type IdentityAPI interface {
	GetId(ctx context.Context, params *cognitoidentity.GetIdInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error)
	GetCredentialsForIdentity(ctx context.Context, params *cognitoidentity.GetCredentialsForIdentityInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetCredentialsForIdentityOutput, error)
	GetOpenIdToken(ctx context.Context, params *cognitoidentity.GetOpenIdTokenInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenOutput, error)
}

// RefreshTokenAPI is the call an app client with refresh-token rotation
// needs (cognitoidentityprovider.Client has it). It is separate from
// IdentityProviderAPI so that implementations written before it keep
// working; New checks for it with a type assertion.
type RefreshTokenAPI interface {
	GetTokensFromRefreshToken(ctx context.Context, params *cip.GetTokensFromRefreshTokenInput, optFns ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error)
}
