package report

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/checklimits"
	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/templates"
)

// Check-run conclusions launchgate publishes
// (https://docs.github.com/en/rest/checks/runs). It never publishes
// neutral or skipped: branch protection counts both as passing
// (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches).
const (
	ConclusionSuccess        = "success"
	ConclusionFailure        = "failure"
	ConclusionActionRequired = "action_required"
)

// Caps launchgate's check runs keep. GitHub's own limits are in
// checklimits.
const (
	// maxAnnotationMessage caps an annotation's message far below GitHub's
	// 64 KB: an annotation is read in the diff, one finding each.
	maxAnnotationMessage = 4 << 10
	// maxTitle caps the run's title. GitHub documents no limit; a title
	// longer than a line is unreadable in the checks list anyway.
	maxTitle = 200
	// maxFindingMessage caps one finding in the details so that a single
	// huge message cannot crowd out the others.
	maxFindingMessage = 1000
)

// Re-check action: GitHub shows it on the completed run and sends
// check_run.requested_action with this identifier. githubapi checks them
// against checklimits.
const (
	RecheckIdentifier  = "recheck"
	recheckLabel       = "Re-check"
	recheckDescription = "Evaluate this commit again"
)

// CheckRunOptions say where a check run is published and what produced it.
type CheckRunOptions struct {
	// WebURL is GitHub's browser URL ("https://github.com"), for links.
	WebURL string
	// Owner and Repo name the base repository; for a fork PR the head
	// commit is reachable there too.
	Owner, Repo string
	HeadSHA     string
	// PolicySource and PolicyDigest identify the policy; Version is
	// launchgate's. All three go into the footer so that runs made by
	// different deployments side by side can be told apart.
	PolicySource, PolicyDigest, Version string
	// MaxAnnotations caps the annotations of a run. Default
	// checklimits.AnnotationsPerRequest, so that one request carries them
	// all; the details list every finding anyway.
	MaxAnnotations int
	// MaxOutput caps summary and text, in bytes. Default
	// checklimits.OutputBytes; tests lower it.
	MaxOutput int
}

// CheckRunOutput is a rendered check run.
type CheckRunOutput struct {
	Conclusion    string
	Title         string
	Summary, Text string
	Annotations   []*github.CheckRunAnnotation
	Actions       []*github.CheckRunAction
}

// checkRunView is what the check-run templates of a launch PR see.
type checkRunView struct {
	view
	Meta CheckRunOptions
	// Omitted counts findings left out to fit GitHub's size limit.
	Omitted int
}

// shortView is what the templates of the short runs see.
type shortView struct {
	Meta     CheckRunOptions
	Reason   string
	Problems policy.Errors
}

// checkRunTemplates extends the report templates (their functions
// included) with templates/checkrun.
var checkRunTemplates = template.Must(template.Must(tmpl.Clone()).Funcs(template.FuncMap{
	"code": CodeSpan,
}).ParseFS(templates.CheckRun, "checkrun/*.tmpl"))

// Conclusion maps a report to a check-run conclusion: failure when an
// automatic check fails, action_required when only people's sign-offs or
// approvals are missing, success when everything holds.
func Conclusion(rep *readiness.Report) string {
	pending := false
	for _, r := range rep.Requirements {
		switch r.Status {
		case readiness.Fail:
			return ConclusionFailure
		case readiness.Pending:
			pending = true
		}
	}
	if pending || !rep.Ready {
		return ConclusionActionRequired
	}
	return ConclusionSuccess
}

// CheckRun renders a launch PR's report as a check run: the title says
// where it stands, the summary is the requirements table, the text lists
// every check with its findings linked to the file at the head commit, and
// each failing finding with a path becomes an annotation on its line.
// Summary and text fit GitHub's limits: findings that do not fit are left
// out, and the text says how many.
func CheckRun(rep *readiness.Report, opts CheckRunOptions) (CheckRunOutput, error) {
	opts = opts.withDefaults()
	v := checkRunView{view: newView(rep, Options{PolicySource: opts.PolicySource}), Meta: opts}
	t, err := checkRunTemplates.Clone()
	if err != nil {
		return CheckRunOutput{}, err
	}
	t.Funcs(template.FuncMap{"link": opts.findingLink})
	summary, err := render(t, "summary.tmpl", v)
	if err != nil {
		return CheckRunOutput{}, err
	}
	text, err := fitFindings(t, v, countFindings(rep))
	if err != nil {
		return CheckRunOutput{}, err
	}
	return CheckRunOutput{
		Conclusion:  Conclusion(rep),
		Title:       truncateRunes(Title(rep), maxTitle),
		Summary:     fitLines(summary, opts.MaxOutput),
		Text:        text,
		Annotations: annotations(rep, opts.MaxAnnotations),
		Actions:     recheckAction(),
	}, nil
}

