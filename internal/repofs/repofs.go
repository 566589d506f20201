// Package repofs is a local checkout as launchgate reads it: the way the
// App reads a pull request's tree from git, where a symbolic link is a
// file holding its target's name, not the target.
package repofs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrSymlink is the error of reading a symbolic link. A link's target is
// whatever the repository says it is, possibly outside it, so it is not
// followed, locally as in the App.
var ErrSymlink = errors.New("symbolic link; launchgate does not follow links in a repository")

// Dir is the directory dir as an fs.FS that does not follow symbolic
// links: a link is listed by ReadDir with its type, reading or opening it
// fails with ErrSymlink, and nothing under a linked directory exists, as
// in a git tree. os.DirFS alone would follow links out of the checkout.
func Dir(dir string) fs.FS { return noLinks{root: dir, fsys: os.DirFS(dir)} }

type noLinks struct {
	root string
	fsys fs.FS
}

var (
	_ fs.StatFS     = noLinks{}
	_ fs.ReadDirFS  = noLinks{}
	_ fs.ReadFileFS = noLinks{}
)

// check refuses a name that is, or is under, a symbolic link. Other
// problems (a missing file, a permission) are left for the read to report.
func (n noLinks) check(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return nil
	}
	p := n.root
	parts := strings.Split(name, "/")
	for i, part := range parts {
		p = filepath.Join(p, part)
		info, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if i < len(parts)-1 {
			// git stores a link, not what is under its target.
			return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		return &fs.PathError{Op: op, Path: name, Err: ErrSymlink}
	}
	return nil
}

func (n noLinks) Open(name string) (fs.File, error) {
	if err := n.check("open", name); err != nil {
		return nil, err
	}
	return n.fsys.Open(name)
}

func (n noLinks) Stat(name string) (fs.FileInfo, error) {
	if err := n.check("stat", name); err != nil {
		return nil, err
	}
	return fs.Stat(n.fsys, name)
}

func (n noLinks) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := n.check("readdir", name); err != nil {
		return nil, err
	}
	return fs.ReadDir(n.fsys, name)
}

func (n noLinks) ReadFile(name string) ([]byte, error) {
	if err := n.check("read", name); err != nil {
		return nil, err
	}
	return fs.ReadFile(n.fsys, name)
}
