// Package sqsx holds SQS helpers that keep order and lose nothing.
//
//	client := sqs.NewFromConfig(cfg)
//	sender, err := sqsx.NewSender(client, queueURL)
//	if err != nil {
//		return err
//	}
//	results, err := sender.Send(ctx, sqsx.Message{GroupID: "order-7", Body: "paid"},
//		sqsx.Message{GroupID: "order-7", Body: "shipped"})
//	if err != nil {
//		return err // a *BatchError names each failure
//	}
//	fmt.Println(len(results), "messages sent, in order")
//
//	p, err := sqsx.NewProcessor(client, queueURL, func(ctx context.Context, m *sqsx.Message) error {
//		return apply(ctx, m.GroupID, m.Body) // nil: deleted; an error: back to the queue, in order
//	})
//	if err != nil {
//		return err
//	}
//	return p.Run(ctx) // until ctx ends; then it drains and returns nil
//
// It offers:
//
//   - [Processor] receives with long polls and hands messages to a
//     [Handler] or [BatchHandler]: on FIFO queues each message group
//     strictly in order, groups in parallel up to Concurrency; on standard
//     queues messages in parallel. Handled messages are deleted in batches;
//     a failure stops its group, and the failed message goes back with the
//     rest of its group's run in one ChangeMessageVisibilityBatch, so they
//     come back in order while other groups go on. A heartbeat keeps held
//     messages hidden while handlers run long (up to SQS's 12 hours), and
//     cancelling Run drains: no message waits out a visibility timeout
//     because of a deploy.
//   - [Sender] sends in batches of up to 10 messages and MaxBatchBytes,
//     validating each message first as SQS would. On FIFO queues each
//     group's messages go out in input order, one per batch by default
//     (batches are filled from other groups), so a group's next message
//     leaves only once SQS has accepted the one before; entries SQS fails
//     through no fault of the sender, or throttles, are retried with
//     capped, jittered backoff; a message that fails for good stops its
//     group ([ErrGroupHalted]). A nil result means the message is in the
//     queue behind every earlier message of its group. With
//     MaxGroupEntries above 1, SQS can accept a later entry of a group
//     whose earlier entry failed (it answers each entry on its own); Send
//     then reports the later one with [ErrOutOfOrder]. Results come in
//     input order, failures summarised in a [*BatchError].
//   - [Message] carries message attributes of every type both ways
//     ([Attribute]: String, Number, Binary, and custom labels such as
//     Number.int or Binary.gzip), sized as SQS counts them
//     ([Message.Size]: the body, and each attribute's name, data type and
//     value bytes), and the AWSTraceHeader system attribute (TraceHeader).
//   - Payload offloading in the AWS extended client libraries' format
//     ([S3Pointer]): a Sender with an OffloadBucket puts bodies over
//     OffloadThreshold (or every body) in S3 and sends a pointer; a
//     Processor or sqslambda with an S3 client reads bodies offloaded by
//     kumo or by the Java, Python and JS libraries (current and legacy
//     names), with bounded reads, and can delete each object once its
//     message is deleted. [ResolvePayload] does the same for your own
//     consumer.
//   - The sub-package sqslambda runs an SQS-triggered Lambda batch with the
//     same handlers and ReportBatchItemFailures, FIFO-aware, groups
//     optionally in parallel; only its users compile aws-lambda-go.
//   - [ParseS3Event] reads S3 event notifications from a message body,
//     direct or wrapped by SNS, decoding object keys as S3 encodes them, and
//     returns the s3:TestEvent as a distinct value.
//
// The sub-package sqstest is an in-memory SQS with standard and FIFO queues
// for tests, and an in-memory S3 for offloaded bodies.
//
// # Delivery
//
// Delivery is at least once, as with SQS itself: a message whose delete
// did not reach SQS (the worker died, its receipt handle expired,
// ShutdownTimeout cut it off) is handled again. Order holds through that: a run's handled messages are
// deleted in one call, or in order across two, so SQS never hands an
// earlier message of a group back after a later one was deleted. One
// narrow case remains, and only this one: SQS deletes a later entry of a
// DeleteMessageBatch call and fails an earlier entry of the same group,
// and the retry of the earlier one does not succeed (five tries fail, the
// worker dies in between, or its handle expired). The earlier message then
// comes back alone after its visibility timeout and is handled again after
// the later one; OnError reports the failed delete. The test
// TestProcessorRehandlingAfterALaterMessage shows exactly this.
//
// # Dead letters and FIFO order
//
// A queue's own redrive policy moves a message to its dead-letter queue
// once SQS has delivered it maxReceiveCount times; ProcessorOptions
// MaxReceiveCount and DeadLetter do the same in the worker, where the
// handler for dead letters can log, alert or park the message in a store
// of your choice. Set MaxReceiveCount below the queue's maxReceiveCount, or
// SQS moves the message first and DeadLetter never sees it.
//
// On FIFO queues both break order on purpose: the group goes on without
// the poisoned message. And the messages behind a failing one are received
// (and counted) with it each time it comes back, so their receive counts
// rise although they never failed. The Processor therefore dead-letters
// only the first message of a group in a receive; a queue's redrive policy
// makes no such distinction, so give it a maxReceiveCount well above
// yours.
//
// # Shutdown
//
// When Run's context ends, the Processor stops receiving and abandons a
// long poll under way, so Run returns within moments of the cancel plus
// the time running handlers need, with default options (on sqstest: a few
// milliseconds on an empty queue, where it used to wait out the 20 s
// poll). Every message received but not started is released at once;
// running handlers finish their current message with a context that lasts
// until ShutdownTimeout; handled messages are deleted. Once SQS has
// answered every delete and release, Run returns nil.
//
// ShutdownTimeout (30 s by default) bounds all of that, counted from the
// cancel. When it runs out, handlers' context ends and every SQS call still
// under way is cut off. A delete or release cut off, or not yet made, did
// not happen as far as the Processor knows: each such message is reported
// through OnError (a [*ProcessError] wrapping [ErrShutdownTimeout]) and
// counted in Stats.Abandoned, not in Deleted or Released, and Run returns
// ErrShutdownTimeout. Unless SQS acted on a call cut off under way (it may
// have: the answer is what was lost), the message comes back after its
// visibility timeout and is handled again. A heartbeat cut off is reported
// only if a handler still holds its messages. Run returns once its calls
// have returned (promptly, with a client that honours its context), so
// when it does Stats are final and OnError has heard of every call. Only a
// handler still running when ShutdownTimeout runs out can be heard of
// later: Run does not wait for it, and when it returns (at once if it
// honours its context) its message is reported and counted as abandoned.
//
// The trade-off: SQS does not notice a client that hangs up, so a message
// that arrives while the abandoned poll would still have waited can be
// taken for it, and then stays hidden for one visibility timeout before it
// is delivered again (on a FIFO queue it holds its group that long).
// Nothing is lost. ProcessorOptions.FinishPollOnShutdown lets the poll run
// to its end instead (up to WaitTime) and releases what it brings.
//
// # Tracing and metrics
//
// SenderOptions.Observer, ProcessorOptions.Observer and
// sqslambda.Options.Observer take an [Observer]: funcs that hear of every
// message created, every SQS call (with its timing and each message's
// outcome) and every handling, and may give the handler its ctx. Package
// sqsotel maps them to OpenTelemetry spans and metrics and carries trace
// context from Sender to handler; sqsx itself imports no telemetry
// library.
package sqsx
