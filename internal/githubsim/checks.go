package githubsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// Check runs, validated as GitHub's REST API documents them
// (https://docs.github.com/rest/checks/runs#create-a-check-run):
// name and head_sha required; status queued|in_progress|completed; a
// conclusion implies completed and completed needs one; output needs title
// and summary, summary and text are at most 65,535 characters; at most 50
// annotations per request, appended across updates; at most 3 actions with
// label ≤ 20, description ≤ 40 and identifier ≤ 20 characters. Only the App
// that created a run may update it (403). Schema violations answer 422
// "Invalid request.\n\n<detail>", GitHub's wording where it is known.
const (
	docsCreateRun = "https://docs.github.com/rest/checks/runs#create-a-check-run"
	docsUpdateRun = "https://docs.github.com/rest/checks/runs#update-a-check-run"

	maxOutputChars       = 65535
	maxAnnotations       = 50
	maxAnnotationBytes   = 64 << 10 // message and raw_details: 64 KB
	maxAnnotationTitle   = 255
	maxActions           = 3
	maxActionLabel       = 20
	maxActionDescription = 40
	maxActionIdentifier  = 20
)

var (
	runStatuses    = []string{"queued", "in_progress", "completed"}
	runConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"}
	annotationLvls = []string{"notice", "warning", "failure"}
)

type checkRun struct {
	id                     int64
	app                    *app
	repo                   *repo
	suite                  *checkSuite
	name, headSHA          string
	status, conclusion     string
	externalID, detailsURL string
	started, completed     time.Time
	hasOutput              bool
	title, summary, text   string
	annotations            []*github.CheckRunAnnotation
	actions                []*github.CheckRunAction
}

type checkSuite struct {
	id         int64
	app        *app
	headSHA    string
	headBranch string
}

// suiteLocked returns App a's check suite for a commit, creating it.
func (s *Server) suiteLocked(r *repo, a *app, sha, branch string) *checkSuite {
	key := strconv.FormatInt(a.id, 10) + "/" + sha
	if cs := r.suites[key]; cs != nil {
		return cs
	}
	cs := &checkSuite{id: s.id(), app: a, headSHA: sha, headBranch: branch}
	r.suites[key] = cs
	return cs
}

// Request bodies are decoded into pointers so that "missing" differs from
// "empty".
type runInput struct {
	Name        *string        `json:"name"`
	HeadSHA     *string        `json:"head_sha"`
	DetailsURL  *string        `json:"details_url"`
	ExternalID  *string        `json:"external_id"`
	Status      *string        `json:"status"`
	StartedAt   *time.Time     `json:"started_at"`
	Conclusion  *string        `json:"conclusion"`
	CompletedAt *time.Time     `json:"completed_at"`
	Output      *outputInput   `json:"output"`
	Actions     *[]actionInput `json:"actions"`
}

type outputInput struct {
	Title       *string           `json:"title"`
	Summary     *string           `json:"summary"`
	Text        *string           `json:"text"`
	Annotations []annotationInput `json:"annotations"`
	Images      []json.RawMessage `json:"images"`
}

type annotationInput struct {
	Path            *string `json:"path"`
	StartLine       *int    `json:"start_line"`
	EndLine         *int    `json:"end_line"`
	StartColumn     *int    `json:"start_column"`
	EndColumn       *int    `json:"end_column"`
	AnnotationLevel *string `json:"annotation_level"`
	Message         *string `json:"message"`
	Title           *string `json:"title"`
	RawDetails      *string `json:"raw_details"`
}

type actionInput struct {
	Label       *string `json:"label"`
	Description *string `json:"description"`
	Identifier  *string `json:"identifier"`
}

