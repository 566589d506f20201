package githubapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Errors for the entries of a head tree that are not read.
var (
	// ErrSymlink: symbolic links are not followed. A link's target is
	// whatever the pull request says it is, possibly outside the tree.
	ErrSymlink = errors.New("symbolic link; launchgate does not follow links in a pull request's tree")
	// ErrSubmodule: a submodule is another repository at some commit, not
	// part of this tree.
	ErrSubmodule = errors.New("submodule; launchgate does not read other repositories")
)

// TooLargeError is the error of reading a file larger than
// Options.MaxBlobSize.
type TooLargeError struct {
	Path        string
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes; launchgate reads files of at most %d bytes", e.Path, e.Size, e.Limit)
}

// headFS is a head tree as an fs.FS. File contents come from the Client's
// blob cache, or are fetched with ctx, the context of the HeadTree call.
type headFS struct {
	ctx         context.Context
	c           *Client
	ic          *instClient
	owner, repo string
	tree        *tree
}

var (
	_ fs.StatFS     = (*headFS)(nil)
	_ fs.ReadDirFS  = (*headFS)(nil)
	_ fs.ReadFileFS = (*headFS)(nil)
)

// lookup finds a name that can be opened: a directory or a regular file.
func (h *headFS) lookup(op, name string) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, ok := h.tree.nodes[name]
	switch {
	case !ok:
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	case n.mode == fs.ModeSymlink:
		return nil, &fs.PathError{Op: op, Path: name, Err: ErrSymlink}
	case n.mode == fs.ModeIrregular:
		return nil, &fs.PathError{Op: op, Path: name, Err: ErrSubmodule}
	}
	return n, nil
}

func (h *headFS) Open(name string) (fs.File, error) {
	n, err := h.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if n.mode == fs.ModeDir {
		return &dirFile{info: fileInfo{n}, entries: n.children}, nil
	}
	return &blobFile{fsys: h, path: name, n: n}, nil
}

func (h *headFS) Stat(name string) (fs.FileInfo, error) {
	n, err := h.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return fileInfo{n}, nil
}

func (h *headFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := h.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if n.mode != fs.ModeDir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return dirEntries(n.children), nil
}

func (h *headFS) ReadFile(name string) ([]byte, error) {
	n, err := h.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if n.mode == fs.ModeDir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	data, err := h.content(name, n)
	if err != nil {
		return nil, err
	}
	// Callers may modify what ReadFile returns; the cached bytes are shared.
	return bytes.Clone(data), nil
}

// content returns a file's bytes, fetching them if they are not cached.
func (h *headFS) content(name string, n *node) ([]byte, error) {
	if n.size > h.c.opts.MaxBlobSize {
		return nil, &fs.PathError{Op: "read", Path: name, Err: &TooLargeError{Path: name, Size: n.size, Limit: h.c.opts.MaxBlobSize}}
	}
	data, err := h.c.restBlob(h.ctx, h.ic, h.owner, h.repo, n.sha)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// maxBatchBlobs and maxBatchBytes size a prefetch request: at most 100
// objects (the batch size GitHub's GraphQL connections allow per page, and a
// query GitHub's timeouts tolerate) and 8 MB of content.
const (
	maxBatchBlobs = 100
	maxBatchBytes = 8 << 20
)

// prefetch loads the blobs of the files matching inputs that are not cached
// yet, in as few GraphQL requests as the batch limits allow. Blobs GraphQL
// does not deliver whole (binary or truncated text) are left to a REST read
// when a check opens them.
func (h *headFS) prefetch(inputs []string) error {
	if len(inputs) == 0 {
		return nil
	}
	var batch []string
	var batchBytes int64
	seen := map[string]bool{}
	// Sorted, so that the same tree always gives the same requests.
	for _, p := range slices.Sorted(maps.Keys(h.tree.nodes)) {
		n := h.tree.nodes[p]
		if n.mode != 0 || n.size > h.c.opts.MaxBlobSize || seen[n.sha] || !matchAny(inputs, p) {
			continue
		}
		seen[n.sha] = true
		if _, ok := h.c.blobs.Get(n.sha); ok {
			continue
		}
		if len(batch) == maxBatchBlobs || len(batch) > 0 && batchBytes+n.size > maxBatchBytes {
			if err := h.fetchBatch(batch); err != nil {
				return err
			}
			batch, batchBytes = nil, 0
		}
		batch, batchBytes = append(batch, n.sha), batchBytes+n.size
	}
	if len(batch) > 0 {
		return h.fetchBatch(batch)
	}
	return nil
}

func matchAny(globs []string, p string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

// fetchBatch reads blobs by object ID in one GraphQL request.
func (h *headFS) fetchBatch(shas []string) error {
	var b strings.Builder
	b.WriteString("query($owner: String!, $name: String!) {\n  repository(owner: $owner, name: $name) {\n")
	for i, sha := range shas {
		// SHAs come from GitHub's own tree listing and are checked to be hex.
		if err := CheckSHA("blob SHA", sha); err != nil {
			return err
		}
		fmt.Fprintf(&b, "    b%d: object(oid: %q) %s\n", i, sha, blobSelection)
	}
	b.WriteString("  }\n}")
	var data struct {
		Repository map[string]*gqlBlob `json:"repository"`
	}
	errs, err := h.ic.graphql(h.ctx, b.String(), map[string]any{"owner": h.owner, "name": h.repo}, &data)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return joinGraphQLErrors(errs)
	}
	for _, blob := range data.Repository {
		if blob == nil {
			continue
		}
		if text, ok := blob.text(); ok && shaPattern.MatchString(blob.OID) {
			h.c.blobs.Add(blob.OID, text)
		}
	}
	return nil
}

// fileInfo describes a tree entry.
type fileInfo struct{ n *node }

func (fi fileInfo) Name() string               { return fi.n.name }
func (fi fileInfo) Size() int64                { return fi.n.size }
func (fi fileInfo) Mode() fs.FileMode          { return fi.n.mode | 0o444 }
func (fi fileInfo) ModTime() time.Time         { return time.Time{} }
func (fi fileInfo) IsDir() bool                { return fi.n.mode == fs.ModeDir }
func (fi fileInfo) Sys() any                   { return nil }
func (fi fileInfo) Type() fs.FileMode          { return fi.n.mode.Type() }
func (fi fileInfo) Info() (fs.FileInfo, error) { return fi, nil }

func dirEntries(nodes []*node) []fs.DirEntry {
	out := make([]fs.DirEntry, len(nodes))
	for i, n := range nodes {
		out[i] = fileInfo{n}
	}
	return out
}

// dirFile is an open directory.
type dirFile struct {
	info    fileInfo
	entries []*node
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}

func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if count > 0 {
		if len(rest) == 0 {
			return nil, io.EOF
		}
		rest = rest[:min(count, len(rest))]
	}
	d.off += len(rest)
	return dirEntries(rest), nil
}

// blobFile is an open file; its content is fetched on the first Read.
type blobFile struct {
	fsys *headFS
	path string
	n    *node
	r    *bytes.Reader
}

func (f *blobFile) Stat() (fs.FileInfo, error) { return fileInfo{f.n}, nil }
func (f *blobFile) Close() error               { return nil }

func (f *blobFile) Read(p []byte) (int, error) {
	if f.r == nil {
		data, err := f.fsys.content(f.path, f.n)
		if err != nil {
			return 0, err
		}
		f.r = bytes.NewReader(data)
	}
	return f.r.Read(p)
}
