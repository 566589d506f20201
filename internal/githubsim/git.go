package githubsim

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/plural"
)

// Git data is stored as real git objects: blob, tree and commit IDs are the
// SHA-1 of "<type> <size>\x00<content>" exactly as git computes them, so the
// same content always has the same blob SHA, in every commit and repository.
// Files are mode 100644; there are no symlinks, submodules or tags.

// commitEpoch dates a repository's first commit; each later commit is one
// minute younger. A fixed clock keeps commit SHAs deterministic across runs.
var commitEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	commitAuthorName  = "githubsim"
	commitAuthorEmail = "githubsim@users.noreply.github.com"
	// defaultActor is the user behind pushes and the sender of push events.
	defaultActor = "octocat"
	// contentsMaxInline: the contents API returns a file's content inline up
	// to 1 MB; above that, with the default media type, content is empty and
	// encoding "none" (https://github.blog/changelog/2022-05-03-increased-file-size-limit-when-retrieving-file-contents-via-rest-api).
	contentsMaxInline = 1 << 20
	zeroSHA           = "0000000000000000000000000000000000000000"
)

// Repo describes a simulated repository.
type Repo struct {
	ID            int64
	Owner, Name   string
	FullName      string
	DefaultBranch string
	HeadSHA       string // head of the default branch when AddRepo returned
}

type repo struct {
	id            int64
	owner         *org
	name          string
	defaultBranch string
	since         time.Time
	private       bool              // true unless SetRepoPrivate says otherwise
	collaborators map[string]string // lower-case login → permission (AddCollaborator)
	blobs         map[string][]byte
	trees         map[string][]treeEntry
	commits       map[string]*commit
	branches      map[string]string // branch → commit SHA
	commitSeq     int

	pulls      map[int]*pull
	nextNumber int
	labels     map[string]*github.Label // by lower-case name
	runsBySHA  map[string][]*checkRun
	suites     map[string]*checkSuite        // by app ID + head SHA
	diffs      map[string]*prDiff            // by "base..head"
	rules      []*branchRule                 // rulesets' rules (protection.go)
	protected  map[string]*classicProtection // classic branch protection, by branch
}

type treeEntry struct {
	name string
	sha  string
	tree bool
}

func (e treeEntry) mode() string {
	if e.tree {
		return "040000"
	}
	return "100644"
}

type commit struct {
	sha, tree, message string
	parents            []string
	when               time.Time
}

func (r *repo) fullName() string { return r.owner.login + "/" + r.name }

func gitHash(kind string, data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// dirNode is a directory while a tree is being written.
type dirNode struct {
	blobs map[string]string // name → blob SHA
	dirs  map[string]*dirNode
}

// writeTree stores the tree objects for a flat path → blob SHA map and
// returns the root tree's SHA.
func (r *repo) writeTree(files map[string]string) string {
	root := &dirNode{blobs: map[string]string{}, dirs: map[string]*dirNode{}}
	for p, sha := range files {
		n := root
		parts := strings.Split(p, "/")
		for _, dir := range parts[:len(parts)-1] {
			if n.dirs[dir] == nil {
				n.dirs[dir] = &dirNode{blobs: map[string]string{}, dirs: map[string]*dirNode{}}
			}
			n = n.dirs[dir]
		}
		n.blobs[parts[len(parts)-1]] = sha
	}
	return r.storeTree(root)
}

func (r *repo) storeTree(n *dirNode) string {
	var entries []treeEntry
	for name, sha := range n.blobs {
		entries = append(entries, treeEntry{name: name, sha: sha})
	}
	for name, d := range n.dirs {
		entries = append(entries, treeEntry{name: name, sha: r.storeTree(d), tree: true})
	}
	// git orders tree entries by name, comparing a sub-tree as "name/".
	key := func(e treeEntry) string {
		if e.tree {
			return e.name + "/"
		}
		return e.name
	}
	slices.SortFunc(entries, func(a, b treeEntry) int { return strings.Compare(key(a), key(b)) })
	var buf bytes.Buffer
	for _, e := range entries {
		mode := "100644"
		if e.tree {
			mode = "40000"
		}
		raw, _ := hex.DecodeString(e.sha)
		fmt.Fprintf(&buf, "%s %s\x00", mode, e.name)
		buf.Write(raw)
	}
	sha := gitHash("tree", buf.Bytes())
	r.trees[sha] = entries
	return sha
}

// flatten lists the blobs under a tree as path → blob SHA.
func (r *repo) flatten(treeSHA, prefix string, out map[string]string) {
	for _, e := range r.trees[treeSHA] {
		if e.tree {
			r.flatten(e.sha, prefix+e.name+"/", out)
		} else {
			out[prefix+e.name] = e.sha
		}
	}
}

func (r *repo) writeCommit(tree, message string, parents []string) string {
	when := commitEpoch.Add(time.Duration(r.commitSeq) * time.Minute)
	r.commitSeq++
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "tree %s\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&buf, "parent %s\n", p)
	}
	sig := fmt.Sprintf("%s <%s> %d +0000", commitAuthorName, commitAuthorEmail, when.Unix())
	fmt.Fprintf(&buf, "author %s\ncommitter %s\n\n%s\n", sig, sig, message)
	sha := gitHash("commit", buf.Bytes())
	r.commits[sha] = &commit{sha: sha, tree: tree, message: message, parents: parents, when: when}
	return sha
}

