package sqsx

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Message is one SQS message as handlers see it.
type Message struct {
	ID            string
	ReceiptHandle string
	Body          string
	// GroupID, DeduplicationID and SequenceNumber are set on FIFO queues.
	GroupID         string
	DeduplicationID string
	SequenceNumber  string
	// ReceiveCount is ApproximateReceiveCount: 1 on the first delivery.
	ReceiveCount int
	// SentAt is when SQS accepted the message.
	SentAt time.Time
	// Attributes are the system attributes SQS reported on receive.
	Attributes map[string]string
	// MessageAttributes are the sender's attributes, of every type, both
	// ways: a Sender sends them, a Processor and sqslambda fill them in.
	MessageAttributes map[string]Attribute
	// TraceHeader is the AWSTraceHeader system attribute (an X-Ray trace
	// header). A Sender sends it as a message system attribute, which SQS
	// does not count toward the message size; on receive it is read from
	// Attributes.
	TraceHeader string
	// Delay is for Send on standard queues: how long SQS hides the message
	// (whole seconds, at most 15 minutes).
	Delay time.Duration
	// Payload is set on a message whose body was offloaded to S3 in the
	// AWS extended client libraries' format (see [S3Pointer]). Handlers
	// see the body read from S3; a DeadLetter handler sees the pointer
	// body SQS delivered, to park or inspect.
	Payload *S3Pointer

	fetched bool      // Body was read from Payload by this Processor
	recv    *received // the receive that brought m, in a Processor
}

// Attribute is a message attribute of any SQS type. DataType is String,
// Number or Binary, optionally followed by a custom label after a period
// ("Number.int", "Binary.image/png", "String.json"; a label may hold any
// character a body may). String and Number types
// carry StringValue (a Number as its decimal text, as SQS keeps it);
// Binary types carry BinaryValue.
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// StringAttribute returns a String attribute.
func StringAttribute(v string) Attribute { return Attribute{DataType: "String", StringValue: v} }

// NumberAttribute returns a Number attribute of n's decimal text.
func NumberAttribute(n int64) Attribute {
	return Attribute{DataType: "Number", StringValue: strconv.FormatInt(n, 10)}
}

// BinaryAttribute returns a Binary attribute.
func BinaryAttribute(b []byte) Attribute { return Attribute{DataType: "Binary", BinaryValue: b} }

// BaseType is the attribute's type without its custom label: "String",
// "Number" or "Binary" ("" for any other DataType).
func (a Attribute) BaseType() string {
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String", "Number", "Binary":
		return base
	}
	return ""
}

// Size is what SQS counts of the attribute toward the message size limit:
// the bytes of its name, its data type and its value (the raw bytes of a
// binary value, not their base64 form on the wire).
func (a Attribute) Size(name string) int {
	return len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
}

// Size is what SQS counts of m toward its 1 MiB message and batch limits:
// the body's bytes and each message attribute's [Attribute.Size]. The
// AWSTraceHeader system attribute does not count.
func (m *Message) Size() int {
	n := len(m.Body)
	for k, a := range m.MessageAttributes {
		n += a.Size(k)
	}
	return n
}

// validAttrDataType reports whether t is String, Number or Binary,
// optionally with a custom label after a period: up to 256 bytes in all,
// the label of the characters a body may hold, as SQS allows.
func validAttrDataType(t string) bool {
	if len(t) > 256 {
		return false
	}
	base, label, hasLabel := strings.Cut(t, ".")
	if base != "String" && base != "Number" && base != "Binary" {
		return false
	}
	if !hasLabel {
		return true
	}
	// SQS gives a data type the message body's restrictions, so a label
	// such as "image/png" or "json; charset=utf-8" is valid.
	ok, _ := validSQSText(label)
	return ok && label != ""
}

// validNumber reports whether s is a number SQS accepts: decimal, with an
// optional sign, fraction and exponent, up to 38 significant digits and
// within 10^-128 to 10^+126.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for ; i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.'); i++ {
	}
	mant := strings.ReplaceAll(s[start:i], ".", "")
	digits := len(mant)
	sig := len(strings.Trim(mant, "0")) // leading and trailing zeros are trimmed
	if digits == 0 || strings.Count(s[:i], ".") > 1 {
		return false
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return false
		}
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j == len(s) {
			return false
		}
		for ; j < len(s); j++ {
			if s[j] < '0' || s[j] > '9' {
				return false
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	a := math.Abs(f)
	return sig <= 38 && (a == 0 || a >= 1e-128 && a <= 1e126)
}

// toSQSAttributes converts a message's attributes for a send.
func toSQSAttributes(attrs map[string]Attribute) map[string]types.MessageAttributeValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]types.MessageAttributeValue, len(attrs))
	for k, a := range attrs {
		v := types.MessageAttributeValue{DataType: aws.String(a.DataType)}
		if a.BaseType() == "Binary" {
			v.BinaryValue = a.BinaryValue
		} else {
			v.StringValue = aws.String(a.StringValue)
		}
		out[k] = v
	}
	return out
}

