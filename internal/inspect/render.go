package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
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

// ---- kustomize ----

// kustomizeMu serialises kustomize builds: kustomize keeps the OpenAPI
// schema a kustomization selects (its "openapi" field) in a package
// global, so concurrent builds of different repositories would see each
// other's schema.
var kustomizeMu sync.Mutex

func (rd *renderer) kustomize(env Environment, dir string) RenderedEnv {
	out := RenderedEnv{Env: env, Source: dir, Kind: "kustomize"}
	kfile := rd.kustomizationFile(dir)
	if kfile == "" {
		out.Errors = []Finding{{Path: dir, Message: fmt.Sprintf(
			"%s is the kustomize overlay of environment %s but has no kustomization.yaml; add one that lists the base in resources",
			dir, env.Name)}}
		return out
	}
	if errs := rd.screen(dir, false); len(errs) > 0 {
		out.Errors = errs
		return out
	}
	if rd.kust == nil {
		rd.kust, rd.kfs = rd.newKustomize()
	}
	rd.accessed = rd.accessed[:0]
	resMap, err := rd.build(dir)
	if err != nil {
		out.Errors = []Finding{rd.buildError(kfile, dir, err)}
		return out
	}
	objs := make([]manifest, 0, resMap.Size())
	for _, res := range resMap.Resources() {
		objs = append(objs, manifest{node: res.YNode()})
	}
	// Rendered resources have no file position; point at the file that
	// declares them, else at the overlay.
	locate := func(kind, name string) (string, int) {
		for _, f := range rd.accessed {
			for _, d := range rd.declarations(f) {
				if d.kind == kind && d.name == name {
					return f, d.line
				}
			}
		}
		return kfile, 0
	}
	out.Workloads, out.Errors = buildWorkloads(objs, dir+" (rendered)", locate)
	return out
}

// build runs kustomize on dir. kustomize panics on some malformed input;
// a repository must not be able to crash the App, so a panic is a failed
// build.
func (rd *renderer) build(dir string) (_ resmap.ResMap, err error) {
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("kustomize crashed: %v", p)
		}
	}()
	return rd.kust.Run(rd.kfs, "/"+dir)
}

// newKustomize sets kustomize up to build from the repository alone:
//   - The file system is an in-memory skeleton of the repository's
//     directories whose files are read on demand through the Repo, so size
//     and binary limits apply, each file is read once for all overlays, and
//     nothing outside the repository exists (absolute paths and "../"
//     beyond the root resolve inside it).
//   - LoadRestrictionsNone, because that file system already confines
//     loads to the repository, and teams commonly share patches between
//     overlays with "--load-restrictor LoadRestrictionsNone" (Argo CD,
//     Flux); RootOnly would fail those builds for no safety gain.
//   - Plugins are disabled (builtins only, statically linked, Helm off), so
//     nothing is executed: no exec or container KRM functions, no helm.
//
// Remote bases cannot be switched off this way; screen rejects them first.
func (rd *renderer) newKustomize() (*krusty.Kustomizer, filesys.FileSystem) {
	mem := filesys.MakeFsInMemory()
	dirs := make([]string, 0, len(rd.dirs))
	for d := range rd.dirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		// MkdirAll on an empty in-memory tree fails only for names it
		// cannot hold; such a directory then simply does not exist for
		// kustomize, which reports what it misses.
		_ = mem.MkdirAll("/" + d)
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsNone
	opts.PluginConfig = types.DisabledPluginConfig()
	return krusty.MakeKustomizer(opts), repoFS{FileSystem: mem, rd: rd}
}

// repoFS is what kustomize reads: directories come from the in-memory
// skeleton, file contents from the Repo. kustomize reads files only
// through ReadFile when building.
type repoFS struct {
	filesys.FileSystem
	rd *renderer
}

