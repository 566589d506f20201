package stress

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/server"
)

// ciAppID is the organisation's CI App, whose check runs launchgate
// receives and must ignore.
const ciAppID = 15368 // GitHub Actions' App ID on github.com

// driver plays pull request scripts against the simulator, which delivers
// the resulting webhooks to the App, and posts the webhooks the simulator
// cannot raise (other Apps' check runs, duplicate deliveries) itself,
// signed like GitHub's.
type driver struct {
	sim     *githubsim.Server
	inst    int64
	repoID  map[string]int64
	mainSHA map[string]string
	hook    *poster

	driven atomic.Int64 // webhooks caused so far
}

// play runs each pull request's script in its own goroutine, the steps of
// one pull request in order. rate > 0 paces all of them together to rate
// webhooks per second; 0 sends as fast as the App answers.
func (d *driver) play(ctx context.Context, prs []*PR, rate float64) error {
	p := newPacer(rate)
	var wg sync.WaitGroup
	for _, pr := range prs {
		wg.Go(func() {
			for _, s := range pr.steps {
				if p.wait(ctx, s.events()) != nil {
					return
				}
				d.do(ctx, pr, s)
				d.driven.Add(int64(s.events()))
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// do performs one step. Simulator methods deliver their webhooks before
// they return; a failed delivery is recorded by the simulator, as GitHub
// records it, and is not an error of the step.
func (d *driver) do(ctx context.Context, pr *PR, s step) {
	const (
		author = "octocat"      // the simulator's default pull request author
		who    = "dev-reviewer" // not the author, and in no team
	)
	switch s.kind {
	case stepOpen:
		pr.head = d.sim.Push(org, pr.Repo, pr.Branch, s.files)
		var labels []string
		if s.label != "" {
			labels = []string{s.label}
		}
		pr.number = d.sim.OpenPR(org, pr.Repo, githubsim.PRSpec{Title: s.title, Head: pr.Branch, Labels: labels})
	case stepPush:
		pr.head = d.sim.Push(org, pr.Repo, pr.Branch, s.files)
	case stepCI:
		d.ci(ctx, pr)
	case stepComment:
		d.sim.AddComment(org, pr.Repo, pr.number, who, "Looks reasonable; one question inline.")
	case stepReview:
		d.sim.SubmitReview(org, pr.Repo, pr.number, who, "COMMENTED")
	case stepLabel:
		d.sim.Label(org, pr.Repo, pr.number, who, s.label)
	case stepTitle:
		d.sim.EditTitle(org, pr.Repo, pr.number, author, s.title)
	}
}

// ci posts what GitHub sends launchgate while another App's CI runs on a
// pull request's head: check_run created and completed for each job (the
// jobs run in parallel, so their webhooks arrive together), then
// check_suite completed.
func (d *driver) ci(ctx context.Context, pr *PR) {
	repo := &github.Repository{
		ID: github.Int64(d.repoID[pr.Repo]), Name: github.String(pr.Repo), FullName: github.String(org + "/" + pr.Repo),
		Owner: &github.User{Login: github.String(org), Type: github.String("Organization")},
	}
	pulls := []*github.PullRequest{{
		Number: github.Int(pr.number),
		Head:   &github.PullRequestBranch{Ref: github.String(pr.Branch), SHA: github.String(pr.head), Repo: repo},
		Base:   &github.PullRequestBranch{Ref: github.String("main"), SHA: github.String(d.mainSHA[pr.Repo]), Repo: repo},
	}}
	app := &github.App{ID: github.Int64(ciAppID), Slug: github.String("github-actions")}
	inst := &github.Installation{ID: github.Int64(d.inst)}
	sender := &github.User{Login: github.String("github-actions[bot]"), Type: github.String("Bot")}
	suite := &github.CheckSuite{ID: github.Int64(int64(pr.number)), HeadSHA: github.String(pr.head), HeadBranch: github.String(pr.Branch), App: app, PullRequests: pulls}
	var jobs []webhook
	for job := range ciJobs {
		run := github.CheckRun{
			ID: github.Int64(int64(pr.number*100 + job)), Name: github.String(fmt.Sprintf("test (%d)", job)),
			HeadSHA: github.String(pr.head), Status: github.String("in_progress"), App: app, CheckSuite: suite, PullRequests: pulls,
		}
		done := run
		done.Status, done.Conclusion = github.String("completed"), github.String("success")
		jobs = append(jobs,
			newWebhook("check_run", &github.CheckRunEvent{Action: github.String("created"), CheckRun: &run, Repo: repo, Installation: inst, Sender: sender}),
			newWebhook("check_run", &github.CheckRunEvent{Action: github.String("completed"), CheckRun: &done, Repo: repo, Installation: inst, Sender: sender}))
	}
	d.hook.deliver(ctx, jobs, ciJobs)
	suite.Status, suite.Conclusion = github.String("completed"), github.String("success")
	d.hook.deliver(ctx, []webhook{newWebhook("check_suite", &github.CheckSuiteEvent{Action: github.String("completed"), CheckSuite: suite, Repo: repo, Installation: inst, Sender: sender})}, 1)
}

// replay sends again deliveries the App already acknowledged, with their
// X-GitHub-Delivery GUIDs, as GitHub occasionally does and as two replicas
// redelivering the same failed delivery would. It returns how many it sent.
func (d *driver) replay(ctx context.Context, deliveries []*github.HookDelivery, every int) int {
	var picked []webhook
	seen := 0
	for _, dl := range deliveries {
		if dl.GetStatusCode()/100 != 2 || dl.GetEvent() != "pull_request" || dl.Request == nil || dl.Request.RawPayload == nil {
			continue
		}
		if seen++; seen%every == 0 {
			picked = append(picked, webhook{event: dl.GetEvent(), guid: dl.GetGUID(), body: *dl.Request.RawPayload})
		}
	}
	// Sixteen at a time, as a handful of GitHub's delivery workers.
	d.hook.deliver(ctx, picked, 16)
	return len(picked)
}

// webhook is one delivery the driver makes itself.
type webhook struct {
	event, guid string
	body        []byte
}

// newWebhook is a new delivery of payload.
func newWebhook(event string, payload any) webhook {
	body, err := json.Marshal(payload)
	if err != nil {
		panic("stress: marshal " + event + ": " + err.Error()) // go-github types always marshal
	}
	return webhook{event: event, guid: guid(), body: body}
}

// poster sends signed webhooks to the App and records how long each took
// to be acknowledged.
type poster struct {
	url    string // the App's webhook URL
	secret []byte
	client *http.Client
	acks   *latencies

	sent atomic.Int64

	mu      sync.Mutex
	refused map[string]int // by refusalKey
}

// refusalKey names a refused delivery's event and answer (0: none).
func refusalKey(event string, status int) string {
	if status == 0 {
		return event + " no answer"
	}
	return fmt.Sprintf("%s %d", event, status)
}

func (p *poster) refuse(event string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refused[refusalKey(event, status)]++
}

// refusals is a copy of the refused deliveries by refusalKey.
func (p *poster) refusals() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.refused)
}

func newPoster(url, secret string, acks *latencies) *poster {
	return &poster{url: url, secret: []byte(secret), acks: acks, refused: map[string]int{}, client: &http.Client{
		// GitHub gives up on a delivery after 10 seconds.
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
}

// deliver sends webhooks to the App as GitHub does, signed, at most
// senders at a time, and records each acknowledgement's latency or the
// refusal.
func (p *poster) deliver(ctx context.Context, hooks []webhook, senders int) {
	next := make(chan webhook)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for h := range next {
				p.sent.Add(1)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(h.body))
				if err != nil {
					p.refuse(h.event, 0)
					continue
				}
				mac := hmac.New(sha256.New, p.secret)
				mac.Write(h.body)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "GitHub-Hookshot/loadtest")
				req.Header.Set("X-GitHub-Event", h.event)
				req.Header.Set("X-GitHub-Delivery", h.guid)
				req.Header.Set("X-GitHub-Hook-ID", "1")
				req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
				start := time.Now()
				resp, err := p.client.Do(req)
				if err != nil {
					p.refuse(h.event, 0)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					p.refuse(h.event, resp.StatusCode)
					continue
				}
				p.acks.add(time.Since(start))
			}
		})
	}
	for _, h := range hooks {
		next <- h
	}
	close(next)
	wg.Wait()
}

func guid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// hookURL is the App's webhook URL.
func hookURL(base string) string { return base + server.HookPath }

// pacer spaces webhooks rate per second apart, across goroutines.
type pacer struct {
	start    time.Time
	interval time.Duration

	mu   sync.Mutex
	next int64
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{start: time.Now(), interval: time.Duration(float64(time.Second) / rate)}
}

// wait reserves n webhooks' slots and sleeps until the first of them.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	at := p.start.Add(time.Duration(p.next) * p.interval)
	p.next += int64(n)
	p.mu.Unlock()
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
