package githubsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestGitObjectIDsAreGits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gh := f.instClient(t)
	// `printf 'hello\n' | git hash-object --stdin`
	const helloSHA = "ce013625030ba8dba906f756967f9e9ca394464a"
	tree, _, err := gh.Git.GetTree(ctx, "acme", "web", "main", true)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]*github.TreeEntry{}
	for _, e := range tree.Entries {
		paths[e.GetPath()] = e
	}
	if e := paths["README.md"]; e.GetSHA() != helloSHA || e.GetType() != "blob" || e.GetMode() != "100644" || e.GetSize() != 6 {
		t.Fatalf("README.md entry = %+v", e)
	}
	if e := paths["deploy"]; e.GetType() != "tree" || e.GetMode() != "040000" {
		t.Fatalf("deploy entry = %+v", e)
	}
	if tree.GetTruncated() || len(tree.Entries) != 3 {
		t.Fatalf("recursive tree: truncated=%v entries=%d", tree.GetTruncated(), len(tree.Entries))
	}
	// The same content pushed elsewhere has the same blob SHA; the commit SHA
	// is reproducible across simulators.
	sha := f.sim.Push("acme", "web", "feature", map[string]string{"copy.md": "hello\n"})
	tree, _, err = gh.Git.GetTree(ctx, "acme", "web", sha, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tree.Entries {
		if e.GetPath() == "copy.md" && e.GetSHA() != helloSHA {
			t.Fatalf("copy.md sha %s", e.GetSHA())
		}
	}
	if again := newFixture(t).sim.Push("acme", "web", "feature", map[string]string{"copy.md": "hello\n"}); again != sha {
		t.Fatalf("commit SHA not deterministic: %s vs %s", again, sha)
	}
}

