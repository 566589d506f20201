package githubsim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// GraphQL (POST /api/graphql, installation token) for two purposes: reading
// many files in one request, and reading a pull request's changed files, or
// its reviews and comments, with an App's check run on a commit. The hand-written scanner below covers ONLY
// this subset of GraphQL, and answers anything else with an error:
//
//	query [Name] [($var: Type, …)] {
//	  a: repository(owner: "o", name: "r") {        # owner/name: string or $variable
//	    f1: object(expression: "main:path/to/file") { ... on Blob { text byteSize isBinary isTruncated oid } }
//	    f2: object(oid: "<sha>") { oid ... on Blob { text } }
//	    pullRequest(number: $n) { files(first: 100) { totalCount pageInfo { hasNextPage endCursor } nodes { path changeType } }
//	      reviews(first: 100) { nodes { state submittedAt author { login } commit { oid } } }
//	      comments(last: 100) { nodes { fullDatabaseId body url } } }
//	    head: object(oid: $sha) { ... on Commit { checkSuites(first: 10, filterBy: $suites) {
//	      nodes { app { databaseId } checkRuns(first: 10, filterBy: $runs) { nodes { databaseId name externalId annotations { totalCount } } } } } } }
//	  }
//	}
//
// Fields: Query.repository and __typename; Repository.object, pullRequest,
// ref, nameWithOwner and __typename; Ref name, rules and
// branchProtectionRule (see protection_graphql.go); GitObject.oid, abbreviatedOid and
// __typename; inline fragments on Blob (text, byteSize, isBinary,
// isTruncated, oid, abbreviatedOid, __typename), on Commit (those of Tree and
// checkSuites) or on Tree/Tag (oid, abbreviatedOid, __typename);
// PullRequest.number, files, reviews and comments; PullRequestChangedFile
// path and changeType; PullRequestReview fullDatabaseId, author (login),
// state, submittedAt and commit; IssueComment fullDatabaseId (a BigInt, sent
// as a string), body and url; CheckSuite.databaseId, app (databaseId, slug)
// and checkRuns; CheckRun.databaseId, url, name, externalId, status,
// conclusion, detailsUrl, text and annotations (totalCount). Connections
// take first (at most 100) and after, or last, and answer totalCount,
// pageInfo and nodes; filterBy (CheckSuiteFilter: appId,
// checkName; CheckRunFilter: appId, checkName, checkType) is given as a
// variable, an input object as JSON. Field names and types are GitHub's
// (https://docs.github.com/en/graphql/reference/objects#pullrequest,
// #checksuite, #checkrun). No named fragments, directives, mutations, object
// literals or other fields.
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
	"Repository": {"object": "GitObject", "pullRequest": "PullRequest", "ref": "Ref", "nameWithOwner": "", "__typename": ""},

	"Ref":                            {"name": "", "rules": "RepositoryRuleConnection", "branchProtectionRule": "BranchProtectionRule", "__typename": ""},
	"RepositoryRuleConnection":       {"totalCount": "", "pageInfo": "PageInfo", "nodes": "RepositoryRule"},
	"RepositoryRule":                 {"type": "", "parameters": "RuleParameters", "__typename": ""},
	"RuleParameters":                 {"__typename": ""},
	"RequiredStatusChecksParameters": {"requiredStatusChecks": "StatusCheckConfiguration", "strictRequiredStatusChecksPolicy": "", "__typename": ""},
	"StatusCheckConfiguration":       {"context": "", "integrationId": ""},
	"BranchProtectionRule":           {"pattern": "", "requiresStatusChecks": "", "requiredStatusChecks": "RequiredStatusCheckDescription", "requiredStatusCheckContexts": "", "__typename": ""},
	"RequiredStatusCheckDescription": {"context": "", "app": "App"},
	"GitObject":                      {"oid": "", "abbreviatedOid": "", "__typename": ""},
	"Blob":                           {"text": "", "byteSize": "", "isBinary": "", "isTruncated": "", "oid": "", "abbreviatedOid": "", "__typename": ""},
	"Tree":                           {"oid": "", "abbreviatedOid": "", "__typename": ""},
	"Commit":                         {"oid": "", "abbreviatedOid": "", "checkSuites": "CheckSuiteConnection", "__typename": ""},
	"Tag":                            {"oid": "", "abbreviatedOid": "", "__typename": ""},

	"PullRequest":                      {"number": "", "files": "PullRequestChangedFileConnection", "reviews": "PullRequestReviewConnection", "comments": "IssueCommentConnection", "__typename": ""},
	"PullRequestReviewConnection":      {"totalCount": "", "pageInfo": "PageInfo", "nodes": "PullRequestReview"},
	"PullRequestReview":                {"fullDatabaseId": "", "author": "Actor", "state": "", "submittedAt": "", "commit": "Commit", "__typename": ""},
	"Actor":                            {"login": "", "__typename": ""},
	"IssueCommentConnection":           {"totalCount": "", "pageInfo": "PageInfo", "nodes": "IssueComment"},
	"IssueComment":                     {"fullDatabaseId": "", "body": "", "url": "", "__typename": ""},
	"PullRequestChangedFileConnection": {"totalCount": "", "pageInfo": "PageInfo", "nodes": "PullRequestChangedFile"},
	"PullRequestChangedFile":           {"path": "", "changeType": "", "__typename": ""},
	"PageInfo":                         {"hasNextPage": "", "hasPreviousPage": "", "endCursor": "", "startCursor": ""},
	"CheckSuiteConnection":             {"totalCount": "", "pageInfo": "PageInfo", "nodes": "CheckSuite"},
	"CheckSuite":                       {"databaseId": "", "app": "App", "checkRuns": "CheckRunConnection", "__typename": ""},
	"App":                              {"databaseId": "", "slug": "", "__typename": ""},
	"CheckRunConnection":               {"totalCount": "", "pageInfo": "PageInfo", "nodes": "CheckRun"},
	"CheckRun":                         {"databaseId": "", "url": "", "name": "", "externalId": "", "status": "", "conclusion": "", "detailsUrl": "", "text": "", "annotations": "CheckAnnotationConnection", "__typename": ""},
	"CheckAnnotationConnection":        {"totalCount": ""},
}

