package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/inspect/glob"
)

// MaxFileSize caps what a check reads from one file. Launch-kit documents,
// manifests and CI files are small; anything larger is almost certainly not
// what the check is looking for, and reading it would let a PR make the App
// fetch and parse arbitrarily large blobs.
const MaxFileSize = 1 << 20

// Environment is a deployment environment the policy requires, with the
// other names teams use for it (directory and values-file names).
type Environment struct {
	Name    string   `yaml:"name" json:"name"`
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// Enforced marks, in an organisation's policy, an environment no
	// repository policy may drop (policy.CheckFloor); checks ignore it.
	Enforced bool `yaml:"enforced,omitempty" json:"-"`
}

// Names returns the environment's name followed by its aliases.
func (e Environment) Names() []string {
	return append([]string{e.Name}, e.Aliases...)
}

// Repo is the snapshot of a repository that checks inspect. It memoises
// work that several checks share (the file list, rendered environments),
// so one evaluation lists and renders at most once. A Repo serves one
// evaluation and is not safe for concurrent use.
type Repo struct {
	fsys fs.FS
	now  time.Time
	envs []Environment

	files    []string
	filesErr error
	listed   bool
	// unlisted are the directories Files could not list.
	unlisted []unlistedDir

	// matched memoises Match per pattern, found in index.
	matched map[string][]string
	index   *glob.Index

	// rendered memoises Rendered (render.go) per list of layouts.
	rendered map[string][]RenderedEnv
}

// NewRepo wraps a file tree. now is the evaluation time (checks never read
// the clock); envs are the environments the policy requires.
func NewRepo(fsys fs.FS, now time.Time, envs []Environment) *Repo {
	return &Repo{fsys: fsys, now: now, envs: envs}
}

// FS is the underlying file tree.
func (r *Repo) FS() fs.FS { return r.fsys }

// Now is the evaluation time.
func (r *Repo) Now() time.Time { return r.now }

// Environments are the environments the policy requires, in policy order.
func (r *Repo) Environments() []Environment { return r.envs }

// Files lists every regular file, sorted, as slash paths relative to the
// root. The .git directory is skipped: it is not part of the tree a PR
// proposes. A directory that cannot be listed is left out and recorded
// (see Match); the error is only for a root that cannot be listed.
func (r *Repo) Files() ([]string, error) {
	if r.listed {
		return r.files, r.filesErr
	}
	r.listed = true
	err := fs.WalkDir(r.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			r.unlisted = append(r.unlisted, unlistedDir{dir: p, err: err})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			r.files = append(r.files, p)
		}
		return nil
	})
	if err != nil {
		r.filesErr = fmt.Errorf("listing repository files: %w", err)
	}
	sort.Strings(r.files)
	return r.files, r.filesErr
}

// unlistedDir is a directory Files could not list, and why.
type unlistedDir struct {
	dir string
	err error
}

// Match returns the files matching any of the doublestar patterns, sorted
// and without duplicates. Patterns are validated when the policy loads; an
// invalid one matches nothing. When a pattern could match a file inside a
// directory that cannot be listed, Match fails: what the check looks for
// may be in there. Other unlisted directories do not concern the check.
//
// Several checks match the same patterns against the same tree (and the
// load-test check dozens of them), so each pattern's result is memoised,
// and a glob.Index of the files by extension and the pattern's literal
// text rule out most files before doublestar runs.
func (r *Repo) Match(patterns ...string) ([]string, error) {
	files, err := r.Files()
	if err != nil {
		return nil, err
	}
	for _, u := range r.unlisted {
		for _, p := range patterns {
			if couldMatchUnder(p, u.dir) {
				return nil, fmt.Errorf("%q may match files in a directory that cannot be listed: %w", p, u.err)
			}
		}
	}
	if r.matched == nil {
		r.matched = map[string][]string{}
		r.index = glob.NewIndex(files)
	}
	var out []string
	for _, p := range patterns {
		m, ok := r.matched[p]
		if !ok {
			m = r.index.Filter(p)
			r.matched[p] = m
		}
		out = append(out, m...)
	}
	if len(patterns) > 1 {
		sort.Strings(out)
		out = slices.Compact(out)
	}
	return out, nil
}

// couldMatchUnder reports whether pattern could match a path inside dir:
// each of dir's segments must match the pattern's segment at its place,
// and the pattern must go deeper, unless a "**" segment matches any
// depth first. A pattern with braces, whose alternatives may hold
// slashes, is assumed to match.
func couldMatchUnder(pattern, dir string) bool {
	if strings.ContainsRune(pattern, '{') {
		return true
	}
	pat := strings.Split(pattern, "/")
	for i, seg := range strings.Split(dir, "/") {
		if i >= len(pat)-1 {
			return pat[min(i, len(pat)-1)] == "**"
		}
		if pat[i] == "**" {
			return true
		}
		if ok, _ := doublestar.Match(pat[i], seg); !ok {
			return false
		}
	}
	return true
}

// metaIndex is the index of the first doublestar meta character, or the
// pattern's length when it has none.
func metaIndex(pattern string) int {
	if i := strings.IndexAny(pattern, `*?[{\`); i >= 0 {
		return i
	}
	return len(pattern)
}

// Exists reports whether name is a regular file or a directory.
func (r *Repo) Exists(name string) bool {
	_, err := fs.Stat(r.fsys, name)
	return err == nil
}

// ErrBinary is returned by ReadFile for files that are not text.
var ErrBinary = errors.New("binary file (contains a NUL byte)")

// ErrTooLarge is returned by ReadFile for a file larger than MaxFileSize.
var ErrTooLarge = fmt.Errorf("larger than the %d byte (1 MiB) limit for one file", MaxFileSize)

// ReadFile reads a text file of at most MaxFileSize bytes. Oversized and
// binary files are errors, which checks report as failing findings: a
// check never passes on content it could not read.
func (r *Repo) ReadFile(name string) ([]byte, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("reading %s: %w", name, ErrTooLarge)
	}
	// Git's own heuristic: a NUL in the first 8000 bytes means binary.
	if bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return nil, fmt.Errorf("reading %s: %w", name, ErrBinary)
	}
	return data, nil
}
