package sqsx

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client that payload offloading calls;
// *s3.Client satisfies it, and so does sqstest.S3.
type S3API interface {
	PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, params *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// The extended client libraries' wire format: the message attribute that
// marks an offloaded body and carries its size in bytes (a Number), and
// the class name that leads the JSON pointer body. The legacy names are
// what the Java library wrote before its 2.0 release; every library still
// reads them.
const (
	payloadSizeAttribute       = "ExtendedPayloadSize"
	legacyPayloadSizeAttribute = "SQSLargePayloadSize"
	pointerClass               = "software.amazon.payloadoffloading.PayloadS3Pointer"
	legacyPointerClass         = "com.amazon.sqs.javamessaging.MessageS3Pointer"
)

// Sizes of payload offloading.
const (
	// DefaultOffloadThreshold is the body-and-attributes size above which
	// a Sender with an OffloadBucket offloads, as the extended client
	// libraries do by default: 256 KiB.
	DefaultOffloadThreshold = 256 << 10
	// DefaultMaxPayloadBytes is how large an S3 payload a Processor or
	// sqslambda reads by default: 64 MiB.
	DefaultMaxPayloadBytes = 64 << 20
	// maxPointerBytes bounds a pointer body: bucket names are at most 63
	// bytes and keys 1,024; JSON escaping at most sextuples a byte.
	maxPointerBytes = 8 << 10
)

func isReservedAttribute(name string) bool {
	return name == payloadSizeAttribute || name == legacyPayloadSizeAttribute
}

var (
	// ErrPayload is wrapped by every failure to read an offloaded body:
	// a pointer that does not parse, an object missing or too large, a
	// size that does not match. The message is not handled and not
	// deleted; it comes back (and, after MaxReceiveCount, goes to
	// DeadLetter with its pointer body).
	ErrPayload = errors.New("sqsx: offloaded payload")
	// ErrPayloadTooLarge is wrapped when the S3 object is larger than
	// MaxPayloadBytes; nothing beyond that bound is read.
	ErrPayloadTooLarge = errors.New("sqsx: offloaded payload larger than MaxPayloadBytes")
)

// S3Pointer says where an offloaded body is: the extended client
// libraries' pointer, sent as the message body
//
//	["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}]
//
// (or with the legacy class com.amazon.sqs.javamessaging.MessageS3Pointer)
// together with the Number attribute ExtendedPayloadSize (or the legacy
// SQSLargePayloadSize) holding the body's size in bytes.
//
// A Message's ReceiptHandle stays SQS's own. The libraries instead hand
// their users a handle with the pointer embedded
// (-..s3BucketName..-B-..s3BucketName..--..s3Key..-K-..s3Key..-<handle>) so
// that their DeleteMessage can find the object; the Processor deletes the
// object itself (ProcessorOptions.DeletePayloads) and needs no such handle.
type S3Pointer struct {
	Bucket, Key string
	// Size is the body's size in bytes as the sender declared it.
	Size int64
}

// MarshalText returns the pointer body the current libraries write, in
// the Java library's compact JSON.
func (p S3Pointer) MarshalText() ([]byte, error) {
	return json.Marshal([]any{pointerClass, struct {
		Bucket string `json:"s3BucketName"`
		Key    string `json:"s3Key"`
	}{p.Bucket, p.Key}})
}

// parsePointer reads a pointer body and its size attribute. It is called
// only for messages that carry the size attribute, as the libraries do.
func parsePointer(body string, size Attribute) (*S3Pointer, error) {
	if len(body) > maxPointerBytes {
		return nil, fmt.Errorf("%w: the pointer body is %d bytes; a pointer is at most %d", ErrPayload, len(body), maxPointerBytes)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(body), &parts); err != nil || len(parts) != 2 {
		return nil, fmt.Errorf("%w: the body is not a pointer: want [%q,{\"s3BucketName\":...,\"s3Key\":...}]", ErrPayload, pointerClass)
	}
	var class string
	if err := json.Unmarshal(parts[0], &class); err != nil || class != pointerClass && class != legacyPointerClass {
		return nil, fmt.Errorf("%w: the pointer's class is not %s or %s", ErrPayload, pointerClass, legacyPointerClass)
	}
	var loc struct {
		Bucket *string `json:"s3BucketName"`
		Key    *string `json:"s3Key"`
	}
	if err := json.Unmarshal(parts[1], &loc); err != nil || loc.Bucket == nil || loc.Key == nil || *loc.Bucket == "" || *loc.Key == "" {
		return nil, fmt.Errorf("%w: the pointer needs a non-empty s3BucketName and s3Key", ErrPayload)
	}
	// encoding/json keeps the last of a repeated name (and matches names
	// case-insensitively); another reader may keep the first, so a
	// pointer naming one twice is refused rather than read one way.
	if k, twice := repeatedName(parts[1]); twice {
		return nil, fmt.Errorf("%w: the pointer has %q twice", ErrPayload, k)
	}
	if len(*loc.Key) > 1024 || len(*loc.Bucket) > 63 {
		return nil, fmt.Errorf("%w: the pointer's s3BucketName or s3Key is not one S3 has: S3 keys are at most 1024 bytes and bucket names 63", ErrPayload)
	}
	n, err := strconv.ParseInt(size.StringValue, 10, 64)
	if err != nil || n < 0 || size.BaseType() != "Number" {
		return nil, fmt.Errorf("%w: the size attribute %q is not a Number of bytes", ErrPayload, size.StringValue)
	}
	return &S3Pointer{Bucket: *loc.Bucket, Key: *loc.Key, Size: n}, nil
}

// takePointer recognises an offloaded message by its size attribute,
// removes that attribute and sets m.Payload. A malformed pointer is
// returned as an error; the message keeps its body.
func takePointer(m *Message) error {
	size, ok := m.MessageAttributes[payloadSizeAttribute]
	legacy, hasLegacy := m.MessageAttributes[legacyPayloadSizeAttribute]
	switch {
	case ok && hasLegacy && size.StringValue != legacy.StringValue:
		return fmt.Errorf("%w: the size attributes %s %s and %s %s disagree", ErrPayload,
			payloadSizeAttribute, size.StringValue, legacyPayloadSizeAttribute, legacy.StringValue)
	case !ok && !hasLegacy:
		return nil
	case !ok:
		size = legacy
	}
	p, err := parsePointer(m.Body, size)
	if err != nil {
		return err
	}
	delete(m.MessageAttributes, payloadSizeAttribute)
	delete(m.MessageAttributes, legacyPayloadSizeAttribute)
	if len(m.MessageAttributes) == 0 {
		m.MessageAttributes = nil
	}
	m.Payload = p
	return nil
}

// ResolvePayload replaces the body of a message offloaded in the extended
// client libraries' format with the object it points to, reading at most
// maxBytes (DefaultMaxPayloadBytes when 0; a negative maxBytes is
// refused), and sets m.Payload. A message without the size attribute is
// left as it is. A pointer that could be read two ways (a name repeated,
// both size attributes with different values) is refused. Errors wrap
// [ErrPayload] and the S3 error (errors.As finds *s3types.NoSuchKey for a
// missing object), or ctx's error: when ctx ends, the object's body is
// closed, so a stalled read ends too. It allocates the declared size (at
// most maxBytes) plus one byte and a 32 KiB copy buffer, whatever the
// object holds. The Processor and sqslambda call it for you when given an
// S3 client; it is exported for consumers of their own.
func ResolvePayload(ctx context.Context, client S3API, m *Message, maxBytes int64) error {
	if maxBytes < 0 {
		return fmt.Errorf("%w: maxBytes %d: use a positive size (0 for %d)", ErrPayload, maxBytes, DefaultMaxPayloadBytes)
	}
	if m.Payload == nil {
		if err := takePointer(m); err != nil || m.Payload == nil {
			return err
		}
	}
	if m.fetched {
		return nil
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxPayloadBytes
	}
	p := m.Payload
	if client == nil {
		return fmt.Errorf("%w: the message's body is in s3://%s/%s and no S3 client was given", ErrPayload, p.Bucket, p.Key)
	}
	if p.Size > maxBytes {
		return fmt.Errorf("%w: s3://%s/%s declares %d bytes: %w (%d)", ErrPayload, p.Bucket, p.Key, p.Size, ErrPayloadTooLarge, maxBytes)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key)})
	if err != nil {
		return fmt.Errorf("%w: reading s3://%s/%s: %w", ErrPayload, p.Bucket, p.Key, err)
	}
	defer out.Body.Close()
	// A body that stalls is closed when ctx ends, which ends the read.
	stop := context.AfterFunc(ctx, func() { _ = out.Body.Close() })
	defer stop()
	if out.ContentLength != nil && *out.ContentLength > maxBytes {
		return fmt.Errorf("%w: s3://%s/%s is %d bytes: %w (%d)", ErrPayload, p.Bucket, p.Key, *out.ContentLength, ErrPayloadTooLarge, maxBytes)
	}
	// The declared size (at most maxBytes) bounds the read: one byte more
	// tells a longer object.
	var buf strings.Builder
	buf.Grow(int(p.Size) + 1)
	n, err := io.Copy(&buf, io.LimitReader(out.Body, p.Size+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("%w: reading s3://%s/%s: %w", ErrPayload, p.Bucket, p.Key, ctx.Err())
	case err != nil:
		return fmt.Errorf("%w: reading s3://%s/%s: %w", ErrPayload, p.Bucket, p.Key, err)
	case n > p.Size:
		return fmt.Errorf("%w: s3://%s/%s holds more than the %d bytes the message declares", ErrPayload, p.Bucket, p.Key, p.Size)
	case n != p.Size:
		return fmt.Errorf("%w: s3://%s/%s holds %d bytes; the message declares %d", ErrPayload, p.Bucket, p.Key, n, p.Size)
	}
	m.Body = buf.String()
	m.fetched = true
	return nil
}

