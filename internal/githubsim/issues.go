package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// Pull request conversation comments live in the Issues API
// (https://docs.github.com/rest/issues/comments). Only pull requests exist
// here, so an issue number is a pull request number. Bodies hold at most
// 65,536 characters. Every create or edit, by a person or by the App,
// delivers issue_comment "created"/"edited" (with changes.body.from) whose
// sender is the actor: the App's "<slug>[bot]" user for API calls, so an App
// must recognise its own edits.
const (
	maxCommentChars = 65536
	docsComments    = "https://docs.github.com/rest/issues/comments"
)

type comment struct {
	id               int64
	repo             *repo
	pull             *pull
	user             *github.User
	body             string
	created, updated time.Time
}

func (s *Server) commentJSON(cm *comment) *github.IssueComment {
	api := fmt.Sprintf("%s%s/repos/%s/issues", s.base, restPrefix, cm.repo.fullName())
	return &github.IssueComment{
		ID: ptr(cm.id), NodeID: ptr(nodeID("IC", cm.id)), Body: ptr(cm.body), User: cm.user,
		CreatedAt: ts(cm.created), UpdatedAt: ts(cm.updated), AuthorAssociation: ptr("MEMBER"),
		URL:      ptr(fmt.Sprintf("%s/comments/%d", api, cm.id)),
		HTMLURL:  ptr(fmt.Sprintf("%s/%s/pull/%d#issuecomment-%d", s.base, cm.repo.fullName(), cm.pull.number, cm.id)),
		IssueURL: ptr(fmt.Sprintf("%s/%d", api, cm.pull.number)),
	}
}

// issueJSON is a pull request as the Issues API shows it: with a
// "pull_request" object, which is how issue_comment receivers tell pull
// request comments from issue comments.
func (s *Server) issueJSON(r *repo, p *pull) *github.Issue {
	pj := s.pullJSON(r, p, false)
	return &github.Issue{
		ID: pj.ID, NodeID: pj.NodeID, Number: pj.Number, State: pj.State, Title: pj.Title, Body: pj.Body,
		User: pj.User, Labels: pj.Labels, Comments: ptr(len(p.comments)), CreatedAt: pj.CreatedAt,
		UpdatedAt: pj.UpdatedAt, ClosedAt: pj.ClosedAt, Locked: ptr(false), Draft: pj.Draft,
		URL: pj.IssueURL, HTMLURL: pj.HTMLURL, CommentsURL: pj.CommentsURL, AuthorAssociation: ptr("MEMBER"),
		RepositoryURL:    ptr(fmt.Sprintf("%s%s/repos/%s", s.base, restPrefix, r.fullName())),
		PullRequestLinks: &github.PullRequestLinks{URL: pj.URL, HTMLURL: pj.HTMLURL, DiffURL: pj.DiffURL, PatchURL: pj.PatchURL},
	}
}

func (s *Server) commentEvent(cm *comment, action string, sender *github.User, from *string) *event {
	return s.raise(cm.repo, "issue_comment", action, func(inst *github.Installation) any {
		e := &github.IssueCommentEvent{
			Action: ptr(action), Issue: s.issueJSON(cm.repo, cm.pull), Comment: s.commentJSON(cm),
			Repo: s.repoJSON(cm.repo), Organization: s.orgJSON(cm.repo.owner), Installation: inst, Sender: sender,
		}
		if from != nil {
			e.Changes = &github.EditChange{Body: &github.EditBody{From: from}}
		}
		return e
	})
}

// checkCommentBody returns GitHub's 422 for a missing or too long body.
func checkCommentBody(body []byte) (string, *reply) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		r := errReply(http.StatusBadRequest, "Problems parsing JSON", docsComments)
		return "", &r
	}
	if in.Body == nil {
		r := validationFailed(docsComments, fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return "", &r
	}
	if n := utf8.RuneCountInString(*in.Body); n > maxCommentChars {
		r := validationFailed(docsComments, fieldError{Resource: "IssueComment", Field: "body", Code: "custom",
			Message: fmt.Sprintf("body is too long (maximum is %d characters)", maxCommentChars)})
		return "", &r
	}
	return *in.Body, nil
}

