package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/lru"
	"github.com/launchgate/launchgate/internal/store"
)

// reconciler repairs what webhooks failed to bring about. GitHub never
// retries a failed delivery, a replica killed mid-burst loses the events it
// had queued, and a full queue refuses deliveries on purpose; the
// reconciler finds all three from GitHub's own state, so launchgate keeps
// none.
//
// Each pass, on start-up and every reconcile_interval:
//
//  1. For every installation (GET /app/installations, with the App JWT),
//     repository (GET /installation/repositories) and open pull request
//     (GET …/pulls?state=open, a conditional request: free for a repository
//     whose open pull requests did not change), launch PR or not (a
//     required check needs a run on every PR), it looks up this App's
//     "Production readiness" run on the head commit. A PR is repaired,
//     through the same queue as webhooks (so coalescing applies), when
//     that run is missing (never evaluated, or the head moved since),
//     incomplete (a publication cut short), or its external_id records an
//     evaluation error (githubapi.OutcomeEvaluationError; retried by up
//     to maxRetries passes per commit: a permanent error, 404 or 422,
//     is not retried forever), or its external_id names the end of a
//     waiver that has come (githubapi.RunID.WaiverEnds: the check the
//     waiver covered counts again). The lookup is a conditional request:
//     for a PR whose runs did not change it costs no rate limit.
//     With a store, a launch PR whose run is up to date (outcome
//     githubapi.OutcomeEvaluated) is repaired too when the store has no
//     open row of it, or one of another head or conclusion than the run's
//     (storeLacks): a store write that failed is not retried, and a store
//     restored from a backup, or started empty, lacks the rows of launch
//     PRs whose runs are up to date, which no event would bring back.
//     The evaluation writes nothing to GitHub (the run is as it would
//     write it) and stores the open row and the details page again; the
//     past's evaluation history and waiver events are not rebuilt. A
//     repository's open rows are read once a pass, when the first of its
//     launch PRs is compared with them, with no request to GitHub. A
//     store that cannot be read is logged and counted and repairs
//     nothing, rather than every launch PR every pass; a commit's row is
//     rebuilt by at most maxRetries passes (a store read but not
//     written). A row that an evaluation stores a moment after writing
//     its run, while a pass looks, may be rebuilt once needlessly: that
//     evaluation writes nothing to GitHub either.
//     A repository whose open pull requests were listed completely (not
//     cut short by reconcile_max_prs, nor by an error) loses the store's
//     open rows of its other pull requests (store.PruneOpenPRs): a pull
//     request whose closed event was lost, or whose evaluation finished
//     after the close had removed its row, would otherwise stay on the
//     organisation board. Only rows evaluated at least pruneGrace before
//     the listing go: a pull request opened after it is missing from the
//     listing, yet its first evaluation's row is right. A listing of
//     several pages can miss an open pull request (one closing moves the
//     next page's first onto a page already read), so after such a
//     listing a row goes only once two of them in a row lack its pull
//     request.
//  2. It lists the App's webhook deliveries since the previous pass (GET
//     /app/hook/deliveries; an hour back on start-up) and recovers each
//     one that failed (status other than "OK") and has not succeeded since
//     under the same GUID, up to three times per GUID. An event about one
//     pull request (one the queue would coalesce: pull_request, Re-run,
//     the check suite of a push) is recovered by reading its payload (GET
//     /app/hook/deliveries/{id}) and evaluating that pull request's current
//     state, like a repair. It is not redelivered: redeliveries arrive in
//     any order, and a payload's state is the pull request's state when
//     the event happened, so an old event redelivered after a newer one
//     would publish a run for an outdated title or labels. Any other event (a review, a comment, a
//     team change, a push to the default branch) is redelivered (POST
//     /app/hook/deliveries/{id}/attempts). Deliveries refused for their
//     content (400, 413, 415, …) are left alone: they would be refused
//     again.
//
// Work is bounded: a pass examines at most reconcile_max_prs pull requests
// and continues where it stopped on the next pass; it sends its requests
// one at a time (the Retrier paces them when the rate limit runs low); its
// repairs take at most half of the queue, leaving the rest to webhooks.
//
// Every replica runs it, with no coordination. That is safe because an
// evaluation is idempotent (a replica that finds the run already as it
// would write it writes nothing), and redelivery is keyed by GUID: a
// delivery that succeeded on redelivery is never redelivered again. Two
// replicas whose passes overlap may both redeliver the same failed
// delivery once; GitHub then sends it twice, both copies are evaluated,
// and the second writes nothing (the two evaluations could at worst both
// create the first run of a commit, which githubapi makes harmless: the
// latest run is the one GitHub shows). Passes start after a random delay
// and their interval is jittered by ±10%, so replicas started together
// drift apart and such overlaps stay rare.
//
// What it cannot see: an event that a replica accepted and then lost
// (killed before evaluating it) when that event changed no head commit,
// such as a label or title edit of an already evaluated pull request. The
// run stays as it was until the pull request's next event or a Re-run.
// Graceful shutdown (SIGTERM) finishes such events first.
type reconciler struct {
	gh    reconcileGitHub
	app   func() (*github.Client, error) // a client authenticated as the App (JWT)
	queue *queue
	ev    *evaluator
	// prEvents are the parsers of the events about one pull request, which
	// the queue coalesces: a failed delivery of one is recovered by
	// evaluating that pull request afresh rather than redelivered.
	prEvents map[string]parser
	m        *metrics
	log      zerolog.Logger
	maxPRs   int
	now      func() time.Time

	mu      sync.Mutex      // one pass at a time
	cursor  cursor          // where the next pass starts
	since   time.Time       // deliveries are listed back to here
	retried *lru.Cache[int] // "reason owner/repo#n@sha" -> passes that re-evaluated it for reason (retry)
	// redelivered counts this replica's redeliveries per GUID: a delivery
	// that keeps failing is listed with only its latest attempts.
	redelivered *lru.Cache[int]
	// pulls holds each repository's last open pull request listing with
	// its ETag ("installation/owner/repo" -> *pullsPage): a repository
	// whose open pull requests did not change since costs no rate limit.
	// At most maxListings repositories, of at most 100 pull requests.
	pulls *lru.Cache[*pullsPage]
	// paged holds the numbers in each repository's last complete listing
	// of open pull requests that took several pages ("installation/owner/
	// repo" -> numbers), which pruneClosed confirms the next one with. At
	// most maxListings repositories and maxPagedNumbers numbers.
	paged *lru.Cache[[]int]
}