func (f repoFS) ReadFile(p string) ([]byte, error) {
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if !f.rd.files[name] {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	f.rd.accessed = append(f.rd.accessed, name)
	return f.rd.read(name)
}

// buildError reports a failed kustomize build. kustomize's errors rarely
// carry a position, so when a file it read does not parse, that file and
// line are reported instead.
func (rd *renderer) buildError(kfile, dir string, err error) Finding {
	for _, f := range rd.accessed {
		data, rerr := rd.read(f)
		if rerr != nil {
			return Finding{Path: f, Message: fmt.Sprintf("kustomize build %s failed: %v", dir, rerr)}
		}
		if !isManifestName(f) && path.Base(f) != "Kustomization" {
			continue // generator inputs (.env, .properties) need not be YAML
		}
		if _, perr := parseYAMLDocs(data); perr != nil {
			return Finding{Path: f, Line: yamlnode.SyntaxLine(perr), Message: fmt.Sprintf(
				"kustomize build %s failed: %s does not parse as YAML: %v", dir, f, perr)}
		}
	}
	return Finding{Path: kfile, Message: fmt.Sprintf(
		"kustomize build %s failed: %v; fix the overlay so that `kustomize build %s` succeeds", dir, err, dir)}
}

// declaration is where a file declares a Kubernetes object.
type declaration struct {
	kind, name string
	line       int
}

func (rd *renderer) declarations(name string) []declaration {
	if ds, ok := rd.decls[name]; ok {
		return ds
	}
	var ds []declaration
	data, err := rd.read(name)
	if err == nil {
		docs, _ := parseYAMLDocs(data)
		for _, doc := range docs {
			var h objectHeader
			if doc.Decode(&h) == nil && h.Kind != "" {
				ds = append(ds, declaration{h.Kind, h.Metadata.Name, doc.Line})
			}
		}
	}
	rd.decls[name] = ds
	return ds
}

// screen checks that every file and directory the kustomization in dir,
// and the kustomizations it uses, refers to is in the repository, before
// kustomize runs. kustomize fetches remote resources itself (git clone by
// exec, HTTP GET) and has no option to forbid it; launchgate never touches
// the network for repository content, so a remote reference is a finding.
// Requiring an existing local path, rather than recognising URLs, keeps this
// safe against URL forms kustomize may learn later. plugin is set below
// generators, transformers and validators, whose resources are plugin
// configurations that may name files themselves.
func (rd *renderer) screen(dir string, plugin bool) []Finding {
	key := fmt.Sprintf("%s\x00%t", dir, plugin)
	if found, ok := rd.screened[key]; ok {
		return found
	}
	rd.screened[key] = nil // a cycle is kustomize's to report
	found := rd.screenKustomization(dir, plugin)
	rd.screened[key] = found
	return found
}

func (rd *renderer) screenKustomization(dir string, plugin bool) []Finding {
	kfile := rd.kustomizationFile(dir)
	if kfile == "" {
		return nil // kustomize reports the missing kustomization
	}
	data, err := rd.read(kfile)
	if err != nil {
		return []Finding{{Path: kfile, Message: fmt.Sprintf("cannot read kustomization: %v", err)}}
	}
	// yaml.v3 gives the lines; the references come from kustomize's own
	// decoder, which matches keys case-insensitively ("Resources:"), so
	// that the screen sees exactly what kustomize will load.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return []Finding{{Path: kfile, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf(
			"kustomization does not parse as YAML: %v", err)}}
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return []Finding{{Path: kfile, Message: fmt.Sprintf("not a valid kustomization: %v", err)}}
	}
	k.FixKustomization() // folds deprecated fields (bases, env) into current ones

	sc := refScreen{rd: rd, kfile: kfile, dir: dir, root: &root}
	// Resources and components are always paths: kustomize tries them as
	// files, then as directories or git URLs.
	for _, r := range append(append([]string{}, k.Resources...), k.Components...) {
		sc.ref(r, refPath, plugin)
	}
	for _, list := range [][]string{k.Generators, k.Transformers, k.Validators} {
		for _, r := range list {
			sc.ref(r, refInlineOrPath, true)
		}
	}
	for _, p := range k.PatchesStrategicMerge {
		sc.ref(string(p), refInlineOrPath, false)
	}
	files := append(append([]string{}, k.Crds...), k.Configurations...)
	for _, p := range append(append([]types.Patch{}, k.Patches...), k.PatchesJson6902...) {
		files = append(files, p.Path)
	}
	for _, r := range k.Replacements {
		files = append(files, r.Path)
	}
	files = append(files, k.OpenAPI["path"])
	for _, g := range k.ConfigMapGenerator {
		files = append(files, kvFiles(g.KvPairSources)...)
	}
	for _, g := range k.SecretGenerator {
		files = append(files, kvFiles(g.KvPairSources)...)
	}
	for _, f := range files {
		if f != "" {
			sc.ref(f, refPath, false)
		}
	}
	return sc.findings
}

