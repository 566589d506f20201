package terraform

import (
	"strings"
	"testing"
)

const taskDefinition = `resource "aws_ecs_task_definition" "api" {
  family                = "api"
  container_definitions = %s
}
`

func TestHealth(t *testing.T) {
	service := func(body string) string {
		return "resource \"aws_ecs_service\" \"api\" {\n  desired_count   = 2\n  task_definition = aws_ecs_task_definition.api.arn\n" + body + "}\n"
	}
	lbBlock := "  load_balancer {\n    target_group_arn = aws_lb_target_group.api.arn\n    container_name   = \"api\"\n    container_port   = 8080\n  }\n"
	noHealthCheck := strings.Replace(taskDefinition, "%s", `jsonencode([{ name = "api", image = "api:1" }])`, 1)
	tests := []struct {
		name  string
		files map[string]string
		addr  string
		want  Health
		// missing are parts Health.Missing must contain.
		missing []string
		// diagnostic, when set, is a part of a Diagnostic that must exist.
		diagnostic string
	}{
		{
			name: "target group with a health_check block",
			files: map[string]string{"main.tf": service(lbBlock) + noHealthCheck + `resource "aws_lb_target_group" "api" {
  port = 8080
  health_check {
    path = "/healthz"
  }
}
`},
			addr: "aws_ecs_service.api",
			want: Health{LoadBalancer: true},
		},
		{
			name: "target group without a health_check block",
			files: map[string]string{"main.tf": service(lbBlock) + noHealthCheck + `resource "aws_lb_target_group" "api" {
  port = 8080
}
`},
			addr: "aws_ecs_service.api",
			want: Health{},
			missing: []string{"add a health_check block to aws_lb_target_group.api (main.tf:14)",
				"add a healthCheck to an essential container in the container_definitions of aws_ecs_task_definition.api (main.tf:10)"},
		},
		{
			name: "disabled health check",
			files: map[string]string{"main.tf": service(lbBlock) + noHealthCheck + `resource "aws_lb_target_group" "api" {
  health_check {
    enabled = false
  }
}
`},
			addr:    "aws_ecs_service.api",
			want:    Health{},
			missing: []string{"aws_lb_target_group.api"},
		},
		{
			name: "no load balancer at all",
			files: map[string]string{
				"main.tf": service("") + noHealthCheck,
			},
			addr:    "aws_ecs_service.api",
			want:    Health{},
			missing: []string{"route a load balancer to it", "aws_ecs_task_definition.api (main.tf:5)"},
		},
		{
			name: "target group in another module, through its output",
			files: map[string]string{
				"main.tf": `module "lb" {
  source = "./lb"
}
resource "aws_ecs_service" "api" {
  load_balancer {
    target_group_arn = module.lb.target_group_arn
  }
}
`,
				"lb/main.tf": `resource "aws_alb_target_group" "this" {
  health_check {
    path = "/ready"
  }
}
output "target_group_arn" {
  value = aws_alb_target_group.this.arn
}
`,
			},
			addr: "aws_ecs_service.api",
			want: Health{LoadBalancer: true},
		},
		{
			name: "target group passed from one module to another",
			files: map[string]string{
				"envs/prod/main.tf": `module "lb" {
  source = "../../lb"
}
module "api" {
  source           = "../../svc"
  target_group_arn = module.lb.target_group_arn
}
`,
				"lb/main.tf": `resource "aws_lb_target_group" "this" {
  health_check {
    path = "/ready"
  }
}
output "target_group_arn" {
  value = aws_lb_target_group.this.arn
}
`,
				"svc/main.tf": `variable "target_group_arn" {}
locals {
  tg = var.target_group_arn
}
resource "aws_ecs_service" "api" {
  desired_count = 2
  load_balancer {
    target_group_arn = local.tg
  }
}
`,
			},
			addr: "module.api.aws_ecs_service.api",
			want: Health{LoadBalancer: true},
		},
		{
			name: "classic ELB named in load_balancer",
			files: map[string]string{"main.tf": `resource "aws_elb" "web" {
  health_check {
    target              = "HTTP:8080/health"
    healthy_threshold   = 2
    unhealthy_threshold = 2
    timeout             = 3
    interval            = 30
  }
}
resource "aws_ecs_service" "api" {
  load_balancer {
    elb_name = aws_elb.web.name
  }
}
`},
			addr: "aws_ecs_service.api",
			want: Health{LoadBalancer: true},
		},
		{
			name: "container healthCheck via jsonencode",
			files: map[string]string{"main.tf": service("") + strings.Replace(taskDefinition, "%s", `jsonencode([
    {
      name        = "api"
      essential   = true
      healthCheck = { command = ["CMD-SHELL", "curl -f http://localhost/health || exit 1"] }
    },
  ])`, 1)},
			addr: "aws_ecs_service.api",
			want: Health{Container: true},
		},
		{
			name: "container healthCheck beside an image known only after apply",
			files: map[string]string{"main.tf": service("") + strings.Replace(taskDefinition, "%s", `jsonencode([
    {
      name        = "api"
      image       = "${aws_ecr_repository.api.repository_url}:${var.tag}"
      healthCheck = { command = ["CMD", "/health"], interval = 10 }
      logConfiguration = {
        options = { awslogs-group = aws_cloudwatch_log_group.api.name }
      }
    },
  ])`, 1)},
			addr: "aws_ecs_service.api",
			want: Health{Container: true},
		},
		{
			name: "container list known only when Terraform runs",
			files: map[string]string{"main.tf": service("") + strings.Replace(taskDefinition, "%s",
				`jsonencode(jsondecode(data.aws_ssm_parameter.containers.value))`, 1)},
			addr:       "aws_ecs_service.api",
			want:       Health{},
			missing:    []string{"aws_ecs_task_definition.api"},
			diagnostic: "cannot tell whether an essential container has a healthCheck",
		},
		{
			name: "container definitions from a file outside the repository",
			files: map[string]string{"main.tf": service("") + strings.Replace(taskDefinition, "%s",
				`file("../shared/containers.json")`, 1)},
			addr:       "aws_ecs_service.api",
			want:       Health{},
			missing:    []string{"aws_ecs_task_definition.api"},
			diagnostic: `container_definitions = file("../shared/containers.json") cannot be evaluated`,
		},
		{
			name: "an unreadable container list is no problem when the load balancer checks health",
			files: map[string]string{"main.tf": service(lbBlock) + strings.Replace(taskDefinition, "%s",
				`data.aws_ssm_parameter.containers.value`, 1) + `resource "aws_lb_target_group" "api" {
  health_check {
    path = "/healthz"
  }
}
`},
			addr: "aws_ecs_service.api",
			want: Health{LoadBalancer: true},
		},
		{
			name: "container healthCheck in a heredoc",
			files: map[string]string{"main.tf": service("") + strings.Replace(taskDefinition, "%s", `<<EOT
[{"name": "api", "healthCheck": {"command": ["CMD", "/bin/health"]}}]
EOT`, 1)},
			addr: "aws_ecs_service.api",
			want: Health{Container: true},
		},
		{
			name: "container healthCheck in a file of the module",
			files: map[string]string{
				"envs/prod/main.tf": "module \"api\" {\n  source = \"../../svc\"\n}\n",
				"svc/main.tf": service("") + strings.Replace(taskDefinition, "%s",
					`templatefile("${path.module}/containers.json", { image = "api:1" })`, 1),
				"svc/containers.json": `[{"name": "api", "image": "${image}", "healthCheck": {"command": ["CMD", "/health"]}}]`,
			},
			addr: "module.api.aws_ecs_service.api",
			want: Health{Container: true},
		},
		{
			name: "only a non-essential container has a healthCheck",
			files: map[string]string{"main.tf": service("") + strings.Replace(taskDefinition, "%s", `jsonencode([
    { name = "api" },
    { name = "log", essential = false, healthCheck = { command = ["CMD", "true"] } },
  ])`, 1)},
			addr:    "aws_ecs_service.api",
			want:    Health{},
			missing: []string{"aws_ecs_task_definition.api"},
		},
		{
			name: "target group from a data source cannot be seen",
			files: map[string]string{"main.tf": service(`  load_balancer {
    target_group_arn = data.aws_lb_target_group.shared.arn
  }
`) + noHealthCheck},
			addr:       "aws_ecs_service.api",
			want:       Health{},
			missing:    []string{"aws_ecs_task_definition.api"},
			diagnostic: "target_group_arn = data.aws_lb_target_group.shared.arn names no aws_lb_target_group or aws_alb_target_group resource",
		},
		{
			name: "autoscaling group with a health-checked target group",
			files: map[string]string{"main.tf": `resource "aws_lb_target_group" "web" {
  health_check {
    path = "/"
  }
}
resource "aws_autoscaling_group" "web" {
  min_size          = 2
  max_size          = 4
  target_group_arns = [aws_lb_target_group.web.arn]
}
`},
			addr: "aws_autoscaling_group.web",
			want: Health{LoadBalancer: true},
		},
		{
			name: "autoscaling group attached by aws_autoscaling_attachment",
			files: map[string]string{"main.tf": `resource "aws_lb_target_group" "web" {
  health_check {
    path = "/"
  }
}
resource "aws_autoscaling_group" "web" {
  min_size = 2
  max_size = 4
}
resource "aws_autoscaling_attachment" "web" {
  autoscaling_group_name = aws_autoscaling_group.web.id
  lb_target_group_arn    = aws_lb_target_group.web.arn
}
`},
			addr: "aws_autoscaling_group.web",
			want: Health{LoadBalancer: true},
		},
		{
			name: "autoscaling group with health_check_type ELB but no load balancer",
			files: map[string]string{"main.tf": `resource "aws_autoscaling_group" "web" {
  min_size          = 2
  max_size          = 4
  health_check_type = "ELB"
}
`},
			addr:    "aws_autoscaling_group.web",
			want:    Health{},
			missing: []string{"attach it to an aws_lb_target_group that has a health_check block"},
		},
		{
			name: "kubernetes deployment with both probes",
			files: map[string]string{"main.tf": `resource "kubernetes_deployment_v1" "api" {
  spec {
    template {
      spec {
        container {
          name = "api"
          readiness_probe {
            http_get {
              path = "/ready"
            }
          }
          liveness_probe {
            http_get {
              path = "/live"
            }
          }
        }
      }
    }
  }
}
`},
			addr: "kubernetes_deployment_v1.api",
			want: Health{Readiness: true, Liveness: true},
		},
		{
			name: "kubernetes deployment missing a liveness probe",
			files: map[string]string{"main.tf": `resource "kubernetes_deployment" "api" {
  spec {
    template {
      spec {
        container {
          name = "api"
          readiness_probe {
            tcp_socket {
              port = 8080
            }
          }
        }
      }
    }
  }
}
`},
			addr:    "kubernetes_deployment.api",
			want:    Health{Readiness: true},
			missing: []string{`add liveness_probe to container "api" (main.tf:5)`},
		},
		{
			name: "kubernetes deployment with a dynamic container",
			files: map[string]string{"main.tf": `resource "kubernetes_deployment_v1" "api" {
  spec {
    template {
      spec {
        dynamic "container" {
          for_each = var.sidecars
          content {
            name = container.value
          }
        }
      }
    }
  }
}
`},
			addr:       "kubernetes_deployment_v1.api",
			want:       Health{},
			missing:    []string{"declare its containers"},
			diagnostic: `a dynamic "container" block is generated only when Terraform runs`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Read(repo(tt.files), Source{Dir: rootOf(tt.files)})
			h := workload(t, env, tt.addr).Health
			got := h
			got.Missing = ""
			if got != tt.want {
				t.Errorf("health %+v, want %+v", h, tt.want)
			}
			if (h.Missing == "") != (len(tt.missing) == 0) {
				t.Errorf("Missing %q, want parts %q", h.Missing, tt.missing)
			}
			for _, part := range tt.missing {
				if !strings.Contains(h.Missing, part) {
					t.Errorf("Missing %q lacks %q", h.Missing, part)
				}
			}
			if tt.diagnostic == "" && len(env.Diagnostics) > 0 {
				t.Errorf("diagnostics %v", env.Diagnostics)
			}
			if tt.diagnostic != "" && !hasDiagnostic(env, tt.diagnostic) {
				t.Errorf("no diagnostic with %q; have %v", tt.diagnostic, env.Diagnostics)
			}
		})
	}
}

