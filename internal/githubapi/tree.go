package githubapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-github/v60/github"
)

// Git file modes as the trees API reports them.
const (
	gitModeDir       = "040000"
	gitModeSymlink   = "120000"
	gitModeSubmodule = "160000"
)

// maxTreeRequests bounds the walk of a truncated tree. GitHub truncates a
// recursive listing at 100,000 entries or 7 MB; the walk then lists each
// sub-tree on its own, and a tree that needs more requests than this is too
// large to inspect through the API: HeadTree fails rather than inspecting
// part of it.
const maxTreeRequests = 200

// node is one entry of a head tree.
type node struct {
	name     string
	mode     fs.FileMode // fs.ModeDir, 0 (regular), fs.ModeSymlink, fs.ModeIrregular (submodule)
	sha      string
	size     int64
	children []*node // directories only, sorted by name
}

// tree is a commit's whole tree, listed from the trees API.
type tree struct {
	nodes map[string]*node // by slash path; the root is "."
}

// cost approximates a tree's memory for the cache.
func (t *tree) cost() int64 {
	return int64(len(t.nodes)) * 160
}

func newTree() *tree {
	return &tree{nodes: map[string]*node{".": {name: ".", mode: fs.ModeDir}}}
}

// add records an entry at path p, creating parent directories a truncated
// listing may not have reported.
func (t *tree) add(p string, e *github.TreeEntry) error {
	if !fs.ValidPath(p) || p == "." {
		return fmt.Errorf("tree entry %q is not a valid path", p)
	}
	mode := entryMode(e)
	n, ok := t.nodes[p]
	switch {
	case ok && (n.mode == fs.ModeDir) != (mode == fs.ModeDir):
		return fmt.Errorf("tree entry %q is listed both as a directory and as a file", p)
	case !ok:
		parent := t.dir(path.Dir(p))
		if parent == nil {
			return fmt.Errorf("tree entry %q is inside a file", p)
		}
		n = &node{name: path.Base(p)}
		parent.children = append(parent.children, n)
		t.nodes[p] = n
	}
	n.mode, n.sha, n.size = mode, e.GetSHA(), int64(e.GetSize())
	return nil
}

func entryMode(e *github.TreeEntry) fs.FileMode {
	switch {
	case e.GetType() == "tree" || e.GetMode() == gitModeDir:
		return fs.ModeDir
	case e.GetMode() == gitModeSymlink:
		return fs.ModeSymlink
	case e.GetType() == "commit" || e.GetMode() == gitModeSubmodule:
		return fs.ModeIrregular
	}
	return 0
}

// dir returns the directory node at p, creating it and its parents; nil when
// p or a parent is not a directory.
func (t *tree) dir(p string) *node {
	if n, ok := t.nodes[p]; ok {
		if n.mode != fs.ModeDir {
			return nil
		}
		return n
	}
	parent := t.dir(path.Dir(p))
	if parent == nil {
		return nil
	}
	n := &node{name: path.Base(p), mode: fs.ModeDir}
	parent.children = append(parent.children, n)
	t.nodes[p] = n
	return n
}

func (t *tree) sort() {
	for _, n := range t.nodes {
		slices.SortFunc(n.children, func(a, b *node) int { return strings.Compare(a.name, b.name) })
	}
}

// HeadTree returns the tree at pr.HeadSHA as a read-only fs.FS. The listing
// is one request (GET git/trees/{sha}?recursive=1), cached by repository and
// SHA; when GitHub truncates it, sub-trees are listed one by one as GitHub
// documents. File contents are fetched lazily and cached by blob SHA. The
// files matching inputs (doublestar globs: the union of the policy checks'
// Inputs()) are prefetched first, up to 100 blobs per GraphQL request, so
// that an evaluation usually costs one tree and one blob request.
//
// The file system follows no links: symbolic links and submodules are listed
// by ReadDir with their type (fs.ModeSymlink, fs.ModeIrregular) but cannot
// be opened or stat'ed. Files larger than Options.MaxBlobSize are listed with
// their size, and reading one fails with an error that says so; nothing is
// fetched for them. Binary files read as their bytes. Reads after HeadTree
// returns use ctx, which must stay live for the evaluation.
func (c *Client) HeadTree(ctx context.Context, pr PullRequest, inputs []string) (fs.FS, error) {
	if err := CheckSHA("head SHA", pr.HeadSHA); err != nil {
		return nil, err
	}
	for _, g := range inputs {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("githubapi: input glob %q is not valid", g)
		}
	}
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, err
	}
	t, err := c.treeAt(ctx, ic, pr, pr.HeadSHA)
	if err != nil {
		return nil, err
	}
	fsys := &headFS{ctx: ctx, c: c, ic: ic, owner: pr.Owner, repo: pr.Repo, tree: t}
	if err := fsys.prefetch(inputs); err != nil {
		return nil, fmt.Errorf("githubapi: prefetching the inputs of %s at %s: %w", pr.fullName(), pr.HeadSHA, err)
	}
	return fsys, nil
}