// fromSQSAttributes converts the message attributes of a received
// message, every type kept.
func fromSQSAttributes(attrs map[string]types.MessageAttributeValue) map[string]Attribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]Attribute, len(attrs))
	for k, v := range attrs {
		out[k] = Attribute{DataType: aws.ToString(v.DataType), StringValue: aws.ToString(v.StringValue), BinaryValue: v.BinaryValue}
	}
	return out
}

// Handler handles one message. A nil error means done: the message may be
// deleted.
type Handler func(ctx context.Context, m *Message) error

// SetAttributes sets Attributes to SQS's system attributes of the
// message (as ReceiveMessage or a Lambda event reports them) and fills the
// fields they carry: GroupID, DeduplicationID, SequenceNumber,
// ReceiveCount, SentAt and TraceHeader.
func (m *Message) SetAttributes(attrs map[string]string) {
	m.Attributes = attrs
	m.GroupID = attrs["MessageGroupId"]
	m.DeduplicationID = attrs["MessageDeduplicationId"]
	m.SequenceNumber = attrs["SequenceNumber"]
	m.TraceHeader = attrs["AWSTraceHeader"]
	if n, err := strconv.Atoi(attrs["ApproximateReceiveCount"]); err == nil {
		m.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(attrs["SentTimestamp"], 10, 64); err == nil {
		m.SentAt = time.UnixMilli(ms).UTC()
	}
}

// quoted quotes s for an error, its first 64 bytes and its length when it
// is longer: an error about a huge value need not carry all of it.
func quoted(s string) string {
	if len(s) <= 64 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:64], len(s))
}

// validAttribute checks one message attribute as SQS would.
func validAttribute(name string, a Attribute) error {
	switch {
	case !validAttrName(name):
		return fmt.Errorf("attribute name %s: use 1 to 256 of A-Z a-z 0-9 _ - ., no leading, trailing or doubled period, not starting with AWS. or Amazon. in any case", quoted(name))
	case !validAttrDataType(a.DataType):
		return fmt.Errorf("attribute %q: data type %s: use String, Number or Binary, optionally followed by a period and a label of the characters SQS accepts in a body (256 bytes in all)", name, quoted(a.DataType))
	}
	switch a.BaseType() {
	case "Binary":
		if len(a.BinaryValue) == 0 || a.StringValue != "" {
			return fmt.Errorf("attribute %q: a %s attribute needs a non-empty BinaryValue and no StringValue", name, a.DataType)
		}
	case "Number":
		if !validNumber(a.StringValue) || a.BinaryValue != nil {
			return fmt.Errorf("attribute %q: %s is not a Number SQS accepts: decimal digits with optional sign, point and exponent, up to 38 significant digits, from 10^-128 to 10^126, and no BinaryValue", name, quoted(a.StringValue))
		}
	default:
		if ok, _ := validSQSText(a.StringValue); !ok || a.StringValue == "" || a.BinaryValue != nil {
			return fmt.Errorf("attribute %q: a %s attribute needs a non-empty StringValue of the characters SQS accepts, and no BinaryValue", name, a.DataType)
		}
	}
	return nil
}

// validTraceHeader reports whether h has the shape of an X-Ray trace
// header, which SQS checks before it accepts AWSTraceHeader: key=value
// fields separated by semicolons, with a Root and a Parent of X-Ray's form
// when they are there.
func validTraceHeader(h string) bool {
	if len(h) > maxTraceHeader {
		return false
	}
	for _, field := range strings.Split(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok || k == "" || v == "" {
			return false
		}
		for _, c := range k + v {
			if c <= ' ' || c > '~' || c == ';' {
				return false
			}
		}
		switch k {
		case "Root":
			ver, rest, _ := strings.Cut(v, "-")
			ts, id, _ := strings.Cut(rest, "-")
			if ver != "1" || len(ts) != 8 || len(id) != 24 || !isHex(ts) || !isHex(id) {
				return false
			}
		case "Parent":
			if len(v) != 16 || !isHex(v) {
				return false
			}
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
