package terraform

import (
	"strings"
	"testing"
)

// TestDiagnostics checks that what launchgate cannot know is reported at
// the place to fix, and never passes: no workload it concerns keeps a
// replica count.
func TestDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		src   Source
		path  string
		line  int
		// message parts the Diagnostic must contain.
		message []string
	}{
		{
			name: "unknown count",
			files: map[string]string{"main.tf": `data "aws_subnets" "private" {}

resource "aws_ecs_service" "api" {
  count         = length(data.aws_subnets.private.ids)
  desired_count = 3
}
`},
			path: "main.tf", line: 4,
			message: []string{"count of aws_ecs_service.api", "data.aws_subnets.private.ids", "data source"},
		},
		{
			name: "data source value",
			files: map[string]string{"main.tf": `data "aws_ssm_parameter" "tasks" {
  name = "/api/tasks"
}
resource "aws_ecs_service" "api" {
  desired_count = data.aws_ssm_parameter.tasks.value
}
`},
			path: "main.tf", line: 5,
			message: []string{"desired_count = data.aws_ssm_parameter.tasks.value", "data source", "set it to a literal or a variable"},
		},
		{
			name: "another resource's attribute",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  desired_count = aws_autoscaling_group.nodes.min_size
}
`},
			path: "main.tf", line: 2,
			message: []string{"known only after apply"},
		},
		{
			name: "remote module output",
			files: map[string]string{"main.tf": `module "sizes" {
  source  = "acme/sizes/aws"
  version = "1.0.0"
}
resource "aws_ecs_service" "api" {
  desired_count = module.sizes.api_tasks
}
`},
			path: "main.tf", line: 6,
			message: []string{"module.sizes.api_tasks", `"acme/sizes/aws"`, "does not download"},
		},
		{
			name: "variable without a value or default",
			files: map[string]string{"tf/main.tf": `variable "tasks" {
  type = number
}

resource "aws_ecs_service" "api" {
  desired_count = var.tasks
}
`, "tf/prod.tfvars": "other = 1\n"},
			src:  Source{Dir: "tf", VarFiles: []string{"tf/prod.tfvars"}},
			path: "tf/main.tf", line: 1,
			message: []string{"var.tasks", "no value in this environment and no default"},
		},
		{
			name: "module variable the call does not set",
			files: map[string]string{
				"main.tf":     "module \"api\" {\n  source = \"./svc\"\n}\n",
				"svc/main.tf": "variable \"tasks\" {}\nresource \"aws_ecs_service\" \"api\" {\n  desired_count = var.tasks\n}\n",
			},
			path: "svc/main.tf", line: 1,
			message: []string{"pass tasks = ... to module.api (main.tf:1)"},
		},
		{
			name: "locals in a cycle",
			files: map[string]string{"main.tf": `locals {
  a = local.b + 1
  b = local.a
}
resource "aws_ecs_service" "api" {
  desired_count = local.a
}
`},
			path: "main.tf", line: 3,
			message: []string{"local.a", "depends on itself"},
		},
		{
			name: "unsupported function",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  desired_count = timestamp() == "" ? 1 : 3
}
`},
			path: "main.tf", line: 2,
			message: []string{"desired_count", "timestamp"},
		},
		{
			name: "not a number",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  desired_count = "three"
}
`},
			path: "main.tf", line: 2,
			message: []string{`is "three", not a number`},
		},
		{
			name: "syntax error: unclosed brace",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  desired_count = 3
}

resource "aws_lb_target_group" "api" {
  port = 80
`},
			path: "main.tf", line: 5,
			message: []string{"cannot parse main.tf", "Unclosed configuration block"},
		},
		{
			name: "syntax error: missing equals sign",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  name = "api"
  desired_count 3
}
`},
			path: "main.tf", line: 3,
			message: []string{"cannot parse main.tf"},
		},
		{
			name: "syntax error: unterminated string",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  name          = "api
  desired_count = 3
}
`},
			path: "main.tf", line: 2,
			message: []string{"cannot parse main.tf"},
		},
		{
			name: "syntax error in a var file, found at the end of the file",
			files: map[string]string{
				"main.tf":     "variable \"tasks\" {}\nresource \"aws_ecs_service\" \"api\" {\n  desired_count = var.tasks\n}\n",
				"prod.tfvars": "# prod\ntasks = [\n",
			},
			src:  Source{Dir: ".", VarFiles: []string{"prod.tfvars"}},
			path: "prod.tfvars", line: 3,
			message: []string{"cannot parse prod.tfvars", "end of the file", "unclosed bracket"},
		},
		{
			name:    "missing var file",
			files:   map[string]string{"main.tf": "resource \"aws_ecs_service\" \"api\" {\n  desired_count = 2\n}\n"},
			src:     Source{Dir: ".", VarFiles: []string{"env/prod.tfvars"}},
			path:    "env/prod.tfvars",
			message: []string{"reading env/prod.tfvars"},
		},
		{
			name: "file over 1 MiB",
			files: map[string]string{
				"main.tf": "resource \"aws_ecs_service\" \"api\" {\n  desired_count = 2\n}\n",
				"big.tf":  "# " + strings.Repeat("x", maxFileSize),
			},
			path:    "big.tf",
			message: []string{"larger than the 1048576 byte limit"},
		},
		{
			name: "override file",
			files: map[string]string{
				"main.tf":     "resource \"aws_ecs_service\" \"api\" {\n  desired_count = 2\n}\n",
				"override.tf": "resource \"aws_ecs_service\" \"api\" {\n  desired_count = 1\n}\n",
			},
			path:    "override.tf",
			message: []string{"override file"},
		},
		{
			name:    "no Terraform in the root directory",
			files:   map[string]string{"envs/prod/README.md": "nothing\n"},
			src:     Source{Dir: "envs/prod"},
			path:    "envs/prod",
			message: []string{"no Terraform files"},
		},
		{
			name: "local module directory missing",
			files: map[string]string{"main.tf": `module "api" {
  source = "./modules/api"
}
`},
			path: "main.tf", line: 1,
			message: []string{"module.api", "holds no Terraform files"},
		},
		{
			name: "module calling itself",
			files: map[string]string{
				"main.tf":     "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.tf":   "module \"b\" {\n  source = \"./b\"\n}\n",
				"a/b/main.tf": "module \"a\" {\n  source = \"../\"\n}\n",
			},
			path: "a/b/main.tf", line: 1,
			message: []string{"module.a.module.b.module.a", "a module cycle"},
		},
		{
			name: "nested counts past the instance budget",
			files: map[string]string{
				"main.tf":     "module \"a\" {\n  source = \"./a\"\n  count  = 200\n}\n",
				"a/main.tf":   "module \"b\" {\n  source = \"./b\"\n  count  = 200\n}\n",
				"a/b/main.tf": "resource \"aws_ecs_service\" \"api\" {\n  desired_count = 2\n}\n",
			},
			path: "a/main.tf", line: 3,
			message: []string{"more than 20000 module and resource instances"},
		},
		{
			name: "for_each over a list",
			files: map[string]string{"main.tf": `resource "aws_ecs_service" "api" {
  for_each      = ["a", "b"]
  desired_count = 2
}
`},
			path: "main.tf", line: 2,
			message: []string{"for_each of aws_ecs_service.api", "wrap a list in toset()"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src.Dir == "" {
				src.Dir = "."
			}
			env := Read(repo(tt.files), src)
			found := false
			for _, d := range env.Diagnostics {
				if d.Path != tt.path || d.Line != tt.line {
					continue
				}
				found = true
				for _, part := range tt.message {
					if !strings.Contains(d.Message, part) {
						t.Errorf("diagnostic %q lacks %q", d.Message, part)
					}
				}
			}
			if !found {
				t.Errorf("no diagnostic at %s:%d; have %v", tt.path, tt.line, env.Diagnostics)
			}
			// Cases whose service reads desired_count = 2 have their
			// problem elsewhere; any other count must not survive.
			for _, w := range env.Workloads {
				if w.Address == "aws_ecs_service.api" && w.Replicas != 2 && w.Replicas > 0 {
					t.Errorf("%s kept %d replicas (%s) although it could not be read", w.Address, w.Replicas, w.ReplicasFrom)
				}
			}
		})
	}
}

func TestRemoteModulesAreListed(t *testing.T) {
	env := Read(repo(map[string]string{"main.tf": `module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
module "api" {
  source = "git::https://example.com/api.git?ref=v1"
}
`}), Source{Dir: "."})
	want := []RemoteModule{
		{Address: "module.vpc", Source: "terraform-aws-modules/vpc/aws", Path: "main.tf", Line: 2},
		{Address: "module.api", Source: "git::https://example.com/api.git?ref=v1", Path: "main.tf", Line: 6},
	}
	if len(env.RemoteModules) != len(want) {
		t.Fatalf("remote modules %+v, want %+v", env.RemoteModules, want)
	}
	for i := range want {
		if env.RemoteModules[i] != want[i] {
			t.Errorf("remote module %d is %+v, want %+v", i, env.RemoteModules[i], want[i])
		}
	}
}
