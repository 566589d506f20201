package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/lru"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
)

// CheckName is the name of the one check run launchgate keeps per head SHA.
// Rulesets require a check by this name.
const CheckName = "Production readiness"

// GitHub is what an evaluation reads from and writes to GitHub;
// *githubapi.Client implements it.
type GitHub interface {
	Policy(ctx context.Context, pr githubapi.PullRequest) (*policy.Policy, error)
	ChangedFiles(ctx context.Context, pr githubapi.PullRequest) ([]string, error)
	HeadTree(ctx context.Context, pr githubapi.PullRequest, inputs []string) (fs.FS, error)
	PublishCheckRun(ctx context.Context, pr githubapi.PullRequest, run githubapi.CheckRun) (id int64, changed bool, err error)
}

// evaluationTimeout bounds one evaluation, so that a hung connection cannot
// hold a worker forever.
const evaluationTimeout = 2 * time.Minute

// evaluator runs gather -> evaluate -> publish for one pull request.
type evaluator struct {
	gh      GitHub
	webURL  string
	version string
	now     func() time.Time
	locks   keyedMutex
	memo    *memo
	metrics *metrics
	// human gathers approvals and the checklist of launch PRs (human.go).
	human *humans
}

// evaluate publishes the check run of pr's head commit. force is set for
// events people raise (Re-run, Re-check): those evaluate even when an
// identical evaluation was just published.
//
// Every outcome publishes a run, so that a required check never waits
// forever: a policy that does not parse and a read that fails publish a
// failure saying so (fail closed), a PR that is not a launch PR a success.
func (e *evaluator) evaluate(ctx context.Context, pr githubapi.PullRequest, force bool) error {
	return e.evaluateEdit(ctx, pr, force, nil)
}

// evaluateEdit is evaluate handling an edit of the checklist comment (nil
// for any other event), whose sender the checklist's ticks are judged by.
func (e *evaluator) evaluateEdit(ctx context.Context, pr githubapi.PullRequest, force bool, edit *checklistEdit) error {
	ctx, cancel := context.WithTimeout(ctx, evaluationTimeout)
	defer cancel()
	log := zerolog.Ctx(ctx)
	// One evaluation per commit at a time: pull_request.synchronize and
	// check_suite.requested arrive together for every push, and two
	// concurrent first publishes would create two runs.
	unlock := e.locks.lock(pr.Owner + "/" + pr.Repo + "@" + pr.HeadSHA)
	defer unlock()

	inputs := inputKey(pr)
	if !force && e.memo.seen(pr, inputs) {
		log.Info().Str("head_sha", pr.HeadSHA).Msg("same pull request state already evaluated; nothing to do")
		return nil
	}
	opts := report.CheckRunOptions{
		WebURL: e.webURL, Owner: pr.Owner, Repo: pr.Repo, HeadSHA: pr.HeadSHA, Version: e.version,
	}
	started := time.Now()
	hr := &humanRun{edit: edit}
	out, outcome, decided, evalErr := e.run(ctx, pr, &opts, hr)
	if evalErr != nil {
		log.Error().Err(evalErr).Str("head_sha", pr.HeadSHA).Msg("evaluation failed; publishing a failure")
		var err error
		if out, err = report.ErrorCheckRun(decided, opts); err != nil {
			return err
		}
		outcome = githubapi.OutcomeEvaluationError
	}
	runID := githubapi.RunID{PR: pr.Number, Version: e.version, Policy: githubapi.ShortPolicyDigest(opts.PolicyDigest), Outcome: outcome}
	run := githubapi.CheckRun{
		Name: CheckName, HeadSHA: pr.HeadSHA, Status: "completed",
		Conclusion: out.Conclusion, Title: out.Title, Summary: out.Summary, Text: out.Text,
		DetailsURL:  cmp.Or(hr.detailsURL, e.pullURL(pr)),
		ID:          runID,
		Keep:        keepNewer(runID),
		Annotations: out.Annotations, Actions: out.Actions,
	}
	id, changed, err := e.gh.PublishCheckRun(ctx, pr, run)
	result := "ok"
	if evalErr != nil || err != nil {
		result = "error"
	}
	e.metrics.evaluated(out.Conclusion, result, time.Since(started))
	if err != nil {
		return fmt.Errorf("publishing the check run: %w", err)
	}
	if evalErr == nil {
		// A failed evaluation is not remembered: a redelivery retries it.
		e.memo.remember(pr, inputs)
	}
	log.Info().Str("head_sha", pr.HeadSHA).Int64("check_run", id).Bool("written", changed).
		Str("conclusion", out.Conclusion).Str("outcome", decided).Str("title", out.Title).
		Dur("took", time.Since(started)).Msg("evaluated")
	return nil
}

