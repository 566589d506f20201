package inspect

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// EnvPlaceholder stands, in a layout, for any of an environment's name and
// aliases.
const EnvPlaceholder = "{env}"

// A layout is a doublestar pattern, relative to the repository root, with
// EnvPlaceholder once: where a repository keeps one environment's
// deployment configuration ("k8s/overlays/{env}", "infra/{env}.tfvars").
// The policy holds one list of layouts and gives it to every check that
// reads the rendered environments, so an evaluation renders once.

// ValidateLayout reports why pattern cannot be a layout.
func ValidateLayout(pattern string) error {
	switch {
	case strings.Count(pattern, EnvPlaceholder) != 1:
		return fmt.Errorf("layout %q must contain %s exactly once", pattern, EnvPlaceholder)
	case strings.HasPrefix(pattern, "/"):
		return fmt.Errorf("layout %q must be relative to the repository root", pattern)
	case slices.Contains(strings.Split(pattern, "/"), ".."):
		return fmt.Errorf("layout %q must not contain \"..\"", pattern)
	case strings.Contains(pattern, "*"+EnvPlaceholder) || strings.Contains(pattern, EnvPlaceholder+"*"):
		return fmt.Errorf("layout %q has * next to %s; the environment's name must be delimited", pattern, EnvPlaceholder)
	case path.Clean(pattern) != pattern:
		return fmt.Errorf("layout %q is not a clean path (no \"./\", \"//\" or trailing \"/\")", pattern)
	case !doublestar.ValidatePattern(layoutGlob(pattern, "env")):
		return fmt.Errorf("layout %q is not a valid doublestar pattern once %s is replaced", pattern, EnvPlaceholder)
	}
	segs := strings.Split(pattern, "/")
	for _, seg := range segs {
		if seg != "**" && strings.Contains(seg, "**") {
			// Finding the environment's segment relies on ** standing for
			// whole segments only.
			return fmt.Errorf("layout %q has ** inside a path segment; use it alone, as in k8s/**/overlays/{env}", pattern)
		}
	}
	at := envSegment(segs)
	if slices.Contains(segs[:at], "**") && slices.Contains(segs[at+1:], "**") {
		// The environment's segment would have no fixed position.
		return fmt.Errorf("layout %q has ** both before and after %s; keep one side literal", pattern, EnvPlaceholder)
	}
	return nil
}

// layoutGlob is the layout with EnvPlaceholder replaced by text, which
// may itself be a glob ("*").
func layoutGlob(layout, text string) string {
	return strings.Replace(layout, EnvPlaceholder, text, 1)
}

func envSegment(segs []string) int {
	return slices.IndexFunc(segs, func(s string) bool { return strings.Contains(s, EnvPlaceholder) })
}

// envText is the part of p, a path the layout matches with EnvPlaceholder
// as "*", that stands for the environment ("staging" in
// k8s/overlays/staging, "qa" in charts/shop/values-qa.yaml).
func envText(layout, p string) string {
	seg := envPathSegment(layout, p)
	segs := strings.Split(layout, "/")
	before, after, _ := strings.Cut(segs[envSegment(segs)], EnvPlaceholder)
	if metaIndex(before) == len(before) && metaIndex(after) == len(after) &&
		len(seg) >= len(before)+len(after) {
		seg = seg[len(before) : len(seg)-len(after)]
	}
	return seg
}

// namesEnv reports whether seg, the path segment the layout's environment
// segment matched, is the layout's segment for name, ignoring case.
func namesEnv(layout, seg, name string) bool {
	segs := strings.Split(layout, "/")
	want := strings.ToLower(strings.Replace(segs[envSegment(segs)], EnvPlaceholder, escapeGlob(name), 1))
	ok, _ := doublestar.Match(want, strings.ToLower(seg))
	return ok
}

// envPathSegment is the segment of p that the layout's environment
// segment matched.
func envPathSegment(layout, p string) string {
	segs, psegs := strings.Split(layout, "/"), strings.Split(p, "/")
	at := envSegment(segs)
	if slices.Contains(segs[:at], "**") {
		at = len(psegs) - (len(segs) - at)
	}
	if at < 0 || at >= len(psegs) {
		return ""
	}
	return psegs[at]
}

