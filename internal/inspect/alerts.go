package inspect

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// Alerts (kind "alerts") requires at least Min Prometheus alerting rules
// that Prometheus would load, from rule files matching Paths or from
// PrometheusRule resources (monitoring.coreos.com) in the manifests the
// policy's layouts reach (deploy/, k8s/, ...; not Helm templates, which
// are not YAML until rendered). A rule file
// or PrometheusRule that does not load is a finding even when enough other
// alerts do: a broken file means alerts that are believed to exist do not.
// Files under testdata directories are test fixtures and are skipped.
//
// Rules are validated structurally, as Prometheus's rulefmt does (groups
// with a name and rules; each rule exactly one of alert and record, a
// non-empty expr, valid for and keep_firing_for durations, string labels
// and annotations, no unknown fields), but expr is not parsed as PromQL.
// Prometheus's parser (github.com/prometheus/prometheus/promql/parser,
// v0.316.0) was measured: it doubles the module graph (305 to 605 lines of
// `go mod graph`), raises the go directive to 1.26.7 and upgrades twenty
// shared modules, and it compiles in the TSDB and storage packages. That is
// too heavy for one field; a typo in a query is left to CI (promtool).
type Alerts struct {
	layoutChecks `yaml:"-"`
	// Min is the fewest alerting rules required; 0 means 1.
	Min int `yaml:"min,omitempty"`
	// Paths are globs of Prometheus rule files; empty means
	// defaultAlertPaths.
	Paths []string `yaml:"paths,omitempty"`
}

var defaultAlertPaths = []string{
	"**/*.rules.yml", "**/*.rules.yaml",
	"**/rules/*.yml", "**/rules/*.yaml",
	"**/alerts/*.yml", "**/alerts/*.yaml",
	"**/*alert*.yml", "**/*alert*.yaml",
	"**/prometheus*.yml", "**/prometheus*.yaml",
}

// Validate rejects a negative minimum and malformed globs.
func (c *Alerts) Validate() error {
	if c.Min < 0 {
		return fmt.Errorf("alerts: min is %d; it must be 1 or more (0 means the default, 1)", c.Min)
	}
	if err := validateGlobList("paths", c.Paths); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	return nil
}

func (c *Alerts) paths() []string {
	if len(c.Paths) == 0 {
		return defaultAlertPaths
	}
	return c.Paths
}

// WithLayouts implements LayoutReader.
func (c *Alerts) WithLayouts(layouts []string) Checker {
	cp := *c
	cp.layouts = layouts
	return &cp
}

// Inputs are the rule file globs and the files the layouts reach.
func (c *Alerts) Inputs() []string {
	return append(slices.Clone(c.paths()), c.layoutChecks.Inputs()...)
}

