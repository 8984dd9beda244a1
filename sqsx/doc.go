// Package sqsx holds SQS helpers that keep order and lose nothing.
//
// This first part covers the consumers' edges:
//   - [ProcessEvent] runs an SQS-triggered Lambda batch with
//     ReportBatchItemFailures, FIFO-aware: after a failure in message group
//     G, the later records of G are reported as failures without being
//     handled, so they come back in order, and other groups go on.
//   - [ParseS3Event] reads S3 event notifications from a message body,
//     direct or wrapped by SNS, decoding object keys as S3 encodes them, and
//     returns the s3:TestEvent as a distinct value.
//
// The sub-package sqstest is an in-memory SQS with standard and FIFO queues
// for tests. The batched Sender and the ordered Processor are still to come
// (issue #4).
package sqsx
