package lru

import (
	"slices"
	"testing"
)

func TestCache(t *testing.T) {
	size := func(s string) int64 { return int64(len(s)) }
	tests := []struct {
		name       string
		maxEntries int
		maxCost    int64
		cost       func(string) int64
		add        []string // each value is also its key
		get        string   // touched after the first two adds
		remove     string   // removed after all adds
		want       []string // keys left
	}{
		{name: "entry bound evicts the least recently used", maxEntries: 2, maxCost: 100, cost: size,
			add: []string{"a", "b", "c"}, get: "a", want: []string{"a", "c"}},
		{name: "cost bound evicts until it fits", maxEntries: 10, maxCost: 5, cost: size,
			add: []string{"aa", "bb", "ccc"}, want: []string{"bb", "ccc"}},
		{name: "a value over the whole budget is not kept", maxEntries: 10, maxCost: 5, cost: size,
			add: []string{"a", "bbbbbb"}, want: []string{"a"}},
		{name: "re-adding replaces without double counting", maxEntries: 10, maxCost: 4, cost: size,
			add: []string{"aa", "aa", "bb"}, want: []string{"aa", "bb"}},
		{name: "no cost bounds entries only", maxEntries: 2,
			add: []string{"bbbbbb", "ccc", "a"}, get: "bbbbbb", want: []string{"a", "bbbbbb"}},
		{name: "removed", maxEntries: 10, add: []string{"a", "b"}, remove: "a", want: []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.maxEntries, tt.maxCost, tt.cost)
			for i, v := range tt.add {
				c.Add(v, v)
				if i == 1 && tt.get != "" {
					c.Get(tt.get)
				}
			}
			if tt.remove != "" {
				c.Remove(tt.remove)
			}
			var left []string
			for _, k := range []string{"a", "b", "c", "aa", "bb", "ccc", "bbbbbb"} {
				if v, ok := c.Get(k); ok && v == k {
					left = append(left, k)
				}
			}
			slices.Sort(left)
			if !slices.Equal(left, tt.want) || c.Len() != len(tt.want) {
				t.Errorf("left %v (Len %d), want %v", left, c.Len(), tt.want)
			}
		})
	}
}
