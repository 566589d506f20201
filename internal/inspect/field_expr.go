package inspect

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fieldExpr is a parsed assertion.
type fieldExpr struct {
	path []fieldStep
	op   string
	lit  fieldLiteral   // unused for exists
	re   *regexp.Regexp // set for matches
}

type fieldStepKind int

const (
	fieldStepKey   fieldStepKind = iota // .key or ."quoted key"
	fieldStepIndex                      // [n]
	fieldStepEach                       // [*]
)

type fieldStep struct {
	kind  fieldStepKind
	key   string
	index int
}

type fieldLiteralKind int

const (
	fieldLitNumber fieldLiteralKind = iota
	fieldLitString
	fieldLitBool
	fieldLitNull
	fieldLitComposite // a mapping or a list: values only, never literals
)

type fieldLiteral struct {
	kind fieldLiteralKind
	num  float64
	str  string
	b    bool
}

var fieldOperators = []string{"==", "!=", ">=", "<=", ">", "<", "exists", "matches"}

// String prints the expression in the canonical form parseFieldExpr reads
// back to the same expression.
func (e *fieldExpr) String() string {
	s := fieldPathString(e.path)
	s += " " + e.op
	if e.op != "exists" {
		s += " " + e.lit.String()
	}
	return s
}

func fieldPathString(path []fieldStep) string {
	var b strings.Builder
	for i, st := range path {
		switch st.kind {
		case fieldStepKey:
			if i > 0 {
				b.WriteByte('.')
			}
			if isFieldIdent(st.key) {
				b.WriteString(st.key)
			} else {
				b.WriteString(strconv.Quote(st.key))
			}
		case fieldStepIndex:
			fmt.Fprintf(&b, "[%d]", st.index)
		case fieldStepEach:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

func (l fieldLiteral) String() string {
	switch l.kind {
	case fieldLitNumber:
		return strconv.FormatFloat(l.num, 'g', -1, 64)
	case fieldLitString:
		return strconv.Quote(l.str)
	case fieldLitBool:
		return strconv.FormatBool(l.b)
	default:
		return "null"
	}
}

func isFieldIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func isFieldIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isFieldIdentByte(s[i]) {
			return false
		}
	}
	return true
}

var fieldNumberPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// fieldParser reads an assertion left to right; errors name the offending
// token and its 1-based column (in characters).
type fieldParser struct {
	src string
	pos int
}

func parseFieldExpr(src string) (*fieldExpr, error) {
	p := &fieldParser{src: src}
	e := &fieldExpr{}
	p.skipSpace()
	if err := p.parsePath(e); err != nil {
		return nil, err
	}
	p.skipSpace()
	if err := p.parseOperator(e); err != nil {
		return nil, err
	}
	p.skipSpace()
	if e.op != "exists" {
		if err := p.parseLiteral(e); err != nil {
			return nil, err
		}
		p.skipSpace()
	}
	if p.pos < len(p.src) {
		return nil, p.errorf("unexpected %s after the end of the assertion", p.found())
	}
	return e, nil
}

func (p *fieldParser) errorf(format string, args ...any) error {
	col := utf8.RuneCountInString(p.src[:p.pos]) + 1
	return fmt.Errorf("column %d: %s", col, fmt.Sprintf(format, args...))
}

// token is the text at the current position up to the next space.
func (p *fieldParser) token() string {
	rest := p.src[p.pos:]
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// found names the current token for an error message.
func (p *fieldParser) found() string {
	tok := p.token()
	if tok == "" {
		return "the end of the assertion"
	}
	if utf8.RuneCountInString(tok) > 20 {
		tok = string([]rune(tok)[:20]) + "…"
	}
	return strconv.Quote(tok)
}

func (p *fieldParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *fieldParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *fieldParser) parsePath(e *fieldExpr) error {
	if p.peek() != '[' {
		if err := p.parseKey(e); err != nil {
			return err
		}
	}
	for {
		switch p.peek() {
		case '.':
			p.pos++
			if err := p.parseKey(e); err != nil {
				return err
			}
		case '[':
			if err := p.parseIndex(e); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (p *fieldParser) parseKey(e *fieldExpr) error {
	if p.peek() == '"' {
		s, err := p.parseQuoted()
		if err != nil {
			return err
		}
		e.path = append(e.path, fieldStep{kind: fieldStepKey, key: s})
		return nil
	}
	start := p.pos
	for p.pos < len(p.src) && isFieldIdentByte(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return p.errorf("expected a field name (letters, digits, _ and -, or a double-quoted key), found %s", p.found())
	}
	e.path = append(e.path, fieldStep{kind: fieldStepKey, key: p.src[start:p.pos]})
	return nil
}

func (p *fieldParser) parseQuoted() (string, error) {
	q, err := strconv.QuotedPrefix(p.src[p.pos:])
	if err != nil || q[0] != '"' {
		return "", p.errorf("unterminated or malformed quoted string %s", p.found())
	}
	s, err := strconv.Unquote(q)
	if err != nil {
		return "", p.errorf("malformed quoted string %q: %v", q, err)
	}
	p.pos += len(q)
	return s, nil
}

func (p *fieldParser) parseIndex(e *fieldExpr) error {
	open := p.pos
	p.pos++ // '['
	end := strings.IndexByte(p.src[p.pos:], ']')
	if end < 0 {
		p.pos = open
		return p.errorf("unterminated index %s: want [n] or [*]", p.found())
	}
	inner := p.src[p.pos : p.pos+end]
	if inner == "*" {
		e.path = append(e.path, fieldStep{kind: fieldStepEach})
		p.pos += end + 1
		return nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil || n < 0 || inner[0] == '+' || inner[0] == '-' {
		return p.errorf("index %q is not a list index: want [n] with n >= 0, or [*] for every element", inner)
	}
	e.path = append(e.path, fieldStep{kind: fieldStepIndex, index: n})
	p.pos += end + 1
	return nil
}

func (p *fieldParser) parseOperator(e *fieldExpr) error {
	rest := p.src[p.pos:]
	for _, op := range fieldOperators {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		// A word operator must end at a word boundary: "existsx" is no
		// operator.
		if isFieldIdentByte(op[0]) && len(rest) > len(op) && isFieldIdentByte(rest[len(op)]) {
			continue
		}
		e.op = op
		p.pos += len(op)
		return nil
	}
	return p.errorf("expected an operator (%s), found %s", strings.Join(fieldOperators, ", "), p.found())
}

func (p *fieldParser) parseLiteral(e *fieldExpr) error {
	start := p.pos
	if p.peek() == '"' {
		s, err := p.parseQuoted()
		if err != nil {
			return err
		}
		e.lit = fieldLiteral{kind: fieldLitString, str: s}
	} else {
		tok := p.token()
		if tok == "" {
			return p.errorf("expected a literal after %s (a number, a double-quoted string, true, false or null), found the end of the assertion", e.op)
		}
		switch {
		case tok == "true" || tok == "false":
			e.lit = fieldLiteral{kind: fieldLitBool, b: tok == "true"}
		case tok == "null":
			e.lit = fieldLiteral{kind: fieldLitNull}
		case fieldNumberPattern.MatchString(tok):
			f, err := strconv.ParseFloat(tok, 64)
			if err != nil {
				return p.errorf("number %s is out of range", tok)
			}
			e.lit = fieldLiteral{kind: fieldLitNumber, num: f}
		default:
			return p.errorf("%s is not a literal: write numbers plainly, strings in double quotes (\"...\"), or true, false, null", p.found())
		}
		p.pos += len(tok)
	}
	switch e.op {
	case "matches":
		if e.lit.kind != fieldLitString {
			p.pos = start
			return p.errorf("matches needs a double-quoted regular expression, found %s", p.found())
		}
		re, err := regexp.Compile(e.lit.str)
		if err != nil {
			p.pos = start
			return p.errorf("invalid regular expression %s: %v", e.lit, err)
		}
		e.re = re
	case ">=", "<=", ">", "<":
		if e.lit.kind == fieldLitBool || e.lit.kind == fieldLitNull {
			p.pos = start
			return p.errorf("%s compares numbers or strings, not %s", e.op, e.lit)
		}
	}
	return nil
}