// resolveRef finds the commit a ref names: a full commit SHA, a branch
// ("main", "heads/main", "refs/heads/main") or HEAD (the default branch).
func (r *repo) resolveRef(ref string) (*commit, bool) {
	if c := r.commits[ref]; c != nil {
		return c, true
	}
	if ref == "HEAD" {
		ref = r.defaultBranch
	}
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
	if sha, ok := r.branches[ref]; ok {
		return r.commits[sha], true
	}
	return nil, false
}

// lookupPath finds the object at a path of a tree ("" is the tree itself).
func (r *repo) lookupPath(treeSHA, p string) (treeEntry, bool) {
	cur := treeEntry{sha: treeSHA, tree: true}
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if part == "" {
			continue
		}
		if !cur.tree {
			return treeEntry{}, false
		}
		found := false
		for _, e := range r.trees[cur.sha] {
			if e.name == part {
				cur, found = e, true
				break
			}
		}
		if !found {
			return treeEntry{}, false
		}
	}
	return cur, true
}

func validPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." || part == ".git" {
			return false
		}
	}
	return true
}

// AddRepo creates owner/name (the owner becomes an organization if new)
// with one commit holding files on defaultBranch.
func (s *Server) AddRepo(owner, name, defaultBranch string, files map[string]string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := repoKey(owner, name)
	if s.repos[key] != nil {
		panic("githubsim: repository exists: " + key)
	}
	r := &repo{
		id: s.id(), owner: s.orgLocked(owner), name: name, defaultBranch: defaultBranch, since: s.now(),
		private: true, collaborators: map[string]string{},
		blobs: map[string][]byte{}, trees: map[string][]treeEntry{}, commits: map[string]*commit{},
		branches: map[string]string{}, pulls: map[int]*pull{}, nextNumber: 1,
		labels: map[string]*github.Label{}, runsBySHA: map[string][]*checkRun{},
		suites: map[string]*checkSuite{}, diffs: map[string]*prDiff{},
	}
	flat := map[string]string{}
	for p, content := range files {
		if !validPath(p) {
			panic("githubsim: invalid path " + p)
		}
		flat[p] = r.storeBlob(content)
	}
	r.branches[defaultBranch] = r.writeCommit(r.writeTree(flat), "Initial commit", nil)
	s.repos[key] = r
	return &Repo{ID: r.id, Owner: owner, Name: name, FullName: r.fullName(), DefaultBranch: defaultBranch, HeadSHA: r.branches[defaultBranch]}
}

func (r *repo) storeBlob(content string) string {
	sha := gitHash("blob", []byte(content))
	r.blobs[sha] = []byte(content)
	return sha
}

func (s *Server) repoLocked(owner, name string) *repo {
	r := s.repos[repoKey(owner, name)]
	if r == nil {
		panic("githubsim: no repository " + owner + "/" + name)
	}
	return r
}

