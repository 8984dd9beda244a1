package iamx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kumo-go/kumo/internal/opts"
)

// consolePartitions maps a partition to its sign-in federation endpoint
// and console home.
var consolePartitions = map[string][2]string{
	"aws":        {"https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/"},
	"aws-cn":     {"https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/"},
	"aws-us-gov": {"https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com/"},
}

// ConsoleOptions adjust ConsoleURL. The zero value of each field is its
// default; a nil option func is skipped.
type ConsoleOptions struct {
	// Partition picks the sign-in endpoint and default destination: "aws"
	// (empty means "aws"), "aws-cn" or "aws-us-gov".
	Partition string
	// Issuer is the page users return to when their session ends; optional.
	Issuer string
	// SessionDuration is how long the console session lasts, 15m to 12h.
	// Zero leaves it to AWS (the credentials' remaining life, at most 12h
	// for role sessions). Set it only for credentials from AssumeRole*;
	// for GetFederationToken credentials AWS takes the duration from the
	// credentials and refuses this parameter.
	SessionDuration time.Duration
	// FederationEndpoint overrides the partition's endpoint, for example
	// https://signin.aws.amazon.com/federation; for tests and proxies.
	// Empty means the partition's.
	FederationEndpoint string
	// HTTPClient makes the getSigninToken request; nil means a client with
	// a 30 second timeout.
	HTTPClient *http.Client
}

// ErrSignIn is returned when the federation endpoint will not issue a
// sign-in token.
var ErrSignIn = errors.New("iamx: console sign-in refused")

// ConsoleURL exchanges temporary credentials (from AssumeRole,
// AssumeRoleWithSAML or GetFederationToken) for a URL that signs the holder
// in to the console and opens destination ("" for the partition's console
// home). Long-term access keys cannot be exchanged and are refused before
// any request.
//
// The URL is a bearer credential for 15 minutes: hand it to the user and
// do not log it. Errors never contain the credentials or the URL.
func ConsoleURL(ctx context.Context, creds aws.Credentials, destination string, optFns ...func(*ConsoleOptions)) (string, error) {
	var o ConsoleOptions
	opts.Apply(&o, optFns)
	if o.Partition == "" {
		o.Partition = "aws"
	}
	part, ok := consolePartitions[o.Partition]
	if !ok {
		return "", fmt.Errorf("iamx: unknown ConsoleOptions.Partition %q; want aws (or empty), aws-cn or aws-us-gov", o.Partition)
	}
	if o.FederationEndpoint == "" {
		o.FederationEndpoint = part[0]
	}
	if destination == "" {
		destination = part[1]
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return "", errors.New("iamx: ConsoleURL needs an access key ID and secret access key")
	}
	if creds.SessionToken == "" {
		return "", errors.New("iamx: ConsoleURL needs temporary credentials with a session token; long-term IAM user keys cannot sign in to the console: exchange them first with STS GetFederationToken (or AssumeRole)")
	}
	if d := o.SessionDuration; d != 0 && (d < 15*time.Minute || d > 12*time.Hour || d%time.Second != 0) {
		return "", fmt.Errorf("iamx: console SessionDuration %s is outside 15m to 12h or not whole seconds", d)
	}
	endpoint, err := url.Parse(o.FederationEndpoint)
	if err != nil || (endpoint.Scheme != "https" && endpoint.Scheme != "http") || endpoint.Host == "" {
		return "", fmt.Errorf("iamx: FederationEndpoint %q is not an http(s) URL", o.FederationEndpoint)
	}
	if d, err := url.Parse(destination); err != nil || d.Scheme != "https" || d.Host == "" {
		return "", fmt.Errorf("iamx: destination %q is not an https URL", destination)
	}
	session, err := json.Marshal(struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}{creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken})
	if err != nil {
		return "", fmt.Errorf("iamx: encode session: %w", err)
	}
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if o.SessionDuration != 0 {
		q.Set("SessionDuration", fmt.Sprint(int64(o.SessionDuration/time.Second)))
	}
	tokenURL := *endpoint
	tokenURL.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tokenURL.String(), nil)
	if err != nil {
		return "", fmt.Errorf("iamx: getSigninToken request: %v", redactURLError(err))
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("iamx: getSigninToken at %s: %w", endpoint.Host, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("iamx: getSigninToken at %s: reading the answer: %w", endpoint.Host, redactURLError(err))
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: %s answered %s; the credentials may be expired, long-term, or (with SessionDuration) from GetFederationToken", ErrSignIn, endpoint.Host, resp.Status)
	}
	var tok struct{ SigninToken string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.SigninToken == "" {
		return "", fmt.Errorf("%w: %s answered 200 without a SigninToken", ErrSignIn, endpoint.Host)
	}
	login := *endpoint
	lq := url.Values{"Action": {"login"}, "Destination": {destination}, "SigninToken": {tok.SigninToken}}
	if o.Issuer != "" {
		lq.Set("Issuer", o.Issuer)
	}
	login.RawQuery = lq.Encode()
	return login.String(), nil
}

// redactURLError drops the request URL, which carries the session, from a
// transport error and keeps its cause.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
