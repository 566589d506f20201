package inspect

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// RenderedEnv is one required environment as it would be deployed.
type RenderedEnv struct {
	Env Environment
	// Source is the overlay directory, manifest directory or Helm values
	// file that defines the environment; "" when none was found.
	Source string
	// Kind is "kustomize", "manifests" or "helm"; "" when Source is "".
	Kind      string
	Workloads []Workload
	// Errors are the reasons the environment could not be rendered. Checks
	// report them rather than pass on what they could not see.
	Errors []Finding
}

// Workload is a pod controller (Deployment, StatefulSet, ...) of an
// environment.
type Workload struct {
	Kind, Name, Namespace string
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
	Containers   []Container
}

// Container records which probes a container declares.
type Container struct {
	Name                string
	Readiness, Liveness bool
}

// Rendered renders every required environment, in policy order. The result
// is memoised: environments render once per evaluation however many checks
// ask.
func (r *Repo) Rendered() []RenderedEnv {
	if !r.renderedDone {
		r.rendered = newRenderer(r).renderAll()
		r.renderedDone = true
	}
	return r.rendered
}

// renderInputs are the files rendering may read, for the Inputs of the
// checks built on Rendered. Kustomize bases outside deploy/ are rendered
// too, but only their kustomization files can be named here: the rest of
// such a base is not an input, so keep bases under deploy/.
func renderInputs() []string {
	return []string{
		"deploy/**",
		"**/kustomization.yaml", "**/kustomization.yml", "**/Kustomization",
		"**/Chart.yaml",
		"**/values*.yaml", "**/values*.yml",
		"**/templates/**/*.yaml", "**/templates/**/*.yml",
	}
}

// renderer holds what the environments of one Repo share: the file index,
// file contents (each file is read once, however many overlays use it) and
// the kustomize machinery.
type renderer struct {
	repo    *Repo
	listErr error
	files   map[string]bool   // regular files
	dirs    map[string]bool   // directories holding files; "." is the root
	lower   map[string]string // lower-cased file or directory path → path
	reads   map[string]readResult

	kust     *krusty.Kustomizer
	kfs      filesys.FileSystem
	screened map[string][]Finding // kustomization dirs already screened
	accessed []string             // files kustomize read for the current env
	decls    map[string][]declaration
}

type readResult struct {
	data []byte
	err  error
}

func newRenderer(r *Repo) *renderer {
	rd := &renderer{
		repo:     r,
		files:    map[string]bool{},
		dirs:     map[string]bool{".": true},
		lower:    map[string]string{},
		reads:    map[string]readResult{},
		screened: map[string][]Finding{},
		decls:    map[string][]declaration{},
	}
	files, err := r.Files()
	rd.listErr = err
	for _, f := range files {
		rd.files[f] = true
		rd.addLower(f)
		for d := path.Dir(f); d != "." && !rd.dirs[d]; d = path.Dir(d) {
			rd.dirs[d] = true
			rd.addLower(d)
		}
	}
	return rd
}

// addLower indexes p for case-insensitive lookups; on a clash the first
// path in sorted order wins, so the choice is stable.
func (rd *renderer) addLower(p string) {
	l := strings.ToLower(p)
	if prev, ok := rd.lower[l]; !ok || p < prev {
		rd.lower[l] = p
	}
}

func (rd *renderer) read(name string) ([]byte, error) {
	if res, ok := rd.reads[name]; ok {
		return res.data, res.err
	}
	data, err := rd.repo.ReadFile(name)
	rd.reads[name] = readResult{data, err}
	return data, err
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

// render finds the first form of configuration the environment has, trying
// the forms in order (kustomize overlay, plain manifests, Helm values) and,
// within a form, the environment's name before its aliases.
func (rd *renderer) render(env Environment) RenderedEnv {
	names := env.Names()
	for _, n := range names {
		if dir, ok := rd.dirFold("deploy/overlays/" + n); ok {
			return rd.kustomize(env, dir)
		}
	}
	for _, n := range names {
		if dir, ok := rd.dirFold("deploy/" + n); ok && rd.kustomizationFile(dir) != "" {
			return rd.kustomize(env, dir)
		}
	}
	for _, n := range names {
		if dir, ok := rd.dirFold("deploy/" + n); ok {
			if files := rd.manifestFiles(dir); len(files) > 0 {
				return rd.manifests(env, dir, files)
			}
		}
	}
	if charts := rd.helmCharts(names); len(charts) > 0 {
		return rd.helm(env, charts)
	}
	return RenderedEnv{Env: env}
}

func (rd *renderer) dirFold(p string) (string, bool) {
	d, ok := rd.lower[strings.ToLower(p)]
	return d, ok && rd.dirs[d]
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
