package sqsx

import (
	"context"
	"strconv"
	"time"
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
	// Attributes are the system attributes; MessageAttributes the sender's,
	// as strings (binary ones are left out).
	Attributes        map[string]string
	MessageAttributes map[string]string
	// Delay is for Send on standard queues: how long SQS hides the message
	// (whole seconds, at most 15 minutes).
	Delay time.Duration
}

// Handler handles one message. A nil error means done: the message may be
// deleted.
type Handler func(ctx context.Context, m *Message) error

// SetAttributes sets Attributes to SQS's system attributes of the
// message (as ReceiveMessage or a Lambda event reports them) and fills the
// fields they carry: GroupID, DeduplicationID, SequenceNumber,
// ReceiveCount and SentAt.
func (m *Message) SetAttributes(attrs map[string]string) {
	m.Attributes = attrs
	m.GroupID = attrs["MessageGroupId"]
	m.DeduplicationID = attrs["MessageDeduplicationId"]
	m.SequenceNumber = attrs["SequenceNumber"]
	if n, err := strconv.Atoi(attrs["ApproximateReceiveCount"]); err == nil {
		m.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(attrs["SentTimestamp"], 10, 64); err == nil {
		m.SentAt = time.UnixMilli(ms).UTC()
	}
}
