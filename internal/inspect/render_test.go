package inspect

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
)

// k8sEnvs are the default policy's environments.
var k8sEnvs = []Environment{
	{Name: "production", Aliases: []string{"prod", "prd"}},
	{Name: "uat", Aliases: []string{"acceptance"}},
	{Name: "integration", Aliases: []string{"int"}},
	{Name: "ci", Aliases: []string{"test"}},
	{Name: "development", Aliases: []string{"dev"}},
}

var k8sNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func k8sFixture(name string) *Repo {
	return NewRepo(os.DirFS("testdata/k8s/"+name), k8sNow, k8sEnvs)
}

// k8sMapRepo builds a repository from file contents, for one environment.
func k8sMapRepo(files map[string]string, envs ...Environment) *Repo {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	if len(envs) == 0 {
		envs = k8sEnvs[:1]
	}
	return NewRepo(fsys, k8sNow, envs)
}

// sourceKinds lists the kinds of sources, as sourcePaths their paths.
func sourceKinds(srcs []Source) string {
	kinds := make([]string, len(srcs))
	for i, s := range srcs {
		kinds[i] = s.Kind
	}
	return strings.Join(kinds, " and ")
}

// k8sWorkload is the part of a workload a test pins down.
type k8sWorkload struct {
	kind, name, path string
	line, replicas   int
	from             string
	containers       []Container
}

// k8sSummary leaves out where replicas and containers are set, which
// TestRenderedOrigins pins down.
func k8sSummary(ws []Workload) []k8sWorkload {
	out := []k8sWorkload{}
	for _, w := range ws {
		var ctrs []Container
		for _, c := range w.Containers {
			c.Path, c.Line = "", 0
			ctrs = append(ctrs, c)
		}
		out = append(out, k8sWorkload{w.Kind, w.Name, w.Path, w.Line, w.Replicas, w.ReplicasFrom, ctrs})
	}
	return out
}

var (
	webProbes    = []Container{{Name: "app", Readiness: true, Liveness: true}}
	workerProbes = []Container{{Name: "worker", Readiness: true, Liveness: false}}
)

func TestRenderedKustomize(t *testing.T) {
	envs := k8sFixture("kustomize").Rendered(defaultLayouts)
	tests := []struct {
		env, source string
		want        []k8sWorkload
	}{
		{"production", "deploy/overlays/prod", []k8sWorkload{
			// The overlay patches the base's 3 down to 1.
			{"Deployment", "web", "deploy/base/web.yaml", 2, 1, "spec.replicas in deploy/overlays/prod (rendered)", webProbes},
			{"StatefulSet", "worker", "deploy/base/worker.yaml", 1, 2, "spec.replicas in deploy/overlays/prod (rendered)", workerProbes},
		}},
		{"uat", "deploy/overlays/uat", []k8sWorkload{
			{"Deployment", "web", "deploy/base/web.yaml", 2, 3, "HorizontalPodAutoscaler web-hpa minReplicas", webProbes},
			{"StatefulSet", "worker", "deploy/base/worker.yaml", 1, 2, "spec.replicas in deploy/overlays/uat (rendered)", workerProbes},
		}},
		{"integration", "deploy/overlays/integration", []k8sWorkload{
			{"Deployment", "web", "deploy/base/web.yaml", 2, 3, "spec.replicas in deploy/overlays/integration (rendered)", webProbes},
			{"StatefulSet", "worker", "deploy/base/worker.yaml", 1, 2, "spec.replicas in deploy/overlays/integration (rendered)", workerProbes},
		}},
		{"ci", "deploy/overlays/test", []k8sWorkload{
			{"Deployment", "web", "deploy/base/web.yaml", 2, 3, "spec.replicas in deploy/overlays/test (rendered)", webProbes},
			{"StatefulSet", "worker", "deploy/base/worker.yaml", 1, 2, "spec.replicas in deploy/overlays/test (rendered)", workerProbes},
		}},
		{"development", "deploy/overlays/development", []k8sWorkload{
			{"Deployment", "web", "deploy/base/web.yaml", 2, 3, "spec.replicas in deploy/overlays/development (rendered)", webProbes},
			{"StatefulSet", "worker", "deploy/base/worker.yaml", 1, 1, "HorizontalPodAutoscaler worker without minReplicas (defaults to 1)", workerProbes},
		}},
	}
	if len(envs) != len(tests) {
		t.Fatalf("rendered %d environments, want %d", len(envs), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			got := envs[i]
			if got.Env.Name != tt.env || sourcePaths(got.Sources) != tt.source || sourceKinds(got.Sources) != "kustomize" || len(got.Errors) > 0 {
				t.Fatalf("got env %s from %s (%s), errors %v; want %s from %s (kustomize)",
					got.Env.Name, sourcePaths(got.Sources), sourceKinds(got.Sources), got.Errors, tt.env, tt.source)
			}
			if s := k8sSummary(got.Workloads); !reflect.DeepEqual(s, tt.want) {
				t.Errorf("workloads:\n got %+v\nwant %+v", s, tt.want)
			}
		})
	}
	// Namespaces come from the overlay, as kustomize renders them.
	if ns := envs[0].Workloads[0].Namespace; ns != "shop" {
		t.Errorf("production namespace = %q, want shop", ns)
	}
}

