package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// event is a webhook delivery parsed, once, by the webhook gate: the queue
// holds it and a worker handles it. Each event type's parser and handling
// live in the file named after it (pull_request.go, check_run.go, ...).
type event interface {
	// ignored says why the event cannot change any check run, decided
	// from its payload alone, or "". The gate answers an ignored event at
	// once and never queues it, so that events launchgate ignores never
	// take the place of one that matters. The reasons are a few fixed
	// phrases: they label a metric.
	ignored() string
	// target is the one pull request the event evaluates (installation,
	// owner, repository and number) and the rank of that evaluation, for
	// coalescing (see rank), or ok false when it evaluates several, or
	// none (it is ignored).
	target() (pr githubapi.PullRequest, r rank, ok bool)
	// carried is what the event asks of its evaluation beyond the pull
	// request's state; coalescing keeps it (see carried).
	carried() carried
	// handle does what the event asks for, and what the events coalesced
	// into it asked for (c: its own carried merged with theirs).
	handle(ctx context.Context, c carried) error
}

// carried is what events coalesced into one evaluation of a pull request
// ask of it besides the pull request's state: a later event replaces an
// earlier one's state (see rank), never what the earlier one asked for.
type carried struct {
	// force: a person's action (a review, a Re-run, a comment) asked for
	// an evaluation whatever the memo says.
	force bool
	// edits are checklist edits and waiver commands, oldest first. Each
	// is judged with its own sender (and an edit with its before and
	// after bodies): a tick or a waiver is attributed to the person who
	// made it, however many events were coalesced.
	edits []checklistEdit
}

// merge is c followed by later.
func (c carried) merge(later carried) carried {
	return carried{force: c.force || later.force, edits: append(slices.Clip(c.edits), later.edits...)}
}

// size is the bytes the edits' bodies hold, counted against the queue's
// byte bound when their events are coalesced into another.
func (c carried) size() int64 {
	var n int64
	for _, e := range c.edits {
		n += int64(len(e.From) + len(e.To) + len(e.Sender))
		if c := e.command; c != nil {
			n += int64(len(c.Check) + len(c.Until) + len(c.Reason) + len(c.Sender) + len(c.Problem))
		}
	}
	return n
}

// parser parses the payload of one event type into an event, or says what
// the payload lacks.
type parser func(payload []byte) (event, error)

// newParser is an event type's parser: decode checks and decodes its
// payload, wrap makes the event of a decoded one.
func newParser[P any](decode func(payload []byte) (*P, error), wrap func(*P) event) parser {
	return func(payload []byte) (event, error) {
		p, err := decode(payload)
		if err != nil {
			return nil, err
		}
		return wrap(p), nil
	}
}

// uncoalesced is embedded by events that are queued one by one: those
// that evaluate several pull requests.
type uncoalesced struct{}

func (uncoalesced) target() (githubapi.PullRequest, rank, bool) {
	return githubapi.PullRequest{}, 0, false
}

func (uncoalesced) carried() carried { return carried{} }

// Webhook payloads are decoded into the small structs below, holding only
// what launchgate reads, rather than go-github's event types. go-github v60
// decodes every timestamp of an event strictly as RFC 3339, and GitHub's
// own published examples carry others: the check_run.rerequested example
// has "created_at": "2018-04-25 20:42:10" in check_run.app (octokit/webhooks
// payload-examples, read 2026-11), on which github.CheckRunEvent fails. A
// timestamp launchgate never reads must not cost an evaluation, so those
// fields are not decoded at all. What launchgate does read is checked, and
// a payload without it is answered 400.

type repositoryPayload struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Owner struct {
		Login string `json:"login"`
	} `json:"owner"`
}

type installationPayload struct {
	ID int64 `json:"id"`
}

// envelope is what every handled event carries.
type envelope struct {
	Action       string               `json:"action"`
	Repository   *repositoryPayload   `json:"repository"`
	Installation *installationPayload `json:"installation"`
}

func (e envelope) check() error {
	switch {
	case e.Action == "":
		return errors.New("action is missing")
	case e.Installation == nil || e.Installation.ID <= 0:
		// An App's deliveries always name the installation they are for.
		return errors.New("installation.id is missing: not a GitHub App delivery")
	case e.Repository == nil || e.Repository.Name == "" || e.Repository.Owner.Login == "":
		return errors.New("repository.owner.login or repository.name is missing")
	}
	return nil
}

// repo is the payload's repository as go-githubapp's logging helpers take
// it.
func (e envelope) repo() *github.Repository {
	return &github.Repository{Name: github.String(e.Repository.Name), Owner: &github.User{Login: github.String(e.Repository.Owner.Login)}}
}

// pull is the pull request of that number in repository e, with nothing
// else known of it.
func (e envelope) pull(number int) githubapi.PullRequest {
	return githubapi.PullRequest{InstallationID: e.Installation.ID, Owner: e.Repository.Owner.Login, Repo: e.Repository.Name, Number: number}
}

// pullRef is a pull request as check_run and check_suite payloads list it:
// number and branches, without title or labels.
type pullRef struct {
	Number int `json:"number"`
	Head   struct {
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		SHA  string `json:"sha"`
		Ref  string `json:"ref"`
		Repo struct {
			ID int64 `json:"id"`
		} `json:"repo"`
	} `json:"base"`
}

// decode unmarshals a payload; JSON errors name the offset.
func decode(payload []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(payload)).Decode(v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("payload is not JSON: %v at byte %d", err, syn.Offset)
		}
		return fmt.Errorf("payload does not decode: %w", err)
	}
	return nil
}

// toPull is what a pullRef says about its pull request in repository e.
func (r pullRef) toPull(e envelope) githubapi.PullRequest {
	pr := e.pull(r.Number)
	pr.HeadSHA, pr.BaseSHA, pr.BaseRef = r.Head.SHA, r.Base.SHA, r.Base.Ref
	return pr
}
