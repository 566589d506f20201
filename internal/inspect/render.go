package inspect

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/launchgate/launchgate/internal/inspect/glob"
	"github.com/launchgate/launchgate/internal/inspect/terraform"
)

// RenderedEnv is one required environment as it would be deployed.
type RenderedEnv struct {
	Env Environment
	// Sources are what the layouts found for the environment, in layout
	// order; none when it has no configuration. Every source contributes:
	// Workloads are the union of theirs.
	Sources   []Source
	Workloads []Workload
	// Errors are the reasons the environment could not be rendered. Checks
	// report them rather than pass on what they could not see.
	Errors []Finding
	// Alarms are the CloudWatch metric alarms of its Terraform.
	Alarms []terraform.Alarm
	// RemoteModules are the module calls of its Terraform that launchgate
	// cannot read (registry, git, ...).
	RemoteModules []terraform.RemoteModule
	// Empty are directories a layout matched for the environment that hold
	// nothing launchgate renders (no kustomization, Terraform or manifest).
	Empty []string
	// Unmatched are paths the layouts would match for an environment name
	// that no policy environment has ("k8s/overlays/staging"), listed when
	// the environment has no Sources: it may be one of them under another
	// name.
	Unmatched []Unmatched
}

// Unmatched is a path a layout matches for Name, which is no environment's
// name or alias.
type Unmatched struct {
	Path, Name string
}

// Source is one place that defines (part of) an environment: a kustomize
// overlay, a manifest directory, a Helm values file, or a Terraform root
// module directory or .tfvars file.
type Source struct {
	Path string
	// Kind is "kustomize", "manifests", "helm" or "terraform".
	Kind string
}

// sourcePaths lists the paths of sources, for messages.
func sourcePaths(srcs []Source) string {
	paths := make([]string, len(srcs))
	for i, s := range srcs {
		paths[i] = s.Path
	}
	return strings.Join(paths, " and ")
}

// Workload is a pod controller (Deployment, StatefulSet, ...) of an
// environment.
type Workload struct {
	Kind, Name, Namespace string
	// Source is the environment's source the workload was rendered from.
	Source Source
	// Path and Line locate the declaration, best effort: the source file of
	// the resource, or the overlay's kustomization file.
	Path string
	Line int
	// Replicas is the effective minimum: an autoscaler's minReplicas when
	// one targets the workload, else spec.replicas (1 when unset, as in
	// Kubernetes).
	Replicas int
	// ReplicasFrom says where Replicas came from, for findings.
	ReplicasFrom string
	// ReplicasPath and ReplicasLine locate what sets Replicas in this
	// environment: the overlay's replicas: entry or patch, the
	// autoscaler's minReplicas, the Helm values line, for Terraform the
	// .tfvars line or the module argument; the declaration when nothing
	// sets it.
	ReplicasPath string
	ReplicasLine int
	// Containers are a Kubernetes workload's containers.
	Containers []Container
	// HealthMissing, for a Terraform workload, says which health check to
	// add; "" when one covers it. Kubernetes workloads have probes on
	// their Containers instead.
	HealthMissing string
}

// Container records which probes a container declares.
type Container struct {
	Name                string
	Readiness, Liveness bool
	// Path and Line locate the container's entry in the file that
	// declares the workload, else the workload's declaration.
	Path string
	Line int
}

// Rendered renders every required environment where layouts find its
// configuration, in policy order. The result is memoised per list of
// layouts: the checks of one policy share its list, so environments render
// once per evaluation however many checks ask.
func (r *Repo) Rendered(layouts []string) []RenderedEnv {
	key := strings.Join(layouts, "\x00")
	if envs, ok := r.rendered[key]; ok {
		return envs
	}
	if r.rendered == nil {
		r.rendered = map[string][]RenderedEnv{}
	}
	envs := newRenderer(r, layouts).renderAll()
	r.rendered[key] = envs
	return envs
}