// kvFiles lists the files a generator reads; a file source may be
// "key=path".
func kvFiles(s types.KvPairSources) []string {
	out := append([]string{}, s.EnvSources...)
	for _, src := range s.FileSources {
		if _, p, ok := strings.Cut(src, "="); ok {
			src = p
		}
		out = append(out, src)
	}
	return out
}

type refScreen struct {
	rd       *renderer
	kfile    string
	dir      string
	root     *yaml.Node
	findings []Finding
}

func (sc *refScreen) add(value, msg string) {
	sc.findings = append(sc.findings, Finding{Path: sc.kfile, Line: scalarLine(sc.root, value), Message: msg})
}

// refForm says whether a reference may be written inline.
type refForm bool

const (
	refPath         refForm = false
	refInlineOrPath refForm = true // patches and plugin configurations
)

// ref checks one reference. Inline entries are YAML, not paths; in inline
// or referenced plugin configurations every string is checked, since which
// ones kustomize loads depends on the plugin.
func (sc *refScreen) ref(value string, form refForm, plugin bool) {
	if form == refInlineOrPath && inlineYAML(value) {
		if plugin {
			sc.scanPlugin(value, []byte(value))
		}
		return
	}
	target := resolveRef(sc.dir, value)
	switch {
	case looksRemote(value):
		sc.add(value, fmt.Sprintf(
			"%q is a remote reference; launchgate renders kustomizations offline and never fetches remote bases or files: vendor it into the repository and refer to it by a relative path",
			value))
	case sc.rd.dirs[target]:
		sc.findings = append(sc.findings, sc.rd.screen(target, plugin)...)
	case sc.rd.files[target]:
		if plugin {
			data, err := sc.rd.read(target)
			if err != nil {
				sc.findings = append(sc.findings, Finding{Path: target, Message: fmt.Sprintf("cannot read plugin configuration: %v", err)})
				return
			}
			sc.scanPlugin(value, data)
		}
	default:
		sc.add(value, fmt.Sprintf(
			"%q (%s) is not a file or directory of the repository; kustomize would fail, and remote bases are never fetched: fix the path or vendor the base",
			value, target))
	}
}

func (sc *refScreen) scanPlugin(ref string, data []byte) {
	docs, err := parseYAMLDocs(data)
	if err != nil {
		sc.add(ref, fmt.Sprintf("plugin configuration %q does not parse as YAML: %v", ref, err))
		return
	}
	for _, doc := range docs {
		walkScalars(doc, func(n *yaml.Node) {
			if looksRemote(n.Value) {
				sc.add(ref, fmt.Sprintf(
					"plugin configuration %q refers to %q, which is remote; launchgate never fetches remote files: vendor it into the repository",
					ref, n.Value))
			}
		})
	}
}

// inlineYAML tells inline YAML entries (patches, plugin configurations)
// from paths, as kustomize does by trying to parse them as objects.
func inlineYAML(s string) bool {
	t := strings.TrimSpace(s)
	return strings.Contains(t, "\n") || strings.HasPrefix(t, "{")
}

// resolveRef resolves ref against dir as kustomize does on its in-memory
// file system rooted at the repository: absolute paths and "../" beyond
// the root stay inside it.
func resolveRef(dir, ref string) string {
	p := ref
	if !path.IsAbs(p) {
		p = path.Join("/", dir, p)
	}
	if p = strings.TrimPrefix(path.Clean(p), "/"); p == "" {
		return "."
	}
	return p
}

// gitUser matches the "user@" that makes kustomize treat a reference as an
// scp-style git URL (kustomize api v0.21.2, internal/git/repospec.go).
var gitUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// looksRemote reports strings kustomize v0.21.2 treats as remote: a URL
// scheme (http, https, ssh, file), a go-getter "git::" prefix, a
// github.com host, or an scp-style user@host. Existing local paths of these
// shapes are rejected too, since kustomize tries them as git URLs first.
func looksRemote(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.Contains(l, "://") ||
		strings.HasPrefix(l, "http:") || strings.HasPrefix(l, "https:") ||
		strings.HasPrefix(l, "git::") || strings.HasPrefix(l, "github.com") ||
		gitUser.MatchString(l)
}

// ---- plain manifests ----

