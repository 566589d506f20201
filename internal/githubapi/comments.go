package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Comment is a pull request conversation comment (the Issues API's issue
// comment).
type Comment struct {
	ID      int64
	Author  string // login
	Body    string
	HTMLURL string
}

func commentOf(c *github.IssueComment) *Comment {
	return &Comment{ID: c.GetID(), Author: c.GetUser().GetLogin(), Body: c.GetBody(), HTMLURL: c.GetHTMLURL()}
}

// marked reports whether body's first line is marker.
func marked(body, marker string) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(body, "\ufeff"), "\n")
	return strings.TrimSpace(first) == marker
}

// MarkedComment returns the oldest comment of a pull request that author
// wrote and whose first line is marker, or nil when there is none. The
// comment's ID is remembered per pull request and marker, so that later
// calls read it directly (GET …/issues/comments/{id}) instead of listing
// the conversation; the listing stops at the first match, which is on the
// first page for a comment written when the pull request was young.
//
// Only author's comments count: anyone can post a comment starting with
// the marker, and the caller must not mistake it for its own.
func (c *Client) MarkedComment(ctx context.Context, pr PullRequest, marker, author string) (*Comment, error) {
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s#%d:%s", pr.fullName(), pr.Number, marker)
	if id, ok := c.commentIDs.Get(key); ok {
		cm, resp, err := ic.rest.Issues.GetComment(ctx, pr.Owner, pr.Repo, id)
		switch {
		case err == nil && strings.EqualFold(cm.GetUser().GetLogin(), author) && marked(cm.GetBody(), marker):
			return commentOf(cm), nil
		case err == nil, resp != nil && resp.StatusCode == http.StatusNotFound:
			// Deleted, or no longer marked: look again.
		default:
			return nil, fmt.Errorf("githubapi: reading comment %d of %s#%d: %w", id, pr.fullName(), pr.Number, err)
		}
	}
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := ic.rest.Issues.ListComments(ctx, pr.Owner, pr.Repo, pr.Number, opts)
		if err != nil {
			return nil, fmt.Errorf("githubapi: listing the comments of %s#%d: %w", pr.fullName(), pr.Number, err)
		}
		for _, cm := range page {
			if strings.EqualFold(cm.GetUser().GetLogin(), author) && marked(cm.GetBody(), marker) {
				c.commentIDs.Add(key, cm.GetID())
				return commentOf(cm), nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// CreateComment posts a comment on a pull request. A comment whose first
// line is a marker is remembered for MarkedComment.
func (c *Client) CreateComment(ctx context.Context, pr PullRequest, marker, body string) (*Comment, error) {
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, err
	}
	cm, _, err := ic.rest.Issues.CreateComment(ctx, pr.Owner, pr.Repo, pr.Number, &github.IssueComment{Body: &body})
	if err != nil {
		return nil, fmt.Errorf("githubapi: commenting on %s#%d: %w", pr.fullName(), pr.Number, err)
	}
	if marker != "" && marked(body, marker) {
		c.commentIDs.Add(fmt.Sprintf("%s#%d:%s", pr.fullName(), pr.Number, marker), cm.GetID())
	}
	return commentOf(cm), nil
}

// EditComment replaces the body of comment id on pr's repository.
func (c *Client) EditComment(ctx context.Context, pr PullRequest, id int64, body string) (*Comment, error) {
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, err
	}
	cm, _, err := ic.rest.Issues.EditComment(ctx, pr.Owner, pr.Repo, id, &github.IssueComment{Body: &body})
	if err != nil {
		return nil, fmt.Errorf("githubapi: editing comment %d of %s#%d: %w", id, pr.fullName(), pr.Number, err)
	}
	return commentOf(cm), nil
}
