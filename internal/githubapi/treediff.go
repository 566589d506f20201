package githubapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"

	"github.com/google/go-github/v60/github"
)

// treeAt returns the whole tree of commit sha in pr's repository: one
// request (GET git/trees/{sha}?recursive=1) unless GitHub truncates it,
// cached by repository and SHA, as everything addressed by a SHA is.
func (c *Client) treeAt(ctx context.Context, ic *instClient, pr PullRequest, sha string) (*tree, error) {
	key := pr.fullName() + "@" + sha
	if t, ok := c.trees.Get(key); ok {
		return t, nil
	}
	t := newTree()
	w := treeWalk{ic: ic, pr: pr, tree: t}
	if err := w.walk(ctx, sha, ""); err != nil {
		return nil, fmt.Errorf("githubapi: listing the tree of %s at %s: %w", pr.fullName(), sha, err)
	}
	t.sort()
	c.trees.Add(key, t)
	return t, nil
}

// ChangedSince lists, sorted, the paths whose content or type differs
// between commit from and pr.HeadSHA (present in one tree only, or with
// another blob SHA or mode), by comparing the two trees blob SHA by blob
// SHA: the trees are cached by SHA, and a reviewed commit's tree is read
// once however often its review is judged. No file content is read.
//
// known is false when from cannot be read (GitHub answers 404 or 422: a
// commit force-pushed away and collected): what changed since is unknown,
// which voids what was judged on it. Other failures are errors.
func (c *Client) ChangedSince(ctx context.Context, pr PullRequest, from string) (paths []string, known bool, err error) {
	if err := CheckSHA("head SHA", pr.HeadSHA); err != nil {
		return nil, false, err
	}
	if CheckSHA("reviewed commit", from) != nil {
		return nil, false, nil
	}
	if from == pr.HeadSHA {
		return nil, true, nil
	}
	key := pr.fullName() + "@" + from + ".." + pr.HeadSHA
	if d, ok := c.diffs.Get(key); ok {
		return d, true, nil
	}
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, false, err
	}
	old, err := c.treeAt(ctx, ic, pr, from)
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil &&
		(er.Response.StatusCode == http.StatusNotFound || er.Response.StatusCode == http.StatusUnprocessableEntity) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	head, err := c.treeAt(ctx, ic, pr, pr.HeadSHA)
	if err != nil {
		return nil, false, err
	}
	d := diffTrees(old, head)
	c.diffs.Add(key, d)
	return d, true, nil
}

// diffTrees returns the non-directory paths that differ between a and b.
func diffTrees(a, b *tree) []string {
	var out []string
	differs := func(x, y *tree) {
		for p, n := range x.nodes {
			if n.mode == fs.ModeDir {
				continue
			}
			m, ok := y.nodes[p]
			if !ok || m.mode != n.mode || m.sha != n.sha {
				out = append(out, p)
			}
		}
	}
	differs(a, b)
	differs(b, a)
	slices.Sort(out)
	return slices.Compact(out)
}