// manifests are the Kubernetes manifests the layouts reach, where
// PrometheusRule resources are sought: YAML and JSON files outside
// testdata and Helm charts' templates.
func (c *Alerts) manifests(repo *Repo) ([]string, error) {
	files, err := repo.Match(c.layoutChecks.Inputs()...)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if isManifestName(f) && !isFixture(f) && !isChartTemplate(repo, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// isChartTemplate reports a file under the templates/ directory of a Helm
// chart (beside its Chart.yaml).
func isChartTemplate(repo *Repo, name string) bool {
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if path.Base(dir) == "templates" && repo.Exists(path.Join(path.Dir(dir), "Chart.yaml")) {
			return true
		}
	}
	return false
}

// Check counts the alerting rules that load and reports every rule file,
// group and rule that does not.
func (c *Alerts) Check(repo *Repo) []Finding {
	min := c.Min
	if min == 0 {
		min = 1
	}
	ruleFiles, err := repo.Match(c.paths()...)
	if err != nil {
		return []Finding{{Message: err.Error()}}
	}
	manifests, err := c.manifests(repo)
	if err != nil {
		return []Finding{{Message: err.Error()}}
	}
	isRuleFile := make(map[string]bool, len(ruleFiles))
	for _, f := range ruleFiles {
		isRuleFile[f] = true
	}
	var findings []Finding
	alerts := 0
	for _, f := range ruleFiles {
		if isFixture(f) {
			continue
		}
		n, fs := checkRuleSource(repo, f, true)
		alerts += n
		findings = append(findings, fs...)
	}
	for _, f := range manifests {
		if !isRuleFile[f] {
			n, fs := checkRuleSource(repo, f, false)
			alerts += n
			findings = append(findings, fs...)
		}
	}
	n, fs := cloudWatchAlarms(repo.Rendered(c.layouts))
	alerts += n
	findings = append(findings, fs...)
	if alerts < min {
		findings = append(findings, Finding{Message: fmt.Sprintf(
			"alerting rules (Prometheus rules that load, CloudWatch metric alarms in Terraform): found %d, need at least %d: add a rule file matching %s "+
				"(groups: [{name: ..., rules: [{alert: ..., expr: ..., for: 5m}]}]), a PrometheusRule resource in the deployment configuration, "+
				"or an aws_cloudwatch_metric_alarm with comparison_operator and threshold in an environment's Terraform",
			alerts, min, quoteGlobs(c.paths()))})
	}
	return findings
}

// cloudWatchAlarms counts the aws_cloudwatch_metric_alarm resources of the
// environments' Terraform that can fire, each declaration once however
// many environments share it, and reports those that cannot.
func cloudWatchAlarms(envs []RenderedEnv) (int, []Finding) {
	n := 0
	var findings []Finding
	seen := map[string]bool{}
	for _, env := range envs {
		for _, a := range env.Alarms {
			key := fmt.Sprintf("%s:%d:%s", a.Path, a.Line, a.Address)
			if seen[key] {
				continue
			}
			seen[key] = true
			if a.Problem != "" {
				findings = append(findings, Finding{Path: a.Path, Line: a.Line, Message: fmt.Sprintf(
					"CloudWatch alarm %s %s: set comparison_operator and threshold", a.Address, a.Problem)})
				continue
			}
			n++
		}
	}
	return n, findings
}

// checkRuleSource counts the valid alerting rules of one file. ruleFile
// says the file matched the rule globs: then any document with groups is
// a rule file, and a file that cannot be read or parsed is a finding.
// Other files (deploy manifests) contribute PrometheusRule resources only,
// and their parse errors are findings only when they mention
// PrometheusRule; the other checks own the rest of the deployment
// configuration.
func checkRuleSource(repo *Repo, name string, ruleFile bool) (int, []Finding) {
	data, err := repo.ReadFile(name)
	if err != nil {
		if ruleFile {
			return 0, []Finding{{Path: name, Message: fmt.Sprintf("cannot read rule file: %v", err)}}
		}
		return 0, nil
	}
	docs, err := parseYAMLDocs(data)
	if err != nil {
		if ruleFile || bytes.Contains(data, []byte("PrometheusRule")) {
			return 0, []Finding{{Path: name, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf(
				"does not parse as YAML, so Prometheus loads none of its rules: %v", err)}}
		}
		return 0, nil
	}
	// Prometheus (and the operator's admission webhook) rejects a whole
	// file for one bad rule, so a file with findings contributes no alerts.
	alerts := 0
	var findings []Finding
	for _, doc := range docs {
		var h objectHeader
		_ = doc.Decode(&h) // a document that is no object has no kind
		resource := h.Kind == "PrometheusRule" && strings.HasPrefix(h.APIVersion, "monitoring.coreos.com/")
		if !resource && !ruleFile {
			continue
		}
		// yaml.v3 cannot decode into a *yaml.Node field; an absent key
		// leaves a zero Node.
		var rules struct {
			Groups yaml.Node `yaml:"groups"`
			Spec   struct {
				Groups yaml.Node `yaml:"groups"`
			} `yaml:"spec"`
		}
		err := doc.Decode(&rules)
		groups := &rules.Groups
		if resource {
			groups = &rules.Spec.Groups
		}
		switch {
		case resource && (err != nil || groups.Kind == 0):
			findings = append(findings, Finding{Path: name, Line: doc.Line, Message: fmt.Sprintf(
				"PrometheusRule %s has no spec.groups list; add spec.groups with at least one rule group", h.Metadata.Name)})
		case err != nil || groups.Kind == 0:
			// A Prometheus or Alertmanager configuration, not rules.
		default:
			n, fs := checkRuleGroups(name, groups)
			alerts += n
			findings = append(findings, fs...)
		}
	}
	if len(findings) > 0 {
		return 0, findings
	}
	return alerts, nil
}

// ruleFields are the keys Prometheus accepts in a rule (rulefmt.RuleNode).
var ruleFields = map[string]bool{
	"alert": true, "record": true, "expr": true, "for": true,
	"keep_firing_for": true, "labels": true, "annotations": true,
}

func checkRuleGroups(file string, groups *yaml.Node) (int, []Finding) {
	bad := func(n *yaml.Node, format string, args ...any) Finding {
		return Finding{Path: file, Line: n.Line, Message: fmt.Sprintf(format, args...) + "; Prometheus refuses to load the file"}
	}
	if groups.Kind != yaml.SequenceNode {
		return 0, []Finding{bad(groups, "groups must be a list of rule groups")}
	}
	alerts := 0
	var findings []Finding
	seen := map[string]bool{}
	for _, g := range groups.Content {
		var group struct {
			Name  string      `yaml:"name"`
			Rules []yaml.Node `yaml:"rules"`
		}
		if err := g.Decode(&group); err != nil {
			findings = append(findings, bad(g, "rule group is not a mapping with name and a list of rules: %s", decodeErrorText(err)))
			continue
		}
		switch {
		case group.Name == "":
			findings = append(findings, bad(g, "rule group has no name"))
		case seen[group.Name]:
			findings = append(findings, bad(g, "rule group %q is repeated in the file", group.Name))
		}
		seen[group.Name] = true
		for i := range group.Rules {
			problem, isAlert := checkRule(&group.Rules[i])
			if problem != "" {
				findings = append(findings, bad(&group.Rules[i], "rule %d of group %q: %s", i+1, group.Name, problem))
			} else if isAlert {
				alerts++
			}
		}
	}
	return alerts, findings
}

// checkRule describes what makes a rule invalid ("" when valid) and
// whether it is an alerting rule.
func checkRule(n *yaml.Node) (problem string, isAlert bool) {
	if n.Kind != yaml.MappingNode {
		return "a rule must be a mapping with alert (or record) and expr", false
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !ruleFields[k] {
			return fmt.Sprintf("unknown field %q (a rule has alert or record, expr, for, keep_firing_for, labels, annotations)", k), false
		}
	}
	var r struct {
		Alert         string            `yaml:"alert"`
		Record        string            `yaml:"record"`
		Expr          string            `yaml:"expr"`
		For           string            `yaml:"for"`
		KeepFiringFor string            `yaml:"keep_firing_for"`
		Labels        map[string]string `yaml:"labels"`
		Annotations   map[string]string `yaml:"annotations"`
	}
	if err := n.Decode(&r); err != nil {
		return fmt.Sprintf("does not parse: %s", decodeErrorText(err)), false
	}
	switch {
	case r.Alert == "" && r.Record == "":
		return "set alert (the alert's name) or record", false
	case r.Alert != "" && r.Record != "":
		return fmt.Sprintf("%q sets both alert and record; keep one", r.Alert), false
	case strings.TrimSpace(r.Expr) == "":
		return fmt.Sprintf("%q has no expr; set the PromQL condition", r.Alert+r.Record), false
	case r.Record != "" && (r.For != "" || r.KeepFiringFor != "" || len(r.Annotations) > 0):
		return fmt.Sprintf("recording rule %q cannot have for, keep_firing_for or annotations", r.Record), false
	}
	for _, d := range [][2]string{{"for", r.For}, {"keep_firing_for", r.KeepFiringFor}} {
		if d[1] == "" {
			continue
		}
		if _, err := model.ParseDuration(d[1]); err != nil {
			return fmt.Sprintf("%q has %s: %q, not a duration such as 5m or 1h", r.Alert, d[0], d[1]), false
		}
	}
	return "", r.Alert != ""
}
