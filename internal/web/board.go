package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/store"
)

const (
	// expiringWithin is how far ahead the board lists waivers ending.
	expiringWithin = 14 * 24 * time.Hour
	// recentMergesSince and recentMergesShown bound the recently merged
	// launches.
	recentMergesSince = 30 * 24 * time.Hour
	recentMergesShown = 50
)

// boardSort is an order of the open launch PRs: Value is the sort query
// parameter's.
type boardSort struct{ Value, Label string }

// boardSorts are the orders the board offers; the first is the default.
var boardSorts = []boardSort{
	{"age", "oldest first"},
	{"repo", "repository"},
	{"failing", "most failing requirements first"},
}

// launches is the organisation board, as the page shows it and as
// /api/orgs/{org}/launches returns it. Its JSON field names are an
// interface for scripts (README, "Web pages"): add fields, never rename.
type launches struct {
	Org             string           `json:"org"`
	GeneratedAt     time.Time        `json:"generated_at"`
	Mine            bool             `json:"mine"` // only PRs waiting for the viewer's teams
	Sort            string           `json:"sort"`
	MyTeams         []string         `json:"my_teams"`
	Counts          launchCounts     `json:"counts"`
	Open            []openLaunch     `json:"open"`
	ExpiringWaivers []expiringWaiver `json:"expiring_waivers"`
	RecentMerges    []mergedLaunch   `json:"recent_merges"`
	UnrequiredRepos []unrequiredRepo `json:"unrequired_repos"`
	// UnrequiredUnknown is set when GitHub could not be asked which
	// repositories require the check; UnrequiredRepos is then empty.
	UnrequiredUnknown bool `json:"unrequired_repos_unknown"`
}

// launchCounts counts what the board lists, over everything the viewer may
// read (Open counts every open launch PR, whatever the filter).
type launchCounts struct {
	Open              int `json:"open"`
	Failing           int `json:"failing"`
	WaitingForMyTeams int `json:"waiting_for_my_teams"`
	ExpiringWaivers   int `json:"expiring_waivers"`
	RecentMerges      int `json:"recent_merges"`
	Bypassed          int `json:"bypassed"`
	UnrequiredRepos   int `json:"unrequired_repos"`
}

type openLaunch struct {
	Repo         string    `json:"repo"`
	Number       int       `json:"number"`
	Title        string    `json:"title"`
	Author       string    `json:"author"`
	Conclusion   string    `json:"conclusion"`
	Failing      []string  `json:"failing"`
	PendingTeams []string  `json:"pending_teams"`
	WaitingForMe bool      `json:"waiting_for_my_teams"`
	OpenedAt     time.Time `json:"opened_at"` // zero when not known
	EvaluatedAt  time.Time `json:"evaluated_at"`
	AgeSeconds   int64     `json:"age_seconds"` // 0 when the opening time is not known
	WaiverEnds   string    `json:"waiver_ends,omitempty"`
	DetailsPath  string    `json:"details_path"`
	URL          string    `json:"url"` // the PR on GitHub
	Age          string    `json:"-"`
}

type expiringWaiver struct {
	Repo        string    `json:"repo"`
	Number      int       `json:"number"`
	Check       string    `json:"check"`
	Until       string    `json:"until"` // YYYY-MM-DD, the waiver applies before 00:00 UTC of it
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	Reason      string    `json:"reason"`
	DetailsPath string    `json:"details_path"`
}

type mergedLaunch struct {
	Repo       string    `json:"repo"`
	Number     int       `json:"number"`
	Title      string    `json:"title"`
	MergedAt   time.Time `json:"merged_at"`
	MergedBy   string    `json:"merged_by"`
	Conclusion string    `json:"conclusion"`
	Bypassed   bool      `json:"bypassed"`
	// Unreadable is set when the stored record does not parse; the record
	// page shows it raw.
	Unreadable bool   `json:"unreadable,omitempty"`
	RecordPath string `json:"record_path"`
}

type unrequiredRepo struct {
	Repo   string `json:"repo"`
	Branch string `json:"branch"`
	State  string `json:"state"` // "not required" or "could not tell"
	Why    string `json:"why"`
}

// boardView is the page's data: the board plus the filter form's state.
type boardView struct {
	launches
	Sorts []sortOption
}

type sortOption struct {
	Value, Label string
	Selected     bool
}

// board serves org's board to v, a member: the route table asked the
// gate. boardJSON serves the same as JSON.
func (p *pages) board(w http.ResponseWriter, r *http.Request, v *viewer, org string) {
	l, err := p.launches(r, v, org)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if l.Org != org {
		moved(w, r, boardPath(l.Org))
		return
	}
	view := boardView{launches: l}
	for _, s := range boardSorts {
		view.Sorts = append(view.Sorts, sortOption{Value: s.Value, Label: s.Label, Selected: s.Value == l.Sort})
	}
	p.render(w, http.StatusOK, "board", layout{Title: "Launches of " + org, Org: org, Viewer: v, Body: view})
}

