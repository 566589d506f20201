package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/launchgate/launchgate/internal/launchview"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/store"
)

// historyLimit bounds the evaluations the details page lists. Evaluations
// are stored only when the check run changed, so this is a long history.
const historyLimit = 100

// pullView is the PR details page: what launchgate last published about a
// launch PR, in full, and the history of its evaluations.
type pullView struct {
	launchview.PR
	PRURL, ChecklistURL, PolicyURL, HeadURL, BaseURL string
	Requirements                                     []requirementView
	Signoffs, Approvals                              []humanView
	Waivers                                          []waiverView
	History                                          []historyView
}

// requirementView is a requirement with its automatic checks; its human
// items are listed under Signoffs and Approvals.
type requirementView struct {
	ID, Title string
	Status    readiness.Status
	Checks    []checkView
}

type checkView struct {
	readiness.Check
	Findings []findingView
}

// findingView is a finding linked to its file and line at the head commit.
type findingView struct {
	Location, URL, Message, Fix string
}

// humanView is a sign-off or an approval: who may give it (Team), who
// gave it, or why the one given no longer counts.
type humanView struct {
	Requirement string
	readiness.Check
	Voided  string
	Waiting string // the evaluation's own words on what it waits for
}

type waiverView struct {
	Requirement, Check string
	readiness.Waiver
}

type historyView struct {
	store.Evaluation
	CommitURL string
}

// pull serves the details page of owner/repo#number to v, who may read
// the repository: the route table asked the gate.
func (p *pages) pull(w http.ResponseWriter, r *http.Request, v *viewer, owner, repo string, number int) {
	ctx := r.Context()
	full := owner + "/" + repo
	page, err := p.Store.PRPage(ctx, full, number)
	if errors.Is(err, store.ErrNotFound) {
		p.notFound(w, r, v)
		return
	}
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !strings.EqualFold(page.Repo, full) {
		// Access was decided on the URL's repository: a page of another
		// one must not be shown, nor redirected to.
		p.unavailable(w, r, fmt.Errorf("the stored page asked as %s#%d is of %s", full, number, page.Repo))
		return
	}
	if page.Repo != full {
		moved(w, r, pullPath(page.Repo, number))
		return
	}
	pr, err := launchview.Unmarshal(page.JSON)
	if err != nil {
		p.unavailable(w, r, fmt.Errorf("reading the stored page of %s#%d: %w", full, number, err))
		return
	}
	evals, err := p.Store.Evaluations(ctx, full, number, historyLimit)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	view := p.pullView(full, number, pr, evals)
	p.render(w, http.StatusOK, "pull", layout{
		Title: fmt.Sprintf("%s#%d %s", full, number, pr.Title), Org: owner, Viewer: v, Body: view,
	})
}

// pullView arranges a published evaluation for the page. repo and number
// come from the request (access was decided on them), not from the stored
// JSON.
func (p *pages) pullView(repo string, number int, pr launchview.PR, evals []store.Evaluation) pullView {
	pr.Repo, pr.Number = repo, number
	pv := pullView{
		PR:           pr,
		PRURL:        p.githubURL(splitRepo(repo, "pull", fmt.Sprint(number))...),
		ChecklistURL: p.onGitHub(pr.ChecklistURL),
		PolicyURL:    p.onGitHub(pr.Policy.URL),
	}
	if pr.Head != "" {
		pv.HeadURL = p.githubURL(splitRepo(repo, "commit", pr.Head)...)
	}
	if pr.Base != "" {
		pv.BaseURL = p.githubURL(splitRepo(repo, "tree", pr.Base)...)
	}
	if pr.Report != nil {
		for _, req := range pr.Report.Requirements {
			rv := requirementView{ID: req.ID, Title: req.Title, Status: req.Status}
			for _, c := range req.Checks {
				switch c.Kind {
				case readiness.KindSignoff:
					pv.Signoffs = append(pv.Signoffs, p.human(req.ID, c, pr.Voided[c.ID]))
				case readiness.KindApproval:
					pv.Approvals = append(pv.Approvals, p.human(req.ID, c, pr.Voided[c.Team]))
				default:
					rv.Checks = append(rv.Checks, p.check(repo, pr.Head, c))
					if c.Waiver != nil {
						pv.Waivers = append(pv.Waivers, waiverView{Requirement: req.ID, Check: c.ID, Waiver: *c.Waiver})
					}
				}
			}
			pv.Requirements = append(pv.Requirements, rv)
		}
	}
	for _, e := range evals {
		pv.History = append(pv.History, historyView{Evaluation: e, CommitURL: p.githubURL(splitRepo(repo, "commit", e.Head)...)})
	}
	return pv
}

func (p *pages) check(repo, head string, c readiness.Check) checkView {
	cv := checkView{Check: c}
	for _, f := range c.Findings {
		fv := findingView{Message: f.Message, Fix: f.Fix}
		if f.Path != "" {
			fv.Location = f.Path
			if f.Line > 0 {
				fv.Location = fmt.Sprintf("%s:%d", f.Path, f.Line)
			}
			fv.URL = p.fileURL(repo, head, f.Path, f.Line)
		}
		cv.Findings = append(cv.Findings, fv)
	}
	return cv
}

func (p *pages) human(requirement string, c readiness.Check, voided string) humanView {
	h := humanView{Requirement: requirement, Check: c, Voided: voided}
	if c.Status != readiness.Pass && len(c.Findings) > 0 {
		h.Waiting = c.Findings[0].Message
	}
	return h
}

// splitRepo returns "owner/name" as path segments followed by more.
func splitRepo(repo string, more ...string) []string {
	owner, name, _ := strings.Cut(repo, "/")
	return append([]string{owner, name}, more...)
}
