package githubsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// maxPullFiles: "Responses include a maximum of 3000 files"
// (https://docs.github.com/rest/pulls/pulls#list-pull-requests-files).
const maxPullFiles = 3000

// PRSpec describes a pull request to open.
type PRSpec struct {
	Title, Body string
	Head        string // branch of the repository holding the changes (see FromFork)
	Base        string // target branch; default: the default branch
	Author      string // login; default "octocat"
	Labels      []string
	Draft       bool
	// FromFork presents the head branch as coming from "<Author>/<repo>", a
	// fork. Push the head branch to the base repository first: its commits
	// live there, as refs/pull/N/head does on GitHub.
	FromFork bool
}

type pull struct {
	id               int64
	number           int
	title, body      string
	state            string // open | closed
	draft            bool
	author           *github.User
	labels           []string
	headRef, baseRef string
	headSHA          string
	fromFork         bool
	forkID           int64
	created, updated time.Time
	closed           time.Time
	// merged is set by MergePR, with who merged, the merge commit and the
	// base commit the pull request was merged onto: its base.sha from then
	// on, where an open pull request's follows its base branch.
	merged         bool
	mergedBy       *github.User
	mergeCommitSHA string
	mergedOnto     string
	requestedTeams []*team
	reviews        []*review
	comments       []*comment
}

type review struct {
	id       int64
	user     *github.User
	state    string // APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
	commitID string
	at       time.Time
}

// OpenPR opens a pull request and delivers pull_request "opened".
func (s *Server) OpenPR(owner, name string, spec PRSpec) int {
	s.mu.Lock()
	r := s.repoLocked(owner, name)
	if spec.Base == "" {
		spec.Base = r.defaultBranch
	}
	if spec.Author == "" {
		spec.Author = defaultActor
	}
	head, okHead := r.branches[spec.Head]
	if _, okBase := r.branches[spec.Base]; !okHead || !okBase {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubsim: %s: no branch %q or %q", r.fullName(), spec.Head, spec.Base))
	}
	now := s.now()
	p := &pull{
		id: s.id(), number: r.nextNumber, title: spec.Title, body: spec.Body, state: "open", draft: spec.Draft,
		author: s.userLocked(spec.Author), headRef: spec.Head, baseRef: spec.Base, headSHA: head,
		fromFork: spec.FromFork, created: now, updated: now,
	}
	if p.fromFork {
		p.forkID = s.id()
	}
	for _, l := range spec.Labels {
		s.labelLocked(r, l)
		p.labels = append(p.labels, l)
	}
	r.nextNumber++
	r.pulls[p.number] = p
	ev := s.pullEvent(r, p, "opened", p.author, nil)
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
	return p.number
}

func (s *Server) pullLocked(owner, name string, number int) (*repo, *pull) {
	r := s.repoLocked(owner, name)
	p := r.pulls[number]
	if p == nil {
		panic(fmt.Sprintf("githubsim: no pull request %s#%d", r.fullName(), number))
	}
	return r, p
}

// changePR applies a person's change to a pull request and delivers the
// pull_request event it causes (none when change returns "").
func (s *Server) changePR(owner, name string, number int, login string, change func(p *pull) (action string, edit func(*github.PullRequestEvent))) {
	s.mu.Lock()
	r, p := s.pullLocked(owner, name, number)
	action, edit := change(p)
	var ev *event
	if action != "" {
		p.updated = s.now()
		ev = s.pullEvent(r, p, action, s.userLocked(login), edit)
	}
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
}

// Label adds a label (pull_request "labeled"; nothing if already there).
func (s *Server) Label(owner, name string, number int, login, label string) {
	s.changePR(owner, name, number, login, func(p *pull) (string, func(*github.PullRequestEvent)) {
		if slices.Contains(p.labels, label) {
			return "", nil
		}
		p.labels = append(p.labels, label)
		r := s.repoLocked(owner, name)
		l := s.labelLocked(r, label)
		return "labeled", func(e *github.PullRequestEvent) { e.Label = l }
	})
}

// Unlabel removes a label (pull_request "unlabeled").
func (s *Server) Unlabel(owner, name string, number int, login, label string) {
	s.changePR(owner, name, number, login, func(p *pull) (string, func(*github.PullRequestEvent)) {
		i := slices.Index(p.labels, label)
		if i < 0 {
			return "", nil
		}
		p.labels = slices.Delete(p.labels, i, i+1)
		l := s.labelLocked(s.repoLocked(owner, name), label)
		return "unlabeled", func(e *github.PullRequestEvent) { e.Label = l }
	})
}

