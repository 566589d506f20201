package inspect

import (
	"crypto/sha256"

	"github.com/launchgate/launchgate/internal/lru"
)

// kustomize builds an overlay from two things only: the directories of
// the in-memory skeleton (newKustomize) and the answers to the files it
// reads through repoFS.ReadFile (plugins are off, and each Run resets the
// OpenAPI schema from the kustomization it loads). When both are the same
// as in an earlier build, so is the output: a review, a checklist tick or
// a push that leaves the deployment configuration alone evaluates the same
// overlays again, and each build costs more than the rest of an
// evaluation. builtOverlays remembers successful builds, by overlay
// directory and skeleton, with what every read returned; a build is
// reused only when each of those reads returns the same again. Reads may
// fetch blobs, so they run outside the cache's lock.
var builtOverlays = newOverlayMemo()

// The memo keeps a few versions of each overlay (branches of one
// repository in flight) and is bounded by builds and by the bytes they
// read, which the objects they hold are proportional to.
const (
	maxOverlayVersions = 4
	maxBuiltOverlays   = 512
	maxBuiltBytes      = 64 << 20
)

// overlayMemo maps an overlay directory and skeleton digest to its latest
// builds, newest first.
type overlayMemo struct {
	builds *lru.Cache[[]*builtOverlay]
}

func newOverlayMemo() overlayMemo {
	return overlayMemo{builds: lru.New(maxBuiltOverlays, maxBuiltBytes, func(versions []*builtOverlay) int64 {
		var n int64
		for _, b := range versions {
			for _, r := range b.reads {
				n += int64(r.size)
			}
		}
		return n
	})}
}

func (rd *renderer) overlayKey(dir string) string {
	sum := rd.skeleton()
	return dir + "\x00" + string(sum[:])
}

// builtOverlay is a successful build's output and what it read. Its
// objects are shared between evaluations and only ever decoded.
type builtOverlay struct {
	reads    []overlayRead
	objs     []manifest
	accessed []string
}

// overlayRead is one ReadFile of a build and its answer.
type overlayRead struct {
	name string
	sum  [sha256.Size]byte
	size int
	err  string // "" when the read succeeded
}

func newOverlayRead(name string, data []byte, err error) overlayRead {
	if err != nil {
		return overlayRead{name: name, err: err.Error()}
	}
	return overlayRead{name: name, sum: sha256.Sum256(data), size: len(data)}
}

// skeleton digests the directories kustomize sees.
func (rd *renderer) skeleton() [sha256.Size]byte {
	if !rd.skeletonDone {
		h := sha256.New()
		for _, d := range rd.sorted {
			h.Write([]byte(d))
			h.Write([]byte{0})
		}
		h.Sum(rd.skeletonSum[:0])
		rd.skeletonDone = true
	}
	return rd.skeletonSum
}

// lookup returns an earlier build of dir whose reads all answer the same
// in rd, or nil.
func (m overlayMemo) lookup(rd *renderer, dir string) *builtOverlay {
	versions, _ := m.builds.Get(rd.overlayKey(dir))
	for _, b := range versions {
		if b.unchanged(rd) {
			return b
		}
	}
	return nil
}

func (b *builtOverlay) unchanged(rd *renderer) bool {
	for _, r := range b.reads {
		data, err := rd.kustomizeRead(r.name)
		if newOverlayRead(r.name, data, err) != r {
			return false
		}
	}
	return true
}

// store makes b the newest build of dir. Two evaluations storing at once
// may keep only one of their builds, which costs a build later, nothing
// else.
func (m overlayMemo) store(rd *renderer, dir string, b *builtOverlay) {
	key := rd.overlayKey(dir)
	old, _ := m.builds.Get(key)
	versions := append([]*builtOverlay{b}, old...)
	m.builds.Add(key, versions[:min(len(versions), maxOverlayVersions)])
}