// deletePayload deletes the S3 object of a message whose body was read
// from it.
func deletePayload(ctx context.Context, client S3API, m *Message) error {
	if m.Payload == nil || !m.fetched {
		return nil
	}
	_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(m.Payload.Bucket), Key: aws.String(m.Payload.Key)})
	if err != nil {
		return fmt.Errorf("sqsx: deleting the payload s3://%s/%s: %w", m.Payload.Bucket, m.Payload.Key, err)
	}
	return nil
}

// newPayloadKey is a random UUID (version 4), as the libraries use.
func newPayloadKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// offload returns the message to send in m's place when its body goes to
// S3, with its key; ok is false when m stays as it is.
func (s *Sender) offload(m *Message) (out Message, ok bool) {
	o := &s.opts
	if o.OffloadBucket == "" || !o.AlwaysOffload && m.Size() <= min(o.OffloadThreshold, o.MaxBatchBytes) {
		return *m, false
	}
	p := S3Pointer{Bucket: o.OffloadBucket, Key: o.OffloadKeyPrefix + newPayloadKey(), Size: int64(len(m.Body))}
	body, _ := p.MarshalText()
	out = *m
	out.Body = string(body)
	out.Payload = &p
	out.MessageAttributes = make(map[string]Attribute, len(m.MessageAttributes)+1)
	for k, a := range m.MessageAttributes {
		out.MessageAttributes[k] = a
	}
	out.MessageAttributes[payloadSizeAttribute] = Attribute{DataType: "Number", StringValue: strconv.Itoa(len(m.Body))}
	return out, true
}