func (rd *renderer) manifestFiles(dir string) []string {
	var out []string
	for f := range rd.files {
		if strings.HasPrefix(f, dir+"/") && isManifestName(f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func isManifestName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (rd *renderer) manifests(env Environment, dir string, files []string) RenderedEnv {
	out := RenderedEnv{Env: env, Source: dir, Kind: "manifests"}
	var objs []manifest
	for _, f := range files {
		data, err := rd.read(f)
		if err != nil {
			out.Errors = append(out.Errors, Finding{Path: f, Message: fmt.Sprintf(
				"cannot read manifest of environment %s: %v; fix it or move it out of %s", env.Name, err, dir)})
			continue
		}
		docs, err := parseYAMLDocs(data)
		if err != nil {
			out.Errors = append(out.Errors, Finding{Path: f, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf(
				"manifest of environment %s does not parse as YAML: %v", env.Name, err)})
			continue
		}
		for _, doc := range docs {
			// kubectl accepts a List of objects in one document.
			var list struct {
				Kind  string      `yaml:"kind"`
				Items []yaml.Node `yaml:"items"`
			}
			if doc.Decode(&list) == nil && list.Kind == "List" {
				for i := range list.Items {
					objs = append(objs, manifest{node: &list.Items[i], path: f, line: list.Items[i].Line})
				}
				continue
			}
			objs = append(objs, manifest{node: doc, path: f, line: doc.Line})
		}
	}
	ws, errs := buildWorkloads(objs, "", nil)
	out.Workloads = ws
	out.Errors = append(out.Errors, errs...)
	return out
}

// parseYAMLDocs parses every document of a YAML (or JSON) stream, skipping
// empty ones; anchors and aliases are resolved when decoding.
func parseYAMLDocs(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) == 1 && doc.Content[0].Tag != "!!null" {
			docs = append(docs, doc.Content[0])
		}
	}
}

// ---- objects to workloads ----

// manifest is one Kubernetes object: a yaml.v3 node from a file, or a node
// of kustomize's yaml library (the same decoder API).
type manifest struct {
	node interface{ Decode(v any) error }
	path string
	line int
}

type objectHeader struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
}