// pullsPage is a conditional listing's answer.
type pullsPage struct {
	etag string
	prs  []githubapi.PullRequest
	more bool
}

// maxListings bounds the listings the reconciler keeps: about 250 bytes a
// pull request, so under 25 MiB even if every repository had 100 open.
const maxListings = 1000

// maxPagedNumbers bounds the pull request numbers of the paged listings
// the reconciler keeps: 8 MiB.
const maxPagedNumbers = 1 << 20

// openListing is a repository's open pull requests as a pass listed them,
// newest first.
type openListing struct {
	prs []githubapi.PullRequest
	// more is set when GitHub lists more than prs.
	more bool
	// paged is set when prs was read in several requests. Pages are
	// offsets: a pull request closing while they are read moves the
	// next page's first one onto a page already read, and the listing
	// misses it, though it is open.
	paged bool
}

// cursor is where a pass stopped: the position of a repository (installation
// and name, in the order passes go through them) and the number of its
// open pull requests, newest first, already examined.
type cursor struct {
	pos  string
	skip int
}

// reconcileGitHub is what the reconciler reads through githubapi, metered
// and retried; *githubapi.Client implements it.
type reconcileGitHub interface {
	InstallationRepos(ctx context.Context, installationID int64, max int) ([]githubapi.Repository, bool, error)
	OpenPullRequests(ctx context.Context, installationID int64, owner, repo, base string, max int) ([]githubapi.PullRequest, bool, error)
	OpenPullRequestsPage(ctx context.Context, installationID int64, owner, repo, etag string) ([]githubapi.PullRequest, string, bool, error)
	LatestCheckRun(ctx context.Context, pr githubapi.PullRequest, name string) (*github.CheckRun, error)
	PullRequest(ctx context.Context, installationID int64, owner, repo string, number int) (githubapi.PullRequest, error)
}