func decodeRunInput(body []byte, doc string) (*runInput, *reply) {
	var in runInput
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		var pe *time.ParseError
		switch {
		case errors.As(err, &te):
			r := invalidRequest(doc, fmt.Sprintf("For 'properties/%s', %s is not a %s.", te.Field, te.Value, jsonTypeName(te.Type.String())))
			return nil, &r
		case errors.As(err, &pe):
			r := invalidRequest(doc, fmt.Sprintf("%q is not a valid ISO 8601 timestamp.", pe.Value))
			return nil, &r
		}
		r := errReply(http.StatusBadRequest, "Problems parsing JSON", doc)
		return nil, &r
	}
	return &in, nil
}

func jsonTypeName(goType string) string {
	switch {
	case strings.Contains(goType, "string"):
		return "string"
	case strings.Contains(goType, "int"):
		return "integer"
	case strings.Contains(goType, "[]"):
		return "array"
	}
	return "object"
}

func missing(field string) string { return fmt.Sprintf("%q wasn't supplied.", field) }

func tooLong(n int) string {
	return fmt.Sprintf("Only %d characters are allowed; %d were supplied.", maxOutputChars, n)
}

// validateRun checks a create or update body; create demands name and
// head_sha.
func validateRun(in *runInput, create bool, doc string) *reply {
	bad := func(detail string) *reply { r := invalidRequest(doc, detail); return &r }
	if create && (in.Name == nil || *in.Name == "") {
		return bad(missing("name"))
	}
	if create && (in.HeadSHA == nil || *in.HeadSHA == "") {
		return bad(missing("head_sha"))
	}
	if in.Status != nil && !slices.Contains(runStatuses, *in.Status) {
		return bad(fmt.Sprintf("For 'properties/status', %q is not one of %s.", *in.Status, quoteList(runStatuses)))
	}
	if in.Conclusion != nil && !slices.Contains(runConclusions, *in.Conclusion) {
		return bad(fmt.Sprintf("For 'properties/conclusion', %q is not one of %s.", *in.Conclusion, quoteList(runConclusions)))
	}
	if in.DetailsURL != nil {
		if u, err := url.Parse(*in.DetailsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r := validationFailed(doc, fieldError{Resource: "CheckRun", Field: "details_url", Code: "invalid",
				Message: "details_url must be a valid URL"})
			return &r
		}
	}
	if o := in.Output; o != nil {
		if o.Title == nil {
			return bad(missing("title"))
		}
		if o.Summary == nil {
			return bad(missing("summary"))
		}
		for _, t := range []*string{o.Summary, o.Text} {
			if t != nil && utf8.RuneCountInString(*t) > maxOutputChars {
				return bad(tooLong(utf8.RuneCountInString(*t)))
			}
		}
		if len(o.Annotations) > maxAnnotations {
			return bad(fmt.Sprintf("Only %d annotations are allowed per request; %d were supplied.", maxAnnotations, len(o.Annotations)))
		}
		for _, a := range o.Annotations {
			if msg := validateAnnotation(a); msg != "" {
				return bad(msg)
			}
		}
	}
	if in.Actions != nil {
		if len(*in.Actions) > maxActions {
			return bad(fmt.Sprintf("Only %d actions are allowed; %d were supplied.", maxActions, len(*in.Actions)))
		}
		for _, a := range *in.Actions {
			for _, f := range []struct {
				name string
				v    *string
				max  int
			}{{"label", a.Label, maxActionLabel}, {"description", a.Description, maxActionDescription}, {"identifier", a.Identifier, maxActionIdentifier}} {
				if f.v == nil {
					return bad(missing(f.name))
				}
				if n := utf8.RuneCountInString(*f.v); n > f.max {
					return bad(fmt.Sprintf("For 'properties/actions/items/%s', the length must be at most %d characters; %d were supplied.", f.name, f.max, n))
				}
			}
		}
	}
	return nil
}