// NotLaunchCheckRun is the short success run of a PR that is not a launch
// PR, so that admins can make the check required on every PR. reason says
// why no launch rule matched.
func NotLaunchCheckRun(reason string, opts CheckRunOptions) (CheckRunOutput, error) {
	return shortRun("not-launch.tmpl", ConclusionSuccess, "Not a launch PR — nothing to check", shortView{Reason: reason}, opts)
}

// PolicyErrorCheckRun is the failure run of a PR whose base branch policy
// cannot be read: it lists each problem with its line. err is usually
// policy.Errors; any other error is shown as one problem.
func PolicyErrorCheckRun(err error, opts CheckRunOptions) (CheckRunOutput, error) {
	var problems policy.Errors
	if !errors.As(err, &problems) {
		problems = policy.Errors{{Source: opts.PolicySource, Msg: err.Error()}}
	}
	if opts.PolicySource == "" && len(problems) > 0 {
		opts.PolicySource = problems[0].Source
	}
	return shortRun("policy-error.tmpl", ConclusionFailure, "Policy cannot be read", shortView{Problems: problems}, opts)
}

// ErrorCheckRun is the failure run of an evaluation that could not finish.
// doing says what launchgate was doing ("reading the head tree"); it must
// not carry secrets.
func ErrorCheckRun(doing string, opts CheckRunOptions) (CheckRunOutput, error) {
	return shortRun("error.tmpl", ConclusionFailure, "Could not evaluate this commit", shortView{Reason: doing}, opts)
}

func shortRun(name, conclusion, title string, v shortView, opts CheckRunOptions) (CheckRunOutput, error) {
	v.Meta = opts.withDefaults()
	summary, err := render(checkRunTemplates, name, v)
	if err != nil {
		return CheckRunOutput{}, err
	}
	out := CheckRunOutput{Conclusion: conclusion, Title: title, Summary: fitLines(summary, v.Meta.MaxOutput)}
	if conclusion != ConclusionSuccess {
		out.Actions = recheckAction()
	}
	return out, nil
}

func (o CheckRunOptions) withDefaults() CheckRunOptions {
	if o.MaxAnnotations <= 0 {
		o.MaxAnnotations = checklimits.AnnotationsPerRequest
	}
	if o.MaxOutput <= 0 || o.MaxOutput > checklimits.OutputBytes {
		o.MaxOutput = checklimits.OutputBytes
	}
	o.WebURL = strings.TrimSuffix(o.WebURL, "/")
	return o
}

func recheckAction() []*github.CheckRunAction {
	return []*github.CheckRunAction{{
		Label: recheckLabel, Description: recheckDescription, Identifier: RecheckIdentifier,
	}}
}

func render(t *template.Template, name string, data any) (string, error) {
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("rendering %s: %w", name, err)
	}
	return strings.TrimSpace(b.String()) + "\n", nil
}

