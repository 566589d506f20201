package githubsim

import (
	"strings"
)

// ref answers Repository.ref(qualifiedName:) for a branch
// (https://docs.github.com/en/graphql/reference/objects#ref): its rules
// (the rulesets' rules that apply to it, as GET …/rules/branches/{branch}
// lists them) and its classic branch protection rule, null when the branch
// is not protected. Without the Administration permission
// (Options.DenyAdministration) branchProtectionRule is null with a
// FORBIDDEN error at its path. A branch that does not exist is null.
func (x *gqlExec) ref(r *repo, sel *gqlSel, path []string) any {
	name, ok := x.arg(sel, "qualifiedName")
	if !ok {
		return nil
	}
	branch := strings.TrimPrefix(name, "refs/heads/")
	if _, ok := r.branches[branch]; !ok {
		return nil
	}
	var rules []*branchRule
	for _, br := range r.rules {
		if br.branch == branch {
			rules = append(rules, br)
		}
	}
	out := jsonObj{}
	for _, f := range sel.sel {
		switch f.name {
		case "__typename":
			out = append(out, jsonKV{f.key(), "Ref"})
		case "name":
			out = append(out, jsonKV{f.key(), branch})
		case "rules":
			out = append(out, jsonKV{f.key(), x.connection(f, len(rules), func(i int, sels []*gqlSel) jsonObj {
				return ruleFields(rules[i], sels)
			})})
		case "branchProtectionRule":
			if x.s.opts.DenyAdministration {
				x.errs = append(x.errs, gqlError{Type: "FORBIDDEN", Path: append(append([]string(nil), path...), f.key()),
					Locations: []gqlLocation{f.loc}, Message: "Resource not accessible by integration"})
				out = append(out, jsonKV{f.key(), nil})
				continue
			}
			var v any
			if p := r.protected[branch]; p != nil {
				v = protectionRuleFields(branch, p, f.sel)
			}
			out = append(out, jsonKV{f.key(), v})
		}
	}
	return out
}

// ruleFields answers a RepositoryRule
// (https://docs.github.com/en/graphql/reference/objects#repositoryrule):
// type is the RepositoryRuleType enum; parameters is a union, answered
// only through "... on RequiredStatusChecksParameters".
func ruleFields(br *branchRule, sels []*gqlSel) jsonObj {
	out := jsonObj{}
	for _, f := range sels {
		switch f.name {
		case "__typename":
			out = append(out, jsonKV{f.key(), "RepositoryRule"})
		case "type":
			out = append(out, jsonKV{f.key(), strings.ToUpper(br.rule)})
		case "parameters":
			out = append(out, jsonKV{f.key(), ruleParameters(br, f.sel)})
		}
	}
	return out
}

func ruleParameters(br *branchRule, sels []*gqlSel) any {
	if br.rule != "required_status_checks" {
		return nil // rules without parameters have none
	}
	out := jsonObj{}
	for _, frag := range sels {
		if frag.name == "__typename" {
			out = append(out, jsonKV{frag.key(), "RequiredStatusChecksParameters"})
		}
		if frag.on != "RequiredStatusChecksParameters" {
			continue
		}
		for _, f := range frag.sel {
			switch f.name {
			case "__typename":
				out = append(out, jsonKV{f.key(), "RequiredStatusChecksParameters"})
			case "strictRequiredStatusChecksPolicy":
				out = append(out, jsonKV{f.key(), false})
			case "requiredStatusChecks":
				out = append(out, jsonKV{f.key(), statusChecksGraphQL(br.checks, "integrationId", "", f.sel)})
			}
		}
	}
	return out
}

// protectionRuleFields answers a BranchProtectionRule
// (https://docs.github.com/en/graphql/reference/objects#branchprotectionrule).
// requiredStatusChecks lists the legacy contexts too, with a null app.
func protectionRuleFields(branch string, p *classicProtection, sels []*gqlSel) jsonObj {
	checks := append(append([]StatusCheck{}, p.checks...), statusChecksOf(p.contexts)...)
	out := jsonObj{}
	for _, f := range sels {
		switch f.name {
		case "__typename":
			out = append(out, jsonKV{f.key(), "BranchProtectionRule"})
		case "pattern":
			out = append(out, jsonKV{f.key(), branch})
		case "requiresStatusChecks":
			out = append(out, jsonKV{f.key(), len(checks) > 0})
		case "requiredStatusCheckContexts":
			contexts := []string{}
			for _, c := range checks {
				contexts = append(contexts, c.Context)
			}
			out = append(out, jsonKV{f.key(), contexts})
		case "requiredStatusChecks":
			out = append(out, jsonKV{f.key(), statusChecksGraphQL(checks, "", "app", f.sel)})
		}
	}
	return out
}

// statusChecksGraphQL answers a list of StatusCheckConfiguration (the App
// as integrationId, an Int) or RequiredStatusCheckDescription (the App as
// app { databaseId }); an AppID of 0 (any source) is null either way.
func statusChecksGraphQL(checks []StatusCheck, idField, appField string, sels []*gqlSel) []jsonObj {
	out := []jsonObj{}
	for _, c := range checks {
		var app any
		item := jsonObj{}
		for _, f := range sels {
			switch f.name {
			case "context":
				item = append(item, jsonKV{f.key(), c.Context})
			case idField:
				if c.AppID != 0 {
					app = c.AppID
				}
				item = append(item, jsonKV{f.key(), app})
			case appField:
				if c.AppID != 0 {
					app = appRef(c.AppID, f.sel)
				}
				item = append(item, jsonKV{f.key(), app})
			}
		}
		out = append(out, item)
	}
	return out
}

// appRef answers an App by its id with the fields a status check names.
func appRef(id int64, sels []*gqlSel) jsonObj {
	out := jsonObj{}
	for _, f := range sels {
		switch f.name {
		case "__typename":
			out = append(out, jsonKV{f.key(), "App"})
		case "databaseId":
			out = append(out, jsonKV{f.key(), id})
		}
	}
	return out
}