func (p *pages) boardJSON(w http.ResponseWriter, r *http.Request, v *viewer, org string) {
	l, err := p.launches(r, v, org)
	if err != nil {
		p.Log.Error().Err(err).Str("path", r.URL.Path).Msg("the launches API could not be served")
		writeJSONError(w, http.StatusServiceUnavailable, "launchgate could not load the launches; try again in a moment")
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "launchgate could not encode the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// launches builds the board of org for v, a member (the route table asked);
// its rows are those of the repositories v may read, and l.Org is the
// organisation as they spell it. Query parameters: mine=1 keeps the PRs
// waiting for one of v's teams, sort orders them (boardSorts).
func (p *pages) launches(r *http.Request, v *viewer, org string) (l launches, err error) {
	ctx := r.Context()
	readable, err := p.Rows.Readable(ctx, v, org)
	if err != nil {
		return l, fmt.Errorf("listing the repositories %s may read in %s: %w", v.Login, org, err)
	}
	teams, err := p.Rows.Teams(ctx, v, org)
	if err != nil {
		return l, fmt.Errorf("listing the teams of %s in %s: %w", v.Login, org, err)
	}
	now := p.Now()
	l = launches{
		Org: org, GeneratedAt: now.UTC(), Mine: r.URL.Query().Get("mine") == "1", Sort: boardSorts[0].Value,
		MyTeams: nonNil(teams), Open: []openLaunch{}, ExpiringWaivers: []expiringWaiver{},
		RecentMerges: []mergedLaunch{}, UnrequiredRepos: []unrequiredRepo{},
	}
	if s := r.URL.Query().Get("sort"); slices.ContainsFunc(boardSorts, func(o boardSort) bool { return o.Value == s }) {
		l.Sort = s
	}

	open, err := p.Store.OpenPRs(ctx, org)
	if err != nil {
		return l, err
	}
	var expiring []store.OpenPR
	var shown []string // the repositories of the rows v may read
	for _, o := range open {
		if !readable[o.Repo] {
			continue
		}
		shown = append(shown, o.Repo)
		ol := p.openLaunch(o, teams, now)
		l.Counts.Open++
		if len(ol.Failing) > 0 {
			l.Counts.Failing++
		}
		if ol.WaitingForMe {
			l.Counts.WaitingForMyTeams++
		}
		if !l.Mine || ol.WaitingForMe {
			l.Open = append(l.Open, ol)
		}
		if ends, err := time.Parse(time.DateOnly, o.WaiverEnds); err == nil && ends.Sub(now) <= expiringWithin {
			expiring = append(expiring, o)
		}
	}
	sortOpen(l.Open, l.Sort)

	if l.ExpiringWaivers, err = p.expiringWaivers(ctx, expiring, now); err != nil {
		return l, err
	}
	l.Counts.ExpiringWaivers = len(l.ExpiringWaivers)

	if l.RecentMerges, err = p.recentMerges(ctx, org, readable, now); err != nil {
		return l, err
	}
	l.Counts.RecentMerges = len(l.RecentMerges)
	for _, m := range l.RecentMerges {
		shown = append(shown, m.Repo)
		if m.Bypassed {
			l.Counts.Bypassed++
		}
	}
	l.Org = orgSpelling(org, shown)

	repos, err := p.Required.unrequiredRepos(ctx, org)
	if err != nil {
		p.Log.Warn().Err(err).Str("org", org).Msg("could not tell which repositories require the check")
		l.UnrequiredUnknown = true
	}
	for _, rr := range repos {
		if readable[rr.Repo] {
			l.UnrequiredRepos = append(l.UnrequiredRepos, unrequiredRepo{Repo: rr.Repo, Branch: rr.Branch, State: rr.State.String(), Why: rr.Why})
		}
	}
	l.Counts.UnrequiredRepos = len(l.UnrequiredRepos)
	return l, nil
}

// orgSpelling is the organisation asked for as the stored repositories
// spell their owner: as asked when one of them spells it so (rows from
// before a rename into another case keep the old spelling), else as the
// first one does, so that every spelling of the URL leads to the same
// board; as asked when none does.
func orgSpelling(asked string, repos []string) string {
	for _, r := range repos {
		if owner, _, _ := strings.Cut(r, "/"); owner == asked {
			return asked
		}
	}
	for _, r := range repos {
		if owner, _, _ := strings.Cut(r, "/"); strings.EqualFold(owner, asked) {
			return owner
		}
	}
	return asked
}

func (p *pages) openLaunch(o store.OpenPR, myTeams []string, now time.Time) openLaunch {
	ol := openLaunch{
		Repo: o.Repo, Number: o.PR, Title: o.Title, Author: o.Author, Conclusion: o.Conclusion,
		Failing: nonNil(o.Failing), PendingTeams: nonNil(o.PendingTeams), OpenedAt: o.OpenedAt, EvaluatedAt: o.EvaluatedAt,
		WaiverEnds: o.WaiverEnds, DetailsPath: pullPath(o.Repo, o.PR),
		URL: p.githubURL(splitRepo(o.Repo, "pull", fmt.Sprint(o.PR))...), Age: age(now, o.OpenedAt),
	}
	if !o.OpenedAt.IsZero() {
		ol.AgeSeconds = int64(now.Sub(o.OpenedAt) / time.Second)
	}
	for _, t := range o.PendingTeams {
		if slices.Contains(myTeams, t) {
			ol.WaitingForMe = true
		}
	}
	return ol
}

// sortOpen orders the open launch PRs; ties, and PRs whose opening time is
// not known (last when sorting by age), fall back to repository and number.
func sortOpen(open []openLaunch, by string) {
	slices.SortStableFunc(open, func(a, b openLaunch) int {
		byRepo := cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Number, b.Number))
		switch by {
		case "failing":
			return cmp.Or(cmp.Compare(len(b.Failing), len(a.Failing)), compareOpened(a, b), byRepo)
		case "repo":
			return byRepo
		}
		return cmp.Or(compareOpened(a, b), byRepo)
	})
}

