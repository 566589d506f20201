package inspect

import (
	"slices"
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
