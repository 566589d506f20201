package githubsim

// The scanner and parser of the GraphQL subset graphql.go documents.

import (
	"fmt"
	"strings"
)

// ---- scanner ----

type gqlToken struct {
	kind byte // 'n' name, 's' string, 'v' other value, 'p' punctuator, 0 end
	text string
	loc  gqlLocation
}

func gqlScan(src string) ([]gqlToken, *gqlError) {
	var toks []gqlToken
	line, lineStart := 1, 0
	for i := 0; i < len(src); {
		ch := src[i]
		loc := gqlLocation{line, i - lineStart + 1}
		switch {
		case ch == '\n':
			line, lineStart = line+1, i+1
			i++
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == ',':
			i++
		case ch == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "..."):
			toks = append(toks, gqlToken{'p', "...", loc})
			i += 3
		case strings.ContainsRune("{}():$=![]@", rune(ch)):
			toks = append(toks, gqlToken{'p', string(ch), loc})
			i++
		case ch == '"':
			if strings.HasPrefix(src[i:], `"""`) {
				return nil, &gqlError{Message: "githubsim: block strings are not supported", Locations: []gqlLocation{loc}}
			}
			var b strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\n' {
					break
				}
				if src[j] == '\\' && j+1 < len(src) {
					j++
					switch src[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'u':
						var r rune
						if j+4 < len(src) {
							_, _ = fmt.Sscanf(src[j+1:j+5], "%04x", &r)
						}
						b.WriteRune(r)
						j += 4
					default:
						b.WriteByte(src[j])
					}
					continue
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) || src[j] != '"' {
				return nil, &gqlError{Message: "Parse error on unterminated string", Locations: []gqlLocation{loc}}
			}
			toks = append(toks, gqlToken{'s', b.String(), loc})
			i = j + 1
		case ch == '_' || ch == '-' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] == '.' || src[j] >= '0' && src[j] <= '9' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z') {
				j++
			}
			kind := byte('n')
			if ch == '-' || ch >= '0' && ch <= '9' {
				kind = 'v'
			}
			toks = append(toks, gqlToken{kind, src[i:j], loc})
			i = j
		default:
			return nil, &gqlError{Message: fmt.Sprintf("Parse error on %q at [%d, %d]", string(ch), loc.Line, loc.Column), Locations: []gqlLocation{loc}}
		}
	}
	return append(toks, gqlToken{0, "end of file", gqlLocation{line, len(src) - lineStart + 1}}), nil
}

// ---- parser ----

type gqlArg struct {
	str      string // literal value
	variable string // $name
}

type gqlSel struct {
	alias, name string
	args        map[string]gqlArg
	sel         []*gqlSel
	hasSel      bool
	on          string // inline fragment "... on X"
	loc         gqlLocation
}

func (s *gqlSel) key() string {
	if s.alias != "" {
		return s.alias
	}
	return s.name
}

type gqlParser struct {
	toks []gqlToken
	pos  int
}

func (p *gqlParser) peek() gqlToken { return p.toks[p.pos] }
func (p *gqlParser) next() gqlToken {
	t := p.toks[p.pos]
	if t.kind != 0 {
		p.pos++
	}
	return t
}

func (p *gqlParser) fail(t gqlToken) *gqlError {
	return &gqlError{Message: fmt.Sprintf("Parse error on %q at [%d, %d]", t.text, t.loc.Line, t.loc.Column), Locations: []gqlLocation{t.loc}}
}

func (p *gqlParser) expect(text string) *gqlError {
	if t := p.next(); t.kind != 'p' || t.text != text {
		return p.fail(t)
	}
	return nil
}

func gqlParse(src string) ([]*gqlSel, *gqlError) {
	toks, err := gqlScan(src)
	if err != nil {
		return nil, err
	}
	p := &gqlParser{toks: toks}
	if t := p.peek(); t.kind == 'n' {
		if t.text != "query" {
			return nil, &gqlError{Message: "githubsim supports only queries, not " + t.text, Locations: []gqlLocation{t.loc}}
		}
		p.next()
		if p.peek().kind == 'n' {
			p.next()
		}
		if t := p.peek(); t.kind == 'p' && t.text == "(" { // variable definitions: skipped
			for depth := 0; ; {
				t := p.next()
				if t.kind == 0 {
					return nil, p.fail(t)
				}
				if t.text == "(" {
					depth++
				} else if t.text == ")" {
					if depth--; depth == 0 {
						break
					}
				}
			}
		}
	}
	sel, err := p.selectionSet()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, p.fail(t)
	}
	return sel, nil
}

func (p *gqlParser) selectionSet() ([]*gqlSel, *gqlError) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var out []*gqlSel
	for {
		t := p.peek()
		switch {
		case t.kind == 'p' && t.text == "}":
			p.next()
			if len(out) == 0 {
				return nil, p.fail(t)
			}
			return out, nil
		case t.kind == 'p' && t.text == "...":
			p.next()
			on := p.next()
			typ := p.next()
			if on.text != "on" || typ.kind != 'n' {
				return nil, &gqlError{Message: "githubsim supports only inline fragments (... on Type)", Locations: []gqlLocation{t.loc}}
			}
			sub, err := p.selectionSet()
			if err != nil {
				return nil, err
			}
			out = append(out, &gqlSel{on: typ.text, sel: sub, hasSel: true, loc: t.loc})
		case t.kind == 'n':
			f, err := p.field()
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		default:
			return nil, p.fail(t)
		}
	}
}

func (p *gqlParser) field() (*gqlSel, *gqlError) {
	first := p.next()
	f := &gqlSel{name: first.text, loc: first.loc}
	if t := p.peek(); t.kind == 'p' && t.text == ":" {
		p.next()
		name := p.next()
		if name.kind != 'n' {
			return nil, p.fail(name)
		}
		f.alias, f.name = first.text, name.text
	}
	if t := p.peek(); t.kind == 'p' && t.text == "(" {
		p.next()
		f.args = map[string]gqlArg{}
		for {
			t := p.next()
			if t.kind == 'p' && t.text == ")" {
				break
			}
			if t.kind != 'n' {
				return nil, p.fail(t)
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			v := p.next()
			switch {
			case v.kind == 's' || v.kind == 'n' || v.kind == 'v':
				f.args[t.text] = gqlArg{str: v.text}
			case v.kind == 'p' && v.text == "$":
				name := p.next()
				if name.kind != 'n' {
					return nil, p.fail(name)
				}
				f.args[t.text] = gqlArg{variable: name.text}
			default:
				return nil, &gqlError{Message: "githubsim supports only string, number, enum and variable arguments", Locations: []gqlLocation{v.loc}}
			}
		}
	}
	if t := p.peek(); t.kind == 'p' && t.text == "@" {
		return nil, &gqlError{Message: "githubsim does not support directives", Locations: []gqlLocation{t.loc}}
	}
	if t := p.peek(); t.kind == 'p' && t.text == "{" {
		sub, err := p.selectionSet()
		if err != nil {
			return nil, err
		}
		f.sel, f.hasSel = sub, true
	}
	return f, nil
}