const (
	// maxReposPerInstallation bounds the repositories listed per
	// installation and pass: 100 requests of 100.
	maxReposPerInstallation = 10_000
	// deliveryLookback is how far back the first pass lists deliveries.
	// Downtime longer than that is covered by step 1, which looks at the
	// pull requests themselves.
	deliveryLookback = time.Hour
	// deliveryOverlap re-lists the end of the previous pass's window, for
	// deliveries recorded while it ran.
	deliveryOverlap = time.Minute
	// maxDeliveryPages bounds one pass's delivery listing (100 a page).
	// A window with more is finished by the next pass.
	maxDeliveryPages = 200
	// maxDeliveryAttempts is how many failed attempts a delivery gets
	// before the reconciler stops recovering it.
	maxDeliveryAttempts = 3
	// reconcileQueueShare is the part of the queue repairs may fill.
	reconcileQueueShare = 0.5
	// startJitter bounds the random delay before the first pass.
	startJitter = 5 * time.Second
	// pruneGrace is how long before a listing an open row must have been
	// evaluated for the listing to remove it: the evaluation clocks of
	// replicas differ a little, and GitHub's listing may lag an opening
	// by a moment.
	pruneGrace = time.Minute
)

// Stats is what one reconciler pass did.
type Stats struct {
	Installations int
	Repositories  int
	// PullRequests is the number of open pull requests examined.
	PullRequests int
	// Repairs is the number of pull requests queued for evaluation, by
	// reason ("missing", "incomplete", "error", "waiver expired", "store
	// row missing", "store row outdated").
	Repairs  int
	ByReason map[string]int
	// Truncated is set when the pass stopped at reconcile_max_prs; the
	// next pass continues from there.
	Truncated bool
	// Pruned is the number of the store's open rows removed because
	// their pull request is no longer open.
	Pruned int
	// Deliveries is the number of delivery attempts listed, Failed the
	// GUIDs among them with no successful attempt, Redeliveries the ones
	// redelivered; those recovered by evaluating their pull request count
	// as Repairs (reason "failed delivery").
	Deliveries, Failed, Redeliveries int
	Took                             time.Duration
}

func newReconciler(gh reconcileGitHub, app func() (*github.Client, error), q *queue, ev *evaluator, m *metrics, log zerolog.Logger, maxPRs int, now func() time.Time) *reconciler {
	return &reconciler{gh: gh, app: app, queue: q, ev: ev, m: m, log: log, maxPRs: maxPRs, now: now,
		retried: lru.New[int](10_000, 0, nil), redelivered: lru.New[int](10_000, 0, nil),
		pulls: lru.New[*pullsPage](maxListings, 0, nil),
		paged: lru.New[[]int](maxListings, maxPagedNumbers, func(numbers []int) int64 { return int64(len(numbers)) })}
}

// Reconcile runs one reconciler pass now and returns what it did. Passes
// never overlap: a call made while one runs waits for it. Run calls it on
// a schedule; tests and the recovery drill call it directly.
func (s *Server) Reconcile(ctx context.Context) (Stats, error) { return s.reconciler.pass(ctx) }

// Run runs the reconciler until ctx ends or Drain is called: a first pass
// after a random delay of up to 5 seconds, then one every
// reconcile_interval, ±10%. It returns at once when reconcile_interval is
// 0. `launchgate serve` runs it.
func (s *Server) Run(ctx context.Context) {
	if s.reconcileInterval <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.draining:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := rand.N(startJitter)
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		st, err := s.Reconcile(ctx)
		if ctx.Err() != nil {
			return
		}
		ev := s.log.Info()
		if err != nil {
			ev = s.log.Warn().Err(err)
		}
		ev.Int("pull_requests", st.PullRequests).Int("repairs", st.Repairs).Int("redeliveries", st.Redeliveries).Int("pruned", st.Pruned).
			Bool("truncated", st.Truncated).Dur("took", st.Took).Msg("reconciler pass")
		wait = s.reconcileInterval - s.reconcileInterval/10 + rand.N(s.reconcileInterval/5+1)
	}
}

func (r *reconciler) pass(ctx context.Context) (Stats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := r.now()
	st := Stats{ByReason: map[string]int{}}
	err := r.passLocked(ctx, start, &st)
	st.Took = r.now().Sub(start)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	r.m.passes.WithLabelValues(outcome).Inc()
	return st, err
}

