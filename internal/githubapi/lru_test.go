package githubapi

import (
	"slices"
	"testing"
)

func TestLRU(t *testing.T) {
	size := func(s string) int64 { return int64(len(s)) }
	tests := []struct {
		name       string
		maxEntries int
		maxCost    int64
		add        []string // each value is also its key
		get        string   // touched after the first two adds
		want       []string // keys left
	}{
		{"entry bound evicts the least recently used", 2, 100, []string{"a", "b", "c"}, "a", []string{"a", "c"}},
		{"cost bound evicts until it fits", 10, 5, []string{"aa", "bb", "ccc"}, "", []string{"bb", "ccc"}},
		{"a value over the whole budget is not kept", 10, 5, []string{"a", "bbbbbb"}, "", []string{"a"}},
		{"re-adding replaces without double counting", 10, 4, []string{"aa", "aa", "bb"}, "", []string{"aa", "bb"}},
	}
	for _, tt := range tests {
		c := newLRU(tt.maxEntries, tt.maxCost, size)
		for i, v := range tt.add {
			c.add(v, v)
			if i == 1 && tt.get != "" {
				c.get(tt.get)
			}
		}
		var left []string
		for _, k := range []string{"a", "b", "c", "aa", "bb", "ccc", "bbbbbb"} {
			if v, ok := c.get(k); ok && v == k {
				left = append(left, k)
			}
		}
		slices.Sort(left)
		if !slices.Equal(left, tt.want) {
			t.Errorf("%s: left %v, want %v", tt.name, left, tt.want)
		}
	}
}
