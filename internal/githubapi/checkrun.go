package githubapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/checklimits"
)

// CheckRun is the check run to publish for a head SHA.
type CheckRun struct {
	Name       string // "Production readiness"
	HeadSHA    string
	Status     string // "completed", "in_progress" or "queued"
	Conclusion string // with Status "completed": success, failure, action_required, neutral, …
	// Title, Summary and Text are rendered and escaped by the caller.
	// Summary and Text longer than checklimits.OutputBytes are cut at a
	// line or character boundary and end with a note saying so.
	Title, Summary, Text string
	DetailsURL           string
	// ID is the run's identity, written to its external_id. The caller
	// sets everything but the digests, which PublishCheckRun sets.
	ID RunID
	// Annotations may be any number; at most 50 go in each request.
	Annotations []*github.CheckRunAnnotation
	// Actions are at most 3, each with a label of at most 20 characters, a
	// description of at most 40 and an identifier of at most 20. Breaking
	// these limits is a programming error: PublishCheckRun returns an error.
	Actions []*github.CheckRunAction
	// Keep, when set, is shown the identity of this App's complete run of
	// the name on the SHA; true leaves that run as it is and writes
	// nothing (the server keeps a run a newer launchgate version wrote, so
	// that two versions side by side converge instead of taking turns).
	Keep func(existing RunID) bool
	// Read is this App's latest run of the name on the SHA as the
	// evaluation read it (Client.FilesAndRun); PublishCheckRun then lists
	// no runs. nil: not read, PublishCheckRun lists them.
	Read *RunRead
}

var conclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"}

func (run *CheckRun) validate() error {
	switch {
	case run.Name == "":
		return errors.New("check run has no name")
	case run.Title == "" || run.Summary == "":
		return errors.New("check run needs a title and a summary (GitHub requires both in an output)")
	case run.Status == "completed" && !slices.Contains(conclusions, run.Conclusion):
		return fmt.Errorf("check run conclusion %q is not one of %s", run.Conclusion, strings.Join(conclusions, ", "))
	case run.Status != "completed" && run.Status != "in_progress" && run.Status != "queued":
		return fmt.Errorf("check run status %q is not completed, in_progress or queued", run.Status)
	case run.Status != "completed" && run.Conclusion != "":
		return fmt.Errorf("check run with status %q cannot have conclusion %q (a conclusion completes the run)", run.Status, run.Conclusion)
	case len(run.Actions) > checklimits.Actions:
		return fmt.Errorf("check run has %d actions; GitHub allows %d", len(run.Actions), checklimits.Actions)
	}
	for _, a := range run.Actions {
		for _, f := range []struct {
			what, v string
			max     int
		}{{"label", a.Label, checklimits.ActionLabel}, {"description", a.Description, checklimits.ActionDescription}, {"identifier", a.Identifier, checklimits.ActionIdentifier}} {
			if n := utf8.RuneCountInString(f.v); n == 0 || n > f.max {
				return fmt.Errorf("check run action %q: %s has %d characters; GitHub requires 1 to %d", a.Identifier, f.what, n, f.max)
			}
		}
	}
	return nil
}

// truncationNote ends output that PublishCheckRun had to cut. The
// renderers fit their output themselves; this is the last resort for a
// caller that did not.
var truncationNote = fmt.Sprintf("\n\n… truncated to the %d bytes GitHub shows of a check run's summary or text.", checklimits.OutputBytes)

// digested is run.ID with the digests of everything PublishCheckRun
// writes, so that a replica that never saw the run can tell whether it
// needs writing.
func (run *CheckRun) digested() RunID {
	sum := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain strings and go-github structs always marshal
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:])[:digestHexLen]
	}
	id := run.ID
	id.Content = sum([]any{run.Name, run.Status, run.Conclusion, run.Title, run.Summary, run.Text,
		run.DetailsURL, id.label(), run.Annotations, run.Actions})
	id.Annotations = sum(run.Annotations)
	return id
}