func (r *reconciler) passLocked(ctx context.Context, start time.Time, st *Stats) error {
	app, err := r.app()
	if err != nil {
		return fmt.Errorf("reconciler: App client: %w", err)
	}
	installations, err := listInstallations(ctx, app)
	if err != nil {
		return fmt.Errorf("reconciler: %w", err)
	}
	st.Installations = len(installations)
	var errs []error
	if err := r.repairPulls(ctx, installations, st); err != nil {
		errs = append(errs, err)
	}
	if ctx.Err() == nil {
		if err := r.redeliver(ctx, app, start, st); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func listInstallations(ctx context.Context, app *github.Client) ([]int64, error) {
	var ids []int64
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := app.Apps.ListInstallations(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the App's installations: %w", err)
		}
		for _, inst := range page {
			ids = append(ids, inst.GetID())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.Sort(ids)
	return ids, nil
}

// repairPulls is step 1, from the cursor on.
func (r *reconciler) repairPulls(ctx context.Context, installations []int64, st *Stats) error {
	resume := r.cursor
	r.cursor = cursor{}
	budget := r.maxPRs
	var errs []error
	for _, inst := range installations {
		repos, more, err := r.gh.InstallationRepos(ctx, inst, maxReposPerInstallation)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if more {
			r.log.Warn().Int64(githubapp.LogKeyInstallationID, inst).Int("max_repositories", maxReposPerInstallation).
				Msg("reconciler: installation has more repositories than a pass lists; the rest are not reconciled")
		}
		slices.SortFunc(repos, func(a, b githubapi.Repository) int {
			return cmp.Or(cmp.Compare(strings.ToLower(a.Owner), strings.ToLower(b.Owner)), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
		})
		for _, repo := range repos {
			pos := fmt.Sprintf("%020d/%s", inst, strings.ToLower(repo.Owner+"/"+repo.Name))
			if pos < resume.pos {
				continue
			}
			skip := 0
			if pos == resume.pos {
				skip = resume.skip
			}
			if budget == 0 {
				r.cursor, st.Truncated = cursor{pos: pos}, true
				return errors.Join(errs...)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			st.Repositories++
			listedAt := r.ev.now() // the evaluation clock, which dates the store's open rows
			listing, err := r.openPulls(ctx, inst, repo, skip+budget)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !listing.more {
				r.pruneClosed(ctx, inst, repo, listing, listedAt, st)
			}
			stored := &storedRows{inst: inst, repo: repo}
			prs := listing.prs[min(skip, len(listing.prs)):]
			if listing.more && len(prs) == budget {
				// The budget ends inside this repository: the next pass
				// goes on with its older pull requests.
				r.cursor, st.Truncated = cursor{pos: pos, skip: skip + budget}, true
			}
			for _, pr := range prs {
				budget--
				st.PullRequests++
				if err := r.check(ctx, pr, stored, st); err != nil {
					errs = append(errs, err)
				}
			}
			if st.Truncated {
				return errors.Join(errs...)
			}
		}
	}
	return errors.Join(errs...)
}

// listingKey names repo's listings in the reconciler's caches.
func listingKey(inst int64, repo githubapi.Repository) string {
	return fmt.Sprintf("%d/%s/%s", inst, repo.Owner, repo.Name)
}

// openPulls lists up to max open pull requests of repo. The first page is
// a conditional request.
func (r *reconciler) openPulls(ctx context.Context, inst int64, repo githubapi.Repository, max int) (openListing, error) {
	key := listingKey(inst, repo)
	cached, ok := r.pulls.Get(key)
	etag := ""
	if ok {
		etag = cached.etag
	}
	prs, newETag, more, err := r.gh.OpenPullRequestsPage(ctx, inst, repo.Owner, repo.Name, etag)
	switch {
	case errors.Is(err, githubapi.ErrNotModified):
		prs, more = cached.prs, cached.more
	case err != nil:
		return openListing{}, err
	case newETag != "":
		r.pulls.Add(key, &pullsPage{etag: newETag, prs: prs, more: more})
	}
	switch {
	case more && max > len(prs):
		prs, more, err := r.gh.OpenPullRequests(ctx, inst, repo.Owner, repo.Name, "", max)
		return openListing{prs: prs, more: more, paged: true}, err
	case len(prs) > max:
		return openListing{prs: prs[:max], more: true}, nil
	}
	return openListing{prs: prs, more: more}, nil
}

// pruneClosed removes the store's open rows of repo whose pull request is
// not in the complete listing l, taken at listedAt. A paged listing may
// miss an open pull request, so after one a row goes only if the previous
// paged listing of repo missed its pull request too: a pull request that
// closed goes a pass later. A store failure is logged and counted; the
// next pass tries again.
func (r *reconciler) pruneClosed(ctx context.Context, inst int64, repo githubapi.Repository, l openListing, listedAt time.Time, st *Stats) {
	if r.ev.store == nil {
		return
	}
	numbers := make([]int, len(l.prs))
	for i, pr := range l.prs {
		numbers[i] = pr.Number
	}
	if l.paged {
		key := listingKey(inst, repo)
		previous, ok := r.paged.Get(key)
		r.paged.Add(key, numbers)
		if !ok {
			return
		}
		numbers = append(slices.Clip(numbers), previous...)
	}
	log := r.repoLog(inst, repo)
	removed, err := r.ev.store.PruneOpenPRs(ctx, repo.Owner+"/"+repo.Name, numbers, listedAt.Add(-pruneGrace))
	if err != nil {
		r.ev.storeFailed(log.WithContext(ctx), err, "reconciler: pull requests no longer open may still be listed as open in the store")
		return
	}
	if removed > 0 {
		log.Info().Int("removed", removed).Msg("reconciler: open rows of pull requests no longer open removed from the store")
	}
	st.Pruned += removed
	r.m.pruned.Add(float64(removed))
}

// repoLog is the reconciler's logger for what it does to one repository.
func (r *reconciler) repoLog(inst int64, repo githubapi.Repository) zerolog.Logger {
	return r.log.With().Int64(githubapp.LogKeyInstallationID, inst).
		Str(githubapp.LogKeyRepositoryOwner, repo.Owner).Str(githubapp.LogKeyRepositoryName, repo.Name).Logger()
}

// maxRetries bounds how many passes re-evaluate a commit for one reason
// that an evaluation may not cure. A run that is an evaluation error: one
// retry is too few, as while GitHub keeps answering some requests with
// 5xx a retry can fail again (launch/recovery.md), yet a permanent error
// (404, 422) must not be retried forever. A store row the evaluations do
// not write: a store that can be read but not written (a full disk, a
// read-only database) must not have every pass re-evaluate every launch
// PR, nor must a row that a replica with a clock ahead stored later than
// the evaluation that wrote the run.
const maxRetries = 5

// retry reports whether pr's head commit may be re-evaluated once more for
// reason, and counts that re-evaluation.
func (r *reconciler) retry(pr githubapi.PullRequest, reason string) bool {
	key := fmt.Sprintf("%s %s@%s", reason, prKey(pr.Owner, pr.Repo, pr.Number), pr.HeadSHA)
	n, _ := r.retried.Get(key)
	if n >= maxRetries {
		return false
	}
	r.retried.Add(key, n+1)
	return true
}

// storedRows are a repository's open rows in the store, read at most once
// a pass, when the first of its launch PRs is compared with them: a
// repository without launch PRs costs no read.
type storedRows struct {
	inst int64
	repo githubapi.Repository
	read bool
	// byPR is each pull request's latest evaluated row, whatever the
	// letter case its repository was stored under; nil when the read
	// failed.
	byPR map[int]store.OpenPR
}

// storeLacks says why the store's open row of pr, a launch PR whose
// up-to-date run is run, needs its evaluation stored again: "store row
// missing" (a store write that failed, a store restored from a backup or
// started empty), "store row outdated" (its head or conclusion is not the
// run's), or "" when the row is the run's. A store that cannot be read is
// logged and counted, and lacks nothing: it would otherwise have every
// launch PR re-evaluated every pass.
func (r *reconciler) storeLacks(ctx context.Context, rows *storedRows, pr githubapi.PullRequest, run *github.CheckRun) string {
	if !rows.read {
		rows.read = true
		found, err := r.ev.store.OpenPRsOfRepo(ctx, rows.repo.Owner+"/"+rows.repo.Name)
		if err != nil {
			log := r.repoLog(rows.inst, rows.repo)
			r.ev.storeFailed(log.WithContext(ctx), err, "reconciler: the store's open rows cannot be read; the rows it lacks are not rebuilt this pass")
			return ""
		}
		rows.byPR = map[int]store.OpenPR{}
		for _, row := range found {
			if kept, ok := rows.byPR[row.PR]; !ok || row.EvaluatedAt.After(kept.EvaluatedAt) {
				rows.byPR[row.PR] = row
			}
		}
	}
	if rows.byPR == nil {
		return ""
	}
	row, ok := rows.byPR[pr.Number]
	switch {
	case !ok:
		return "store row missing"
	case row.Head != pr.HeadSHA || row.Conclusion != run.GetConclusion():
		return "store row outdated"
	}
	return ""
}

// check repairs pr when its run on the head commit needs it, or when the
// store's open row of pr is not that run's.
func (r *reconciler) check(ctx context.Context, pr githubapi.PullRequest, rows *storedRows, st *Stats) error {
	run, err := r.gh.LatestCheckRun(ctx, pr, CheckName)
	if err != nil {
		return err
	}
	// A run whose external_id does not parse is Incomplete, so id is only
	// read once it parsed.
	id, _ := githubapi.ParseRunID(run.GetExternalID())
	var reason string
	switch {
	case run == nil:
		reason = "missing"
	case githubapi.Incomplete(run):
		reason = "incomplete"
	case id.Outcome == githubapi.OutcomeEvaluationError:
		reason = "error"
		if !r.retry(pr, reason) {
			return nil // retried enough; its run says what failed
		}
	case waiverEnded(id, r.ev.now()): // the evaluation's clock, which judges waivers
		reason = "waiver expired"
	case id.Outcome == githubapi.OutcomeEvaluated && r.ev.store != nil:
		// The evaluation writes nothing to GitHub, the run being as it
		// would write it, and stores the row and the details page.
		reason = r.storeLacks(ctx, rows, pr, run)
		if reason == "" || !r.retry(pr, reason) {
			return nil
		}
	default:
		return nil
	}
	return r.repair(ctx, pr, reason, st)
}

// waiverEnded reports whether a waiver the run counted has ended by now;
// the re-evaluation writes a run that no longer counts it, and names the
// next waiver's end, if any.
func waiverEnded(id githubapi.RunID, now time.Time) bool {
	ends, err := time.Parse(time.DateOnly, id.WaiverEnds)
	return err == nil && !now.Before(ends)
}

// repair queues an evaluation of pr's current state, coalesced with any
// other evaluation of it.
func (r *reconciler) repair(ctx context.Context, pr githubapi.PullRequest, reason string, st *Stats) error {
	repo := &github.Repository{Name: github.String(pr.Repo), Owner: &github.User{Login: github.String(pr.Owner)}}
	jobCtx, log := githubapp.PreparePRContext(r.log.WithContext(context.Background()), pr.InstallationID, repo, pr.Number)
	log.Info().Str("head_sha", pr.HeadSHA).Str("reason", reason).Msg("reconciler: pull request needs evaluating; queued")
	j := &job{
		key: prKey(pr.Owner, pr.Repo, pr.Number), rank: rankFresh, event: "reconcile", ctx: jobCtx,
		run: func(ctx context.Context, c carried) error { return r.reevaluate(ctx, pr, c) },
	}
	if err := r.queue.submitWait(ctx, j, reconcileQueueShare); err != nil {
		return fmt.Errorf("reconciler: queueing %s/%s#%d: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	st.Repairs++
	st.ByReason[reason]++
	r.m.repairs.Inc()
	return nil
}

// reevaluate evaluates a pull request's state when the repair runs, which
// may be newer than the listing that found it, with the checklist edits of
// the events coalesced into the repair.
func (r *reconciler) reevaluate(ctx context.Context, listed githubapi.PullRequest, c carried) error {
	pr, err := r.gh.PullRequest(ctx, listed.InstallationID, listed.Owner, listed.Repo, listed.Number)
	switch {
	case errors.Is(err, githubapi.ErrClosed):
		return nil
	case err != nil:
		return err
	}
	return r.ev.evaluate(ctx, pr, true, c.edits)
}

// guidState is what the listed attempts of one delivery GUID say.
type guidState struct {
	ok       bool
	attempts int
	newest   *github.HookDelivery // deliveries are listed newest first
}

// redeliver is step 2.
func (r *reconciler) redeliver(ctx context.Context, app *github.Client, start time.Time, st *Stats) error {
	since := r.since
	if since.IsZero() {
		since = start.Add(-deliveryLookback)
	}
	byGUID := map[string]*guidState{}
	var order []string
	opts := &github.ListCursorOptions{PerPage: 100}
	complete := false
	for page := 0; page < maxDeliveryPages && !complete; page++ {
		ds, resp, err := app.Apps.ListHookDeliveries(ctx, opts)
		if err != nil {
			return fmt.Errorf("reconciler: listing webhook deliveries: %w", err)
		}
		for _, d := range ds {
			if d.GetDeliveredAt().Time.Before(since) {
				complete = true
				break
			}
			st.Deliveries++
			g := byGUID[d.GetGUID()]
			if g == nil {
				g = &guidState{newest: d}
				byGUID[d.GetGUID()] = g
				order = append(order, d.GetGUID())
			}
			g.attempts++
			g.ok = g.ok || d.GetStatus() == "OK"
		}
		if resp.Cursor == "" {
			complete = true
		}
		opts.Cursor = resp.Cursor
	}
	var errs []error
	recovered := map[string]bool{} // pull requests queued by this pass
	budget := r.maxPRs             // deliveries read or redelivered by this pass
	for _, guid := range order {
		g := byGUID[guid]
		if g.ok {
			continue
		}
		if budget == 0 {
			complete = false // the next pass lists this window again
			break
		}
		st.Failed++
		d := g.newest
		log := r.log.With().Str(githubapp.LogKeyDeliveryID, guid).Str(githubapp.LogKeyEventType, d.GetEvent()).
			Int("status_code", d.GetStatusCode()).Str("status", d.GetStatus()).Logger()
		made, _ := r.redelivered.Get(guid)
		switch {
		case g.attempts >= maxDeliveryAttempts || made >= maxDeliveryAttempts:
			if made < maxDeliveryAttempts {
				log.Warn().Int("attempts", g.attempts).Msg("reconciler: delivery failed every attempt; not recovered again")
				r.redelivered.Add(guid, maxDeliveryAttempts)
			}
			continue
		case refusedForContent(d.GetStatusCode()):
			continue
		}
		budget--
		pr, ok, err := r.pullOf(ctx, app, d)
		switch {
		case err != nil:
			errs = append(errs, err)
			continue
		case ok:
			// Once: the evaluation reads the pull request's state now.
			r.redelivered.Add(guid, maxDeliveryAttempts)
			key := prKey(pr.Owner, pr.Repo, pr.Number)
			if recovered[key] {
				continue
			}
			recovered[key] = true
			if err := r.repair(ctx, pr, "failed delivery", st); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		var accepted *github.AcceptedError // 202: what GitHub answers
		if _, _, err := app.Apps.RedeliverHookDelivery(ctx, d.GetID()); err != nil && !errors.As(err, &accepted) {
			errs = append(errs, fmt.Errorf("reconciler: redelivering %s: %w", guid, err))
			continue
		}
		r.redelivered.Add(guid, made+1)
		log.Info().Msg("reconciler: failed delivery redelivered")
		st.Redeliveries++
		r.m.redeliveries.Inc()
	}
	if complete {
		r.since = start.Add(-deliveryOverlap)
	} else {
		r.log.Warn().Int("max_pages", maxDeliveryPages).Int("max_deliveries", r.maxPRs).
			Msg("reconciler: more deliveries than a pass handles; the next pass goes on")
	}
	return errors.Join(errs...)
}

// pullOf reads a failed delivery's payload and tells whether it is an
// event about one pull request (its event's target), and which.
func (r *reconciler) pullOf(ctx context.Context, app *github.Client, d *github.HookDelivery) (githubapi.PullRequest, bool, error) {
	parse, ok := r.prEvents[d.GetEvent()]
	if !ok {
		return githubapi.PullRequest{}, false, nil
	}
	full, _, err := app.Apps.GetHookDelivery(ctx, d.GetID())
	if err != nil {
		return githubapi.PullRequest{}, false, fmt.Errorf("reconciler: reading delivery %s: %w", d.GetGUID(), err)
	}
	ev, err := parse([]byte(full.GetRequest().GetRawPayload()))
	if err != nil {
		return githubapi.PullRequest{}, false, nil
	}
	pr, _, ok := ev.target()
	return pr, ok, nil
}

// refusedForContent reports a status the App gives a delivery for what it
// is (malformed, too large, not JSON): a redelivery would be refused
// again. 401 is not one: during a webhook secret rotation a redelivery
// signed with the new secret succeeds.
func refusedForContent(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnprocessableEntity:
		return true
	}
	return false
}
