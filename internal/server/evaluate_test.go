package server

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/launchgate/launchgate/internal/approval"
	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/server/demo"
	"github.com/launchgate/launchgate/internal/signoff"
)

// fakeGitHub is a GitHub of one pull request held in memory, for the
// evaluation's own tests: each read returns its field or its error, and
// each write is recorded in writes.
type fakeGitHub struct {
	policy    *policy.Policy
	policyErr error
	changed   []string
	// changedErr fails ChangedFiles.
	changedErr error
	tree       fs.FS
	treeErr    error
	reviews    []approval.Review
	reviewsErr error
	// members are the active members of each team.
	members   map[string][]string
	memberErr error
	comment   *githubapi.Comment // the checklist, written by the App
	// run is the App's run on the head, as PullState reads it; treeReads
	// counts HeadTree calls.
	run       *githubapi.RunRead
	treeReads int
	// commentErr fails MarkedComment; writeErr CreateComment and
	// EditComment; requestErr RequestTeamReviews.
	commentErr, writeErr, requestErr error
	// required is what PullState says of the base branch; nil when it
	// could not read it.
	required *githubapi.RequiredCheck

	writes []string // "comment", "run", "reviews", in order
	runs   []githubapi.CheckRun
	asked  []string
}

const fakeBot = "launchgate[bot]"

func (f *fakeGitHub) Policy(context.Context, githubapi.PullRequest) (*policy.Policy, error) {
	return f.policy, f.policyErr
}

func (f *fakeGitHub) ChangedFiles(context.Context, githubapi.PullRequest) ([]string, error) {
	return f.changed, f.changedErr
}

func (f *fakeGitHub) FilesAndRun(context.Context, githubapi.PullRequest, string) ([]string, *githubapi.RunRead, error) {
	return f.changed, nil, f.changedErr
}

func (f *fakeGitHub) HeadTree(context.Context, githubapi.PullRequest, []string) (fs.FS, error) {
	f.treeReads++
	return f.tree, f.treeErr
}

func (f *fakeGitHub) CodeOwners(context.Context, githubapi.PullRequest) (*codeowners.File, error) {
	return nil, nil
}

func (f *fakeGitHub) PullState(context.Context, githubapi.PullRequest, string, string) (*githubapi.PullState, error) {
	if f.reviewsErr != nil {
		return nil, f.reviewsErr
	}
	return &githubapi.PullState{Reviews: f.reviews, Run: f.run, Required: f.required}, nil
}

func (f *fakeGitHub) ChangedSince(context.Context, githubapi.PullRequest, string) ([]string, bool, error) {
	return nil, false, nil
}

func (f *fakeGitHub) ActiveMember(_ context.Context, _ int64, _, team, user string) (bool, error) {
	return slices.Contains(f.members[team], user), f.memberErr
}

func (f *fakeGitHub) AppLogin(context.Context) (string, error) { return fakeBot, nil }

func (f *fakeGitHub) MarkedComment(context.Context, githubapi.PullRequest, string, string) (*githubapi.Comment, error) {
	return f.comment, f.commentErr
}

func (f *fakeGitHub) CreateComment(_ context.Context, _ githubapi.PullRequest, _, body string) (*githubapi.Comment, error) {
	return f.writeComment(1, body)
}

func (f *fakeGitHub) EditComment(_ context.Context, _ githubapi.PullRequest, id int64, body string) (*githubapi.Comment, error) {
	return f.writeComment(id, body)
}

func (f *fakeGitHub) writeComment(id int64, body string) (*githubapi.Comment, error) {
	f.writes = append(f.writes, "comment")
	if f.writeErr != nil {
		return nil, f.writeErr
	}
	f.comment = &githubapi.Comment{ID: id, Author: fakeBot, Body: body, HTMLURL: "https://github.com/acme/orders/pull/7#issuecomment-1"}
	return f.comment, nil
}

func (f *fakeGitHub) PublishCheckRun(_ context.Context, _ githubapi.PullRequest, run githubapi.CheckRun) (int64, bool, error) {
	f.writes = append(f.writes, "run")
	f.runs = append(f.runs, run)
	f.run = &githubapi.RunRead{Exists: true, ID: int64(len(f.runs)), Text: run.Text, DetailsURL: run.DetailsURL}
	return int64(len(f.runs)), true, nil
}