// run gathers and evaluates. On error, decided says what failed ("reading
// the head tree") for the failure run; otherwise it says what was decided,
// and outcome what kind of run reports it.
func (e *evaluator) run(ctx context.Context, pr githubapi.PullRequest, opts *report.CheckRunOptions, hr *humanRun) (out report.CheckRunOutput, outcome githubapi.RunOutcome, decided string, err error) {
	pol, err := e.gh.Policy(ctx, pr)
	var broken policy.Errors
	switch {
	case errors.As(err, &broken):
		out, err := report.PolicyErrorCheckRun(broken, *opts)
		return out, githubapi.OutcomePolicyError, "policy cannot be read", err
	case err != nil:
		return out, "", "reading the policy from the base branch", err
	}
	opts.PolicySource, opts.PolicyDigest = pol.Source, pol.Digest

	decision, err := decideLaunch(pol.Launch, pr.Title, pr.Labels, func() ([]string, bool, error) {
		files, err := e.gh.ChangedFiles(ctx, pr)
		if errors.Is(err, githubapi.ErrFileListTruncated) {
			return files, false, nil
		}
		return files, err == nil, err
	})
	if err != nil {
		return out, "", "listing the changed files", err
	}
	if !decision.Launch {
		out, err := report.NotLaunchCheckRun(decision.Reason, *opts)
		return out, githubapi.OutcomeNotLaunch, "not a launch PR: " + decision.Reason, err
	}
	fsys, err := e.gh.HeadTree(ctx, pr, pol.Inputs())
	if err != nil {
		return out, "", "reading the head tree", err
	}
	hs, err := e.human.gather(ctx, pr, pol, fsys, hr.edit)
	if err != nil {
		return out, "", "reading reviews, team memberships and the checklist", err
	}
	hr.detailsURL = hs.detailsURL
	rep := readiness.Evaluate(pol, readiness.Snapshot{FS: fsys, Human: hs.human, ExtraApprovals: hs.extra}, e.now())
	out, err = report.CheckRun(rep, *opts)
	hs.decorate(&out)
	return out, githubapi.OutcomeEvaluated, "launch PR: " + decision.Reason, err
}

// pullURL is where a run sends people when there is no checklist comment
// (not a launch PR, or the evaluation failed before finding it).
func (e *evaluator) pullURL(pr githubapi.PullRequest) string {
	return fmt.Sprintf("%s/%s/%s/pull/%d", e.webURL, url.PathEscape(pr.Owner), url.PathEscape(pr.Repo), pr.Number)
}

// inputKey is everything from the pull request an evaluation depends on.
func inputKey(pr githubapi.PullRequest) string {
	labels := slices.Clone(pr.Labels)
	slices.Sort(labels)
	return fmt.Sprintf("%s|%s|%q|%q", pr.BaseSHA, pr.BaseRef, pr.Title, labels)
}

// memo remembers the pull-request state each commit was last evaluated
// with, so that a redelivered event, or the check_suite.requested that
// accompanies every push's pull_request.synchronize, costs no request.
// Re-evaluations people ask for bypass it.
type memo struct {
	entries *lru.Cache[string] // "owner/repo#n@head" -> inputKey
}

func newMemo(max int) *memo { return &memo{entries: lru.New[string](max, 0, nil)} }

func memoKey(pr githubapi.PullRequest) string {
	return fmt.Sprintf("%s/%s#%d@%s", pr.Owner, pr.Repo, pr.Number, pr.HeadSHA)
}

func (m *memo) seen(pr githubapi.PullRequest, inputs string) bool {
	v, ok := m.entries.Get(memoKey(pr))
	return ok && v == inputs
}

// seenCommit reports whether the commit was evaluated for the pull
// request against the same base, whatever its title and labels were.
func (m *memo) seenCommit(pr githubapi.PullRequest) bool {
	v, ok := m.entries.Get(memoKey(pr))
	return ok && strings.HasPrefix(v, pr.BaseSHA+"|")
}

func (m *memo) remember(pr githubapi.PullRequest, inputs string) {
	m.entries.Add(memoKey(pr), inputs)
}

// keyedMutex serialises work per key.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	users int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
