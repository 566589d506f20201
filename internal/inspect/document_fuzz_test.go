package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/launchgate/launchgate/templates"
)

// FuzzDocument checks arbitrary bytes as a recovery document: the check
// must not panic, must locate findings within the file, and must give the
// same answer twice.
func FuzzDocument(f *testing.F) {
	seeds, err := filepath.Glob("testdata/docs/*.md")
	if err != nil {
		f.Fatal(err)
	}
	filled, err := filepath.Glob("testdata/docs/filled/*.md")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range append(seeds, filled...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	tmpl, err := templates.Launch.ReadFile("launch/recovery.md")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tmpl)
	f.Add([]byte("## Recovery drill\r\n\r\n2025-13-45 <!-- 2025-01-01\n"))
	f.Add([]byte("\uFEFF## 1) Back*ups*\n---\n| a |\n|---|\n| 2025-02-29 |"))

	f.Fuzz(func(t *testing.T, data []byte) {
		d := recoveryDoc()
		repo := docRepo(map[string][]byte{d.Path: data})
		first := d.Check(repo)
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, f := range first {
			if f.Line < 0 || f.Line > lines+1 {
				t.Errorf("finding at line %d of a %d-line file: %+v", f.Line, lines, f)
			}
			if f.Path != d.Path || f.Message == "" {
				t.Errorf("finding without a path or message: %+v", f)
			}
		}
		if second := d.Check(repo); !reflect.DeepEqual(first, second) {
			t.Errorf("results differ between runs:\n%v\n%v", first, second)
		}
	})
}
