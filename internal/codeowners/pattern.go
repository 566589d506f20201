package codeowners

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The matcher is written by hand rather than borrowed. doublestar matches
// shell globs, with no notion of floating or anchored patterns, and the
// gitignore libraries implement gitignore, which CODEOWNERS is not: GitHub
// drops negation and character ranges, refuses "***", and gives a final lone
// "*" segment its own meaning ("docs/*" owns docs/a.md but not docs/b/c.md,
// where gitignore would take the whole docs/b directory). The popular
// github.com/hmarr/codeowners gets the matching right but rejects the whole
// file for one bad line, while GitHub skips just that line.
//
// A pattern compiles to a list of segments matched one to one against the
// path's slash-separated components; a globstar segment absorbs any number of
// components. Anchoring and the trailing-slash rules are folded into that
// list at compile time, so matching is one allocation-free loop.

type segKind uint8

const (
	segLiteral  segKind = iota // matches one component equal to lit
	segSuffix                  // "*lit", as in "*.go": the component ends with lit
	segPrefix                  // "lit*": the component starts with lit
	segGlob                    // matches one component against toks
	segAny                     // a lone "*": matches any one component
	segGlobstar                // "**": matches zero or more components
)

type segment struct {
	kind segKind
	lit  string
	toks []token
}

type tokKind uint8

const (
	tokLiteral tokKind = iota
	tokStar            // "*": any run of characters within a component
	tokOne             // "?": exactly one character
)

type token struct {
	kind tokKind
	lit  string
}

// pattern is a compiled CODEOWNERS pattern that must match the whole path.
type pattern struct {
	segs []segment
	// prefix joins the literal segments an anchored pattern starts with
	// ("services/api" for "/services/api/**/*.go"), so that most anchored
	// rules reject a path with one comparison; the first nprefix segments
	// are then already matched.
	prefix  string
	nprefix int
}

// errNeverMatches carries GitHub's own advice for the pattern "/".
var errNeverMatches = errors.New(`"/" never matches anything; did you mean "*"?`)

