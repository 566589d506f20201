package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// exampleAs copies examples/ready-service into a new directory with its
// deploy/ directory handled by move ("" drops a file), then adds files.
func exampleAs(t *testing.T, move func(string) string, add map[string]string) string {
	t.Helper()
	src, dst := "../../examples/ready-service", t.TempDir()
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "deploy/") {
			if rel = move(rel); rel == "" {
				return nil
			}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range add {
		files[name] = data
	}
	for name, data := range files {
		target := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// tfService is a Terraform module: an ECS service behind a health-checked
// target group, and a CloudWatch alarm.
const tfService = `variable "tasks" {
  type = number
}

resource "aws_lb_target_group" "orders" {
  health_check {
    path = "/healthz"
  }
}

resource "aws_ecs_service" "orders" {
  desired_count = var.tasks
  load_balancer {
    target_group_arn = aws_lb_target_group.orders.arn
    container_name   = "orders"
    container_port   = 8080
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  comparison_operator = "GreaterThanThreshold"
  threshold           = 5
}
`

// terraformExample is the example service deployed with Terraform: one
// root module and a variables file per environment, production's running
// prodTasks tasks.
func terraformExample(t *testing.T, prodTasks string) string {
	add := map[string]string{
		"terraform/main.tf":                 "variable \"tasks\" {}\n\nmodule \"orders\" {\n  source = \"./modules/service\"\n  tasks  = var.tasks\n}\n",
		"terraform/modules/service/main.tf": tfService,
		"terraform/envs/production.tfvars":  "tasks = " + prodTasks + "\n",
	}
	for _, env := range []string{"uat", "integration", "ci", "development"} {
		add["terraform/envs/"+env+".tfvars"] = "tasks = 2\n"
	}
	// Without deploy/, the example's only alerts are CloudWatch's.
	return exampleAs(t, func(string) string { return "" }, add)
}

// checkReport runs launchgate check on dir and returns its exit code and
// the findings of each failing check, by check id (pending human items are
// not failures).
func checkReport(t *testing.T, dir string) (int, map[string][]string) {
	t.Helper()
	code, out, errOut := launch(t, "check", "--format", "json", dir)
	var rep struct {
		Requirements []struct {
			Checks []struct {
				ID, Status string
				Findings   []struct {
					Path    string
					Line    int
					Message string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s%s", code, err, out, errOut)
	}
	failing := map[string][]string{}
	for _, r := range rep.Requirements {
		for _, c := range r.Checks {
			if c.Status != "fail" {
				continue
			}
			for _, f := range c.Findings {
				failing[c.ID] = append(failing[c.ID], f.Path+":"+strconv.Itoa(f.Line)+": "+f.Message)
			}
		}
	}
	return code, failing
}

func TestCheckLayouts(t *testing.T) {
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		// want is the failing check and a part of one of its findings;
		// "" when every automatic check passes.
		check, want string
	}{
		{name: "kustomize under k8s/", dir: func(t *testing.T) string {
			return exampleAs(t, func(p string) string { return "k8s/" + strings.TrimPrefix(p, "deploy/") }, map[string]string{})
		}},
		{name: "kustomize under k8s/, production patched to one replica", dir: func(t *testing.T) string {
			return exampleAs(t, func(p string) string {
				if strings.HasSuffix(p, "production/hpa.yaml") {
					return ""
				}
				return "k8s/" + strings.TrimPrefix(p, "deploy/")
			}, map[string]string{
				// No autoscaler: the base's one replica is production's.
				"k8s/overlays/production/kustomization.yaml": "namespace: orders\nresources: [../../base]\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 1\n",
			})
		}, check: "replicas", want: "production: Deployment orders runs 1 replica (spec.replicas in k8s/overlays/production (rendered))"},
		{name: "Terraform with a .tfvars file per environment", dir: func(t *testing.T) string { return terraformExample(t, "2") }},
		{name: "Terraform, production at one task", dir: func(t *testing.T) string { return terraformExample(t, "1") },
			check: "replicas", want: "terraform/envs/production.tfvars:1: production: aws_ecs_service module.orders.aws_ecs_service.orders runs 1 replica"},
		{name: "Terraform that does not parse", dir: func(t *testing.T) string { return terraformExample(t, "[") },
			check: "environments", want: "terraform/envs/production.tfvars:2: production: Terraform: cannot parse terraform/envs/production.tfvars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, failing := checkReport(t, tt.dir(t))
			if tt.want == "" {
				if code != 0 || len(failing) > 0 {
					t.Fatalf("exit %d, findings %v; want every automatic check to pass", code, failing)
				}
				return
			}
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			got := failing[tt.check]
			if !slices.ContainsFunc(got, func(f string) bool { return strings.Contains(f, tt.want) }) {
				t.Errorf("%s findings = %q, want one containing %q (all failing: %v)", tt.check, got, tt.want, failing)
			}
		})
	}
}