// compareOpened puts the oldest first and unknown opening times last.
func compareOpened(a, b openLaunch) int {
	if a.OpenedAt.IsZero() || b.OpenedAt.IsZero() {
		return cmp.Compare(btoi(a.OpenedAt.IsZero()), btoi(b.OpenedAt.IsZero()))
	}
	return a.OpenedAt.Compare(b.OpenedAt)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// expiringWaivers lists the counting waivers of prs that end within
// expiringWithin, soonest first. The open rows only say when the earliest
// ends, so each PR's published page is read for the list.
func (p *pages) expiringWaivers(ctx context.Context, prs []store.OpenPR, now time.Time) ([]expiringWaiver, error) {
	out := []expiringWaiver{}
	for _, o := range prs {
		stored, err := p.Store.PRPage(ctx, o.Repo, o.PR)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var page pageWaivers
		if err := json.Unmarshal(stored.JSON, &page); err != nil {
			return nil, fmt.Errorf("reading the waivers of the stored page of %s#%d: %w", o.Repo, o.PR, err)
		}
		for _, req := range page.Report.Requirements {
			for _, c := range req.Checks {
				w := c.Waiver
				if w == nil || w.Expired || w.Ends().IsZero() || w.Ends().Sub(now) > expiringWithin {
					continue
				}
				out = append(out, expiringWaiver{
					Repo: o.Repo, Number: o.PR, Check: c.ID, Until: w.Until, By: w.By, At: w.At, Reason: w.Reason,
					DetailsPath: pullPath(o.Repo, o.PR),
				})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b expiringWaiver) int {
		return cmp.Or(cmp.Compare(a.Until, b.Until), cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Number, b.Number))
	})
	return out, nil
}

// recentMerges lists the launches merged in org over recentMergesSince
// that the viewer may read, newest first.
func (p *pages) recentMerges(ctx context.Context, org string, readable map[string]bool, now time.Time) ([]mergedLaunch, error) {
	recs, err := p.Store.Records(ctx, store.RecordFilter{Org: org, Since: now.Add(-recentMergesSince), Newest: true})
	if err != nil {
		return nil, err
	}
	out := []mergedLaunch{}
	for _, rec := range recs {
		if !readable[rec.Repo] {
			continue
		}
		m := mergedLaunch{Repo: rec.Repo, Number: rec.PR, MergedAt: rec.MergedAt, RecordPath: recordPath(rec.Repo, rec.PR)}
		var lr launchrecord.Record
		if err := json.Unmarshal(rec.Line, &lr); err != nil {
			m.Unreadable = true
		} else {
			m.Title, m.MergedBy, m.Conclusion, m.Bypassed = lr.Title, lr.MergedBy, lr.Conclusion, lr.Bypassed
		}
		out = append(out, m)
		if len(out) == recentMergesShown {
			break
		}
	}
	return out, nil
}

// age is how long ago t was, in the largest whole unit, or "" for a zero
// time (a row stored before launchgate kept opening times).
func age(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return "just now"
}

// pageWaivers is the part of a published page (launchview.PR's JSON) the
// board reads: its checks' waivers. Decoding only these is a fraction of
// the cost of the whole page, which holds every finding, and the board
// reads one page per PR with a waiver ending soon. readiness.Report's JSON
// is a stable interface, so these names do not drift.
type pageWaivers struct {
	Report struct {
		Requirements []struct {
			Checks []struct {
				ID     string            `json:"id"`
				Waiver *readiness.Waiver `json:"waiver"`
			} `json:"checks"`
		} `json:"requirements"`
	} `json:"report"`
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
