package fakecall

import (
	"reflect"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/traits"
)

// Protocol is the wire protocol of a service, which decides the error an
// SDK client makes of an error answer.
type Protocol int

const (
	// JSON is awsJson1_0 and awsJson1_1 (KMS, Cognito): the error's type
	// comes from the answer's __type; codes the SDK has no struct for give
	// a *smithy.GenericAPIError of unknown fault.
	JSON Protocol = iota
	// JSONQueryCompatible is awsJson1_0 with the x-amzn-query-error header
	// (SQS): the SDK's struct carries the service's query-protocol code in
	// ErrorCodeOverride (AWS.SimpleQueueService.NonExistentQueue for
	// QueueDoesNotExist), and a *smithy.GenericAPIError has fault client.
	JSONQueryCompatible
	// Query is awsQuery (IAM, STS): the type is found by its query-protocol
	// code (NoSuchEntity for NoSuchEntityException); a
	// *smithy.GenericAPIError has unknown fault.
	Query
	// RestXML is restXml (S3): the type comes from the answer's Code, and
	// codes the SDK has no struct for give a *smithy.GenericAPIError of
	// unknown fault. Its deserializers know a struct only where the
	// operation's model lists it, so give [TypedErrors] the operation's.
	RestXML
)

// Errors makes a service's error answers into the errors its SDK client
// returns. Make one with [RegistryErrors] or [TypedErrors].
type Errors struct {
	p      Protocol
	reg    *smithy.TypeRegistry
	byCode map[string]reflect.Type // code and type name -> struct type
}

// RegistryErrors knows the errors of a service package that has a type
// registry (kms.TypeRegistry, sqs.TypeRegistry): all of them.
func RegistryErrors(reg *smithy.TypeRegistry, p Protocol) *Errors {
	return &Errors{p: p, reg: reg}
}

// TypedErrors knows the errors given, as pointers to zero values of the
// service package's error structs (&types.NotAuthorizedException{}), for
// service packages without a type registry.
func TypedErrors(p Protocol, typed ...smithy.APIError) *Errors {
	e := &Errors{p: p, byCode: map[string]reflect.Type{}}
	for _, t := range typed {
		rt := reflect.TypeOf(t).Elem()
		e.byCode[t.ErrorCode()] = rt
		e.byCode[rt.Name()] = rt
	}
	return e
}

// New returns the error the SDK client returns when the service answers a
// client error with code and msg: the service package's typed error struct
// where it has one for code (by shape name or query-protocol code), else a
// *smithy.GenericAPIError, as the SDK's deserializers build them.
func (e *Errors) New(code, msg string) error {
	queryCode, perr := e.lookup(code)
	if perr == nil {
		g := &smithy.GenericAPIError{Code: code, Message: msg}
		if e.p == JSONQueryCompatible {
			g.Fault = smithy.FaultClient
		}
		return g
	}
	v := reflect.ValueOf(perr).Elem()
	setString(v, "Message", msg)
	if e.p == JSONQueryCompatible && queryCode != "" {
		setString(v, "ErrorCodeOverride", queryCode)
	}
	return perr
}

func setString(v reflect.Value, field, s string) {
	if f := v.FieldByName(field); f.IsValid() && f.Type() == reflect.TypeFor[*string]() {
		f.Set(reflect.ValueOf(&s))
	}
}

// lookup returns the query-protocol code of code's error struct and a new
// value of the struct, or nil.
func (e *Errors) lookup(code string) (string, smithy.APIError) {
	if e.reg == nil {
		if t, ok := e.byCode[code]; ok {
			return "", reflect.New(t).Interface().(smithy.APIError)
		}
		return "", nil
	}
	if entry, ok := e.reg.LookupEntry(code); ok && entry.Schema != nil {
		if perr, ok := entry.New().(smithy.APIError); ok {
			return queryCode(entry.Schema), perr
		}
	}
	for _, entry := range e.reg.Entries {
		if entry.Schema != nil && queryCode(entry.Schema) == code {
			if perr, ok := entry.New().(smithy.APIError); ok {
				return code, perr
			}
		}
	}
	return "", nil
}

func queryCode(s *smithy.Schema) string {
	if t, ok := smithy.SchemaTrait[*traits.AWSQueryError](s); ok {
		return t.ErrorCode
	}
	return ""
}