func (f *fakeGitHub) RequestTeamReviews(_ context.Context, _ githubapi.PullRequest, teams []string) error {
	f.writes = append(f.writes, "reviews")
	f.asked = append(f.asked, teams...)
	return f.requestErr
}

// launchPR is the demo's launch pull request, by its author.
var launchPR = githubapi.PullRequest{InstallationID: 1, Owner: "acme", Repo: "orders", Number: 7, Title: "Launch the orders service",
	Labels: []string{"launch"}, Author: "dev", HeadSHA: strings.Repeat("a", 40), BaseSHA: strings.Repeat("b", 40), BaseRef: "main"}

// newFakeEvaluator is an evaluator on the demo's finished service under
// the default policy, with reviewer "rev" an active member of both of its
// teams and an approval from them: every automatic check passes, and only
// the checklist's sign-offs are missing.
func newFakeEvaluator(t *testing.T) (*evaluator, *fakeGitHub) {
	t.Helper()
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	story := demo.New(testNow)
	tree := fstest.MapFS{}
	for path, data := range story.Main {
		tree[path] = &fstest.MapFile{Data: []byte(data)}
	}
	for path, data := range story.Kit() {
		tree[path] = &fstest.MapFile{Data: []byte(data)}
	}
	gh := &fakeGitHub{policy: pol, tree: tree, changed: slices.Sorted(maps.Keys(story.Kit())),
		members: map[string][]string{"security": {"rev"}, "infra": {"rev"}},
		reviews: []approval.Review{{User: "rev", State: approval.Approved, SubmittedAt: testNow.Add(-1), CommitID: launchPR.HeadSHA}},
	}
	q := newQueue(queueOptions{size: 1, maxBytes: 1, dedupeSize: 1})
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	m, err := newMetrics(q, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	e := &evaluator{gh: gh, webURL: "https://github.com", version: "v1.0.0", key: []byte(testSignoffKey),
		now: func() time.Time { return testNow }, memo: newMemo(10), metrics: m}
	return e, gh
}

// planFor gathers and decides, as an evaluation does before it writes.
func (e *evaluator) planFor(t *testing.T, pr githubapi.PullRequest, edits ...checklistEdit) plan {
	t.Helper()
	p, err := e.decide(e.gather(context.Background(), pr, edits, testNow), testNow)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signOffAll makes the fake's checklist comment one where "rev" ticked
// every item and launchgate recorded the ticks, the way a person would
// get there: the App's fresh checklist, then one edit ticking every box.
// It returns the body with every box ticked but no record of the ticks.
func signOffAll(t *testing.T, e *evaluator, gh *fakeGitHub) (ticked string) {
	t.Helper()
	fresh := e.planFor(t, launchPR).checklist.body
	ticked = fresh
	for _, it := range signoff.Items(gh.policy) {
		var ok bool
		if ticked, ok = demo.Tick(ticked, it.ID); !ok {
			t.Fatalf("the fresh checklist has no box for %s:\n%s", it.ID, fresh)
		}
	}
	gh.comment = &githubapi.Comment{ID: 11, Author: fakeBot, Body: ticked, HTMLURL: "https://github.com/acme/orders/pull/7#issuecomment-11"}
	edit := checklistEdit{commentID: 11, Edit: signoff.Edit{From: fresh, To: ticked, Sender: "rev"}}
	gh.comment.Body = e.planFor(t, launchPR, edit).checklist.body
	return ticked
}

// TestDecideFailsClosed covers every branch of an evaluation: each case
// breaks one read of a launch PR that is otherwise ready, and the run
// decided must not be a success where it must not.
func TestDecideFailsClosed(t *testing.T) {
	tests := []struct {
		name string
		// spoil breaks one read; ticked is the checklist ticked without records.
		spoil func(gh *fakeGitHub, pr *githubapi.PullRequest, ticked string)
		// wantConclusion is the run's conclusion.
		wantConclusion string
		wantTitle      string // a substring of the run's title
		// wantOutcome is the outcome the run's external_id records.
		wantOutcome githubapi.RunOutcome
		// wantFailure is set when a read failed: the evaluation is not
		// remembered, and the run says what failed.
		wantFailure   bool
		wantChecklist bool
	}{
		{name: "ready", spoil: func(*fakeGitHub, *githubapi.PullRequest, string) {},
			wantConclusion: report.ConclusionSuccess, wantTitle: "ready to launch", wantOutcome: githubapi.OutcomeEvaluated, wantChecklist: true},
		{name: "policy does not parse", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, _ string) {
			gh.policy, gh.policyErr = nil, policy.Errors{{Source: ".github/launchgate.yml", Line: 3, Msg: "unknown key"}}
		}, wantConclusion: report.ConclusionFailure, wantTitle: "Policy cannot be read", wantOutcome: githubapi.OutcomePolicyError},
		{name: "policy unreadable", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, _ string) {
			gh.policy, gh.policyErr = nil, errors.New("GET contents: 502 Bad Gateway")
		}, wantConclusion: report.ConclusionFailure, wantTitle: "Could not evaluate", wantOutcome: githubapi.OutcomeEvaluationError, wantFailure: true},
		{name: "changed files unreadable when the path rules decide", spoil: func(gh *fakeGitHub, pr *githubapi.PullRequest, _ string) {
			pr.Labels, pr.Title = nil, "Orders service"
			gh.changedErr = errors.New("GET files: 500")
		}, wantConclusion: report.ConclusionFailure, wantTitle: "Could not evaluate", wantOutcome: githubapi.OutcomeEvaluationError, wantFailure: true},
		{name: "head tree unreadable", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, _ string) {
			gh.treeErr = errors.New("GET tree: 502")
		}, wantConclusion: report.ConclusionFailure, wantTitle: "Could not evaluate", wantOutcome: githubapi.OutcomeEvaluationError, wantFailure: true},
		{name: "reviews unreadable", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, _ string) {
			gh.reviewsErr = errors.New("GET reviews: 502")
		}, wantConclusion: report.ConclusionFailure, wantTitle: "Could not evaluate", wantOutcome: githubapi.OutcomeEvaluationError, wantFailure: true},
		{name: "checklist comment unreadable", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, _ string) {
			gh.commentErr = errors.New("GET comments: 502")
		}, wantConclusion: report.ConclusionFailure, wantTitle: "Could not evaluate", wantOutcome: githubapi.OutcomeEvaluationError, wantFailure: true},
		{name: "checklist ticked by hand, without records", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, ticked string) {
			gh.comment.Body = ticked
		}, wantConclusion: report.ConclusionActionRequired, wantTitle: "sign-off", wantOutcome: githubapi.OutcomeEvaluated, wantChecklist: true},
		{name: "checklist records copied from another pull request", spoil: func(_ *fakeGitHub, pr *githubapi.PullRequest, _ string) {
			pr.Number = 8
		}, wantConclusion: report.ConclusionActionRequired, wantTitle: "sign-off", wantOutcome: githubapi.OutcomeEvaluated, wantChecklist: true},
		{name: "membership lookups fail", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, _ string) {
			gh.memberErr = errors.New("GET membership: 502")
		}, wantConclusion: report.ConclusionActionRequired, wantOutcome: githubapi.OutcomeEvaluated, wantChecklist: true},
		{name: "reviewer left the teams", spoil: func(gh *fakeGitHub, _ *githubapi.PullRequest, _ string) {
			gh.members = nil
		}, wantConclusion: report.ConclusionActionRequired, wantOutcome: githubapi.OutcomeEvaluated, wantChecklist: true},
		{name: "not a launch PR", spoil: func(gh *fakeGitHub, pr *githubapi.PullRequest, _ string) {
			pr.Labels, pr.Title, gh.changed = nil, "Fix a typo", []string{"README.md"}
		}, wantConclusion: report.ConclusionSuccess, wantTitle: "Not a launch PR", wantOutcome: githubapi.OutcomeNotLaunch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, gh := newFakeEvaluator(t)
			ticked := signOffAll(t, e, gh)
			pr := launchPR
			tt.spoil(gh, &pr, ticked)
			p := e.planFor(t, pr)
			if p.run.Conclusion != tt.wantConclusion || !strings.Contains(p.run.Title, tt.wantTitle) {
				t.Errorf("run %s %q, want %s with %q in the title (decided %q)", p.run.Conclusion, p.run.Title, tt.wantConclusion, tt.wantTitle, p.decided)
			}
			if (p.failure != nil) != tt.wantFailure {
				t.Errorf("failure %v, want one: %v", p.failure, tt.wantFailure)
			}
			if (p.checklist != nil) != tt.wantChecklist {
				t.Errorf("checklist planned: %v, want %v", p.checklist != nil, tt.wantChecklist)
			}
			wantID := githubapi.RunID{PR: pr.Number, Version: "v1.0.0", Policy: githubapi.ShortPolicyDigest(digestOf(gh.policy)), Outcome: tt.wantOutcome}
			if tt.wantChecklist {
				// The run names the checklist comment it was judged with.
				wantID.Comment = gh.comment.ID
			}
			if p.run.ID != wantID || p.run.Name != CheckName || p.run.HeadSHA != pr.HeadSHA {
				t.Errorf("run identity: %q %+v on %s, want %+v", p.run.Name, p.run.ID, p.run.HeadSHA, wantID)
			}
			if len(gh.writes) != 0 {
				t.Errorf("gathering and deciding wrote %v", gh.writes)
			}
		})
	}
}