func TestRenderedManifests(t *testing.T) {
	envs := k8sFixture("manifests").Rendered(defaultLayouts)
	both := func(names ...string) []Container {
		var cs []Container
		for _, n := range names {
			cs = append(cs, Container{Name: n, Readiness: true, Liveness: true})
		}
		return cs
	}
	tests := []struct {
		env, source string
		want        []k8sWorkload
	}{
		{"production", "deploy/production", []k8sWorkload{
			// Probes shared through anchors and a merge key count; the CRD
			// and the Widget (whose spec does not decode as a workload) and
			// the README are not workloads and not errors.
			{"Deployment", "api", "deploy/production/app.yaml", 4, 2, "spec.replicas in deploy/production/app.yaml", both("api", "proxy")},
			{"StatefulSet", "worker", "deploy/production/worker.json", 1, 3, "spec.replicas in deploy/production/worker.json", both("worker")},
		}},
		{"uat", "deploy/uat", []k8sWorkload{
			{"Deployment", "api", "deploy/uat/app.yaml", 1, 1, "spec.replicas unset in deploy/uat/app.yaml (Kubernetes defaults to 1)",
				[]Container{{Name: "api"}}},
		}},
		{"integration", "deploy/integration", []k8sWorkload{
			{"Deployment", "api", "deploy/integration/list.yaml", 4, 2, "spec.replicas in deploy/integration/list.yaml", both("api")},
		}},
		{"ci", "", []k8sWorkload{}},
		{"development", "", []k8sWorkload{}},
	}
	for i, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			got := envs[i]
			kind := "manifests"
			if tt.source == "" {
				kind = ""
			}
			if got.Env.Name != tt.env || sourcePaths(got.Sources) != tt.source || sourceKinds(got.Sources) != kind || len(got.Errors) > 0 {
				t.Fatalf("got env %s from %q (%s), errors %v; want %s from %q", got.Env.Name, sourcePaths(got.Sources), sourceKinds(got.Sources), got.Errors, tt.env, tt.source)
			}
			if s := k8sSummary(got.Workloads); !reflect.DeepEqual(s, tt.want) {
				t.Errorf("workloads:\n got %+v\nwant %+v", s, tt.want)
			}
		})
	}
}

