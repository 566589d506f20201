// Package lru is the bounded cache launchgate keeps everything in: the
// GitHub adapter's trees, blobs and listings, the server's delivery GUIDs,
// evaluation memo and reconciler state, inspect's kustomize builds, and
// the pages' answers about who may see what.
package lru

import (
	"container/list"
	"sync"
)

// Cache is a least-recently-used cache bounded by a number of entries and,
// optionally, by a total cost (an approximation of the bytes an entry
// holds). Both bounds matter for the GitHub adapter: launch kits are small
// files, but a pull request chooses what its head tree holds, and without
// a byte bound a tree of megabyte files would turn an entry limit into a
// memory limit of entries × MaxBlobSize.
// It is safe for concurrent use.
type Cache[V any] struct {
	mu         sync.Mutex
	maxEntries int
	maxCost    int64
	cost       func(V) int64
	total      int64
	order      *list.List // front is most recently used
	items      map[string]*list.Element
}

type item[V any] struct {
	key  string
	val  V
	cost int64
}

// New returns a cache of at most maxEntries entries whose costs, cost(v)
// each, add up to at most maxCost. A nil cost bounds the entries only.
func New[V any](maxEntries int, maxCost int64, cost func(V) int64) *Cache[V] {
	if cost == nil {
		cost = func(V) int64 { return 0 }
	}
	return &Cache[V]{
		maxEntries: maxEntries, maxCost: maxCost, cost: cost,
		order: list.New(), items: map[string]*list.Element{},
	}
}

// Get returns the value stored under key and makes it the most recently
// used.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*item[V]).val, true
	}
	var zero V
	return zero, false
}

// Add stores val under key, evicting the least recently used entries
// until both bounds hold. A value costing more than the whole budget is
// not stored: it would only evict everything else and then itself.
func (c *Cache[V]) Add(key string, val V) {
	cost := c.cost(val)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.removeLocked(e)
	}
	if cost > c.maxCost {
		return
	}
	c.items[key] = c.order.PushFront(&item[V]{key: key, val: val, cost: cost})
	c.total += cost
	for c.order.Len() > c.maxEntries || c.total > c.maxCost {
		c.removeLocked(c.order.Back())
	}
}

// Remove forgets key.
func (c *Cache[V]) Remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.removeLocked(e)
	}
}

func (c *Cache[V]) removeLocked(e *list.Element) {
	it := e.Value.(*item[V])
	c.order.Remove(e)
	delete(c.items, it.key)
	c.total -= it.cost
}

// Len is the number of entries.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
