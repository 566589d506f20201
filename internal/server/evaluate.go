package server

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/lru"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/store"
)

// CheckName is the name of the one check run launchgate keeps per head SHA.
// Rulesets require a check by this name.
const CheckName = "Production readiness"

// GitHub is what an evaluation reads from and writes to GitHub;
// *githubapi.Client implements it. gather only reads, publish only writes.
type GitHub interface {
	Policy(ctx context.Context, pr githubapi.PullRequest) (*policy.Policy, error)
	ChangedFiles(ctx context.Context, pr githubapi.PullRequest) ([]string, error)
	FilesAndRun(ctx context.Context, pr githubapi.PullRequest, runName string) ([]string, *githubapi.RunRead, error)
	HeadTree(ctx context.Context, pr githubapi.PullRequest, inputs []string) (fs.FS, error)
	CodeOwners(ctx context.Context, pr githubapi.PullRequest) (*codeowners.File, error)
	PullState(ctx context.Context, pr githubapi.PullRequest, runName, marker string) (*githubapi.PullState, error)
	ChangedSince(ctx context.Context, pr githubapi.PullRequest, from string) (paths []string, known bool, err error)
	ActiveMember(ctx context.Context, installationID int64, org, team, user string) (bool, error)
	AppLogin(ctx context.Context) (string, error)
	MarkedComment(ctx context.Context, pr githubapi.PullRequest, marker, author string) (*githubapi.Comment, error)

	CreateComment(ctx context.Context, pr githubapi.PullRequest, marker, body string) (*githubapi.Comment, error)
	EditComment(ctx context.Context, pr githubapi.PullRequest, id int64, body string) (*githubapi.Comment, error)
	PublishCheckRun(ctx context.Context, pr githubapi.PullRequest, run githubapi.CheckRun) (id int64, changed bool, err error)
	RequestTeamReviews(ctx context.Context, pr githubapi.PullRequest, teams []string) error
}

// evaluationTimeout bounds one evaluation, so that a hung connection cannot
// hold a worker forever.
const evaluationTimeout = 2 * time.Minute

// evaluator runs gather -> decide -> publish for one pull request: it reads
// everything first (gather.go), decides what to publish without a request
// (decide.go), then writes it (publish.go).
type evaluator struct {
	gh     GitHub
	webURL string
	// pagesURL is where launchgate serves its pages (Options.PagesURL),
	// "" when it serves none.
	pagesURL string
	version  string
	key      []byte // signs the checklist's records
	// recordKey signs launch records.
	recordKey ed25519.PrivateKey
	// store also keeps launch records; nil when there is none (Options).
	store   *store.Store
	now     func() time.Time
	locks   keyedMutex
	memo    *memo
	metrics *metrics
}

// evaluate publishes the check run of pr's head commit. force is set for
// events people raise (Re-run, Re-check, a review): those evaluate even
// when an identical evaluation was just published. edits are the
// checklist edits to judge, oldest first, each by its own sender.
func (e *evaluator) evaluate(ctx context.Context, pr githubapi.PullRequest, force bool, edits []checklistEdit) error {
	ctx, cancel := context.WithTimeout(ctx, evaluationTimeout)
	defer cancel()
	log := zerolog.Ctx(ctx)
	// One evaluation per commit at a time: pull_request.synchronize and
	// check_suite.requested arrive together for every push, and two
	// concurrent first publishes would create two runs.
	defer e.locks.lock(pr.Owner + "/" + pr.Repo + "@" + pr.HeadSHA)()

	inputs := inputKey(pr)
	if !force && len(edits) == 0 && e.memo.seen(pr, inputs) {
		log.Info().Str("head_sha", pr.HeadSHA).Msg("same pull request state already evaluated; nothing to do")
		return nil
	}
	// And one per pull request, whatever its head (several commits may be
	// evaluated at once): the checklist comment is read by gather and
	// written by publish, and two evaluations that both found none would
	// post two.
	defer e.locks.lock(fmt.Sprintf("%s/%s#%d", pr.Owner, pr.Repo, pr.Number))()

	started, now := time.Now(), e.now()
	snap := e.gather(ctx, pr, edits, now)
	if snap.err != nil {
		log.Error().Err(snap.err).Str("head_sha", pr.HeadSHA).Msg("evaluation failed; publishing a failure")
	}
	p, err := e.decide(snap, now)
	if err != nil {
		return err
	}
	id, written, err := e.publish(ctx, pr, &p)
	result := "ok"
	if p.failure != nil || err != nil {
		result = "error"
	}
	e.metrics.evaluated(p.run.Conclusion, result, time.Since(started))
	if err != nil {
		return err
	}
	e.storeEvaluation(ctx, pr, p, written, now)
	if p.failure == nil {
		// A failed evaluation is not remembered: a redelivery retries it.
		e.memo.remember(pr, inputs)
	}
	log.Info().Str("head_sha", pr.HeadSHA).Int64("check_run", id).Bool("written", written).
		Str("conclusion", p.run.Conclusion).Str("outcome", p.decided).Str("title", p.run.Title).
		Dur("took", time.Since(started)).Msg("evaluated")
	return nil
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
