package githubsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// GraphQL (POST /api/graphql, installation token) for two purposes: reading
// many files in one request, and reading a pull request's changed files, or
// its reviews and comments, with an App's check run on a commit. The
// hand-written scanner and parser (graphql_parse.go) cover ONLY this subset
// of GraphQL, and it answers anything else with an error; resolvers are in
// graphql_resolve.go:
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
