package inspect

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// kustomizeMu serialises kustomize builds: kustomize keeps the OpenAPI
// schema a kustomization selects (its "openapi" field) in a package
// global, so concurrent builds of different repositories would see each
// other's schema.
var kustomizeMu sync.Mutex

// kustomize renders the overlay in dir, which has a kustomization file.
func (rd *renderer) kustomize(env Environment, dir string) ([]Workload, []Finding) {
	kfile := rd.kustomizationFile(dir)
	if errs := rd.screen(dir, false); len(errs) > 0 {
		return nil, errs
	}
	built := builtOverlays.lookup(rd, dir)
	if built == nil {
		var err error
		if built, err = rd.buildOverlay(dir); err != nil {
			return nil, []Finding{rd.buildError(kfile, dir, err)}
		}
		builtOverlays.store(rd, dir, built)
	}
	rd.accessed = built.accessed
	return buildWorkloads(slices.Clone(built.objs), &renderedBy{
		name:    dir + " (rendered)",
		overlay: kfile,
		declared: func(kind, name string) origin {
			return rd.declared(kfile, kind, name)
		},
		setBy: func(kind string, names []string, field string, value int) (string, int, bool) {
			return rd.setBy(dir, kind, names, field, value)
		},
	})
}

// declared finds the document that declares a rendered object among the
// files kustomize read, else points at the overlay's kustomization file.
// An overlay's namePrefix or nameSuffix renames objects, so a declaration
// whose name is part of the rendered one matches when none is equal.
func (rd *renderer) declared(kfile, kind, name string) origin {
	var renamed origin
	for _, f := range rd.accessed {
		for _, d := range rd.declarations(f) {
			switch {
			case d.kind != kind:
			case d.name == name:
				return origin{path: f, doc: d.doc, name: d.name}
			case renamed.doc == nil && d.name != "" && strings.Contains(name, d.name):
				renamed = origin{path: f, doc: d.doc, name: d.name}
			}
		}
	}
	if renamed.doc != nil {
		return renamed
	}
	return origin{path: kfile}
}

// buildOverlay runs kustomize on dir and keeps its objects with what it
// read. On failure, rd.accessed still lists the files read, for
// buildError.
func (rd *renderer) buildOverlay(dir string) (*builtOverlay, error) {
	if rd.kust == nil {
		rd.kust, rd.kfs = rd.newKustomize()
	}
	rd.accessed, rd.buildReads = nil, nil
	resMap, err := rd.build(dir)
	if err != nil {
		return nil, err
	}
	b := &builtOverlay{reads: rd.buildReads, accessed: rd.accessed, objs: make([]manifest, 0, resMap.Size())}
	for _, res := range resMap.Resources() {
		b.objs = append(b.objs, manifest{node: res.YNode()})
	}
	return b, nil
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
	data, err := f.rd.kustomizeRead(name)
	f.rd.buildReads = append(f.rd.buildReads, newOverlayRead(name, data, err))
	if f.rd.files[name] {
		f.rd.accessed = append(f.rd.accessed, name)
	}
	return data, err
}

// kustomizeRead is what kustomize reads for name: an input's content, else
// why it cannot be read.
func (rd *renderer) kustomizeRead(name string) ([]byte, error) {
	if !rd.files[name] {
		return nil, rd.notInput(name)
	}
	return rd.read(name)
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
	doc        *yaml.Node
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
				ds = append(ds, declaration{h.Kind, h.Metadata.Name, doc})
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
	if err := yamlnode.Locate(yaml.Unmarshal(data, &root), data); err != nil {
		return []Finding{{Path: kfile, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf(
			"kustomization does not parse as YAML: %v", err)}}
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return []Finding{{Path: kfile, Message: fmt.Sprintf("not a valid kustomization: %v", err)}}
	}
	// kustomize would fail with "must specify --enable-helm", a flag the
	// developer cannot pass to the App; say what launchgate reads instead.
	for _, helm := range []struct {
		key    string
		charts int
	}{{"helmCharts", len(k.HelmCharts)}, {"helmChartInflationGenerator", len(k.HelmChartInflationGenerator)}} {
		if helm.charts > 0 {
			f := Finding{Path: kfile, Message: helmInflationMessage(helm.key)}
			if key, _ := foldEntry(&root, helm.key); key != nil {
				f.Line = key.Line
			}
			return []Finding{f}
		}
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
	case sc.rd.unread[target]:
		sc.add(value, fmt.Sprintf("%q: %v", value, sc.rd.notInput(target)))
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
		var h objectHeader
		if doc.Decode(&h) == nil && h.Kind == "HelmChartInflationGenerator" {
			sc.add(ref, fmt.Sprintf("plugin configuration %q: %s", ref, helmInflationMessage("kind: HelmChartInflationGenerator")))
			continue
		}
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

// helmInflationMessage explains why a kustomization that inflates Helm
// charts (what) cannot be rendered, and what launchgate reads instead.
func helmInflationMessage(what string) string {
	return fmt.Sprintf("%s asks kustomize to run Helm, which launchgate never does: it does not fetch charts or render templates. "+
		"It reads a chart committed to the repository through its values, a values file beside its Chart.yaml per environment "+
		"(e.g. values-production.yaml, merged over values.yaml); point a layout at those, or commit the manifests "+
		"`helm template` renders and list them in resources", what)
}