// fitFindings renders the details with as many findings as fit in
// MaxOutput, found by bisection, keeping them in report order.
func fitFindings(t *template.Template, v checkRunView, total int) (string, error) {
	full := v.Report
	try := func(shown int) (string, error) {
		v.Report, v.Omitted = keepFindings(full, shown), total-shown
		return render(t, "text.tmpl", v)
	}
	text, err := try(total)
	if err != nil || len(text) <= v.Meta.MaxOutput {
		return text, err
	}
	lo, hi := 0, total-1 // the answer is in [lo, hi]: lo always fits or is 0
	for lo < hi {
		mid := (lo + hi + 1) / 2
		s, err := try(mid)
		if err != nil {
			return "", err
		}
		if len(s) <= v.Meta.MaxOutput {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	text, err = try(lo)
	if err != nil {
		return "", err
	}
	return fitLines(text, v.Meta.MaxOutput), nil
}

// truncationNote ends output cut by fitLines.
const truncationNote = "\n… output truncated to GitHub's limit; run `launchgate check` locally for all.\n"

// fitLines cuts s to limit bytes, at a line boundary, leaving room for a
// note saying so. It is the last resort, for output that does not fit even
// with no findings (a policy with thousands of requirements).
func fitLines(s string, limit int) string {
	return checklimits.Truncate(s, limit, truncationNote)
}

func countFindings(rep *readiness.Report) int {
	n := 0
	for _, r := range rep.Requirements {
		for _, c := range r.Checks {
			n += len(c.Findings)
		}
	}
	return n
}

// keepFindings copies rep with only its first n findings (in report order),
// each message capped.
func keepFindings(rep *readiness.Report, n int) *readiness.Report {
	out := &readiness.Report{Ready: rep.Ready, Requirements: make([]readiness.Requirement, len(rep.Requirements))}
	for i, r := range rep.Requirements {
		r.Checks = append([]readiness.Check(nil), r.Checks...)
		for j, c := range r.Checks {
			keep := min(n, len(c.Findings))
			fs := make([]inspect.Finding, keep)
			for k, f := range c.Findings[:keep] {
				f.Message = truncateRunes(f.Message, maxFindingMessage)
				fs[k] = f
			}
			n -= keep
			r.Checks[j].Findings = fs
		}
		out.Requirements[i] = r
	}
	return out
}

// annotations turns the findings of failing automatic checks that name a
// file into failure annotations on their lines (line 1 when the finding
// has none), at most limit of them.
func annotations(rep *readiness.Report, limit int) []*github.CheckRunAnnotation {
	var out []*github.CheckRunAnnotation
	for _, r := range rep.Requirements {
		for _, c := range r.Checks {
			if c.Status != readiness.Fail || c.Kind == readiness.KindSignoff || c.Kind == readiness.KindApproval {
				continue
			}
			for _, f := range c.Findings {
				if len(out) == limit {
					return out
				}
				if f.Path == "" || hasControl(f.Path) {
					// A path GitHub would reject fails the whole request;
					// the details still list the finding.
					continue
				}
				line := max1(f.Line)
				out = append(out, &github.CheckRunAnnotation{
					Path:            github.String(f.Path),
					StartLine:       github.Int(line),
					EndLine:         github.Int(line),
					AnnotationLevel: github.String("failure"),
					Title:           github.String(truncateRunes(r.Title+": "+c.ID, checklimits.AnnotationTitle)),
					// Annotation messages are shown as plain text, not
					// markdown, so they are not escaped, only capped.
					Message: github.String(checklimits.Truncate(plain(f.Message), maxAnnotationMessage, "…")),
				})
			}
		}
	}
	return out
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// findingLink renders a finding's location as a code span linked to the
// file at the head commit: "[`path:12`](https://github.com/o/r/blob/SHA/path#L12): ".
func (o CheckRunOptions) findingLink(f inspect.Finding) string {
	if f.Path == "" {
		return ""
	}
	loc := f.Path
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.Path, f.Line)
	}
	return "[" + CodeSpan(loc) + "](" + o.FileURL(f.Path, f.Line) + "): "
}

// FileURL links to a file at the head commit, at a line when line > 0.
// Every path segment is percent-encoded, so a file name cannot end the
// markdown link or add a query.
func (o CheckRunOptions) FileURL(path string, line int) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := fmt.Sprintf("%s/%s/%s/blob/%s/%s", strings.TrimSuffix(o.WebURL, "/"),
		url.PathEscape(o.Owner), url.PathEscape(o.Repo), url.PathEscape(o.HeadSHA), strings.Join(segs, "/"))
	if line > 0 {
		u += fmt.Sprintf("#L%d", line)
	}
	return u
}

// CodeSpan shows untrusted text as inline code. Inside a code span
// markdown, HTML and @-mentions are inert; what could still break out is a
// backtick (it would end the span) and a line break (a following "- " or
// "#" line would start a new block before inline parsing), so backticks
// become ' and control characters become spaces.
func CodeSpan(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '`':
			return '\''
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
	return "`" + s + "`"
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// plain keeps text readable as plain text: control characters other than
// line breaks and tabs are dropped.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
