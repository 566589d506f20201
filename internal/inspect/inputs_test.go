package inspect_test

import (
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
)

// openRecorder records every regular file opened through it.
type openRecorder struct {
	fs.FS
	mu     sync.Mutex
	opened map[string]bool
}

func (r *openRecorder) Open(name string) (fs.File, error) {
	f, err := r.FS.Open(name)
	if err == nil {
		if st, serr := f.Stat(); serr == nil && !st.IsDir() {
			r.mu.Lock()
			r.opened[name] = true
			r.mu.Unlock()
		}
	}
	return f, err
}

// The App fetches the policy's Inputs and sign-offs attest them: an
// evaluation of the default policy must open no other file, whatever the
// layout.
func TestEvaluationOpensOnlyInputs(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	inputs := pol.Inputs()
	for name, files := range inspect.LayoutFamilyFiles(1) {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for p, data := range files {
				fsys[p] = &fstest.MapFile{Data: []byte(data)}
			}
			rec := &openRecorder{FS: fsys, opened: map[string]bool{}}
			readiness.Evaluate(pol, readiness.Snapshot{FS: rec}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			deployment := 0
			for p := range files {
				if rec.opened[p] {
					deployment++
				}
			}
			if deployment == 0 {
				t.Fatalf("the evaluation opened none of the family's files: %v", rec.opened)
			}
			for p := range rec.opened {
				if !matchesAny(inputs, p) {
					t.Errorf("the evaluation opened %s, which none of the policy's inputs matches", p)
				}
			}
		})
	}
}

func matchesAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, name); ok {
			return true
		}
	}
	return false
}
