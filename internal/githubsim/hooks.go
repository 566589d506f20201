package githubsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Webhook delivery as GitHub does it for an App
// (https://docs.github.com/webhooks/webhook-events-and-payloads#delivery-headers):
// a POST with X-GitHub-Event, X-GitHub-Delivery (a GUID, kept on
// redelivery), X-GitHub-Hook-ID, X-GitHub-Hook-Installation-Target-Type/-ID,
// and, when a secret is set, X-Hub-Signature (HMAC-SHA1) and
// X-Hub-Signature-256 (HMAC-SHA256) of the raw body. A delivery fails
// unless the receiver answers 2xx within 10 seconds; GitHub never retries
// by itself. Each attempt is recorded and served by GET /app/hook/deliveries.
//
// State changes driven through the Server's methods (Push, OpenPR, …)
// deliver synchronously: the method returns once the receiver answered.
// Events raised by API requests (a comment the App posts, a check run it
// creates) are delivered asynchronously after the response, like GitHub's;
// WaitForDeliveries waits for them. No delivery ever holds the simulator's
// lock, so the receiver may call the API while handling one.
const hookTimeout = 10 * time.Second

type event struct {
	name, action string
	guid         string
	body         []byte
	instID       int64
	repoID       int64
	redelivery   bool
}

type delivery struct {
	id          int64
	ev          *event
	at          time.Time
	duration    time.Duration
	status      string
	code        int
	reqHeaders  map[string]string
	respHeaders map[string]string
	respBody    string
}

type hookState struct {
	url        string
	hookID     int64
	deliveries []*delivery // oldest first
	byID       map[int64]*delivery
}

func newHookState(url string) hookState {
	return hookState{url: url, hookID: 1, byID: map[int64]*delivery{}}
}

// SetWebhookURL changes where the App's webhooks go ("" stops deliveries).
func (s *Server) SetWebhookURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks.url = url
}

// WaitForDeliveries blocks until every asynchronous delivery (those raised
// by API requests and redeliveries) has completed.
func (s *Server) WaitForDeliveries() { s.pending.Wait() }

// Deliveries lists every delivery attempt, oldest first, with the request
// payload, as GET /app/hook/deliveries/{id} shows it.
func (s *Server) Deliveries() []*github.HookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*github.HookDelivery, 0, len(s.hooks.deliveries))
	for _, d := range s.hooks.deliveries {
		out = append(out, d.json(true))
	}
	return out
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// raise builds an event for the simulator's App about repository r, or nil
// when GitHub would not deliver it: the App is not installed on the owner
// or did not subscribe to the event. build gets the payload's
// "installation" object. Called with s.mu held.
func (s *Server) raise(r *repo, name, action string, build func(inst *github.Installation) any) *event {
	inst := s.installationFor(s.apps[s.opts.AppID], r.owner)
	if inst == nil || (s.opts.Events != nil && !slices.Contains(s.opts.Events, name)) {
		return nil
	}
	body, err := json.Marshal(build(&github.Installation{ID: ptr(inst.id), NodeID: ptr(nodeID("INST", inst.id))}))
	if err != nil {
		panic("githubsim: marshal " + name + " payload: " + err.Error())
	}
	return &event{name: name, action: action, guid: newGUID(), body: body, instID: inst.id, repoID: r.id}
}

// deliverAll delivers events in order and returns when all were answered.
func (s *Server) deliverAll(events []*event) {
	for _, ev := range events {
		if ev != nil {
			s.deliver(ev)
		}
	}
}

// deliverAsync delivers events in order on a goroutine.
func (s *Server) deliverAsync(events []*event) {
	if len(events) == 0 {
		return
	}
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		s.deliverAll(events)
	}()
}

