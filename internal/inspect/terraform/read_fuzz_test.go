package terraform

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary root module, called module and variable file
// text to Read: it must never panic, and every Workload and Diagnostic it
// returns must carry a place.
func FuzzRead(f *testing.F) {
	f.Add(`variable "tasks" {}
module "api" {
  source = "./svc"
  tasks  = var.tasks
  count  = 2
}
locals {
  a = local.b
  b = local.a
}`, `variable "tasks" {}
resource "aws_ecs_service" "s" {
  desired_count   = max(var.tasks, 1)
  task_definition = aws_ecs_task_definition.t.arn
  load_balancer {
    target_group_arn = aws_lb_target_group.g.arn
  }
}
resource "aws_ecs_task_definition" "t" {
  container_definitions = jsonencode([{ healthCheck = { command = ["CMD"] } }])
}
resource "aws_lb_target_group" "g" {
  health_check {}
}`, "tasks = 3\n")
	f.Add(`resource "aws_ecs_service" "s" {
  for_each      = toset(["a", "b"])
  desired_count = lookup({ a = 1 }, each.key, "2")
}
resource "aws_appautoscaling_target" "t" {
  service_namespace = "ecs"
  resource_id       = "service/c/${aws_ecs_service.s["a"].name}"
  min_capacity      = 2
}`, `module "loop" {
  source = "../"
}`, `tasks = [`)
	f.Add(`resource "kubernetes_deployment" "d" {
  spec {
    replicas = "2"
    template { spec { container { readiness_probe {} } } }
  }
}
resource "aws_ecs_task_definition" "t" {
  container_definitions = file("nope.json")
}`, `output "x" { value = module.y.z }`, `{"tasks": 1}`)
	f.Add(`resource "aws_ecs_service" "s" { count = 1e12 }`, `x = "unterminated`, `"`)
	f.Fuzz(func(t *testing.T, root, child, vars string) {
		fsys := repo(map[string]string{
			"tf/main.tf":      root,
			"tf/svc/main.tf":  child,
			"tf/prod.tfvars":  vars,
			"tf/svc/x.tf":     strings.ReplaceAll(child, "svc", "x"),
			"tf/data.json":    vars,
			"tf/nope.json":    root,
			"tf/svc/svc.json": child,
		})
		env := Read(fsys, Source{Dir: "tf", VarFiles: []string{"tf/prod.tfvars"}})
		for _, w := range env.Workloads {
			if w.Path == "" || w.Line < 1 || w.Address == "" {
				t.Errorf("workload without a place: %+v", w)
			}
			if w.Replicas < 0 {
				t.Errorf("negative replicas: %+v", w)
			}
		}
		for _, d := range env.Diagnostics {
			if d.Path == "" || d.Line < 0 || d.Message == "" {
				t.Errorf("diagnostic without a place or message: %+v", d)
			}
		}
	})
}

// BenchmarkRead reads five environments of a repository of ten ECS
// services, each a call of one shared module with its target group, task
// definition, autoscaling target and alarm.
func BenchmarkRead(b *testing.B) {
	files := map[string]string{
		"terraform/modules/svc/main.tf": `variable "name" {}
variable "tasks" {}
variable "min_tasks" {}

resource "aws_lb_target_group" "this" {
  name = var.name
  health_check {
    path = "/healthz"
  }
}

resource "aws_ecs_task_definition" "this" {
  family = var.name
  container_definitions = jsonencode([{
    name        = var.name
    essential   = true
    healthCheck = { command = ["CMD-SHELL", "curl -f http://localhost/healthz"] }
  }])
}

resource "aws_ecs_service" "this" {
  name            = var.name
  desired_count   = var.tasks
  task_definition = aws_ecs_task_definition.this.arn
  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
  }
}

resource "aws_appautoscaling_target" "this" {
  service_namespace = "ecs"
  resource_id       = "service/main/${aws_ecs_service.this.name}"
  min_capacity      = var.min_tasks
  max_capacity      = 20
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  comparison_operator = "GreaterThanThreshold"
  threshold           = 5
}
`,
	}
	envs := []string{"dev", "test", "staging", "preprod", "prod"}
	for _, env := range envs {
		var calls, vars strings.Builder
		for i := range 10 {
			fmt.Fprintf(&calls, "variable \"svc%d_tasks\" {}\nmodule \"svc%d\" {\n  source    = \"../../modules/svc\"\n  name      = \"svc%d\"\n  tasks     = var.svc%d_tasks\n  min_tasks = 2\n}\n", i, i, i, i)
			fmt.Fprintf(&vars, "svc%d_tasks = %d\n", i, i+2)
		}
		files["terraform/environments/"+env+"/main.tf"] = calls.String()
		files["terraform/environments/"+env+"/"+env+".tfvars"] = vars.String()
	}
	fsys := repo(files)
	b.ResetTimer()
	for b.Loop() {
		for _, env := range envs {
			dir := "terraform/environments/" + env
			got := Read(fsys, Source{Dir: dir, VarFiles: []string{dir + "/" + env + ".tfvars"}})
			if len(got.Workloads) != 10 || len(got.Diagnostics) != 0 {
				b.Fatalf("%s: %d workloads, diagnostics %v", env, len(got.Workloads), got.Diagnostics)
			}
		}
	}
}
