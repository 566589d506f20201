package inspect

import (
	"slices"
	"testing"
)

func TestReplicasCheck(t *testing.T) {
	noWorkloads := k8sMapRepo(map[string]string{
		"deploy/production/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	})
	tests := []struct {
		name  string
		check Replicas
		repo  *Repo
		want  []expectedFinding
	}{
		{"overlay patching production to 1 fails; the HPA overlay passes", Replicas{}, k8sFixture("kustomize"), []expectedFinding{
			// At the overlay's patch, not at the base that says 3.
			{"deploy/overlays/prod/replicas.yaml", 8, []string{"production: Deployment web runs 1 replica (spec.replicas in deploy/overlays/prod (rendered))",
				"every environment needs at least 2\nfix: set web's replicas to 2 or more in the overlay deploy/overlays/prod", "HorizontalPodAutoscaler whose minReplicas is 2 or more"}},
			// At the autoscaler that leaves minReplicas unset.
			{"deploy/overlays/development/hpa.yaml", 3, []string{"development: StatefulSet worker runs 1 replica (HorizontalPodAutoscaler worker without minReplicas (defaults to 1))"}},
		}},
		{"a higher minimum", Replicas{Min: 3, Kinds: []string{"statefulset"}}, k8sFixture("kustomize"), []expectedFinding{
			// The base's replicas line, which no overlay changes.
			{"deploy/base/worker.yaml", 6, []string{"production: StatefulSet worker runs 2 replicas", "at least 3"}},
			{"deploy/base/worker.yaml", 6, []string{"uat: StatefulSet worker"}},
			{"deploy/base/worker.yaml", 6, []string{"integration: StatefulSet worker"}},
			{"deploy/base/worker.yaml", 6, []string{"ci: StatefulSet worker"}},
			{"deploy/overlays/development/hpa.yaml", 3, []string{"development: StatefulSet worker runs 1"}},
		}},
		{"manifests: unset replicas is one; missing environments fail", Replicas{}, k8sFixture("manifests"), []expectedFinding{
			{"deploy/uat/app.yaml", 1, []string{"uat: Deployment api runs 1 replica (spec.replicas unset in deploy/uat/app.yaml (Kubernetes defaults to 1))",
				"set spec.replicas to 2 or more in deploy/uat/app.yaml"}},
			{"", 0, []string{"ci: no deployment configuration"}},
			{"", 0, []string{"development: no deployment configuration"}},
		}},
		{"helm values", Replicas{}, k8sFixture("helm"), []expectedFinding{
			{"charts/shop/values.yaml", 1, []string{"development: Deployment shop runs 1 replica (charts/shop/values.yaml replicaCount)",
				"set replicaCount: 2 (or autoscaling.enabled: true with autoscaling.minReplicas: 2) in charts/shop/values.dev.yml"}},
			{"", 0, []string{"integration: no deployment configuration"}},
			{"", 0, []string{"ci: no deployment configuration"}},
		}},
		{"an environment without workloads fails", Replicas{}, noWorkloads, []expectedFinding{
			{"deploy/production", 0, []string{"production: deploy/production renders no Deployment or StatefulSet"}},
		}},
		{"a chart without workload templates", Replicas{}, k8sMapRepo(map[string]string{
			"chart/Chart.yaml": "name: lib\n", "chart/values-production.yaml": "replicaCount: 3\n",
			"chart/templates/_helpers.tpl": "{{- define \"x\" }}kind: Deployment{{ end }}\n",
		}), []expectedFinding{
			{"chart/values-production.yaml", 0, []string{"production: chart/values-production.yaml renders no Deployment or StatefulSet", "templates/"}},
		}},
		// The cause is the environments check's finding; replicas fails
		// once for the environment, at it.
		{"render errors fail", Replicas{}, k8sMapRepo(map[string]string{"deploy/production/app.yaml": "kind: [\n"}), []expectedFinding{
			{"deploy/production/app.yaml", 1, []string{"production: launchgate cannot read its workloads: its deployment configuration has 1 problem, which the environments check lists"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectFindings(t, checkValid(t, &tt.check, tt.repo), tt.want)
		})
	}
}

func TestProbesCheck(t *testing.T) {
	tests := []struct {
		name  string
		check Probes
		repo  *Repo
		want  []expectedFinding
	}{
		{"a base missing a probe is one finding for all its environments", Probes{}, k8sFixture("kustomize"), []expectedFinding{
			{"deploy/base/worker.yaml", 15, []string{"production, uat, integration, ci, development: container worker of StatefulSet worker has no livenessProbe\nfix: add livenessProbe"}},
		}},
		{"kinds narrow the check", Probes{Kinds: []string{"Deployment"}}, k8sFixture("kustomize"), nil},
		{"manifests", Probes{}, k8sFixture("manifests"), []expectedFinding{
			{"deploy/uat/app.yaml", 14, []string{"uat: container api of Deployment api has no readinessProbe and no livenessProbe", "has no readinessProbe and no livenessProbe\nfix: add readinessProbe and livenessProbe to the container spec"}},
			{"", 0, []string{"ci: no deployment configuration"}},
			{"", 0, []string{"development: no deployment configuration"}},
		}},
		{"helm", Probes{}, k8sFixture("helm"), []expectedFinding{
			{"charts/shop/templates/deployment.yaml", 2, []string{"development: container shop of Deployment shop has no readinessProbe", "chart's Deployment or StatefulSet template"}},
			{"", 0, []string{"integration: no deployment configuration"}},
			{"", 0, []string{"ci: no deployment configuration"}},
		}},
		{"a workload without containers", Probes{}, k8sMapRepo(map[string]string{
			"deploy/production/app.yaml": "kind: Deployment\nmetadata: {name: empty}\nspec: {replicas: 2}\n",
		}), []expectedFinding{
			{"deploy/production/app.yaml", 1, []string{"production: Deployment empty has no containers"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectFindings(t, checkValid(t, &tt.check, tt.repo), tt.want)
		})
	}
}

// TestWorkloadChecksJudged pins down what replicas and probes leave to
// the environments check: the environments they cannot see are named as
// pending, never as findings of their own, while Check alone still fails
// for them.
func TestWorkloadChecksJudged(t *testing.T) {
	broken := k8sMapRepo(map[string]string{
		"deploy/production/app.yaml": "kind: [\n",
		"deploy/uat/app.yaml":        k8sBase,
	}, k8sEnvs[:3]...)
	tests := []struct {
		name        string
		check       Dependent
		repo        *Repo
		wantJudged  []expectedFinding
		wantPending []string
	}{
		{name: "replicas: a missing and a broken environment are pending, not findings", check: &Replicas{Min: 3}, repo: broken,
			wantJudged:  []expectedFinding{{path: "deploy/uat/app.yaml", line: 6, msg: []string{"uat: Deployment web runs 2 replicas"}}},
			wantPending: []string{"production", "integration"}},
		{name: "probes: the same environments are pending", check: &Probes{}, repo: broken,
			wantJudged:  []expectedFinding{{path: "deploy/uat/app.yaml", line: 10, msg: []string{"uat: container app of Deployment web has no readinessProbe"}}},
			wantPending: []string{"production", "integration"}},
		{name: "replicas: an empty repository is all pending", check: &Replicas{}, repo: k8sMapRepo(nil, k8sEnvs...),
			wantPending: []string{"production", "uat", "integration", "ci", "development"}},
		{name: "probes: nothing pending when every environment renders", check: &Probes{}, repo: k8sFixture("kustomize"),
			wantJudged: []expectedFinding{{path: "deploy/base/worker.yaml", line: 15, msg: []string{"container worker of StatefulSet worker has no livenessProbe"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := tt.check.(LayoutReader).WithLayouts(defaultLayouts).(Dependent)
			if got := check.DependsOn(); got != "environments" {
				t.Errorf("DependsOn() = %q, want environments", got)
			}
			judged, pending := check.CheckJudged(tt.repo)
			expectFindings(t, judged, tt.wantJudged)
			if !slices.Equal(pending, tt.wantPending) {
				t.Errorf("pending = %v, want %v", pending, tt.wantPending)
			}
			// Alone, the check fails for each pending environment too.
			if all := check.Check(tt.repo); len(all) != len(judged)+len(pending) {
				t.Errorf("Check gave %d findings, want %d judged + %d pending:\n%s", len(all), len(judged), len(pending), dumpFindings(all))
			}
		})
	}
}

func TestWorkloadChecksValidate(t *testing.T) {
	cases := []validateCase{
		{name: "replicas defaults", check: &Replicas{}},
		{name: "replicas min 1", check: &Replicas{Min: 1}},
		{name: "replicas negative min", check: &Replicas{Min: -1}, err: "replicas: min is -1; it must be 1 or more"},
		{name: "replicas empty kind", check: &Replicas{Kinds: []string{"Deployment", " "}}, err: "replicas: kinds[1] is empty"},
		{name: "probes defaults", check: &Probes{}},
		{name: "probes empty kind", check: &Probes{Kinds: []string{""}}, err: "probes: kinds[0] is empty"},
		{name: "environments", check: &Environments{}},
		{name: "environments with remote modules", check: &Environments{RemoteModulesWithoutWorkloads: []string{"terraform-aws-modules/vpc/aws"}}},
		{name: "environments with an empty module", check: &Environments{RemoteModulesWithoutWorkloads: []string{" "}},
			err: "environments: remote_modules_without_workloads[0] is empty"},
		{name: "environments with a versioned module", check: &Environments{RemoteModulesWithoutWorkloads: []string{"git::https://example.com/vpc.git?ref=v1"}},
			err: `write the module's address alone, "git::https://example.com/vpc.git"`},
		{name: "environments with a module sub-directory", check: &Environments{RemoteModulesWithoutWorkloads: []string{"terraform-aws-modules/iam/aws//modules/iam-role"}},
			err: `"terraform-aws-modules/iam/aws"`},
	}
	runValidateCases(t, cases)
	for _, tc := range cases {
		if len(tc.check.Inputs()) == 0 {
			t.Errorf("%s: no inputs", tc.name)
		}
	}
}
