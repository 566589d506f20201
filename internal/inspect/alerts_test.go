package inspect

import (
	"slices"
	"strings"
	"testing"
)

func TestAlertsCheck(t *testing.T) {
	const brokenFile = "monitoring/broken.rules.yaml"
	brokenFindings := []expectedFinding{
		{brokenFile, 5, []string{`rule 1 of group "broken": expresion: field expresion not found in type rulefmt.Rule`, "Prometheus refuses to load the file"}},
		{brokenFile, 8, []string{`rule 2 of group "broken": for: not a valid duration string: "ten minutes"`}},
		{brokenFile, 9, []string{`"NoExpr": field 'expr' must be set in rule`}},
		{brokenFile, 11, []string{`"Both": only one of 'record' and 'alert' must be set`}},
		{brokenFile, 16, []string{"rule group has no name"}},
		{brokenFile, 19, []string{`rule group "broken" is repeated`}},
	}
	badResource := expectedFinding{"deploy/base/prometheusrule.yaml", 19, []string{`rule 2 of group "shop-k8s": labels: cannot unmarshal !!seq into string`}}
	tests := []struct {
		name  string
		check Alerts
		repo  *Repo
		want  []expectedFinding
	}{
		// Two alerts load from shop.rules.yml; the broken file and the
		// PrometheusRule with a bad label count for nothing, however many
		// good rules they hold, and prometheus.yml is configuration.
		// deploy/base/prometheusrule.yaml also matches **/prometheus*.yaml,
		// so it comes first, once.
		{"fixture", Alerts{}, k8sFixture("alerts"), append([]expectedFinding{badResource}, brokenFindings...)},
		{"too few", Alerts{Min: 3}, k8sFixture("alerts"), append(append([]expectedFinding{badResource}, brokenFindings...),
			expectedFinding{"", 0, []string{`alerting rules (Prometheus rules that load, CloudWatch metric alarms in Terraform): found 2, need at least 3` + "\n" + `fix: add a rule file matching "**/*.rules.yml", a PrometheusRule, or a CloudWatch alarm in Terraform`}})},
		{"paths narrow the rule files", Alerts{Paths: []string{"monitoring/shop.rules.yml"}}, k8sFixture("alerts"), []expectedFinding{badResource}},
		{"a PrometheusRule in deploy alone passes", Alerts{}, k8sMapRepo(map[string]string{
			"deploy/rules.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n    - name: g\n      rules:\n        - alert: A\n          expr: up == 0\n",
		}), nil},
		{"a PrometheusRule in another layout's base passes", Alerts{}, k8sMapRepo(map[string]string{
			"k8s/base/rules.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n    - name: g\n      rules:\n        - alert: A\n          expr: up == 0\n",
		}), nil},
		{"a chart's templates are not manifests", Alerts{}, k8sMapRepo(map[string]string{
			"ok.rules.yml":                    "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"charts/web/Chart.yaml":           "name: web\n",
			"charts/web/templates/rules.yaml": "kind: PrometheusRule\nspec:\n  groups:\n{{ toYaml .Values.groups | indent 4 }}\n",
		}), nil},
		{"a PrometheusRule without groups", Alerts{}, k8sMapRepo(map[string]string{
			"deploy/rules.yaml": "# rules\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec: {}\n",
		}), []expectedFinding{
			{"deploy/rules.yaml", 2, []string{"PrometheusRule r has no spec.groups"}},
			{"", 0, []string{"found 0"}},
		}},
		{"no rules at all", Alerts{}, k8sMapRepo(map[string]string{"README.md": "hi\n"}), []expectedFinding{
			{"", 0, []string{"alerting rules (Prometheus rules that load, CloudWatch metric alarms in Terraform): found 0, need at least 1\nfix: add a rule file matching"}},
		}},
		{"the fix names the policy's own rule files", Alerts{Paths: []string{"ops/alerts.yml"}}, k8sMapRepo(map[string]string{"README.md": "hi\n"}), []expectedFinding{
			{"", 0, []string{`fix: add a rule file matching "ops/alerts.yml"`}},
		}},
		{"recording rules are not alerts", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n",
		}), []expectedFinding{{"", 0, []string{"found 0"}}}},
		{"a rule file that does not parse fails even with enough alerts elsewhere", Alerts{}, k8sMapRepo(map[string]string{
			"ok.rules.yml":  "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"bad.rules.yml": "groups:\n  - name: g\n    rules: [\n",
		}), []expectedFinding{{"bad.rules.yml", 3, []string{"does not parse as YAML"}}}},
		{"binary rule file", Alerts{}, k8sMapRepo(map[string]string{
			"ok.rules.yml":     "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"alerts/bin.yaml":  "\x00\x01",
			"deploy/image.yml": "\x00",
		}), []expectedFinding{{"alerts/bin.yaml", 0, []string{"cannot read rule file", "binary"}}}},
		{"oversized rule file", Alerts{}, k8sMapRepo(map[string]string{
			"big.rules.yml": strings.Repeat("#", MaxFileSize+1),
		}), []expectedFinding{{"big.rules.yml", 0, []string{"larger than"}}, {"", 0, []string{"found 0"}}}},
		{"broken deploy YAML is the other checks' unless it names PrometheusRule", Alerts{}, k8sMapRepo(map[string]string{
			"ok.rules.yml":      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"deploy/app.yaml":   "kind: [\n",
			"deploy/rules.yaml": "kind: PrometheusRule\nspec: [\n",
		}), []expectedFinding{{"deploy/rules.yaml", 2, []string{"does not parse as YAML, so Prometheus loads none of its rules"}}}},
		{"test fixtures are neither counted nor reported", Alerts{}, k8sMapRepo(map[string]string{
			"internal/testdata/good.rules.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"testdata/bad.rules.yml":           "groups: [\n",
		}), []expectedFinding{{"", 0, []string{"found 0"}}}},
		{"groups must be a list", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups: {name: g}\n",
		}), []expectedFinding{{"a.rules.yml", 1, []string{"groups must be a list"}}, {"", 0, []string{"found 0"}}}},
		{"a rule must be a mapping", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - up == 0\n",
		}), []expectedFinding{{"a.rules.yml", 4, []string{"a rule must be a mapping"}}, {"", 0, []string{"found 0"}}}},
		{"recording rules take no annotations", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n        annotations: {a: b}\n",
		}), []expectedFinding{{"a.rules.yml", 4, []string{`"r": invalid field 'annotations' in recording rule`}}, {"", 0, []string{"found 0"}}}},
		// Rules are loaded by Prometheus's own rulefmt and PromQL parser.
		{"an expression that does not parse", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        for: 5m\n        expr: rate(http_errors_total[5m] > 1\n",
		}), []expectedFinding{{"a.rules.yml", 6, []string{`rule 1 of group "g": "A": could not parse expression:`, "unclosed left parenthesis"}}, {"", 0, []string{"found 0"}}}},
		{"an expression block that does not parse, on its line", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          sum(rate(x[5m]))\n            / sum(rate(y[5m])) >\n",
		}), []expectedFinding{{"a.rules.yml", 7, []string{"could not parse expression"}}, {"", 0, []string{"found 0"}}}},
		{"keep_firing_for must be a duration", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        keep_firing_for: soon\n",
		}), []expectedFinding{{"a.rules.yml", 6, []string{`keep_firing_for: not a valid duration string: "soon"`}}, {"", 0, []string{"found 0"}}}},
		{"a label named __name__", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: {__name__: x}\n",
		}), []expectedFinding{{"a.rules.yml", 4, []string{`"A": invalid label name: __name__`}}, {"", 0, []string{"found 0"}}}},
		{"an annotation template that does not parse", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations: {summary: \"{{ $value \"}\n",
		}), []expectedFinding{{"a.rules.yml", 4, []string{`"A": annotation "summary"`}}, {"", 0, []string{"found 0"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectFindings(t, checkValid(t, &tt.check, tt.repo), tt.want)
		})
	}
}

func TestAlertsValidateAndInputs(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "defaults", check: &Alerts{}},
		{name: "min and paths", check: &Alerts{Min: 2, Paths: []string{"ops/**/*.yml"}}},
		{name: "negative min", check: &Alerts{Min: -1}, err: "alerts: min is -1; it must be 1 or more"},
		{name: "bad glob", check: &Alerts{Paths: []string{"ops/[.yml"}}, err: `alerts: paths[0]: "ops/[.yml" is not a valid glob`},
		{name: "empty glob", check: &Alerts{Paths: []string{""}}, err: "alerts: paths[0] is empty"},
	})
	in := (&Alerts{Paths: []string{"ops/*.yml"}}).WithLayouts([]string{"k8s/{env}"}).Inputs()
	if !slices.Contains(in, "ops/*.yml") || !slices.Contains(in, "k8s/**") || slices.Contains(in, "**/*.rules.yml") {
		t.Errorf("Inputs() = %v, want the configured paths and the layouts' files only", in)
	}
	if in := (&Alerts{}).Inputs(); !slices.Contains(in, "**/*.rules.yml") {
		t.Errorf("default Inputs() = %v, want the default rule globs", in)
	}
}