// AddComment is login commenting on a pull request (issue_comment
// "created"); it returns the comment ID.
func (s *Server) AddComment(owner, name string, number int, login, body string) int64 {
	s.mu.Lock()
	r, p := s.pullLocked(owner, name, number)
	cm := s.addCommentLocked(r, p, s.userLocked(login), body)
	ev := s.commentEvent(cm, "created", cm.user, nil)
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
	return cm.id
}

func (s *Server) addCommentLocked(r *repo, p *pull, user *github.User, body string) *comment {
	now := s.now()
	cm := &comment{id: s.id(), repo: r, pull: p, user: user, body: body, created: now, updated: now}
	p.comments = append(p.comments, cm)
	s.comments[cm.id] = cm
	return cm
}

// EditComment is login editing a comment, e.g. ticking a task-list box: the
// body changes and issue_comment "edited" carries changes.body.from with
// sender = login.
func (s *Server) EditComment(owner, name string, commentID int64, login, newBody string) {
	s.mu.Lock()
	r := s.repoLocked(owner, name)
	cm := s.comments[commentID]
	if cm == nil || cm.repo != r {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubsim: no comment %d in %s", commentID, r.fullName()))
	}
	from := cm.body
	cm.body, cm.updated = newBody, s.now()
	ev := s.commentEvent(cm, "edited", s.userLocked(login), &from)
	s.mu.Unlock()
	s.deliverAll([]*event{ev})
}

// Comments returns a pull request's comments, oldest first.
func (s *Server) Comments(owner, name string, number int) []*github.IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p := s.pullLocked(owner, name, number)
	out := []*github.IssueComment{}
	for _, cm := range p.comments {
		out = append(out, s.commentJSON(cm))
	}
	return out
}

// getIssueSubresource routes GET …/issues/{number}/comments and GET
// …/issues/comments/{id}, whose patterns overlap in net/http's ServeMux.
func (s *Server) getIssueSubresource(c *call) reply {
	x, y := c.r.PathValue("x"), c.r.PathValue("y")
	switch {
	case x == "comments":
		c.r.SetPathValue("id", y)
		return s.getComment(c)
	case y == "comments":
		c.r.SetPathValue("number", x)
		return s.listComments(c)
	}
	return notFound()
}

// GET /repos/{owner}/{repo}/issues/{number}/comments: oldest first, paginated.
func (s *Server) listComments(c *call) reply {
	p := s.pathPull(c)
	if p == nil {
		return notFound()
	}
	lo, hi := s.paginate(c, len(p.comments), 0)
	out := []*github.IssueComment{}
	for _, cm := range p.comments[lo:hi] {
		out = append(out, s.commentJSON(cm))
	}
	return reply{http.StatusOK, out}
}

// POST /repos/{owner}/{repo}/issues/{number}/comments: 201, by the App's bot.
func (s *Server) createComment(c *call) reply {
	p := s.pathPull(c)
	if p == nil {
		return notFound()
	}
	body, bad := checkCommentBody(c.body)
	if bad != nil {
		return *bad
	}
	cm := s.addCommentLocked(c.repo, p, c.app.bot, body)
	j := s.commentJSON(cm)
	c.header.Set("Location", j.GetURL())
	c.emit(s.commentEvent(cm, "created", c.app.bot, nil))
	return reply{http.StatusCreated, j}
}

func (s *Server) pathComment(c *call) *comment {
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if cm := s.comments[id]; cm != nil && cm.repo == c.repo {
		return cm
	}
	return nil
}

// GET /repos/{owner}/{repo}/issues/comments/{id}
func (s *Server) getComment(c *call) reply {
	cm := s.pathComment(c)
	if cm == nil {
		return notFound()
	}
	return reply{http.StatusOK, s.commentJSON(cm)}
}

// PATCH /repos/{owner}/{repo}/issues/comments/{id}: the App edits; delivers
// issue_comment "edited" with sender = the App's bot.
func (s *Server) updateComment(c *call) reply {
	cm := s.pathComment(c)
	if cm == nil {
		return notFound()
	}
	body, bad := checkCommentBody(c.body)
	if bad != nil {
		return *bad
	}
	from := cm.body
	cm.body, cm.updated = body, s.now()
	c.emit(s.commentEvent(cm, "edited", c.app.bot, &from))
	return reply{http.StatusOK, s.commentJSON(cm)}
}
