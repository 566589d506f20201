package inspect

import (
	"testing"
)

func TestEnvironmentsCheck(t *testing.T) {
	tests := []struct {
		name string
		repo *Repo
		// want are the findings, each as "path:line" plus message parts.
		want []expectedFinding
	}{
		{"every environment configured, aliases included", k8sFixture("kustomize"), nil},
		{"missing environments name what would satisfy them", k8sFixture("manifests"), []expectedFinding{
			{"", 0, []string{"no deployment configuration for ci\nfix: add deploy/overlays/<env> or terraform/environments/<env>" +
				", or another layout; <env> may be an alias"}},
			{"", 0, []string{"no deployment configuration for development\nfix: add deploy/overlays/<env> or terraform/environments/<env>,"}},
		}},
		{"an environment that does not render fails", k8sMapRepo(map[string]string{
			"deploy/overlays/production/kustomization.yaml": "resources:\n  - https://example.com/base.yaml\n",
		}), []expectedFinding{
			{"deploy/overlays/production/kustomization.yaml", 2, []string{"remote reference"}},
		}},
		{"an empty repository", k8sMapRepo(map[string]string{"README.md": "hi\n"}), []expectedFinding{
			{"", 0, []string{"no deployment configuration for production\nfix: add deploy/overlays/<env>"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectFindings(t, checkValid(t, &Environments{}, tt.repo), tt.want)
		})
	}
}
