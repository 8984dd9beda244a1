package sqsx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// Sending a burst of FIFO messages: batches of ten, one message per
// customer in each, so every customer's messages land in order; a bad
// message is refused before anything is sent.
func ExampleSender() {
	ctx := context.Background()
	q := sqstest.New()
	url := q.CreateQueue("orders.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	sender, _ := sqsx.NewSender(q, url)

	var msgs []sqsx.Message
	for i := 0; i < 24; i++ {
		msgs = append(msgs, sqsx.Message{GroupID: fmt.Sprintf("customer-%d", i%12), Body: fmt.Sprintf("event %d", i)})
	}
	msgs = append(msgs, sqsx.Message{GroupID: "customer-9", Body: ""})
	results, err := sender.Send(ctx, msgs...)
	fmt.Println(err)
	fmt.Println("sent:", q.Len(url), "calls:", q.Calls("SendMessageBatch"), "first sequence number set:", results[0].SequenceNumber != "")
	// Output:
	// sqsx: 1 of 25 messages not sent; first, message 24: sqsx: invalid message: the body is empty; SQS needs at least one character
	// sent: 24 calls: 4 first sequence number set: true
}

// An ordered worker on a FIFO queue: each account's ledger entries are
// applied in order, accounts in parallel. A failure sends the entry, and
// the account's later ones, back to the queue; they return in order.
func ExampleProcessor() {
	q := sqstest.New()
	url := q.CreateQueue("ledger.fifo", sqstest.QueueOptions{ContentBasedDeduplication: true})
	sender, _ := sqsx.NewSender(q, url)
	var msgs []sqsx.Message
	for i := 0; i < 6; i++ {
		account := []string{"alice", "bob"}[i%2]
		msgs = append(msgs, sqsx.Message{GroupID: account, Body: fmt.Sprintf("%s +%d", account, i)})
	}
	if _, err := sender.Send(context.Background(), msgs...); err != nil {
		fmt.Println(err)
		return
	}

	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	applied := map[string][]string{}
	flaky := true
	p, err := sqsx.NewProcessor(q, url, func(_ context.Context, m *sqsx.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if m.Body == "bob +3" && flaky {
			flaky = false
			return errors.New("ledger busy") // bob +3 and bob +5 come back, in order
		}
		applied[m.GroupID] = append(applied[m.GroupID], m.Body)
		if len(applied["alice"])+len(applied["bob"]) == 6 {
			stop() // Run drains and returns nil
		}
		return nil
	}, func(o *sqsx.ProcessorOptions) {
		o.WaitTime = time.Second
		o.OnError = func(error) {}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Run:", p.Run(ctx))
	fmt.Println(applied["alice"])
	fmt.Println(applied["bob"])
	st := p.Stats()
	fmt.Println("handled:", st.Handled, "failed:", st.Failed, "left in the queue:", q.Len(url))
	// Output:
	// Run: <nil>
	// [alice +0 alice +2 alice +4]
	// [bob +1 bob +3 bob +5]
	// handled: 6 failed: 1 left in the queue: 0
}

// Message attributes of every type, sent and handled: binary values and
// custom labels arrive as they were sent, and Size counts what SQS counts
// toward its 1 MiB.
func ExampleAttribute() {
	q := sqstest.New()
	url := q.CreateQueue("events", sqstest.QueueOptions{})
	sender, _ := sqsx.NewSender(q, url)
	m := sqsx.Message{Body: "resized", MessageAttributes: map[string]sqsx.Attribute{
		"width":     sqsx.NumberAttribute(640),
		"thumbnail": {DataType: "Binary.png", BinaryValue: []byte{0x89, 'P', 'N', 'G'}},
		"source":    sqsx.StringAttribute("upload"),
	}}
	fmt.Println("size:", m.Size()) // 7 + (5+6+3) + (9+10+4) + (6+6+6)
	if _, err := sender.Send(context.Background(), m); err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	p, _ := sqsx.NewProcessor(q, url, func(_ context.Context, m *sqsx.Message) error {
		a := m.MessageAttributes["thumbnail"]
		fmt.Printf("%s %s width=%s thumbnail=%s %q\n", m.Body, m.MessageAttributes["source"].StringValue,
			m.MessageAttributes["width"].StringValue, a.DataType, a.BinaryValue)
		cancel()
		return nil
	})
	_ = p.Run(ctx)
	// Output:
	// size: 62
	// resized upload width=640 thumbnail=Binary.png "\x89PNG"
}

// A body too large for SQS goes through S3 in the AWS extended client
// libraries' format; the Processor reads it back for the handler and
// deletes the object once the message is deleted.
func ExampleSenderOptions_offload() {
	q := sqstest.New()
	url := q.CreateQueue("reports", sqstest.QueueOptions{})
	store := sqstest.NewS3()
	store.CreateBucket("report-bodies")

	sender, _ := sqsx.NewSender(q, url, func(o *sqsx.SenderOptions) {
		o.S3, o.OffloadBucket = store, "report-bodies" // bodies over 256 KiB
	})
	body := strings.Repeat("a line of the report\n", 100_000) // 2.1 MB
	results, err := sender.Send(context.Background(), sqsx.Message{Body: body})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("in S3:", results[0].Payload.Bucket, results[0].Payload.Size, "bytes")

	ctx, cancel := context.WithCancel(context.Background())
	p, _ := sqsx.NewProcessor(q, url, func(_ context.Context, m *sqsx.Message) error {
		fmt.Println("handled:", len(m.Body), "bytes, equal:", m.Body == body)
		cancel() // the one message is handled: stop; Run's drain deletes it and its object
		return nil
	}, func(o *sqsx.ProcessorOptions) {
		o.S3, o.DeletePayloads = store, true
		o.OnError = func(err error) { fmt.Println(err) }
	})
	_ = p.Run(ctx)
	fmt.Println("objects left:", len(store.Keys("report-bodies")))
	// Output:
	// in S3: report-bodies 2100000 bytes
	// handled: 2100000 bytes, equal: true
	// objects left: 0
}
