// Package glob matches doublestar patterns against many paths quickly,
// with exactly doublestar's semantics: a pattern is prepared once, and
// most paths are rejected by comparing literal text before doublestar
// runs.
//
// doublestar matches a pattern with alternatives ("{a,b}") by substituting
// each alternative into the pattern and matching the result, building a
// new string per alternative and per path. Expanding the alternatives once
// gives the same patterns, and each one's literal text (a directory
// prefix, a file suffix, the words between its wildcards) rules out most
// paths of a repository without running a matcher at all.
package glob

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// maxAlternatives bounds the expansion of a pattern's alternatives
// ("{a,b}{c,d}" has 4): beyond it the pattern is matched unexpanded, as
// doublestar would, only more slowly.
const maxAlternatives = 256

// Pattern is a doublestar pattern prepared for matching many paths.
type Pattern struct {
	alts []alternative
	// suffixes, when every alternative has a literal suffix, are those
	// suffixes without duplicates: a path ending in none of them matches
	// no alternative.
	suffixes []string
}

// alternative is the pattern with one choice at each "{a,b}"; it matches
// only paths that start with prefix, end with suffix, contain each of
// words, and whose directory part contains each of dirWords (words a
// slash follows in the pattern). Paths of one directory share the
// dirWords test, which Filter makes once per directory.
type alternative struct {
	pattern, prefix, suffix string
	words, dirWords         []string
}

// Compile prepares a pattern that doublestar.ValidatePattern accepts; an
// invalid pattern matches what doublestar.MatchUnvalidated says it does.
func Compile(pattern string) *Pattern {
	var p Pattern
	alts, ok := expand(pattern)
	if !ok || len(alts) > maxAlternatives {
		alts = []string{pattern}
	}
	if !literalUTF8(pattern) {
		p.alts = []alternative{{pattern: pattern}}
		return &p
	}
	all := true
	for _, a := range alts {
		alt := alternative{pattern: a, prefix: literalPrefix(a), suffix: literalSuffix(a)}
		alt.words, alt.dirWords = literalWords(a)
		p.alts = append(p.alts, alt)
		if alt.suffix == "" {
			all = false
		} else if !slices.Contains(p.suffixes, alt.suffix) {
			p.suffixes = append(p.suffixes, alt.suffix)
		}
	}
	if !all {
		p.suffixes = nil
	}
	// A path ending in ".ts" ends in "load.ts" only if it also ends in
	// ".ts": the shortest suffixes are enough.
	var shortest []string
	for _, s := range p.suffixes {
		if !slices.ContainsFunc(p.suffixes, func(t string) bool { return t != s && strings.HasSuffix(s, t) }) {
			shortest = append(shortest, s)
		}
	}
	p.suffixes = shortest
	return &p
}

// Match reports whether name matches the pattern, as
// doublestar.MatchUnvalidated would.
func (p *Pattern) Match(name string) bool {
	if p.suffixes != nil && !hasAnySuffix(name, p.suffixes) {
		return false
	}
	dir := dirPart(name)
	for i := range p.alts {
		if p.alts[i].inDir(dir) && p.alts[i].match(name) {
			return true
		}
	}
	return false
}

// dirPart is name up to and including its last slash.
func dirPart(name string) string {
	return name[:strings.LastIndexByte(name, '/')+1]
}

func (a *alternative) inDir(dir string) bool {
	for _, w := range a.dirWords {
		if !strings.Contains(dir, w) {
			return false
		}
	}
	return true
}

