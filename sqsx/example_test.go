package sqsx_test

import (
	"context"
	"errors"
	"fmt"
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
