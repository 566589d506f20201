// Package launchview is what launchgate published about a launch pull
// request, as its pages show it: internal/server writes one at each
// evaluation it publishes, the store keeps it as JSON, and the details
// page reads it. Unlike the check run, it holds every finding: GitHub cuts
// a run's text at 65,535 characters and its annotations at 50 per
// request, a page has no such limit.
package launchview

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/launchgate/launchgate/internal/readiness"
)

// PR is one published evaluation of a launch pull request.
type PR struct {
	Repo   string `json:"repo"` // owner/name
	Number int    `json:"number"`
	Title  string `json:"title"`
	Author string `json:"author"`
	// HTMLURL is the pull request on GitHub.
	HTMLURL string `json:"html_url"`
	// Base is the base branch; Head the head commit evaluated, whose
	// files the findings name.
	Base string `json:"base"`
	Head string `json:"head"`
	// OpenedAt is when the pull request was opened, the zero time when
	// unknown.
	OpenedAt    time.Time `json:"opened_at"`
	EvaluatedAt time.Time `json:"evaluated_at"`
	// Conclusion is the check run's conclusion and Summary its title
	// ("0 of 5 ready: ...").
	Conclusion string `json:"conclusion"`
	Summary    string `json:"summary"`
	// ChecklistURL is the checklist comment on GitHub, "" when there is
	// none.
	ChecklistURL string `json:"checklist_url,omitempty"`
	Policy       Policy `json:"policy"`
	// Report is the evaluation with every finding; nil when the
	// evaluation published a failure instead (Conclusion and Summary say
	// which).
	Report *readiness.Report `json:"report"`
	// Voided says why a sign-off tick or an approval no longer counts, by
	// sign-off id or team slug.
	Voided map[string]string `json:"voided,omitempty"`
}

// Policy is the policy an evaluation applied.
type Policy struct {
	// Source names it ("acme/pay@<sha>:.github/launchgate.yml") and Digest
	// identifies its content ("sha256:...").
	Source string `json:"source"`
	Digest string `json:"digest"`
	// URL is the policy file on GitHub, "" for the embedded default.
	URL string `json:"url,omitempty"`
}

// Marshal encodes p for the store.
func Marshal(p PR) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("launchview: encoding %s#%d: %w", p.Repo, p.Number, err)
	}
	return b, nil
}

// Unmarshal decodes what Marshal encoded. Data that is not a page (no
// repository or number) is an error, never an empty page.
func Unmarshal(data []byte) (PR, error) {
	var p PR
	if err := json.Unmarshal(data, &p); err != nil {
		return PR{}, fmt.Errorf("launchview: decoding a page: %w", err)
	}
	if err := p.check(); err != nil {
		return PR{}, err
	}
	return p, nil
}

func (p PR) check() error {
	if p.Repo == "" || p.Number <= 0 {
		return errors.New("launchview: a page needs its repository and pull request number")
	}
	return nil
}

// Failing lists the ids of the requirements r fails, in the report's
// order; nil for a nil report. A requirement that only waits for people
// is not failing: PendingTeams says whom it waits for. The store's open
// row and the board use it.
func Failing(r *readiness.Report) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, req := range r.Requirements {
		if req.Status == readiness.Fail {
			out = append(out, req.ID)
		}
	}
	return out
}

// PendingTeams lists, sorted and each once, the teams whose sign-off or
// approval r still waits for; nil for a nil report.
func PendingTeams(r *readiness.Report) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, req := range r.Requirements {
		for _, c := range req.Checks {
			human := c.Kind == readiness.KindSignoff || c.Kind == readiness.KindApproval
			if human && c.Status != readiness.Pass && c.Team != "" {
				out = append(out, c.Team)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
