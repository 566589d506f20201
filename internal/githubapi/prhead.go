package githubapi

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// RunRead is this App's latest check run of one name on a commit, as an
// evaluation read it (FilesAndRun), for CheckRun.Read: publishing then
// needs no listing of the commit's runs.
type RunRead struct {
	// Exists is false when the commit has no such run.
	Exists bool
	ID     int64
	// ExternalID is the run's external_id (RunID).
	ExternalID string
	// Annotations is how many annotations the run has.
	Annotations int
	// Conclusion is the run's conclusion, lower case as REST writes it
	// ("success"), "" while the run is not completed.
	Conclusion string
	// DetailsURL and Text are the run's, read by PullState only.
	DetailsURL, Text string
}

// runSelection selects this App's latest run of a name on a commit
// (variables $head, $suites and $runs; see runVars), with fields more
// (%s). Field names are GitHub's
// (https://docs.github.com/en/graphql/reference/objects#checksuite,
// #checkrun; CheckRun.externalId is the REST external_id). The run's REST id
// is read from its url (https://github.com/OWNER/REPO/runs/ID): the
// databaseId field is an Int, 32 bits in GraphQL, and check run ids
// outgrew it.
const runSelection = `head: object(oid: $head) {
      ... on Commit {
        checkSuites(first: 10, filterBy: $suites) {
          pageInfo { hasNextPage }
          nodes {
            app { databaseId slug }
            checkRuns(first: 10, filterBy: $runs) {
              pageInfo { hasNextPage }
              nodes { url name externalId conclusion annotations { totalCount } %s }
            }
          }
        }
      }
    }`

// filesAndRunQuery reads a pull request's changed files and this App's
// latest run of a name on its head commit
// (https://docs.github.com/en/graphql/reference/objects#pullrequest).
// PullRequestChangedFile has no previous path, so a rename sends the
// caller to the REST listing, which names both paths.
var filesAndRunQuery = `query($owner: String!, $name: String!, $number: Int!, $head: GitObjectID!, $suites: CheckSuiteFilter, $runs: CheckRunFilter) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      files(first: 100) { pageInfo { hasNextPage } nodes { path changeType } }
    }
    ` + fmt.Sprintf(runSelection, "") + `
  }
}`

// runVars are the variables of runSelection and of the pull request.
func (c *Client) runVars(pr PullRequest, runName string) map[string]any {
	return map[string]any{"owner": pr.Owner, "name": pr.Repo, "number": pr.Number, "head": pr.HeadSHA,
		"suites": map[string]any{"appId": c.opts.AppID}, "runs": map[string]any{"checkName": runName, "checkType": "LATEST"}}
}

type gqlChangedFile struct {
	Path       string `json:"path"`
	ChangeType string `json:"changeType"` // PatchStatus: ADDED, RENAMED, ...
}

type gqlPageInfo struct {
	HasNextPage bool `json:"hasNextPage"`
}

// gqlHead is runSelection's answer.
type gqlHead struct {
	CheckSuites *struct {
		PageInfo gqlPageInfo `json:"pageInfo"`
		Nodes    []struct {
			App *struct {
				DatabaseID int64  `json:"databaseId"`
				Slug       string `json:"slug"`
			} `json:"app"`
			CheckRuns struct {
				PageInfo gqlPageInfo `json:"pageInfo"`
				Nodes    []struct {
					URL         string `json:"url"`
					Name        string `json:"name"`
					ExternalID  string `json:"externalId"`
					Conclusion  string `json:"conclusion"`
					DetailsURL  string `json:"detailsUrl"`
					Text        string `json:"text"`
					Annotations struct {
						TotalCount int `json:"totalCount"`
					} `json:"annotations"`
				} `json:"nodes"`
			} `json:"checkRuns"`
		} `json:"nodes"`
	} `json:"checkSuites"`
}

type filesAndRunData struct {
	Repository *struct {
		PullRequest *struct {
			Files struct {
				PageInfo gqlPageInfo      `json:"pageInfo"`
				Nodes    []gqlChangedFile `json:"nodes"`
			} `json:"files"`
		} `json:"pullRequest"`
		Head *gqlHead `json:"head"`
	} `json:"repository"`
}

