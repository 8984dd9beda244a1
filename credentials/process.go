package credentials

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// processOutput is the JSON a credential_process command prints.
type processOutput struct {
	Version         int     `json:"Version"`
	AccessKeyID     string  `json:"AccessKeyId"`
	SecretAccessKey string  `json:"SecretAccessKey"`
	SessionToken    string  `json:"SessionToken,omitempty"`
	Expiration      *string `json:"Expiration,omitempty"`
	AccountID       string  `json:"AccountId,omitempty"`
}

// ProcessOutput renders c as a credential_process command must print it:
// Version 1, the keys, for expiring credentials the RFC 3339 Expiration, and
// the AccountId when c has one (the SDKs read it). [Export] with
// [FormatProcess] writes the same fields laid out as the AWS CLI does.
func ProcessOutput(c aws.Credentials) ([]byte, error) {
	p, err := FromAWS(c)
	if err != nil {
		return nil, err
	}
	out := processOutput{Version: 1, AccessKeyID: p.AccessKeyID, SecretAccessKey: p.SecretAccessKey, SessionToken: p.SessionToken, AccountID: p.AccountID}
	if !p.Expires.IsZero() {
		s := p.Expires.UTC().Format(time.RFC3339)
		out.Expiration = &s
	}
	return json.Marshal(out)
}

// maxProcessOutput bounds what ParseProcessOutput accepts.
const maxProcessOutput = 64 << 10

// ParseProcessOutput reads what a credential_process command printed. It
// requires Version 1 and both keys; Expiration, when present, must be RFC
// 3339, and AccountId 12 digits. Errors never quote the secret.
func ParseProcessOutput(data []byte) (aws.Credentials, error) {
	if len(data) > maxProcessOutput {
		return aws.Credentials{}, fmt.Errorf("%w: credential_process output is %d bytes, over the %d-byte limit", ErrInvalidCredentials, len(data), maxProcessOutput)
	}
	var out processOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return aws.Credentials{}, fmt.Errorf("%w: credential_process output is malformed: %s", ErrInvalidCredentials, jsonErrorText(err))
	}
	if out.Version != 1 {
		return aws.Credentials{}, fmt.Errorf("%w: credential_process output has Version %d; only 1 is defined", ErrInvalidCredentials, out.Version)
	}
	c := aws.Credentials{
		AccessKeyID:     out.AccessKeyID,
		SecretAccessKey: out.SecretAccessKey,
		SessionToken:    out.SessionToken,
		AccountID:       out.AccountID,
		Source:          "kumo/credentials:process",
	}
	if out.Expiration != nil {
		t, err := time.Parse(time.RFC3339, *out.Expiration)
		if err != nil {
			// Quoted only when shaped like a time: a secret shifted into
			// this field must not end up in the error.
			what := fmt.Sprintf("(%d characters)", len(*out.Expiration))
			if len(*out.Expiration) <= 40 && strings.Trim(*out.Expiration, "0123456789-:.+TZtz ") == "" {
				what = strconv.Quote(*out.Expiration)
			}
			return aws.Credentials{}, fmt.Errorf("%w: credential_process Expiration %s is not an RFC 3339 time such as 2026-01-02T15:04:05Z", ErrInvalidCredentials, what)
		}
		c.CanExpire, c.Expires = true, t
	}
	if _, err := FromAWS(c); err != nil {
		return aws.Credentials{}, err
	}
	return c, nil
}