func TestTreeTruncationAndSubtreeWalk(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.TreeEntryLimit = 4 })
	files := map[string]string{}
	for i := range 6 {
		files[fmt.Sprintf("svc/f%d.txt", i)] = fmt.Sprint(i)
	}
	sha := f.sim.Push("acme", "web", "main", files)
	ctx := context.Background()
	gh := f.instClient(t)

	tree, _, err := gh.Git.GetTree(ctx, "acme", "web", sha, true)
	if err != nil {
		t.Fatal(err)
	}
	if !tree.GetTruncated() || len(tree.Entries) != 4 {
		t.Fatalf("want a truncated listing of 4 entries, got truncated=%v n=%d", tree.GetTruncated(), len(tree.Entries))
	}
	// Walking sub-trees non-recursively reaches every file.
	var blobs []string
	var walk func(sha, prefix string)
	walk = func(sha, prefix string) {
		tr, _, err := gh.Git.GetTree(ctx, "acme", "web", sha, false)
		if err != nil {
			t.Fatal(err)
		}
		if tr.GetTruncated() {
			t.Fatalf("non-recursive tree %s truncated", sha)
		}
		for _, e := range tr.Entries {
			if e.GetType() == "tree" {
				walk(e.GetSHA(), prefix+e.GetPath()+"/")
			} else {
				blobs = append(blobs, prefix+e.GetPath())
			}
		}
	}
	walk(sha, "")
	if len(blobs) != 8 {
		t.Fatalf("walked %d blobs, want 8: %v", len(blobs), blobs)
	}
	// GitHub documents that any value of "recursive", even 0, recurses.
	resp, body := f.do(t, "GET", "/repos/acme/web/git/trees/"+sha+"?recursive=0", "token "+f.token(t, f.inst), nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"truncated":true`) {
		t.Fatalf("recursive=0: %d %s", resp.StatusCode, body)
	}
}

func TestBlobAndContents(t *testing.T) {
	big := strings.Repeat("x", contentsMaxInline+1)
	f := newFixture(t)
	sha := f.sim.Push("acme", "web", "main", map[string]string{"big.txt": big, "bin.dat": "a\x00b"})
	ctx := context.Background()
	gh := f.instClient(t)

	fc, _, _, err := gh.Repositories.GetContents(ctx, "acme", "web", "deploy/app.yml", &github.RepositoryContentGetOptions{Ref: sha})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fc.GetContent(); err != nil || got != "replicas: 2\n" {
		t.Fatalf("content %q, %v", got, err)
	}
	blob, _, err := gh.Git.GetBlob(ctx, "acme", "web", fc.GetSHA())
	if err != nil || blob.GetEncoding() != "base64" || blob.GetSize() != 12 || !strings.HasSuffix(blob.GetContent(), "\n") {
		t.Fatalf("blob = %+v, %v", blob, err)
	}
	// Over 1 MB: no inline content, encoding "none".
	fc, _, _, err = gh.Repositories.GetContents(ctx, "acme", "web", "big.txt", nil)
	if err != nil || fc.GetEncoding() != "none" || fc.Content == nil || *fc.Content != "" || fc.GetSize() != len(big) {
		t.Fatalf("big file: encoding=%q size=%d err=%v", fc.GetEncoding(), fc.GetSize(), err)
	}
	// Directories list entries.
	_, dir, _, err := gh.Repositories.GetContents(ctx, "acme", "web", "deploy", nil)
	if err != nil || len(dir) != 1 || dir[0].GetType() != "file" || dir[0].GetPath() != "deploy/app.yml" {
		t.Fatalf("dir = %v, %v", dir, err)
	}
	for _, tc := range []struct{ path, ref string }{{"missing.txt", ""}, {"README.md", "no-such-branch"}} {
		_, _, _, err := gh.Repositories.GetContents(ctx, "acme", "web", tc.path, &github.RepositoryContentGetOptions{Ref: tc.ref})
		if statusOf(err) != http.StatusNotFound {
			t.Errorf("%s@%s: want 404, got %v", tc.path, tc.ref, err)
		}
	}
	if _, _, err := gh.Git.GetBlob(ctx, "acme", "web", strings.Repeat("0", 40)); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown blob: %v", err)
	}
	if _, _, err := gh.Git.GetBlob(ctx, "acme", "web", "abc"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("malformed blob sha: %v", err)
	}
	cm, _, err := gh.Repositories.GetCommit(ctx, "acme", "web", "main", nil)
	if err != nil || cm.GetSHA() != sha || len(cm.Parents) != 1 || cm.Parents[0].GetSHA() != f.repo.HeadSHA {
		t.Fatalf("commit = %+v, %v", cm, err)
	}
	if _, _, err := gh.Repositories.GetCommit(ctx, "acme", "web", "nope", nil); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("unknown commit: %v", err)
	}
}

func graphql(t *testing.T, f *fixture, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	resp, body := f.do(t, "POST", "/graphql", "bearer "+token, map[string]any{"query": query, "variables": vars})
	if resp.StatusCode != 200 {
		t.Fatalf("graphql status %d: %s", resp.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGraphQLBatchRead(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("é", blobTextLimit) // 2 bytes per rune: cut mid-file
	f.sim.Push("acme", "web", "main", map[string]string{"logo.png": "\x89PNG\x00\x01", "huge.txt": huge})
	f.sim.AddRepo("other", "x", "main", map[string]string{"a": "b"})
	tok := f.token(t, f.inst)

	out := graphql(t, f, tok, `query Files($owner: String!) {
	  r: repository(owner: $owner, name: "web") {
	    readme: object(expression: "main:README.md") { ... on Blob { text byteSize isBinary isTruncated oid } }
	    gone: object(expression: "main:nope.txt") { ... on Blob { text } }
	    logo: object(expression: "HEAD:logo.png") { ... on Blob { text isBinary byteSize } }
	    huge: object(expression: "main:huge.txt") { ... on Blob { isTruncated byteSize text } }
	    dir: object(expression: "main:deploy") { ... on Blob { text } }
	    byOid: object(oid: "ce013625030ba8dba906f756967f9e9ca394464a") { __typename ... on Blob { text } }
	  }
	  hidden: repository(owner: "other", name: "x") { nameWithOwner }
	}`, map[string]any{"owner": "acme"})

	data := out["data"].(map[string]any)
	r := data["r"].(map[string]any)
	readme := r["readme"].(map[string]any)
	if readme["text"] != "hello\n" || readme["byteSize"] != 6.0 || readme["isBinary"] != false || readme["isTruncated"] != false ||
		readme["oid"] != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("readme = %v", readme)
	}
	if r["gone"] != nil {
		t.Errorf("missing file should be null, got %v", r["gone"])
	}
	if logo := r["logo"].(map[string]any); logo["text"] != nil || logo["isBinary"] != true || logo["byteSize"] != 6.0 {
		t.Errorf("binary blob = %v", logo)
	}
	h := r["huge"].(map[string]any)
	if h["isTruncated"] != true || h["byteSize"] != float64(len(huge)) || len(h["text"].(string)) != blobTextLimit {
		t.Errorf("huge: truncated=%v size=%v text bytes=%d", h["isTruncated"], h["byteSize"], len(h["text"].(string)))
	}
	if dir := r["dir"].(map[string]any); len(dir) != 0 {
		t.Errorf("a tree matched by a Blob fragment should be {}, got %v", dir)
	}
	if b := r["byOid"].(map[string]any); b["__typename"] != "Blob" || b["text"] != "hello\n" {
		t.Errorf("byOid = %v", b)
	}
	if data["hidden"] != nil {
		t.Errorf("repository outside the installation must be null, got %v", data["hidden"])
	}
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["type"] != "NOT_FOUND" {
		t.Errorf("errors = %v", out["errors"])
	}
	// Field order follows the query.
	if _, body := f.do(t, "POST", "/graphql", "bearer "+tok, map[string]any{"query": `{ b: __typename a: __typename }`}); !strings.Contains(string(body), `{"data":{"b":"Query","a":"Query"}}`) {
		t.Errorf("order: %s", body)
	}
}

func TestGraphQLRejectsWhatItCannotParse(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, f.inst)
	cases := []struct{ query, want string }{
		{`{ repository(owner: "acme", name: "web") { object(expression: "main:README.md") { ... on Blob { txt } } } }`, "Field 'txt' doesn't exist on type 'Blob'"},
		{`{ viewer { login } }`, "Field 'viewer' doesn't exist on type 'Query'"},
		{`{ repository(owner: "acme") { nameWithOwner } }`, "missing required arguments: name"},
		{`{ repository(owner: "acme", name: "web") }`, "Field must have selections"},
		{`{ repository(owner: "acme", name: "web") { nameWithOwner }`, "Parse error"},
		{`mutation { x }`, "supports only queries"},
	}
	for _, tc := range cases {
		out := graphql(t, f, tok, tc.query, nil)
		if _, hasData := out["data"]; hasData {
			t.Errorf("%s: invalid query must not return data", tc.query)
		}
		errs, _ := out["errors"].([]any)
		if len(errs) == 0 || !strings.Contains(errs[0].(map[string]any)["message"].(string), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.query, out["errors"], tc.want)
		}
	}
	if resp, body := f.do(t, "POST", "/graphql", "", map[string]any{"query": "{ __typename }"}); resp.StatusCode != 401 {
		t.Errorf("anonymous GraphQL: %d %s", resp.StatusCode, body)
	}
}
