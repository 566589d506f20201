package githubapi

import (
	"container/list"
	"sync"
)

// lru is a least-recently-used cache bounded by a number of entries and by a
// total cost (an approximation of the bytes an entry holds). Both bounds
// matter: launch kits are small files, but a pull request chooses what its
// head tree holds, and without a byte bound a tree of megabyte files would
// turn an entry limit into a memory limit of entries × MaxBlobSize.
// It is safe for concurrent use.
type lru[V any] struct {
	mu         sync.Mutex
	maxEntries int
	maxCost    int64
	cost       func(V) int64
	total      int64
	order      *list.List // front is most recently used
	items      map[string]*list.Element
}

type lruItem[V any] struct {
	key  string
	val  V
	cost int64
}

func newLRU[V any](maxEntries int, maxCost int64, cost func(V) int64) *lru[V] {
	return &lru[V]{
		maxEntries: maxEntries, maxCost: maxCost, cost: cost,
		order: list.New(), items: map[string]*list.Element{},
	}
}

func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruItem[V]).val, true
	}
	var zero V
	return zero, false
}

// add stores val under key. A value costing more than the whole budget is
// not stored: it would only evict everything else and then itself.
func (c *lru[V]) add(key string, val V) {
	cost := c.cost(val)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.removeLocked(e)
	}
	if cost > c.maxCost {
		return
	}
	c.items[key] = c.order.PushFront(&lruItem[V]{key: key, val: val, cost: cost})
	c.total += cost
	for c.order.Len() > c.maxEntries || c.total > c.maxCost {
		c.removeLocked(c.order.Back())
	}
}

func (c *lru[V]) removeLocked(e *list.Element) {
	it := e.Value.(*lruItem[V])
	c.order.Remove(e)
	delete(c.items, it.key)
	c.total -= it.cost
}

func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
