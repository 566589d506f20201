package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	promyaml "go.yaml.in/yaml/v3"
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
// Rule groups are checked as Prometheus's rule loader checks them (a
// name, unique in the file, and a list of rules), and each rule is loaded
// with Prometheus's own model/rulefmt and PromQL parser: a typo in a
// query fails here, on its line, not when Prometheus reloads. README
// ("Alert rules") gives what the dependency costs.
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

// MinRules is the fewest alerting rules required, with the default
// applied.
func (c *Alerts) MinRules() int {
	if c.Min == 0 {
		return 1
	}
	return c.Min
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
	min := c.MinRules()
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
		findings = append(findings, Finding{
			Message: fmt.Sprintf("alerting rules (Prometheus rules that load, CloudWatch metric alarms in Terraform): found %d, need at least %d", alerts, min),
			Fix:     fmt.Sprintf("add a rule file matching %q, a PrometheusRule, or a CloudWatch alarm in Terraform", c.paths()[0]),
		})
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
			problems, isAlert := loadRule(&group.Rules[i])
			for _, p := range problems {
				findings = append(findings, bad(p.at, "rule %d of group %q: %s", i+1, group.Name, p.msg))
			}
			if len(problems) == 0 && isAlert {
				alerts++
			}
		}
	}
	return alerts, findings
}

// promQL parses rule expressions as a Prometheus server started without
// feature flags does.
var promQL = parser.NewParser(parser.Options{})

// ruleProblem is why Prometheus would not load a rule, and the node it is
// about (for line numbers).
type ruleProblem struct {
	at  *yaml.Node
	msg string
}

// loadRule validates a rule as Prometheus's rule loader does
// (model/rulefmt): its fields decoded strictly into rulefmt.Rule (for and
// keep_firing_for as durations, labels and annotations as strings), then
// Rule.Validate: one of alert and record, expr parsed as PromQL, label and
// annotation names, templates. It also says whether the rule is an
// alerting rule.
func loadRule(n *yaml.Node) (problems []ruleProblem, isAlert bool) {
	if n.Kind != yaml.MappingNode {
		return []ruleProblem{{at: n, msg: "a rule must be a mapping with alert (or record) and expr"}}, false
	}
	// Each field is decoded on its own first, so that a decode error is
	// placed on its key.
	for i := 0; i+1 < len(n.Content); i += 2 {
		field := &yaml.Node{Kind: yaml.MappingNode, Content: n.Content[i : i+2]}
		if _, err := decodeRule(field); err != nil {
			problems = append(problems, ruleProblem{at: n.Content[i], msg: n.Content[i].Value + ": " + err.Error()})
		}
	}
	if len(problems) > 0 {
		return problems, false
	}
	rule, err := decodeRule(n)
	if err != nil {
		return []ruleProblem{{at: n, msg: err.Error()}}, false
	}
	var node rulefmt.RuleNode
	if err := promyaml.Unmarshal(rule.data, &node); err != nil {
		return []ruleProblem{{at: n, msg: err.Error()}}, false
	}
	for _, we := range rule.Validate(node, model.UTF8Validation, promQL) {
		err := we.Unwrap()
		at := n
		if _, ok := errors.AsType[parser.ParseErrors](err); ok {
			at = exprLine(n, err)
		}
		problems = append(problems, ruleProblem{at: at, msg: ruleName(rule.Rule) + err.Error()})
	}
	return problems, rule.Alert != ""
}

// encodedRule is a rule decoded by rulefmt, and the YAML it was decoded
// from.
type encodedRule struct {
	rulefmt.Rule
	data []byte
}

// decodeRule decodes n into a rulefmt.Rule as Prometheus does: strictly,
// with go.yaml.in/yaml/v3, so n is re-encoded for that decoder. Errors
// lose yaml's "line N: ", which counts lines of the re-encoding.
func decodeRule(n *yaml.Node) (encodedRule, error) {
	data, err := yaml.Marshal(n)
	if err != nil {
		return encodedRule{}, fmt.Errorf("cannot re-encode the rule for Prometheus's loader: %w", err)
	}
	r := encodedRule{data: data}
	dec := promyaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r.Rule); err != nil {
		if te, ok := errors.AsType[*promyaml.TypeError](err); ok {
			msgs := make([]string, len(te.Errors))
			for i, e := range te.Errors {
				msgs[i] = reencodedLine.ReplaceAllString(e, "")
			}
			return encodedRule{}, errors.New(strings.Join(msgs, "; "))
		}
		return encodedRule{}, err
	}
	return r, nil
}

// reencodedLine is the "line N: " of a decode error.
var reencodedLine = regexp.MustCompile(`^line \d+: `)

// exprLine is the node to report a PromQL error of rule's expr on: the
// expr's own line, or for a literal block ("expr: |") the line of the
// error within it.
func exprLine(rule *yaml.Node, err error) *yaml.Node {
	expr := yamlnode.Lookup(rule, "expr")
	if expr == nil {
		return rule
	}
	pe, _ := errors.AsType[parser.ParseErrors](err)
	start := int(pe[0].PositionRange.Start)
	if expr.Style&yaml.LiteralStyle == 0 || start < 0 || start > len(expr.Value) {
		return expr
	}
	before := expr.Value[:start]
	if start == len(expr.Value) {
		// The end of input is on the block's last line, not after it.
		before = strings.TrimRight(before, "\n")
	}
	return &yaml.Node{Line: expr.Line + 1 + strings.Count(before, "\n")}
}

// ruleName prefixes a problem with the rule's name, when it has one.
func ruleName(r rulefmt.Rule) string {
	switch {
	case r.Alert != "":
		return fmt.Sprintf("%q: ", r.Alert)
	case r.Record != "":
		return fmt.Sprintf("%q: ", r.Record)
	}
	return ""
}
