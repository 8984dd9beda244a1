package iamx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
)

var tempCreds = aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+secret", SessionToken: "FwoGZXIvYXdzEXAMPLEtoken"}

// federation is a stand-in for the sign-in federation endpoint: it checks
// the getSigninToken request as documented and answers with a token.
func federation(t *testing.T, status int, answer string) (*httptest.Server, *[]url.Values) {
	var seen []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Query())
		w.WriteHeader(status)
		fmt.Fprint(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestConsoleURL(t *testing.T) {
	srv, seen := federation(t, 200, `{"SigninToken":"tok+/="}`)
	got, err := iamx.ConsoleURL(context.Background(), tempCreds, "https://console.aws.amazon.com/s3/home?region=eu-west-1", func(o *iamx.ConsoleOptions) {
		o.FederationEndpoint = srv.URL + "/federation"
		o.Issuer = "https://intranet.example.com"
		o.SessionDuration = 2 * time.Hour
	})
	require.NoError(t, err)

	require.Len(t, *seen, 1)
	q := (*seen)[0]
	assert.Equal(t, "getSigninToken", q.Get("Action"))
	assert.Equal(t, "7200", q.Get("SessionDuration"))
	var session map[string]string
	require.NoError(t, json.Unmarshal([]byte(q.Get("Session")), &session))
	assert.Equal(t, map[string]string{"sessionId": tempCreds.AccessKeyID, "sessionKey": tempCreds.SecretAccessKey, "sessionToken": tempCreds.SessionToken}, session)

	u, err := url.Parse(got)
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/federation", u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, url.Values{"Action": {"login"}, "Destination": {"https://console.aws.amazon.com/s3/home?region=eu-west-1"},
		"Issuer": {"https://intranet.example.com"}, "SigninToken": {"tok+/="}}, u.Query())
}

func TestConsoleURLDefaults(t *testing.T) {
	srv, seen := federation(t, 200, `{"SigninToken":"t"}`)
	got, err := iamx.ConsoleURL(context.Background(), tempCreds, "", func(o *iamx.ConsoleOptions) { o.FederationEndpoint = srv.URL })
	require.NoError(t, err)
	assert.False(t, (*seen)[0].Has("SessionDuration"), "left to AWS")
	u, _ := url.Parse(got)
	assert.Equal(t, url.Values{"Action": {"login"}, "Destination": {"https://console.aws.amazon.com/"}, "SigninToken": {"t"}}, u.Query())
}

func TestConsoleURLRefuses(t *testing.T) {
	srv, seen := federation(t, 200, `{"SigninToken":"t"}`)
	at := func(o *iamx.ConsoleOptions) { o.FederationEndpoint = srv.URL }
	longTerm := tempCreds
	longTerm.SessionToken = ""
	for name, tc := range map[string]struct {
		creds aws.Credentials
		dest  string
		opt   func(*iamx.ConsoleOptions)
		want  string
	}{
		"long-term keys": {longTerm, "", at, "long-term IAM user keys cannot sign in to the console: exchange them first with STS GetFederationToken"},
		"no secret":      {aws.Credentials{AccessKeyID: "ASIA", SessionToken: "t"}, "", at, "needs an access key ID and secret access key"},
		"too short":      {tempCreds, "", func(o *iamx.ConsoleOptions) { at(o); o.SessionDuration = 14 * time.Minute }, "outside 15m to 12h"},
		"too long":       {tempCreds, "", func(o *iamx.ConsoleOptions) { at(o); o.SessionDuration = 13 * time.Hour }, "outside 15m to 12h"},
		"fraction":       {tempCreds, "", func(o *iamx.ConsoleOptions) { at(o); o.SessionDuration = time.Hour + time.Millisecond }, "not whole seconds"},
		"bad endpoint":   {tempCreds, "", func(o *iamx.ConsoleOptions) { o.FederationEndpoint = "signin.aws.amazon.com" }, `FederationEndpoint "signin.aws.amazon.com" is not an http(s) URL`},
		"http dest":      {tempCreds, "http://console.aws.amazon.com/", at, `destination "http://console.aws.amazon.com/" is not an https URL`},
		"partition":      {tempCreds, "", func(o *iamx.ConsoleOptions) { at(o); o.Partition = "aws-iso" }, `iamx: unknown ConsoleOptions.Partition "aws-iso"; want aws (or empty), aws-cn or aws-us-gov`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := iamx.ConsoleURL(context.Background(), tc.creds, tc.dest, tc.opt)
			assert.ErrorContains(t, err, tc.want)
			assert.Empty(t, *seen, "refused before any request")
		})
	}
}

func TestConsoleURLFailuresKeepSecrets(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	bad, _ := federation(t, 400, `<html>Bad Request</html>`)
	empty, _ := federation(t, 200, `{}`)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for name, tc := range map[string]struct {
		ctx       context.Context
		endpoint  string
		isSignIn  bool
		wantInErr string
	}{
		"refused":     {context.Background(), bad.URL, true, "400 Bad Request"},
		"no token":    {context.Background(), empty.URL, true, "without a SigninToken"},
		"unreachable": {context.Background(), closed.URL, false, "connection refused"},
		"cancelled":   {cancelled, bad.URL, false, "context canceled"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := iamx.ConsoleURL(tc.ctx, tempCreds, "", func(o *iamx.ConsoleOptions) { o.FederationEndpoint = tc.endpoint })
			require.Error(t, err)
			assert.Empty(t, got)
			assert.Equal(t, tc.isSignIn, errors.Is(err, iamx.ErrSignIn))
			assert.Contains(t, err.Error(), tc.wantInErr)
			for _, secret := range []string{tempCreds.SecretAccessKey, url.QueryEscape(tempCreds.SecretAccessKey), tempCreds.SessionToken, "Session="} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

// roundTrip answers every request itself, so the partition endpoints can
// be checked without the network.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestConsoleURLPartitions(t *testing.T) {
	for _, tc := range []struct{ partition, endpoint, console string }{
		{"", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/"},
		{"aws", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/"},
		{"aws-cn", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/"},
		{"aws-us-gov", "https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com/"},
	} {
		var asked string
		client := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			asked = r.URL.Scheme + "://" + r.URL.Host + r.URL.Path
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"SigninToken":"t"}`)), Request: r}, nil
		})}
		got, err := iamx.ConsoleURL(context.Background(), tempCreds, "", func(o *iamx.ConsoleOptions) {
			o.Partition = tc.partition // "" is the default, "aws"
			o.HTTPClient = client
		})
		require.NoError(t, err, tc.partition)
		assert.Equal(t, tc.endpoint, asked, tc.partition)
		u, _ := url.Parse(got)
		assert.Equal(t, tc.endpoint, u.Scheme+"://"+u.Host+u.Path, tc.partition)
		assert.Equal(t, tc.console, u.Query().Get("Destination"), tc.partition)
	}
}