// PublishCheckRun makes run the check run named run.Name on run.HeadSHA,
// writing only what changed. It returns the run's ID and whether anything
// was written.
//
// It lists the commit's runs of that name by this App (Options.AppID;
// other Apps' runs of the same name are ignored) as a conditional request,
// so that an unchanged listing costs no rate limit, unless run.Read says
// what the evaluation read of them already, and then:
//   - no run: creates one;
//   - a run whose external_id carries the same content digest: writes
//     nothing;
//   - a run with other content but the same annotations, or with no
//     annotations yet: updates it;
//   - a run whose annotations differ: updates it, sending only the
//     annotations it does not have yet. GitHub appends the annotations of
//     every update and offers no way to remove one, so annotations of an
//     earlier evaluation of the same commit stay on its files; the summary
//     says what holds now. Creating a second run instead would show the
//     same check twice on one commit.
//
// More than 50 annotations go in follow-up updates of 50. The digest is
// written with the last request only, so a sequence cut short (a rate
// limit, a crash) is not mistaken for a complete run and is redone.
//
// GitHub has no conditional create: two replicas that publish the first run
// for a SHA at the same moment both create one. That is harmless rather
// than prevented: every later publish works on the latest run the listing
// returns (the one GitHub displays and enforces), so the pair behaves as one
// run. Serialising evaluations per pull request (the server's queue) makes
// it rare.
func (c *Client) PublishCheckRun(ctx context.Context, pr PullRequest, run CheckRun) (id int64, changed bool, err error) {
	if c.opts.AppID <= 0 {
		return 0, false, errors.New("githubapi: Options.AppID is needed to tell this App's check runs from others'")
	}
	if err := CheckSHA("check run head SHA", run.HeadSHA); err != nil {
		return 0, false, err
	}
	if err := run.validate(); err != nil {
		return 0, false, fmt.Errorf("githubapi: %w", err)
	}
	run.Summary = checklimits.Truncate(run.Summary, checklimits.OutputBytes, truncationNote)
	run.Text = checklimits.Truncate(run.Text, checklimits.OutputBytes, truncationNote)
	final, pending := run.digested(), run.ID
	pending.Content, pending.Annotations = "", ""
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return 0, false, err
	}
	wrap := func(err error) error {
		return fmt.Errorf("githubapi: check run %q on %s@%s: %w", run.Name, pr.fullName(), run.HeadSHA, err)
	}
	var existing *github.CheckRun
	if r := run.Read; r != nil {
		if r.Exists {
			existing = &github.CheckRun{ID: &r.ID, ExternalID: &r.ExternalID, Output: &github.CheckRunOutput{AnnotationsCount: &r.Annotations}}
		}
	} else if existing, err = c.latestRun(ctx, ic, pr, run.Name, run.HeadSHA); err != nil {
		return 0, false, wrap(err)
	}
	w := runWriter{ic: ic, pr: pr, run: &run, final: final.String(), pending: pending.String()}
	if existing == nil {
		id, err := w.write(ctx, 0)
		if err == nil {
			return id, true, nil
		}
		if !serverError(err) {
			return 0, false, wrap(err)
		}
		// A 5xx on create leaves it unknown whether GitHub made the run,
		// so the create is not simply repeated (the retry transport does
		// not repeat POSTs): list again, and create once more only if
		// there is no run; a run GitHub did make is finished below like
		// any other. Without this the commit would wait for the next
		// reconciler pass.
		if existing, err = c.latestRun(ctx, ic, pr, run.Name, run.HeadSHA); err != nil {
			return 0, false, wrap(err)
		}
		if existing == nil {
			if id, err = w.write(ctx, 0); err != nil {
				return 0, false, wrap(err)
			}
			return id, true, nil
		}
	}
	// A run whose external_id does not parse is treated as one without
	// digests: it is rewritten.
	old, parseErr := ParseRunID(existing.GetExternalID())
	digested := parseErr == nil && old.Complete()
	if digested && run.Keep != nil && run.Keep(old) {
		return existing.GetID(), false, nil
	}
	switch {
	case existing.GetExternalID() == w.final:
		return existing.GetID(), false, nil
	case digested && old.Annotations == final.Annotations:
		// The annotations are there already; sending them again would
		// duplicate them.
		w.run.Annotations = nil
		_, err = w.write(ctx, existing.GetID())
	case existing.GetOutput().GetAnnotationsCount() == 0:
		_, err = w.write(ctx, existing.GetID())
	default:
		var posted []*github.CheckRunAnnotation
		if posted, err = c.annotations(ctx, ic, pr, existing.GetID()); err == nil {
			w.run.Annotations = missingAnnotations(w.run.Annotations, posted)
			_, err = w.write(ctx, existing.GetID())
		}
	}
	if err != nil {
		return 0, false, wrap(err)
	}
	return existing.GetID(), true, nil
}

