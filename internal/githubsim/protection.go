package githubsim

import (
	"fmt"
	"net/http"
	"slices"
)

// StatusCheck is one required status check: a context (a check run's name)
// and the App that must provide it, 0 for any source.
type StatusCheck struct {
	Context string
	AppID   int64
}

// RulesetSource says who owns a ruleset: "Repository" (source
// "owner/name") or "Organization" (source the organization's login).
type RulesetSource struct {
	Type, Name string
}

// branchRule is a rule that applies to one branch, as GET
// /repos/{owner}/{repo}/rules/branches/{branch} lists it
// (https://docs.github.com/en/rest/repos/rules#get-rules-for-a-branch).
type branchRule struct {
	branch    string
	rule      string // "required_status_checks", "deletion", …
	source    RulesetSource
	rulesetID int64
	checks    []StatusCheck
}

// classicProtection is a branch's classic protection, the part the
// status-checks endpoint shows.
type classicProtection struct {
	contexts []string // the legacy list, any source
	checks   []StatusCheck
}

// AddBranchRule makes a ruleset of source apply rule to branch of
// owner/name; checks are the required_status_checks rule's parameters.
// Several rulesets may apply rules to one branch: the endpoint lists them
// all.
func (s *Server) AddBranchRule(owner, name, branch, rule string, source RulesetSource, checks ...StatusCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, name)
	r.rules = append(r.rules, &branchRule{branch: branch, rule: rule, source: source, rulesetID: s.id(), checks: checks})
}

// ProtectBranch sets classic branch protection on branch with required
// status checks: checks (with an App) and contexts (the legacy list).
func (s *Server) ProtectBranch(owner, name, branch string, checks []StatusCheck, contexts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, name)
	if r.protected == nil {
		r.protected = map[string]*classicProtection{}
	}
	r.protected[branch] = &classicProtection{contexts: contexts, checks: checks}
}

func statusChecksJSON(checks []StatusCheck, appKey string) []map[string]any {
	out := []map[string]any{}
	for _, c := range checks {
		m := map[string]any{"context": c.Context, appKey: nil}
		if c.AppID != 0 {
			m[appKey] = c.AppID
		}
		out = append(out, m)
	}
	return out
}

// getBranchRules lists the active rules that apply to a branch, paginated;
// the branch need not exist, and a branch no rule applies to gets an empty
// list.
func (s *Server) getBranchRules(c *call) reply {
	branch := c.r.PathValue("branch")
	out := []map[string]any{}
	for _, r := range c.repo.rules {
		if r.branch != branch {
			continue
		}
		rule := map[string]any{"type": r.rule, "ruleset_source_type": r.source.Type,
			"ruleset_source": r.source.Name, "ruleset_id": r.rulesetID}
		if r.rule == "required_status_checks" {
			rule["parameters"] = map[string]any{"strict_required_status_checks_policy": false,
				"required_status_checks": statusChecksJSON(r.checks, "integration_id")}
		}
		out = append(out, rule)
	}
	lo, hi := s.paginate(c, len(out), 0)
	return reply{http.StatusOK, out[lo:hi]}
}

// getStatusChecksProtection answers GET …/branches/{branch}/protection/
// required_status_checks
// (https://docs.github.com/en/rest/branches/branch-protection#get-status-checks-protection):
// 403 when the installation lacks the Administration permission, 404 when
// the branch is not protected.
func (s *Server) getStatusChecksProtection(c *call) reply {
	if s.opts.DenyAdministration {
		return errReply(http.StatusForbidden, "Resource not accessible by integration",
			"https://docs.github.com/rest/branches/branch-protection#get-status-checks-protection")
	}
	branch := c.r.PathValue("branch")
	p := c.repo.protected[branch]
	if p == nil {
		return errReply(http.StatusNotFound, "Branch not protected",
			"https://docs.github.com/rest/branches/branch-protection#get-status-checks-protection")
	}
	u := fmt.Sprintf("%s%s/repos/%s/branches/%s/protection/required_status_checks", s.base, restPrefix, c.repo.fullName(), branch)
	contexts := append([]string{}, p.contexts...)
	for _, ch := range p.checks {
		contexts = append(contexts, ch.Context)
	}
	return reply{http.StatusOK, map[string]any{"url": u, "strict": false, "contexts": contexts,
		"contexts_url": u + "/contexts", "checks": statusChecksJSON(slices.Concat(p.checks, statusChecksOf(p.contexts)), "app_id")}}
}

// statusChecksOf lists legacy contexts as checks of any source, as GitHub
// shows them in "checks" too.
func statusChecksOf(contexts []string) []StatusCheck {
	var out []StatusCheck
	for _, c := range contexts {
		out = append(out, StatusCheck{Context: c})
	}
	return out
}
