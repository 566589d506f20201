package inspect

import (
	"slices"
	"strings"
	"testing"
)

func TestAlertsCheck(t *testing.T) {
	const brokenFile = "monitoring/broken.rules.yaml"
	brokenFindings := []k8sFinding{
		{brokenFile, 4, []string{`rule 1 of group "broken": unknown field "expresion"`, "Prometheus refuses to load the file"}},
		{brokenFile, 6, []string{`rule 2 of group "broken": "BadFor" has for: "ten minutes", not a duration`}},
		{brokenFile, 9, []string{`"NoExpr" has no expr`}},
		{brokenFile, 11, []string{`"Both" sets both alert and record`}},
		{brokenFile, 16, []string{"rule group has no name"}},
		{brokenFile, 19, []string{`rule group "broken" is repeated`}},
	}
	badResource := k8sFinding{"deploy/base/prometheusrule.yaml", 17, []string{`rule 2 of group "shop-k8s": does not parse: line 20: cannot unmarshal !!seq into string`}}
	tests := []struct {
		name  string
		check Alerts
		repo  *Repo
		want  []k8sFinding
	}{
		// Two alerts load from shop.rules.yml; the broken file and the
		// PrometheusRule with a bad label count for nothing, however many
		// good rules they hold, and prometheus.yml is configuration.
		// deploy/base/prometheusrule.yaml also matches **/prometheus*.yaml,
		// so it comes first, once.
		{"fixture", Alerts{}, k8sFixture("alerts"), append([]k8sFinding{badResource}, brokenFindings...)},
		{"too few", Alerts{Min: 3}, k8sFixture("alerts"), append(append([]k8sFinding{badResource}, brokenFindings...),
			k8sFinding{"", 0, []string{"Prometheus alerting rules that load: found 2, need at least 3", `"**/*.rules.yml"`}})},
		{"paths narrow the rule files", Alerts{Paths: []string{"monitoring/shop.rules.yml"}}, k8sFixture("alerts"), []k8sFinding{badResource}},
		{"a PrometheusRule in deploy alone passes", Alerts{}, k8sMapRepo(map[string]string{
			"deploy/rules.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n    - name: g\n      rules:\n        - alert: A\n          expr: up == 0\n",
		}), nil},
		{"a PrometheusRule without groups", Alerts{}, k8sMapRepo(map[string]string{
			"deploy/rules.yaml": "# rules\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec: {}\n",
		}), []k8sFinding{
			{"deploy/rules.yaml", 2, []string{"PrometheusRule r has no spec.groups"}},
			{"", 0, []string{"found 0"}},
		}},
		{"no rules at all", Alerts{}, k8sMapRepo(map[string]string{"README.md": "hi\n"}), []k8sFinding{
			{"", 0, []string{"Prometheus alerting rules that load: found 0, need at least 1", "PrometheusRule resource under deploy/"}},
		}},
		{"recording rules are not alerts", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n",
		}), []k8sFinding{{"", 0, []string{"found 0"}}}},
		{"a rule file that does not parse fails even with enough alerts elsewhere", Alerts{}, k8sMapRepo(map[string]string{
			"ok.rules.yml":  "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"bad.rules.yml": "groups:\n  - name: g\n    rules: [\n",
		}), []k8sFinding{{"bad.rules.yml", 3, []string{"does not parse as YAML"}}}},
		{"binary rule file", Alerts{}, k8sMapRepo(map[string]string{
			"ok.rules.yml":     "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"alerts/bin.yaml":  "\x00\x01",
			"deploy/image.yml": "\x00",
		}), []k8sFinding{{"alerts/bin.yaml", 0, []string{"cannot read rule file", "binary"}}}},
		{"oversized rule file", Alerts{}, k8sMapRepo(map[string]string{
			"big.rules.yml": strings.Repeat("#", MaxFileSize+1),
		}), []k8sFinding{{"big.rules.yml", 0, []string{"larger than"}}, {"", 0, []string{"found 0"}}}},
		{"broken deploy YAML is the other checks' unless it names PrometheusRule", Alerts{}, k8sMapRepo(map[string]string{
			"ok.rules.yml":      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"deploy/app.yaml":   "kind: [\n",
			"deploy/rules.yaml": "kind: PrometheusRule\nspec: [\n",
		}), []k8sFinding{{"deploy/rules.yaml", 2, []string{"does not parse as YAML, so Prometheus loads none of its rules"}}}},
		{"test fixtures are neither counted nor reported", Alerts{}, k8sMapRepo(map[string]string{
			"internal/testdata/good.rules.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
			"testdata/bad.rules.yml":           "groups: [\n",
		}), []k8sFinding{{"", 0, []string{"found 0"}}}},
		{"groups must be a list", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups: {name: g}\n",
		}), []k8sFinding{{"a.rules.yml", 1, []string{"groups must be a list"}}, {"", 0, []string{"found 0"}}}},
		{"a rule must be a mapping", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - up == 0\n",
		}), []k8sFinding{{"a.rules.yml", 4, []string{"a rule must be a mapping"}}, {"", 0, []string{"found 0"}}}},
		{"recording rules take no annotations", Alerts{}, k8sMapRepo(map[string]string{
			"a.rules.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n        annotations: {a: b}\n",
		}), []k8sFinding{{"a.rules.yml", 4, []string{`recording rule "r" cannot have`}}, {"", 0, []string{"found 0"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.check.Validate(); err != nil {
				t.Fatal(err)
			}
			k8sAssertFindings(t, tt.check.Check(tt.repo), tt.want)
		})
	}
}

func TestAlertsValidateAndInputs(t *testing.T) {
	for _, tt := range []struct {
		check Alerts
		ok    bool
	}{
		{Alerts{}, true},
		{Alerts{Min: 2, Paths: []string{"ops/**/*.yml"}}, true},
		{Alerts{Min: -1}, false},
		{Alerts{Paths: []string{"ops/[.yml"}}, false},
		{Alerts{Paths: []string{""}}, false},
	} {
		if err := tt.check.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: Validate() = %v, want ok=%t", tt.check, err, tt.ok)
		}
	}
	in := (&Alerts{Paths: []string{"ops/*.yml"}}).Inputs()
	if !slices.Contains(in, "ops/*.yml") || !slices.Contains(in, "deploy/**/*.yaml") || slices.Contains(in, "**/*.rules.yml") {
		t.Errorf("Inputs() = %v, want the configured paths and the deploy manifests only", in)
	}
	if in := (&Alerts{}).Inputs(); !slices.Contains(in, "**/*.rules.yml") {
		t.Errorf("default Inputs() = %v, want the default rule globs", in)
	}
}