func validateAnnotation(a annotationInput) string {
	switch {
	case a.Path == nil:
		return missing("path")
	case a.StartLine == nil:
		return missing("start_line")
	case a.EndLine == nil:
		return missing("end_line")
	case a.AnnotationLevel == nil:
		return missing("annotation_level")
	case a.Message == nil:
		return missing("message")
	case !slices.Contains(annotationLvls, *a.AnnotationLevel):
		return fmt.Sprintf("For 'properties/annotation_level', %q is not one of %s.", *a.AnnotationLevel, quoteList(annotationLvls))
	case *a.StartLine < 1 || *a.EndLine < *a.StartLine:
		return "start_line must be at least 1 and end_line must not be before start_line."
	case (a.StartColumn != nil || a.EndColumn != nil) && *a.StartLine != *a.EndLine:
		return "start_column and end_column may only be supplied when start_line and end_line are the same."
	case len(*a.Message) > maxAnnotationBytes:
		return fmt.Sprintf("message is too long (maximum is %d bytes).", maxAnnotationBytes)
	case a.RawDetails != nil && len(*a.RawDetails) > maxAnnotationBytes:
		return fmt.Sprintf("raw_details is too long (maximum is %d bytes).", maxAnnotationBytes)
	case a.Title != nil && utf8.RuneCountInString(*a.Title) > maxAnnotationTitle:
		return fmt.Sprintf("title is too long (maximum is %d characters).", maxAnnotationTitle)
	}
	return ""
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// apply writes a validated body into the run. A conclusion completes the
// run; annotations append.
func (cr *checkRun) apply(in *runInput, now time.Time) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&cr.name, in.Name)
	set(&cr.externalID, in.ExternalID)
	set(&cr.detailsURL, in.DetailsURL)
	set(&cr.status, in.Status)
	if in.StartedAt != nil {
		cr.started = *in.StartedAt
	}
	if in.Conclusion != nil {
		cr.conclusion, cr.status = *in.Conclusion, "completed"
	}
	if cr.status == "completed" && cr.completed.IsZero() {
		cr.completed = now
	}
	if in.CompletedAt != nil {
		cr.completed = *in.CompletedAt
	}
	if o := in.Output; o != nil {
		cr.hasOutput = true
		cr.title, cr.summary = *o.Title, *o.Summary
		set(&cr.text, o.Text)
		for _, a := range o.Annotations {
			cr.annotations = append(cr.annotations, &github.CheckRunAnnotation{
				Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine, StartColumn: a.StartColumn,
				EndColumn: a.EndColumn, AnnotationLevel: a.AnnotationLevel, Message: a.Message, Title: a.Title,
				RawDetails: a.RawDetails,
			})
		}
	}
	if in.Actions != nil {
		cr.actions = nil
		for _, a := range *in.Actions {
			cr.actions = append(cr.actions, &github.CheckRunAction{Label: *a.Label, Description: *a.Description, Identifier: *a.Identifier})
		}
	}
}

// POST /repos/{owner}/{repo}/check-runs: 201; delivers check_run "created"
// (and "completed" when created completed).
func (s *Server) createCheckRun(c *call) reply {
	in, bad := decodeRunInput(c.body, docsCreateRun)
	if bad != nil {
		return *bad
	}
	if bad := validateRun(in, true, docsCreateRun); bad != nil {
		return *bad
	}
	if in.Status != nil && *in.Status == "completed" && in.Conclusion == nil {
		return invalidRequest(docsCreateRun, missing("conclusion"))
	}
	r := c.repo
	if r.commits[*in.HeadSHA] == nil {
		return errReply(http.StatusUnprocessableEntity, "No commit found for SHA: "+*in.HeadSHA, docsCreateRun)
	}
	now := s.now()
	cr := &checkRun{id: s.id(), app: c.app, repo: r, headSHA: *in.HeadSHA, status: "queued", started: now}
	cr.suite = s.suiteLocked(r, c.app, cr.headSHA, s.branchOf(r, cr.headSHA))
	cr.apply(in, now)
	s.checkRuns[cr.id] = cr
	r.runsBySHA[cr.headSHA] = append(r.runsBySHA[cr.headSHA], cr)
	c.emit(s.checkRunEvent(cr, "created", c.app.bot, ""))
	if cr.status == "completed" {
		c.emit(s.checkRunEvent(cr, "completed", c.app.bot, ""))
	}
	return reply{http.StatusCreated, s.checkRunJSON(cr)}
}

