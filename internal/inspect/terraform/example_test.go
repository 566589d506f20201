package terraform_test

import (
	"fmt"
	"testing/fstest"

	"github.com/launchgate/launchgate/internal/inspect/terraform"
)

// A shared root module with one .tfvars file per environment: production
// runs a single task, which a replicas check with a minimum of 2 reports
// at the .tfvars line that sets it.
func ExampleRead() {
	repo := fstest.MapFS{
		"terraform/main.tf": {Data: []byte(`variable "tasks" {}

resource "aws_lb_target_group" "api" {
  health_check {
    path = "/healthz"
  }
}

resource "aws_ecs_service" "api" {
  desired_count = var.tasks
  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  comparison_operator = "GreaterThanThreshold"
}
`)},
		"terraform/prod.tfvars": {Data: []byte("tasks = 1\n")},
	}
	env := terraform.Read(repo, terraform.Source{Dir: "terraform", VarFiles: []string{"terraform/prod.tfvars"}})
	for _, w := range env.Workloads {
		if w.Replicas < 2 {
			fmt.Printf("%s:%d: %s runs %d (%s)\n", w.ReplicasPath, w.ReplicasLine, w.Address, w.Replicas, w.ReplicasFrom)
		}
		if w.Health.Missing != "" {
			fmt.Printf("%s:%d: %s: %s\n", w.Path, w.Line, w.Address, w.Health.Missing)
		}
	}
	for _, a := range env.Alarms {
		if a.Problem != "" {
			fmt.Printf("%s:%d: %s %s\n", a.Path, a.Line, a.Address, a.Problem)
		}
	}
	for _, d := range env.Diagnostics {
		fmt.Printf("%s:%d: %s\n", d.Path, d.Line, d.Message)
	}
	// Output:
	// terraform/prod.tfvars:1: aws_ecs_service.api runs 1 (desired_count = var.tasks in terraform/main.tf:10, var.tasks = 1 in terraform/prod.tfvars:1)
	// terraform/main.tf:16: aws_cloudwatch_metric_alarm.errors sets no threshold (or threshold_metric_id for an anomaly detection band), so it never fires
}