func digestOf(pol *policy.Policy) string {
	if pol == nil {
		return ""
	}
	return pol.Digest
}

// TestPublish covers what an evaluation writes, and in which order: the
// checklist first (its URL is the run's details link), then the run, then
// the review requests, which never fail the evaluation.
func TestPublish(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *evaluator, gh *fakeGitHub)
		// wantWrites are the writes, in order.
		wantWrites     []string
		wantConclusion string
		wantOutcome    githubapi.RunOutcome // in the run's external_id
		wantDetails    string               // the run's details_url
		wantComment    int64                // the checklist comment its external_id names
		wantAsked      []string
		// wantRemembered: the memo holds the evaluation, so that the same
		// state is not evaluated again.
		wantRemembered bool
	}{
		{
			name:       "first evaluation: the checklist is created, then the run links to it",
			setup:      func(*testing.T, *evaluator, *fakeGitHub) {},
			wantWrites: []string{"comment", "run"}, wantConclusion: report.ConclusionActionRequired, wantOutcome: githubapi.OutcomeEvaluated,
			wantDetails: "https://github.com/acme/orders/pull/7#issuecomment-1", wantComment: 1, wantRemembered: true,
		},
		{
			name:       "with pages, the run links to the details page and names the checklist it created",
			setup:      func(_ *testing.T, e *evaluator, _ *fakeGitHub) { e.pagesURL = "https://launchgate.example.com" },
			wantWrites: []string{"comment", "run"}, wantConclusion: report.ConclusionActionRequired, wantOutcome: githubapi.OutcomeEvaluated,
			wantDetails: "https://launchgate.example.com/acme/orders/pull/7", wantComment: 1, wantRemembered: true,
		},
		{
			name: "with pages, an unchanged checklist is named too",
			setup: func(t *testing.T, e *evaluator, gh *fakeGitHub) {
				signOffAll(t, e, gh)
				e.pagesURL = "https://launchgate.example.com"
			},
			wantWrites: []string{"run"}, wantConclusion: report.ConclusionSuccess, wantOutcome: githubapi.OutcomeEvaluated,
			wantDetails: "https://launchgate.example.com/acme/orders/pull/7", wantComment: 11, wantRemembered: true,
		},
		{
			name: "missing teams are asked after the run",
			setup: func(_ *testing.T, _ *evaluator, gh *fakeGitHub) {
				gh.reviews = nil
			},
			wantWrites: []string{"comment", "run", "reviews"}, wantConclusion: report.ConclusionActionRequired, wantOutcome: githubapi.OutcomeEvaluated,
			wantDetails: "https://github.com/acme/orders/pull/7#issuecomment-1", wantComment: 1, wantAsked: []string{"security", "infra"}, wantRemembered: true,
		},
		{
			name: "nothing changed: only the run, whose digest GitHub compares",
			setup: func(t *testing.T, e *evaluator, gh *fakeGitHub) {
				signOffAll(t, e, gh)
			},
			wantWrites: []string{"run"}, wantConclusion: report.ConclusionSuccess, wantOutcome: githubapi.OutcomeEvaluated,
			wantDetails: "https://github.com/acme/orders/pull/7#issuecomment-11", wantComment: 11, wantRemembered: true,
		},
		{
			name: "a refused review request is logged, not fatal",
			setup: func(_ *testing.T, _ *evaluator, gh *fakeGitHub) {
				gh.reviews, gh.requestErr = nil, errors.New("422 team has no access")
			},
			wantWrites: []string{"comment", "run", "reviews"}, wantConclusion: report.ConclusionActionRequired, wantOutcome: githubapi.OutcomeEvaluated,
			wantDetails: "https://github.com/acme/orders/pull/7#issuecomment-1", wantComment: 1, wantAsked: []string{"security", "infra"}, wantRemembered: true,
		},
		{
			name: "a checklist that cannot be written fails the run and asks nobody",
			setup: func(_ *testing.T, e *evaluator, gh *fakeGitHub) {
				gh.reviews, gh.writeErr = nil, errors.New("403 locked conversation")
				// The failure run links to the pull request, pages or not:
				// there is no evaluation to show.
				e.pagesURL = "https://launchgate.example.com"
			},
			wantWrites: []string{"comment", "run"}, wantConclusion: report.ConclusionFailure, wantOutcome: githubapi.OutcomeEvaluationError,
			wantDetails: "https://github.com/acme/orders/pull/7",
		},
		{
			name: "a failed read writes a failure run only",
			setup: func(_ *testing.T, _ *evaluator, gh *fakeGitHub) {
				gh.commentErr = errors.New("GET comments: 502")
			},
			wantWrites: []string{"run"}, wantConclusion: report.ConclusionFailure, wantOutcome: githubapi.OutcomeEvaluationError,
			wantDetails: "https://github.com/acme/orders/pull/7",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, gh := newFakeEvaluator(t)
			tt.setup(t, e, gh)
			failedRequests := gh.requestErr != nil
			if err := e.evaluate(context.Background(), launchPR, false, nil); err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			if !slices.Equal(gh.writes, tt.wantWrites) {
				t.Errorf("writes %v, want %v", gh.writes, tt.wantWrites)
			}
			if len(gh.runs) != 1 {
				t.Fatalf("%d runs published", len(gh.runs))
			}
			if run := gh.runs[0]; run.Conclusion != tt.wantConclusion || run.ID.Outcome != tt.wantOutcome || run.DetailsURL != tt.wantDetails ||
				run.ID.Comment != tt.wantComment {
				t.Errorf("run %s %q outcome %q details %s comment %d, want %s outcome %q details %s comment %d",
					run.Conclusion, run.Title, run.ID.Outcome, run.DetailsURL, run.ID.Comment, tt.wantConclusion, tt.wantOutcome, tt.wantDetails, tt.wantComment)
			}
			if !slices.Equal(gh.asked, tt.wantAsked) {
				t.Errorf("teams asked %v, want %v", gh.asked, tt.wantAsked)
			}
			if got := e.memo.seen(launchPR, inputKey(launchPR)); got != tt.wantRemembered {
				t.Errorf("evaluation remembered: %v, want %v", got, tt.wantRemembered)
			}
			var counted dto.Metric
			if err := e.metrics.reviewFails.Write(&counted); err != nil {
				t.Fatal(err)
			}
			if got := counted.GetCounter().GetValue(); (got == 1) != failedRequests {
				t.Errorf("%v failed review requests counted", got)
			}
		})
	}
}