// compile turns a pattern as written (escapes included) into a matcher, or
// explains why GitHub would reject the line.
func compile(raw string) (*pattern, error) {
	switch {
	case strings.HasPrefix(raw, "!"):
		return nil, errors.New(`negation with "!" is not supported in CODEOWNERS`)
	case strings.HasPrefix(raw, `\#`):
		// GitHub's docs list this gitignore escape among the rules that do not
		// work; accepting it would claim ownership GitHub never applies.
		return nil, errors.New(`escaping a leading "#" with "\" is not supported in CODEOWNERS`)
	}

	parts, err := splitSegments(raw)
	if err != nil {
		return nil, err
	}

	anchored, dirOnly := false, false
	if len(parts) > 1 && parts[0].empty() {
		anchored = true
		parts = parts[1:]
	}
	if len(parts) > 1 && parts[len(parts)-1].empty() {
		dirOnly = true
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 1 && parts[0].empty() {
		return nil, errNeverMatches
	}
	for _, p := range parts {
		if p.empty() {
			return nil, errors.New(`empty path segment ("//") never matches anything`)
		}
	}
	// gitignore: a slash anywhere but at the end anchors the pattern to the
	// root; without one the pattern floats to any depth.
	if len(parts) > 1 {
		anchored = true
	}

	segs := make([]segment, 0, len(parts)+3)
	if !anchored {
		segs = append(segs, segment{kind: segGlobstar})
	}
	for _, p := range parts {
		segs = appendSegment(segs, p.segment())
	}
	// "foo/**" owns what is inside foo, exactly like "foo/".
	for len(segs) > 0 && segs[len(segs)-1].kind == segGlobstar {
		segs = segs[:len(segs)-1]
		dirOnly = true
	}

	switch {
	case dirOnly:
		// Something must lie below the matched directory.
		segs = append(segs, segment{kind: segAny}, segment{kind: segGlobstar})
	case len(segs) > 0 && segs[len(segs)-1].kind == segAny:
		// A final lone "*" matches one component only (GitHub's "docs/*").
	default:
		// A name matches the file itself or everything under a directory of
		// that name.
		segs = append(segs, segment{kind: segGlobstar})
	}

	p := &pattern{segs: segs}
	var lits []string
	for _, s := range segs {
		if s.kind != segLiteral {
			break
		}
		lits = append(lits, s.lit)
	}
	p.prefix, p.nprefix = strings.Join(lits, "/"), len(lits)
	return p, nil
}

// appendSegment drops a globstar that follows another: "**/**" means "**",
// and merging them keeps matching linear.
func appendSegment(segs []segment, s segment) []segment {
	if s.kind == segGlobstar && len(segs) > 0 && segs[len(segs)-1].kind == segGlobstar {
		return segs
	}
	return append(segs, s)
}

// rawSegment is one slash-separated part of a pattern with escapes resolved.
type rawSegment struct {
	toks     []token
	globstar bool // exactly "**"
}

func (r rawSegment) empty() bool { return len(r.toks) == 0 && !r.globstar }

func (r rawSegment) segment() segment {
	switch {
	case r.globstar:
		return segment{kind: segGlobstar}
	case len(r.toks) == 1 && r.toks[0].kind == tokStar:
		return segment{kind: segAny}
	case len(r.toks) == 1 && r.toks[0].kind == tokLiteral:
		return segment{kind: segLiteral, lit: r.toks[0].lit}
	case len(r.toks) == 2 && r.toks[0].kind == tokStar && r.toks[1].kind == tokLiteral:
		return segment{kind: segSuffix, lit: r.toks[1].lit}
	case len(r.toks) == 2 && r.toks[0].kind == tokLiteral && r.toks[1].kind == tokStar:
		return segment{kind: segPrefix, lit: r.toks[0].lit}
	}
	return segment{kind: segGlob, toks: r.toks}
}

// splitSegments tokenises a pattern. A backslash makes the next character
// literal, as in gitignore; an escaped "/" still separates segments because
// no path component can contain one.
func splitSegments(raw string) ([]rawSegment, error) {
	var (
		segs    []rawSegment
		cur     rawSegment
		lit     strings.Builder
		stars   int  // unescaped "*" in a row
		bracket bool // an unescaped "[" is open
	)
	flushLit := func() {
		if lit.Len() > 0 {
			cur.toks = append(cur.toks, token{kind: tokLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	flushStars := func() error {
		switch {
		case stars == 0:
			return nil
		case stars > 2:
			return fmt.Errorf(`%q is not a valid wildcard; use "**" to match across directories`, strings.Repeat("*", stars))
		}
		flushLit()
		// gitignore gives "**" its special meaning only as a whole segment;
		// elsewhere it is an ordinary "*".
		cur.toks = append(cur.toks, token{kind: tokStar})
		stars = 0
		return nil
	}

	for i := 0; i < len(raw); {
		r, w := utf8.DecodeRuneInString(raw[i:])
		i += w
		escaped := false
		if r == '\\' {
			if i == len(raw) {
				return nil, errors.New(`ends with an unfinished "\" escape`)
			}
			r, w = utf8.DecodeRuneInString(raw[i:])
			i += w
			escaped = true
		}
		if r == '*' && !escaped {
			stars++
			continue
		}
		whole := stars == 2 && lit.Len() == 0 && len(cur.toks) == 0
		if err := flushStars(); err != nil {
			return nil, err
		}
		switch {
		case r == '/':
			if whole {
				cur = rawSegment{globstar: true}
			}
			flushLit()
			segs = append(segs, cur)
			cur = rawSegment{}
		case escaped:
			lit.WriteRune(r)
		case r == '?':
			flushLit()
			cur.toks = append(cur.toks, token{kind: tokOne})
		case r == '[':
			bracket = true
			lit.WriteRune(r)
		case r == ']' && bracket:
			return nil, errors.New(`character ranges with "[ ]" are not supported in CODEOWNERS`)
		default:
			lit.WriteRune(r)
		}
	}
	whole := stars == 2 && lit.Len() == 0 && len(cur.toks) == 0
	if err := flushStars(); err != nil {
		return nil, err
	}
	if whole {
		cur = rawSegment{globstar: true}
	}
	flushLit()
	return append(segs, cur), nil
}

// match reports whether the pattern matches the whole slash-separated path.
// It is the classic wildcard algorithm lifted from characters to path
// components: on a mismatch the most recent globstar absorbs one more
// component and matching resumes after it.
func (p *pattern) match(path string) bool {
	end := len(path) + 1 // a position past the last component
	si, pos := 0, 0
	if p.nprefix > 0 {
		switch {
		case !strings.HasPrefix(path, p.prefix):
			return false
		case len(path) == len(p.prefix):
			pos = end
		case path[len(p.prefix)] == '/':
			pos = len(p.prefix) + 1
		default:
			return false
		}
		si = p.nprefix
	}
	starSi, starPos := -1, 0
	// The component last looked up: backtracking usually resumes right
	// there, and finding its end again is most of the cost of a miss.
	lastPos, lastNext := -1, 0
	for {
		if si < len(p.segs) {
			s := &p.segs[si]
			if s.kind == segGlobstar {
				if si == len(p.segs)-1 {
					return true // whatever is left, it absorbs
				}
				starSi, starPos = si, pos
				si++
				continue
			}
			if pos < end {
				comp, next := component(path, pos)
				lastPos, lastNext = pos, next
				if s.matches(comp) {
					si, pos = si+1, next
					continue
				}
			}
		} else if pos == end {
			return true
		}
		if starSi < 0 || starPos == end {
			return false
		}
		if starPos == lastPos {
			starPos = lastNext
		} else {
			_, starPos = component(path, starPos)
		}
		si, pos = starSi+1, starPos
	}
}

// component returns the path component starting at pos and the start of the
// next one (len(path)+1 when there is none).
func component(path string, pos int) (string, int) {
	if i := strings.IndexByte(path[pos:], '/'); i >= 0 {
		return path[pos : pos+i], pos + i + 1
	}
	return path[pos:], len(path) + 1
}

func (s *segment) matches(name string) bool {
	switch s.kind {
	case segLiteral:
		return name == s.lit
	case segSuffix:
		return strings.HasSuffix(name, s.lit)
	case segPrefix:
		return strings.HasPrefix(name, s.lit)
	case segAny:
		return name != ""
	}
	return globMatch(s.toks, name)
}

// globMatch matches one component against "*", "?" and literal runs,
// backtracking only to the most recent "*".
func globMatch(toks []token, name string) bool {
	ti, ni := 0, 0
	starTi, starNi := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tokStar:
				starTi, starNi = ti, ni
				ti++
				continue
			case tokOne:
				if ni < len(name) {
					_, w := utf8.DecodeRuneInString(name[ni:])
					ti, ni = ti+1, ni+w
					continue
				}
			case tokLiteral:
				if strings.HasPrefix(name[ni:], t.lit) {
					ti, ni = ti+1, ni+len(t.lit)
					continue
				}
			}
		} else if ni == len(name) {
			return true
		}
		if starTi < 0 || starNi == len(name) {
			return false
		}
		_, w := utf8.DecodeRuneInString(name[starNi:])
		starNi += w
		ti, ni = starTi+1, starNi
	}
}
