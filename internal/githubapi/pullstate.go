package githubapi

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/approval"
)

// PullState is what people did on a pull request and what this App last
// published on its head commit, read together (Client.PullState).
type PullState struct {
	Reviews []approval.Review
	// Run is this App's latest run of the name on the head commit, for
	// CheckRun.Read; nil when the query could not tell, and publishing
	// lists the runs.
	Run *RunRead
	// Comment is this App's marked comment as read: the one the run
	// names (its external_id, or else its details link), or the one
	// remembered (see MarkedComment). nil
	// when the query did not find it; MarkedComment looks for it then.
	Comment *Comment
	// Required says whether the base branch requires the check runName
	// from this App, read in the same query; nil when the query could not
	// tell it (advice only: nothing is judged on it).
	Required *RequiredCheck
}

// pullStateQuery reads a pull request's reviews, its latest comments and
// this App's run on its head commit
// (https://docs.github.com/en/graphql/reference/objects#pullrequest,
// #pullrequestreview, #issuecomment). IssueComment.fullDatabaseId is the
// REST comment id (a BigInt, sent as a string).
var pullStateQuery = `query($owner: String!, $name: String!, $number: Int!, $head: GitObjectID!, $suites: CheckSuiteFilter, $runs: CheckRunFilter, $base: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(first: 100) { pageInfo { hasNextPage } nodes { state submittedAt author { login } commit { oid } } }
      comments(last: 100) { nodes { fullDatabaseId body url } }
    }
    ` + fmt.Sprintf(runSelection, "detailsUrl text") + `
    ` + baseRefSelection + `
  }
}`

type pullStateData struct {
	Repository *struct {
		PullRequest *struct {
			Reviews struct {
				PageInfo gqlPageInfo `json:"pageInfo"`
				Nodes    []struct {
					State       string     `json:"state"`
					SubmittedAt *time.Time `json:"submittedAt"`
					Author      *struct {
						Login string `json:"login"`
					} `json:"author"`
					Commit *struct {
						OID string `json:"oid"`
					} `json:"commit"`
				} `json:"nodes"`
			} `json:"reviews"`
			Comments struct {
				Nodes []struct {
					FullDatabaseID string `json:"fullDatabaseId"`
					Body           string `json:"body"`
					URL            string `json:"url"`
				} `json:"nodes"`
			} `json:"comments"`
		} `json:"pullRequest"`
		Head *gqlHead    `json:"head"`
		Base *gqlBaseRef `json:"base"`
	} `json:"repository"`
}

// PullState reads, in one GraphQL query, what a re-evaluation of a launch
// PR reads besides memberships: its reviews (as Reviews returns them), this
// App's latest run named runName on its head commit, and this App's
// comment whose first line is marker when the run (checklistOfRun), or an
// earlier MarkedComment, names it and it is among the latest 100 comments,
// and whether the base branch requires the check (as RequiredCheck judges
// it, without RequiredCheck's two REST requests).
// A suite of this App also tells the App's login, which AppLogin then
// returns without asking GitHub.
//
// What the query cannot answer for certain is read the usual way: a
// failed query or more than 100 reviews reads the reviews over REST; a run
// it cannot tell is nil, a comment it did not find is nil.
func (c *Client) PullState(ctx context.Context, pr PullRequest, runName, marker string) (*PullState, error) {
	if err := CheckSHA("head SHA", pr.HeadSHA); err != nil {
		return nil, err
	}
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, err
	}
	var data pullStateData
	vars := c.runVars(pr, runName)
	vars["base"] = "refs/heads/" + pr.BaseRef
	gqlErrs, qerr := ic.graphql(ctx, pullStateQuery, vars, &data)
	// Errors about the base ref only cost the Required answer.
	var refErrs []GraphQLError
	gqlErrs = slices.DeleteFunc(gqlErrs, func(e GraphQLError) bool {
		if e.atBaseRef() {
			refErrs = append(refErrs, e)
			return true
		}
		return false
	})
	if qerr != nil || len(gqlErrs) > 0 || data.Repository == nil || data.Repository.PullRequest == nil {
		reviews, err := c.Reviews(ctx, pr)
		if err != nil {
			return nil, err
		}
		return &PullState{Reviews: reviews}, nil
	}
	st := &PullState{}
	if p, ok := protectionOf(data.Repository.Base, refErrs); ok {
		req := p.judge(runName, c.opts.AppID)
		st.Required = &req
	}
	var slug string
	st.Run, slug = c.runRead(data.Repository.Head, runName)
	c.appMu.Lock()
	if slug != "" {
		c.appLogin = slug + "[bot]" // the login of an App's bot user, as AppLogin makes it of GET /app's slug
	}
	login := c.appLogin
	c.appMu.Unlock()
	got := data.Repository.PullRequest
	if got.Reviews.PageInfo.HasNextPage {
		if st.Reviews, err = c.Reviews(ctx, pr); err != nil {
			return nil, err
		}
	} else {
		for _, r := range got.Reviews.Nodes {
			rv := approval.Review{State: r.State}
			if r.Author != nil {
				rv.User = r.Author.Login
			}
			if r.SubmittedAt != nil {
				rv.SubmittedAt = *r.SubmittedAt
			}
			if r.Commit != nil {
				rv.CommitID = r.Commit.OID
			}
			st.Reviews = append(st.Reviews, rv)
		}
	}
	key := fmt.Sprintf("%s#%d:%s", pr.fullName(), pr.Number, marker)
	want, known := c.commentIDs.Get(key)
	if !known && st.Run != nil {
		want, known = checklistOfRun(st.Run)
	}
	for _, cm := range got.Comments.Nodes {
		id, err := strconv.ParseInt(cm.FullDatabaseID, 10, 64)
		if known && err == nil && id == want && marked(cm.Body, marker) {
			c.commentIDs.Add(key, id)
			st.Comment = &Comment{ID: id, Author: login, Body: cm.Body, HTMLURL: cm.URL}
		}
	}
	return st, nil
}

// checklistOfRun is the id of the comment a run names: its external_id's
// (RunID.Comment), else, for a run of a launchgate release that did not
// write it there, the one its Details link names.
func checklistOfRun(run *RunRead) (int64, bool) {
	if id, err := ParseRunID(run.ExternalID); err == nil && id.Comment != 0 {
		return id.Comment, true
	}
	return commentIDOfURL(run.DetailsURL)
}

// commentIDOfURL is the id in a comment's HTML URL, "...#issuecomment-ID".
func commentIDOfURL(u string) (int64, bool) {
	_, frag, ok := strings.Cut(u, "#issuecomment-")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(frag, 10, 64)
	return id, err == nil && id > 0
}