// podController is the part of a workload the checks read; decoding only
// these fields keeps unrelated (custom) fields from failing the decode.
type podController struct {
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Template struct {
			Spec struct {
				Containers []struct {
					Name           string         `yaml:"name"`
					ReadinessProbe map[string]any `yaml:"readinessProbe"`
					LivenessProbe  map[string]any `yaml:"livenessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type autoscaler struct {
	Spec struct {
		MinReplicas    *int `yaml:"minReplicas"`
		ScaleTargetRef struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
	} `yaml:"spec"`
}

// podControllerKinds are the built-in kinds with a pod template. Objects of
// other kinds (Argo Rollouts, ...) count as workloads when they have
// spec.template.spec.containers.
var podControllerKinds = map[string]bool{
	"Deployment": true, "StatefulSet": true, "DaemonSet": true,
	"ReplicaSet": true, "ReplicationController": true,
}

type hpaRef struct {
	name string
	min  *int
}

// buildWorkloads turns objects into workloads, applying autoscalers.
// rendered names the build for rendered objects ("" for files); locate
// finds their source, since rendered objects have no position.
func buildWorkloads(objs []manifest, rendered string, locate func(kind, name string) (string, int)) ([]Workload, []Finding) {
	var (
		ws    []Workload
		errs  []Finding
		hpas  = map[string]hpaRef{}
		where = func(m manifest) string {
			if rendered != "" {
				return rendered
			}
			return m.path
		}
	)
	for _, m := range objs {
		var h objectHeader
		if err := m.node.Decode(&h); err != nil || h.Kind == "" {
			continue // not a Kubernetes object (kustomize has validated rendered ones)
		}
		p, line := m.path, m.line
		if locate != nil {
			p, line = locate(h.Kind, h.Metadata.Name)
		}
		fail := func(what string, err error) {
			errs = append(errs, Finding{Path: p, Line: line, Message: fmt.Sprintf(
				"%s %s in %s: %s: %s", h.Kind, h.Metadata.Name, where(m), what, decodeErrorText(err))})
		}
		if h.Kind == "HorizontalPodAutoscaler" {
			var a autoscaler
			if err := m.node.Decode(&a); err != nil {
				fail("not a valid HorizontalPodAutoscaler", err)
				continue
			}
			hpas[objectKey(a.Spec.ScaleTargetRef.Kind, h.Metadata.Namespace, a.Spec.ScaleTargetRef.Name)] = hpaRef{h.Metadata.Name, a.Spec.MinReplicas}
			continue
		}
		var pc podController
		if err := m.node.Decode(&pc); err != nil {
			if podControllerKinds[h.Kind] {
				fail("not a valid workload", err)
			}
			continue
		}
		if !podControllerKinds[h.Kind] && len(pc.Spec.Template.Spec.Containers) == 0 {
			continue
		}
		w := Workload{Kind: h.Kind, Name: h.Metadata.Name, Namespace: h.Metadata.Namespace, Path: p, Line: line,
			Replicas: 1, ReplicasFrom: "spec.replicas unset in " + where(m) + " (Kubernetes defaults to 1)"}
		if r := pc.Spec.Replicas; r != nil {
			w.Replicas, w.ReplicasFrom = *r, "spec.replicas in "+where(m)
		}
		for _, c := range pc.Spec.Template.Spec.Containers {
			w.Containers = append(w.Containers, Container{Name: c.Name, Readiness: len(c.ReadinessProbe) > 0, Liveness: len(c.LivenessProbe) > 0})
		}
		ws = append(ws, w)
	}
	for i, w := range ws {
		hpa, ok := hpas[objectKey(w.Kind, w.Namespace, w.Name)]
		if !ok {
			continue
		}
		ws[i].Replicas, ws[i].ReplicasFrom = 1, "HorizontalPodAutoscaler "+hpa.name+" without minReplicas (defaults to 1)"
		if hpa.min != nil {
			ws[i].Replicas, ws[i].ReplicasFrom = *hpa.min, "HorizontalPodAutoscaler "+hpa.name+" minReplicas"
		}
	}
	return ws, errs
}

func objectKey(kind, namespace, name string) string {
	return kind + "/" + namespace + "/" + name
}

// ---- Helm ----

// helmChart is a chart with a values file for the environment.
type helmChart struct {
	dir, envValues string
}

// helmCharts finds the charts (a directory with Chart.yaml, outside
// testdata) that have a values-<env>.yaml or values.<env>.yaml (or .yml)
// beside Chart.yaml.
func (rd *renderer) helmCharts(names []string) []helmChart {
	var out []helmChart
	for f := range rd.files {
		if path.Base(f) != "Chart.yaml" || isFixture(f) {
			continue
		}
		dir := path.Dir(f)
	search:
		for _, n := range names {
			for _, pattern := range []string{"values-%s.yaml", "values-%s.yml", "values.%s.yaml", "values.%s.yml"} {
				if v, ok := rd.lower[strings.ToLower(path.Join(dir, fmt.Sprintf(pattern, n)))]; ok && rd.files[v] {
					out = append(out, helmChart{dir, v})
					break search
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

// isFixture reports files under a testdata directory: Go's convention
// for test fixtures, which are never deployed, so their charts and rule
// files say nothing about the service (and a broken one is deliberate).
func isFixture(name string) bool {
	return strings.HasPrefix(name, "testdata/") || strings.Contains(name, "/testdata/")
}

// helm derives an environment's workloads from Helm charts without
// rendering templates: templates are code, and launchgate never executes
// repository content. This is an approximation, stated in findings:
//   - a workload per Deployment or StatefulSet template (a templates/ file
//     with a top-level "kind: Deployment" line), named after the chart;
//   - replicas from replicaCount, or autoscaling.minReplicas when
//     autoscaling.enabled is true, in values.yaml deep-merged with the
//     environment's values file (Helm's null deletes a key);
//   - probes present when the template's text has "readinessProbe:" /
//     "livenessProbe:", or the values set readinessProbe / livenessProbe.
func (rd *renderer) helm(env Environment, charts []helmChart) RenderedEnv {
	out := RenderedEnv{Env: env, Source: charts[0].envValues, Kind: "helm"}
	for _, c := range charts {
		ws, errs := rd.helmWorkloads(c)
		out.Workloads = append(out.Workloads, ws...)
		out.Errors = append(out.Errors, errs...)
	}
	return out
}

var helmWorkloadKind = regexp.MustCompile(`(?m)^kind:[ \t]*["']?(Deployment|StatefulSet)["']?[ \t]*$`)

func (rd *renderer) helmWorkloads(c helmChart) ([]Workload, []Finding) {
	chartFile := path.Join(c.dir, "Chart.yaml")
	var chart struct {
		Name string `yaml:"name"`
	}
	if f := rd.decodeYAMLFile(chartFile, &chart); f != nil {
		return nil, []Finding{*f}
	}
	if chart.Name == "" {
		return nil, []Finding{{Path: chartFile, Message: "Chart.yaml has no name; add name: <chart>"}}
	}
	base := map[string]any{}
	baseFile := path.Join(c.dir, "values.yaml")
	if rd.files[baseFile] {
		if f := rd.decodeYAMLFile(baseFile, &base); f != nil {
			return nil, []Finding{*f}
		}
	}
	overlay := map[string]any{}
	if f := rd.decodeYAMLFile(c.envValues, &overlay); f != nil {
		return nil, []Finding{*f}
	}
	values := mergeValues(base, overlay)
	from := func(keys ...string) string {
		if _, ok := valueAt(overlay, keys...); ok {
			return c.envValues + " " + strings.Join(keys, ".")
		}
		return baseFile + " " + strings.Join(keys, ".")
	}

	replicas, replicasFrom, key := 1, "replicaCount unset (Kubernetes defaults to 1)", []string{"replicaCount"}
	if on, _ := valueAt(values, "autoscaling", "enabled"); on == true {
		replicasFrom, key = "autoscaling.minReplicas unset (defaults to 1)", []string{"autoscaling", "minReplicas"}
	}
	if v, ok := valueAt(values, key...); ok {
		n, isInt := v.(int)
		if !isInt {
			return nil, []Finding{{Path: c.envValues, Message: fmt.Sprintf(
				"%s is %v, not a whole number; set it to the replica count", from(key...), v)}}
		}
		replicas, replicasFrom = n, from(key...)
	}
	readinessValue, _ := valueAt(values, "readinessProbe")
	livenessValue, _ := valueAt(values, "livenessProbe")

	var ws []Workload
	for _, t := range rd.helmTemplates(c.dir) {
		data, err := rd.read(t)
		if err != nil {
			return nil, []Finding{{Path: t, Message: fmt.Sprintf("cannot read chart template: %v", err)}}
		}
		for _, m := range helmWorkloadKind.FindAllSubmatchIndex(data, -1) {
			ws = append(ws, Workload{
				Kind: string(data[m[2]:m[3]]), Name: chart.Name,
				Path: t, Line: 1 + bytes.Count(data[:m[0]], []byte("\n")),
				Replicas: replicas, ReplicasFrom: replicasFrom,
				Containers: []Container{{
					Name:      chart.Name,
					Readiness: bytes.Contains(data, []byte("readinessProbe:")) || nonEmpty(readinessValue),
					Liveness:  bytes.Contains(data, []byte("livenessProbe:")) || nonEmpty(livenessValue),
				}},
			})
		}
	}
	return ws, nil
}

func (rd *renderer) helmTemplates(dir string) []string {
	var out []string
	prefix := dir + "/templates/"
	if dir == "." {
		prefix = "templates/"
	}
	for f := range rd.files {
		if strings.HasPrefix(f, prefix) && (strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml")) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// decodeYAMLFile reads and decodes a YAML file, returning a finding when it
// cannot.
func (rd *renderer) decodeYAMLFile(name string, v any) *Finding {
	data, err := rd.read(name)
	if err != nil {
		return &Finding{Path: name, Message: fmt.Sprintf("cannot read: %v", err)}
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return &Finding{Path: name, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf("does not parse as YAML: %v", err)}
	}
	return nil
}

// mergeValues deep-merges Helm values: maps merge, other values in
// overlay replace, and a null in overlay deletes the key.
func mergeValues(base, overlay map[string]any) map[string]any {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range overlay {
		bm, baseIsMap := out[k].(map[string]any)
		om, overlayIsMap := v.(map[string]any)
		switch {
		case v == nil:
			delete(out, k)
		case baseIsMap && overlayIsMap:
			out[k] = mergeValues(bm, om)
		default:
			out[k] = v
		}
	}
	return out
}

func valueAt(m map[string]any, keys ...string) (any, bool) {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[k]; !ok || v == nil {
			return nil, false
		}
	}
	return v, true
}

func nonEmpty(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) > 0
}

// ---- YAML helpers ----

// decodeErrorText flattens yaml.v3's multi-line decode errors into one
// line fit for a finding.
func decodeErrorText(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return err.Error()
}

// scalarLine is the line of the first scalar equal to value under n, 0 if
// none: the best position for a reference decoded from n.
func scalarLine(n *yaml.Node, value string) int {
	line := 0
	walkScalars(n, func(s *yaml.Node) {
		if line == 0 && s.Value == value {
			line = s.Line
		}
	})
	return line
}

func walkScalars(n *yaml.Node, fn func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode {
		fn(n)
	}
	for _, c := range n.Content {
		walkScalars(c, fn)
	}
}