// Push commits files to branch (an empty value deletes the file), creating
// the branch from the default branch if needed, and returns the new commit
// SHA. It delivers, as GitHub does, a push event, check_suite "requested"
// and pull_request "synchronize" for each open pull request from that branch.
func (s *Server) Push(owner, name, branch string, files map[string]string) string {
	s.mu.Lock()
	r := s.repoLocked(owner, name)
	before, existed := r.branches[branch]
	parent := before
	if !existed {
		parent = r.branches[r.defaultBranch]
	}
	flat := map[string]string{}
	r.flatten(r.commits[parent].tree, "", flat)
	var added, removed, modified []string
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if !validPath(p) {
			s.mu.Unlock()
			panic("githubsim: invalid path " + p)
		}
		old, had := flat[p]
		switch {
		case files[p] == "" && had:
			delete(flat, p)
			removed = append(removed, p)
		case files[p] == "":
		case !had:
			flat[p] = r.storeBlob(files[p])
			added = append(added, p)
		default:
			if flat[p] = r.storeBlob(files[p]); flat[p] != old {
				modified = append(modified, p)
			}
		}
	}
	msg := fmt.Sprintf("Update %s on %s", plural.Count(len(files), "file", "files"), branch)
	sha := r.writeCommit(r.writeTree(flat), msg, []string{parent})
	r.branches[branch] = sha
	if !existed {
		before = zeroSHA
	}
	events := []*event{
		s.pushEvent(r, branch, before, sha, added, removed, modified),
		s.checkSuiteEvent(r, s.suiteLocked(r, s.apps[s.opts.AppID], sha, branch), "requested", s.userLocked(defaultActor)),
	}
	for _, n := range r.openPullsFrom(branch) {
		p := r.pulls[n]
		p.headSHA = sha
		p.updated = s.now()
		events = append(events, s.pullEvent(r, p, "synchronize", s.userLocked(defaultActor), func(e *github.PullRequestEvent) {
			e.Before, e.After = ptr(before), ptr(sha)
		}))
	}
	s.mu.Unlock()
	s.deliverAll(events)
	return sha
}

func (s *Server) repoJSON(r *repo) *github.Repository {
	api := fmt.Sprintf("%s%s/repos/%s", s.base, restPrefix, r.fullName())
	return &github.Repository{
		ID: ptr(r.id), NodeID: ptr(nodeID("R", r.id)), Name: ptr(r.name), FullName: ptr(r.fullName()),
		Owner: r.owner.user, Private: ptr(r.private), Visibility: ptr(r.visibility()), Fork: ptr(false),
		DefaultBranch: ptr(r.defaultBranch), URL: ptr(api), HTMLURL: ptr(s.base + "/" + r.fullName()),
		CloneURL: ptr(s.base + "/" + r.fullName() + ".git"), Archived: ptr(false), Disabled: ptr(false),
		CreatedAt: ts(r.since), UpdatedAt: ts(r.since), PushedAt: ts(r.since),
	}
}

// GET /repos/{owner}/{repo}
func (s *Server) getRepo(c *call) reply { return reply{http.StatusOK, s.repoJSON(c.repo)} }

// GET /repos/{owner}/{repo}/git/trees/{sha}: sha is a tree SHA, a commit SHA
// or a branch. "recursive" set to any value (even 0 or false) lists the whole
// tree; past TreeEntryLimit entries that listing stops with truncated: true,
// and clients must walk sub-trees one (non-recursive) request at a time
// (https://docs.github.com/rest/git/trees#get-a-tree).
func (s *Server) getTree(c *call) reply {
	r, sha := c.repo, c.r.PathValue("sha")
	if _, ok := r.trees[sha]; !ok {
		cm, ok := r.resolveRef(sha)
		if !ok {
			return notFound()
		}
		sha = cm.tree
	}
	_, recursive := c.r.URL.Query()["recursive"]
	out := &github.Tree{SHA: ptr(sha), Entries: []*github.TreeEntry{}, Truncated: ptr(false)}
	api := fmt.Sprintf("%s%s/repos/%s/git/", s.base, restPrefix, r.fullName())
	limit := s.opts.TreeEntryLimit
	var walk func(tree, prefix string) bool
	walk = func(tree, prefix string) bool {
		for _, e := range r.trees[tree] {
			if recursive && len(out.Entries) >= limit {
				out.Truncated = ptr(true)
				return false
			}
			te := &github.TreeEntry{Path: ptr(prefix + e.name), Mode: ptr(e.mode()), SHA: ptr(e.sha)}
			if e.tree {
				te.Type, te.URL = ptr("tree"), ptr(api+"trees/"+e.sha)
			} else {
				te.Type, te.URL, te.Size = ptr("blob"), ptr(api+"blobs/"+e.sha), ptr(len(r.blobs[e.sha]))
			}
			out.Entries = append(out.Entries, te)
			if e.tree && recursive && !walk(e.sha, prefix+e.name+"/") {
				return false
			}
		}
		return true
	}
	walk(sha, "")
	return reply{http.StatusOK, struct {
		*github.Tree
		URL string `json:"url"`
	}{out, api + "trees/" + sha}}
}

