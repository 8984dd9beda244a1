package interop

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/kms/kmstest"
)

// serveKMS serves a kmstest.Fake over KMS's own wire protocol (JSON 1.1,
// X-Amz-Target TrentService.<Operation>), so that clients in other
// languages, such as the JavaScript Encryption SDK's KMS client, call the
// same in-memory KMS as kumo's tests. Only the operations the Encryption
// SDKs' KMS keyrings call are served. The request and answer fields are
// the SDK's structs: their Go names are the wire names, and encoding/json
// writes []byte as base64, as the protocol does.
func serveKMS(t *testing.T, fake *kmstest.Fake) string {
	t.Helper()
	ops := map[string]func(ctx context.Context, body []byte) (any, error){
		"GenerateDataKey": call(fake.GenerateDataKey),
		"Encrypt":         call(fake.Encrypt),
		"Decrypt":         call(fake.Decrypt),
		"GetPublicKey":    call(fake.GetPublicKey),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fn, ok := ops[op]
		if !ok {
			writeKMSError(w, "UnsupportedOperationException", "kmstest over HTTP does not serve "+op)
			return
		}
		out, err := fn(r.Context(), body)
		var apiErr smithy.APIError
		switch {
		case errors.As(err, &apiErr):
			writeKMSError(w, apiErr.ErrorCode(), apiErr.ErrorMessage())
		case err != nil:
			writeKMSError(w, "ValidationException", err.Error())
		default:
			_ = json.NewEncoder(w).Encode(out)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func call[In, Out any](fn func(context.Context, *In, ...func(*awskms.Options)) (*Out, error)) func(context.Context, []byte) (any, error) {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := json.Unmarshal(body, in); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
}

func writeKMSError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
