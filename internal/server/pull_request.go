package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// pullRequestHandler evaluates a pull request when something an evaluation
// depends on changes: its head (opened, reopened, synchronize), its title
// or base (edited), its labels (labeled, unlabeled), or its draft state
// (ready_for_review). A "closed" delivery evaluates nothing instead: a
// merge writes a launch record, and any close leaves the store's open
// launch PRs (records.go).
type pullRequestHandler struct{ ev *evaluator }

var pullRequestActions = []string{"opened", "reopened", "synchronize", "edited", "labeled", "unlabeled", "ready_for_review"}

type pullRequestPayload struct {
	envelope
	PullRequest *struct {
		Number       int    `json:"number"`
		State        string `json:"state"`
		Title        string `json:"title"`
		Draft        bool   `json:"draft"`
		ChangedFiles int    `json:"changed_files"`
		// CreatedAt is read as text: a value that does not parse costs
		// the details page its opening time, never the delivery.
		CreatedAt string `json:"created_at"`
		User      struct {
			Login string `json:"login"`
		} `json:"user"`
		Labels []struct {
			Name string `json:"name"`
		} `json:"labels"`
		Head struct {
			SHA string `json:"sha"`
		} `json:"head"`
		// Merged, MergeCommitSHA, MergedBy and MergedAt are read from a
		// "closed" delivery only.
		Merged         bool   `json:"merged"`
		MergeCommitSHA string `json:"merge_commit_sha"`
		MergedBy       *struct {
			Login string `json:"login"`
		} `json:"merged_by"`
		MergedAt string `json:"merged_at"`
		Base     struct {
			SHA string `json:"sha"`
			Ref string `json:"ref"`
		} `json:"base"`
	} `json:"pull_request"`
	// Changes of an "edited" event: only a new title or base can change
	// the outcome; a body edit cannot.
	Changes *struct {
		Title *struct{} `json:"title"`
		Base  *struct{} `json:"base"`
	} `json:"changes"`
}

// pullRequestEvent is a parsed pull_request delivery.
type pullRequestEvent struct {
	h pullRequestHandler
	p *pullRequestPayload
}

func (h pullRequestHandler) parser() parser {
	return newParser(parsePullRequest, func(p *pullRequestPayload) event {
		if p.Action == "closed" {
			return closedEvent{ev: h.ev, p: p}
		}
		return pullRequestEvent{h: h, p: p}
	})
}

func parsePullRequest(payload []byte) (*pullRequestPayload, error) {
	var p pullRequestPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	pr := p.PullRequest
	switch {
	case pr == nil:
		return nil, errors.New("pull_request is missing")
	case pr.Number <= 0:
		return nil, errors.New("pull_request.number is missing")
	}
	if err := githubapi.CheckSHA("pull_request.head.sha", pr.Head.SHA); err != nil {
		return nil, err
	}
	if err := githubapi.CheckSHA("pull_request.base.sha", pr.Base.SHA); err != nil {
		return nil, err
	}
	if p.Action == "closed" && pr.Merged {
		if err := githubapi.CheckSHA("pull_request.merge_commit_sha", pr.MergeCommitSHA); err != nil {
			return nil, err
		}
		if pr.MergedBy == nil || pr.MergedBy.Login == "" {
			return nil, errors.New("pull_request.merged_by is missing")
		}
		if _, err := time.Parse(time.RFC3339, pr.MergedAt); err != nil {
			return nil, fmt.Errorf("pull_request.merged_at %q is not an RFC 3339 time", pr.MergedAt)
		}
	}
	return &p, nil
}

func (e pullRequestEvent) ignored() string { return e.p.skipReason() }

// target implements event: a pull_request event carries the pull
// request's state at the event.
func (e pullRequestEvent) target() (githubapi.PullRequest, rank, bool) {
	if e.ignored() != "" {
		return githubapi.PullRequest{}, 0, false
	}
	return e.p.pull(), rankState, true
}

// carried implements event: a change of the pull request is evaluated
// only when the memo has not seen its state.
func (e pullRequestEvent) carried() carried { return carried{} }

func (e pullRequestEvent) handle(ctx context.Context, c carried) error {
	p := e.p
	ctx, _ = githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), p.PullRequest.Number)
	return e.h.ev.evaluate(ctx, p.pull(), c.force, c.edits)
}

// skipReason says why an event cannot change the check run, or "".
func (p *pullRequestPayload) skipReason() string {
	switch {
	case !slices.Contains(pullRequestActions, p.Action):
		return "action not handled"
	case p.PullRequest.State != "open":
		return "pull request is not open"
	case p.Action == "edited" && (p.Changes == nil || p.Changes.Title == nil && p.Changes.Base == nil):
		return "neither title nor base changed"
	}
	return ""
}

// merge is what a merged pull request's "closed" payload says of the
// merge; parsePullRequest checked it.
func (p *pullRequestPayload) merge() merge {
	pr := p.PullRequest
	at, _ := time.Parse(time.RFC3339, pr.MergedAt)
	return merge{commit: pr.MergeCommitSHA, by: pr.MergedBy.Login, at: at}
}

func (p *pullRequestPayload) pull() githubapi.PullRequest {
	pr := p.PullRequest
	out := githubapi.PullRequest{
		InstallationID: p.Installation.ID, Owner: p.Repository.Owner.Login, Repo: p.Repository.Name,
		Number: pr.Number, Title: pr.Title, Author: pr.User.Login, Draft: pr.Draft,
		HeadSHA: pr.Head.SHA, BaseSHA: pr.Base.SHA, BaseRef: pr.Base.Ref, ChangedFiles: pr.ChangedFiles,
	}
	if t, err := time.Parse(time.RFC3339, pr.CreatedAt); err == nil {
		out.CreatedAt = t.UTC()
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.Name)
	}
	return out
}
