package server

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"
)

// webhookGate guards the event dispatcher. go-githubapp's dispatcher checks
// the signature with go-github's ValidatePayload, which (v60 messages.go,
// read 2026-11) falls back to the SHA-1 X-Hub-Signature header when the SHA-256
// one is missing, and for form-encoded deliveries parses the form before
// checking the signature. The gate therefore insists on what a GitHub App
// sends (JSON, signed with HMAC-SHA256) and checks the signature over the
// raw body itself, before anything reads the payload:
//
//   - a body larger than max: 413, read no further
//   - a content type other than application/json: 415
//   - a missing or wrong X-Hub-Signature-256: 401
//
// Only then does the dispatcher see the request.
type webhookGate struct {
	secret []byte
	max    int64
	next   http.Handler
}

func (g webhookGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context()).With().
		Str(githubapp.LogKeyEventType, r.Header.Get("X-GitHub-Event")).
		Str(githubapp.LogKeyDeliveryID, r.Header.Get("X-GitHub-Delivery")).
		Logger()
	if r.ContentLength > g.max {
		log.Warn().Int64("bytes", r.ContentLength).Int64("limit", g.max).Msg("webhook body too large; rejected")
		http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		log.Warn().Str("content_type", r.Header.Get("Content-Type")).Msg("webhook is not JSON; rejected (set the App's webhook content type to application/json)")
		http.Error(w, "content type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.max))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			log.Warn().Int64("limit", g.max).Msg("webhook body too large; rejected")
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		log.Warn().Err(err).Msg("reading webhook body failed")
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	sig := r.Header.Get(github.SHA256SignatureHeader)
	if sig == "" {
		log.Warn().Msg("webhook has no X-Hub-Signature-256; rejected")
		http.Error(w, "missing X-Hub-Signature-256", http.StatusUnauthorized)
		return
	}
	// ValidateSignature compares in constant time (hmac.Equal).
	if err := github.ValidateSignature(sig, body, g.secret); err != nil {
		log.Warn().Msg("webhook signature does not match the webhook secret; rejected")
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	g.next.ServeHTTP(w, r)
}

// dispatchError answers what the dispatcher could not take: 400 for a
// malformed payload (the log line says what is wrong with it), 503 when the
// queue is full or the server is stopping (GitHub marks the delivery
// failed; it can be redelivered), 500 otherwise.
func dispatchError(w http.ResponseWriter, r *http.Request, err error) {
	log := zerolog.Ctx(r.Context())
	var ve githubapp.ValidationError
	switch {
	case errors.As(err, &ve):
		log.Warn().Err(ve.Cause).Msg("malformed webhook payload; answered 400")
		http.Error(w, "malformed webhook payload: "+ve.Cause.Error(), http.StatusBadRequest)
	case errors.Is(err, githubapp.ErrCapacityExceeded), errors.Is(err, errShuttingDown):
		log.Warn().Err(err).Msg("cannot queue webhook; answered 503")
		http.Error(w, "cannot take events now", http.StatusServiceUnavailable)
	default:
		log.Error().Err(err).Msg("webhook handling failed")
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}
}

// dispatchResponse answers 202 Accepted for events launchgate does not
// handle and 200 for queued ones (ping included).
func dispatchResponse(w http.ResponseWriter, r *http.Request, event string, handled bool) {
	if !handled && event != "ping" {
		zerolog.Ctx(r.Context()).Debug().Msg("event not handled; acknowledged")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.WriteHeader(http.StatusOK)
}
