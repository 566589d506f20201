package githubapi

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-github/v60/github"
)

// maxListedFiles is where GitHub stops listing a pull request's files:
// "Responses include a maximum of 3000 files"
// (https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files).
const maxListedFiles = 3000

// ErrFileListTruncated is returned, wrapped, by ChangedFiles together with
// the files GitHub did list when the pull request changes more files than
// GitHub lists.
var ErrFileListTruncated = errors.New("GitHub lists at most 3,000 changed files of a pull request")

// filesResult is a cached file list.
type filesResult struct {
	files     []string
	truncated bool
}

// ChangedFiles lists the paths a pull request changes, sorted, with both
// the old and the new path of a renamed file (a rename removes the old path,
// which path rules must see). The list is cached by base and head SHA.
//
// GitHub lists at most 3,000 files. When pr.ChangedFiles (from the payload)
// is larger than what was listed, or is unknown and the list reached 3,000,
// ChangedFiles returns the listed files AND an error wrapping
// ErrFileListTruncated that says how many were listed. Callers that can
// decide on a partial list (a match among the listed files is a match) may
// use the files; a decision that needs the whole list must fail closed.
func (c *Client) ChangedFiles(ctx context.Context, pr PullRequest) ([]string, error) {
	if err := CheckSHA("head SHA", pr.HeadSHA); err != nil {
		return nil, err
	}
	key := filesKey(pr)
	res, ok := c.files.Get(key)
	if !ok {
		var err error
		if res, err = c.listFiles(ctx, pr); err != nil {
			return nil, err
		}
		c.files.Add(key, res)
	}
	if res.truncated {
		return res.files, fmt.Errorf("githubapi: %s#%d: %w; %d listed, the pull request reports %s",
			pr.fullName(), pr.Number, ErrFileListTruncated, len(res.files), reported(pr.ChangedFiles))
	}
	return res.files, nil
}

func reported(n int) string {
	if n == 0 {
		return "no count"
	}
	return fmt.Sprintf("%d changed files", n)
}

func (c *Client) listFiles(ctx context.Context, pr PullRequest) (filesResult, error) {
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return filesResult{}, err
	}
	var paths []string
	listed := 0
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := ic.rest.PullRequests.ListFiles(ctx, pr.Owner, pr.Repo, pr.Number, opts)
		if err != nil {
			return filesResult{}, fmt.Errorf("githubapi: listing the files of %s#%d (page %d): %w", pr.fullName(), pr.Number, max(opts.Page, 1), err)
		}
		for _, f := range page {
			paths = append(paths, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				paths = append(paths, prev)
			}
		}
		listed += len(page)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.Sort(paths)
	truncated := pr.ChangedFiles > listed || pr.ChangedFiles == 0 && listed >= maxListedFiles
	return filesResult{files: slices.Compact(paths), truncated: truncated}, nil
}