// base64Lines encodes like GitHub's blob and contents APIs: base64 in lines
// of 60 characters, each ending in "\n".
func base64Lines(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60])
		b.WriteByte('\n')
		enc = enc[60:]
	}
	if enc != "" {
		b.WriteString(enc)
		b.WriteByte('\n')
	}
	return b.String()
}

// GET /repos/{owner}/{repo}/git/blobs/{sha}: base64 content
// (https://docs.github.com/rest/git/blobs#get-a-blob).
func (s *Server) getBlob(c *call) reply {
	sha := c.r.PathValue("sha")
	if !isSHA(sha) {
		return errReply(http.StatusUnprocessableEntity, "The sha parameter must be exactly 40 characters and contain only [0-9a-f].", "https://docs.github.com/rest/git/blobs#get-a-blob")
	}
	data, ok := c.repo.blobs[sha]
	if !ok {
		return notFound()
	}
	return reply{http.StatusOK, &github.Blob{
		SHA: ptr(sha), NodeID: ptr(nodeID("B", int64(len(data)))), Size: ptr(len(data)), Encoding: ptr("base64"),
		Content: ptr(base64Lines(data)),
		URL:     ptr(fmt.Sprintf("%s%s/repos/%s/git/blobs/%s", s.base, restPrefix, c.repo.fullName(), sha)),
	}}
}

// GET /repos/{owner}/{repo}/contents/{path}?ref=: a file (base64 up to 1 MB)
// or a directory listing (https://docs.github.com/rest/repos/contents#get-repository-content).
func (s *Server) getContents(c *call) reply {
	r := c.repo
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = r.defaultBranch
	}
	cm, ok := r.resolveRef(ref)
	if !ok {
		return errReply(http.StatusNotFound, "No commit found for the ref "+ref, "https://docs.github.com/rest/repos/contents#get-repository-content")
	}
	p := strings.Trim(c.r.PathValue("path"), "/")
	e, ok := r.lookupPath(cm.tree, p)
	if !ok {
		return errReply(http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/contents#get-repository-content")
	}
	if !e.tree {
		rc := s.contentJSON(r, ref, p, e)
		data := r.blobs[e.sha]
		if len(data) <= contentsMaxInline {
			rc.Encoding, rc.Content = ptr("base64"), ptr(base64Lines(data))
		} else {
			rc.Encoding, rc.Content = ptr("none"), ptr("")
		}
		return reply{http.StatusOK, rc}
	}
	list := []*github.RepositoryContent{}
	for _, child := range r.trees[e.sha] {
		list = append(list, s.contentJSON(r, ref, path.Join(p, child.name), child))
	}
	return reply{http.StatusOK, list}
}

func (s *Server) contentJSON(r *repo, ref, p string, e treeEntry) *github.RepositoryContent {
	api := fmt.Sprintf("%s%s/repos/%s/", s.base, restPrefix, r.fullName())
	rc := &github.RepositoryContent{
		Name: ptr(path.Base(p)), Path: ptr(p), SHA: ptr(e.sha),
		URL: ptr(api + "contents/" + p + "?ref=" + ref),
	}
	if e.tree {
		rc.Type, rc.Size = ptr("dir"), ptr(0)
		rc.GitURL = ptr(api + "git/trees/" + e.sha)
		rc.HTMLURL = ptr(fmt.Sprintf("%s/%s/tree/%s/%s", s.base, r.fullName(), ref, p))
	} else {
		rc.Type, rc.Size = ptr("file"), ptr(len(r.blobs[e.sha]))
		rc.GitURL = ptr(api + "git/blobs/" + e.sha)
		rc.HTMLURL = ptr(fmt.Sprintf("%s/%s/blob/%s/%s", s.base, r.fullName(), ref, p))
		rc.DownloadURL = ptr(fmt.Sprintf("%s/%s/raw/%s/%s", s.base, r.fullName(), ref, p))
	}
	return rc
}