func (s *Server) pathCheckRun(c *call) *checkRun {
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if cr := s.checkRuns[id]; cr != nil && cr.repo == c.repo {
		return cr
	}
	return nil
}

// PATCH /repos/{owner}/{repo}/check-runs/{id}: only the creating App may
// update; delivers check_run "completed" on completion.
func (s *Server) updateCheckRun(c *call) reply {
	cr := s.pathCheckRun(c)
	if cr == nil {
		return notFound()
	}
	if cr.app != c.app {
		return errReply(http.StatusForbidden, fmt.Sprintf(
			"Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", cr.app.id), docsUpdateRun)
	}
	in, bad := decodeRunInput(c.body, docsUpdateRun)
	if bad != nil {
		return *bad
	}
	if bad := validateRun(in, false, docsUpdateRun); bad != nil {
		return *bad
	}
	if in.Status != nil && *in.Status == "completed" && in.Conclusion == nil && cr.conclusion == "" {
		return invalidRequest(docsUpdateRun, missing("conclusion"))
	}
	wasCompleted := cr.status == "completed"
	cr.apply(in, s.now())
	if cr.status == "completed" && !wasCompleted {
		c.emit(s.checkRunEvent(cr, "completed", c.app.bot, ""))
	}
	return reply{http.StatusOK, s.checkRunJSON(cr)}
}

// GET /repos/{owner}/{repo}/check-runs/{id}
func (s *Server) getCheckRun(c *call) reply {
	cr := s.pathCheckRun(c)
	if cr == nil {
		return notFound()
	}
	return reply{http.StatusOK, s.checkRunJSON(cr)}
}

// GET /repos/{owner}/{repo}/check-runs/{id}/annotations: paginated, in the
// order they were added.
func (s *Server) listAnnotations(c *call) reply {
	cr := s.pathCheckRun(c)
	if cr == nil {
		return notFound()
	}
	lo, hi := s.paginate(c, len(cr.annotations), 0)
	out := []*github.CheckRunAnnotation{}
	out = append(out, cr.annotations[lo:hi]...)
	return reply{http.StatusOK, out}
}

// GET /repos/{owner}/{repo}/commits/{ref}/check-runs?check_name=&status=&filter=latest|all&app_id=:
// {total_count, check_runs}, newest first, paginated. filter=latest (the
// default) keeps the most recent run of each name per App.
func (s *Server) listCheckRunsForRef(c *call) reply {
	const doc = "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference"
	cm, ok := c.repo.resolveRef(c.r.PathValue("ref"))
	if !ok {
		return errReply(http.StatusUnprocessableEntity, "No commit found for SHA: "+c.r.PathValue("ref"), doc)
	}
	q := c.r.URL.Query()
	filter := q.Get("filter")
	if filter == "" {
		filter = "latest"
	}
	if filter != "latest" && filter != "all" {
		return invalidRequest(doc, fmt.Sprintf("For 'filter', %q is not one of [\"latest\", \"all\"].", filter))
	}
	runs := c.repo.runsBySHA[cm.sha]
	seen := map[string]bool{}
	var list []*checkRun
	for i := len(runs) - 1; i >= 0; i-- {
		cr := runs[i]
		key := strconv.FormatInt(cr.app.id, 10) + "/" + cr.name
		if (q.Get("check_name") != "" && cr.name != q.Get("check_name")) ||
			(q.Get("status") != "" && cr.status != q.Get("status")) ||
			(q.Get("app_id") != "" && q.Get("app_id") != strconv.FormatInt(cr.app.id, 10)) ||
			(filter == "latest" && seen[key]) {
			continue
		}
		seen[key] = true
		list = append(list, cr)
	}
	lo, hi := s.paginate(c, len(list), 0)
	out := &github.ListCheckRunsResults{Total: ptr(len(list)), CheckRuns: []*github.CheckRun{}}
	for _, cr := range list[lo:hi] {
		out.CheckRuns = append(out.CheckRuns, s.checkRunJSON(cr))
	}
	return reply{http.StatusOK, out}
}

