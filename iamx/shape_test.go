package iamx_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/iamx/iamtest"
)

// steppingClock advances by step each time it is read, so a wait measured
// by it ends after a known number of reads, without real time mattering.
type steppingClock struct {
	t    time.Time
	step time.Duration
}

func (c *steppingClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

func TestRotateOptionsZeroMeansDefault(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fake := iamtest.New()
	fake.AddUser("bot")
	var stored credentials.Profile
	_, err := iamx.RotateAccessKey(ctx, fake, "bot", func(p credentials.Profile) error { stored = p; return nil },
		func(o *iamx.RotateOptions) { o.NewSTS = fake.ClientFor; o.Profile = "other"; o.Wait = time.Second },
		func(o *iamx.RotateOptions) { o.Profile, o.Wait, o.Poll, o.Clock = "", 0, 0, nil })
	require.NoError(t, err)
	assert.Equal(t, "bot", stored.Name, "Profile empty is the user name")
	assert.Equal(t, 2*time.Minute, iamx.DefaultRotateWait)
	assert.Equal(t, 2*time.Second, iamx.DefaultRotatePoll)
}

func TestRotateOptionsInvalidRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fake := iamtest.New()
	fake.AddUser("bot")
	for _, tt := range []struct {
		name string
		opt  func(*iamx.RotateOptions)
		text string
	}{
		{"negative wait", func(o *iamx.RotateOptions) { o.Wait = -time.Second },
			"iamx: access key rotation: Wait -1s and Poll 2s: neither may be negative (0 means the defaults, 2m0s and 2s) and Poll may not exceed Wait; nothing was changed"},
		{"negative poll", func(o *iamx.RotateOptions) { o.Poll = -time.Second },
			"iamx: access key rotation: Wait 2m0s and Poll -1s: neither may be negative (0 means the defaults, 2m0s and 2s) and Poll may not exceed Wait; nothing was changed"},
		{"poll over wait", func(o *iamx.RotateOptions) { o.Wait, o.Poll = time.Second, time.Minute },
			"iamx: access key rotation: Wait 1s and Poll 1m0s: neither may be negative (0 means the defaults, 2m0s and 2s) and Poll may not exceed Wait; nothing was changed"},
	} {
		_, err := iamx.RotateAccessKey(ctx, fake, "bot", func(credentials.Profile) error { return nil },
			func(o *iamx.RotateOptions) { o.NewSTS = fake.ClientFor }, tt.opt)
		require.ErrorIs(t, err, iamx.ErrRotate, tt.name)
		assert.EqualError(t, err, tt.text, tt.name)
	}
	assert.Zero(t, fake.Calls("CreateAccessKey"), "refused before any change")
}

// The wait is measured by RotateOptions.Clock, and a clock that does not
// move still ends it, after 1 + Wait/Poll calls.
func TestRotateOptionsClock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		step  time.Duration
		calls int
		over  string
	}{
		// Each read moves 20ms. The wait reads the clock once to start,
		// then twice per refused call (how long it took, the deadline
		// check): after the third call it is 100ms in, and 100ms + 20ms +
		// Poll passes Wait.
		{"clock moves", 20 * time.Millisecond, 3, "over 100ms"},
		// 1 + Wait/Poll calls, then it stops, though no time has passed.
		{"clock stands still", 0, 11, "over 0s"},
	} {
		fake := iamtest.New()
		fake.AddUser("bot")
		never := &failingSTS{}
		clk := &steppingClock{t: start, step: tt.step}
		_, err := iamx.RotateAccessKey(ctx, fake, "bot", func(credentials.Profile) error { return nil }, func(o *iamx.RotateOptions) {
			o.NewSTS = func(aws.Credentials) iamx.CallerIdentityAPI { return never }
			o.Wait, o.Poll, o.Clock = 100*time.Millisecond, 10*time.Millisecond, clk.now
		})
		require.ErrorIs(t, err, iamx.ErrRotate, tt.name)
		assert.Equal(t, tt.calls, never.calls, tt.name)
		assert.ErrorContains(t, err, fmt.Sprintf("STS still refused it after %d attempts %s (Wait is 100ms)", tt.calls, tt.over), tt.name)
	}
}

func TestConsoleAndSAMLOptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := iamx.ConsoleURL(ctx, tempCreds, "", func(o *iamx.ConsoleOptions) { o.Partition = "aws-iso" })
	assert.EqualError(t, err, `iamx: unknown ConsoleOptions.Partition "aws-iso"; want aws (or empty), aws-cn or aws-us-gov`)
	var asked string
	client := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		asked = r.URL.Scheme + "://" + r.URL.Host + r.URL.Path
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})}
	_, _ = iamx.ConsoleURL(ctx, tempCreds, "", func(o *iamx.ConsoleOptions) { o.HTTPClient = client; o.FederationEndpoint = "" })
	assert.Equal(t, "https://signin.aws.amazon.com/federation", asked, "FederationEndpoint empty is the partition's")

	a, err := iamx.ParseSAMLResponse(b64(samlXML(success, samlAttrs, devRole+","+devIdP)))
	require.NoError(t, err)
	s := &stubSTS{}
	_, err = iamx.AssumeRoleWithSAML(ctx, s, a, a.Roles[0], func(o *iamx.SAMLOptions) { o.Duration = time.Hour + time.Millisecond })
	assert.EqualError(t, err, "iamx: SAMLOptions.Duration 1h0m0.001s is not whole seconds from 15m to 12h (or 0 for the assertion's)")
	_, err = iamx.AssumeRoleWithSAML(ctx, s, a, a.Roles[0], func(o *iamx.SAMLOptions) { o.Duration = -time.Hour })
	assert.EqualError(t, err, "iamx: SAMLOptions.Duration -1h0m0s is not whole seconds from 15m to 12h (or 0 for the assertion's)")
	assert.Zero(t, s.calls)
	// Clock nil is time.Now: the test assertion expired on 2026-11-22.
	_, err = iamx.AssumeRoleWithSAML(ctx, s, a, a.Roles[0], func(o *iamx.SAMLOptions) { o.Clock = nil })
	require.ErrorIs(t, err, iamx.ErrInvalidSAML)
	assert.ErrorContains(t, err, "expired at 2026-11-22T18:00:00Z")
	// Duration zero is the assertion's.
	_, err = iamx.AssumeRoleWithSAML(ctx, s, a, a.Roles[0], func(o *iamx.SAMLOptions) {
		o.Clock = func() time.Time { return time.Date(2026, 11, 22, 17, 0, 0, 0, time.UTC) }
		o.Duration = 0
	})
	require.NoError(t, err)
	assert.Equal(t, int32(3600), aws.ToInt32(s.in.DurationSeconds))
}

// A nil option func is skipped: each function of iamx and iamtest that
// takes option funcs answers with its defaults, as without one.
func TestNilOptionFuncsSkipped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var fake *iamtest.Fake
	require.NotPanics(t, func() { fake = iamtest.New(nil) })
	fake.AddUser("bot")
	var err error
	var stored credentials.Profile
	require.NotPanics(t, func() {
		_, err = iamx.RotateAccessKey(ctx, fake, "bot", func(p credentials.Profile) error { stored = p; return nil },
			nil, func(o *iamx.RotateOptions) { o.NewSTS = fake.ClientFor }, nil)
	})
	require.NoError(t, err)
	assert.Equal(t, "bot", stored.Name, "Profile empty is the user name")

	var id *sts.GetCallerIdentityOutput
	require.NotPanics(t, func() { id, err = fake.GetCallerIdentity(ctx, nil, nil) })
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:root", aws.ToString(id.Arn), "iamtest.Options.AccountID default, no credentials")
	require.NotPanics(t, func() { id, err = fake.ClientFor(stored.Credentials()).GetCallerIdentity(ctx, nil, nil) })
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:user/bot", aws.ToString(id.Arn))

	var asked string
	client := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		asked = r.URL.Scheme + "://" + r.URL.Host + r.URL.Path
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})}
	require.NotPanics(t, func() {
		_, _ = iamx.ConsoleURL(ctx, tempCreds, "", nil, func(o *iamx.ConsoleOptions) { o.HTTPClient = client }, nil)
	})
	assert.Equal(t, "https://signin.aws.amazon.com/federation", asked, "Partition empty is aws")

	a, err := iamx.ParseSAMLResponse(b64(samlXML(success, samlAttrs, devRole+","+devIdP)))
	require.NoError(t, err)
	require.NotPanics(t, func() { _, err = iamx.AssumeRoleWithSAML(ctx, &stubSTS{}, a, a.Roles[0], nil) })
	require.ErrorIs(t, err, iamx.ErrInvalidSAML, "Clock nil is time.Now, after the assertion expired")
	assert.ErrorContains(t, err, "expired at 2026-11-22T18:00:00Z")
}
