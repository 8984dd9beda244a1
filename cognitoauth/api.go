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
}

// RefreshTokenAPI is the call an app client with refresh-token rotation
// needs (cognitoidentityprovider.Client has it). It is separate from
// IdentityProviderAPI so that implementations written before it keep
// working; New checks for it with a type assertion. [LifecycleAPI] and
// [DeviceAPI] are optional in the same way.
type RefreshTokenAPI interface {
	GetTokensFromRefreshToken(ctx context.Context, params *cip.GetTokensFromRefreshTokenInput, optFns ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error)
}

// LifecycleAPI is the user-pool calls of the account lifecycle: SignUp and
// its confirmation, forgotten and changed passwords, sign-out and token
// revocation (cognitoidentityprovider.Client has them). Like
// RefreshTokenAPI it is separate from IdentityProviderAPI; the Client
// methods that need it check for it and say so when it is missing.
type LifecycleAPI interface {
	SignUp(ctx context.Context, params *cip.SignUpInput, optFns ...func(*cip.Options)) (*cip.SignUpOutput, error)
	ConfirmSignUp(ctx context.Context, params *cip.ConfirmSignUpInput, optFns ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error)
	ResendConfirmationCode(ctx context.Context, params *cip.ResendConfirmationCodeInput, optFns ...func(*cip.Options)) (*cip.ResendConfirmationCodeOutput, error)
	ForgotPassword(ctx context.Context, params *cip.ForgotPasswordInput, optFns ...func(*cip.Options)) (*cip.ForgotPasswordOutput, error)
	ConfirmForgotPassword(ctx context.Context, params *cip.ConfirmForgotPasswordInput, optFns ...func(*cip.Options)) (*cip.ConfirmForgotPasswordOutput, error)
	ChangePassword(ctx context.Context, params *cip.ChangePasswordInput, optFns ...func(*cip.Options)) (*cip.ChangePasswordOutput, error)
	GlobalSignOut(ctx context.Context, params *cip.GlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error)
	RevokeToken(ctx context.Context, params *cip.RevokeTokenInput, optFns ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
}

// DeviceAPI is the user-pool calls of device tracking
// (cognitoidentityprovider.Client has them), needed with Options.Devices.
type DeviceAPI interface {
	ConfirmDevice(ctx context.Context, params *cip.ConfirmDeviceInput, optFns ...func(*cip.Options)) (*cip.ConfirmDeviceOutput, error)
	UpdateDeviceStatus(ctx context.Context, params *cip.UpdateDeviceStatusInput, optFns ...func(*cip.Options)) (*cip.UpdateDeviceStatusOutput, error)
}