// renderer holds what the environments of one Repo share: the file index,
// file contents (each file is read once, however many overlays use it),
// the layouts' matches and the kustomize machinery.
type renderer struct {
	repo    *Repo
	layouts []string
	listErr error
	// files are the regular files rendering may read: those matching the
	// layouts' inputs. A kustomize reference or a Helm chart leading
	// anywhere else is a finding, so that everything rendering reads is
	// fetched by the App and guarded by sign-offs.
	files   map[string]bool
	unread  map[string]bool    // regular files outside the inputs
	dirs    map[string]bool    // directories holding files; "." is the root
	indexed []string           // files, sorted
	sorted  []string           // dirs, sorted
	matches map[string][]match // per layout
	reads   map[string]readResult

	kust     *krusty.Kustomizer
	kfs      filesys.FileSystem
	screened map[string][]Finding // kustomization dirs already screened
	accessed []string             // files kustomize read for the current env
	// buildReads are the reads of the current kustomize build, and
	// skeletonSum, once skeletonDone, the digest of dirs, which together
	// decide whether an earlier build can be reused (builtOverlays).
	buildReads   []overlayRead
	skeletonSum  [sha256.Size]byte
	skeletonDone bool
	decls        map[string][]declaration
	// fieldSetters are the entries of each kustomization directory that
	// set replicas, in kustomize's order.
	fieldSetters map[string][]fieldSetter
}

type readResult struct {
	data []byte
	err  error
}

// match is a path a layout matches with EnvPlaceholder as "*".
type match struct {
	path string
	dir  bool
	// envSeg is the path's segment in the place of the layout's
	// environment segment.
	envSeg string
}

func newRenderer(r *Repo, layouts []string) *renderer {
	rd := &renderer{
		repo:     r,
		layouts:  layouts,
		files:    map[string]bool{},
		unread:   map[string]bool{},
		dirs:     map[string]bool{".": true},
		matches:  map[string][]match{},
		reads:    map[string]readResult{},
		screened: map[string][]Finding{},
		decls:    map[string][]declaration{},

		fieldSetters: map[string][]fieldSetter{},
	}
	files, err := r.Files()
	if err != nil {
		rd.listErr = err
		return rd
	}
	inputs, err := r.Match(layoutInputs(layouts)...)
	if err != nil {
		rd.listErr = err
		return rd
	}
	rd.indexed = inputs
	for _, f := range inputs {
		rd.files[f] = true
	}
	for _, f := range files {
		if !rd.files[f] {
			rd.unread[f] = true
		}
		for d := path.Dir(f); d != "." && !rd.dirs[d]; d = path.Dir(d) {
			rd.dirs[d] = true
		}
	}
	rd.sorted = make([]string, 0, len(rd.dirs))
	for d := range rd.dirs {
		rd.sorted = append(rd.sorted, d)
	}
	slices.Sort(rd.sorted)
	return rd
}

func (rd *renderer) read(name string) ([]byte, error) {
	if res, ok := rd.reads[name]; ok {
		return res.data, res.err
	}
	if !rd.files[name] {
		return nil, rd.notInput(name)
	}
	data, err := rd.repo.ReadFile(name)
	rd.reads[name] = readResult{data, err}
	return data, err
}

// notInput explains why a file that is not an input cannot be read.
func (rd *renderer) notInput(name string) error {
	if rd.unread[name] {
		return fmt.Errorf("%s is outside the files launchgate reads for deployment configuration "+
			"(the layouts' directories, kustomize bases under base/, bases/ or components/, Helm charts and Terraform files): "+
			"move it there or add a layout that covers it: %w", name, fs.ErrPermission)
	}
	return fmt.Errorf("%s: %w", name, fs.ErrNotExist)
}

