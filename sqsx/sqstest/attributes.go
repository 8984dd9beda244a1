package sqstest

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// checkAttributes applies SQS's rules for message attributes and the
// AWSTraceHeader system attribute to a batch's entries: a bad one fails
// the whole call with InvalidParameterValue, as SQS does.
func checkAttributes(entries []types.SendMessageBatchRequestEntry) error {
	for _, e := range entries {
		if len(e.MessageAttributes) > 10 {
			return apiError("InvalidParameterValue", fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [10].", len(e.MessageAttributes)))
		}
		for name, v := range e.MessageAttributes {
			t := aws.ToString(v.DataType)
			base, _, _ := strings.Cut(t, ".")
			switch {
			case t == "":
				return apiError("InvalidParameterValue", fmt.Sprintf("The message attribute '%s' must contain non-empty message attribute type.", name))
			case base != "String" && base != "Number" && base != "Binary":
				return apiError("InvalidParameterValue", fmt.Sprintf("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name))
			case base == "Binary" && len(v.BinaryValue) == 0:
				return apiError("InvalidParameterValue", fmt.Sprintf("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name))
			case base != "Binary" && aws.ToString(v.StringValue) == "":
				return apiError("InvalidParameterValue", fmt.Sprintf("The message attribute '%s' with type '%s' must use field 'String'.", name, base))
			}
		}
		for name, v := range e.MessageSystemAttributes {
			if name != string(types.MessageSystemAttributeNameForSendsAWSTraceHeader) || aws.ToString(v.DataType) != "String" || aws.ToString(v.StringValue) == "" {
				return apiError("InvalidParameterValue", fmt.Sprintf("Message system attribute name '%s' is invalid: the only one is AWSTraceHeader, a non-empty String.", name))
			}
		}
	}
	return nil
}

// traceHeader is an entry's AWSTraceHeader, or "".
func traceHeader(e types.SendMessageBatchRequestEntry) string {
	v := e.MessageSystemAttributes[string(types.MessageSystemAttributeNameForSendsAWSTraceHeader)]
	return aws.ToString(v.StringValue)
}