// FilesAndRun reads what deciding and publishing the evaluation of a pull
// request that is not a launch PR needs, in one GraphQL query: the files pr
// changes, as ChangedFiles returns them (same caching and errors), and this
// App's latest run named runName on its head commit, for CheckRun.Read.
//
// What the query cannot answer for certain is read the usual way: more
// than 100 files, a renamed file (GraphQL does not name its old path, which
// launch path rules must see), or fewer files than the payload counted are
// listed over REST; more than a page of suites or runs, or a failed query,
// leaves run nil, and PublishCheckRun lists the runs itself.
func (c *Client) FilesAndRun(ctx context.Context, pr PullRequest, runName string) (files []string, run *RunRead, err error) {
	if err := CheckSHA("head SHA", pr.HeadSHA); err != nil {
		return nil, nil, err
	}
	key := filesKey(pr)
	if _, cached := c.files.Get(key); cached {
		// The files are known; the listing PublishCheckRun makes is then
		// a conditional request, usually free.
		files, err := c.ChangedFiles(ctx, pr)
		return files, nil, err
	}
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, nil, err
	}
	var data filesAndRunData
	gqlErrs, qerr := ic.graphql(ctx, filesAndRunQuery, c.runVars(pr, runName), &data)
	if qerr != nil || len(gqlErrs) > 0 || data.Repository == nil || data.Repository.PullRequest == nil {
		files, err := c.ChangedFiles(ctx, pr)
		return files, nil, err
	}
	run, _ = c.runRead(data.Repository.Head, runName)
	got := data.Repository.PullRequest.Files
	renamed := slices.ContainsFunc(got.Nodes, func(f gqlChangedFile) bool { return f.ChangeType == "RENAMED" })
	if got.PageInfo.HasNextPage || renamed || pr.ChangedFiles > len(got.Nodes) {
		files, err := c.ChangedFiles(ctx, pr)
		return files, run, err
	}
	for _, n := range got.Nodes {
		files = append(files, n.Path)
	}
	slices.Sort(files)
	files = slices.Compact(files)
	c.files.Add(key, filesResult{files: files})
	return files, run, nil
}

// runRead is this App's latest run named name in a runSelection answer,
// or nil when the answer may not hold it (a commit that did not resolve,
// more than a page of suites or runs, a run whose url names no id), and
// the App's slug when a suite of the App showed it.
func (c *Client) runRead(head *gqlHead, name string) (run *RunRead, slug string) {
	if head == nil || head.CheckSuites == nil || head.CheckSuites.PageInfo.HasNextPage {
		return nil, ""
	}
	latest := &RunRead{}
	for _, s := range head.CheckSuites.Nodes {
		// The appId filter is GitHub's; checking again keeps another App's
		// run of the same name from ever being ours.
		if s.App == nil || s.App.DatabaseID != c.opts.AppID {
			continue
		}
		slug = s.App.Slug
		if s.CheckRuns.PageInfo.HasNextPage {
			return nil, slug
		}
		for _, r := range s.CheckRuns.Nodes {
			if r.Name != name {
				continue
			}
			id, ok := runIDOfURL(r.URL)
			if !ok {
				return nil, slug
			}
			if id > latest.ID {
				*latest = RunRead{Exists: true, ID: id, ExternalID: r.ExternalID, Annotations: r.Annotations.TotalCount,
					Conclusion: strings.ToLower(r.Conclusion), DetailsURL: r.DetailsURL, Text: r.Text}
			}
		}
	}
	return latest, slug
}

// runIDOfURL is the id in a check run's url, ".../runs/ID".
func runIDOfURL(u string) (int64, bool) {
	i := strings.LastIndex(u, "/runs/")
	if i < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(u[i+len("/runs/"):], 10, 64)
	return id, err == nil && id > 0
}

// filesKey is the key of a pull request's files in the cache.
func filesKey(pr PullRequest) string {
	return fmt.Sprintf("%s#%d@%s..%s", pr.fullName(), pr.Number, pr.BaseSHA, pr.HeadSHA)
}
