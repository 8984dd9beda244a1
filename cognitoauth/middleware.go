package cognitoauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

type claimsKey struct{}

// ClaimsFromContext returns the claims [Verifier.Middleware] put in a
// request's context, and whether there were any.
func ClaimsFromContext(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}

// ContextWithClaims returns ctx carrying c, as the middleware does; for
// tests of handlers.
func ContextWithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// errNoBearer is given to ErrorHandler when the request has no single
// Authorization: Bearer header.
var errNoBearer = errors.New("cognitoauth: no bearer token: want one Authorization: Bearer <token> header")

// Middleware verifies the request's bearer token (one Authorization:
// Bearer header) with the request's context and calls next with the
// claims in the context (see [ClaimsFromContext]). A request without a
// valid token goes to VerifierOptions.ErrorHandler instead. Every request
// needs a token, CORS preflights (OPTIONS without Authorization) too:
// answer those before this middleware.
//
//	mux.Handle("/api/", v.Middleware(api))
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := v.verifyRequest(r)
		if err != nil {
			if v.opts.ErrorHandler != nil {
				v.opts.ErrorHandler(w, r, err)
				return
			}
			refuse(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), claims)))
	})
}

func (v *Verifier) verifyRequest(r *http.Request) (Claims, error) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return Claims{}, errNoBearer
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	tok = strings.TrimLeft(tok, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return Claims{}, errNoBearer
	}
	return v.Verify(r.Context(), tok)
}

// refuse is the default ErrorHandler (RFC 6750 section 3).
func refuse(w http.ResponseWriter, err error) {
	code, challenge := http.StatusUnauthorized, `Bearer error="invalid_token"`
	switch {
	case errors.Is(err, errNoBearer):
		challenge = "Bearer"
	case errors.Is(err, ErrMissingGroup), errors.Is(err, ErrMissingScope):
		code, challenge = http.StatusForbidden, `Bearer error="insufficient_scope"`
	case errors.Is(err, ErrJWKSUnavailable):
		code, challenge = http.StatusServiceUnavailable, ""
	}
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	http.Error(w, http.StatusText(code), code)
}
