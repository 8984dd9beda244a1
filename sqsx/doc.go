// Package sqsx holds SQS helpers that keep order and lose nothing.
//
// This first part covers sending and the consumers' edges:
//   - [Sender] sends in batches of up to 10 messages and MaxBatchBytes,
//     validating each message first as SQS would. On FIFO queues each
//     group's messages go out in input order, never in two batches at
//     once; entries SQS fails through no fault of the sender, or throttles,
//     are retried with capped, jittered backoff when that cannot reorder
//     the group; otherwise the failure is reported and the rest of the
//     group is not sent ([ErrGroupHalted]). Results come in input order,
//     failures summarised in a [*BatchError].
//   - [ProcessEvent] runs an SQS-triggered Lambda batch with
//     ReportBatchItemFailures, FIFO-aware: after a failure in message group
//     G, the later records of G are reported as failures without being
//     handled, so they come back in order, and other groups go on.
//   - [ParseS3Event] reads S3 event notifications from a message body,
//     direct or wrapped by SNS, decoding object keys as S3 encodes them, and
//     returns the s3:TestEvent as a distinct value.
//
// The sub-package sqstest is an in-memory SQS with standard and FIFO queues
// for tests. The ordered Processor is still to come (issue #4).
package sqsx