// layoutMatches lists, sorted, the directories and files the layout
// matches for any environment name, outside testdata, of the kinds it
// names.
func (rd *renderer) layoutMatches(layout string) []match {
	if ms, ok := rd.matches[layout]; ok {
		return ms
	}
	pattern := layoutGlob(layout, "*")
	dirs, files := namesKind(layout)
	var ms []match
	for _, list := range []struct {
		paths []string
		dir   bool
		named bool
	}{{rd.sorted, true, dirs}, {rd.indexed, false, files}} {
		if !list.named {
			continue
		}
		for _, p := range glob.Filter(list.paths, pattern) {
			if !isFixture(p) {
				ms = append(ms, match{path: p, dir: list.dir, envSeg: envPathSegment(layout, p)})
			}
		}
	}
	rd.matches[layout] = ms
	return ms
}

func (rd *renderer) renderAll() []RenderedEnv {
	out := make([]RenderedEnv, 0, len(rd.repo.Environments()))
	for _, env := range rd.repo.Environments() {
		if rd.listErr != nil {
			out = append(out, RenderedEnv{Env: env, Errors: []Finding{{
				Message: fmt.Sprintf("cannot render environment %s: %v", env.Name, rd.listErr),
			}}})
			continue
		}
		out = append(out, rd.render(env))
	}
	return out
}

// render renders what every layout finds for the environment. Within one
// layout the environment's name wins over its aliases (a repository with
// overlays/prod and overlays/production is read at overlays/production);
// across layouts everything found contributes, so a repository with
// Terraform for the cluster and kustomize for the app is read whole.
func (rd *renderer) render(env Environment) RenderedEnv {
	out := RenderedEnv{Env: env}
	var hits []layoutHit
	seen := map[string]bool{}
	for _, layout := range rd.layouts {
		ms := rd.layoutMatches(layout)
		for _, name := range env.Names() {
			found := false
			for _, m := range ms {
				if namesEnv(layout, m.envSeg, name) {
					found = true
					if !seen[m.path] {
						seen[m.path] = true
						hits = append(hits, layoutHit{layout, m})
					}
				}
			}
			if found {
				break
			}
		}
	}
	tf := rd.planTerraform(hits)
	for _, h := range hits {
		rd.renderSource(&out, h, tf)
	}
	if len(out.Sources) == 0 && len(out.Errors) == 0 {
		out.Unmatched = rd.unmatched()
	}
	return out
}

// layoutHit is a match of a layout for one environment.
type layoutHit struct {
	layout string
	match
}

// terraformPlan groups one environment's Terraform: each root module is
// read once, with every .tfvars file the layouts found for the
// environment that applies to it, in layout order (Terraform applies
// -var-file files in order, the last winning), whether the layouts matched
// the root module's directory, its .tfvars files, or both.
type terraformPlan struct {
	varFiles map[string][]string // root module → .tfvars files
	read     map[string]bool     // root modules already read
}

func (rd *renderer) planTerraform(hits []layoutHit) *terraformPlan {
	plan := &terraformPlan{varFiles: map[string][]string{}, read: map[string]bool{}}
	for _, h := range hits {
		if !h.dir && isVarFile(h.path) {
			if root, ok := rd.varFileRoot(h.path); ok {
				plan.varFiles[root] = append(plan.varFiles[root], h.path)
			}
		}
	}
	return plan
}