// branchOf names a branch whose head is sha (the first by name), if any.
func (s *Server) branchOf(r *repo, sha string) string {
	best := ""
	for b, head := range r.branches {
		if head == sha && (best == "" || b < best) {
			best = b
		}
	}
	return best
}

// pullsForSHA lists the open pull requests whose head is sha, by number.
// Like GitHub, it leaves out pull requests from forks.
func (s *Server) pullsForSHA(r *repo, sha string) []*github.PullRequest {
	var match []*pull
	for _, p := range r.pulls {
		if p.state == "open" && p.headSHA == sha && !p.fromFork {
			match = append(match, p)
		}
	}
	slices.SortFunc(match, func(a, b *pull) int { return a.number - b.number })
	api := fmt.Sprintf("%s%s/repos/%s", s.base, restPrefix, r.fullName())
	ref := &github.Repository{ID: ptr(r.id), Name: ptr(r.name), URL: ptr(api)}
	out := []*github.PullRequest{}
	for _, p := range match {
		out = append(out, &github.PullRequest{
			ID: ptr(p.id), Number: ptr(p.number), URL: ptr(fmt.Sprintf("%s/pulls/%d", api, p.number)),
			Head: &github.PullRequestBranch{Ref: ptr(p.headRef), SHA: ptr(p.headSHA), Repo: ref},
			Base: &github.PullRequestBranch{Ref: ptr(p.baseRef), SHA: ptr(r.branches[p.baseRef]), Repo: ref},
		})
	}
	return out
}

func (s *Server) checkRunJSON(cr *checkRun) *github.CheckRun {
	api := fmt.Sprintf("%s%s/repos/%s/check-runs/%d", s.base, restPrefix, cr.repo.fullName(), cr.id)
	out := &github.CheckRun{
		ID: ptr(cr.id), NodeID: ptr(nodeID("CR", cr.id)), HeadSHA: ptr(cr.headSHA), Name: ptr(cr.name),
		Status: ptr(cr.status), URL: ptr(api), StartedAt: ts(cr.started),
		HTMLURL:      ptr(fmt.Sprintf("%s/%s/runs/%d", s.base, cr.repo.fullName(), cr.id)),
		CheckSuite:   &github.CheckSuite{ID: ptr(cr.suite.id)},
		App:          s.appJSON(cr.app),
		PullRequests: s.pullsForSHA(cr.repo, cr.headSHA),
		Output: &github.CheckRunOutput{
			AnnotationsCount: ptr(len(cr.annotations)), AnnotationsURL: ptr(api + "/annotations"),
		},
	}
	if cr.externalID != "" {
		out.ExternalID = ptr(cr.externalID)
	}
	if cr.detailsURL != "" {
		out.DetailsURL = ptr(cr.detailsURL)
	}
	if cr.conclusion != "" {
		out.Conclusion = ptr(cr.conclusion)
	}
	if !cr.completed.IsZero() {
		out.CompletedAt = ts(cr.completed)
	}
	if cr.hasOutput {
		out.Output.Title, out.Output.Summary = ptr(cr.title), ptr(cr.summary)
		if cr.text != "" {
			out.Output.Text = ptr(cr.text)
		}
	}
	return out
}

// checkRunEvent builds a check_run webhook; identifier is set for
// "requested_action".
func (s *Server) checkRunEvent(cr *checkRun, action string, sender *github.User, identifier string) *event {
	if cr.app.id != s.opts.AppID {
		return nil
	}
	return s.raise(cr.repo, "check_run", action, func(inst *github.Installation) any {
		e := &github.CheckRunEvent{
			Action: ptr(action), CheckRun: s.checkRunJSON(cr), Repo: s.repoJSON(cr.repo),
			Org: s.orgJSON(cr.repo.owner), Installation: inst, Sender: sender,
		}
		if identifier != "" {
			e.RequestedAction = &github.RequestedAction{Identifier: identifier}
		}
		return e
	})
}

