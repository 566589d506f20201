package githubapi

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/inspect"
)

var kit = map[string]string{
	"launch/deployment.md": "# Deployment\n## Setup\nsteps\n",
	"launch/security.md":   "# Security\n",
	"launch/runbook.md":    "# Runbook\n",
	"deploy/prod/app.yaml": "replicas: 3\n",
	"src/main.go":          "package main\n",
	"README.md":            "# svc\n",
}

// TestHeadTreeIsAnFS runs the standard library's fs.FS conformance test over
// a head tree, and compares every file with what was pushed.
func TestHeadTreeIsAnFS(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "old"}, kit)
	c := e.client(Options{})
	fsys, err := c.HeadTree(context.Background(), pr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, slices.Sorted(maps.Keys(kit))...); err != nil {
		t.Fatal(err)
	}
	for name, want := range kit {
		got, err := fs.ReadFile(fsys, name)
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := fs.Stat(fsys, "launch/nope.md"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(missing) = %v, want ErrNotExist", err)
	}
}

// TestHeadTreeRequests checks what HeadTree costs: one tree request, one
// GraphQL request per 100 input blobs, nothing more to read the inputs, one
// REST blob request for a file outside them, and nothing at all for the same
// SHA again.
func TestHeadTreeRequests(t *testing.T) {
	tests := []struct {
		name         string
		head         map[string]string
		inputs       []string
		wantGraphQL  int
		readInputs   []string
		readOther    string
		wantPrefetch int // blobs in the cache after HeadTree
	}{
		{"no inputs, no prefetch", kit, nil, 0, nil, "README.md", 0},
		{"a launch kit in one batch", kit, []string{"launch/*.md", "deploy/**/*.yaml"}, 1,
			[]string{"launch/deployment.md", "launch/security.md", "deploy/prod/app.yaml"}, "src/main.go", 4},
		{"150 inputs in two batches", files(150, "launch", "doc %d\n"), []string{"launch/**"}, 2,
			[]string{"launch/f0000.txt", "launch/f0149.txt"}, "", 150},
		{"identical files are fetched once", map[string]string{"launch/a.md": "same", "launch/b.md": "same", "x": "y"},
			[]string{"launch/*"}, 1, []string{"launch/a.md", "launch/b.md"}, "x", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{})
			pr := e.repo("svc", map[string]string{"README.md": "old"}, tt.head)
			c := e.client(Options{})
			ctx := context.Background()
			e.requests()
			fsys, err := c.HeadTree(ctx, pr, tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			reqs := e.apiRequests()
			if got := count(reqs, "GET /repos/acme/svc/git/trees/"); got != 1 {
				t.Errorf("tree requests = %d, want 1 (%v)", got, reqs)
			}
			if got := count(reqs, "POST /graphql"); got != tt.wantGraphQL {
				t.Errorf("GraphQL requests = %d, want %d", got, tt.wantGraphQL)
			}
			if got := c.blobs.Len(); got != tt.wantPrefetch {
				t.Errorf("prefetched blobs = %d, want %d", got, tt.wantPrefetch)
			}
			for _, name := range tt.readInputs {
				if got, err := fs.ReadFile(fsys, name); err != nil || string(got) != tt.head[name] {
					t.Errorf("%s = %q, %v", name, got, err)
				}
			}
			if reqs := e.apiRequests(); len(reqs) != 0 {
				t.Errorf("reading prefetched inputs sent %v", reqs)
			}
			if tt.readOther != "" {
				if _, err := fs.ReadFile(fsys, tt.readOther); err != nil {
					t.Fatal(err)
				}
				if reqs := e.apiRequests(); len(reqs) != 1 || !strings.HasPrefix(reqs[0], "GET /repos/acme/svc/git/blobs/") {
					t.Errorf("reading %s sent %v, want one blob request", tt.readOther, reqs)
				}
			}
			// The same head again: everything is cached.
			if _, err := c.HeadTree(ctx, pr, tt.inputs); err != nil {
				t.Fatal(err)
			}
			if reqs := e.apiRequests(); len(reqs) != 0 {
				t.Errorf("second HeadTree sent %v, want nothing", reqs)
			}
		})
	}
}

