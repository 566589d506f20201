package inspect

import (
	"fmt"
	"go/build/constraint"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/launchgate/launchgate/internal/inspect/ci"
)

// This file holds how the check reads go test and go run commands: which
// packages, tests and build tags a command selects.

// goRunBy applies the go test and go run rules to one command segment.
func (lt *loadTestFound) goRunBy(seg ci.Segment, cmd ci.Command, conf *loadTestCI) (bool, string) {
	dir := path.Dir(lt.path)
	if lt.program {
		pkg := goRunPackage(seg)
		return pkg == dir || path.Dir(pkg) == dir && strings.HasSuffix(pkg, ".go"), ""
	}
	gt := parseGoTest(seg)
	if gt == nil || gt.noRun {
		return false, ""
	}
	if !slices.ContainsFunc(gt.pkgs, func(p string) bool { return conf.goCovers(p, gt.cwd, lt.path) }) {
		return false, ""
	}
	at := fmt.Sprintf("%s:%d", cmd.File, cmd.Line)
	if lt.constraint != nil && !lt.constraint.Eval(func(tag string) bool { return goImplicitTag(tag) || slices.Contains(gt.tags, tag) }) {
		return false, fmt.Sprintf("go test at %s covers its package but not its build constraint (add -tags=%s)", at, constraintTags(lt.constraint))
	}
	why := ""
	for _, f := range lt.funcs {
		reason := gt.excludes(f)
		if reason == "" {
			reason = conf.missingEnv(f)
		}
		if reason == "" {
			return true, ""
		}
		if why == "" {
			why = fmt.Sprintf("go test at %s covers its package, but %s", at, reason)
		}
	}
	return false, why
}

// goTestCmd is what matters of a go test command line.
type goTestCmd struct {
	cwd                       string
	pkgs                      []string
	run, skip, bench          string
	hasRun, hasSkip, hasBench bool
	short, noRun              bool
	tags                      []string
}

// goTestBoolFlags are go test's and go build's flags that take no value;
// every other flag takes the next word unless written -flag=value.
var goTestBoolFlags = map[string]bool{
	"v": true, "short": true, "race": true, "cover": true, "json": true, "failfast": true,
	"x": true, "n": true, "a": true, "i": true, "c": true, "benchmem": true, "trimpath": true,
	"msan": true, "asan": true, "work": true, "linkshared": true, "fullpath": true, "modcacherw": true,
}

// parseGoTest reads "go test ..." or "gotestsum [opts] -- ..." from a
// command segment; nil when the segment runs neither.
func parseGoTest(seg ci.Segment) *goTestCmd {
	w := seg.Words
	cwd, args := seg.Dir, []string(nil)
	switch i := slices.IndexFunc(w, func(s string) bool { return path.Base(s) == "gotestsum" }); {
	case i >= 0:
		if j := slices.Index(w[i:], "--"); j >= 0 {
			args = w[i+j+1:]
		} else {
			args = []string{"./..."}
		}
	default:
		sub, dir, rest := goSubcommand(seg)
		if sub != "test" {
			return nil
		}
		cwd, args = dir, rest
	}
	gt := &goTestCmd{cwd: cwd}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			gt.pkgs = append(gt.pkgs, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		name = strings.TrimPrefix(name, "test.")
		if name == "args" {
			break
		}
		if !hasVal {
			if goTestBoolFlags[name] {
				val = "true"
			} else if i+1 < len(args) {
				i++
				val = args[i]
			}
		}
		switch name {
		case "run":
			gt.run, gt.hasRun = val, true
		case "skip":
			gt.skip, gt.hasSkip = val, true
		case "bench":
			gt.bench, gt.hasBench = val, true
		case "short":
			gt.short = val != "false"
		case "tags":
			gt.tags = strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' })
		case "c", "n", "list":
			gt.noRun = gt.noRun || val != "false"
		}
	}
	if len(gt.pkgs) == 0 {
		gt.pkgs = []string{"."}
	}
	return gt
}

// goSubcommand finds "go [-C dir] sub args..." in a segment, with the
// directory it runs in.
func goSubcommand(seg ci.Segment) (sub, dir string, args []string) {
	w := seg.Words
	for i, s := range w {
		if path.Base(s) != "go" {
			continue
		}
		dir = seg.Dir
		j := i + 1
		for ; j < len(w) && strings.HasPrefix(w[j], "-"); j++ {
			if c, ok := strings.CutPrefix(w[j], "-C="); ok {
				dir = path.Join(dir, c)
			} else if w[j] == "-C" && j+1 < len(w) {
				j++
				dir = path.Join(dir, w[j])
			}
		}
		if j < len(w) {
			return w[j], dir, w[j+1:]
		}
	}
	return "", "", nil
}