func (s *Server) checkSuiteEvent(r *repo, cs *checkSuite, action string, sender *github.User) *event {
	return s.raise(r, "check_suite", action, func(inst *github.Installation) any {
		var before string
		if c := r.commits[cs.headSHA]; c != nil && len(c.parents) > 0 {
			before = c.parents[0]
		}
		return &github.CheckSuiteEvent{
			Action: ptr(action), Repo: s.repoJSON(r), Org: s.orgJSON(r.owner), Installation: inst, Sender: sender,
			CheckSuite: &github.CheckSuite{
				ID: ptr(cs.id), NodeID: ptr(nodeID("CS", cs.id)), HeadBranch: ptr(cs.headBranch), HeadSHA: ptr(cs.headSHA),
				Status: ptr("queued"), BeforeSHA: ptr(before), AfterSHA: ptr(cs.headSHA), App: s.appJSON(cs.app),
				PullRequests: s.pullsForSHA(r, cs.headSHA),
			},
		}
	})
}

// CheckRuns returns the check runs on a commit, oldest first, with their
// output and all annotations, for assertions.
func (s *Server) CheckRuns(owner, name, sha string) []*github.CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, name)
	out := []*github.CheckRun{}
	for _, cr := range r.runsBySHA[sha] {
		j := s.checkRunJSON(cr)
		j.Output.Annotations = append([]*github.CheckRunAnnotation(nil), cr.annotations...)
		out = append(out, j)
	}
	return out
}

// CheckRunActions returns the action buttons a run currently offers.
func (s *Server) CheckRunActions(checkRunID int64) []*github.CheckRunAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := s.checkRuns[checkRunID]
	if cr == nil {
		panic(fmt.Sprintf("githubsim: no check run %d", checkRunID))
	}
	return append([]*github.CheckRunAction(nil), cr.actions...)
}

// RerequestCheckRun is a person pressing "Re-run" on a run: check_run
// "rerequested" goes to the App that created it.
func (s *Server) RerequestCheckRun(checkRunID int64, login string) {
	s.mu.Lock()
	cr := s.checkRuns[checkRunID]
	if cr == nil {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubsim: no check run %d", checkRunID))
	}
	ev := s.checkRunEvent(cr, "rerequested", s.userLocked(login), "")
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
}

// RequestCheckRunAction is a person pressing one of the run's action
// buttons: check_run "requested_action" with requested_action.identifier.
// The identifier must be one the run offers.
func (s *Server) RequestCheckRunAction(checkRunID int64, login, identifier string) {
	s.mu.Lock()
	cr := s.checkRuns[checkRunID]
	if cr == nil || !slices.ContainsFunc(cr.actions, func(a *github.CheckRunAction) bool { return a.Identifier == identifier }) {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubsim: check run %d offers no action %q", checkRunID, identifier))
	}
	ev := s.checkRunEvent(cr, "requested_action", s.userLocked(login), identifier)
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
}

// RequestCheckSuite delivers check_suite with action "requested" or
// "rerequested" for the App's suite on a commit, as GitHub does on a push
// or when a person re-runs all checks.
func (s *Server) RequestCheckSuite(owner, name, sha, action string) {
	s.mu.Lock()
	r := s.repoLocked(owner, name)
	if r.commits[sha] == nil {
		s.mu.Unlock()
		panic("githubsim: no commit " + sha)
	}
	cs := s.suiteLocked(r, s.apps[s.opts.AppID], sha, s.branchOf(r, sha))
	ev := s.checkSuiteEvent(r, cs, action, s.userLocked(defaultActor))
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
}
