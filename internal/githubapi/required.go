package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	epBranchRules     = "GET /repos/{owner}/{repo}/rules/branches/{branch}"
	epClassicRequired = "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"
	// defaultRequiredTTL is how long an answer of RequiredCheck is reused.
	// It is advice for admins, not a gate, so a few minutes stale is fine.
	defaultRequiredTTL = 10 * time.Minute
	// rulesPerPage is the most rules GitHub lists in one page.
	rulesPerPage = 100
)

// RequiredState says whether a branch requires a status check.
type RequiredState int

const (
	// RequiredUnknown: launchgate could not tell.
	RequiredUnknown RequiredState = iota
	Required
	NotRequired
)

func (s RequiredState) String() string {
	switch s {
	case Required:
		return "required"
	case NotRequired:
		return "not required"
	}
	return "could not tell"
}

// RequiredCheck is whether a branch requires the App's check, and why.
type RequiredCheck struct {
	State RequiredState
	// Why says where the answer comes from ("a ruleset", "classic branch
	// protection") or why there is none.
	Why string
}

// branchRule is one rule of GET /repos/{owner}/{repo}/rules/branches/{branch}
// (https://docs.github.com/en/rest/repos/rules#get-rules-for-a-branch).
type branchRule struct {
	Type          string `json:"type"`
	RulesetSource string `json:"ruleset_source"`
	Parameters    struct {
		RequiredStatusChecks []ruleCheck `json:"required_status_checks"`
	} `json:"parameters"`
}

// classicChecks is classic branch protection's required status checks
// (https://docs.github.com/en/rest/branches/branch-protection#get-status-checks-protection).
type classicChecks struct {
	Contexts []string       `json:"contexts"` // legacy: the names of checks, any source
	Checks   []classicCheck `json:"checks"`
}

// ruleCheck is a check a required_status_checks rule names; IntegrationID
// nil lets any source set it.
type ruleCheck struct {
	Context       string `json:"context"`
	IntegrationID *int64 `json:"integration_id"`
}

// classicCheck is a check classic protection requires; AppID nil or -1
// lets any source set it.
type classicCheck struct {
	Context string `json:"context"`
	AppID   *int64 `json:"app_id"`
}

// classicAnswer is what the classic protection read said.
type classicAnswer int

const (
	classicNone   classicAnswer = iota // 404: no protection, or no required checks
	classicRead                        // 200: checks holds them
	classicDenied                      // 403: the App may not read it
)

// protection is what was read about a branch's required checks.
type protection struct {
	rules []branchRule
	// rulesCut is set when GitHub had more rules than the one page read.
	rulesCut bool
	classic  classicAnswer
	checks   classicChecks
}

// judge says whether p requires the check named name of the App appID. A
// ruleset's integration_id or classic protection's app_id, when set, must
// be appID: a check of that name from another App does not gate on ours.
// Classic app_id -1 means any source.
func (p protection) judge(name string, appID int64) RequiredCheck {
	for _, r := range p.rules {
		if r.Type != "required_status_checks" {
			continue
		}
		for _, c := range r.Parameters.RequiredStatusChecks {
			if c.Context == name && (c.IntegrationID == nil || *c.IntegrationID == appID) {
				why := "a ruleset requires it"
				if r.RulesetSource != "" {
					why = "a ruleset (" + r.RulesetSource + ") requires it"
				}
				return RequiredCheck{State: Required, Why: why}
			}
		}
	}
	switch {
	case p.rulesCut:
		return RequiredCheck{State: RequiredUnknown,
			Why: fmt.Sprintf("the branch has more than %d rules and only the first %[1]d were read", rulesPerPage)}
	case p.classic == classicDenied:
		return RequiredCheck{State: RequiredUnknown,
			Why: "no ruleset requires it, and the App may not read classic branch protection (403)"}
	case p.classic == classicRead:
		for _, c := range p.checks.Checks {
			if c.Context == name && (c.AppID == nil || *c.AppID == appID || *c.AppID == -1) {
				return RequiredCheck{State: Required, Why: "classic branch protection requires it"}
			}
		}
		// contexts repeats every check's context, whatever App it must
		// come from, so it is read only when checks is absent (older
		// GitHub Enterprise Server answers without it).
		for _, c := range p.checks.Contexts {
			if len(p.checks.Checks) == 0 && c == name {
				return RequiredCheck{State: Required, Why: "classic branch protection requires it"}
			}
		}
	}
	return RequiredCheck{State: NotRequired, Why: "no ruleset or branch protection rule requires it"}
}