// EditTitle changes the title (pull_request "edited" with changes.title.from).
func (s *Server) EditTitle(owner, name string, number int, login, title string) {
	s.changePR(owner, name, number, login, func(p *pull) (string, func(*github.PullRequestEvent)) {
		from := p.title
		p.title = title
		return "edited", func(e *github.PullRequestEvent) {
			e.Changes = &github.EditChange{Title: &github.EditTitle{From: ptr(from)}}
		}
	})
}

// EditBody changes the description (pull_request "edited" with changes.body.from).
func (s *Server) EditBody(owner, name string, number int, login, body string) {
	s.changePR(owner, name, number, login, func(p *pull) (string, func(*github.PullRequestEvent)) {
		from := p.body
		p.body = body
		return "edited", func(e *github.PullRequestEvent) {
			e.Changes = &github.EditChange{Body: &github.EditBody{From: ptr(from)}}
		}
	})
}

// SetDraft converts to draft ("converted_to_draft") or marks ready for
// review ("ready_for_review").
func (s *Server) SetDraft(owner, name string, number int, login string, draft bool) {
	s.changePR(owner, name, number, login, func(p *pull) (string, func(*github.PullRequestEvent)) {
		if p.draft == draft {
			return "", nil
		}
		p.draft = draft
		if draft {
			return "converted_to_draft", nil
		}
		return "ready_for_review", nil
	})
}

// ClosePR closes (pull_request "closed") and ReopenPR reopens ("reopened").
func (s *Server) ClosePR(owner, name string, number int, login string) {
	s.changePR(owner, name, number, login, func(p *pull) (string, func(*github.PullRequestEvent)) {
		if p.state == "closed" {
			return "", nil
		}
		p.state, p.closed = "closed", s.now()
		return "closed", nil
	})
}

