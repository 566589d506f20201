package inspect

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bmatcuk/doublestar/v4"
)

// layoutEnvs are the environments of the layout tests.
var layoutEnvs = []Environment{
	{Name: "production", Aliases: []string{"prod"}},
	{Name: "development", Aliases: []string{"dev"}},
}

// webDeployment is a Deployment with both probes.
func webDeployment(replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: %d
  template:
    spec:
      containers:
        - name: app
          image: web
          readinessProbe: {httpGet: {path: /readyz, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
`, replicas)
}

// kustomizeLayout builds a kustomize base of one Deployment at two
// replicas and an overlay per environment directory; the production
// overlay patches the replicas to prod.
func kustomizeLayout(base, prodDir, devDir string) func(prod int) map[string]string {
	up := func(dir string) string { return strings.Repeat("../", strings.Count(dir, "/")+1) + base }
	return func(prod int) map[string]string {
		return map[string]string{
			base + "/kustomization.yaml": "resources: [web.yaml]\n",
			base + "/web.yaml":           webDeployment(2),
			prodDir + "/kustomization.yaml": fmt.Sprintf("resources: [%s]\npatches:\n  - target: {kind: Deployment, name: web}\n"+
				"    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: %d\n", up(prodDir), prod),
			devDir + "/kustomization.yaml": fmt.Sprintf("resources: [%s]\n", up(devDir)),
		}
	}
}

// manifestLayout builds a directory of manifests per environment, plus
// extra files.
func manifestLayout(prodDir, devDir string, extra map[string]string) func(prod int) map[string]string {
	return func(prod int) map[string]string {
		files := map[string]string{prodDir + "/web.yaml": webDeployment(prod), devDir + "/web.yaml": webDeployment(2)}
		for k, v := range extra {
			files[k] = v
		}
		return files
	}
}

func helmLayout(prod int) map[string]string {
	return map[string]string{
		"charts/web/Chart.yaml":                "name: web\n",
		"charts/web/values.yaml":               "replicaCount: 2\n",
		"charts/web/values-prod.yaml":          fmt.Sprintf("replicaCount: %d\n", prod),
		"charts/web/values.dev.yml":            "{}\n",
		"charts/web/templates/deployment.yaml": "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - readinessProbe: {}\n          livenessProbe: {}\n",
	}
}

// serviceModule is a local Terraform module: an ECS service of var.tasks
// tasks behind a health-checked target group, and a CloudWatch alarm.
const serviceModule = `variable "tasks" {
  type = number
}

resource "aws_lb_target_group" "web" {
  name = "web"
  health_check {
    path = "/healthz"
  }
}

resource "aws_ecs_service" "web" {
  name          = "web"
  desired_count = var.tasks
  load_balancer {
    target_group_arn = aws_lb_target_group.web.arn
    container_name   = "web"
    container_port   = 8080
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "web-5xx"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 10
}
`

// terraformDirLayout is a root module per environment directory, each
// calling the service module with its task count.
func terraformDirLayout(prodDir, devDir string) func(prod int) map[string]string {
	call := func(dir string, tasks int) string {
		return fmt.Sprintf("module \"web\" {\n  source = \"%smodules/service\"\n  tasks  = %d\n}\n",
			strings.Repeat("../", strings.Count(dir, "/")+1), tasks)
	}
	return func(prod int) map[string]string {
		return map[string]string{
			"modules/service/main.tf": serviceModule,
			prodDir + "/main.tf":      call(prodDir, prod),
			devDir + "/main.tf":       call(devDir, 2),
		}
	}
}

// tfvarsLayout is one root module with a variables file per environment.
func tfvarsLayout(root, prodVars, devVars string) func(prod int) map[string]string {
	up := "./"
	if root != "." {
		up = strings.Repeat("../", strings.Count(root, "/")+1)
	}
	return func(prod int) map[string]string {
		return map[string]string{
			"modules/service/main.tf":  serviceModule,
			path.Join(root, "main.tf"): fmt.Sprintf("variable \"tasks\" {}\n\nmodule \"web\" {\n  source = \"%smodules/service\"\n  tasks  = var.tasks\n}\n", up),
			prodVars:                   fmt.Sprintf("# production\ntasks = %d\n", prod),
			devVars:                    "tasks = 2\n",
		}
	}
}

// envDirVarsLayout is a root module per environment directory whose
// variables file, named after the environment, sits inside it: a
// directory layout and a .tfvars layout both match, and the root module
// is read once, with the file.
func envDirVarsLayout(prod int) map[string]string {
	files := map[string]string{"modules/service/main.tf": serviceModule}
	for env, tasks := range map[string]int{"prod": prod, "dev": 2} {
		dir := "terraform/environments/" + env
		files[dir+"/main.tf"] = "variable \"tasks\" {}\n\nmodule \"web\" {\n  source = \"../../../modules/service\"\n  tasks  = var.tasks\n}\n"
		files[dir+"/"+env+".tfvars"] = fmt.Sprintf("tasks = %d\n", tasks)
	}
	return files
}

// asgLayout is an autoscaling group declared in each environment's root
// module, attached to a health-checked target group.
func asgLayout(prod int) map[string]string {
	group := func(min int) string {
		return fmt.Sprintf(`resource "aws_lb_target_group" "web" {
  health_check {
    path = "/healthz"
  }
}

resource "aws_autoscaling_group" "web" {
  min_size          = %d
  max_size          = 4
  target_group_arns = [aws_lb_target_group.web.arn]
}
`, min)
	}
	return map[string]string{"infra/prod/main.tf": group(prod), "infra/dev/main.tf": group(2)}
}

// layoutFamily is a repository laid out as one family of the default
// layouts, and where the replicas check reports production at one replica.
type layoutFamily struct {
	name  string
	files func(prod int) map[string]string
	path  string
	line  int
	msg   string
}

// kustomizeFinding is at the operation of the overlay's inline JSON 6902
// patch that sets the replicas.
func kustomizeFinding(overlay string) (string, int, string) {
	return overlay + "/kustomization.yaml", 5, "production: Deployment web runs 1 replica (spec.replicas in " + overlay + " (rendered))"
}

var layoutFamilies = func() []layoutFamily {
	var fams []layoutFamily
	for _, k := range []struct{ name, base, prod, dev string }{
		{name: "k8s/overlays", base: "k8s/base", prod: "k8s/overlays/prod", dev: "k8s/overlays/development"},
		{name: "kubernetes/overlays", base: "kubernetes/base", prod: "kubernetes/overlays/production", dev: "kubernetes/overlays/dev"},
		{name: "manifests/overlays", base: "manifests/base", prod: "manifests/overlays/prod", dev: "manifests/overlays/dev"},
		{name: "kustomize/<env> with kustomizations", base: "kustomize/base", prod: "kustomize/prod", dev: "kustomize/dev"},
		{name: "environments/<env>", base: "environments/base", prod: "environments/Production", dev: "environments/dev"},
		{name: "envs/overlays", base: "envs/bases/web", prod: "envs/overlays/prod", dev: "envs/overlays/dev"},
		{name: "overlays/<env> beside a root base", base: "base", prod: "overlays/prod", dev: "overlays/dev"},
		{name: "Flux apps/<env> over apps/base", base: "apps/base/web", prod: "apps/production", dev: "apps/development"},
		{name: "deploy/overlays", base: "deploy/base", prod: "deploy/overlays/prod", dev: "deploy/overlays/dev"},
	} {
		path, line, msg := kustomizeFinding(k.prod)
		fams = append(fams, layoutFamily{name: k.name, files: kustomizeLayout(k.base, k.prod, k.dev), path: path, line: line, msg: msg})
	}
	for _, m := range []struct {
		name, prod, dev string
		extra           map[string]string
	}{
		{name: "k8s/<env> manifests", prod: "k8s/prod", dev: "k8s/dev"},
		{name: "kubernetes/<env> manifests", prod: "kubernetes/production", dev: "kubernetes/development"},
		{name: "manifests/<env> in sub-directories", prod: "manifests/prod/web", dev: "manifests/dev/web"},
		{name: "envs/<env> manifests", prod: "envs/prod", dev: "envs/dev"},
		// Flux's own controllers in flux-system run one replica; they are
		// not the service's.
		{name: "Flux clusters/<env>", prod: "clusters/production/apps", dev: "clusters/dev", extra: map[string]string{
			"clusters/production/flux-system/gotk-components.yaml": webDeployment(1),
			"clusters/production/flux-system/kustomization.yaml":   "resources: [gotk-components.yaml]\n",
		}},
	} {
		fams = append(fams, layoutFamily{name: m.name, files: manifestLayout(m.prod, m.dev, m.extra), path: m.prod + "/web.yaml", line: 6,
			msg: "production: Deployment web runs 1 replica (spec.replicas in " + m.prod + "/web.yaml)"})
	}
	fams = append(fams, layoutFamily{name: "Helm values beside Chart.yaml", files: helmLayout,
		path: "charts/web/values-prod.yaml", line: 1,
		msg: "production: Deployment web runs 1 replica (charts/web/values-prod.yaml replicaCount)"})
	// Terraform findings are where the environment sets the value: the
	// module argument, the .tfvars line, the attribute.
	const ecs = "production: aws_ecs_service module.web.aws_ecs_service.web runs 1 replica"
	for _, d := range []struct{ name, prod, dev string }{
		{name: "terraform/environments/<env>", prod: "terraform/environments/production", dev: "terraform/environments/dev"},
		{name: "terraform/envs/<env>", prod: "terraform/envs/prod", dev: "terraform/envs/development"},
		{name: "terraform/<env>", prod: "terraform/prod", dev: "terraform/dev"},
		{name: "infrastructure/environments/<env>", prod: "infrastructure/environments/prod", dev: "infrastructure/environments/dev"},
	} {
		fams = append(fams, layoutFamily{name: d.name, files: terraformDirLayout(d.prod, d.dev), path: d.prod + "/main.tf", line: 3, msg: ecs})
	}
	for _, v := range []struct{ name, root, prod, dev string }{
		{name: ".tfvars beside the root module", root: "terraform", prod: "terraform/prod.tfvars", dev: "terraform/dev.tfvars"},
		{name: ".tfvars under envs/", root: "infra", prod: "infra/envs/production.tfvars", dev: "infra/envs/development.tfvars"},
		{name: ".tfvars under environments/, the root module at the top", root: ".", prod: "environments/prod.tfvars", dev: "environments/dev.tfvars"},
	} {
		fams = append(fams, layoutFamily{name: v.name, files: tfvarsLayout(v.root, v.prod, v.dev), path: v.prod, line: 2, msg: ecs})
	}
	fams = append(fams, layoutFamily{name: "terraform/environments/<env> with <env>.tfvars inside", files: envDirVarsLayout,
		path: "terraform/environments/prod/prod.tfvars", line: 1, msg: ecs})
	fams = append(fams, layoutFamily{name: "infra/<env> autoscaling groups", files: asgLayout, path: "infra/prod/main.tf", line: 8,
		msg: "production: aws_autoscaling_group aws_autoscaling_group.web runs 1 replica"})
	return fams
}()

func mapRepo(files map[string]string, envs []Environment) *Repo {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return NewRepo(fsys, k8sNow, envs)
}

// Each family of the default layouts passes with two replicas everywhere
// and fails with production patched down to one.
func TestLayoutFamilies(t *testing.T) {
	for _, fam := range layoutFamilies {
		t.Run(fam.name, func(t *testing.T) {
			passing := mapRepo(fam.files(2), layoutEnvs)
			for _, c := range []Checker{&Environments{}, &Replicas{}, &Probes{}} {
				expectFindings(t, checkValid(t, c, passing), nil)
			}
			failing := mapRepo(fam.files(1), layoutEnvs)
			expectFindings(t, checkValid(t, &Environments{}, failing), nil)
			expectFindings(t, checkValid(t, &Replicas{}, failing), []expectedFinding{{path: fam.path, line: fam.line, msg: []string{fam.msg}}})
		})
	}
}

func TestLayoutsCombine(t *testing.T) {
	files := kustomizeLayout("k8s/base", "k8s/overlays/prod", "k8s/overlays/dev")(2)
	for k, v := range manifestLayout("clusters/production", "clusters/dev", nil)(1) {
		files[k] = v
	}
	envs := mapRepo(files, layoutEnvs).Rendered(defaultLayouts)
	if got := sourcePaths(envs[0].Sources); got != "k8s/overlays/prod and clusters/production" {
		t.Errorf("production sources = %q, want both layouts' matches in layout order", got)
	}
	expectFindings(t, checkValid(t, &Replicas{}, mapRepo(files, layoutEnvs)), []expectedFinding{
		{path: "clusters/production/web.yaml", line: 6, msg: []string{"production: Deployment web runs 1 replica"}},
	})
}

func TestMissingEnvironmentHints(t *testing.T) {
	uat := []Environment{{Name: "production", Aliases: []string{"prod"}}, {Name: "uat"}}
	overlays := kustomizeLayout("k8s/base", "k8s/overlays/prod", "k8s/overlays/staging")(2)
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{name: "an environment-like directory matching no environment", files: overlays, want: []string{
			"no deployment configuration for uat; k8s/overlays/staging matches no environment\n" +
				"fix: if it is uat, add aliases: [staging] under uat in the policy's environments"}},
		{name: "several, with values files; base and flux-system are not environments", files: func() map[string]string {
			files := kustomizeLayout("k8s/base", "k8s/overlays/prod", "k8s/overlays/qa")(2)
			files["charts/web/values-staging.yaml"] = "{}\n"
			files["clusters/flux-system/x.yaml"] = "{}\n"
			return files
		}(), want: []string{"k8s/overlays/qa, charts/web/values-staging.yaml match no environment\nfix: if one of them is uat, add its name (e.g. aliases: [qa]) under uat"}},
		{name: "a name several layouts find comes first", files: func() map[string]string {
			files := kustomizeLayout("k8s/base", "k8s/overlays/prod", "k8s/overlays/qa")(2)
			files["clusters/staging/web.yaml"] = webDeployment(2)
			files["apps/staging/web.yaml"] = webDeployment(2)
			return files
		}(), want: []string{"clusters/staging, apps/staging, k8s/overlays/qa match no environment\nfix: if one of them is uat, add its name (e.g. aliases: [staging])"}},
		{name: "a matched directory holding nothing", files: map[string]string{
			"k8s/prod/web.yaml": webDeployment(2), "k8s/uat/README.md": "todo\n",
		}, want: []string{"no deployment configuration for uat; k8s/uat matched but holds no kustomization file", "fix: add deploy/overlays/<env>"}},
		{name: "nothing environment-like: where the layouts look", files: map[string]string{
			"k8s/prod/web.yaml": webDeployment(2), "k8s/base/web.yaml": webDeployment(2), "envs/common.tfvars": "x = 1\n",
		}, want: []string{"no deployment configuration for uat\nfix: add deploy/overlays/<env> or terraform/environments/<env>, or another layout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectFindings(t, checkValid(t, &Environments{}, mapRepo(tt.files, uat)), []expectedFinding{{msg: tt.want}})
		})
	}
}

// A kustomize reference to a file no layout reaches is a finding, in the
// CLI as in the App, which fetches only the inputs.
func TestRenderReadsOnlyInputs(t *testing.T) {
	files := map[string]string{
		"k8s/overlays/prod/kustomization.yaml": "resources:\n  - ../../../ops/web.yaml\n",
		"ops/web.yaml":                         webDeployment(2),
	}
	expectFindings(t, checkValid(t, &Environments{}, mapRepo(files, layoutEnvs[:1])), []expectedFinding{{
		path: "k8s/overlays/prod/kustomization.yaml", line: 2,
		msg: []string{`"../../../ops/web.yaml": ops/web.yaml is outside the files launchgate reads for deployment configuration`},
	}})
}

func TestValidateLayout(t *testing.T) {
	tests := []struct {
		layout string
		err    string
	}{
		{layout: "k8s/overlays/{env}"},
		{layout: "charts/*/values-{env}.yaml"},
		{layout: "**/{env}.tfvars"},
		{layout: "{k8s,kubernetes}/{env}"},
		{layout: "k8s/overlays", err: "must contain {env} exactly once"},
		{layout: "{env}/{env}", err: "must contain {env} exactly once"},
		{layout: "/k8s/{env}", err: "must be relative"},
		{layout: "../k8s/{env}", err: `must not contain ".."`},
		{layout: "k8s//{env}", err: "not a clean path"},
		{layout: "k8s/{env}/", err: "not a clean path"},
		{layout: "k8s/[{env}", err: "not a valid doublestar pattern"},
		{layout: "**/{env}/**", err: "** both before and after {env}"},
		{layout: "k8s***/{env}", err: "** inside a path segment"},
		{layout: "k8s/{env}*", err: "* next to {env}"},
	}
	for _, tt := range tests {
		err := ValidateLayout(tt.layout)
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ValidateLayout(%q) = %v, want an error containing %q", tt.layout, err, tt.err)
		}
	}
	for _, l := range defaultLayouts {
		if err := ValidateLayout(l); err != nil {
			t.Errorf("default layout: %v", err)
		}
	}
}

// tfRepo is the terraform/<env> family at two replicas with files
// replaced or added.
func tfRepo(files map[string]string) *Repo {
	all := terraformDirLayout("terraform/prod", "terraform/dev")(2)
	for k, v := range files {
		all[k] = v
	}
	return mapRepo(all, layoutEnvs)
}

func TestTerraformChecks(t *testing.T) {
	unhealthy := strings.Replace(serviceModule, "  health_check {\n    path = \"/healthz\"\n  }\n", "", 1)
	tests := []struct {
		name  string
		check Checker
		repo  *Repo
		want  []expectedFinding
	}{
		{name: "an ECS service behind a target group without health_check", check: &Probes{},
			repo: tfRepo(map[string]string{"modules/service/main.tf": unhealthy}),
			want: []expectedFinding{{path: "modules/service/main.tf", line: 9, msg: []string{
				"production, development: aws_ecs_service module.web.aws_ecs_service.web has no health check: ", "health_check"}}}},
		{name: "HCL that does not parse is a finding with its line", check: &Environments{},
			repo: tfRepo(map[string]string{"terraform/prod/main.tf": "module \"web\" {\n  source = \"../../modules/service\"\n  tasks = \n}\n"}),
			want: []expectedFinding{{path: "terraform/prod/main.tf", line: 3, msg: []string{"production: Terraform: "}}}},
		{name: "replicas do not repeat the cause", check: &Replicas{},
			repo: tfRepo(map[string]string{"terraform/prod/main.tf": "module \"web\" {\n  source = \"../../modules/service\"\n  tasks = \n}\n"}),
			want: []expectedFinding{{path: "terraform/prod/main.tf", line: 3, msg: []string{
				"production: launchgate cannot read its workloads: its deployment configuration has 1 problem, which the environments check lists"}}}},
		{name: "a value known only when Terraform runs", check: &Environments{},
			repo: tfRepo(map[string]string{"terraform/prod/main.tf": "data \"aws_ssm_parameter\" \"n\" {\n  name = \"tasks\"\n}\n\nmodule \"web\" {\n  source = \"../../modules/service\"\n  tasks  = data.aws_ssm_parameter.n.value\n}\n"}),
			want: []expectedFinding{{path: "terraform/prod/main.tf", line: 7, msg: []string{"production: Terraform: ", "data.aws_ssm_parameter.n.value"}}}},
		{name: "a problem in a shared module is one finding for every environment", check: &Environments{},
			repo: tfRepo(map[string]string{"modules/service/override.tf": "# overrides\n"}),
			want: []expectedFinding{{path: "modules/service/override.tf", msg: []string{"production, development: Terraform: ", "override file"}}}},
		{name: "a remote module is a finding, not a pass", check: &Environments{},
			repo: tfRepo(map[string]string{"terraform/prod/ecs.tf": "module \"ecs\" {\n  source  = \"terraform-aws-modules/ecs/aws//modules/service\"\n  version = \"~> 5.0\"\n}\n"}),
			want: []expectedFinding{{path: "terraform/prod/ecs.tf", line: 2, msg: []string{
				`production: Terraform: module.ecs comes from "terraform-aws-modules/ecs/aws//modules/service", a remote module launchgate does not download`,
				`add "terraform-aws-modules/ecs/aws" to remote_modules_without_workloads`}}}},
		{name: "a remote module listed as deploying no workloads passes",
			check: &Environments{RemoteModulesWithoutWorkloads: []string{"terraform-aws-modules/vpc/aws"}},
			repo:  tfRepo(map[string]string{"terraform/prod/vpc.tf": "module \"vpc\" {\n  source  = \"registry.terraform.io/terraform-aws-modules/vpc/aws\"\n  version = \"5.1.0\"\n}\n"})},
		{name: "an ECS service without desired_count runs none", check: &Replicas{},
			repo: tfRepo(map[string]string{"modules/service/main.tf": strings.Replace(serviceModule, "  desired_count = var.tasks\n", "", 1)}),
			want: []expectedFinding{
				{path: "modules/service/main.tf", line: 12, msg: []string{"production: aws_ecs_service module.web.aws_ecs_service.web runs 0 replicas",
					"desired_count is not set", "make it 2 or more for this environment"}},
				{path: "modules/service/main.tf", line: 12, msg: []string{"development: aws_ecs_service module.web.aws_ecs_service.web runs 0 replicas"}},
			}},
		{name: "a .tfvars file without a root module", check: &Environments{},
			repo: mapRepo(map[string]string{"envs/prod.tfvars": "tasks = 2\n", "envs/dev.tfvars": "tasks = 2\n"}, layoutEnvs),
			want: []expectedFinding{
				{path: "envs/prod.tfvars", msg: []string{"production: envs/prod.tfvars holds Terraform variables", "no directory above it holds the *.tf files"}},
				{path: "envs/dev.tfvars", msg: []string{"development: envs/dev.tfvars"}},
			}},
		{name: "CloudWatch alarms count as alerting rules", check: &Alerts{}, repo: tfRepo(nil)},
		{name: "an alarm that can never fire", check: &Alerts{},
			repo: tfRepo(map[string]string{"modules/service/main.tf": strings.Replace(serviceModule, "  threshold           = 10\n", "", 1)}),
			want: []expectedFinding{
				{path: "modules/service/main.tf", line: 22, msg: []string{"CloudWatch alarm module.web.aws_cloudwatch_metric_alarm.errors sets no threshold"}},
				{msg: []string{"found 0, need at least 1"}},
			}},
		{name: "a Terraform file() outside the inputs is not read", check: &Environments{},
			repo: tfRepo(map[string]string{
				"terraform/prod/main.tf": "module \"web\" {\n  source = \"../../modules/service\"\n  tasks  = tonumber(file(\"../../ops/tasks.txt\"))\n}\n",
				"ops/tasks.txt":          "2\n",
			}),
			want: []expectedFinding{{path: "terraform/prod/main.tf", line: 3, msg: []string{"production: Terraform: ", "outside the files launchgate reads"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectFindings(t, checkValid(t, tt.check, tt.repo), tt.want)
		})
	}
}

// For any valid layout and any path its glob matches, finding the
// environment's segment neither panics nor strays outside the path.
func FuzzLayoutMatch(f *testing.F) {
	for _, l := range defaultLayouts {
		f.Add(l, strings.Replace(l, EnvPlaceholder, "staging", 1))
	}
	f.Add("charts/*/values-{env}.yaml", "charts/web/values-qa.yaml")
	f.Add("**/{env}.tfvars", "a/b/c/prod.tfvars")
	f.Add("{a,b}/{env}/x", "a/prod/x")
	f.Fuzz(func(t *testing.T, layout, p string) {
		if ValidateLayout(layout) != nil {
			return
		}
		if ok, _ := doublestar.Match(layoutGlob(layout, "*"), p); !ok {
			return
		}
		seg := envPathSegment(layout, p)
		if !slices.Contains(strings.Split(p, "/"), seg) {
			t.Fatalf("envPathSegment(%q, %q) = %q, not a segment of the path", layout, p, seg)
		}
		if text := envText(layout, p); !strings.Contains(seg, text) {
			t.Fatalf("envText(%q, %q) = %q, not within the segment %q", layout, p, text, seg)
		}
		namesEnv(layout, seg, "prod")
	})
}
