package inspect

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// manifestFiles lists the manifests under dir, sorted. A flux-system
// directory holds Flux's own controllers, which `flux bootstrap` commits
// beside the cluster's configuration
// (https://fluxcd.io/flux/installation/bootstrap/): they are not the
// service's workloads.
func (rd *renderer) manifestFiles(dir string) []string {
	var out []string
	lo, _ := slices.BinarySearch(rd.indexed, dir+"/")
	for _, f := range rd.indexed[lo:] {
		if !strings.HasPrefix(f, dir+"/") {
			break
		}
		if isManifestName(f) && !strings.Contains(f[len(dir):], "/flux-system/") {
			out = append(out, f)
		}
	}
	return out
}

func isManifestName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (rd *renderer) manifests(env Environment, dir string, files []string) ([]Workload, []Finding) {
	var (
		objs []manifest
		errs []Finding
	)
	for _, f := range files {
		data, err := rd.read(f)
		if err != nil {
			errs = append(errs, Finding{Path: f, Message: fmt.Sprintf(
				"cannot read manifest of environment %s: %v; fix it or move it out of %s", env.Name, err, dir)})
			continue
		}
		docs, err := parseYAMLDocs(data)
		if err != nil {
			errs = append(errs, Finding{Path: f, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf(
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
					objs = append(objs, manifest{node: &list.Items[i], at: origin{path: f, doc: &list.Items[i]}})
				}
				continue
			}
			objs = append(objs, manifest{node: doc, at: origin{path: f, doc: doc}})
		}
	}
	ws, werrs := buildWorkloads(objs, nil)
	return ws, append(errs, werrs...)
}