type treeWalk struct {
	ic       *instClient
	pr       PullRequest
	tree     *tree
	requests int
}

// walk lists the tree sha at prefix: recursively in one request when GitHub
// can, else one level at a time, recursing into each sub-tree ("If
// truncated is true ... use the non-recursive method of fetching trees, and
// fetch one sub-tree at a time",
// https://docs.github.com/en/rest/git/trees#get-a-tree).
func (w *treeWalk) walk(ctx context.Context, sha, prefix string) error {
	t, err := w.get(ctx, sha, true)
	if err != nil {
		return err
	}
	if !t.GetTruncated() {
		return w.addAll(t, prefix)
	}
	if t, err = w.get(ctx, sha, false); err != nil {
		return err
	}
	if t.GetTruncated() {
		return fmt.Errorf("directory %q has more entries than GitHub lists in one response", strings.TrimSuffix(prefix, "/"))
	}
	if err := w.addAll(t, prefix); err != nil {
		return err
	}
	for _, e := range t.Entries {
		if e.GetType() == "tree" {
			if err := w.walk(ctx, e.GetSHA(), prefix+e.GetPath()+"/"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *treeWalk) get(ctx context.Context, sha string, recursive bool) (*github.Tree, error) {
	if w.requests++; w.requests > maxTreeRequests {
		return nil, fmt.Errorf("the tree needs more than %d requests to list; it is too large to inspect through the API", maxTreeRequests)
	}
	t, _, err := w.ic.rest.Git.GetTree(ctx, w.pr.Owner, w.pr.Repo, sha, recursive)
	if err != nil {
		return nil, fmt.Errorf("GET tree %s (recursive=%t): %w", sha, recursive, err)
	}
	return t, nil
}

func (w *treeWalk) addAll(t *github.Tree, prefix string) error {
	for _, e := range t.Entries {
		if err := w.tree.add(prefix+e.GetPath(), e); err != nil {
			return err
		}
	}
	return nil
}

// restBlob reads a blob over REST, cached by SHA. Blobs are addressed by
// their content, so a cached blob is the same bytes in any repository; it is
// only ever looked up by a SHA read from a tree the installation could read.
func (c *Client) restBlob(ctx context.Context, ic *instClient, owner, repo, sha string) ([]byte, error) {
	if err := CheckSHA("blob SHA", sha); err != nil {
		return nil, err
	}
	if data, ok := c.blobs.Get(sha); ok {
		return data, nil
	}
	blob, _, err := ic.rest.Git.GetBlob(ctx, owner, repo, sha)
	if err != nil {
		return nil, fmt.Errorf("GET blob %s: %w", sha, err)
	}
	var data []byte
	switch blob.GetEncoding() {
	case "base64":
		// GitHub wraps base64 content in lines; the decoder skips newlines.
		if data, err = base64.StdEncoding.DecodeString(blob.GetContent()); err != nil {
			return nil, fmt.Errorf("blob %s: decoding base64: %w", sha, err)
		}
	case "utf-8":
		data = []byte(blob.GetContent())
	default:
		return nil, fmt.Errorf("blob %s: unknown encoding %q", sha, blob.GetEncoding())
	}
	if blob.Size != nil && len(data) != blob.GetSize() {
		return nil, fmt.Errorf("blob %s: GitHub sent %d bytes of %d", sha, len(data), blob.GetSize())
	}
	c.blobs.Add(sha, data)
	return data, nil
}
