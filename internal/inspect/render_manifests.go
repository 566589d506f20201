package inspect

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

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