func sign(secret string, body []byte, h func() hash.Hash) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) deliver(ev *event) {
	s.mu.Lock()
	url, hookID, secret := s.hooks.url, s.hooks.hookID, s.opts.WebhookSecret
	s.mu.Unlock()
	if url == "" {
		return
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(ev.body))
	if err != nil {
		s.record(ev, &delivery{status: "invalid URL: " + err.Error()})
		return
	}
	// Header names keep GitHub's spelling (X-GitHub-…), on the wire and in
	// the delivery record.
	h := req.Header
	set := func(k, v string) { h[k] = []string{v} }
	set("Accept", "*/*")
	set("Content-Type", "application/json")
	set("User-Agent", "GitHub-Hookshot/sim")
	set("X-GitHub-Event", ev.name)
	set("X-GitHub-Delivery", ev.guid)
	set("X-GitHub-Hook-ID", strconv.FormatInt(hookID, 10))
	set("X-GitHub-Hook-Installation-Target-Type", "integration")
	set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(s.opts.AppID, 10))
	if secret != "" {
		set("X-Hub-Signature", "sha1="+sign(secret, ev.body, sha1.New))
		set("X-Hub-Signature-256", "sha256="+sign(secret, ev.body, sha256.New))
	}
	d := &delivery{at: s.now(), reqHeaders: flatHeaders(h)}
	start := time.Now()
	resp, err := s.hookHTTP.Do(req)
	d.duration = time.Since(start)
	switch {
	case err != nil && isTimeout(err):
		d.status = "timed out"
	case err != nil:
		d.status = "failed to connect to host"
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		d.code, d.respHeaders, d.respBody = resp.StatusCode, flatHeaders(resp.Header), string(body)
		d.status = "OK"
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			d.status = fmt.Sprintf("Invalid HTTP Response: %d", resp.StatusCode)
		}
	}
	s.record(ev, d)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func flatHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

func (s *Server) record(ev *event, d *delivery) {
	s.mu.Lock()
	d.id, d.ev = s.id(), ev
	s.hooks.deliveries = append(s.hooks.deliveries, d)
	s.hooks.byID[d.id] = d
	s.mu.Unlock()
	if l := s.opts.Logger; l != nil {
		l.Debug().Str("event", ev.name).Str("action", ev.action).Str("guid", ev.guid).Str("status", d.status).Msg("githubsim delivery")
	}
}

func (d *delivery) json(full bool) *github.HookDelivery {
	out := &github.HookDelivery{
		ID: ptr(d.id), GUID: ptr(d.ev.guid), DeliveredAt: ts(d.at), Redelivery: ptr(d.ev.redelivery),
		Duration: ptr(d.duration.Seconds()), Status: ptr(d.status), StatusCode: ptr(d.code),
		Event: ptr(d.ev.name), InstallationID: ptr(d.ev.instID), RepositoryID: ptr(d.ev.repoID),
	}
	if d.ev.action != "" {
		out.Action = ptr(d.ev.action)
	}
	if full {
		payload := json.RawMessage(d.ev.body)
		out.Request = &github.HookRequest{Headers: d.reqHeaders, RawPayload: &payload}
		resp, _ := json.Marshal(d.respBody)
		respPayload := json.RawMessage(resp)
		out.Response = &github.HookResponse{Headers: d.respHeaders, RawPayload: &respPayload}
	}
	return out
}

// GET /app/hook/deliveries: newest first, per_page ≤ 100, cursor pagination
// through the Link header's rel="next" URL
// (https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook).
func (s *Server) listDeliveries(c *call) reply {
	all := s.hooks.deliveries
	start := len(all) - 1 // index of the newest delivery
	if cur := c.r.URL.Query().Get("cursor"); cur != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(cur, "v1_"), 10, 64)
		if err != nil || !strings.HasPrefix(cur, "v1_") {
			return errReply(http.StatusUnprocessableEntity, "Invalid cursor", "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook")
		}
		// Deliveries are appended in ID order: the page starts at the newest
		// delivery whose ID is not above the cursor.
		start = -1
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].id <= id {
				start = i
				break
			}
		}
	}
	out := []*github.HookDelivery{}
	per := perPage(c)
	i := start
	for ; i >= 0 && len(out) < per; i-- {
		out = append(out, all[i].json(false))
	}
	if i >= 0 {
		q := c.r.URL.Query()
		q.Set("cursor", fmt.Sprintf("v1_%d", all[i].id))
		c.header.Set("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, s.base, c.r.URL.Path, q.Encode()))
	}
	return reply{http.StatusOK, out}
}

func (s *Server) pathDelivery(c *call) *delivery {
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	return s.hooks.byID[id]
}

// GET /app/hook/deliveries/{id}: one delivery with its request and response.
func (s *Server) getDelivery(c *call) reply {
	d := s.pathDelivery(c)
	if d == nil {
		return notFound()
	}
	return reply{http.StatusOK, d.json(true)}
}

// POST /app/hook/deliveries/{id}/attempts: 202, then the same payload is
// sent again with the same X-GitHub-Delivery GUID and recorded as a new
// delivery with redelivery: true.
func (s *Server) redeliver(c *call) reply {
	d := s.pathDelivery(c)
	if d == nil {
		return notFound()
	}
	again := *d.ev
	again.redelivery = true
	c.emit(&again)
	return reply{http.StatusAccepted, map[string]any{}}
}