func TestRenderedHelm(t *testing.T) {
	envs := k8sFixture("helm").Rendered(defaultLayouts)
	const tmpl = "charts/shop/templates/deployment.yaml"
	tests := []struct {
		env, source string
		want        []k8sWorkload
	}{
		{"production", "charts/shop/values-production.yaml", []k8sWorkload{
			{"Deployment", "shop", tmpl, 2, 3, "charts/shop/values-production.yaml autoscaling.minReplicas",
				[]Container{{Name: "shop", Readiness: true, Liveness: true}}},
		}},
		{"uat", "charts/shop/values-uat.yaml", []k8sWorkload{
			{"Deployment", "shop", tmpl, 2, 2, "charts/shop/values-uat.yaml replicaCount",
				[]Container{{Name: "shop", Readiness: true, Liveness: true}}},
		}},
		{"integration", "", []k8sWorkload{}},
		{"ci", "", []k8sWorkload{}},
		// values.dev.yml (an alias, dotted form) deletes readinessProbe with
		// null; the template has no readinessProbe text of its own.
		{"development", "charts/shop/values.dev.yml", []k8sWorkload{
			{"Deployment", "shop", tmpl, 2, 1, "charts/shop/values.yaml replicaCount",
				[]Container{{Name: "shop", Readiness: false, Liveness: true}}},
		}},
	}
	for i, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			got := envs[i]
			if got.Env.Name != tt.env || sourcePaths(got.Sources) != tt.source || len(got.Errors) > 0 {
				t.Fatalf("got env %s from %q (%s), errors %v; want %s from %q", got.Env.Name, sourcePaths(got.Sources), sourceKinds(got.Sources), got.Errors, tt.env, tt.source)
			}
			if s := k8sSummary(got.Workloads); !reflect.DeepEqual(s, tt.want) {
				t.Errorf("workloads:\n got %+v\nwant %+v", s, tt.want)
			}
		})
	}
}

