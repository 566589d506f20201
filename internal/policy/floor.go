package policy

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect"
)

// CheckFloor checks a repository's policy against its organisation's: every
// item the organisation marks `enforced: true` must be in repo, as strict
// or stricter. It returns nil, or Errors naming repo's line (the item, or
// the nearest line that stands for it: its requirement, `extends:`, or the
// list it was dropped from) and org's line. What counts as looser is decided
// per field below and tabled in README ("The organisation floor"); where a
// change is not known to be stricter, it counts as looser, so that a floor
// can only be raised.
func CheckFloor(org, repo *Policy) error {
	f := &floor{org: org, repo: repo}
	f.launch()
	f.approvals()
	f.environments()
	f.layouts()
	for _, r := range org.Requirements {
		f.requirement(r)
	}
	if len(f.errs) == 0 {
		return nil
	}
	return sortErrors(f.errs)
}

type floor struct {
	org, repo *Policy
	errs      Errors
}

// refuse records that an item repo has is looser than org's. repoKeys and
// orgKeys are floor keys, most specific first, of the item in each policy.
func (f *floor) refuse(repoKeys, orgKeys []string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// A merged policy no longer says it extends; its own lines still do.
	if f.repo.ownLines["extends"] > 0 && f.repo.ownLines[repoKeys[0]] == 0 {
		msg += " (as inherited from the " + DefaultSource + " through extends)"
	}
	f.add(repoKeys, orgKeys, msg)
}

// removed records that repo lacks an item org enforces.
func (f *floor) removed(repoKeys, orgKeys []string, format string, args ...any) {
	f.add(repoKeys, orgKeys, fmt.Sprintf(format, args...))
}

func (f *floor) add(repoKeys, orgKeys []string, msg string) {
	orgAt := f.org.Source
	if line := f.org.lineOf(orgKeys...); line > 0 {
		orgAt = fmt.Sprintf("%s:%d", f.org.Source, line)
	}
	f.errs = append(f.errs, Error{
		Source: f.repo.Source,
		Line:   f.repo.lineOf(repoKeys...),
		Msg:    fmt.Sprintf("%s; the organisation policy enforces it at %s", msg, orgAt),
	})
}

// lineOf returns the line of the first of keys this policy's own file
// states, else of its `extends:` (what it did not state, it inherited), else
// 0.
func (p *Policy) lineOf(keys ...string) int {
	for _, k := range keys {
		if line := p.ownLines[k]; line > 0 {
			return line
		}
	}
	return p.ownLines["extends"]
}

func (f *floor) launch() {
	if !f.org.Launch.Enforced {
		return
	}
	keys := []string{"launch"}
	for _, l := range missing(f.org.Launch.Labels, f.repo.Launch.Labels, strings.EqualFold) {
		f.refuse(keys, keys, "launch label %q is dropped, so pull requests with it would not be gated", l)
	}
	for _, t := range missing(f.org.Launch.TitlePrefixes, f.repo.Launch.TitlePrefixes, strings.EqualFold) {
		f.refuse(keys, keys, "launch title prefix %q is dropped, so pull requests titled so would not be gated", t)
	}
	for _, p := range missing(f.org.Launch.Paths, f.repo.Launch.Paths, equal) {
		f.refuse(keys, keys, "launch path %q is dropped, so pull requests changing it would not be gated", p)
	}
}

func (f *floor) approvals() {
	if !f.org.Approvals.Enforced {
		return
	}
	keys := []string{"approvals"}
	for _, t := range missing(f.org.Approvals.Teams, f.repo.Approvals.Teams, strings.EqualFold) {
		f.refuse(keys, keys, "approval team %q is dropped", t)
	}
	for _, p := range missing(f.org.Approvals.Paths, f.repo.Approvals.Paths, equal) {
		f.refuse(keys, keys, "approval path %q is dropped, so its code owners would not need to approve", p)
	}
}

func (f *floor) environments() {
	for _, oe := range f.org.Environments {
		if !oe.Enforced {
			continue
		}
		key := envKey(oe.Name)
		orgKeys := []string{key, "environments"}
		i := slices.IndexFunc(f.repo.Environments, func(e inspect.Environment) bool { return strings.EqualFold(e.Name, oe.Name) })
		if i < 0 {
			f.removed([]string{key, "environments"}, orgKeys, "environment %q is removed (aliases may be added; the name must stay)", oe.Name)
			continue
		}
		for _, a := range missing(oe.Aliases, f.repo.Environments[i].Aliases, strings.EqualFold) {
			f.refuse([]string{key, "environments"}, orgKeys, "environment %q drops the alias %q", oe.Name, a)
		}
	}
}

// layouts keeps the organisation's layouts when it enforces anything that
// reads them: every layout that matches contributes to an environment, so
// one more can only add what is checked, while one fewer can hide the
// configuration that is deployed.
func (f *floor) layouts() {
	reads := slices.ContainsFunc(f.org.Environments, func(e inspect.Environment) bool { return e.Enforced })
	for _, r := range f.org.Requirements {
		reads = reads || slices.ContainsFunc(r.Checks, func(c Check) bool {
			_, ok := c.Checker.(inspect.LayoutReader)
			return (r.Enforced || c.Enforced) && ok
		})
	}
	if !reads {
		return
	}
	keys := []string{"layouts", "extra_layouts"}
	for _, l := range missing(f.org.Layouts, f.repo.Layouts, equal) {
		f.refuse(keys, keys, "layout %q is dropped, so the configuration it finds would not be checked", l)
	}
}

