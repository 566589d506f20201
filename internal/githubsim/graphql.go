package githubsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// GraphQL (POST /api/graphql, installation token) for one purpose: reading
// many files in one request. The hand-written scanner below covers ONLY this
// subset of GraphQL, and answers anything else with an error:
//
//	query [Name] [($var: Type, …)] {
//	  a: repository(owner: "o", name: "r") {        # owner/name: string or $variable
//	    f1: object(expression: "main:path/to/file") { ... on Blob { text byteSize isBinary isTruncated oid } }
//	    f2: object(oid: "<sha>") { oid ... on Blob { text } }
//	  }
//	}
//
// Fields: Query.repository and __typename; Repository.object, nameWithOwner
// and __typename; GitObject.oid, abbreviatedOid and __typename; inline
// fragments on Blob (text, byteSize, isBinary, isTruncated, oid,
// abbreviatedOid, __typename) or on Tree/Commit/Tag (oid, abbreviatedOid,
// __typename). No named fragments, directives, mutations or other fields.
//
// Answers follow GraphQL over HTTP as GitHub serves it: status 200; a query
// that does not parse or validate gets only "errors"; a repository the
// installation cannot see is null with a NOT_FOUND error; an object that
// does not exist is null without error. Blob.text is null for binary blobs
// (https://docs.github.com/graphql/reference/objects#blob) and is cut at
// 512,000 bytes with isTruncated: true (the limit is undocumented; observed
// in https://github.com/sveltia/sveltia-cms/issues/950). Each query costs
// one point of the installation's GraphQL rate limit.
const (
	blobTextLimit   = 512_000
	binarySniffSize = 8000 // git's heuristic: a NUL byte in the first 8000 bytes
)

