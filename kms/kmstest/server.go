package kmstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
)

// maxRequestBody bounds what the HTTP server reads of a request; KMS's
// largest inputs (a 6 KiB ciphertext blob, base64 in JSON) fit many times.
const maxRequestBody = 1 << 20

// ServeHTTP serves the fake over KMS's own wire protocol (JSON 1.1 with
// X-Amz-Target TrentService.<Operation>), so that clients that are not
// in-process, such as the AWS CLI or the Encryption SDKs of other
// languages, can use it through an endpoint URL:
//
//	srv := httptest.NewServer(fake)
//	client := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: ...})
//
// It serves GenerateDataKey, GenerateDataKeyWithoutPlaintext, Encrypt,
// Decrypt, ReEncrypt, DescribeKey and GetPublicKey; other operations
// answer UnknownOperationException. Requests are not authenticated (any
// signature, or none, is accepted). Calls over HTTP are counted, logged,
// failed and hooked as the Go methods' are.
//
// Errors are answered as KMS's JSON protocol answers them: the code in
// __type and X-Amzn-ErrorType, the message in message, status 400 for a
// client fault and 500 for a server fault (KMSInternalException), so the
// SDK's client makes the same typed error of it that the Go method
// returns. An injected error that is not a smithy.APIError (FailNext or
// LoseNext with errors.New("connection reset")) closes the connection
// without an answer, as a network failure does; where the connection
// cannot be taken over (HTTP/2) it answers 500 InternalFailure.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		writeError(w, "ValidationException", "the request body is unreadable or over 1 MiB", smithy.FaultClient)
		return
	}
	ctx := r.Context()
	var out any
	switch op {
	case "GenerateDataKey":
		out, err = serve(ctx, body, f.GenerateDataKey)
	case "GenerateDataKeyWithoutPlaintext":
		out, err = serve(ctx, body, f.GenerateDataKeyWithoutPlaintext)
	case "Encrypt":
		out, err = serve(ctx, body, f.Encrypt)
	case "Decrypt":
		out, err = serve(ctx, body, f.Decrypt)
	case "ReEncrypt":
		out, err = serve(ctx, body, f.ReEncrypt)
	case "GetPublicKey":
		out, err = serve(ctx, body, f.GetPublicKey)
	case "DescribeKey":
		var d *awskms.DescribeKeyOutput
		if d, err = serve(ctx, body, f.DescribeKey); err == nil {
			out = describeKeyWire(d)
		}
	default:
		writeError(w, "UnknownOperationException", "kmstest does not serve "+op+"; it serves GenerateDataKey, GenerateDataKeyWithoutPlaintext, Encrypt, Decrypt, ReEncrypt, DescribeKey and GetPublicKey", smithy.FaultClient)
		return
	}
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
		writeError(w, apiErr.ErrorCode(), apiErr.ErrorMessage(), apiErr.ErrorFault())
	case err != nil:
		breakConnection(w)
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	}
}

// serve decodes a request into the SDK's input struct (its Go field names
// are the wire names, and encoding/json reads blobs as base64, as the
// protocol writes them) and calls the operation.
func serve[In, Out any](ctx context.Context, body []byte, op func(context.Context, *In, ...func(*awskms.Options)) (*Out, error)) (*Out, error) {
	in := new(In)
	if len(body) > 0 {
		if err := json.Unmarshal(body, in); err != nil {
			return nil, apiError("SerializationException", "the request body is not a valid JSON request: "+err.Error())
		}
	}
	return op(ctx, in)
}

// describeKeyWire writes DescribeKey's answer with its CreationDate in
// seconds since the epoch, as the protocol does (encoding/json would write
// RFC 3339).
func describeKeyWire(d *awskms.DescribeKeyOutput) any {
	b, _ := json.Marshal(d)
	var m map[string]map[string]any
	_ = json.Unmarshal(b, &m)
	if md := m["KeyMetadata"]; md != nil && d.KeyMetadata != nil && d.KeyMetadata.CreationDate != nil {
		md["CreationDate"] = float64(d.KeyMetadata.CreationDate.UnixMilli()) / 1000
	}
	return m
}

// writeError answers an error as KMS's JSON protocol does; a server
// fault is a 500.
func writeError(w http.ResponseWriter, code, msg string, fault smithy.ErrorFault) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	status := http.StatusBadRequest
	if fault == smithy.FaultServer {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// breakConnection closes the request's connection without an answer, as
// a network failure would, or where it cannot, answers 500.
func breakConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	writeError(w, "InternalFailure", "kmstest: an injected failure that is not an API error", smithy.FaultServer)
}

// signingRegion finds the Region in a SigV4 Authorization header's
// credential scope (Credential=AKID/DATE/REGION/kms/aws4_request).
var signingRegion = regexp.MustCompile(`Credential=[^/,\s]+/\d{8}/([^/,\s]*)/kms/aws4_request`)

// validRegion is what Regions.ServeHTTP takes for a Region name: lower-case
// letters, digits and hyphens, as AWS's (and local test names such as
// "local") are, and short.
var validRegion = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// maxServedRegions bounds the Fakes that requests over HTTP may make, so that
// a client naming a new Region in every request cannot grow memory without
// end; AWS has fewer than 40 Regions.
const maxServedRegions = 64

// ServeHTTP serves every Region's Fake on one endpoint, as KMS's wire
// protocol does per Region: each request goes to the Fake of the Region
// its SigV4 signature names (the Region the client was configured with),
// made on first use. An unsigned request, or one signed for no Region,
// answers MissingAuthenticationTokenException; a Region name that is not
// 1 to 32 lower-case letters, digits and hyphens, or a new Region once
// 64 exist, answers InvalidSignatureException.
func (r *Regions) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	m := signingRegion.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		writeError(w, "MissingAuthenticationTokenException", "kmstest.Regions needs a SigV4-signed request to know its Region", smithy.FaultClient)
		return
	}
	if !validRegion.MatchString(m[1]) {
		writeError(w, "InvalidSignatureException", "Credential should be scoped to a valid region: 1 to 32 lower-case letters, digits and hyphens", smithy.FaultClient)
		return
	}
	f := r.fakeWithin(m[1], maxServedRegions)
	if f == nil {
		writeError(w, "InvalidSignatureException", fmt.Sprintf("Credential should be scoped to a valid region: kmstest.Regions serves at most %d Regions over HTTP", maxServedRegions), smithy.FaultClient)
		return
	}
	f.ServeHTTP(w, req)
}
