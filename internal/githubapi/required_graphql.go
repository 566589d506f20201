package githubapi

import (
	"strings"
)

// baseRefSelection reads, in PullState's query, whether the base branch
// ($base) requires a status check: the rules that apply to it (rulesets)
// and its classic branch protection rule
// (https://docs.github.com/en/graphql/reference/objects#ref,
// #repositoryrule, #requiredstatuschecksparameters,
// #branchprotectionrule, #requiredstatuscheckdescription).
// RepositoryRule.type is an enum (REQUIRED_STATUS_CHECKS); a classic
// check's app is null when any source may set it; requiredStatusChecks
// lists every required check, so the legacy requiredStatusCheckContexts
// (names only, whatever App set them) is not read.
const baseRefSelection = `base: ref(qualifiedName: $base) {
      rules(first: 100) {
        pageInfo { hasNextPage }
        nodes { type parameters { ... on RequiredStatusChecksParameters { requiredStatusChecks { context integrationId } } } }
      }
      branchProtectionRule {
        requiresStatusChecks
        requiredStatusChecks { context app { databaseId } }
      }
    }`

// gqlBaseRef is what baseRefSelection answers.
type gqlBaseRef struct {
	Rules *struct {
		PageInfo gqlPageInfo `json:"pageInfo"`
		Nodes    []struct {
			Type       string `json:"type"`
			Parameters *struct {
				RequiredStatusChecks []struct {
					Context       string `json:"context"`
					IntegrationID *int64 `json:"integrationId"`
				} `json:"requiredStatusChecks"`
			} `json:"parameters"`
		} `json:"nodes"`
	} `json:"rules"`
	BranchProtectionRule *struct {
		RequiresStatusChecks bool `json:"requiresStatusChecks"`
		RequiredStatusChecks []struct {
			Context string `json:"context"`
			App     *struct {
				DatabaseID int64 `json:"databaseId"`
			} `json:"app"`
		} `json:"requiredStatusChecks"`
	} `json:"branchProtectionRule"`
}

// baseRefPath is the path of baseRefSelection in PullState's answer.
var baseRefPath = []string{"repository", "base"}

// atBaseRef reports whether e is about baseRefSelection.
func (e *GraphQLError) atBaseRef() bool {
	if len(e.Path) < len(baseRefPath) {
		return false
	}
	for i, p := range baseRefPath {
		if e.Path[i] != p {
			return false
		}
	}
	return true
}

// protectionOf turns what the query read of the base branch into what
// RequiredCheck judges. refErrs are the query's errors about the base ref:
// GitHub answers branchProtectionRule null with an error when the App may
// not read it (no Administration permission), which is "could not tell",
// never "no protection". ok is false when the answer cannot be judged (the
// ref or its rules were not read).
func protectionOf(ref *gqlBaseRef, refErrs []GraphQLError) (p protection, ok bool) {
	if ref == nil || ref.Rules == nil {
		return p, false
	}
	for _, e := range refErrs {
		if len(e.Path) <= len(baseRefPath) || e.Path[len(baseRefPath)] != "branchProtectionRule" {
			return p, false
		}
		p.classic = classicDenied
	}
	for _, n := range ref.Rules.Nodes {
		r := branchRule{Type: strings.ToLower(n.Type)}
		if n.Parameters != nil {
			for _, c := range n.Parameters.RequiredStatusChecks {
				r.Parameters.RequiredStatusChecks = append(r.Parameters.RequiredStatusChecks, ruleCheck(c))
			}
		}
		p.rules = append(p.rules, r)
	}
	p.rulesCut = ref.Rules.PageInfo.HasNextPage
	if bp := ref.BranchProtectionRule; p.classic != classicDenied && bp != nil && bp.RequiresStatusChecks {
		p.classic = classicRead
		for _, c := range bp.RequiredStatusChecks {
			var appID *int64
			if c.App != nil {
				appID = &c.App.DatabaseID
			}
			p.checks.Checks = append(p.checks.Checks, classicCheck{Context: c.Context, AppID: appID})
		}
	}
	return p, true
}