// TestTruncatedTree makes the simulator truncate recursive listings, as
// GitHub does past 100,000 entries, and checks that walking sub-trees gives
// the same files.
func TestTruncatedTree(t *testing.T) {
	head := map[string]string{"top.txt": "t"}
	maps.Copy(head, files(4, "a", "a%d"))
	maps.Copy(head, files(4, "b/deep", "b%d"))
	maps.Copy(head, files(3, "c", "c%d"))
	// The root has 4 entries (a, b, c, top.txt) plus README.md; a and c fit
	// a recursive listing of 6, b (b, b/deep and 4 files) does too, but the
	// root (5 + 15 entries) does not.
	e := newEnv(t, githubsim.Options{TreeEntryLimit: 6})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, head)
	c := e.client(Options{})
	e.requests()
	fsys, err := c.HeadTree(context.Background(), pr, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(head))
	want = append(want, "README.md")
	slices.Sort(want)
	if err := fstest.TestFS(fsys, want...); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			got = append(got, p)
		}
		return err
	})
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("files = %v, %v; want %v", got, err, want)
	}
	// Root: recursive (truncated) and non-recursive; then a, b, c
	// recursively, each complete.
	if reqs := e.apiRequests(); count(reqs, "GET /repos/acme/svc/git/trees/") != 5 {
		t.Errorf("tree requests = %v, want 5", reqs)
	}
}

// TestTruncatedFlatDirectory: a directory whose files alone pass the limit
// of a recursive listing is listed non-recursively, which GitHub does not
// truncate ("The limit for the tree array is 100,000 entries with a maximum
// size of 7 MB when using the recursive parameter").
func TestTruncatedFlatDirectory(t *testing.T) {
	e := newEnv(t, githubsim.Options{TreeEntryLimit: 3})
	head := files(5, "flat", "%d")
	pr := e.repo("svc", map[string]string{"README.md": "r"}, head)
	e.requests()
	fsys, err := e.client(Options{}).HeadTree(context.Background(), pr, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fsys, "flat")
	if err != nil || len(entries) != 5 {
		t.Errorf("ReadDir(flat) = %d entries, %v; want 5", len(entries), err)
	}
	if reqs := e.apiRequests(); count(reqs, "GET /repos/acme/svc/git/trees/") != 4 {
		t.Errorf("tree requests = %v, want 4 (root and flat, each recursive then not)", reqs)
	}
}

func TestHeadTreeContentLimits(t *testing.T) {
	big := strings.Repeat("x", 600_000) // more than GraphQL's 512,000 bytes of text
	head := map[string]string{
		"launch/big.md":       big,
		"launch/huge.md":      strings.Repeat("y", 2<<20),
		"launch/logo.png":     "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"launch/readiness.md": "# ok\n",
	}
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, head)
	c := e.client(Options{})
	e.requests()
	fsys, err := c.HeadTree(context.Background(), pr, []string{"launch/**"})
	if err != nil {
		t.Fatal(err)
	}
	if reqs := e.apiRequests(); count(reqs, "POST /graphql") != 1 {
		t.Errorf("requests = %v, want one GraphQL batch", reqs)
	}
	repo := inspect.NewRepo(fsys, time.Now(), nil)

	t.Run("oversized blobs are not fetched, and say so", func(t *testing.T) {
		info, err := fs.Stat(fsys, "launch/huge.md")
		if err != nil || info.Size() != 2<<20 {
			t.Fatalf("Stat = %v, %v", info, err)
		}
		_, err = fs.ReadFile(fsys, "launch/huge.md")
		var tl *TooLargeError
		if !errors.As(err, &tl) || tl.Size != 2<<20 || tl.Limit != inspect.MaxFileSize || !strings.Contains(err.Error(), "launch/huge.md") {
			t.Errorf("ReadFile = %v, want a TooLargeError naming the file", err)
		}
		if _, err := repo.ReadFile("launch/huge.md"); err == nil {
			t.Error("inspect.Repo read an oversized file")
		}
		if reqs := e.apiRequests(); len(reqs) != 0 {
			t.Errorf("requests = %v, want none", reqs)
		}
	})
	t.Run("text GraphQL truncates is read whole over REST", func(t *testing.T) {
		got, err := fs.ReadFile(fsys, "launch/big.md")
		if err != nil || string(got) != big {
			t.Errorf("ReadFile = %d bytes, %v; want %d", len(got), err, len(big))
		}
		if reqs := e.apiRequests(); len(reqs) != 1 || !strings.Contains(reqs[0], "/git/blobs/") {
			t.Errorf("requests = %v, want one blob", reqs)
		}
	})
	t.Run("binary blobs read as their bytes", func(t *testing.T) {
		got, err := fs.ReadFile(fsys, "launch/logo.png")
		if err != nil || !bytes.Equal(got, []byte(head["launch/logo.png"])) {
			t.Errorf("ReadFile = %q, %v", got, err)
		}
		if _, err := repo.ReadFile("launch/logo.png"); !errors.Is(err, inspect.ErrBinary) {
			t.Errorf("inspect.Repo.ReadFile = %v, want ErrBinary", err)
		}
	})
	t.Run("a smaller MaxBlobSize applies", func(t *testing.T) {
		small := e.client(Options{MaxBlobSize: 4})
		fsys, err := small.HeadTree(context.Background(), pr, []string{"launch/**"})
		if err != nil {
			t.Fatal(err)
		}
		var tl *TooLargeError
		if _, err := fs.ReadFile(fsys, "launch/readiness.md"); !errors.As(err, &tl) {
			t.Errorf("ReadFile = %v, want TooLargeError", err)
		}
	})
}

