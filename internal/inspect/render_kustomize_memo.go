package inspect

import (
	"crypto/sha256"
	"sync"
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
// reused only when each of those reads returns the same again.
var builtOverlays = overlayMemo{byKey: map[overlayKey][]*builtOverlay{}}

// The memo is bounded: a few versions of each overlay (branches of one
// repository in flight), and a total that keeps its memory small next to
// a replica's, dropped whole when reached.
const (
	maxOverlayVersions = 4
	maxBuiltOverlays   = 512
)

type overlayMemo struct {
	mu    sync.Mutex
	byKey map[overlayKey][]*builtOverlay
	size  int
}

type overlayKey struct {
	dir      string
	skeleton [sha256.Size]byte
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
	err  string // "" when the read succeeded
}

func newOverlayRead(name string, data []byte, err error) overlayRead {
	if err != nil {
		return overlayRead{name: name, err: err.Error()}
	}
	return overlayRead{name: name, sum: sha256.Sum256(data)}
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
func (m *overlayMemo) lookup(rd *renderer, dir string) *builtOverlay {
	key := overlayKey{dir, rd.skeleton()}
	m.mu.Lock()
	versions := append([]*builtOverlay(nil), m.byKey[key]...)
	m.mu.Unlock()
	// Reads may fetch blobs, so they run outside the lock.
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

func (m *overlayMemo) store(rd *renderer, dir string, b *builtOverlay) {
	key := overlayKey{dir, rd.skeleton()}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.size >= maxBuiltOverlays {
		m.byKey, m.size = map[overlayKey][]*builtOverlay{}, 0
	}
	versions := append([]*builtOverlay{b}, m.byKey[key]...)
	if len(versions) > maxOverlayVersions {
		versions = versions[:maxOverlayVersions]
	} else {
		m.size++
	}
	m.byKey[key] = versions
}