// upload puts an offloaded body in S3.
func (s *Sender) upload(ctx context.Context, p *S3Pointer, body string) error {
	_, err := s.opts.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key),
		Body: strings.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		return fmt.Errorf("sqsx: offloading the body to s3://%s/%s: %w", p.Bucket, p.Key, err)
	}
	return nil
}

// keepContentDedup gives an offloaded FIFO message without a
// deduplication ID the SHA-256 of its real body, as SQS's content-based
// deduplication would have used: the pointer body is new each time. A
// queue without content-based deduplication still refuses it.
func (s *Sender) keepContentDedup(ctx context.Context, m, om *Message) error {
	if !s.fifo || m.DeduplicationID != "" {
		return nil
	}
	contentDup, err := s.contentBasedDedup(ctx)
	if err != nil {
		return err
	}
	if !contentDup {
		return fmt.Errorf("%w: no DeduplicationID, and the queue has no content-based deduplication", ErrInvalidMessage)
	}
	sum := sha256.Sum256([]byte(m.Body))
	om.DeduplicationID = hex.EncodeToString(sum[:])
	return nil
}

// checkOffload checks what validate cannot see once the body is in S3.
func checkOffload(m *Message) error {
	if m.Body == "" {
		return fmt.Errorf("%w: the body is empty; SQS needs at least one character", ErrInvalidMessage)
	}
	if len(m.MessageAttributes) > maxAttributes-1 {
		return fmt.Errorf("%w: %d message attributes; an offloaded message takes at most %d (the pointer's %s is the %dth)", ErrInvalidMessage, len(m.MessageAttributes), maxAttributes-1, payloadSizeAttribute, maxAttributes)
	}
	for k := range m.MessageAttributes {
		if isReservedAttribute(k) {
			return fmt.Errorf("%w: attribute name %q is reserved for the size of S3-offloaded bodies (%s, %s)", ErrInvalidMessage, k, payloadSizeAttribute, legacyPayloadSizeAttribute)
		}
	}
	return nil
}