// TestCoalescedChecklistEdits checks that checklist edits coalesced into
// one evaluation are each judged in order with their own sender: a tick is
// attributed to whoever made it, never to the sender of the last edit, and
// a tick by someone who may not sign off is still reset.
func TestCoalescedChecklistEdits(t *testing.T) {
	type step struct{ sender, item string } // sender ticks item
	tests := []struct {
		name       string
		steps      []step
		wantSigned map[string]string // item -> signer
		wantNotes  map[string]string // item -> part of launchgate's note
	}{
		{
			name:       "two people's ticks each recorded for their sender",
			steps:      []step{{sender: "sam", item: "security-review-done"}, {sender: "ivy", item: "alerts-fired"}},
			wantSigned: map[string]string{"security-review-done": "sam", "alerts-fired": "ivy"},
		},
		{
			name: "a non-member's tick between two valid ones is reset",
			steps: []step{{sender: "ivy", item: "alerts-fired"}, {sender: "mallory", item: "load-test-results"},
				{sender: "sam", item: "security-review-done"}},
			wantSigned: map[string]string{"alerts-fired": "ivy", "security-review-done": "sam"},
			wantNotes:  map[string]string{"load-test-results": "@mallory ticked load-test-results, but only active members of team infra may"},
		},
		{
			name:       "the author's tick is reset though a member ticked before",
			steps:      []step{{sender: "sam", item: "security-review-done"}, {sender: launchPR.Author, item: "alerts-fired"}},
			wantSigned: map[string]string{"security-review-done": "sam"},
			wantNotes:  map[string]string{"alerts-fired": "they opened this pull request"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, gh := newFakeEvaluator(t)
			gh.members = map[string][]string{"security": {"sam", launchPR.Author}, "infra": {"ivy", launchPR.Author}}
			body := e.planFor(t, launchPR).checklist.body
			var edits []checklistEdit
			for _, s := range tt.steps {
				to, ok := demo.Tick(body, s.item)
				if !ok {
					t.Fatalf("no box for %s", s.item)
				}
				edits = append(edits, checklistEdit{commentID: 11, Edit: signoff.Edit{From: body, To: to, Sender: s.sender}})
				body = to
			}
			gh.comment = &githubapi.Comment{ID: 11, Author: fakeBot, Body: body}
			if err := e.evaluate(context.Background(), launchPR, true, edits); err != nil {
				t.Fatal(err)
			}
			got, err := signoff.Parse(gh.comment.Body)
			if err != nil {
				t.Fatalf("the checklist written does not parse: %v", err)
			}
			signed := map[string]string{}
			for _, r := range got.Records {
				signed[r.Item] = r.User
			}
			if !maps.Equal(signed, tt.wantSigned) {
				t.Errorf("records %v, want %v", signed, tt.wantSigned)
			}
			for item, want := range tt.wantNotes {
				if got.Ticked[item] || !strings.Contains(got.Notes[item].Text, want) {
					t.Errorf("%s: ticked %v, note %q; want reset with a note saying %q", item, got.Ticked[item], got.Notes[item].Text, want)
				}
			}
		})
	}
}