// goRunPackage is the package or file a "go run" segment runs, joined
// to its directory; "" when the segment runs none.
func goRunPackage(seg ci.Segment) string {
	sub, dir, args := goSubcommand(seg)
	if sub != "run" {
		return ""
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return path.Join(dir, a)
		}
	}
	return dir
}

// excludes says why go test does not run f, or "".
func (gt *goTestCmd) excludes(f goLoadFunc) string {
	if f.bench {
		if !gt.hasBench || !goTestPatternMatches(gt.bench, f.name) {
			return fmt.Sprintf("no -bench pattern selects the benchmark %s", f.name)
		}
	} else if gt.hasRun && !goTestPatternMatches(gt.run, f.name) {
		return fmt.Sprintf("-run %s does not select %s", gt.run, f.name)
	}
	if gt.hasSkip && gt.skip != "" && goTestPatternMatches(gt.skip, f.name) {
		return fmt.Sprintf("-skip %s skips %s", gt.skip, f.name)
	}
	if f.skipsShort && gt.short {
		return fmt.Sprintf("%s skips itself under -short, and the command passes -short", f.name)
	}
	return ""
}

// goTestPatternMatches applies a -run/-bench/-skip pattern to a top-level
// test name: go splits the pattern at unbracketed slashes and matches the
// first element against the top-level name.
func goTestPatternMatches(pattern, name string) bool {
	first := pattern
	depth := 0
scan:
	for i, r := range pattern {
		switch {
		case r == '[' || r == '(':
			depth++
		case r == ']' || r == ')':
			depth--
		case r == '/' && depth == 0:
			first = pattern[:i]
			break scan
		}
	}
	re, err := regexp.Compile(first)
	return err == nil && re.MatchString(name)
}

// constraintTags lists the tags a build constraint names without
// negation, the ones go test -tags must set.
func constraintTags(x constraint.Expr) string {
	var tags []string
	var walk func(x constraint.Expr, negated bool)
	walk = func(x constraint.Expr, negated bool) {
		switch x := x.(type) {
		case *constraint.TagExpr:
			if !negated && !goImplicitTag(x.Tag) && !slices.Contains(tags, x.Tag) {
				tags = append(tags, x.Tag)
			}
		case *constraint.NotExpr:
			walk(x.X, !negated)
		case *constraint.AndExpr:
			walk(x.X, negated)
			walk(x.Y, negated)
		case *constraint.OrExpr:
			walk(x.X, negated)
			walk(x.Y, negated)
		}
	}
	if x != nil {
		walk(x, false)
	}
	return strings.Join(tags, ",")
}

// goImplicitTag reports tags the go command sets itself on a typical CI
// runner (linux/amd64, cgo, the gc toolchain, Go release tags).
func goImplicitTag(tag string) bool {
	switch tag {
	case "linux", "unix", "amd64", "gc", "cgo":
		return true
	}
	return strings.HasPrefix(tag, "go1.")
}

// goCovers reports whether a go test package argument, run in cwd, covers
// the Go file p.
func (conf *loadTestCI) goCovers(pkg, cwd, p string) bool {
	dir := path.Dir(p)
	if strings.HasSuffix(pkg, ".go") {
		return path.Join(cwd, pkg) == p
	}
	if !strings.HasPrefix(pkg, ".") {
		return false // an import path: resolving it needs go.mod's module path
	}
	full := path.Join(cwd, pkg)
	base, recursive := strings.CutSuffix(full, "/...")
	if full == "..." {
		base, recursive = ".", true
	}
	if !recursive {
		return full == dir
	}
	rel := dir
	if base != "." {
		var ok bool
		if rel, ok = strings.CutPrefix(dir, base+"/"); !ok {
			return dir == base
		}
	} else if dir == "." {
		return true
	}
	// ./... skips directories go ignores and nested modules.
	at := base
	for _, elem := range strings.Split(rel, "/") {
		at = path.Join(at, elem)
		if strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") || elem == "testdata" || elem == "vendor" || conf.goMods[at] {
			return false
		}
	}
	return true
}

// missingEnv says which environment variables a test that skips itself
// without them needs and no CI file names, or "".
func (conf *loadTestCI) missingEnv(f goLoadFunc) string {
	raw := conf.raw.String()
	var missing []string
	for _, name := range f.env {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(raw) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("%s skips itself unless %s is set, and no CI file sets it", f.name, strings.Join(missing, ", "))
}
