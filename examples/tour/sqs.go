package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// tourQueue returns an SQS (the in-process fake, or the emulator's) and a
// new FIFO queue in it.
func tourQueue(ctx context.Context, g *guide) (sqsx.SQSAPI, string, error) {
	if g.endpoint == "" {
		f := sqstest.New()
		return f, f.CreateQueue("kumo-tour.fifo", sqstest.QueueOptions{}), nil
	}
	client := sqs.NewFromConfig(awsConfig(g.endpoint))
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("kumo-tour-%d.fifo", time.Now().UnixNano())),
		Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		return nil, "", err
	}
	return client, aws.ToString(out.QueueUrl), nil
}

func sqsStop(ctx context.Context, g *guide) error {
	client, url, err := tourQueue(ctx, g)
	if err != nil {
		return err
	}
	sender, err := sqsx.NewSender(client, url)
	if err != nil {
		return err
	}
	var msgs []sqsx.Message
	for i := range 30 {
		account := []string{"alice", "bob", "carol"}[i%3]
		msgs = append(msgs, sqsx.Message{GroupID: account, Body: fmt.Sprintf("%s:%d", account, i/3), DeduplicationID: fmt.Sprint(i)})
	}
	_, err = sender.Send(ctx, sqsx.Message{Body: "no group"})
	g.say("A FIFO message without a group is refused before any call:\n    %v", err)
	if _, err := sender.Send(ctx, msgs...); err != nil {
		return err
	}
	g.say("Sent 30 ledger entries for 3 accounts: 10 SendMessageBatch calls, one entry of each account per\n    batch, so a failed entry can never let a later one of its account in first (with many accounts\n    the batches fill up; MaxGroupEntries = 10 would take 3 calls here and report ErrOutOfOrder instead).")

	var mu sync.Mutex
	seen := map[string][]string{}
	failedOnce := false
	done := make(chan struct{})
	count := 0
	p, err := sqsx.NewProcessor(client, url, func(_ context.Context, m *sqsx.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if m.Body == "bob:4" && !failedOnce {
			failedOnce = true
			return errors.New("the ledger service timed out")
		}
		_, n, _ := strings.Cut(m.Body, ":")
		seen[m.GroupID] = append(seen[m.GroupID], n)
		if count++; count == 30 {
			close(done)
		}
		return nil
	}, func(o *sqsx.ProcessorOptions) {
		if g.endpoint != "" {
			// moto's FIFO long poll does not notice a group its deletes
			// free while it waits (real SQS does): short polls there.
			o.WaitTime = time.Second
		}
		o.OnError = func(err error) {
			var pe *sqsx.ProcessError
			if errors.As(err, &pe) && pe.Op == "Handler" {
				g.say("The handler failed once: %v;\n    bob's later entries went back with it, in one call, and alice and carol went on.", err)
			}
		}
	})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	res := make(chan error, 1)
	go func() { res <- p.Run(runCtx) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cancel()
		return errors.New("the processor did not handle the 30 entries within a minute")
	}
	cancel()
	if err := <-res; err != nil {
		return err
	}
	for _, a := range []string{"alice", "bob", "carol"} {
		g.say("%-5s handled in order: %s", a, strings.Join(seen[a], " "))
	}
	st := p.Stats()
	g.say("Cancelling Run drained cleanly. Processor calls: %d (%v) for %d entries,\n    plus 10 sends: %.2f calls per entry where a hand-written loop makes 3.",
		st.APICalls(), st.Calls, st.Handled, float64(st.APICalls()+10)/float64(st.Handled))
	return nil
}
