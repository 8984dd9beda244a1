package iamtest

import (
	"fmt"

	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/internal/fakecall"
)

// iamErrors are every error struct of IAM's SDK package.
var iamErrors = fakecall.TypedErrors(fakecall.Query,
	&iamtypes.AccountNotManagementOrDelegatedAdministratorException{}, &iamtypes.CallerIsNotManagementAccountException{},
	&iamtypes.ConcurrentModificationException{}, &iamtypes.CredentialReportExpiredException{},
	&iamtypes.CredentialReportNotPresentException{}, &iamtypes.CredentialReportNotReadyException{},
	&iamtypes.DeleteConflictException{}, &iamtypes.DuplicateCertificateException{},
	&iamtypes.DuplicateSSHPublicKeyException{}, &iamtypes.EntityAlreadyExistsException{},
	&iamtypes.EntityTemporarilyUnmodifiableException{}, &iamtypes.FeatureDisabledException{},
	&iamtypes.FeatureEnabledException{}, &iamtypes.InvalidAuthenticationCodeException{},
	&iamtypes.InvalidCertificateException{}, &iamtypes.InvalidInputException{}, &iamtypes.InvalidPublicKeyException{},
	&iamtypes.InvalidUserTypeException{}, &iamtypes.KeyPairMismatchException{}, &iamtypes.LimitExceededException{},
	&iamtypes.MalformedCertificateException{}, &iamtypes.MalformedPolicyDocumentException{},
	&iamtypes.NameConflictException{}, &iamtypes.NoSuchEntityException{},
	&iamtypes.OpenIdIdpCommunicationErrorException{}, &iamtypes.OrganizationNotFoundException{},
	&iamtypes.OrganizationNotInAllFeaturesModeException{}, &iamtypes.PasswordPolicyViolationException{},
	&iamtypes.PolicyEvaluationException{}, &iamtypes.PolicyNotAttachableException{},
	&iamtypes.ReportGenerationLimitExceededException{}, &iamtypes.RoleModifiedException{},
	&iamtypes.RoleTemplateDisabledException{}, &iamtypes.ServiceAccessNotEnabledException{},
	&iamtypes.ServiceFailureException{}, &iamtypes.ServiceNotSupportedException{},
	&iamtypes.UnmodifiableEntityException{}, &iamtypes.UnrecognizedPublicKeyEncodingException{},
)

// stsErrors are every error struct of STS's SDK package.
var stsErrors = fakecall.TypedErrors(fakecall.Query,
	&ststypes.ExpiredTokenException{}, &ststypes.ExpiredTradeInTokenException{},
	&ststypes.IDPCommunicationErrorException{}, &ststypes.IDPRejectedClaimException{},
	&ststypes.InvalidAuthorizationMessageException{}, &ststypes.InvalidIdentityTokenException{},
	&ststypes.JWTPayloadSizeExceededException{}, &ststypes.MalformedPolicyDocumentException{},
	&ststypes.OutboundWebIdentityFederationDisabledException{}, &ststypes.PackedPolicyTooLargeException{},
	&ststypes.RegionDisabledException{}, &ststypes.SessionDurationEscalationException{},
)

// apiError returns what *iam.Client returns for IAM's error code and
// message: the SDK's typed error (*types.NoSuchEntityException for
// NoSuchEntity, ...) where it has one, else a *smithy.GenericAPIError
// (ValidationError).
func apiError(code, format string, args ...any) error {
	return iamErrors.New(code, fmt.Sprintf(format, args...))
}

// stsError is apiError for *sts.Client (*types.ExpiredTokenException,
// *types.InvalidIdentityTokenException; InvalidClientTokenId,
// SignatureDoesNotMatch, ExpiredToken and AccessDenied are common AWS
// errors with no struct).
func stsError(code, format string, args ...any) error {
	return stsErrors.New(code, fmt.Sprintf(format, args...))
}

// required is a required member of an input and whether it is missing.
type required struct {
	name    string
	missing bool
}

// missingParams returns what the SDK's client returns, before it sends
// anything, for an input that lacks required members (given in the
// model's order, as the SDK lists them): a *smithy.OperationError wrapping
// a smithy.InvalidParamsError, which is not a smithy.APIError. It returns
// nil when nothing is missing.
func missingParams(service, op string, members ...required) error {
	p := smithy.InvalidParamsError{Context: op + "Input"}
	for _, m := range members {
		if m.missing {
			p.Add(smithy.NewErrParamRequired(m.name))
		}
	}
	if p.Len() == 0 {
		return nil
	}
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: p}
}
