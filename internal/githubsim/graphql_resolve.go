package githubsim

// The resolvers of the GraphQL subset graphql.go documents: repositories,
// pull requests, check suites and runs, git objects.

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

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
