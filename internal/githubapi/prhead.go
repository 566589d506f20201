package githubapi

import (
	"context"
	"fmt"
	"slices"
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
}

// filesAndRunQuery reads a pull request's changed files and this App's
// latest run of a name on its head commit. Field names are GitHub's
// (https://docs.github.com/en/graphql/reference/objects#pullrequest,
// #checksuite, #checkrun; CheckRun.externalId is the REST external_id).
// PullRequestChangedFile has no previous path, so a rename sends the
// caller to the REST listing, which names both paths.
const filesAndRunQuery = `query($owner: String!, $name: String!, $number: Int!, $head: GitObjectID!, $suites: CheckSuiteFilter, $runs: CheckRunFilter) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      files(first: 100) { pageInfo { hasNextPage } nodes { path changeType } }
    }
    head: object(oid: $head) {
      ... on Commit {
        checkSuites(first: 10, filterBy: $suites) {
          pageInfo { hasNextPage }
          nodes {
            app { databaseId }
            checkRuns(first: 10, filterBy: $runs) {
              pageInfo { hasNextPage }
              nodes { databaseId name externalId annotations { totalCount } }
            }
          }
        }
      }
    }
  }
}`

type gqlChangedFile struct {
	Path       string `json:"path"`
	ChangeType string `json:"changeType"` // PatchStatus: ADDED, RENAMED, ...
}

type gqlPageInfo struct {
	HasNextPage bool `json:"hasNextPage"`
}

type filesAndRunData struct {
	Repository *struct {
		PullRequest *struct {
			Files struct {
				PageInfo gqlPageInfo      `json:"pageInfo"`
				Nodes    []gqlChangedFile `json:"nodes"`
			} `json:"files"`
		} `json:"pullRequest"`
		Head *struct {
			CheckSuites *struct {
				PageInfo gqlPageInfo `json:"pageInfo"`
				Nodes    []struct {
					App *struct {
						DatabaseID int64 `json:"databaseId"`
					} `json:"app"`
					CheckRuns struct {
						PageInfo gqlPageInfo `json:"pageInfo"`
						Nodes    []struct {
							DatabaseID  int64  `json:"databaseId"`
							Name        string `json:"name"`
							ExternalID  string `json:"externalId"`
							Annotations struct {
								TotalCount int `json:"totalCount"`
							} `json:"annotations"`
						} `json:"nodes"`
					} `json:"checkRuns"`
				} `json:"nodes"`
			} `json:"checkSuites"`
		} `json:"head"`
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
	vars := map[string]any{"owner": pr.Owner, "name": pr.Repo, "number": pr.Number, "head": pr.HeadSHA,
		"suites": map[string]any{"appId": c.opts.AppID}, "runs": map[string]any{"checkName": runName, "checkType": "LATEST"}}
	gqlErrs, qerr := ic.graphql(ctx, filesAndRunQuery, vars, &data)
	if qerr != nil || len(gqlErrs) > 0 || data.Repository == nil || data.Repository.PullRequest == nil {
		files, err := c.ChangedFiles(ctx, pr)
		return files, nil, err
	}
	run = c.runRead(data, runName)
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

// runRead is this App's latest run named name in a FilesAndRun answer, or
// nil when the answer may not hold it (a commit that did not resolve, more
// than a page of suites or runs).
func (c *Client) runRead(data filesAndRunData, name string) *RunRead {
	head := data.Repository.Head
	if head == nil || head.CheckSuites == nil || head.CheckSuites.PageInfo.HasNextPage {
		return nil
	}
	latest := &RunRead{}
	for _, s := range head.CheckSuites.Nodes {
		// The appId filter is GitHub's; checking again keeps another App's
		// run of the same name from ever being ours.
		if s.App == nil || s.App.DatabaseID != c.opts.AppID {
			continue
		}
		if s.CheckRuns.PageInfo.HasNextPage {
			return nil
		}
		for _, r := range s.CheckRuns.Nodes {
			if r.Name == name && r.DatabaseID > latest.ID {
				*latest = RunRead{Exists: true, ID: r.DatabaseID, ExternalID: r.ExternalID, Annotations: r.Annotations.TotalCount}
			}
		}
	}
	return latest
}

// filesKey is the key of a pull request's files in the cache.
func filesKey(pr PullRequest) string {
	return fmt.Sprintf("%s#%d@%s..%s", pr.fullName(), pr.Number, pr.BaseSHA, pr.HeadSHA)
}