// MergePR merges an open pull request as GitHub's merge button does with
// a merge commit: a commit on the base branch whose parents are the base
// and the head, holding the head's tree (the simulator has no conflicts
// to resolve). As GitHub documents
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request),
// it delivers pull_request "closed" with merged true, merged_by,
// merged_at and merge_commit_sha, then the push of the base branch. The
// payload's base.sha stays the commit the pull request was merged onto,
// not the merge commit. It returns the merge commit's SHA.
func (s *Server) MergePR(owner, name string, number int, login string) string {
	s.mu.Lock()
	r, p := s.pullLocked(owner, name, number)
	if p.state != "open" {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubsim: %s#%d is not open; GitHub cannot merge it", r.fullName(), number))
	}
	before := r.branches[p.baseRef]
	merge := r.writeCommit(r.commits[p.headSHA].tree, fmt.Sprintf("Merge pull request #%d from %s", p.number, p.headRef), []string{before, p.headSHA})
	r.branches[p.baseRef] = merge
	old, now := map[string]string{}, map[string]string{}
	r.flatten(r.commits[before].tree, "", old)
	r.flatten(r.commits[merge].tree, "", now)
	var added, removed, modified []string
	for _, path := range slices.Sorted(maps.Keys(now)) {
		if o, had := old[path]; !had {
			added = append(added, path)
		} else if o != now[path] {
			modified = append(modified, path)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(old)) {
		if _, kept := now[path]; !kept {
			removed = append(removed, path)
		}
	}
	sender := s.userLocked(login)
	p.state, p.closed, p.updated = "closed", s.now(), s.now()
	p.merged, p.mergedBy, p.mergeCommitSHA, p.mergedOnto = true, sender, merge, before
	events := []*event{
		s.pullEvent(r, p, "closed", sender, nil),
		s.pushEvent(r, p.baseRef, before, merge, added, removed, modified),
	}
	s.mu.Unlock()
	s.deliverAll(events)
	return merge
}

// ReopenPR reopens a closed pull request (pull_request "reopened").
func (s *Server) ReopenPR(owner, name string, number int, login string) {
	s.changePR(owner, name, number, login, func(p *pull) (string, func(*github.PullRequestEvent)) {
		if p.state == "open" {
			return "", nil
		}
		p.state, p.closed = "open", time.Time{}
		return "reopened", nil
	})
}

// SubmitReview records login's review (state APPROVED, CHANGES_REQUESTED
// or COMMENTED) of the current head and delivers pull_request_review
// "submitted". It returns the review ID.
func (s *Server) SubmitReview(owner, name string, number int, login, state string) int64 {
	if state != "APPROVED" && state != "CHANGES_REQUESTED" && state != "COMMENTED" {
		panic("githubsim: review state must be APPROVED, CHANGES_REQUESTED or COMMENTED, not " + state)
	}
	s.mu.Lock()
	r, p := s.pullLocked(owner, name, number)
	rv := &review{id: s.id(), user: s.userLocked(login), state: state, commitID: p.headSHA, at: s.now()}
	p.reviews = append(p.reviews, rv)
	ev := s.reviewEvent(r, p, rv, "submitted", rv.user)
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
	return rv.id
}

// DismissReview dismisses a review (pull_request_review "dismissed"; its
// state becomes DISMISSED).
func (s *Server) DismissReview(owner, name string, number int, reviewID int64, login string) {
	s.mu.Lock()
	r, p := s.pullLocked(owner, name, number)
	i := slices.IndexFunc(p.reviews, func(rv *review) bool { return rv.id == reviewID })
	if i < 0 {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubsim: no review %d on %s#%d", reviewID, r.fullName(), number))
	}
	p.reviews[i].state = "DISMISSED"
	ev := s.reviewEvent(r, p, p.reviews[i], "dismissed", s.userLocked(login))
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
}

func (s *Server) labelLocked(r *repo, name string) *github.Label {
	key := strings.ToLower(name)
	if l := r.labels[key]; l != nil {
		return l
	}
	id := s.id()
	l := &github.Label{
		ID: ptr(id), NodeID: ptr(nodeID("LA", id)), Name: ptr(name), Color: ptr("ededed"), Default: ptr(false),
		URL: ptr(fmt.Sprintf("%s%s/repos/%s/labels/%s", s.base, restPrefix, r.fullName(), name)),
	}
	r.labels[key] = l
	return l
}

func (r *repo) openPullsFrom(branch string) []int {
	var out []int
	for n, p := range r.pulls {
		if p.state == "open" && p.headRef == branch {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func (s *Server) forkJSON(r *repo, p *pull) *github.Repository {
	full := p.author.GetLogin() + "/" + r.name
	return &github.Repository{
		ID: ptr(p.forkID), NodeID: ptr(nodeID("R", p.forkID)), Name: ptr(r.name), FullName: ptr(full),
		Owner: p.author, Private: ptr(true), Fork: ptr(true), DefaultBranch: ptr(r.defaultBranch),
		URL: ptr(s.base + restPrefix + "/repos/" + full), HTMLURL: ptr(s.base + "/" + full),
	}
}

// pullJSON renders a pull request; detail adds the diff statistics GitHub
// only includes when one pull request is fetched (and in webhooks).
func (s *Server) pullJSON(r *repo, p *pull, detail bool) *github.PullRequest {
	api := fmt.Sprintf("%s%s/repos/%s", s.base, restPrefix, r.fullName())
	html := fmt.Sprintf("%s/%s/pull/%d", s.base, r.fullName(), p.number)
	baseRepo := s.repoJSON(r)
	headRepo, headOwner := baseRepo, r.owner.user
	if p.fromFork {
		headRepo, headOwner = s.forkJSON(r, p), p.author
	}
	out := &github.PullRequest{
		ID: ptr(p.id), NodeID: ptr(nodeID("PR", p.id)), Number: ptr(p.number), State: ptr(p.state),
		Locked: ptr(false), Title: ptr(p.title), Body: ptr(p.body), Draft: ptr(p.draft), User: p.author,
		Labels: []*github.Label{}, CreatedAt: ts(p.created), UpdatedAt: ts(p.updated), Merged: ptr(false),
		URL: ptr(fmt.Sprintf("%s/pulls/%d", api, p.number)), HTMLURL: ptr(html),
		DiffURL: ptr(html + ".diff"), PatchURL: ptr(html + ".patch"),
		IssueURL:          ptr(fmt.Sprintf("%s/issues/%d", api, p.number)),
		CommentsURL:       ptr(fmt.Sprintf("%s/issues/%d/comments", api, p.number)),
		CommitsURL:        ptr(fmt.Sprintf("%s/pulls/%d/commits", api, p.number)),
		ReviewCommentsURL: ptr(fmt.Sprintf("%s/pulls/%d/comments", api, p.number)),
		StatusesURL:       ptr(api + "/statuses/" + p.headSHA),
		AuthorAssociation: ptr("MEMBER"), RequestedReviewers: []*github.User{}, RequestedTeams: []*github.Team{},
		Head: &github.PullRequestBranch{
			Label: ptr(headOwner.GetLogin() + ":" + p.headRef), Ref: ptr(p.headRef), SHA: ptr(p.headSHA),
			Repo: headRepo, User: headOwner,
		},
		Base: &github.PullRequestBranch{
			Label: ptr(r.owner.login + ":" + p.baseRef), Ref: ptr(p.baseRef), SHA: ptr(r.branches[p.baseRef]),
			Repo: baseRepo, User: r.owner.user,
		},
	}
	if !p.closed.IsZero() {
		out.ClosedAt = ts(p.closed)
	}
	if p.merged {
		out.Merged, out.MergedAt, out.MergedBy, out.MergeCommitSHA = ptr(true), ts(p.closed), p.mergedBy, ptr(p.mergeCommitSHA)
		out.Base.SHA = ptr(p.mergedOnto)
	}
	for _, l := range p.labels {
		out.Labels = append(out.Labels, s.labelLocked(r, l))
	}
	for _, t := range p.requestedTeams {
		out.RequestedTeams = append(out.RequestedTeams, s.teamJSON(t))
	}
	if detail {
		d := s.prDiff(r, p)
		add, del := 0, 0
		for _, f := range d.files {
			add, del = add+f.additions, del+f.deletions
		}
		out.Additions, out.Deletions, out.ChangedFiles = ptr(add), ptr(del), ptr(len(d.files))
		out.Commits, out.Comments, out.ReviewComments = ptr(d.commits), ptr(len(p.comments)), ptr(0)
		out.Mergeable, out.MergeableState = ptr(true), ptr("clean")
	}
	return out
}

func (s *Server) pullEvent(r *repo, p *pull, action string, sender *github.User, edit func(*github.PullRequestEvent)) *event {
	return s.raise(r, "pull_request", action, func(inst *github.Installation) any {
		e := &github.PullRequestEvent{
			Action: ptr(action), Number: ptr(p.number), PullRequest: s.pullJSON(r, p, true),
			Repo: s.repoJSON(r), Organization: s.orgJSON(r.owner), Installation: inst, Sender: sender,
		}
		if edit != nil {
			edit(e)
		}
		return e
	})
}

func (s *Server) reviewJSON(r *repo, p *pull, rv *review) *github.PullRequestReview {
	api := fmt.Sprintf("%s%s/repos/%s/pulls/%d", s.base, restPrefix, r.fullName(), p.number)
	return &github.PullRequestReview{
		ID: ptr(rv.id), NodeID: ptr(nodeID("PRR", rv.id)), User: rv.user, Body: ptr(""), State: ptr(rv.state),
		CommitID: ptr(rv.commitID), SubmittedAt: ts(rv.at), PullRequestURL: ptr(api),
		HTMLURL:           ptr(fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", s.base, r.fullName(), p.number, rv.id)),
		AuthorAssociation: ptr("MEMBER"),
	}
}

// reviewEvent: in pull_request_review webhooks review.state is lower case
// ("approved"), unlike the REST API's "APPROVED" (see octokit/webhooks
// payload-examples/api.github.com/pull_request_review/submitted.payload.json).
func (s *Server) reviewEvent(r *repo, p *pull, rv *review, action string, sender *github.User) *event {
	return s.raise(r, "pull_request_review", action, func(inst *github.Installation) any {
		j := s.reviewJSON(r, p, rv)
		j.State = ptr(strings.ToLower(rv.state))
		return &github.PullRequestReviewEvent{
			Action: ptr(action), Review: j, PullRequest: s.pullJSON(r, p, false), Repo: s.repoJSON(r),
			Organization: s.orgJSON(r.owner), Installation: inst, Sender: sender,
		}
	})
}

func (s *Server) pathPull(c *call) *pull {
	n, _ := strconv.Atoi(c.r.PathValue("number"))
	return c.repo.pulls[n]
}

// GET /repos/{owner}/{repo}/pulls/{number}
func (s *Server) getPull(c *call) reply {
	p := s.pathPull(c)
	if p == nil {
		return notFound()
	}
	return reply{http.StatusOK, s.pullJSON(c.repo, p, true)}
}

// GET /repos/{owner}/{repo}/pulls?state=open|closed|all&base=&head=owner:ref,
// newest first (https://docs.github.com/rest/pulls/pulls#list-pull-requests).
func (s *Server) listPulls(c *call) reply {
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var list []*pull
	for _, p := range c.repo.pulls {
		if (state == "all" || p.state == state) && (q.Get("base") == "" || q.Get("base") == p.baseRef) &&
			(q.Get("head") == "" || strings.EqualFold(q.Get("head"), s.headLabel(c.repo, p))) {
			list = append(list, p)
		}
	}
	slices.SortFunc(list, func(a, b *pull) int { return b.number - a.number })
	lo, hi := s.paginate(c, len(list), 0)
	out := []*github.PullRequest{}
	for _, p := range list[lo:hi] {
		out = append(out, s.pullJSON(c.repo, p, false))
	}
	return reply{http.StatusOK, out}
}

func (s *Server) headLabel(r *repo, p *pull) string {
	if p.fromFork {
		return p.author.GetLogin() + ":" + p.headRef
	}
	return r.owner.login + ":" + p.headRef
}

// GET /repos/{owner}/{repo}/pulls/{number}/files: the three-dot diff between
// the merge base and the head, paginated, at most 3,000 files.
func (s *Server) listPullFiles(c *call) reply {
	p := s.pathPull(c)
	if p == nil {
		return notFound()
	}
	files := s.prDiff(c.repo, p).files
	lo, hi := s.paginate(c, len(files), maxPullFiles)
	api := fmt.Sprintf("%s%s/repos/%s/contents/", s.base, restPrefix, c.repo.fullName())
	out := []*github.CommitFile{}
	for _, f := range files[lo:hi] {
		cf := &github.CommitFile{
			SHA: ptr(f.sha), Filename: ptr(f.path), Status: ptr(f.status), Additions: ptr(f.additions),
			Deletions: ptr(f.deletions), Changes: ptr(f.additions + f.deletions),
			BlobURL:     ptr(fmt.Sprintf("%s/%s/blob/%s/%s", s.base, c.repo.fullName(), p.headSHA, f.path)),
			RawURL:      ptr(fmt.Sprintf("%s/%s/raw/%s/%s", s.base, c.repo.fullName(), p.headSHA, f.path)),
			ContentsURL: ptr(api + f.path + "?ref=" + p.headSHA),
		}
		if f.patch != "" {
			cf.Patch = ptr(f.patch)
		}
		out = append(out, cf)
	}
	return reply{http.StatusOK, out}
}

// GET /repos/{owner}/{repo}/pulls/{number}/reviews: oldest first, paginated.
func (s *Server) listReviews(c *call) reply {
	p := s.pathPull(c)
	if p == nil {
		return notFound()
	}
	lo, hi := s.paginate(c, len(p.reviews), 0)
	out := []*github.PullRequestReview{}
	for _, rv := range p.reviews[lo:hi] {
		out = append(out, s.reviewJSON(c.repo, p, rv))
	}
	return reply{http.StatusOK, out}
}

// POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers: 201 with
// the pull request; 422 when a team does not exist or cannot access the
// repository, or when the author is asked to review
// (https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request).
func (s *Server) requestReviewers(c *call) reply {
	const doc = "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request"
	p := s.pathPull(c)
	if p == nil {
		return notFound()
	}
	var in struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON", doc)
	}
	var teams []*team
	for _, slug := range in.TeamReviewers {
		t := c.repo.owner.teams[strings.ToLower(slug)]
		if t == nil || !t.canAccess(c.repo) {
			return errReply(http.StatusUnprocessableEntity, fmt.Sprintf(
				"Reviews may only be requested from collaborators. One or more of the teams you specified is not a collaborator of the %s repository.",
				c.repo.fullName()), doc)
		}
		teams = append(teams, t)
	}
	for _, login := range in.Reviewers {
		if strings.EqualFold(login, p.author.GetLogin()) {
			return errReply(http.StatusUnprocessableEntity, "Review cannot be requested from pull request author.", doc)
		}
	}
	for _, t := range teams {
		if !slices.Contains(p.requestedTeams, t) {
			p.requestedTeams = append(p.requestedTeams, t)
			c.emit(s.pullEvent(c.repo, p, "review_requested", c.app.bot, func(e *github.PullRequestEvent) {
				e.RequestedTeam = s.teamJSON(t)
			}))
		}
	}
	for _, login := range in.Reviewers {
		u := s.userLocked(login)
		c.emit(s.pullEvent(c.repo, p, "review_requested", c.app.bot, func(e *github.PullRequestEvent) {
			e.RequestedReviewer = u
		}))
	}
	return reply{http.StatusCreated, s.pullJSON(c.repo, p, false)}
}
