package server

import (
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// TestEventTargets checks what each parsed event tells the queue: the one
// pull request it evaluates and the rank of that evaluation, or none when
// its handling ignores it or it must not be replaced by a later event.
func TestEventTargets(t *testing.T) {
	parsers := map[string]parser{
		"pull_request":        pullRequestHandler{}.parser(),
		"check_run":           checkRunHandler{appID: testAppID}.parser(),
		"check_suite":         checkSuiteHandler{appID: testAppID}.parser(),
		"pull_request_review": pullRequestReviewHandler{}.parser(),
		"issue_comment":       issueCommentHandler{}.parser(),
		"push":                pushHandler{}.parser(),
		"membership":          membershipHandler{}.parser(),
		"team":                teamHandler{}.parser(),
	}
	hello := func(number int) githubapi.PullRequest {
		return githubapi.PullRequest{InstallationID: 1, Owner: "Codertocat", Repo: "Hello-World", Number: number}
	}
	sha := strings.Repeat("c", 40)
	ref := map[string]any{"number": 5, "head": map[string]any{"sha": sha}, "base": map[string]any{"sha": sha, "ref": "main", "repo": map[string]any{"id": 0}}}
	ourRun := map[string]any{"check_run.app.id": testAppID, "check_run.name": CheckName, "check_run.external_id": githubapi.RunID{PR: 9, Version: "v1.0.0", Policy: "abc"}.String(),
		"installation.id": 1, "repository.owner.login": "Codertocat", "repository.name": "Hello-World"}
	tests := []struct {
		name      string
		eventType string
		payload   []byte
		wantPR    githubapi.PullRequest
		wantRank  rank
		wantOK    bool
	}{
		{name: "pull_request opened carries its state", eventType: "pull_request", payload: fixture(t, "pull_request.opened.json", nil),
			wantPR: hello(2), wantRank: rankState, wantOK: true},
		{name: "pull_request edited body only is ignored", eventType: "pull_request",
			payload: fixture(t, "pull_request.opened.json", map[string]any{"action": "edited", "changes": map[string]any{"body": map[string]any{"from": "x"}}})},
		{name: "pull_request of a closed pull request is ignored", eventType: "pull_request",
			payload: fixture(t, "pull_request.opened.json", map[string]any{"pull_request.state": "closed"})},
		{name: "Re-run of this App's run reads the pull request afresh", eventType: "check_run",
			payload: fixture(t, "check_run.rerequested.json", ourRun), wantPR: hello(9), wantRank: rankFresh, wantOK: true},
		{name: "Re-run of another App's run is ignored", eventType: "check_run",
			payload: fixture(t, "check_run.rerequested.json", map[string]any{"check_run.app.id": testAppID + 1, "check_run.name": CheckName, "check_run.external_id": githubapi.RunID{PR: 9}.String()})},
		{name: "check_suite requested for one pull request is a hint", eventType: "check_suite",
			payload: fixture(t, "check_suite.requested.json", map[string]any{"check_suite.app.id": testAppID, "check_suite.pull_requests": []any{ref}, "installation.id": 1}),
			wantPR:  hello(5), wantRank: rankHint, wantOK: true},
		{name: "check_suite rerequested is fresh", eventType: "check_suite",
			payload: fixture(t, "check_suite.rerequested.json", map[string]any{"check_suite.app.id": testAppID, "check_suite.pull_requests": []any{ref}, "installation.id": 1,
				"repository.owner.login": "Codertocat", "repository.name": "Hello-World"}),
			wantPR: hello(5), wantRank: rankFresh, wantOK: true},
		{name: "check_suite of several pull requests is queued as it is", eventType: "check_suite",
			payload: fixture(t, "check_suite.requested.json", map[string]any{"check_suite.app.id": testAppID, "check_suite.pull_requests": []any{ref, ref}})},
		{name: "a review is never replaced", eventType: "pull_request_review", payload: fixture(t, "pull_request_review.submitted.json", nil)},
		{name: "a checklist edit is never replaced", eventType: "issue_comment", payload: fixture(t, "issue_comment.edited.json", map[string]any{"installation": map[string]any{"id": 1}})},
		{name: "a push fans out", eventType: "push", payload: fixture(t, "push.json", nil)},
		{name: "a membership change fans out", eventType: "membership", payload: fixture(t, "membership.added.json", map[string]any{"installation": map[string]any{"id": 1}})},
		{name: "a team change fans out", eventType: "team", payload: fixture(t, "team.edited.json", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := parsers[tt.eventType](tt.payload)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			pr, r, ok := ev.target()
			same := pr.InstallationID == tt.wantPR.InstallationID && pr.Owner == tt.wantPR.Owner && pr.Repo == tt.wantPR.Repo && pr.Number == tt.wantPR.Number
			if ok != tt.wantOK || !same || r != tt.wantRank {
				t.Errorf("target %+v rank %d ok %v, want %+v rank %d ok %v", pr, r, ok, tt.wantPR, tt.wantRank, tt.wantOK)
			}
		})
	}
}
