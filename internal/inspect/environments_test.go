package inspect

import (
	"strings"
	"testing"
)

func TestEnvironmentsCheck(t *testing.T) {
	tests := []struct {
		name string
		repo *Repo
		// want are the findings, each as "path:line" plus message parts.
		want []k8sFinding
	}{
		{"every environment configured, aliases included", k8sFixture("kustomize"), nil},
		{"missing environments name what would satisfy them", k8sFixture("manifests"), []k8sFinding{
			{"", 0, []string{"environment ci has no deployment configuration", "deploy/overlays/ci/kustomization.yaml",
				"deploy/ci/kustomization.yaml", "deploy/ci/", "values-ci.yaml", "values.ci.yaml", "alias: test, in place of ci"}},
			{"", 0, []string{"environment development has", "deploy/overlays/development/kustomization.yaml", "alias: dev"}},
		}},
		{"an environment that does not render fails", k8sMapRepo(map[string]string{
			"deploy/overlays/production/kustomization.yaml": "resources:\n  - https://example.com/base.yaml\n",
		}), []k8sFinding{
			{"deploy/overlays/production/kustomization.yaml", 2, []string{"remote reference"}},
		}},
		{"an empty repository", k8sMapRepo(map[string]string{"README.md": "hi\n"}), []k8sFinding{
			{"", 0, []string{"environment production has no deployment configuration", "(or an alias: prod, prd, in place of production)"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Environments{}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			k8sAssertFindings(t, c.Check(tt.repo), tt.want)
		})
	}
}

// k8sFinding is an expected finding: exact position, parts of the message.
type k8sFinding struct {
	path string
	line int
	msg  []string
}

func k8sAssertFindings(t *testing.T, got []Finding, want []k8sFinding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), k8sFormat(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Path != w.path || g.Line != w.line {
			t.Errorf("finding %d at %s:%d, want %s:%d (%s)", i, g.Path, g.Line, w.path, w.line, g.Message)
		}
		for _, part := range w.msg {
			if !strings.Contains(g.Message, part) {
				t.Errorf("finding %d %q lacks %q", i, g.Message, part)
			}
		}
	}
}

func k8sFormat(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Path + ": " + f.Message + "\n")
	}
	return b.String()
}