func (f *floor) requirement(or Requirement) {
	reqKey := "requirements/" + or.ID
	rr := f.repo.Requirement(or.ID)
	if rr == nil {
		if or.Enforced || slices.ContainsFunc(or.Checks, func(c Check) bool { return c.Enforced }) {
			f.removed([]string{reqKey, "requirements"}, []string{reqKey}, "requirement %q is removed", or.ID)
		}
		return
	}
	for _, oc := range or.Checks {
		if or.Enforced || oc.Enforced {
			f.check(rr, or, oc)
		}
	}
	if !or.Enforced {
		return
	}
	for _, os := range or.Signoffs {
		key := reqKey + "/signoffs/" + os.ID
		repoKeys, orgKeys := []string{key, reqKey}, []string{key, reqKey}
		i := slices.IndexFunc(rr.Signoffs, func(s Signoff) bool { return s.ID == os.ID })
		switch {
		case i < 0:
			f.removed(repoKeys, orgKeys, "sign-off %q of requirement %q is removed", os.ID, or.ID)
		case !strings.EqualFold(rr.Signoffs[i].Team, os.Team):
			f.refuse(repoKeys, orgKeys, "sign-off %q of requirement %q is given to team %q; the organisation's is %q", os.ID, or.ID, rr.Signoffs[i].Team, os.Team)
		case rr.Signoffs[i].Text != os.Text:
			f.refuse(repoKeys, orgKeys, "sign-off %q of requirement %q changes what its signer attests", os.ID, or.ID)
		}
	}
	key := reqKey + "/approvals"
	for _, t := range missing(or.Approvals, rr.Approvals, strings.EqualFold) {
		f.refuse([]string{key, reqKey}, []string{key, reqKey}, "requirement %q drops the approval team %q", or.ID, t)
	}
}

func (f *floor) check(rr *Requirement, or Requirement, oc Check) {
	reqKey := "requirements/" + or.ID
	key := reqKey + "/checks/" + oc.ID
	repoKeys, orgKeys := []string{key, reqKey}, []string{key, reqKey}
	i := slices.IndexFunc(rr.Checks, func(c Check) bool { return c.ID == oc.ID })
	if i < 0 {
		f.removed(repoKeys, orgKeys, "check %q of requirement %q is removed", oc.ID, or.ID)
		return
	}
	rc := rr.Checks[i]
	if rc.Kind != oc.Kind {
		f.refuse(repoKeys, orgKeys, "check %q of requirement %q is of kind %q; the organisation's is %q", oc.ID, or.ID, rc.Kind, oc.Kind)
		return
	}
	for _, l := range looserParams(oc.Checker, rc.Checker) {
		f.refuse(repoKeys, orgKeys, "check %q of requirement %q: %s", oc.ID, or.ID, l)
	}
	for _, l := range looserWaivers(or.waiverRule(oc), rr.waiverRule(rc)) {
		f.refuse(repoKeys, orgKeys, "check %q of requirement %q: %s", oc.ID, or.ID, l)
	}
}

// looserWaivers says how repo's waiver rule for a check is looser than
// org's: waivable where org's is not, a higher max_days, or a team org's
// rule does not let waive it. Fewer teams, fewer days or no waiver at all
// are stricter.
func looserWaivers(org, repo WaiverRule) []string {
	if !repo.Waivable {
		return nil
	}
	if !org.Waivable {
		return []string{"it may be waived; the organisation's may not"}
	}
	var out []string
	if repo.MaxDays > org.MaxDays {
		out = append(out, fmt.Sprintf("waivers may last %d days; the organisation's at most %d", repo.MaxDays, org.MaxDays))
	}
	if extra := missing(repo.Teams, org.Teams, strings.EqualFold); len(extra) > 0 {
		out = append(out, fmt.Sprintf("team %s may waive it; the organisation's rule does not let %s", strings.Join(extra, ", "), map[bool]string{true: "it", false: "them"}[len(extra) == 1]))
	}
	return out
}

