package repofs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestDirDoesNotFollowLinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.md"), []byte("outside the checkout"), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "launch"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "launch", "deployment.md"), []byte("# Deployment"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"launch/recovery.md": filepath.Join(outside, "secret.md"),
		"launch/shared":      outside,
	} {
		if err := os.Symlink(target, filepath.Join(repo, filepath.FromSlash(link))); err != nil {
			t.Skipf("symbolic links unavailable: %v", err)
		}
	}
	fsys := Dir(repo)
	reads := map[string]func(name string) error{
		"ReadFile": func(name string) error { _, err := fs.ReadFile(fsys, name); return err },
		"Open": func(name string) error {
			f, err := fsys.Open(name)
			if err == nil {
				f.Close()
			}
			return err
		},
		"Stat": func(name string) error { _, err := fs.Stat(fsys, name); return err },
	}
	tests := []struct {
		name    string
		path    string
		wantErr error // nil: readable
	}{
		{name: "regular file", path: "launch/deployment.md"},
		{name: "link to a file outside", path: "launch/recovery.md", wantErr: ErrSymlink},
		{name: "link to a directory outside", path: "launch/shared", wantErr: ErrSymlink},
		{name: "file under a linked directory", path: "launch/shared/secret.md", wantErr: fs.ErrNotExist},
		{name: "missing file", path: "launch/nope.md", wantErr: fs.ErrNotExist},
		{name: "invalid path", path: "../x", wantErr: fs.ErrInvalid},
	}
	for _, tt := range tests {
		for op, read := range reads {
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				err := read(tt.path)
				if (tt.wantErr == nil) != (err == nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Errorf("%s(%s) = %v, want %v", op, tt.path, err, tt.wantErr)
				}
			})
		}
	}
	entries, err := fs.ReadDir(fsys, "launch")
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]fs.FileMode{}
	for _, e := range entries {
		types[e.Name()] = e.Type()
	}
	if types["recovery.md"] != fs.ModeSymlink || types["shared"] != fs.ModeSymlink || types["deployment.md"] != 0 {
		t.Errorf("ReadDir types = %v; links must be listed as links", types)
	}
}