// serverError reports whether GitHub answered err's request with a 5xx.
func serverError(err error) bool {
	var ge *github.ErrorResponse
	return errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode >= 500
}

// annotations lists the annotations a run has.
func (c *Client) annotations(ctx context.Context, ic *instClient, pr PullRequest, id int64) ([]*github.CheckRunAnnotation, error) {
	var all []*github.CheckRunAnnotation
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := ic.rest.Checks.ListCheckRunAnnotations(ctx, pr.Owner, pr.Repo, id, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the annotations of check run %d: %w", id, err)
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opts.Page = resp.NextPage
	}
}

// missingAnnotations returns the annotations of want that posted lacks.
func missingAnnotations(want, posted []*github.CheckRunAnnotation) []*github.CheckRunAnnotation {
	key := func(a *github.CheckRunAnnotation) string {
		return fmt.Sprintf("%s\x00%d\x00%d\x00%s\x00%s\x00%s", a.GetPath(), a.GetStartLine(), a.GetEndLine(),
			a.GetAnnotationLevel(), a.GetTitle(), a.GetMessage())
	}
	have := make(map[string]bool, len(posted))
	for _, a := range posted {
		have[key(a)] = true
	}
	var out []*github.CheckRunAnnotation
	for _, a := range want {
		if !have[key(a)] {
			out = append(out, a)
		}
	}
	return out
}

// runListCache is the last answer to a check-run listing, kept for its ETag.
type runListCache struct {
	etag   string
	latest *github.CheckRun // nil when the listing had no run of ours
}

// latestRun returns this App's latest run named name on sha, or nil.
//
// The listing is a conditional request: a 304 does not count against the
// primary rate limit
// (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api),
// and re-evaluating an unchanged pull request gets one. A commit listed for
// the first time is sent the ETag of an empty listing seen before: GitHub's
// ETag identifies the response body, and the empty listing's body is the
// same for every commit, so a new commit without runs answers 304 as well.
// A 304 for that ETag can only mean the listing is empty.
func (c *Client) latestRun(ctx context.Context, ic *instClient, pr PullRequest, name, sha string) (*github.CheckRun, error) {
	// filter=latest keeps the latest run of each name per App, and app_id
	// keeps this App's, so one page holds the answer.
	u := fmt.Sprintf("repos/%s/%s/commits/%s/check-runs?check_name=%s&filter=latest&app_id=%d&per_page=100",
		url.PathEscape(pr.Owner), url.PathEscape(pr.Repo), sha, url.QueryEscape(name), c.opts.AppID)
	req, err := ic.rest.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s@%s:%s", pr.fullName(), sha, name)
	emptyKey := fmt.Sprintf("empty listing, installation %d", pr.InstallationID)
	cached, haveCached := c.runs.Get(key)
	if !haveCached {
		cached, haveCached = c.runs.Get(emptyKey)
	}
	if haveCached {
		req.Header.Set("If-None-Match", cached.etag)
	}
	// An HTTP cache in the client (githubapp.WithClientCaching without
	// alwaysValidate) would otherwise answer from memory for GitHub's
	// max-age of 60 seconds, and a listing that misses a run just created
	// makes a duplicate. Measured with the simulator: one new run per
	// evaluation.
	req.Header.Set("Cache-Control", "no-cache")
	var list github.ListCheckRunsResults
	resp, err := ic.rest.Do(ctx, req, &list)
	if haveCached && resp != nil && resp.StatusCode == http.StatusNotModified {
		return cached.latest, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing check runs: %w", err)
	}
	var latest *github.CheckRun
	for _, r := range list.CheckRuns {
		// The app_id filter is GitHub's; checking again costs nothing and
		// keeps another App's run of the same name from ever being ours.
		if r.GetApp().GetID() != c.opts.AppID || r.GetName() != name {
			continue
		}
		if latest == nil || r.GetID() > latest.GetID() {
			latest = r
		}
	}
	if etag := resp.Header.Get("ETag"); etag != "" {
		entry := &runListCache{etag: etag, latest: latest}
		c.runs.Add(key, entry)
		if len(list.CheckRuns) == 0 {
			c.runs.Add(emptyKey, entry)
		}
	}
	return latest, nil
}

