package ci

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// workflowCommands reads the commands of a GitHub Actions workflow:
// each step's run script, in its working-directory (the step's, else the
// job's or the workflow's defaults.run), and the step's with: inputs
// (an action such as grafana/k6-action takes the script as an input).
func workflowCommands(file string, data []byte) ([]Command, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlnode.Locate(err, data)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := yamlnode.Resolve(&doc)
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a workflow must be a mapping", root.Line)
	}
	get := func(n *yaml.Node, keys ...string) *yaml.Node {
		for _, k := range keys {
			if n == nil || yamlnode.Resolve(n).Kind != yaml.MappingNode {
				return nil
			}
			n = yamlnode.Lookup(yamlnode.Resolve(n), k)
		}
		if n == nil {
			return nil
		}
		return yamlnode.Resolve(n)
	}
	scalar := func(n *yaml.Node) string {
		if n != nil && n.Kind == yaml.ScalarNode {
			return n.Value
		}
		return ""
	}
	var out []Command
	topDir := scalar(get(root, "defaults", "run", "working-directory"))
	jobs := get(root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 1; i < len(jobs.Content); i += 2 {
		job := yamlnode.Resolve(jobs.Content[i])
		jobDir := scalar(get(job, "defaults", "run", "working-directory"))
		if jobDir == "" {
			jobDir = topDir
		}
		steps := get(job, "steps")
		if steps == nil || steps.Kind != yaml.SequenceNode {
			continue
		}
		for _, step := range steps.Content {
			step = yamlnode.Resolve(step)
			dir := scalar(get(step, "working-directory"))
			if dir == "" {
				dir = jobDir
			}
			if run := get(step, "run"); run != nil && run.Kind == yaml.ScalarNode {
				first := run.Line
				if run.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					first++ // a block scalar's text starts on the next line
				}
				out = append(out, textCommands(file, first, run.Value, dir)...)
			}
			if with := get(step, "with"); with != nil && with.Kind == yaml.MappingNode {
				for j := 1; j < len(with.Content); j += 2 {
					if v := yamlnode.Resolve(with.Content[j]); v.Kind == yaml.ScalarNode {
						out = append(out, textCommands(file, v.Line, v.Value, "")...)
					}
				}
			}
		}
	}
	return out, nil
}
