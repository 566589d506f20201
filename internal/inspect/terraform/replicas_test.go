package terraform

import (
	"strings"
	"testing"
	"testing/fstest"
)

// repo builds an in-memory repository from path → content.
func repo(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, s := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys
}

// workload finds a workload by address, failing the test without it.
func workload(t *testing.T, env Env, addr string) Workload {
	t.Helper()
	for _, w := range env.Workloads {
		if w.Address == addr {
			return w
		}
	}
	var have []string
	for _, w := range env.Workloads {
		have = append(have, w.Address)
	}
	t.Fatalf("no workload %s; have %v; diagnostics %v", addr, have, env.Diagnostics)
	return Workload{}
}

const clusterAndService = `resource "aws_ecs_cluster" "c" {
  name = "main"
}

resource "aws_ecs_service" "api" {
  name          = "api"
  cluster       = aws_ecs_cluster.c.id
  desired_count = %s
}
`

func TestReplicas(t *testing.T) {
	svcModule := map[string]string{
		"terraform/modules/svc/main.tf": `variable "tasks" {
  type = number
}

resource "aws_ecs_service" "web" {
  name          = "web"
  desired_count = var.tasks
}
`,
	}
	tests := []struct {
		name      string
		files     map[string]string
		src       Source
		addr      string
		replicas  int
		path      string
		line      int
		fromParts []string
		// others are the replicas of other workloads, which must not change.
		others map[string]int
	}{
		{
			name:     "ECS desired_count literal",
			files:    map[string]string{"main.tf": strings.Replace(clusterAndService, "%s", "3", 1)},
			src:      Source{Dir: "."},
			addr:     "aws_ecs_service.api",
			replicas: 3, path: "main.tf", line: 8,
			fromParts: []string{"desired_count = 3 in main.tf:8"},
		},
		{
			name: "ECS desired_count from the environment's tfvars",
			files: map[string]string{
				"terraform/main.tf":         strings.Replace(clusterAndService, "%s", "var.tasks", 1) + "variable \"tasks\" {\n  default = 1\n}\n",
				"terraform/env/prod.tfvars": "# production\ntasks = 4\n",
				"terraform/env/dev.tfvars":  "tasks = 1\n",
			},
			src:      Source{Dir: "terraform", VarFiles: []string{"terraform/env/prod.tfvars"}},
			addr:     "aws_ecs_service.api",
			replicas: 4, path: "terraform/env/prod.tfvars", line: 2,
			fromParts: []string{"desired_count = var.tasks in terraform/main.tf:8", "var.tasks = 4 in terraform/env/prod.tfvars:2"},
		},
		{
			name: "ECS desired_count from the variable default",
			files: map[string]string{
				"terraform/main.tf": strings.Replace(clusterAndService, "%s", "var.tasks", 1) + "variable \"tasks\" {\n  default = 2\n}\n",
			},
			src:      Source{Dir: "terraform"},
			addr:     "aws_ecs_service.api",
			replicas: 2, path: "terraform/main.tf", line: 11,
			fromParts: []string{"var.tasks defaults to 2 in terraform/main.tf:11"},
		},
		{
			name: "ECS desired_count from a local module argument",
			files: merge(svcModule, map[string]string{
				"terraform/environments/prod/main.tf": `module "web" {
  source = "../../modules/svc"
  tasks  = 5
}
`,
			}),
			src:      Source{Dir: "terraform/environments/prod"},
			addr:     "module.web.aws_ecs_service.web",
			replicas: 5, path: "terraform/environments/prod/main.tf", line: 3,
			fromParts: []string{"desired_count = var.tasks in terraform/modules/svc/main.tf:7", "module.web: tasks = 5 in terraform/environments/prod/main.tf:3"},
		},
		{
			name: "module called with for_each passes each.value",
			files: merge(svcModule, map[string]string{
				"terraform/main.tf": `module "svc" {
  source   = "./modules/svc"
  for_each = { api = 2, worker = 3 }
  tasks    = each.value
}
`,
			}),
			src:      Source{Dir: "terraform"},
			addr:     `module.svc["worker"].aws_ecs_service.web`,
			replicas: 3, path: "terraform/main.tf", line: 4,
		},
		{
			name: "module argument from a root variable set in tfvars",
			files: merge(svcModule, map[string]string{
				"terraform/main.tf": `variable "web_tasks" {}

module "web" {
  source = "./modules/svc"
  tasks  = var.web_tasks
}
`,
				"terraform/staging.tfvars": "web_tasks = 1\n",
			}),
			src:      Source{Dir: "terraform", VarFiles: []string{"terraform/staging.tfvars"}},
			addr:     "module.web.aws_ecs_service.web",
			replicas: 1, path: "terraform/staging.tfvars", line: 1,
		},
		{
			name:     "ECS desired_count omitted is the provider's 0",
			files:    map[string]string{"main.tf": "resource \"aws_ecs_service\" \"api\" {\n  name = \"api\"\n}\n"},
			src:      Source{Dir: "."},
			addr:     "aws_ecs_service.api",
			replicas: 0, path: "main.tf", line: 1,
			fromParts: []string{"default is 0"},
		},
		{
			name: "locals, functions and a tfvars map",
			files: map[string]string{
				"main.tf": `locals {
  env   = "prod"
  tasks = max(lookup(var.sizes, local.env, 1), 2)
}
variable "sizes" {}
resource "aws_ecs_service" "api" {
  desired_count = local.tasks
}
`,
				"prod.tfvars": "sizes = {\n  prod = 6\n}\n",
			},
			src:      Source{Dir: ".", VarFiles: []string{"prod.tfvars"}},
			addr:     "aws_ecs_service.api",
			replicas: 6, path: "main.tf", line: 3,
			fromParts: []string{"desired_count = local.tasks in main.tf:7", "local.tasks = max("},
		},
		{
			name: "path, list and string functions common in public modules",
			files: map[string]string{
				"envs/prod/main.tf": `locals {
  name  = basename(dirname("services/prod/main.tf"))
  sizes = zipmap(["dev", "prod"], [1, 3])
}
resource "aws_ecs_service" "api" {
  name          = join("-", compact(["api", trimspace(" ${local.name} ")]))
  desired_count = local.sizes[local.name] + length(split(",", "a,b")) - parseint("10", 2)
}
`,
			},
			src:      Source{Dir: "envs/prod"},
			addr:     "aws_ecs_service.api",
			replicas: 3, path: "envs/prod/main.tf", line: 7,
			fromParts: []string{"desired_count = local.sizes[local.name] + length("},
		},
		{
			name: "a variable read twice is still where the value is set",
			files: map[string]string{
				"main.tf":     "variable \"tasks\" {}\nresource \"aws_ecs_service\" \"api\" {\n  desired_count = var.tasks > 0 ? var.tasks : 2\n}\n",
				"prod.tfvars": "tasks = 3\n",
			},
			src:      Source{Dir: ".", VarFiles: []string{"prod.tfvars"}},
			addr:     "aws_ecs_service.api",
			replicas: 3, path: "prod.tfvars", line: 1,
		},
		{
			name: "appautoscaling min_capacity overrides desired_count",
			files: map[string]string{"main.tf": strings.Replace(clusterAndService, "%s", "4", 1) + `
resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.c.name}/${aws_ecs_service.api.name}"
  min_capacity       = 1
  max_capacity       = 10
}
`},
			src:      Source{Dir: "."},
			addr:     "aws_ecs_service.api",
			replicas: 1, path: "main.tf", line: 15,
			fromParts: []string{"aws_appautoscaling_target.api scales it", "min_capacity = 1 in main.tf:15"},
		},
		{
			name: "appautoscaling target naming the service by a literal resource_id",
			files: map[string]string{"main.tf": strings.Replace(clusterAndService, "%s", "1", 1) + `
resource "aws_appautoscaling_target" "api" {
  service_namespace = "ecs"
  resource_id       = "service/main/api"
  min_capacity      = 3
  max_capacity      = 10
}
`},
			src:      Source{Dir: "."},
			addr:     "aws_ecs_service.api",
			replicas: 3, path: "main.tf", line: 14,
		},
		{
			name: "ASG min_size",
			files: map[string]string{"main.tf": `resource "aws_autoscaling_group" "web" {
  min_size = 2
  max_size = 6
}
`},
			src:      Source{Dir: "."},
			addr:     "aws_autoscaling_group.web",
			replicas: 2, path: "main.tf", line: 2,
		},
		{
			name: "kubernetes_deployment_v1 replicas as a string",
			files: map[string]string{"main.tf": `resource "kubernetes_deployment_v1" "api" {
  spec {
    replicas = "3"
  }
}
`},
			src:      Source{Dir: "."},
			addr:     "kubernetes_deployment_v1.api",
			replicas: 3, path: "main.tf", line: 3,
		},
		{
			name: "kubernetes_stateful_set replicas as a number",
			files: map[string]string{"main.tf": `resource "kubernetes_stateful_set" "db" {
  spec {
    replicas = 2
  }
}
`},
			src:      Source{Dir: "."},
			addr:     "kubernetes_stateful_set.db",
			replicas: 2, path: "main.tf", line: 3,
		},
		{
			name:     "kubernetes_deployment replicas unset is the provider's 1",
			files:    map[string]string{"main.tf": "resource \"kubernetes_deployment\" \"api\" {\n  spec {\n  }\n}\n"},
			src:      Source{Dir: "."},
			addr:     "kubernetes_deployment.api",
			replicas: 1, path: "main.tf", line: 1,
			fromParts: []string{"default is 1"},
		},
		{
			name: "horizontal pod autoscaler by reference overrides spec.replicas",
			files: map[string]string{"main.tf": `resource "kubernetes_deployment_v1" "api" {
  metadata {
    name = "api"
  }
  spec {
    replicas = 3
  }
}
resource "kubernetes_horizontal_pod_autoscaler_v2" "api" {
  spec {
    min_replicas = 1
    max_replicas = 10
    scale_target_ref {
      kind = "Deployment"
      name = kubernetes_deployment_v1.api.metadata[0].name
    }
  }
}
`},
			src:      Source{Dir: "."},
			addr:     "kubernetes_deployment_v1.api",
			replicas: 1, path: "main.tf", line: 11,
			fromParts: []string{"kubernetes_horizontal_pod_autoscaler_v2.api scales it from spec.min_replicas"},
		},
		{
			name: "horizontal pod autoscaler by name, min_replicas defaulting to 1",
			files: map[string]string{"main.tf": `resource "kubernetes_stateful_set_v1" "db" {
  metadata {
    name = "db"
  }
  spec {
    replicas = 3
  }
}
resource "kubernetes_deployment_v1" "db" {
  metadata {
    name = "db"
  }
  spec {
    replicas = 4
  }
}
resource "kubernetes_horizontal_pod_autoscaler" "db" {
  spec {
    max_replicas = 10
    scale_target_ref {
      kind = "StatefulSet"
      name = "db"
    }
  }
}
`},
			src:      Source{Dir: "."},
			addr:     "kubernetes_stateful_set_v1.db",
			replicas: 1, path: "main.tf", line: 17,
			fromParts: []string{"spec.min_replicas is not set, and its default is 1"},
			others:    map[string]int{"kubernetes_deployment_v1.db": 4},
		},
		{
			name: "count.index is in scope for each instance",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  count         = 2
  desired_count = count.index + 2
}
`},
			src:      Source{Dir: "."},
			addr:     "aws_ecs_service.api[1]",
			replicas: 3, path: "main.tf", line: 3,
		},
		{
			name: "for_each over a map gives each.value",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "svc" {
  for_each      = { api = 3, worker = 2 }
  desired_count = each.value
}
`},
			src:      Source{Dir: "."},
			addr:     `aws_ecs_service.svc["worker"]`,
			replicas: 2, path: "main.tf", line: 3,
		},
		{
			name: "Terraform JSON syntax",
			files: map[string]string{"main.tf.json": `{
  "resource": {
    "aws_ecs_service": {
      "api": {
        "desired_count": "${var.tasks}"
      }
    }
  },
  "variable": {"tasks": {"default": 2}}
}`},
			src:      Source{Dir: "."},
			addr:     "aws_ecs_service.api",
			replicas: 2, path: "main.tf.json", line: 9,
		},
		{
			name: "DAEMON services count 0 and say why",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "agent" {
  scheduling_strategy = "DAEMON"
}
`},
			src:      Source{Dir: "."},
			addr:     "aws_ecs_service.agent",
			replicas: 0, path: "main.tf", line: 2,
			fromParts: []string{"one task per container instance"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Read(repo(tt.files), tt.src)
			if len(env.Diagnostics) > 0 {
				t.Errorf("diagnostics: %v", env.Diagnostics)
			}
			w := workload(t, env, tt.addr)
			if w.Replicas != tt.replicas || w.ReplicasPath != tt.path || w.ReplicasLine != tt.line {
				t.Errorf("replicas %d at %s:%d (%s), want %d at %s:%d",
					w.Replicas, w.ReplicasPath, w.ReplicasLine, w.ReplicasFrom, tt.replicas, tt.path, tt.line)
			}
			for _, part := range tt.fromParts {
				if !strings.Contains(w.ReplicasFrom, part) {
					t.Errorf("ReplicasFrom %q lacks %q", w.ReplicasFrom, part)
				}
			}
			for addr, want := range tt.others {
				if got := workload(t, env, addr); got.Replicas != want {
					t.Errorf("%s has %d replicas (%s), want %d", addr, got.Replicas, got.ReplicasFrom, want)
				}
			}
		})
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestVariablePrecedence follows
// https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence
func TestVariablePrecedence(t *testing.T) {
	base := map[string]string{
		"tf/main.tf": "variable \"tasks\" {\n  default = 1\n}\nresource \"aws_ecs_service\" \"api\" {\n  desired_count = var.tasks\n}\n",
	}
	tests := []struct {
		name     string
		files    map[string]string
		varFiles []string
		replicas int
		path     string
	}{
		{name: "default", files: base, replicas: 1, path: "tf/main.tf"},
		{name: "terraform.tfvars beats the default",
			files: merge(base, map[string]string{"tf/terraform.tfvars": "tasks = 2\n"}), replicas: 2, path: "tf/terraform.tfvars"},
		{name: "auto.tfvars beats terraform.tfvars, later names win",
			files:    merge(base, map[string]string{"tf/terraform.tfvars": "tasks = 2\n", "tf/a.auto.tfvars": "tasks = 3\n", "tf/b.auto.tfvars.json": `{"tasks": 4}`}),
			replicas: 4, path: "tf/b.auto.tfvars.json"},
		{name: "var files beat auto.tfvars, the last one wins",
			files:    merge(base, map[string]string{"tf/a.auto.tfvars": "tasks = 3\n", "env/common.tfvars": "tasks = 5\n", "env/prod.tfvars": "tasks = 6\n"}),
			varFiles: []string{"env/common.tfvars", "env/prod.tfvars"}, replicas: 6, path: "env/prod.tfvars"},
		{name: "a var file not setting it leaves the earlier value",
			files:    merge(base, map[string]string{"env/common.tfvars": "tasks = 5\n", "env/prod.tfvars": "other = 1\n"}),
			varFiles: []string{"env/common.tfvars", "env/prod.tfvars"}, replicas: 5, path: "env/common.tfvars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Read(repo(tt.files), Source{Dir: "tf", VarFiles: tt.varFiles})
			w := workload(t, env, "aws_ecs_service.api")
			if w.Replicas != tt.replicas || w.ReplicasPath != tt.path {
				t.Errorf("replicas %d from %s, want %d from %s (%s)", w.Replicas, w.ReplicasPath, tt.replicas, tt.path, w.ReplicasFrom)
			}
		})
	}
}

func TestCountZeroRemovesTheWorkload(t *testing.T) {
	env := Read(repo(map[string]string{"main.tf": `variable "enabled" {
  default = false
}
resource "aws_ecs_service" "api" {
  count         = var.enabled ? 1 : 0
  desired_count = 3
}
resource "aws_ecs_service" "worker" {
  desired_count = 2
}
module "canary" {
  source = "./canary"
  count  = 0
}
`, "canary/main.tf": "resource \"aws_ecs_service\" \"canary\" {\n  desired_count = 1\n}\n"}), Source{Dir: "."})
	if len(env.Workloads) != 1 || env.Workloads[0].Address != "aws_ecs_service.worker" || len(env.Diagnostics) != 0 {
		t.Errorf("workloads %+v, diagnostics %v; want only aws_ecs_service.worker", env.Workloads, env.Diagnostics)
	}
}
