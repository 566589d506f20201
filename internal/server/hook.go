package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"
)

// webhookGate takes webhook deliveries: it checks them, parses each once
// into its event and queues it. go-github's ValidatePayload (v60
// messages.go, read 2026-11) falls back to the SHA-1 X-Hub-Signature header
// when the SHA-256 one is missing, and for form-encoded deliveries parses
// the form before checking the signature. The gate therefore insists on
// what a GitHub App sends (JSON, signed with HMAC-SHA256) and checks the
// signature over the raw body itself, before anything reads the payload:
//
//   - a body larger than max: 413, read no further
//   - a content type other than application/json: 415
//   - a missing or wrong X-Hub-Signature-256: 401
//   - no X-GitHub-Event header: 400
//   - an event launchgate does not handle: 202 (ping: 200), not parsed
//   - a payload that lacks what its event's handling reads: 400
//   - an event that cannot change any check run (event.ignored: another
//     App's check run, an action launchgate does not handle, a comment
//     that is neither a command nor the checklist): 200 with the reason,
//     never queued, so that it takes no place in the queue and a full
//     queue does not refuse it; counted by onIgnored
//   - a queue that is full, or a server that is stopping: 503 (GitHub
//     marks the delivery failed; it can be redelivered)
//   - queued, or seen before: 200
type webhookGate struct {
	secret  []byte
	max     int64
	parsers map[string]parser // by X-GitHub-Event
	queue   *queue
	// onIgnored counts an event answered without queueing, by event type
	// and reason.
	onIgnored func(eventType, reason string)
}

func (g webhookGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	eventType := r.Header.Get("X-GitHub-Event")
	log := zerolog.Ctx(r.Context()).With().
		Str(githubapp.LogKeyEventType, eventType).
		Str(githubapp.LogKeyDeliveryID, r.Header.Get("X-GitHub-Delivery")).
		Logger()
	body, ok := g.readSigned(w, r, log)
	if !ok {
		return
	}
	if eventType == "" {
		log.Warn().Msg("webhook has no X-GitHub-Event header; answered 400")
		http.Error(w, "malformed webhook: missing X-GitHub-Event header", http.StatusBadRequest)
		return
	}
	log.Info().Msg("Received webhook event")
	parse, handled := g.parsers[eventType]
	if !handled {
		if eventType == "ping" {
			w.WriteHeader(http.StatusOK)
			return
		}
		log.Debug().Msg("event not handled; acknowledged")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ev, err := parse(body)
	if err != nil {
		log.Warn().Err(err).Msg("malformed webhook payload; answered 400")
		http.Error(w, fmt.Sprintf("malformed %s payload: %v", eventType, err), http.StatusBadRequest)
		return
	}
	if why := ev.ignored(); why != "" {
		log.Debug().Str("reason", why).Msg("event cannot change a check run; acknowledged, not queued")
		g.onIgnored(eventType, why)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "ignored: %s\n", why)
		return
	}
	d := delivery{guid: r.Header.Get("X-GitHub-Delivery"), eventType: eventType, bytes: int64(len(body)), event: ev}
	if err := g.queue.accept(log.WithContext(r.Context()), d); err != nil {
		// accept fails only for a full or closed queue.
		log.Warn().Err(err).Msg("cannot queue webhook; answered 503")
		http.Error(w, "cannot take events now", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// readSigned reads the body of a JSON delivery whose signature matches, or
// answers the request and returns ok false.
func (g webhookGate) readSigned(w http.ResponseWriter, r *http.Request, log zerolog.Logger) (body []byte, ok bool) {
	if r.ContentLength > g.max {
		log.Warn().Int64("bytes", r.ContentLength).Int64("limit", g.max).Msg("webhook body too large; rejected")
		http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		log.Warn().Str("content_type", r.Header.Get("Content-Type")).Msg("webhook is not JSON; rejected (set the App's webhook content type to application/json)")
		http.Error(w, "content type must be application/json", http.StatusUnsupportedMediaType)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.max))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			log.Warn().Int64("limit", g.max).Msg("webhook body too large; rejected")
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		log.Warn().Err(err).Msg("reading webhook body failed")
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	sig := r.Header.Get(github.SHA256SignatureHeader)
	if sig == "" {
		log.Warn().Msg("webhook has no X-Hub-Signature-256; rejected")
		http.Error(w, "missing X-Hub-Signature-256", http.StatusUnauthorized)
		return nil, false
	}
	// ValidateSignature compares in constant time (hmac.Equal).
	if err := github.ValidateSignature(sig, body, g.secret); err != nil {
		log.Warn().Msg("webhook signature does not match the webhook secret; rejected")
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}