// TestForkPullRequest reads a fork's head through the base repository, as
// GitHub serves it.
func TestForkPullRequest(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	base := e.sim.AddRepo("acme", "svc", "main", map[string]string{"README.md": "r"})
	head := e.sim.Push("acme", "svc", "contributor-branch", map[string]string{"launch/deployment.md": "# from a fork\n"})
	n := e.sim.OpenPR("acme", "svc", githubsim.PRSpec{Title: "Launch: svc", Head: "contributor-branch", Author: "outsider", FromFork: true})
	pr := PullRequest{InstallationID: e.inst, Owner: "acme", Repo: "svc", Number: n, HeadSHA: head, BaseSHA: base.HeadSHA}
	c := e.client(Options{})
	fsys, err := c.HeadTree(context.Background(), pr, []string{"launch/**"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fs.ReadFile(fsys, "launch/deployment.md"); err != nil || string(got) != "# from a fork\n" {
		t.Errorf("ReadFile = %q, %v", got, err)
	}
	changed, err := c.ChangedFiles(context.Background(), pr)
	if err != nil || !slices.Equal(changed, []string{"launch/deployment.md"}) {
		t.Errorf("ChangedFiles = %v, %v", changed, err)
	}
}

// TestLinksAndSubmodules builds a tree from a listing with the entries the
// simulator cannot produce (its files are all mode 100644): a symbolic link
// and a submodule, as GitHub lists them.
func TestLinksAndSubmodules(t *testing.T) {
	entry := func(path, mode, typ string, size int) *github.TreeEntry {
		return &github.TreeEntry{Path: &path, Mode: &mode, Type: &typ, SHA: github.String(strings.Repeat("a", 40)), Size: &size}
	}
	tr := newTree()
	for _, e := range []*github.TreeEntry{
		entry("launch", "040000", "tree", 0),
		entry("launch/runbook.md", "100644", "blob", 10),
		entry("launch/deployment.md", "120000", "blob", 16), // -> ../../etc/passwd
		entry("vendor/lib", "160000", "commit", 0),
		entry("bin/run.sh", "100755", "blob", 20), // its parent was not listed
	} {
		if err := tr.add(e.GetPath(), e); err != nil {
			t.Fatal(err)
		}
	}
	tr.sort()
	fsys := &headFS{tree: tr}

	entries, err := fs.ReadDir(fsys, "launch")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, d := range entries {
		listed = append(listed, d.Name()+":"+d.Type().String())
	}
	if got, want := strings.Join(listed, " "), "deployment.md:L--------- runbook.md:----------"; got != want {
		t.Errorf("ReadDir(launch) = %s, want %s", got, want)
	}
	tests := []struct {
		name string
		want error
	}{
		{"launch/deployment.md", ErrSymlink},
		{"vendor/lib", ErrSubmodule},
	}
	for _, tt := range tests {
		if _, err := fsys.Open(tt.name); !errors.Is(err, tt.want) {
			t.Errorf("Open(%s) = %v, want %v", tt.name, err, tt.want)
		}
		if _, err := fs.Stat(fsys, tt.name); !errors.Is(err, tt.want) {
			t.Errorf("Stat(%s) = %v, want %v", tt.name, err, tt.want)
		}
	}
	repo := inspect.NewRepo(fsys, time.Now(), nil)
	files, err := repo.Files()
	if err != nil || !slices.Equal(files, []string{"bin/run.sh", "launch/runbook.md"}) {
		t.Errorf("inspect.Repo.Files() = %v, %v; want only the regular files", files, err)
	}
	if repo.Exists("launch/deployment.md") {
		t.Error("a symbolic link counts as an existing file")
	}
	if err := tr.add("launch/runbook.md/x", entry("launch/runbook.md/x", "100644", "blob", 1)); err == nil {
		t.Error("an entry inside a file was accepted")
	}
}