// runWriter sends a run in as many requests as its annotations need.
type runWriter struct {
	ic      *instClient
	pr      PullRequest
	run     *CheckRun
	final   string // external_id with the digest
	pending string // external_id until the last request
}

// write creates the run (id 0) or updates run id, then sends the remaining
// annotations in updates of at most 50. It returns the run's ID.
func (w *runWriter) write(ctx context.Context, id int64) (int64, error) {
	batches := slices.Collect(slices.Chunk(w.run.Annotations, checklimits.AnnotationsPerRequest))
	if len(batches) == 0 {
		batches = [][]*github.CheckRunAnnotation{nil}
	}
	for i, batch := range batches {
		ext := w.pending
		if i == len(batches)-1 {
			ext = w.final
		}
		var err error
		if id == 0 {
			id, err = w.create(ctx, batch, ext)
		} else {
			err = w.update(ctx, id, batch, ext)
		}
		if err != nil {
			return 0, fmt.Errorf("request %d of %d: %w", i+1, len(batches), err)
		}
	}
	return id, nil
}

func (w *runWriter) output(batch []*github.CheckRunAnnotation) *github.CheckRunOutput {
	// Text is sent even when empty: an update without it would keep the old
	// text.
	return &github.CheckRunOutput{Title: &w.run.Title, Summary: &w.run.Summary, Text: &w.run.Text, Annotations: batch}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (w *runWriter) create(ctx context.Context, batch []*github.CheckRunAnnotation, ext string) (int64, error) {
	cr, _, err := w.ic.rest.Checks.CreateCheckRun(ctx, w.pr.Owner, w.pr.Repo, github.CreateCheckRunOptions{
		Name: w.run.Name, HeadSHA: w.run.HeadSHA, Status: &w.run.Status, Conclusion: optional(w.run.Conclusion),
		DetailsURL: optional(w.run.DetailsURL), ExternalID: &ext, Output: w.output(batch), Actions: w.run.Actions,
	})
	if err != nil {
		return 0, fmt.Errorf("creating: %w", err)
	}
	return cr.GetID(), nil
}

func (w *runWriter) update(ctx context.Context, id int64, batch []*github.CheckRunAnnotation, ext string) error {
	_, _, err := w.ic.rest.Checks.UpdateCheckRun(ctx, w.pr.Owner, w.pr.Repo, id, github.UpdateCheckRunOptions{
		Name: w.run.Name, Status: &w.run.Status, Conclusion: optional(w.run.Conclusion),
		DetailsURL: optional(w.run.DetailsURL), ExternalID: &ext, Output: w.output(batch), Actions: w.run.Actions,
	})
	if err != nil {
		return fmt.Errorf("updating run %d: %w", id, err)
	}
	return nil
}
