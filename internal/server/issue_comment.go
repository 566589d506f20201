package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubapi"

	"github.com/launchgate/launchgate/internal/signoff"
)

// RecheckCommand, alone on a pull request comment's first line, asks for
// a new evaluation.
const RecheckCommand = "/launchgate recheck"

// issueCommentHandler handles pull request comments (GitHub delivers them
// as issue_comment with issue.pull_request set):
//
//   - "created" with RecheckCommand as its first line re-evaluates; with
//     a waive or unwaive command (signoff.ParseCommand), the command is
//     judged with its sender;
//   - "edited" on the checklist comment judges the ticks the sender made;
//   - "deleted" of the checklist comment re-evaluates, which writes a new
//     one (its records are gone with it: the sign-offs are ticked again).
//
// Everything else is ignored from the payload alone (see skipReason),
// before it is queued. Edits by bots are ignored too: the App's own edits
// of the checklist come back as "edited" events, or every write would
// cause another, and no bot can sign off (only team members can; a bot's
// tick is reset at the next evaluation). An edit of a comment that only
// looks like the checklist is not attributed (judgeHumans keeps the edits
// of the comment the App wrote).
type issueCommentHandler struct {
	ev    *evaluator
	pulls pullGetter
}

type userPayload struct {
	Login string `json:"login"`
	Type  string `json:"type"` // "User", "Bot", "Organization"
}

type issueCommentPayload struct {
	envelope
	Issue *struct {
		Number      int       `json:"number"`
		PullRequest *struct{} `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		ID        int64       `json:"id"`
		Body      string      `json:"body"`
		User      userPayload `json:"user"`
		CreatedAt time.Time   `json:"created_at"`
	} `json:"comment"`
	Changes *struct {
		Body *struct {
			From string `json:"from"`
		} `json:"body"`
	} `json:"changes"`
	Sender *userPayload `json:"sender"`
}

// issueCommentEvent is a parsed issue_comment delivery. It reads the pull
// request when it runs; a checklist edit is judged by its sender and its
// before and after bodies, which it carries into whatever evaluation it is
// coalesced with (see carried).
type issueCommentEvent struct {
	h issueCommentHandler
	p *issueCommentPayload
}

func (h issueCommentHandler) parser() parser {
	return newParser(parseIssueComment, func(p *issueCommentPayload) event { return issueCommentEvent{h: h, p: p} })
}

func parseIssueComment(payload []byte) (*issueCommentPayload, error) {
	var p issueCommentPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	switch {
	case p.Issue == nil || p.Issue.Number <= 0:
		return nil, errors.New("issue.number is missing")
	case p.Comment == nil || p.Comment.ID <= 0:
		return nil, errors.New("comment.id is missing")
	case p.Sender == nil || p.Sender.Login == "":
		return nil, errors.New("sender.login is missing")
	case p.Action == "edited" && (p.Changes == nil || p.Changes.Body == nil):
		// A title-only change cannot happen to a comment; without the
		// previous body a tick cannot be told from an old tick.
		return nil, errors.New("changes.body.from is missing from an edited event")
	}
	return &p, nil
}

// firstLine is a body's first line without surrounding white space.
func firstLine(body string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(body, "\ufeff"), "\n")
	return strings.TrimSpace(first)
}

func (e issueCommentEvent) ignored() string { return e.p.skipReason() }

func (e issueCommentEvent) target() (githubapi.PullRequest, rank, bool) {
	if e.ignored() != "" {
		return githubapi.PullRequest{}, 0, false
	}
	return e.p.pull(e.p.Issue.Number), rankFresh, true
}

// carried implements event: a person asked for the evaluation, and an
// edit of the checklist is judged with its sender.
func (e issueCommentEvent) carried() carried {
	p := e.p
	c := carried{force: true}
	switch p.Action {
	case "edited":
		c.edits = []checklistEdit{{commentID: p.Comment.ID,
			Edit: signoff.Edit{From: p.Changes.Body.From, To: p.Comment.Body, Sender: p.Sender.Login}}}
	case "created":
		if cmd, ok := signoff.ParseCommand(p.Comment.Body); ok {
			cmd.CommentID, cmd.Sender, cmd.At = p.Comment.ID, p.Sender.Login, p.Comment.CreatedAt
			c.edits = []checklistEdit{{commentID: p.Comment.ID, command: &cmd}}
		}
	}
	return c
}

func (e issueCommentEvent) handle(ctx context.Context, c carried) error {
	h, p := e.h, e.p
	ctx, log := githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), p.Issue.Number)
	pr, err := h.pulls.PullRequest(ctx, p.Installation.ID, p.Repository.Owner.Login, p.Repository.Name, p.Issue.Number)
	switch {
	case errors.Is(err, errClosed):
		log.Info().Msg("comment on a closed pull request; ignored")
		return nil
	case err != nil:
		return err
	}
	log.Info().Str("action", p.Action).Str("sender", p.Sender.Login).Int("edits", len(c.edits)).Msg("re-evaluating after a comment")
	return h.ev.evaluate(ctx, pr, c.force, c.edits)
}

// skipReason says why a comment event cannot matter, from the payload
// alone, or "".
func (p *issueCommentPayload) skipReason() string {
	switch {
	case p.Issue.PullRequest == nil:
		return "a comment on an issue, not a pull request"
	case p.Action == "created":
		if p.Sender.Type == "Bot" {
			return "a comment by a bot"
		}
		if _, waiver := signoff.ParseCommand(p.Comment.Body); !waiver && firstLine(p.Comment.Body) != RecheckCommand {
			return "not a command"
		}
		return ""
	case p.Action == "edited":
		if firstLine(p.Comment.Body) != signoff.Marker && firstLine(p.Changes.Body.From) != signoff.Marker {
			return "not the checklist"
		}
		if p.Sender.Type == "Bot" {
			return "an edit by a bot"
		}
	case p.Action == "deleted":
		if firstLine(p.Comment.Body) != signoff.Marker {
			return "not the checklist"
		}
	default:
		return "action not handled"
	}
	if p.Comment.User.Type != "Bot" {
		return "a checklist-like comment written by a person"
	}
	return ""
}
