package signoff

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/inspect"
)

// MaxArtifactSize caps what Scan reads of one file: the checks read no
// more (inspect.MaxFileSize), and a larger file cannot be attested.
const MaxArtifactSize = inspect.MaxFileSize

// Digest prefixes. A digest of artifacts that could not all be read starts
// with unreadablePrefix; launchgate never signs such a digest, so it never
// equals the digest of a record.
const (
	digestPrefix     = "sha256:"
	unreadablePrefix = "unreadable:"
)

// Artifacts are the files a sign-off item attests, as found now.
type Artifacts struct {
	// Digest is sha256 over the sorted (path, sha256(content)) pairs.
	Digest string
	// Files are the matching files, sorted by path.
	Files []Artifact
}

// Artifact is one attested file.
type Artifact struct {
	Path string
	// Hash is "sha256:<hex>" of the content, or "" when the file could not
	// be read, with Problem saying why.
	Hash    string
	Problem string
}

// Digest returns the digest of the files in fsys matching any of globs
// (doublestar patterns, normally an item's Globs). See Scan.
func Digest(fsys fs.FS, globs []string) (string, error) {
	a, err := Scan(fsys, globs)
	if err != nil {
		return "", err
	}
	return a.Digest, nil
}

// Scan finds and hashes the files in fsys matching any of globs. The
// listing is the checks' own (inspect.Repo: regular files, .git skipped),
// so the App and the CLI attest the same files. A file that cannot be read,
// or is larger than MaxArtifactSize, is recorded with its problem and makes
// the digest unreadable: an artifact launchgate could not read never
// matches what a reviewer signed off. Scan fails only on a bad glob or when
// the tree cannot be listed.
func Scan(fsys fs.FS, globs []string) (*Artifacts, error) {
	for _, g := range globs {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("signoff: artifact glob %q is not valid", g)
		}
	}
	var paths []string
	if len(globs) > 0 {
		var err error
		if paths, err = inspect.NewRepo(fsys, time.Time{}, nil).Match(globs...); err != nil {
			return nil, fmt.Errorf("signoff: listing artifacts: %w", err)
		}
	}
	a := &Artifacts{Files: make([]Artifact, 0, len(paths))}
	sum := sha256.New()
	readable := true
	for _, p := range paths {
		f := hashFile(fsys, p)
		readable = readable && f.Hash != ""
		a.Files = append(a.Files, f)
		fmt.Fprintf(sum, "%d:%s%d:%s", len(p), p, len(f.Hash), f.Hash)
	}
	a.Digest = digestPrefix + hex.EncodeToString(sum.Sum(nil))
	if !readable {
		a.Digest = unreadablePrefix + a.Digest
	}
	return a, nil
}

func hashFile(fsys fs.FS, path string) Artifact {
	f, err := fsys.Open(path)
	if err != nil {
		return Artifact{Path: path, Problem: err.Error()}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, MaxArtifactSize+1))
	switch {
	case err != nil:
		return Artifact{Path: path, Problem: err.Error()}
	case n > MaxArtifactSize:
		return Artifact{Path: path, Problem: fmt.Sprintf("larger than the %d byte limit", MaxArtifactSize)}
	}
	return Artifact{Path: path, Hash: digestPrefix + hex.EncodeToString(h.Sum(nil))}
}

// Unreadable lists the files that could not be read.
func (a *Artifacts) Unreadable() []string {
	var paths []string
	for _, f := range a.Files {
		if f.Hash == "" {
			paths = append(paths, f.Path)
		}
	}
	return paths
}

// Readable reports whether every file could be read, so that the digest
// can be signed.
func (a *Artifacts) Readable() bool { return a != nil && len(a.Unreadable()) == 0 }

// A fingerprint lets a later note name the files that changed since a
// sign-off without the comment holding every path and hash: each file is
// fpLen characters, a truncated hash of its path and one of its path and
// content. It only explains; the signed digest decides. Past
// maxFingerprintFiles files the fingerprint is left out to keep the
// comment small, and notes then say "the files it attests changed".
const (
	fpLen               = 8 // two halves of 4 base64 characters (3 bytes)
	maxFingerprintFiles = 200
)

func (a *Artifacts) fingerprint() string {
	if len(a.Files) > maxFingerprintFiles {
		return ""
	}
	b := make([]byte, 0, fpLen*len(a.Files))
	for _, f := range a.Files {
		b = append(b, fileFingerprint(f)...)
	}
	return string(b)
}

func fileFingerprint(f Artifact) string {
	p := sha256.Sum256([]byte(f.Path))
	c := sha256.Sum256(fmt.Appendf(nil, "%d:%s%d:%s", len(f.Path), f.Path, len(f.Hash), f.Hash))
	return base64.RawURLEncoding.EncodeToString(p[:3]) + base64.RawURLEncoding.EncodeToString(c[:3])
}

// changedSince compares the files now with a fingerprint taken at sign-off:
// the paths that are new or different, and how many files were removed.
// ok is false when the fingerprint is missing or damaged.
func (a *Artifacts) changedSince(fp string) (changed []string, removed int, ok bool) {
	if fp == "" || len(fp)%fpLen != 0 {
		return nil, 0, false
	}
	const half = fpLen / 2
	then := map[string]string{} // path half → content half
	for i := 0; i < len(fp); i += fpLen {
		then[fp[i:i+half]] = fp[i+half : i+fpLen]
	}
	present := 0
	for _, f := range a.Files {
		now := fileFingerprint(f)
		content, was := then[now[:half]]
		if was {
			present++
		}
		if !was || content != now[half:] {
			changed = append(changed, f.Path)
		}
	}
	return changed, max(len(then)-present, 0), true
}