// TestRequiredNote: whether the base branch requires the check is advice
// in the run's summary; it never changes the conclusion, and a failed read
// says nothing.
func TestRequiredNote(t *testing.T) {
	tests := []struct {
		name     string
		required *githubapi.RequiredCheck // nil: the query could not tell
		want     string                   // in the summary; "" for no note
	}{
		{name: "required", required: &githubapi.RequiredCheck{State: githubapi.Required, Why: "a ruleset requires it"}, want: ""},
		{name: "not required", required: &githubapi.RequiredCheck{State: githubapi.NotRequired, Why: "no rule requires it"},
			want: "branch `main` does not require the `Production readiness` check (no rule requires it)"},
		{name: "could not tell", required: &githubapi.RequiredCheck{State: githubapi.RequiredUnknown, Why: "403"},
			want: "could not tell whether branch `main` requires"},
		{name: "read failed", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, gh := newFakeEvaluator(t)
			signOffAll(t, e, gh)
			gh.required = tt.required
			p := e.planFor(t, launchPR)
			if p.failure != nil || p.run.Conclusion != report.ConclusionSuccess {
				t.Fatalf("run %s (failure %v), want success: the note is advice", p.run.Conclusion, p.failure)
			}
			hasNote := strings.Contains(p.run.Summary, "For repository admins")
			if hasNote != (tt.want != "") || !strings.Contains(p.run.Summary, tt.want) {
				t.Errorf("summary, want note %q:\n%s", tt.want, p.run.Summary)
			}
		})
	}
}