// requiredEntry is the last read of a branch's required checks, kept for
// Options.RequiredTTL and then revalidated with the ETags.
type requiredEntry struct {
	at                     time.Time
	rulesETag, classicETag string
	prot                   protection
}

// RequiredCheck says whether branch of owner/repo requires the check named
// name from this App: the branch's rules (rulesets) first, then classic
// branch protection when no ruleset requires it. The answer is reused for
// Options.RequiredTTL, then revalidated with conditional requests, which
// cost no rate limit when nothing changed. An error means the read failed.
// Evaluations do not call it: PullState reads the same in its query, and
// judges it the same way (protection.judge).
func (c *Client) RequiredCheck(ctx context.Context, installationID int64, owner, repo, branch, name string) (RequiredCheck, error) {
	key := fmt.Sprintf("%s/%s:%s:%s", owner, repo, branch, name)
	prev, have := c.required.Get(key)
	if have && c.opts.Now().Sub(prev.at) < c.opts.RequiredTTL {
		return prev.prot.judge(name, c.opts.AppID), nil
	}
	ic, err := c.installation(installationID)
	if err != nil {
		return RequiredCheck{}, err
	}
	next := &requiredEntry{at: c.opts.Now()}
	if have {
		next.rulesETag, next.classicETag = prev.rulesETag, prev.classicETag
		next.prot = prev.prot
	}
	base := fmt.Sprintf("repos/%s/%s/", url.PathEscape(owner), url.PathEscape(repo))
	// Fresh values to decode into: the previous entry's may be read
	// concurrently.
	var rules []branchRule
	u := fmt.Sprintf("%srules/branches/%s?per_page=%d", base, url.PathEscape(branch), rulesPerPage)
	status, etag, more, err := c.conditionalGet(ctx, ic, u, next.rulesETag, &rules)
	if err != nil {
		return RequiredCheck{}, fmt.Errorf("githubapi: reading the rules of %s/%s branch %s: %w", owner, repo, branch, err)
	}
	if status == http.StatusOK {
		next.prot.rules, next.prot.rulesCut, next.rulesETag = rules, more, etag
	}
	if j := next.prot.judge(name, c.opts.AppID); j.State != Required {
		var checks classicChecks
		status, etag, _, err := c.conditionalGet(ctx, ic, base+"branches/"+url.PathEscape(branch)+"/protection/required_status_checks", next.classicETag, &checks)
		switch {
		case status == http.StatusNotModified:
		case status == http.StatusNotFound:
			next.prot.classic, next.prot.checks, next.classicETag = classicNone, classicChecks{}, ""
		case status == http.StatusForbidden:
			next.prot.classic, next.prot.checks, next.classicETag = classicDenied, classicChecks{}, ""
		case err != nil:
			return RequiredCheck{}, fmt.Errorf("githubapi: reading the branch protection of %s/%s branch %s: %w", owner, repo, branch, err)
		default:
			next.prot.classic, next.prot.checks, next.classicETag = classicRead, checks, etag
		}
	}
	c.required.Add(key, next)
	return next.prot.judge(name, c.opts.AppID), nil
}

// conditionalGet reads u into v, sending etag as If-None-Match when set.
// It returns the status (304 leaves v untouched), the response's ETag and
// whether there is a next page. A 403 or 404 is returned as a status with
// its error.
func (c *Client) conditionalGet(ctx context.Context, ic *instClient, u, etag string, v any) (status int, newETag string, more bool, err error) {
	req, err := ic.rest.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, "", false, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := ic.rest.Do(ctx, req, v)
	if resp == nil {
		return 0, "", false, err
	}
	if resp.StatusCode == http.StatusNotModified && etag != "" {
		return http.StatusNotModified, etag, false, nil
	}
	return resp.StatusCode, strings.TrimSpace(resp.Header.Get("ETag")), resp.NextPage != 0, err
}