// connections are the fields that page; a selection of their nodes needs
// first (GitHub: "You must provide a `first` or `last` value to properly
// paginate").
var connections = map[string]bool{"files": true, "checkSuites": true, "checkRuns": true, "annotations": true, "reviews": true, "comments": true, "rules": true}

// fragmentsOn are the types an inline fragment may name inside each
// abstract type of the subset.
var fragmentsOn = map[string][]string{
	"GitObject":      {"Blob", "Tree", "Commit", "Tag"},
	"RuleParameters": {"RequiredStatusChecksParameters"},
}

func gqlValidate(typ string, sels []*gqlSel, path []string, errs *[]gqlError) {
	for _, s := range sels {
		if s.on != "" {
			if !slices.Contains(fragmentsOn[typ], s.on) {
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
		case "ref":
			if missing := missingArgs(s, "qualifiedName"); missing != "" {
				*errs = append(*errs, gqlError{Message: fmt.Sprintf("Field 'ref' is missing required arguments: %s", missing),
					Locations: []gqlLocation{s.loc}, Path: fpath, Extensions: map[string]any{"code": "missingRequiredArguments"}})
			}
		case "pullRequest":
			if missing := missingArgs(s, "number"); missing != "" {
				*errs = append(*errs, gqlError{Message: fmt.Sprintf("Field 'pullRequest' is missing required arguments: %s", missing),
					Locations: []gqlLocation{s.loc}, Path: fpath, Extensions: map[string]any{"code": "missingRequiredArguments"}})
			}
		}
		if connections[s.name] && selects(s, "nodes") && missingArgs(s, "first") != "" && missingArgs(s, "last") != "" {
			*errs = append(*errs, gqlError{Message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", s.name),
				Locations: []gqlLocation{s.loc}, Path: fpath, Extensions: map[string]any{"code": "MISSING_PAGINATION_BOUNDARIES"}})
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

// selects reports whether s selects field name.
func selects(s *gqlSel, name string) bool {
	for _, f := range s.sel {
		if f.name == name {
			return true
		}
	}
	return false
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

// intArg is an Int argument, literal or variable (JSON numbers decode as
// float64).
func (x *gqlExec) intArg(s *gqlSel, name string) (int, bool) {
	a, ok := s.args[name]
	if !ok {
		return 0, false
	}
	if a.variable == "" {
		n, err := strconv.Atoi(a.str)
		return n, err == nil
	}
	f, ok := x.vars[a.variable].(float64)
	if !ok || f != float64(int(f)) {
		x.errs = append(x.errs, gqlError{Message: fmt.Sprintf("Variable $%s of type Int! was provided invalid value", a.variable),
			Locations: []gqlLocation{s.loc}, Extensions: map[string]any{"code": "variableMismatch"}})
		return 0, false
	}
	return int(f), true
}

// filterArg is an input object argument, given as a variable.
func (x *gqlExec) filterArg(s *gqlSel, name string) map[string]any {
	a, ok := s.args[name]
	if !ok {
		return nil
	}
	m, ok := x.vars[a.variable].(map[string]any)
	if !ok {
		x.errs = append(x.errs, gqlError{Message: fmt.Sprintf("githubsim: argument %s must be a variable holding an input object", name),
			Locations: []gqlLocation{s.loc}})
	}
	return m
}

// page applies a connection's first and after, or last, (the cursor is
// opaque; here an offset) to n items, as GitHub does: first or last is
// required and at most 100.
func (x *gqlExec) page(s *gqlSel, n int) (lo, hi int, ok bool) {
	arg := "first"
	if _, last := s.args["last"]; last {
		arg = "last"
	}
	count, ok := x.intArg(s, arg)
	if !ok || count < 0 || count > 100 {
		x.errs = append(x.errs, gqlError{Message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `%s` limit of 100 records.", count, s.name, arg),
			Locations: []gqlLocation{s.loc}, Extensions: map[string]any{"code": "EXCESSIVE_PAGINATION"}})
		return 0, 0, false
	}
	if arg == "last" {
		return max(n-count, 0), n, true
	}
	if after, ok := x.arg(s, "after"); ok {
		if lo, _ = strconv.Atoi(after); lo < 0 || lo > n {
			lo = n
		}
	}
	return lo, min(lo+count, n), true
}

// connection answers a connection's fields over n items; node answers the
// selection of item i.
func (x *gqlExec) connection(s *gqlSel, n int, node func(i int, sels []*gqlSel) jsonObj) any {
	lo, hi, ok := 0, n, true
	if selects(s, "nodes") {
		if lo, hi, ok = x.page(s, n); !ok {
			return nil
		}
	}
	out := jsonObj{}
	for _, f := range s.sel {
		switch f.name {
		case "totalCount":
			out = append(out, jsonKV{f.key(), n})
		case "pageInfo":
			info := jsonObj{}
			for _, g := range f.sel {
				switch g.name {
				case "hasNextPage":
					info = append(info, jsonKV{g.key(), hi < n})
				case "hasPreviousPage":
					info = append(info, jsonKV{g.key(), lo > 0})
				case "startCursor":
					var cur any
					if hi > lo {
						cur = strconv.Itoa(lo)
					}
					info = append(info, jsonKV{g.key(), cur})
				case "endCursor":
					var cur any
					if hi > lo {
						cur = strconv.Itoa(hi)
					}
					info = append(info, jsonKV{g.key(), cur})
				}
			}
			out = append(out, jsonKV{f.key(), info})
		case "nodes":
			nodes := []jsonObj{}
			for i := lo; i < hi; i++ {
				nodes = append(nodes, node(i, f.sel))
			}
			out = append(out, jsonKV{f.key(), nodes})
		}
	}
	return out
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
		case "pullRequest":
			out = append(out, jsonKV{f.key(), x.pullRequest(r, f)})
		case "ref":
			out = append(out, jsonKV{f.key(), x.ref(r, f, []string{sel.key(), f.key()})})
		}
	}
	return out
}

// patchStatus is GitHub's PatchStatus of a file change.
var patchStatus = map[string]string{"added": "ADDED", "removed": "DELETED", "modified": "MODIFIED", "renamed": "RENAMED"}

func (x *gqlExec) pullRequest(r *repo, sel *gqlSel) any {
	number, ok := x.intArg(sel, "number")
	if !ok {
		return nil
	}
	p := r.pulls[number]
	if p == nil {
		x.errs = append(x.errs, gqlError{Type: "NOT_FOUND", Path: []string{"repository", sel.key()}, Locations: []gqlLocation{sel.loc},
			Message: fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", number)})
		return nil
	}
	out := jsonObj{}
	for _, f := range sel.sel {
		switch f.name {
		case "__typename":
			out = append(out, jsonKV{f.key(), "PullRequest"})
		case "number":
			out = append(out, jsonKV{f.key(), p.number})
		case "files":
			files := x.s.prDiff(r, p).files
			out = append(out, jsonKV{f.key(), x.connection(f, min(len(files), maxPullFiles), func(i int, sels []*gqlSel) jsonObj {
				node := jsonObj{}
				for _, g := range sels {
					switch g.name {
					case "__typename":
						node = append(node, jsonKV{g.key(), "PullRequestChangedFile"})
					case "path":
						node = append(node, jsonKV{g.key(), files[i].path})
					case "changeType":
						node = append(node, jsonKV{g.key(), patchStatus[files[i].status]})
					}
				}
				return node
			})})
		case "reviews":
			reviews := p.reviews
			out = append(out, jsonKV{f.key(), x.connection(f, len(reviews), func(i int, sels []*gqlSel) jsonObj {
				return reviewFields(reviews[i], sels)
			})})
		case "comments":
			comments := p.comments
			out = append(out, jsonKV{f.key(), x.connection(f, len(comments), func(i int, sels []*gqlSel) jsonObj {
				cm, node := comments[i], jsonObj{}
				for _, g := range sels {
					switch g.name {
					case "__typename":
						node = append(node, jsonKV{g.key(), "IssueComment"})
					case "fullDatabaseId":
						// BigInt is serialized as a string.
						node = append(node, jsonKV{g.key(), strconv.FormatInt(cm.id, 10)})
					case "body":
						node = append(node, jsonKV{g.key(), cm.body})
					case "url":
						node = append(node, jsonKV{g.key(), x.s.commentJSON(cm).GetHTMLURL()})
					}
				}
				return node
			})})
		}
	}
	return out
}

func reviewFields(rv *review, sels []*gqlSel) jsonObj {
	node := jsonObj{}
	for _, g := range sels {
		var v any
		switch g.name {
		case "__typename":
			v = "PullRequestReview"
		case "fullDatabaseId":
			v = strconv.FormatInt(rv.id, 10)
		case "state":
			v = rv.state
		case "submittedAt":
			v = rv.at.UTC().Format(time.RFC3339)
		case "author":
			author := jsonObj{}
			for _, h := range g.sel {
				switch h.name {
				case "__typename":
					author = append(author, jsonKV{h.key(), rv.user.GetType()})
				case "login":
					author = append(author, jsonKV{h.key(), rv.user.GetLogin()})
				}
			}
			v = author
		case "commit":
			commit := jsonObj{}
			for _, h := range g.sel {
				switch h.name {
				case "__typename":
					commit = append(commit, jsonKV{h.key(), "Commit"})
				case "oid":
					commit = append(commit, jsonKV{h.key(), rv.commitID})
				}
			}
			v = commit
		}
		node = append(node, jsonKV{g.key(), v})
	}
	return node
}

// checkSuites answers Commit.checkSuites: the suites of the commit, one per
// App, filtered by filterBy's appId and checkName.
func (x *gqlExec) checkSuites(r *repo, sha string, sel *gqlSel) any {
	filter := x.filterArg(sel, "filterBy")
	var suites []*checkSuite
	for _, cs := range r.suites {
		if cs.headSHA != sha || !matchApp(filter, cs.app) {
			continue
		}
		if name, ok := filter["checkName"].(string); ok && len(x.runs(r, cs, map[string]any{"checkName": name})) == 0 {
			continue
		}
		suites = append(suites, cs)
	}
	slices.SortFunc(suites, func(a, b *checkSuite) int { return cmp.Compare(a.id, b.id) })
	return x.connection(sel, len(suites), func(i int, sels []*gqlSel) jsonObj {
		cs, node := suites[i], jsonObj{}
		for _, g := range sels {
			switch g.name {
			case "__typename":
				node = append(node, jsonKV{g.key(), "CheckSuite"})
			case "databaseId":
				node = append(node, jsonKV{g.key(), cs.id})
			case "app":
				app := jsonObj{}
				for _, h := range g.sel {
					switch h.name {
					case "__typename":
						app = append(app, jsonKV{h.key(), "App"})
					case "databaseId":
						app = append(app, jsonKV{h.key(), cs.app.id})
					case "slug":
						app = append(app, jsonKV{h.key(), cs.app.slug})
					}
				}
				node = append(node, jsonKV{g.key(), app})
			case "checkRuns":
				runs := x.runs(r, cs, x.filterArg(g, "filterBy"))
				node = append(node, jsonKV{g.key(), x.connection(g, len(runs), func(i int, sels []*gqlSel) jsonObj {
					return x.checkRunFields(runs[i], sels)
				})})
			}
		}
		return node
	})
}

func matchApp(filter map[string]any, a *app) bool {
	id, ok := filter["appId"].(float64)
	return !ok || int64(id) == a.id
}

// runs are a suite's runs that filter (CheckRunFilter) keeps, oldest
// first; checkType LATEST keeps the latest of each name.
func (x *gqlExec) runs(r *repo, cs *checkSuite, filter map[string]any) []*checkRun {
	name, byName := filter["checkName"].(string)
	latest := filter["checkType"] == "LATEST"
	var out []*checkRun
	newest := map[string]*checkRun{}
	for _, cr := range r.runsBySHA[cs.headSHA] {
		if cr.suite != cs || byName && cr.name != name || !matchApp(filter, cr.app) {
			continue
		}
		if latest {
			if n := newest[cr.name]; n == nil || cr.id > n.id {
				newest[cr.name] = cr
			}
			continue
		}
		out = append(out, cr)
	}
	for _, cr := range newest {
		out = append(out, cr)
	}
	slices.SortFunc(out, func(a, b *checkRun) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (x *gqlExec) checkRunFields(cr *checkRun, sels []*gqlSel) jsonObj {
	out := jsonObj{}
	for _, f := range sels {
		var v any
		switch f.name {
		case "__typename":
			v = "CheckRun"
		case "databaseId":
			v = cr.id
		case "url":
			v = fmt.Sprintf("%s/%s/runs/%d", x.s.base, cr.repo.fullName(), cr.id)
		case "detailsUrl":
			if cr.detailsURL != "" {
				v = cr.detailsURL
			}
		case "text":
			if cr.text != "" {
				v = cr.text
			}
		case "name":
			v = cr.name
		case "externalId":
			if cr.externalID != "" {
				v = cr.externalID
			}
		case "status":
			v = strings.ToUpper(cr.status)
		case "conclusion":
			if cr.conclusion != "" {
				v = strings.ToUpper(cr.conclusion)
			}
		case "annotations":
			count := jsonObj{}
			for _, g := range f.sel {
				if g.name == "totalCount" {
					count = append(count, jsonKV{g.key(), len(cr.annotations)})
				}
			}
			v = count
		}
		out = append(out, jsonKV{f.key(), v})
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
	return x.objectFields(r, obj, sel.sel)
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

func (x *gqlExec) objectFields(r *repo, obj *gitObject, sels []*gqlSel) jsonObj {
	out := jsonObj{}
	for _, f := range sels {
		if f.on != "" {
			if f.on == obj.typ {
				out = append(out, x.objectFields(r, obj, f.sel)...)
			}
			continue
		}
		var v any
		switch f.name {
		case "checkSuites":
			v = x.checkSuites(r, obj.oid, f)
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
