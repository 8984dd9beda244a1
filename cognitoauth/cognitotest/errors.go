package cognitotest

import (
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/internal/fakecall"
)

// userPoolErrors are every error struct of the user pool's SDK package.
var userPoolErrors = fakecall.TypedErrors(fakecall.JSON,
	&ciptypes.AccessDeniedException{}, &ciptypes.AliasExistsException{}, &ciptypes.CodeDeliveryFailureException{},
	&ciptypes.CodeMismatchException{}, &ciptypes.ConcurrentModificationException{}, &ciptypes.DeviceKeyExistsException{},
	&ciptypes.DuplicateProviderException{}, &ciptypes.EnableSoftwareTokenMFAException{}, &ciptypes.ExpiredCodeException{},
	&ciptypes.FeatureUnavailableInTierException{}, &ciptypes.ForbiddenException{}, &ciptypes.GroupExistsException{},
	&ciptypes.InternalErrorException{}, &ciptypes.InternalServerException{},
	&ciptypes.InvalidEmailRoleAccessPolicyException{}, &ciptypes.InvalidLambdaResponseException{},
	&ciptypes.InvalidOAuthFlowException{}, &ciptypes.InvalidParameterException{}, &ciptypes.InvalidPasswordException{},
	&ciptypes.InvalidSmsRoleAccessPolicyException{}, &ciptypes.InvalidSmsRoleTrustRelationshipException{},
	&ciptypes.InvalidUserPoolConfigurationException{}, &ciptypes.LimitExceededException{},
	&ciptypes.ManagedLoginBrandingExistsException{}, &ciptypes.MFAMethodNotFoundException{},
	&ciptypes.NotAuthorizedException{}, &ciptypes.OperationNotEnabledException{},
	&ciptypes.PasswordHistoryPolicyViolationException{}, &ciptypes.PasswordResetRequiredException{},
	&ciptypes.PreconditionNotMetException{}, &ciptypes.RefreshTokenReuseException{},
	&ciptypes.ResourceNotFoundException{}, &ciptypes.ScopeDoesNotExistException{},
	&ciptypes.SoftwareTokenMFANotFoundException{}, &ciptypes.TermsExistsException{},
	&ciptypes.TierChangeNotAllowedException{}, &ciptypes.TooManyFailedAttemptsException{},
	&ciptypes.TooManyRequestsException{}, &ciptypes.UnauthorizedException{}, &ciptypes.UnexpectedLambdaException{},
	&ciptypes.UnsupportedIdentityProviderException{}, &ciptypes.UnsupportedOperationException{},
	&ciptypes.UnsupportedTokenTypeException{}, &ciptypes.UnsupportedUserStateException{},
	&ciptypes.UserImportInProgressException{}, &ciptypes.UserLambdaValidationException{},
	&ciptypes.UsernameExistsException{}, &ciptypes.UserNotConfirmedException{}, &ciptypes.UserNotFoundException{},
	&ciptypes.UserPoolAddOnNotEnabledException{}, &ciptypes.UserPoolTaggingException{},
	&ciptypes.WebAuthnChallengeNotFoundException{}, &ciptypes.WebAuthnClientMismatchException{},
	&ciptypes.WebAuthnConfigurationMissingException{}, &ciptypes.WebAuthnCredentialNotSupportedException{},
	&ciptypes.WebAuthnNotEnabledException{}, &ciptypes.WebAuthnOriginNotAllowedException{},
	&ciptypes.WebAuthnRelyingPartyMismatchException{},
)

// identityPoolErrors are every error struct of the identity pool's SDK
// package.
var identityPoolErrors = fakecall.TypedErrors(fakecall.JSON,
	&citypes.ConcurrentModificationException{}, &citypes.DeveloperUserAlreadyRegisteredException{},
	&citypes.ExternalServiceException{}, &citypes.InternalErrorException{},
	&citypes.InvalidIdentityPoolConfigurationException{}, &citypes.InvalidParameterException{},
	&citypes.LimitExceededException{}, &citypes.NotAuthorizedException{}, &citypes.ResourceConflictException{},
	&citypes.ResourceNotFoundException{}, &citypes.TooManyRequestsException{},
)

// apiError returns what the user pool's *cognitoidentityprovider.Client
// returns for Cognito's error code and message: the SDK's typed error
// (*types.NotAuthorizedException, *types.UserNotFoundException, ...).
func apiError(code, msg string) error { return userPoolErrors.New(code, msg) }

// identityError is apiError for the identity pool's
// *cognitoidentity.Client.
func identityError(code, msg string) error { return identityPoolErrors.New(code, msg) }

// revokeErrors are the error structs *cognitoidentityprovider.Client
// makes for RevokeToken: its deserializer knows only the errors the
// operation's model lists, so any other code (ResourceNotFoundException,
// NotAuthorizedException) reaches the caller as a *smithy.GenericAPIError.
var revokeErrors = fakecall.TypedErrors(fakecall.JSON,
	&ciptypes.ForbiddenException{}, &ciptypes.InternalErrorException{}, &ciptypes.InvalidParameterException{},
	&ciptypes.TooManyRequestsException{}, &ciptypes.UnauthorizedException{}, &ciptypes.UnsupportedOperationException{},
	&ciptypes.UnsupportedTokenTypeException{},
)

// revokeError is apiError for RevokeToken.
func revokeError(code, msg string) error { return revokeErrors.New(code, msg) }