// rootOf is envs/prod when the test repository has one, else the root.
func rootOf(files map[string]string) string {
	if _, ok := files["envs/prod/main.tf"]; ok {
		return "envs/prod"
	}
	return "."
}

func hasDiagnostic(env Env, part string) bool {
	for _, d := range env.Diagnostics {
		if strings.Contains(d.Message, part) {
			return true
		}
	}
	return false
}

func TestAlarms(t *testing.T) {
	files := map[string]string{
		"main.tf": `resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "api-5xx"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 10
}

resource "aws_cloudwatch_metric_alarm" "anomaly" {
  comparison_operator = "GreaterThanUpperThreshold"
  threshold_metric_id = "e1"
}

resource "aws_cloudwatch_metric_alarm" "no_threshold" {
  comparison_operator = "GreaterThanThreshold"
}

resource "aws_cloudwatch_metric_alarm" "empty" {
  alarm_name = "nothing"
}

resource "aws_cloudwatch_metric_alarm" "disabled" {
  count     = 0
  threshold = 1
}

module "db" {
  source = "./db"
}
`,
		"db/alarms.tf": `resource "aws_cloudwatch_metric_alarm" "cpu" {
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
}
`,
	}
	want := []Alarm{
		{Address: "aws_cloudwatch_metric_alarm.anomaly", Path: "main.tf", Line: 7},
		{Address: "aws_cloudwatch_metric_alarm.empty", Path: "main.tf", Line: 16,
			Problem: "sets no comparison_operator and threshold (or threshold_metric_id for an anomaly detection band), so it never fires"},
		{Address: "aws_cloudwatch_metric_alarm.errors", Path: "main.tf", Line: 1},
		{Address: "aws_cloudwatch_metric_alarm.no_threshold", Path: "main.tf", Line: 12,
			Problem: "sets no threshold (or threshold_metric_id for an anomaly detection band), so it never fires"},
		{Address: "module.db.aws_cloudwatch_metric_alarm.cpu", Path: "db/alarms.tf", Line: 1},
	}
	env := Read(repo(files), Source{Dir: "."})
	if len(env.Alarms) != len(want) || len(env.Diagnostics) != 0 {
		t.Fatalf("alarms %+v, diagnostics %v; want %+v", env.Alarms, env.Diagnostics, want)
	}
	for i := range want {
		if env.Alarms[i] != want[i] {
			t.Errorf("alarm %d is %+v, want %+v", i, env.Alarms[i], want[i])
		}
	}
}