type gqlError struct {
	Type       string         `json:"type,omitempty"`
	Path       []string       `json:"path,omitempty"`
	Locations  []gqlLocation  `json:"locations,omitempty"`
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

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

// ---- validation against the subset's schema ----

// gqlSchema: type → field → (type of the field's value or "" for a scalar).
var gqlSchema = map[string]map[string]string{
	"Query":      {"repository": "Repository", "__typename": ""},
	"Repository": {"object": "GitObject", "nameWithOwner": "", "__typename": ""},
	"GitObject":  {"oid": "", "abbreviatedOid": "", "__typename": ""},
	"Blob":       {"text": "", "byteSize": "", "isBinary": "", "isTruncated": "", "oid": "", "abbreviatedOid": "", "__typename": ""},
	"Tree":       {"oid": "", "abbreviatedOid": "", "__typename": ""},
	"Commit":     {"oid": "", "abbreviatedOid": "", "__typename": ""},
	"Tag":        {"oid": "", "abbreviatedOid": "", "__typename": ""},
}

func gqlValidate(typ string, sels []*gqlSel, path []string, errs *[]gqlError) {
	for _, s := range sels {
		if s.on != "" {
			if _, ok := gqlSchema[s.on]; !ok || typ != "GitObject" {
				*errs = append(*errs, gqlError{Message: fmt.Sprintf("Fragment on %s can't be spread inside %s", s.on, typ),
					Locations: []gqlLocation{s.loc}, Path: path, Extensions: map[string]any{"code": "cannotSpreadFragment"}})
				continue
			}
			gqlValidate(s.on, s.sel, path, errs)
			continue
		}
		sub, ok := gqlSchema[typ][s.name]
		fpath := append(append([]string(nil), path...), s.key())
		if !ok {
			*errs = append(*errs, gqlError{Message: fmt.Sprintf("Field '%s' doesn't exist on type '%s'", s.name, typ),
				Locations: []gqlLocation{s.loc}, Path: fpath,
				Extensions: map[string]any{"code": "undefinedField", "typeName": typ, "fieldName": s.name}})
			continue
		}
		switch s.name {
		case "repository":
			if missing := missingArgs(s, "owner", "name"); missing != "" {
				*errs = append(*errs, gqlError{Message: fmt.Sprintf("Field 'repository' is missing required arguments: %s", missing),
					Locations: []gqlLocation{s.loc}, Path: fpath, Extensions: map[string]any{"code": "missingRequiredArguments"}})
			}
		case "object":
			_, e := s.args["expression"]
			_, o := s.args["oid"]
			if !e && !o {
				*errs = append(*errs, gqlError{Message: "githubsim: object needs an expression or oid argument", Locations: []gqlLocation{s.loc}, Path: fpath})
			}
		}
		if sub != "" && !s.hasSel {
			*errs = append(*errs, gqlError{Message: fmt.Sprintf("Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)", s.name, sub, s.name),
				Locations: []gqlLocation{s.loc}, Path: fpath, Extensions: map[string]any{"code": "selectionMismatch"}})
		}
		if sub == "" && s.hasSel {
			*errs = append(*errs, gqlError{Message: fmt.Sprintf("Selections can't be made on scalars (field '%s')", s.name),
				Locations: []gqlLocation{s.loc}, Path: fpath, Extensions: map[string]any{"code": "selectionMismatch"}})
		}
		if sub != "" && s.hasSel {
			gqlValidate(sub, s.sel, fpath, errs)
		}
	}
}

func missingArgs(s *gqlSel, names ...string) string {
	var out []string
	for _, n := range names {
		if _, ok := s.args[n]; !ok {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// ---- execution ----

// jsonObj keeps the query's field order in the answer, as GraphQL requires.
type jsonObj []jsonKV

type jsonKV struct {
	key string
	val any
}

func (o jsonObj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.key)
		v, err := json.Marshal(kv.val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

type gqlExec struct {
	s    *Server
	c    *call
	vars map[string]any
	errs []gqlError
}

func (x *gqlExec) arg(s *gqlSel, name string) (string, bool) {
	a, ok := s.args[name]
	if !ok {
		return "", false
	}
	if a.variable == "" {
		return a.str, true
	}
	v, ok := x.vars[a.variable].(string)
	if !ok {
		x.errs = append(x.errs, gqlError{Message: fmt.Sprintf("Variable $%s of type String! was provided invalid value", a.variable),
			Locations: []gqlLocation{s.loc}, Extensions: map[string]any{"code": "variableMismatch"}})
	}
	return v, ok
}

// POST /api/graphql
func (s *Server) graphql(c *call) reply {
	var in struct {
		Query     any            `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON", "https://docs.github.com/graphql")
	}
	onlyErrors := func(errs ...gqlError) reply { return reply{http.StatusOK, map[string]any{"errors": errs}} }
	query, ok := in.Query.(string)
	if !ok {
		return onlyErrors(gqlError{Message: "A query attribute must be specified and must be a string."})
	}
	sels, perr := gqlParse(query)
	if perr != nil {
		return onlyErrors(*perr)
	}
	var verrs []gqlError
	gqlValidate("Query", sels, []string{"query"}, &verrs)
	if len(verrs) > 0 {
		return onlyErrors(verrs...)
	}
	x := &gqlExec{s: s, c: c, vars: in.Variables}
	data := jsonObj{}
	for _, sel := range sels {
		switch sel.name {
		case "__typename":
			data = append(data, jsonKV{sel.key(), "Query"})
		case "repository":
			data = append(data, jsonKV{sel.key(), x.repository(sel)})
		}
	}
	out := jsonObj{{"data", data}}
	if len(x.errs) > 0 {
		out = append(out, jsonKV{"errors", x.errs})
	}
	return reply{http.StatusOK, out}
}

func (x *gqlExec) repository(sel *gqlSel) any {
	owner, ok1 := x.arg(sel, "owner")
	name, ok2 := x.arg(sel, "name")
	if !ok1 || !ok2 {
		return nil
	}
	r := x.s.repos[repoKey(owner, name)]
	if r == nil || r.owner != x.c.inst.account {
		x.errs = append(x.errs, gqlError{Type: "NOT_FOUND", Path: []string{sel.key()}, Locations: []gqlLocation{sel.loc},
			Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name)})
		return nil
	}
	out := jsonObj{}
	for _, f := range sel.sel {
		switch f.name {
		case "__typename":
			out = append(out, jsonKV{f.key(), "Repository"})
		case "nameWithOwner":
			out = append(out, jsonKV{f.key(), r.fullName()})
		case "object":
			out = append(out, jsonKV{f.key(), x.object(r, f)})
		}
	}
	return out
}

// gitObject is what object(expression:|oid:) found.
type gitObject struct {
	typ  string // Blob, Tree, Commit
	oid  string
	data []byte // Blob content
}

func (x *gqlExec) object(r *repo, sel *gqlSel) any {
	var obj *gitObject
	if oid, ok := x.arg(sel, "oid"); ok {
		obj = lookupOID(r, oid)
	} else if expr, ok := x.arg(sel, "expression"); ok {
		obj = lookupExpression(r, expr)
	}
	if obj == nil {
		return nil
	}
	return gqlObjectFields(obj, sel.sel)
}

func lookupOID(r *repo, oid string) *gitObject {
	if data, ok := r.blobs[oid]; ok {
		return &gitObject{typ: "Blob", oid: oid, data: data}
	}
	if _, ok := r.trees[oid]; ok {
		return &gitObject{typ: "Tree", oid: oid}
	}
	if _, ok := r.commits[oid]; ok {
		return &gitObject{typ: "Commit", oid: oid}
	}
	return nil
}

// lookupExpression resolves "REV:path" (REV a branch, commit SHA or HEAD)
// or a bare REV (the commit).
func lookupExpression(r *repo, expr string) *gitObject {
	rev, path, hasPath := strings.Cut(expr, ":")
	cm, ok := r.resolveRef(rev)
	if !ok {
		return nil
	}
	if !hasPath {
		return &gitObject{typ: "Commit", oid: cm.sha}
	}
	e, ok := r.lookupPath(cm.tree, path)
	if !ok {
		return nil
	}
	if e.tree {
		return &gitObject{typ: "Tree", oid: e.sha}
	}
	return &gitObject{typ: "Blob", oid: e.sha, data: r.blobs[e.sha]}
}

func gqlObjectFields(obj *gitObject, sels []*gqlSel) jsonObj {
	out := jsonObj{}
	for _, f := range sels {
		if f.on != "" {
			if f.on == obj.typ {
				out = append(out, gqlObjectFields(obj, f.sel)...)
			}
			continue
		}
		var v any
		switch f.name {
		case "__typename":
			v = obj.typ
		case "oid":
			v = obj.oid
		case "abbreviatedOid":
			v = obj.oid[:7]
		case "byteSize":
			v = len(obj.data)
		case "isBinary":
			v = isBinary(obj.data)
		case "isTruncated":
			v = !isBinary(obj.data) && len(obj.data) > blobTextLimit
		case "text":
			if !isBinary(obj.data) {
				v = blobText(obj.data)
			}
		}
		out = append(out, jsonKV{f.key(), v})
	}
	return out
}

func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniffSize)], 0) >= 0
}

// blobText is the blob as UTF-8, cut at blobTextLimit bytes (on a rune
// boundary).
func blobText(data []byte) string {
	if len(data) > blobTextLimit {
		cut := blobTextLimit
		for cut > blobTextLimit-utf8.UTFMax && !utf8.RuneStart(data[cut]) {
			cut--
		}
		data = data[:cut]
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}
