package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/signoff"
)

// TestEventTargets checks what each parsed event tells the gate and the
// queue: why it is ignored, or the one pull request it evaluates, the rank
// of that evaluation and what it carries into it, or none when it
// evaluates several.
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
	checklistEdit := map[string]any{"installation": map[string]any{"id": 1}, "issue.pull_request": map[string]any{},
		"comment.body": signoff.Marker + "\n- [x] ticked", "comment.user.type": "Bot", "changes.body.from": signoff.Marker + "\n- [ ] ticked",
		"sender.login": "alice", "sender.type": "User"}
	botEdit := map[string]any{"installation": map[string]any{"id": 1}, "issue.pull_request": map[string]any{},
		"comment.body": signoff.Marker + "\n- [x] ticked", "comment.user.type": "Bot", "changes.body.from": signoff.Marker + "\n- [ ] ticked",
		"sender.login": "launchgate[bot]", "sender.type": "Bot"}
	tests := []struct {
		name        string
		eventType   string
		payload     []byte
		wantIgnored string
		wantPR      githubapi.PullRequest
		wantRank    rank
		wantOK      bool
		wantForce   bool
		wantSenders []string // of the checklist edits carried
	}{
		{name: "pull_request opened carries its state", eventType: "pull_request", payload: fixture(t, "pull_request.opened.json", nil),
			wantPR: hello(2), wantRank: rankState, wantOK: true},
		{name: "pull_request edited body only is ignored", eventType: "pull_request", wantIgnored: "neither title nor base changed",
			payload: fixture(t, "pull_request.opened.json", map[string]any{"action": "edited", "changes": map[string]any{"body": map[string]any{"from": "x"}}})},
		{name: "pull_request of a closed pull request is ignored", eventType: "pull_request", wantIgnored: "pull request is not open",
			payload: fixture(t, "pull_request.opened.json", map[string]any{"pull_request.state": "closed"})},
		{name: "Re-run of this App's run reads the pull request afresh", eventType: "check_run",
			payload: fixture(t, "check_run.rerequested.json", ourRun), wantPR: hello(9), wantRank: rankFresh, wantOK: true, wantForce: true},
		{name: "Re-run of another App's run is ignored", eventType: "check_run", wantIgnored: "another App's run",
			payload: fixture(t, "check_run.rerequested.json", map[string]any{"check_run.app.id": testAppID + 1, "check_run.name": CheckName, "check_run.external_id": githubapi.RunID{PR: 9}.String()})},
		{name: "this App's run completed is its own write echoed back", eventType: "check_run", wantIgnored: "action not handled",
			payload: fixture(t, "check_run.rerequested.json", map[string]any{"action": "completed", "check_run.app.id": testAppID, "check_run.name": CheckName})},
		{name: "check_suite of another App is ignored", eventType: "check_suite", wantIgnored: "another App's suite",
			payload: fixture(t, "check_suite.requested.json", map[string]any{"check_suite.app.id": testAppID + 1, "check_suite.pull_requests": []any{ref}})},
		{name: "check_suite naming no pull request is ignored", eventType: "check_suite", wantIgnored: "names no pull request",
			payload: fixture(t, "check_suite.requested.json", map[string]any{"check_suite.app.id": testAppID, "check_suite.pull_requests": []any{}})},
		{name: "check_suite requested for one pull request is a hint", eventType: "check_suite",
			payload: fixture(t, "check_suite.requested.json", map[string]any{"check_suite.app.id": testAppID, "check_suite.pull_requests": []any{ref}, "installation.id": 1}),
			wantPR:  hello(5), wantRank: rankHint, wantOK: true},
		{name: "check_suite rerequested is fresh", eventType: "check_suite",
			payload: fixture(t, "check_suite.rerequested.json", map[string]any{"check_suite.app.id": testAppID, "check_suite.pull_requests": []any{ref}, "installation.id": 1,
				"repository.owner.login": "Codertocat", "repository.name": "Hello-World"}),
			wantPR: hello(5), wantRank: rankFresh, wantOK: true, wantForce: true},
		{name: "check_suite of several pull requests is queued as it is", eventType: "check_suite",
			payload: fixture(t, "check_suite.requested.json", map[string]any{"check_suite.app.id": testAppID, "check_suite.pull_requests": []any{ref, ref}})},
		{name: "a review carries its state and forces the evaluation", eventType: "pull_request_review", payload: fixture(t, "pull_request_review.submitted.json", nil),
			wantPR: hello(2), wantRank: rankState, wantOK: true, wantForce: true},
		{name: "a review of a closed pull request is ignored", eventType: "pull_request_review", wantIgnored: "pull request is not open",
			payload: fixture(t, "pull_request_review.submitted.json", map[string]any{"pull_request.state": "closed"})},
		{name: "a checklist edit carries its sender", eventType: "issue_comment", payload: fixture(t, "issue_comment.edited.json", checklistEdit),
			wantPR: hello(1), wantRank: rankFresh, wantOK: true, wantForce: true, wantSenders: []string{"alice"}},
		{name: "the App's own checklist edit is ignored", eventType: "issue_comment", payload: fixture(t, "issue_comment.edited.json", botEdit),
			wantIgnored: "an edit by a bot"},
		{name: "an edit of another comment is ignored", eventType: "issue_comment", wantIgnored: "a comment on an issue, not a pull request",
			payload: fixture(t, "issue_comment.edited.json", map[string]any{"installation": map[string]any{"id": 1}})},
		{name: "a push of a tag is ignored", eventType: "push", payload: fixture(t, "push.json", nil), wantIgnored: "not to the default branch"},
		{name: "a push of the policy to the default branch fans out", eventType: "push",
			payload: fixture(t, "push.json", map[string]any{"ref": "refs/heads/master", "deleted": false, "commits": []any{map[string]any{"modified": []any{githubapi.PolicyPath}}}})},
		{name: "a membership change fans out", eventType: "membership", payload: fixture(t, "membership.added.json", map[string]any{"installation": map[string]any{"id": 1}})},
		{name: "a team change fans out", eventType: "team", payload: fixture(t, "team.edited.json", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := parsers[tt.eventType](tt.payload)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := ev.ignored(); got != tt.wantIgnored {
				t.Errorf("ignored %q, want %q", got, tt.wantIgnored)
			}
			pr, r, ok := ev.target()
			same := pr.InstallationID == tt.wantPR.InstallationID && pr.Owner == tt.wantPR.Owner && pr.Repo == tt.wantPR.Repo && pr.Number == tt.wantPR.Number
			if ok != tt.wantOK || !same || r != tt.wantRank {
				t.Errorf("target %+v rank %d ok %v, want %+v rank %d ok %v", pr, r, ok, tt.wantPR, tt.wantRank, tt.wantOK)
			}
			if !ok {
				return
			}
			c := ev.carried()
			var senders []string
			for _, e := range c.edits {
				senders = append(senders, e.Sender)
			}
			if c.force != tt.wantForce || !slices.Equal(senders, tt.wantSenders) {
				t.Errorf("carried force %v edits by %q, want force %v edits by %q", c.force, senders, tt.wantForce, tt.wantSenders)
			}
		})
	}
}