// looserParams compares the parameters of two checks of one kind and says
// how repo's are looser than org's. Each kind's fields known to order are
// compared by that order and free texts (messages, hints) may change; every
// other field, including those of kinds added later, must stay equal.
func looserParams(org, repo inspect.Checker) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	switch o := org.(type) {
	case *inspect.Document:
		r := repo.(*inspect.Document)
		if r.MinWordsPerSection() < o.MinWordsPerSection() {
			add("min_words %d is lower than the organisation's %d", r.MinWordsPerSection(), o.MinWordsPerSection())
		}
		for _, os := range o.Sections {
			i := slices.IndexFunc(r.Sections, func(s inspect.DocumentSection) bool { return strings.EqualFold(s.Title, os.Title) })
			if i < 0 {
				add("section %q is removed", os.Title)
				continue
			}
			rs := r.Sections[i]
			switch {
			case os.MaxAgeDays > 0 && rs.MaxAgeDays == 0:
				add("section %q has no max_age_days; the organisation's is %d", os.Title, os.MaxAgeDays)
			case os.MaxAgeDays > 0 && rs.MaxAgeDays > os.MaxAgeDays:
				add("section %q: max_age_days %d is higher than the organisation's %d", os.Title, rs.MaxAgeDays, os.MaxAgeDays)
			}
			// An alias is one more heading accepted for the section.
			for _, a := range missing(rs.Aliases, os.Aliases, strings.EqualFold) {
				add("section %q accepts the heading %q, which the organisation's does not", os.Title, a)
			}
		}
		oc, rc := *o, *r
		oc.MinWords, rc.MinWords, oc.Sections, rc.Sections = 0, 0, nil, nil
		out = append(out, changedParams(&oc, &rc)...)
	case *inspect.Replicas:
		r := repo.(*inspect.Replicas)
		if r.MinReplicas() < o.MinReplicas() {
			add("min %d replicas is lower than the organisation's %d", r.MinReplicas(), o.MinReplicas())
		}
		for _, k := range missing(o.WorkloadKinds(), r.WorkloadKinds(), equal) {
			add("workload kind %q is no longer checked", k)
		}
	case *inspect.Probes:
		for _, k := range missing(o.WorkloadKinds(), repo.(*inspect.Probes).WorkloadKinds(), equal) {
			add("workload kind %q is no longer checked", k)
		}
	case *inspect.Alerts:
		r := repo.(*inspect.Alerts)
		if r.MinRules() < o.MinRules() {
			add("min %d alerting rules is lower than the organisation's %d", r.MinRules(), o.MinRules())
		}
		oc, rc := *o, *r
		oc.Min, rc.Min = 0, 0
		out = append(out, changedParams(&oc, &rc)...)
	case *inspect.Environments:
		r := repo.(*inspect.Environments)
		for _, m := range missing(r.RemoteModulesWithoutWorkloads, o.RemoteModulesWithoutWorkloads, equal) {
			add("remote module %q is accepted as deploying no workloads, which the organisation's does not accept", m)
		}
	case *inspect.Files:
		r := repo.(*inspect.Files)
		for _, g := range missing(o.All, r.All, equal) {
			add("required file %q is dropped from all", g)
		}
		oc, rc := *o, *r
		oc.All, rc.All, oc.Message, rc.Message = nil, nil, "", ""
		out = append(out, changedParams(&oc, &rc)...)
	case *inspect.Field:
		oc, rc := *o, *repo.(*inspect.Field)
		oc.Message, rc.Message = "", ""
		out = append(out, changedParams(&oc, &rc)...)
	default:
		out = append(out, changedParams(org, repo)...)
	}
	return out
}

// changedParams names the parameters whose YAML differs between org and
// repo: a change launchgate cannot rank counts as looser.
func changedParams(org, repo any) []string {
	o, r := paramMap(org), paramMap(repo)
	var keys []string
	for k := range o {
		keys = append(keys, k)
	}
	for k := range r {
		if _, ok := o[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if !reflect.DeepEqual(o[k], r[k]) {
			out = append(out, fmt.Sprintf("%s differs from the organisation's (only changes known to be stricter are allowed)", k))
		}
	}
	return out
}

func paramMap(params any) map[string]any {
	m := map[string]any{}
	data, err := yaml.Marshal(params)
	if err == nil {
		err = yaml.Unmarshal(data, &m)
	}
	if err != nil {
		// The parameters were decoded from YAML, so they encode; should
		// they not, an entry that can equal nothing keeps the check closed.
		return map[string]any{"parameters": err.Error()}
	}
	return m
}

// missing returns the items of want that have no equal in have.
func missing(want, have []string, eq func(a, b string) bool) []string {
	var out []string
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return eq(w, h) }) {
			out = append(out, w)
		}
	}
	return out
}

func equal(a, b string) bool { return a == b }

func envKey(name string) string { return "environments/" + strings.ToLower(name) }

// ownLines maps the floor keys of what p's file states to their lines.
func ownLines(p *Policy, doc *yaml.Node) map[string]int {
	lines := map[string]int{}
	set := func(key string, path ...any) {
		if line := lineAt(doc, path...); line > 0 {
			lines[key] = line
		}
	}
	for _, k := range []string{"extends", "launch", "approvals", "environments", "layouts", "extra_layouts", "requirements"} {
		set(k, k)
	}
	for i, e := range p.Environments {
		set(envKey(e.Name), "environments", i)
	}
	for i, r := range p.Requirements {
		key := "requirements/" + r.ID
		set(key, "requirements", i)
		set(key+"/approvals", "requirements", i, "approvals")
		for j, c := range r.Checks {
			set(key+"/checks/"+c.ID, "requirements", i, "checks", j)
		}
		for j, s := range r.Signoffs {
			set(key+"/signoffs/"+s.ID, "requirements", i, "signoffs", j)
		}
	}
	return lines
}