// cleanUp deletes the objects of offloaded messages that are not in the
// queue, so a failed Send leaves nothing behind in S3 (a failure to delete
// is added to the message's error), and names the objects of the others
// in their results.
func (s *Sender) cleanUp(ctx context.Context, results []SendResult, uploaded map[int]*S3Pointer) {
	if len(uploaded) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for i, p := range uploaded {
		if results[i].MessageID != "" {
			results[i].Payload = p
			continue
		}
		if results[i].Err == nil {
			results[i].Err = errors.New("sqsx: the message was not sent (no result from SQS)")
		}
		if _, err := s.opts.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key)}); err != nil {
			results[i].Err = fmt.Errorf("%w (and its offloaded body stays in s3://%s/%s: %w)", results[i].Err, p.Bucket, p.Key, err)
		}
	}
}

// resolve reads the offloaded bodies of ms before their handler runs. When
// one fails, it returns an error per message and false: the failed ones
// get theirs, and the handler is not called; on a FIFO queue the rest of
// the run stops there too (handle releases them with the failed one), on
// a standard queue the others are handled on their own.
func (s *session) resolve(ms []*Message) ([]error, bool) {
	var errs []error
	for k, m := range ms {
		if m.Payload == nil && !hasPayloadAttribute(m) {
			continue
		}
		if m.Payload != nil && !m.fetched && s.p.opts.S3 != nil {
			s.p.count("GetObject")
		}
		if err := ResolvePayload(s.handlerCtx, s.p.opts.S3, m, s.p.opts.MaxPayloadBytes); err != nil {
			if errs == nil {
				errs = make([]error, len(ms))
			}
			errs[k] = err
		}
	}
	if errs == nil {
		return nil, true
	}
	first := 0
	for errs[first] == nil {
		first++
	}
	if s.p.fifo {
		// The messages before the failure are handled; the failure and
		// everything after it wait.
		if first > 0 {
			copy(errs, s.call(ms[:first], make([]error, 1)))
		}
		return errs, false
	}
	var ok []*Message
	var at []int
	for k, m := range ms {
		if errs[k] == nil {
			ok, at = append(ok, m), append(at, k)
		}
	}
	if len(ok) > 0 {
		for j, err := range s.call(ok, make([]error, 1)) {
			errs[at[j]] = err
		}
	}
	return errs, false
}

// repeatedName reports the first member name a JSON object repeats,
// compared as encoding/json matches them (after unescaping, ignoring case).
func repeatedName(obj json.RawMessage) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		k, _ := t.(string)
		if seen[strings.ToLower(k)] {
			return k, true
		}
		seen[strings.ToLower(k)] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

func hasPayloadAttribute(m *Message) bool {
	_, a := m.MessageAttributes[payloadSizeAttribute]
	_, b := m.MessageAttributes[legacyPayloadSizeAttribute]
	return a || b
}

// failedOp names the step a handling failed at, for OnError.
func failedOp(err error) string {
	if errors.Is(err, ErrPayload) {
		return "GetObject"
	}
	return "Handler"
}

// deletePayload deletes the S3 object of a deleted message, when asked
// to; a failure is reported through OnError (Op "DeleteObject").
func (s *session) deletePayload(m *Message) {
	if !s.p.opts.DeletePayloads || m.Payload == nil || !m.fetched {
		return
	}
	// SQS answers a delete with a receipt handle that is no longer
	// current with success, and keeps the message: once its visibility
	// may have run out (a heartbeat failed, or SQS's 12 hours passed), it
	// may be on its way to another receive, which needs the object.
	if m.recv != nil && !s.p.opts.Clock.Now().Before(m.recv.hiddenUntil(m)) {
		s.p.report("DeleteObject", m.ID, fmt.Errorf("%w: kept s3://%s/%s: the message's visibility timeout may have run out before its delete, which SQS then answers with success without deleting it",
			ErrReceiptHandleExpired, m.Payload.Bucket, m.Payload.Key))
		return
	}
	s.p.count("DeleteObject")
	if err := deletePayload(s.apiCtx, s.p.opts.S3, m); err != nil {
		s.p.report("DeleteObject", m.ID, err)
	}
}