// renderSource renders one match into out, by what it is: a directory
// with a kustomization is a kustomize overlay, one with Terraform files a
// Terraform root module, one with manifests plain manifests; a .tfvars
// file is the environment's variables for the root module above it, a
// values file beside a Chart.yaml a Helm environment. Other files are not
// configuration the layout could mean.
func (rd *renderer) renderSource(out *RenderedEnv, h layoutHit, tf *terraformPlan) {
	var (
		src  Source
		ws   []Workload
		errs []Finding
	)
	switch {
	case h.dir && rd.kustomizationFile(h.path) != "":
		src = Source{Path: h.path, Kind: "kustomize"}
		ws, errs = rd.kustomize(out.Env, h.path)
	case h.dir && rd.terraformRoot(h.path):
		if tf.read[h.path] {
			return
		}
		tf.read[h.path] = true
		src = Source{Path: h.path, Kind: "terraform"}
		ws = rd.terraform(out, terraform.Source{Dir: h.path, VarFiles: tf.varFiles[h.path]})
	case h.dir && isOverlayLayout(h.layout):
		src = Source{Path: h.path, Kind: "kustomize"}
		errs = []Finding{{Path: h.path, Message: fmt.Sprintf(
			"%s is the kustomize overlay of environment %s but has no kustomization.yaml; add one that lists the base in resources",
			h.path, out.Env.Name)}}
	case h.dir:
		files := rd.manifestFiles(h.path)
		if len(files) == 0 {
			out.Empty = append(out.Empty, h.path)
			return
		}
		src = Source{Path: h.path, Kind: "manifests"}
		ws, errs = rd.manifests(out.Env, h.path, files)
	case isVarFile(h.path):
		root, ok := rd.varFileRoot(h.path)
		if ok && tf.read[root] {
			return
		}
		src = Source{Path: h.path, Kind: "terraform"}
		if !ok {
			errs = []Finding{{Path: h.path, Message: fmt.Sprintf(
				"%s holds Terraform variables for environment %s, but no directory above it holds the *.tf files of a root module to apply them to",
				h.path, out.Env.Name)}}
			break
		}
		tf.read[root] = true
		src.Path = strings.Join(tf.varFiles[root], " and ")
		ws = rd.terraform(out, terraform.Source{Dir: root, VarFiles: tf.varFiles[root]})
	case isManifestName(h.path) && rd.files[path.Join(path.Dir(h.path), "Chart.yaml")]:
		src = Source{Path: h.path, Kind: "helm"}
		ws, errs = rd.helmWorkloads(helmChart{dir: path.Dir(h.path), envValues: h.path})
	default:
		return
	}
	for i := range ws {
		ws[i].Source = src
	}
	out.Sources = append(out.Sources, src)
	out.Workloads = append(out.Workloads, ws...)
	out.Errors = append(out.Errors, errs...)
}

// isOverlayLayout reports a layout whose environments sit in an overlays
// directory: kustomize's term, so a matched directory must be a kustomize
// overlay.
func isOverlayLayout(layout string) bool {
	segs := strings.Split(layout, "/")
	at := envSegment(segs)
	return at > 0 && segs[at] == EnvPlaceholder && segs[at-1] == "overlays"
}

// maxUnmatched bounds the environment-like paths a message names.
const maxUnmatched = 5

// unmatched lists the paths the layouts match for a name that is none of
// the policy's environments' names or aliases, and that could name an
// environment. A name several layouts find (clusters/staging and
// apps/staging) is likelier an environment than one only a single layout
// does (infrastructure/controllers), so such names come first.
func (rd *renderer) unmatched() []Unmatched {
	var all []Unmatched
	seen := map[string]bool{}
	found := map[string]int{} // lower-cased name → paths naming it
	for _, layout := range rd.layouts {
		for _, m := range rd.layoutMatches(layout) {
			name := envText(layout, m.path)
			if !environmentLike(name) || seen[m.path] || rd.namesAnyEnv(layout, m) {
				continue
			}
			seen[m.path] = true
			found[strings.ToLower(name)]++
			all = append(all, Unmatched{Path: m.path, Name: name})
		}
	}
	slices.SortStableFunc(all, func(a, b Unmatched) int {
		return found[strings.ToLower(b.Name)] - found[strings.ToLower(a.Name)]
	})
	return all[:min(len(all), maxUnmatched)]
}

func (rd *renderer) namesAnyEnv(layout string, m match) bool {
	for _, env := range rd.repo.Environments() {
		for _, name := range env.Names() {
			if namesEnv(layout, m.envSeg, name) {
				return true
			}
		}
	}
	return false
}

// kustomizationFile is the file kustomize would read in dir, "" if none.
func (rd *renderer) kustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if p := path.Join(dir, name); rd.files[p] {
			return p
		}
	}
	return ""
}
