package inspect

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// helmChart is a chart with a values file for the environment.
type helmChart struct {
	dir, envValues string
}

// isFixture reports files under a testdata directory: Go's convention
// for test fixtures, which are never deployed, so their charts and rule
// files say nothing about the service (and a broken one is deliberate).
func isFixture(name string) bool {
	return strings.HasPrefix(name, "testdata/") || strings.Contains(name, "/testdata/")
}

// helmWorkloads derives an environment's workloads from a Helm chart
// without rendering templates: templates are code, and launchgate never
// executes repository content. This is an approximation, stated in
// findings:
//   - a workload per Deployment or StatefulSet template (a templates/ file
//     with a top-level "kind: Deployment" line), named after the chart;
//   - replicas from replicaCount, or autoscaling.minReplicas when
//     autoscaling.enabled is true, in values.yaml deep-merged with the
//     environment's values file (Helm's null deletes a key);
//   - probes present when the template's text has "readinessProbe:" /
//     "livenessProbe:", or the values set readinessProbe / livenessProbe.
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
	// fileOf is the values file that sets keys: the environment's, else
	// the chart's values.yaml.
	fileOf := func(keys ...string) string {
		if _, ok := valueAt(overlay, keys...); ok {
			return c.envValues
		}
		return baseFile
	}
	from := func(keys ...string) string { return fileOf(keys...) + " " + strings.Join(keys, ".") }

	replicas, replicasFrom, key := 1, "replicaCount unset (Kubernetes defaults to 1)", []string{"replicaCount"}
	// Unset, the fix belongs in the environment's values file.
	replicasPath, replicasLine := c.envValues, 0
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
		replicasPath = fileOf(key...)
		replicasLine = rd.valueLine(replicasPath, key...)
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
			line := 1 + bytes.Count(data[:m[0]], []byte("\n"))
			ws = append(ws, Workload{
				Kind: string(data[m[2]:m[3]]), Name: chart.Name,
				Path: t, Line: line,
				Replicas: replicas, ReplicasFrom: replicasFrom,
				ReplicasPath: replicasPath, ReplicasLine: replicasLine,
				// Templates are not rendered: the template is the
				// container's definition.
				Containers: []Container{{
					Name:      chart.Name,
					Readiness: bytes.Contains(data, []byte("readinessProbe:")) || nonEmpty(readinessValue),
					Liveness:  bytes.Contains(data, []byte("livenessProbe:")) || nonEmpty(livenessValue),
					Path:      t, Line: line,
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
	if err := yamlnode.Locate(yaml.Unmarshal(data, v), data); err != nil {
		return &Finding{Path: name, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf("does not parse as YAML: %v", err)}
	}
	return nil
}

// valueLine is the line of the value at keys in a values file that has
// decoded already, 0 if it cannot be found.
func (rd *renderer) valueLine(name string, keys ...string) int {
	data, err := rd.read(name)
	if err != nil {
		return 0
	}
	docs, err := parseYAMLDocs(data)
	if err != nil || len(docs) == 0 {
		return 0
	}
	if v := lookupPath(docs[0], keys...); v != nil {
		return v.Line
	}
	return 0
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