// GET /repos/{owner}/{repo}/commits/{ref}: the commit without stats or
// files. An unknown ref is a 422, as on GitHub.
func (s *Server) getCommit(c *call) reply {
	ref := c.r.PathValue("ref")
	cm, ok := c.repo.resolveRef(ref)
	if !ok {
		return errReply(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref, "https://docs.github.com/rest/commits/commits#get-a-commit")
	}
	return reply{http.StatusOK, s.commitJSON(c.repo, cm)}
}

func (s *Server) commitJSON(r *repo, cm *commit) *github.RepositoryCommit {
	api := fmt.Sprintf("%s%s/repos/%s/", s.base, restPrefix, r.fullName())
	sig := &github.CommitAuthor{Name: ptr(commitAuthorName), Email: ptr(commitAuthorEmail), Date: ts(cm.when)}
	out := &github.RepositoryCommit{
		SHA: ptr(cm.sha), NodeID: ptr(nodeID("C", int64(cm.when.Unix()))),
		URL: ptr(api + "commits/" + cm.sha), HTMLURL: ptr(fmt.Sprintf("%s/%s/commit/%s", s.base, r.fullName(), cm.sha)),
		Commit: &github.Commit{
			Author: sig, Committer: sig, Message: ptr(cm.message), CommentCount: ptr(0),
			Tree: &github.Tree{SHA: ptr(cm.tree)}, URL: ptr(api + "git/commits/" + cm.sha),
		},
		Parents: []*github.Commit{},
	}
	for _, p := range cm.parents {
		out.Parents = append(out.Parents, &github.Commit{SHA: ptr(p), URL: ptr(api + "commits/" + p)})
	}
	return out
}

// pushEvent is the push webhook for one new commit on branch.
func (s *Server) pushEvent(r *repo, branch, before, after string, added, removed, modified []string) *event {
	return s.raise(r, "push", "", func(inst *github.Installation) any {
		cm := r.commits[after]
		sig := &github.CommitAuthor{Name: ptr(commitAuthorName), Email: ptr(commitAuthorEmail), Date: ts(cm.when)}
		hc := &github.HeadCommit{
			ID: ptr(after), TreeID: ptr(cm.tree), Distinct: ptr(true), Message: ptr(cm.message),
			Timestamp: ts(cm.when), Author: sig, Committer: sig,
			URL:   ptr(fmt.Sprintf("%s/%s/commit/%s", s.base, r.fullName(), after)),
			Added: added, Removed: removed, Modified: modified,
		}
		repo := s.repoJSON(r)
		return &github.PushEvent{
			Ref: ptr("refs/heads/" + branch), Before: ptr(before), After: ptr(after),
			Created: ptr(before == zeroSHA), Deleted: ptr(false), Forced: ptr(false),
			Compare: ptr(fmt.Sprintf("%s/%s/compare/%s...%s", s.base, r.fullName(), before[:12], after[:12])),
			Commits: []*github.HeadCommit{hc}, HeadCommit: hc,
			Repo: &github.PushEventRepository{
				ID: repo.ID, NodeID: repo.NodeID, Name: repo.Name, FullName: repo.FullName, Owner: repo.Owner,
				Private: repo.Private, Fork: repo.Fork, DefaultBranch: repo.DefaultBranch, URL: repo.HTMLURL,
				HTMLURL: repo.HTMLURL, CloneURL: repo.CloneURL, Organization: ptr(r.owner.login),
			},
			Pusher:       &github.CommitAuthor{Name: ptr(defaultActor), Email: ptr(defaultActor + "@users.noreply.github.com")},
			Sender:       s.userLocked(defaultActor),
			Organization: s.orgJSON(r.owner), Installation: inst,
		}
	})
}