// k8sBase is a minimal valid kustomize base.
const k8sBase = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: web
`

func TestRenderedFailures(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, k8sBase)
	}))
	defer srv.Close()
	overlay := func(body string) map[string]string {
		return map[string]string{
			"deploy/base/kustomization.yaml":                "resources: [web.yaml]\n",
			"deploy/base/web.yaml":                          k8sBase,
			"deploy/overlays/production/kustomization.yaml": body,
		}
	}
	with := func(files map[string]string, extra map[string]string) map[string]string {
		for k, v := range extra {
			files[k] = v
		}
		return files
	}
	const kfile = "deploy/overlays/production/kustomization.yaml"
	tests := []struct {
		name  string
		files map[string]string
		path  string
		line  int
		msg   string
	}{
		{"remote git base", overlay("resources:\n  - ../../base\n  - github.com/org/repo//deploy/base?ref=v1\n"),
			kfile, 3, `"github.com/org/repo//deploy/base?ref=v1" is a remote reference`},
		{"remote http resource", overlay("resources:\n  - " + srv.URL + "/web.yaml\n"),
			kfile, 2, "is a remote reference; launchgate renders kustomizations offline"},
		{"scp-style git base", overlay("resources:\n  - git@github.com:org/repo.git/deploy\n"),
			kfile, 2, "is a remote reference"},
		{"remote patch file", overlay("resources: [../../base]\npatches:\n  - path: " + srv.URL + "/patch.yaml\n"),
			kfile, 3, "is a remote reference"},
		// kustomize tries such a path as a git URL before the local directory.
		{"local directory shaped like a git URL", with(overlay("resources:\n  - github.com/org/repo\n"),
			map[string]string{"deploy/overlays/production/github.com/org/repo/kustomization.yaml": "resources: []\n"}),
			kfile, 2, "is a remote reference"},
		{"remote file in a transformer config", with(overlay("resources: [../../base]\ntransformers: [fetch.yaml]\n"),
			map[string]string{"deploy/overlays/production/fetch.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: " + srv.URL + "/p.yaml\n"}),
			kfile, 2, "refers to \"" + srv.URL + "/p.yaml\", which is remote"},
		// kustomize matches kustomization keys case-insensitively.
		{"remote base under a capitalised key", overlay("Resources:\n  - " + srv.URL + "/base.yaml\n"),
			kfile, 2, "is a remote reference"},
		{"remote URL hidden behind a newline", overlay("resources:\n  - \"https://example.com/org/repo\\n\"\n"),
			kfile, 2, "is a remote reference"},
		{"remote file in an inline transformer", overlay("resources: [../../base]\ntransformers:\n  - |\n    apiVersion: builtin\n    kind: PatchTransformer\n    metadata: {name: p}\n    path: https://example.com/p.yaml\n"),
			kfile, 3, `refers to "https://example.com/p.yaml", which is remote`},
		{"remote base below a local base", with(overlay("resources: [../../base, ../../shared]\n"),
			map[string]string{"deploy/shared/kustomization.yaml": "resources:\n  - https://example.com/x.yaml\n"}),
			"deploy/shared/kustomization.yaml", 2, "is a remote reference"},
		{"missing resource", overlay("resources:\n  - ../../base\n  - missing.yaml\n"),
			kfile, 3, `"missing.yaml" (deploy/overlays/production/missing.yaml) is not a file or directory of the repository`},
		{"kustomization does not parse", overlay("resources:\n  - ../../base\n bad: [\n"),
			kfile, 3, "kustomization does not parse as YAML"},
		{"kustomization of the wrong shape", overlay("resources: ../../base\n"),
			kfile, 0, "not a valid kustomization"},
		{"overlay without kustomization", map[string]string{"deploy/overlays/production/patch.yaml": k8sBase},
			"deploy/overlays/production", 0, "has no kustomization.yaml"},
		{"build fails", overlay("resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: web}\n    patch: |-\n      - op: replace\n        path: /spec/nothing/here\n        value: 1\n"),
			kfile, 0, "kustomize build deploy/overlays/production failed"},
		{"base resource does not parse", with(overlay("resources: [../../base]\n"),
			map[string]string{"deploy/base/web.yaml": "kind: Deployment\nmetadata:\n  name: [web\n"}),
			"deploy/base/web.yaml", 3, "does not parse as YAML"},
		{"base resource is binary", with(overlay("resources: [../../base]\n"),
			map[string]string{"deploy/base/web.yaml": "kind: Deployment\x00"}),
			"deploy/base/web.yaml", 0, "binary file"},
		// kustomize's own error advises --enable-helm, which nobody can
		// pass to the App; the finding says what launchgate reads instead.
		{"helm inflation is not run", overlay("resources: [../../base]\nhelmCharts:\n  - name: redis\n    repo: https://charts.example.com\n"),
			kfile, 2, "helmCharts asks kustomize to run Helm, which launchgate never does"},
		{"deprecated helm inflation is not run", overlay("resources: [../../base]\nhelmChartInflationGenerator:\n  - chartName: redis\n"),
			kfile, 2, "a values file beside its Chart.yaml per environment"},
		{"helm inflation in a generator configuration", with(overlay("resources: [../../base]\ngenerators: [redis.yaml]\n"),
			map[string]string{"deploy/overlays/production/redis.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: redis}\nname: redis\n"}),
			kfile, 2, "kind: HelmChartInflationGenerator asks kustomize to run Helm"},
		{"manifest does not parse", map[string]string{"deploy/production/app.yaml": "kind: Deployment\nspec:\n  replicas: [2\n"},
			"deploy/production/app.yaml", 3, "does not parse as YAML"},
		{"manifest is binary", map[string]string{"deploy/production/app.yaml": "\x00\x01"},
			"deploy/production/app.yaml", 0, "binary file"},
		{"manifest is oversized", map[string]string{"deploy/production/app.yaml": strings.Repeat("#", MaxFileSize+1)},
			"deploy/production/app.yaml", 0, "larger than the"},
		{"replicas not a number", map[string]string{"deploy/production/app.yaml": "# web\n" + strings.Replace(k8sBase, "replicas: 2", "replicas: two", 1)},
			"deploy/production/app.yaml", 2, "Deployment web in deploy/production/app.yaml: not a valid workload"},
		{"autoscaler not valid", map[string]string{"deploy/production/app.yaml": k8sBase + "---\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {minReplicas: lots}\n"},
			"deploy/production/app.yaml", 13, "not a valid HorizontalPodAutoscaler"},
		{"helm values do not parse", map[string]string{"chart/Chart.yaml": "name: shop\n", "chart/values-production.yaml": "replicaCount: [\n",
			"chart/templates/deploy.yaml": "kind: Deployment\n"},
			"chart/values-production.yaml", 1, "does not parse as YAML"},
		{"helm replicaCount not a number", map[string]string{"chart/Chart.yaml": "name: shop\n", "chart/values.yaml": "replicaCount: three\n",
			"chart/values-production.yaml": "{}\n", "chart/templates/deploy.yaml": "kind: Deployment\n"},
			"chart/values-production.yaml", 0, "chart/values.yaml replicaCount is three, not a whole number"},
		{"helm chart without name", map[string]string{"chart/Chart.yaml": "version: 1.0.0\n", "chart/values-prod.yml": "{}\n"},
			"chart/Chart.yaml", 0, "Chart.yaml has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs := k8sMapRepo(tt.files).Rendered(defaultLayouts)
			if len(envs) != 1 {
				t.Fatalf("rendered %d environments, want 1", len(envs))
			}
			errs := envs[0].Errors
			if len(errs) != 1 {
				t.Fatalf("errors = %+v, want one at %s:%d", errs, tt.path, tt.line)
			}
			if e := errs[0]; e.Path != tt.path || e.Line != tt.line || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("error = %s:%d %q\nwant     %s:%d containing %q", e.Path, e.Line, e.Message, tt.path, tt.line, tt.msg)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the test server was fetched %d times; remote references must never be fetched", n)
	}
}

// k8sOpenCounter counts the opens of each file.
type k8sOpenCounter struct {
	fs.FS
	opens map[string]int
}

func (c *k8sOpenCounter) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err == nil {
		if st, serr := f.Stat(); serr == nil && !st.IsDir() {
			c.opens[name]++
		}
	}
	return f, err
}

// Rendering is memoised per Repo, and files a base shares with five
// overlays are read once.
func TestRenderedReadsOnce(t *testing.T) {
	counter := &k8sOpenCounter{FS: os.DirFS("testdata/k8s/kustomize"), opens: map[string]int{}}
	repo := NewRepo(counter, k8sNow, k8sEnvs)
	first := repo.Rendered(defaultLayouts)
	second := repo.Rendered(defaultLayouts)
	if &first[0] != &second[0] {
		t.Error("Rendered is not memoised")
	}
	if n := counter.opens["deploy/base/web.yaml"]; n != 1 {
		t.Errorf("deploy/base/web.yaml opened %d times, want 1", n)
	}
	for name, n := range counter.opens {
		if n > 1 {
			t.Errorf("%s opened %d times", name, n)
		}
	}
}

// Everything rendering reads must be an input, or the App would not fetch
// it and sign-offs would survive changes to it.
func TestRenderInputsCoverReads(t *testing.T) {
	for _, fixture := range []string{"kustomize", "manifests", "helm"} {
		counter := &k8sOpenCounter{FS: os.DirFS("testdata/k8s/" + fixture), opens: map[string]int{}}
		NewRepo(counter, k8sNow, k8sEnvs).Rendered(defaultLayouts)
		if len(counter.opens) == 0 {
			t.Fatalf("%s: nothing was read", fixture)
		}
		for name := range counter.opens {
			if !matchesAnyGlob(layoutInputs(defaultLayouts), name) {
				t.Errorf("%s: rendering read %s, which no input glob matches", fixture, name)
			}
		}
	}
}

func TestRenderedEnvironmentChoice(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string
		source     string
		kind       string
		workloads  int
		envAliases []string
	}{
		{"name wins over alias", map[string]string{
			"deploy/overlays/prod/kustomization.yaml":       "resources: [web.yaml]\n",
			"deploy/overlays/prod/web.yaml":                 k8sBase,
			"deploy/overlays/production/kustomization.yaml": "resources: []\n",
		}, "deploy/overlays/production", "kustomize", 0, []string{"prod"}},
		{"a URL inside an inline patch is content, not a reference", map[string]string{
			"deploy/overlays/production/kustomization.yaml": "resources: [web.yaml]\npatchesStrategicMerge:\n  - |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n      annotations: {runbook: \"https://runbooks.example.com/web\"}\n",
			"deploy/overlays/production/web.yaml":           k8sBase,
		}, "deploy/overlays/production", "kustomize", 1, nil},
		{"environment names match case-insensitively", map[string]string{
			"deploy/overlays/PROD/kustomization.yaml": "resources: [web.yaml]\n",
			"deploy/overlays/PROD/web.yaml":           k8sBase,
		}, "deploy/overlays/PROD", "kustomize", 1, []string{"prod"}},
		{"the rest of a layout matches as written", map[string]string{
			"Deploy/Overlays/prod/kustomization.yaml": "resources: [web.yaml]\n",
			"Deploy/Overlays/prod/web.yaml":           k8sBase,
		}, "", "", 0, []string{"prod"}},
		{"kustomization directly in deploy/<env>", map[string]string{
			"deploy/production/kustomization.yml": "resources: [web.yaml]\n",
			"deploy/production/web.yaml":          k8sBase,
		}, "deploy/production", "kustomize", 1, nil},
		{"nested manifest directories count", map[string]string{
			"deploy/production/web/deployment.yaml": k8sBase,
		}, "deploy/production", "manifests", 1, nil},
		{"a directory without manifests is no configuration", map[string]string{
			"deploy/production/README.md": "todo\n",
		}, "", "", 0, nil},
		{"several charts", map[string]string{
			"charts/a/Chart.yaml": "name: a\n", "charts/a/values-production.yaml": "replicaCount: 2\n",
			"charts/a/templates/d.yaml": "kind: Deployment\n",
			"charts/b/Chart.yaml":       "name: b\n", "charts/b/values-production.yml": "replicaCount: 3\n",
			"charts/b/templates/s.yaml": "kind: StatefulSet\n",
			"charts/c/Chart.yaml":       "name: c\n", "charts/c/templates/d.yaml": "kind: Deployment\n",
		}, "charts/a/values-production.yaml and charts/b/values-production.yml", "helm and helm", 2, nil},
		{"charts in testdata are fixtures", map[string]string{
			"internal/testdata/chart/Chart.yaml": "name: a\n", "internal/testdata/chart/values-production.yaml": "replicaCount: 2\n",
			"internal/testdata/chart/templates/d.yaml": "kind: Deployment\n",
		}, "", "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Environment{Name: "production", Aliases: tt.envAliases}
			got := k8sMapRepo(tt.files, env).Rendered(defaultLayouts)[0]
			if sourcePaths(got.Sources) != tt.source || sourceKinds(got.Sources) != tt.kind || len(got.Workloads) != tt.workloads || len(got.Errors) > 0 {
				t.Errorf("got source %q kind %q, %d workloads, errors %v; want %q %q, %d workloads",
					sourcePaths(got.Sources), sourceKinds(got.Sources), len(got.Workloads), got.Errors, tt.source, tt.kind, tt.workloads)
			}
		})
	}
}

func TestRenderedListingFails(t *testing.T) {
	repo := NewRepo(k8sBrokenFS{}, k8sNow, k8sEnvs[:2])
	for _, env := range repo.Rendered(defaultLayouts) {
		if len(env.Errors) != 1 || !strings.Contains(env.Errors[0].Message, "cannot render environment "+env.Env.Name) {
			t.Errorf("%s: errors = %+v, want the listing failure", env.Env.Name, env.Errors)
		}
	}
}

type k8sBrokenFS struct{}

func (k8sBrokenFS) Open(string) (fs.File, error) { return nil, fs.ErrPermission }

// BenchmarkRender renders a 5,000-file repository with a kustomize base of
// ten Deployments and five overlays, as one evaluation does.
func BenchmarkRender(b *testing.B) {
	fsys := fstest.MapFS{}
	var base bytes.Buffer
	base.WriteString("resources:\n")
	for i := range 10 {
		name := fmt.Sprintf("app%d", i)
		base.WriteString("  - " + name + ".yaml\n")
		fsys["deploy/base/"+name+".yaml"] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(k8sBase, "web", name))}
	}
	fsys["deploy/base/kustomization.yaml"] = &fstest.MapFile{Data: base.Bytes()}
	for _, env := range k8sEnvs {
		fsys["deploy/overlays/"+env.Name+"/kustomization.yaml"] = &fstest.MapFile{Data: []byte(
			"namespace: " + env.Name + "\nresources: [../../base]\nreplicas:\n  - name: app0\n    count: 3\n")}
	}
	for i := len(fsys); i < 5000; i++ {
		fsys[fmt.Sprintf("src/pkg%d/file%d.go", i/50, i)] = &fstest.MapFile{Data: []byte("package p\n")}
	}
	b.ReportAllocs()
	for b.Loop() {
		envs := NewRepo(fsys, k8sNow, k8sEnvs).Rendered(defaultLayouts)
		if len(envs[4].Workloads) != 10 {
			b.Fatalf("rendered %+v", envs[4])
		}
	}
}

// TestRenderedOrigins pins down where replicas and probes findings land:
// on the line that sets the value in the environment, whichever file
// that is.
func TestRenderedOrigins(t *testing.T) {
	const (
		kfile   = "deploy/overlays/production/kustomization.yaml"
		baseDep = "deploy/base/deployment.yaml"
	)
	base := func(replicas int) map[string]string {
		return map[string]string{
			"deploy/base/kustomization.yaml": "resources: [deployment.yaml]\n",
			baseDep: fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: %d\n"+
				"  template:\n    spec:\n      containers:\n        - name: web\n          image: web\n", replicas),
		}
	}
	overlay := func(kustomization string, extra map[string]string) map[string]string {
		files := base(2)
		files[kfile] = kustomization
		for name, data := range extra {
			files[name] = data
		}
		return files
	}
	patch := func(replicas int) string {
		return fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: %d\n", replicas)
	}
	chart := func(values, prod string) map[string]string {
		return map[string]string{
			"chart/Chart.yaml": "name: web\n", "chart/values.yaml": values, "chart/values-prod.yaml": prod,
			"chart/templates/deployment.yaml": "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - readinessProbe: {}\n          livenessProbe: {}\n",
		}
	}
	tests := []struct {
		name  string
		check Checker
		files map[string]string
		path  string
		line  int
	}{
		{name: "overlay replicas: entry", check: &Replicas{},
			files: overlay("resources: [../../base]\nreplicas:\n  - name: web\n    count: 1\n", nil),
			path:  kfile, line: 4},
		{name: "strategic merge patch file under patches", check: &Replicas{},
			files: overlay("resources: [../../base]\npatches:\n  - path: replicas.yaml\n", map[string]string{
				"deploy/overlays/production/replicas.yaml": patch(1)}),
			path: "deploy/overlays/production/replicas.yaml", line: 6},
		{name: "patchesStrategicMerge file", check: &Replicas{},
			files: overlay("resources: [../../base]\npatchesStrategicMerge:\n  - replicas.yaml\n", map[string]string{
				"deploy/overlays/production/replicas.yaml": patch(1)}),
			path: "deploy/overlays/production/replicas.yaml", line: 6},
		{name: "inline strategic merge patch", check: &Replicas{},
			files: overlay("resources: [../../base]\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n"+
				"      metadata:\n        name: web\n      spec:\n        replicas: 1\n", nil),
			path: kfile, line: 9},
		{name: "inline JSON 6902 operation", check: &Replicas{},
			files: overlay("resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: web}\n    patch: |-\n"+
				"      - op: add\n        path: /spec/template/metadata\n        value: {}\n"+
				"      - op: replace\n        path: /spec/replicas\n        value: 1\n", nil),
			path: kfile, line: 8},
		{name: "patchesJson6902 file", check: &Replicas{},
			files: overlay("resources: [../../base]\npatchesJson6902:\n  - target: {group: apps, version: v1, kind: Deployment, name: web}\n    path: ops.yaml\n",
				map[string]string{"deploy/overlays/production/ops.yaml": "- op: test\n  path: /spec/replicas\n  value: 2\n" +
					"- op: replace\n  path: /spec/replicas\n  value: 1\n"}),
			path: "deploy/overlays/production/ops.yaml", line: 4},
		// kustomize applies a kustomization's replicas: after its patches.
		{name: "replicas: entry after a patch", check: &Replicas{},
			files: overlay("resources: [../../base]\npatches:\n  - path: replicas.yaml\nreplicas:\n  - name: web\n    count: 1\n",
				map[string]string{"deploy/overlays/production/replicas.yaml": patch(3)}),
			path: kfile, line: 6},
		{name: "a patch of the base", check: &Replicas{},
			files: overlay("resources: [../../base]\n", map[string]string{
				"deploy/base/kustomization.yaml": "resources: [deployment.yaml]\npatches:\n  - path: one.yaml\n",
				"deploy/base/one.yaml":           patch(1)}),
			path: "deploy/base/one.yaml", line: 6},
		{name: "renamed by the overlay", check: &Replicas{},
			files: overlay("resources: [../../base]\nnamePrefix: prod-\npatches:\n  - path: replicas.yaml\n", map[string]string{
				"deploy/overlays/production/replicas.yaml": patch(1)}),
			path: "deploy/overlays/production/replicas.yaml", line: 6},
		{name: "autoscaler minReplicas", check: &Replicas{},
			files: overlay("resources: [../../base, hpa.yaml]\n", map[string]string{
				"deploy/overlays/production/hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n" +
					"spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 4\n"}),
			path: "deploy/overlays/production/hpa.yaml", line: 7},
		{name: "base unchanged", check: &Replicas{},
			files: func() map[string]string {
				files := base(1)
				files[kfile] = "resources: [../../base]\nnamespace: shop\n"
				return files
			}(),
			path: baseDep, line: 6},
		{name: "plain manifest", check: &Replicas{},
			files: map[string]string{"deploy/production/web.yaml": base(1)[baseDep]},
			path:  "deploy/production/web.yaml", line: 6},
		{name: "Helm environment values", check: &Replicas{},
			files: chart("replicaCount: 3\n", "image: web\nreplicaCount: 1\n"),
			path:  "chart/values-prod.yaml", line: 2},
		{name: "Helm chart values", check: &Replicas{},
			files: chart("image: web\nautoscaling:\n  enabled: true\n  minReplicas: 1\n", "image: web\n"),
			path:  "chart/values.yaml", line: 4},
		{name: "probes missing in the base container", check: &Probes{},
			files: overlay("resources: [../../base]\nreplicas:\n  - name: web\n    count: 3\n", nil),
			path:  baseDep, line: 10},
		{name: "probes missing in a manifest container", check: &Probes{},
			files: map[string]string{"deploy/production/web.yaml": base(2)[baseDep]},
			path:  "deploy/production/web.yaml", line: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkValid(t, tt.check, k8sMapRepo(tt.files))
			if len(got) != 1 {
				t.Fatalf("got %d findings, want one at %s:%d:\n%s", len(got), tt.path, tt.line, dumpFindings(got))
			}
			if got[0].Path != tt.path || got[0].Line != tt.line || !strings.HasPrefix(got[0].Message, "production") {
				t.Errorf("finding at %s:%d (%s), want %s:%d for production", got[0].Path, got[0].Line, got[0].Message, tt.path, tt.line)
			}
		})
	}
}
