package codeowners

import (
	"math/rand/v2"
	"path"
	"strings"
	"testing"
)

// refMatch is the CODEOWNERS matching rule stated directly, by brute force
// over every way the pattern's segments could cover the path's components.
// It shares no code with the compiled matcher, which it checks.
func refMatch(pattern, p string) bool {
	anchored := strings.HasPrefix(pattern, "/")
	dirOnly := strings.HasSuffix(pattern, "/")
	segs := strings.Split(strings.Trim(pattern, "/"), "/")
	if len(segs) > 1 {
		anchored = true
	}
	if segs[len(segs)-1] == "**" && !dirOnly {
		// "a/**" owns what is inside a: "**" must cover something there.
		segs, dirOnly = segs[:len(segs)-1], true
	}
	exact := !dirOnly && segs[len(segs)-1] == "*"
	comps := strings.Split(p, "/")

	// ends returns every k such that segs cover comps[i:k].
	var ends func(segs []string, i int) []int
	ends = func(segs []string, i int) []int {
		if len(segs) == 0 {
			return []int{i}
		}
		var out []int
		if segs[0] == "**" {
			for j := i; j <= len(comps); j++ {
				out = append(out, ends(segs[1:], j)...)
			}
			return out
		}
		if i < len(comps) {
			glob := segs[0]
			for strings.Contains(glob, "**") {
				glob = strings.ReplaceAll(glob, "**", "*")
			}
			if ok, _ := path.Match(glob, comps[i]); ok {
				out = ends(segs[1:], i+1)
			}
		}
		return out
	}
	starts := []int{0}
	if !anchored {
		starts = nil
		for i := range comps {
			starts = append(starts, i)
		}
	}
	for _, i := range starts {
		for _, k := range ends(segs, i) {
			switch {
			case dirOnly && k < len(comps), exact && k == len(comps), !dirOnly && !exact && k > i:
				return true
			}
		}
	}
	return false
}

func TestMatcherAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	checked := 0
	for range 20000 {
		var segs []string
		for range 1 + rng.IntN(4) {
			segs = append(segs, pick("a", "b", "ab", "*", "**", "?", "a*", "*b", "a?b", "*a*"))
		}
		pattern := pick("", "/") + strings.Join(segs, "/") + pick("", "", "/")
		var comps []string
		for range 1 + rng.IntN(5) {
			comps = append(comps, pick("a", "b", "ab", "ba", "aab", "bb"))
		}
		p := strings.Join(comps, "/")

		f := Parse("CODEOWNERS", []byte(pattern+" @o"))
		if len(f.Rules) == 0 {
			continue // "/", "//"-style lines are reported, not matched
		}
		checked++
		if got, want := f.Match(p) != nil, refMatch(pattern, p); got != want {
			t.Fatalf("%q matching %q = %v, reference says %v", pattern, p, got, want)
		}
	}
	if checked < 15000 {
		t.Fatalf("only %d cases checked", checked)
	}
}