func hasAnySuffix(name string, suffixes []string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// match tests a name whose directory part inDir accepted.
func (a *alternative) match(name string) bool {
	if !strings.HasPrefix(name, a.prefix) || !strings.HasSuffix(name, a.suffix) {
		return false
	}
	for _, w := range a.words {
		if !strings.Contains(name, w) {
			return false
		}
	}
	return doublestar.MatchUnvalidated(a.pattern, name)
}

// Filter returns the paths of sorted (a sorted list) that match pattern,
// in order.
func Filter(sorted []string, pattern string) []string {
	return Compile(pattern).filter(sorted)
}

func (p *Pattern) filter(sorted []string) []string {
	// Every match starts with the shortest of the alternatives' literal
	// prefixes' common part, which bounds the candidates by binary search.
	prefix := p.alts[0].prefix
	for _, a := range p.alts[1:] {
		prefix = commonPrefix(prefix, a.prefix)
	}
	lo, _ := slices.BinarySearch(sorted, prefix)
	var out []string
	dir, dirTested := "", false
	inDir := make([]bool, len(p.alts))
	for _, f := range sorted[lo:] {
		if !strings.HasPrefix(f, prefix) {
			break
		}
		if p.suffixes != nil && !hasAnySuffix(f, p.suffixes) {
			continue
		}
		if d := dirPart(f); !dirTested || d != dir {
			dir, dirTested = d, true
			for j := range p.alts {
				inDir[j] = p.alts[j].inDir(dir)
			}
		}
		for j := range p.alts {
			if inDir[j] && p.alts[j].match(f) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// Index is a sorted list of paths grouped by extension, for matching many
// patterns against it: a pattern whose every match ends in ".yaml" or
// ".yml" need not look at the other paths.
type Index struct {
	all   []string
	byExt map[string][]string // sorted, like all
}

// NewIndex indexes sorted, a sorted list of paths.
func NewIndex(sorted []string) *Index {
	ix := &Index{all: sorted, byExt: map[string][]string{}}
	for _, f := range sorted {
		ext := extension(f)
		ix.byExt[ext] = append(ix.byExt[ext], f)
	}
	return ix
}

// extension is what follows the last dot of a path's last segment, or
// the whole segment when it has none.
func extension(name string) string {
	base := name[strings.LastIndexByte(name, '/')+1:]
	return base[strings.LastIndexByte(base, '.')+1:]
}

// Filter returns the paths of the index that match pattern, in order.
func (ix *Index) Filter(pattern string) []string {
	p := Compile(pattern)
	if p.suffixes == nil {
		return p.filter(ix.all)
	}
	// A path ending in a suffix with a dot in its last segment (".yaml",
	// "_test.go") has that suffix's extension.
	var exts []string
	for _, s := range p.suffixes {
		dot := strings.LastIndexByte(s, '.')
		if dot < 0 || strings.ContainsRune(s[dot:], '/') {
			return p.filter(ix.all)
		}
		if ext := s[dot+1:]; !slices.Contains(exts, ext) {
			exts = append(exts, ext)
		}
	}
	var out []string
	for _, ext := range exts {
		out = append(out, p.filter(ix.byExt[ext])...)
	}
	if len(exts) > 1 {
		slices.Sort(out)
	}
	return out
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// expand lists the patterns the alternatives ("{a,b}") of pattern stand
// for, finding braces, commas and character classes as doublestar does;
// false when they might not match what pattern matches. A pattern with
// escapes is not expanded: its literal text is not what it reads.
func expand(pattern string) ([]string, bool) {
	if strings.ContainsRune(pattern, '\\') || !literalUTF8(pattern) {
		return nil, false
	}
	open := -1
	for i := 0; i < len(pattern) && open < 0; i++ {
		switch pattern[i] {
		case '[':
			i = classEnd(pattern, i)
		case '{':
			open = i
		}
	}
	if open < 0 {
		return []string{pattern}, true
	}
	// doublestar decides whether "**" is a globstar by the character after
	// it, before substituting: "**{/c}" is "*" then "/c", not "**/c".
	if open > 0 && pattern[open-1] == '*' {
		return nil, false
	}
	closing, commas := -1, []int{open}
	depth := 1
	for i := open + 1; i < len(pattern) && closing < 0; i++ {
		switch pattern[i] {
		case '[':
			i = classEnd(pattern, i)
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				closing = i
			}
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		}
	}
	if closing < 0 {
		return nil, false // malformed: doublestar decides
	}
	commas = append(commas, closing)
	// When a path ends before the pattern does, doublestar accepts a rest
	// of "*", "**", "/**", "**/" or "/**/", but not the same with
	// alternatives that add nothing else: "a/**/{,}" does not match "a"
	// where "a/**/" does. An alternative of only stars and slashes in the
	// pattern's tail could make that difference.
	tail := strings.Trim(pattern[closing+1:], "*/") == ""
	var out []string
	for i := 1; i < len(commas); i++ {
		choice := pattern[commas[i-1]+1 : commas[i]]
		if tail && (strings.Trim(choice, "*/") == "" || strings.ContainsRune(choice, '{')) {
			return nil, false
		}
		alts, ok := expand(pattern[:open] + choice + pattern[closing+1:])
		if !ok {
			return nil, false
		}
		out = append(out, alts...)
		if len(out) > maxAlternatives {
			return out, true
		}
	}
	return out, true
}

// literalUTF8 reports whether the pattern's literal text compares as
// bytes: doublestar compares runes, and an invalid byte in a path decodes
// to utf8.RuneError, which an invalid byte or a U+FFFD in the pattern
// equals.
func literalUTF8(pattern string) bool {
	return utf8.ValidString(pattern) && !strings.ContainsRune(pattern, utf8.RuneError)
}

// classEnd is the index of the "]" closing the character class opened at
// i, or the pattern's last index when none does.
func classEnd(pattern string, i int) int {
	if j := strings.IndexByte(pattern[i+1:], ']'); j >= 0 {
		return i + 1 + j
	}
	return len(pattern) - 1
}

// metaIndex is the index of the first doublestar meta character, or the
// pattern's length when it has none.
func metaIndex(pattern string) int {
	if i := strings.IndexAny(pattern, `*?[{\`); i >= 0 {
		return i
	}
	return len(pattern)
}

// literalPrefix is the literal directories before the first meta
// character: "deploy/overlays/*/kustomization.yaml" can only match paths
// under "deploy/overlays/". doublestar also lets "deploy/**" match
// "deploy" itself (it might be a directory), so there the prefix stops
// before the slash.
func literalPrefix(pattern string) string {
	prefix := pattern[:strings.LastIndexByte(pattern[:metaIndex(pattern)], '/')+1]
	if rest := pattern[len(prefix):]; prefix != "" && (rest == "**" || rest == "**/") {
		return prefix[:len(prefix)-1]
	}
	return prefix
}

// literalSuffix is the literal text after the last meta character, which
// ends every match: "**/*.jmx" needs ".jmx". A leading "/" is dropped,
// since "**/" also matches no directory.
func literalSuffix(pattern string) string {
	return strings.TrimPrefix(pattern[strings.LastIndexAny(pattern, `*?]}\`)+1:], "/")
}

// literalWords are the runs of literal text of a pattern without
// alternatives or escapes, split at slashes (a slash beside "**" may
// match nothing): every match contains each of them, and those a slash
// follows (dirWords) in its directory part.
func literalWords(pattern string) (words, dirWords []string) {
	if strings.ContainsAny(pattern, `{}\`) {
		return nil, nil
	}
	start := 0
	flush := func(end int) {
		at := start
		run := strings.Split(pattern[start:end], "/")
		for i, w := range run {
			at += len(w) + 1
			// A path that ends where a trailing "/**" starts matches
			// ("a/**" matches "a"), so a slash there is no directory.
			rest := pattern[min(at-1, len(pattern)):]
			switch {
			case w == "":
			case i < len(run)-1 && rest != "/**" && rest != "/**/":
				dirWords = append(dirWords, w)
			default:
				words = append(words, w)
			}
		}
	}
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '*', '?':
			flush(i)
			start = i + 1
		case '[':
			flush(i)
			i = classEnd(pattern, i)
			start = i + 1
		}
	}
	flush(len(pattern))
	return words, dirWords
}
