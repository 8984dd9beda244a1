package sqsx_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/sqsx"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// A nil option func is skipped: each function of sqsx and sqstest that
// takes option funcs answers with its defaults, as without one.
func TestNilOptionFuncsSkipped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var fake *sqstest.Fake
	require.NotPanics(t, func() { fake = sqstest.New(nil) })
	url := fake.CreateQueue("q", sqstest.QueueOptions{})

	var s *sqsx.Sender
	var err error
	require.NotPanics(t, func() { s, err = sqsx.NewSender(fake, url, nil) })
	require.NoError(t, err)
	_, err = s.Send(ctx, sqsx.Message{Body: "x"})
	require.NoError(t, err)
	assert.Equal(t, 1, fake.Len(url))

	handler := func(context.Context, *sqsx.Message) error { return nil }
	batch := func(context.Context, []*sqsx.Message) []error { return nil }
	require.NotPanics(t, func() { _, err = sqsx.NewProcessor(fake, url, handler, nil) })
	require.NoError(t, err)
	require.NotPanics(t, func() { _, err = sqsx.NewBatchProcessor(fake, url, batch, nil) })
	require.NoError(t, err)
}