func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// notEnvironments are directory and file names that sit where a layout
// expects an environment but name shared configuration, never one.
var notEnvironments = map[string]bool{
	"base": true, "bases": true, "components": true, "common": true, "shared": true,
	"modules": true, "templates": true, "terraform": true, "default": true, "defaults": true,
	"global": true, "variables": true, "vars": true, "backend": true, "flux-system": true,
	// Roots of other layouts, which a shorter layout also matches
	// (k8s/{env} matches k8s/overlays).
	"overlays": true, "environments": true, "envs": true, "apps": true, "charts": true, "clusters": true,
	// Cluster-wide parts GitOps repositories keep beside environments.
	"infrastructure": true, "controllers": true, "configs": true, "crds": true, "addons": true, "platform": true,
}

// environmentLike reports whether text, the environment part of a path a
// layout matches, could name an environment.
func environmentLike(text string) bool {
	l := strings.ToLower(text)
	// *.auto.tfvars are loaded by Terraform in every environment.
	return l != "" && !notEnvironments[l] && !strings.HasSuffix(l, ".auto") && !strings.HasPrefix(l, ".")
}

// namesKind reports whether a layout's matches can be directories and
// files: a layout ending in {env} names directories, one ending in {env}
// with a suffix (".tfvars") files. A match of the other kind is not what
// the layout means (envs/{env} does not mean a file envs/common.tfvars).
func namesKind(layout string) (dirs, files bool) {
	last := layout[strings.LastIndexByte(layout, '/')+1:]
	switch {
	case last == EnvPlaceholder:
		return true, false
	case strings.Contains(last, EnvPlaceholder) && !strings.HasSuffix(last, EnvPlaceholder):
		return false, true
	}
	return true, true
}

// renderGlobs are the files any layout may lead rendering to, beyond the
// layouts' own directories: kustomization files (their references are
// followed wherever they point, within these globs), the usual homes of
// kustomize bases and components, Helm charts, and Terraform modules and
// variable files, which a root module or a .tfvars file may use from
// anywhere in the repository.
var renderGlobs = []string{
	"**/kustomization.yaml", "**/kustomization.yml", "**/Kustomization",
	"**/base/**", "**/bases/**", "**/components/**",
	"**/Chart.yaml", "**/values*.yaml", "**/values*.yml",
	"**/templates/**/*.yaml", "**/templates/**/*.yml",
	"**/*.tf", "**/*.tf.json", "**/*.tfvars", "**/*.tfvars.json",
}

// layoutInputs are the globs of every file rendering may read with these
// layouts: renderGlobs, each layout's matches and everything under them,
// and everything under each layout's first directory when it is literal
// (k8s/** for k8s/overlays/{env}, where overlays find their bases). The
// renderer reads nothing else, so these are exactly what the App must
// fetch and what sign-offs of the checks attest.
func layoutInputs(layouts []string) []string {
	in := slices.Clone(renderGlobs)
	for _, l := range layouts {
		g := layoutGlob(l, "*")
		in = append(in, g, g+"/**")
		if first, _, nested := strings.Cut(l, "/"); nested && metaIndex(first) == len(first) && first != EnvPlaceholder {
			in = append(in, first+"/**")
		}
	}
	slices.Sort(in)
	return slices.Compact(in)
}

// layoutChecks is embedded by the checks that read rendered environments:
// the policy's layouts, given by the policy once it is loaded.
type layoutChecks struct {
	layouts []string
}

// Inputs are the files rendering may read.
func (l layoutChecks) Inputs() []string { return layoutInputs(l.layouts) }

// RequiresLayouts reports a check that cannot pass without layouts: one
// that requires every environment's configuration. (Alerts reads them too,
// but passes on rule files alone.)
func RequiresLayouts(c Checker) bool {
	switch c.(type) {
	case *Environments, *Replicas, *Probes:
		return true
	}
	return false
}

// LayoutReader is a check that reads the environments' deployment
// configuration where the policy's layouts say it is. The policy gives it
// the layouts after loading.
type LayoutReader interface {
	Checker
	// WithLayouts returns a copy of the check that uses layouts; the
	// receiver is unchanged, since policies extending the default share
	// its checks.
	WithLayouts(layouts []string) Checker
}
