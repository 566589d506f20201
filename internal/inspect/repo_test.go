package inspect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// TestMatchAgreesWithDoublestar pins Match's shortcuts (memo, literal
// prefix, literal suffix) to doublestar's own answer for every file.
func TestMatchAgreesWithDoublestar(t *testing.T) {
	files := []string{"Dockerfile", "a/Dockerfile", "a/Dockerfile.dev", "deploy/base/k.yaml", "deploy/overlays/prod/kustomization.yaml",
		"deploy/overlays/prod/x.yml", "deployment.md", "launch/recovery.md", "load/test.js", "Makefile", "sub/makefile",
		"x/.github/workflows/ci.yml", ".github/workflows/ci.yaml", "weird[1].txt", "dir/a b.md", "deploy/overlays-old/k.yaml"}
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f] = &fstest.MapFile{Data: []byte("x")}
	}
	patterns := []string{"**/Dockerfile", "**/Dockerfile.*", "Dockerfile", "deploy/**", "deploy/overlays/*/kustomization.yaml",
		"deploy/overlays/**/*.{yaml,yml}", "**/*.md", "launch/**", "**/[Mm]akefile", ".github/workflows/*", "**/.github/workflows/*.y*ml",
		"weird\\[1\\].txt", "dir/a b.md", "deploy/overlays*/**", "*", "**", "nomatch/**", "**/*.js"}
	repo := NewRepo(fsys, time.Now(), nil)
	for _, p := range patterns {
		var want []string
		for _, f := range files {
			if ok, _ := doublestar.Match(p, f); ok {
				want = append(want, f)
			}
		}
		slices.Sort(want)
		for range 2 { // the second call is served from the memo
			got, err := repo.Match(p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Match(%q) = %v, want %v", p, got, want)
			}
		}
	}
	got, _ := repo.Match("**/Dockerfile", "a/**")
	if want := []string{"Dockerfile", "a/Dockerfile", "a/Dockerfile.dev"}; !slices.Equal(got, want) {
		t.Errorf("union = %v, want %v (sorted, no duplicates)", got, want)
	}
}

// deniedDirFS is fsys with one directory that cannot be opened, as a
// directory without read permission is for a user other than root.
type deniedDirFS struct {
	fs.FS
	dir string
}

func (d deniedDirFS) Open(name string) (fs.File, error) {
	if name == d.dir || strings.HasPrefix(name, d.dir+"/") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

// unreadableDirRepo has a readable Dockerfile and launch document beside
// launch/secret, which cannot be listed: by an fs.FS wrapper, or by a
// chmod 000 directory when not running as root (root reads it anyway).
func unreadableDirRepos(t *testing.T) map[string]*Repo {
	files := map[string]string{"Dockerfile": "FROM scratch\n", "launch/deployment.md": "# Setup\n", "launch/secret/key.md": "x\n", "deploy/base/k.yaml": "kind: List\n"}
	mapFS := fstest.MapFS{}
	for name, data := range files {
		mapFS[name] = &fstest.MapFile{Data: []byte(data)}
	}
	repos := map[string]*Repo{"fs.FS wrapper": NewRepo(deniedDirFS{FS: mapFS, dir: "launch/secret"}, time.Now(), nil)}
	if os.Geteuid() != 0 {
		root := t.TempDir()
		for name, data := range files {
			p := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		secret := filepath.Join(root, "launch", "secret")
		if err := os.Chmod(secret, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(secret, 0o755) })
		repos["chmod 000"] = NewRepo(os.DirFS(root), time.Now(), nil)
	}
	return repos
}

// TestUnreadableDirectory: a directory that cannot be listed fails only
// the patterns that could match inside it.
func TestUnreadableDirectory(t *testing.T) {
	for name, repo := range unreadableDirRepos(t) {
		t.Run(name, func(t *testing.T) {
			files, err := repo.Files()
			if want := []string{"Dockerfile", "deploy/base/k.yaml", "launch/deployment.md"}; err != nil || !slices.Equal(files, want) {
				t.Fatalf("Files() = %v, %v; want %v, nil", files, err, want)
			}
			for _, tc := range []struct {
				pattern string
				want    []string
				fails   bool
			}{
				{pattern: "Dockerfile", want: []string{"Dockerfile"}},
				{pattern: "launch/*.md", want: []string{"launch/deployment.md"}},
				{pattern: "deploy/**", want: []string{"deploy/base/k.yaml"}},
				{pattern: "launch/secret/*.md", fails: true},
				{pattern: "launch/**", fails: true},
				{pattern: "**/Dockerfile", fails: true},
				{pattern: "launch/*/key.md", fails: true},
			} {
				got, err := repo.Match(tc.pattern)
				switch {
				case tc.fails && (err == nil || !errors.Is(err, fs.ErrPermission)):
					t.Errorf("Match(%q) = %v, %v; want a permission error", tc.pattern, got, err)
				case !tc.fails && (err != nil || !slices.Equal(got, tc.want)):
					t.Errorf("Match(%q) = %v, %v; want %v", tc.pattern, got, err, tc.want)
				}
			}
			// The build check's globs include **/Dockerfile, which could
			// be in launch/secret; a check of the root Dockerfile passes.
			if f := (&Files{Any: []string{"Dockerfile"}}).Check(repo); len(f) != 0 {
				t.Errorf("Files{Dockerfile} = %v, want a pass", f)
			}
			if f := (&Files{Any: []string{"**/Dockerfile"}}).Check(repo); len(f) != 1 || !strings.Contains(f[0].Message, "permission denied") {
				t.Errorf("Files{**/Dockerfile} = %v, want one permission finding", f)
			}
		})
	}
}

func TestCouldMatchUnder(t *testing.T) {
	for _, tc := range []struct {
		pattern, dir string
		want         bool
	}{
		{pattern: "**/Dockerfile", dir: "a/b", want: true},
		{pattern: "a/**", dir: "a/b", want: true},
		{pattern: "a/b", dir: "a/b", want: false},
		{pattern: "a/b/*", dir: "a/b", want: true},
		{pattern: "a/*/c", dir: "a/b", want: true},
		{pattern: "x/*/c", dir: "a/b", want: false},
		{pattern: "a/*.md", dir: "a/b", want: false},
		{pattern: "*", dir: "a", want: false},
		{pattern: "a/b/**", dir: "a", want: true},
		{pattern: "{a,x}/c", dir: "a", want: true},
	} {
		if got := couldMatchUnder(tc.pattern, tc.dir); got != tc.want {
			t.Errorf("couldMatchUnder(%q, %q) = %v, want %v", tc.pattern, tc.dir, got, tc.want)
		}
	}
}
