package signoff

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// failFS fails to open the named files, as a Git-backed fs.FS does when a
// blob cannot be fetched.
type failFS struct {
	fstest.MapFS
	fail map[string]bool
}

func (f failFS) Open(name string) (fs.File, error) {
	if f.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("blob fetch failed")}
	}
	return f.MapFS.Open(name)
}

func TestScan(t *testing.T) {
	base := fstest.MapFS{
		"launch/monitoring.md":  {Data: []byte("# Monitoring\n")},
		"deploy/prod/app.yaml":  {Data: []byte("replicas: 2\n")},
		"deploy/.git/HEAD":      {Data: []byte("ref\n")},
		".git/config":           {Data: []byte("x")},
		"src/main.go":           {Data: []byte("package main")},
		"deploy/prod/image.bin": {Data: []byte("\x00\x01binary is fine")},
	}
	globs := []string{"launch/monitoring.md", "deploy/**"}
	a, err := Scan(base, globs)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range a.Files {
		paths = append(paths, f.Path)
	}
	// .git directories are skipped at any depth, as the checks skip them.
	want := []string{"deploy/prod/app.yaml", "deploy/prod/image.bin", "launch/monitoring.md"}
	if !reflect.DeepEqual(paths, want) || !strings.HasPrefix(a.Digest, "sha256:") || !a.Readable() {
		t.Fatalf("Scan = %v %s readable=%v", paths, a.Digest, a.Readable())
	}

	with := func(path, content string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		if content == "" {
			delete(m, path)
		} else {
			m[path] = &fstest.MapFile{Data: []byte(content)}
		}
		return m
	}
	tests := []struct {
		name string
		fsys fs.FS
		same bool
	}{
		{"unchanged", with("src/main.go", "package main"), true},
		{"a file outside the globs changed", with("src/main.go", "package other"), true},
		{"an attested file changed", with("launch/monitoring.md", "# Monitoring\nmore\n"), false},
		{"an attested file added", with("deploy/uat/app.yaml", "replicas: 2\n"), false},
		{"an attested file removed", with("deploy/prod/app.yaml", ""), false},
		{"an attested file renamed, same content", func() fs.FS {
			m := with("deploy/prod/app.yaml", "")
			m["deploy/prod/app2.yaml"] = &fstest.MapFile{Data: []byte("replicas: 2\n")}
			return m
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Digest(tt.fsys, globs)
			if err != nil {
				t.Fatal(err)
			}
			if (d == a.Digest) != tt.same {
				t.Errorf("digest same = %v, want %v", d == a.Digest, tt.same)
			}
		})
	}

	t.Run("an unreadable file fails closed, and twice the same failure is still unreadable", func(t *testing.T) {
		bad := failFS{MapFS: base, fail: map[string]bool{"deploy/prod/app.yaml": true}}
		b, err := Scan(bad, globs)
		if err != nil {
			t.Fatal(err)
		}
		if b.Readable() || !strings.HasPrefix(b.Digest, unreadablePrefix) || b.Digest == a.Digest {
			t.Fatalf("unreadable scan = %+v", b)
		}
		if got := b.Unreadable(); !reflect.DeepEqual(got, []string{"deploy/prod/app.yaml"}) {
			t.Errorf("Unreadable = %v", got)
		}
	})
	t.Run("an oversized file is unreadable", func(t *testing.T) {
		big := with("deploy/prod/huge.yaml", strings.Repeat("x", MaxArtifactSize+1))
		b, err := Scan(big, globs)
		if err != nil {
			t.Fatal(err)
		}
		if b.Readable() || !strings.Contains(b.Files[1].Problem, "limit") {
			t.Fatalf("oversized file scanned as %+v", b.Files[1])
		}
	})
	t.Run("a file of exactly the limit is readable", func(t *testing.T) {
		b, err := Scan(with("deploy/prod/edge.yaml", strings.Repeat("x", MaxArtifactSize)), globs)
		if err != nil || !b.Readable() {
			t.Fatalf("Scan = %+v, %v", b, err)
		}
	})
	t.Run("a bad glob is an error", func(t *testing.T) {
		if _, err := Scan(base, []string{"deploy/[x"}); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("no globs attest nothing, stably", func(t *testing.T) {
		x, err1 := Digest(base, nil)
		y, err2 := Digest(with("launch/monitoring.md", "changed"), nil)
		if err1 != nil || err2 != nil || x != y || !strings.HasPrefix(x, "sha256:") {
			t.Fatalf("Digest(nil) = %q, %q (%v, %v)", x, y, err1, err2)
		}
	})
}

func TestChangedSince(t *testing.T) {
	then := &Artifacts{Files: []Artifact{
		{Path: "a.md", Hash: "sha256:1"}, {Path: "b.md", Hash: "sha256:2"}, {Path: "c.md", Hash: "sha256:3"},
	}}
	now := &Artifacts{Files: []Artifact{
		{Path: "a.md", Hash: "sha256:1"}, {Path: "b.md", Hash: "sha256:9"}, {Path: "d.md", Hash: "sha256:4"},
	}}
	changed, removed, ok := now.changedSince(then.fingerprint())
	if !ok || !reflect.DeepEqual(changed, []string{"b.md", "d.md"}) || removed != 1 {
		t.Fatalf("changedSince = %v, %d, %v", changed, removed, ok)
	}
	if got := changes(now, then.fingerprint()); got != "b.md and d.md changed and 1 file it attests was removed" {
		t.Errorf("changes = %q", got)
	}
	for _, fp := range []string{"", "short", then.fingerprint() + "x"} {
		if _, _, ok := now.changedSince(fp); ok {
			t.Errorf("changedSince(%q) ok", fp)
		}
		if got := changes(now, fp); got != "the files it attests changed" {
			t.Errorf("changes(%q) = %q", fp, got)
		}
	}
	many := &Artifacts{Files: make([]Artifact, maxFingerprintFiles+1)}
	if many.fingerprint() != "" {
		t.Error("an oversized fingerprint was kept")
	}
}
