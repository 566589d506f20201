package githubsim

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Pull request diffs: GitHub compares the head with the merge base of base
// and head (a three-dot diff). Renames are not detected here: a moved file
// is one file removed and one added.

type prDiff struct {
	files   []fileChange // sorted by path
	commits int          // commits on head that base does not have
}

type fileChange struct {
	path, status, sha    string // status: added | removed | modified
	additions, deletions int
	patch                string // unified hunks without file headers, as GitHub's "patch"
}

// prDiff computes (once per base/head pair) the pull request's diff.
func (s *Server) prDiff(r *repo, p *pull) *prDiff {
	base := r.branches[p.baseRef]
	key := base + ".." + p.headSHA
	if d := r.diffs[key]; d != nil {
		return d
	}
	baseAnc := r.ancestors(base)
	mergeBase, commits := "", 0
	queue, seen := []string{p.headSHA}, map[string]bool{p.headSHA: true}
	for len(queue) > 0 {
		sha := queue[0]
		queue = queue[1:]
		if baseAnc[sha] {
			if mergeBase == "" {
				mergeBase = sha
			}
			continue
		}
		commits++
		for _, parent := range r.commits[sha].parents {
			if !seen[parent] {
				seen[parent] = true
				queue = append(queue, parent)
			}
		}
	}
	from, to := map[string]string{}, map[string]string{}
	if mergeBase != "" {
		r.flatten(r.commits[mergeBase].tree, "", from)
	}
	r.flatten(r.commits[p.headSHA].tree, "", to)
	d := &prDiff{commits: commits}
	paths := slices.Sorted(maps.Keys(to))
	for path := range from {
		if _, ok := to[path]; !ok {
			paths = append(paths, path)
		}
	}
	slices.Sort(paths)
	for _, path := range paths {
		old, inOld := from[path]
		cur, inNew := to[path]
		f := fileChange{path: path, sha: cur}
		switch {
		case inOld && inNew && old == cur:
			continue
		case !inOld:
			f.status = "added"
		case !inNew:
			f.status, f.sha = "removed", old
		default:
			f.status = "modified"
		}
		f.additions, f.deletions, f.patch = lineDiff(r.blobs[old], r.blobs[cur])
		d.files = append(d.files, f)
	}
	r.diffs[key] = d
	return d
}

func (r *repo) ancestors(sha string) map[string]bool {
	seen := map[string]bool{sha: true}
	for queue := []string{sha}; len(queue) > 0; queue = queue[1:] {
		for _, parent := range r.commits[queue[0]].parents {
			if !seen[parent] {
				seen[parent] = true
				queue = append(queue, parent)
			}
		}
	}
	return seen
}

const (
	patchContext = 3
	maxLCSCells  = 1 << 20 // above this the changed middle is shown as replaced
)

// lineDiff counts added and deleted lines and renders the hunks. Binary
// content (a NUL byte) has no patch and no line counts, as on GitHub.
func lineDiff(oldData, newData []byte) (add, del int, patch string) {
	if bytes.IndexByte(oldData, 0) >= 0 || bytes.IndexByte(newData, 0) >= 0 {
		return 0, 0, ""
	}
	a, b := splitLines(oldData), splitLines(newData)
	ops := diffOps(a, b)
	for _, op := range ops {
		switch op.kind {
		case '+':
			add++
		case '-':
			del++
		}
	}
	return add, del, renderHunks(ops)
}

func splitLines(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	line string
}

// diffOps is a longest-common-subsequence line diff of a and b.
func diffOps(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for _, l := range a[:pre] {
		ops = append(ops, diffOp{' ', l})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(ma), len(mb)
	if (n+1)*(m+1) > maxLCSCells {
		for _, l := range ma {
			ops = append(ops, diffOp{'-', l})
		}
		for _, l := range mb {
			ops = append(ops, diffOp{'+', l})
		}
	} else {
		// lcs[i][j] = LCS length of ma[i:] and mb[j:].
		lcs := make([]int32, (n+1)*(m+1))
		at := func(i, j int) *int32 { return &lcs[i*(m+1)+j] }
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					*at(i, j) = *at(i+1, j+1) + 1
				} else {
					*at(i, j) = max(*at(i+1, j), *at(i, j+1))
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && ma[i] == mb[j]:
				ops = append(ops, diffOp{' ', ma[i]})
				i, j = i+1, j+1
			case j < m && (i == n || *at(i, j+1) > *at(i+1, j)):
				ops = append(ops, diffOp{'+', mb[j]})
				j++
			default:
				ops = append(ops, diffOp{'-', ma[i]})
				i++
			}
		}
	}
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, diffOp{' ', l})
	}
	return ops
}

// renderHunks writes unified-diff hunks with three lines of context.
func renderHunks(ops []diffOp) string {
	var out strings.Builder
	oldLine, newLine := make([]int, len(ops)+1), make([]int, len(ops)+1)
	for i, op := range ops {
		oldLine[i+1], newLine[i+1] = oldLine[i], newLine[i]
		if op.kind != '+' {
			oldLine[i+1]++
		}
		if op.kind != '-' {
			newLine[i+1]++
		}
	}
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-patchContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*patchContext {
				end = min(end+patchContext, len(ops))
				break
			}
			end = run
		}
		oldCount, newCount := oldLine[end]-oldLine[start], newLine[end]-newLine[start]
		oldStart, newStart := oldLine[start]+1, newLine[start]+1
		if oldCount == 0 {
			oldStart--
		}
		if newCount == 0 {
			newStart--
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@", oldStart, oldCount, newStart, newCount)
		for _, op := range ops[start:end] {
			out.WriteByte('\n')
			out.WriteByte(op.kind)
			out.WriteString(op.line)
		}
		i = end
	}
	return out.String()
}
