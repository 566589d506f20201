// Package terraform reads a service's Terraform statically, so that the
// replicas, probes and alerts checks can judge a service deployed with
// Terraform (on ECS, EC2 autoscaling groups or the Kubernetes provider) as
// they judge Kubernetes manifests.
//
// # How to call it
//
// One environment is one Source: the root module directory Terraform would
// run in, plus the -var-file files of that environment, in order. A layout
// with a directory per environment (terraform/environments/prod) is
// Source{Dir: "terraform/environments/prod"}; a shared root module with a
// variables file per environment is Source{Dir: "terraform", VarFiles:
// []string{"terraform/prod.tfvars"}}. All paths are slash paths relative to
// the root of fsys. Then
//
//	env := terraform.Read(repo.FS(), src)
//
// and turn every env.Diagnostics entry into a failing finding, every
// Workload below the policy's minimum into a replicas finding (at
// ReplicasPath:ReplicasLine, explained by ReplicasFrom), every Workload with
// a non-empty Health.Missing into a probes finding (at Path:Line), and
// every Alarm with a non-empty Problem into an alerts finding. An
// environment with no Workloads shows nothing runs there, which the
// replicas check fails just as it fails an overlay that renders no
// workload; name env.RemoteModules in that finding, since launchgate does
// not download modules and what they declare is not seen. A remote module
// alone is not a failure: most are networking or IAM building blocks.
// ExampleRead shows the whole loop.
//
// # What is read
//
// Workloads are aws_ecs_service, aws_autoscaling_group and the Kubernetes
// provider's kubernetes_deployment(_v1) and kubernetes_stateful_set(_v1),
// one per instance (count = 0 declares none). Replicas is desired_count
// (default 0), min_size, or spec.replicas (a number or numeric string,
// default 1); an aws_appautoscaling_target or a Kubernetes provider
// horizontal pod autoscaler targeting the workload replaces it with its
// minimum. A replica count that cannot be read is 0, so it never passes,
// and the reason is a Diagnostic. Health comes from load balancer target
// groups and classic ELBs with a health_check block, ECS container
// healthCheck entries, and Kubernetes readiness_probe and liveness_probe
// blocks; the argument of a jsonencode container_definitions is read as a
// structure, so an image known only after apply does not hide a literal
// healthCheck. Alarms are aws_cloudwatch_metric_alarm instances; other
// monitoring providers' resources are not read.
//
// # What is evaluated
//
// Read never runs terraform and never touches the network or the clock: it
// parses every *.tf and *.tf.json file of a module directory (not its
// sub-directories) with HCL's own parsers and evaluates the few attributes
// the checks need with HCL's expression evaluator. An expression may use
// literals, var.* (from -var-file files, *.auto.tfvars, terraform.tfvars
// and variable defaults, in Terraform's precedence), local.*, count.index,
// each.key and each.value, path.module/path.root/path.cwd, outputs of local
// modules (source "./x" or "../x"), and the pure built-in functions listed
// in funcs.go (numeric, string, collection, encoding and path functions,
// file and templatefile within the repository, try and can). Local module
// calls are followed recursively, their arguments becoming the called
// module's variables, up to a depth of 10.
//
// # What is a Diagnostic
//
// Whatever launchgate cannot read or understand and that could change a
// verdict is a Diagnostic, never a silent pass: a file that does not parse
// (at the parser's own line), a file over 1 MiB, an override file, a checked
// attribute depending on a data source, on another resource's attribute, on
// a remote module's output, on a variable with no value, on an unsupported
// function, or on a cycle of locals, a count or for_each that cannot be
// evaluated, and a dynamic block where a checked nested block would be.
package terraform

import (
	"cmp"
	"io/fs"
	"path"
	"slices"

	"github.com/zclconf/go-cty/cty/function"
)

// Diagnostic is something launchgate could not read or understand, at a
// place: Path is a slash path relative to the fs root, Line is 1-based (0
// when the problem is a whole file or directory). The integrator turns it
// into a failing finding.
type Diagnostic struct {
	Path    string
	Line    int
	Message string
}

// Source is one environment's Terraform: the root module directory and the
// .tfvars (or .tfvars.json) files passed to it with -var-file, in order.
type Source struct {
	Dir      string
	VarFiles []string
}

// Env is what one environment declares.
type Env struct {
	Workloads     []Workload
	Alarms        []Alarm
	RemoteModules []RemoteModule
	Diagnostics   []Diagnostic
}

// Workload is one instance of a resource that runs the service.
type Workload struct {
	// Address is Terraform's resource address, with the instance key when
	// the resource or a module on its way has count or for_each:
	// module.api.aws_ecs_service.web, aws_ecs_service.web[1].
	Address string
	// Type is aws_ecs_service, aws_autoscaling_group, kubernetes_deployment,
	// kubernetes_deployment_v1, kubernetes_stateful_set or
	// kubernetes_stateful_set_v1.
	Type string
	// Path and Line locate the resource block's header.
	Path string
	Line int
	// Replicas is the fewest instances (tasks, EC2 instances, pods) the
	// workload runs in this environment.
	Replicas int
	// ReplicasPath and ReplicasLine locate where Replicas is set for this
	// environment: the .tfvars line, the module call argument, the variable
	// default, or the attribute itself.
	ReplicasPath string
	ReplicasLine int
	// ReplicasFrom explains Replicas, e.g. "desired_count = var.tasks in
	// main.tf:4, var.tasks = 1 in envs/prod.tfvars:2".
	ReplicasFrom string
	Health       Health
}

// Health records which health checks cover a workload.
type Health struct {
	// LoadBalancer: a load balancer target group or classic ELB routing to
	// the workload has a health_check block.
	LoadBalancer bool
	// Container: an essential container of the ECS task definition has a
	// healthCheck.
	Container bool
	// Readiness and Liveness: every container of a Kubernetes provider
	// workload has a readiness_probe (liveness_probe) block.
	Readiness, Liveness bool
	// Missing says what to add to be covered, "" when covered: for ECS and
	// autoscaling groups a load balancer or container health check, for
	// Kubernetes workloads both probes on every container.
	Missing string
}

// Alarm is one aws_cloudwatch_metric_alarm instance.
type Alarm struct {
	Address string
	Path    string
	Line    int
	// Problem says what the alarm lacks to ever fire, "" when it has a
	// comparison_operator and a threshold (or threshold_metric_id).
	Problem string
}

// RemoteModule is a module call whose source is not a local directory
// (registry, git, http, S3...). Launchgate does not download modules, so
// nothing it declares is in the Env.
type RemoteModule struct {
	Address, Source string
	Path            string
	Line            int
}

// Read reads one environment's Terraform from fsys. It never fails: what it
// cannot read is in Env.Diagnostics.
func Read(fsys fs.FS, src Source) Env {
	r := newReader(fsys, path.Clean(src.Dir))
	root := r.rootInstance(src)
	if root != nil {
		r.expand(root, 0)
		r.collect()
	}
	slices.SortFunc(r.env.Workloads, func(a, b Workload) int { return cmp.Compare(a.Address, b.Address) })
	slices.SortFunc(r.env.Alarms, func(a, b Alarm) int { return cmp.Compare(a.Address, b.Address) })
	r.env.Diagnostics = sortedDiagnostics(r.env.Diagnostics)
	return r.env
}

// reader holds the state of one Read.
type reader struct {
	fsys    fs.FS
	rootDir string
	// modules caches parsed module directories by path.
	modules map[string]*module
	// sources holds the bytes of every parsed file, to quote expressions.
	sources   map[string][]byte
	instances []*instance
	// expanded counts module and resource instances, see maxExpanded.
	expanded int
	// quiet, when positive, drops Diagnostics: see evalLenient.
	quiet int
	funcs map[string]function.Function
	env   Env
}

func newReader(fsys fs.FS, rootDir string) *reader {
	r := &reader{fsys: fsys, rootDir: rootDir, modules: map[string]*module{}, sources: map[string][]byte{}}
	r.funcs = r.functions()
	return r
}

func (r *reader) diag(p string, line int, msg string) {
	if r.quiet > 0 {
		return
	}
	r.env.Diagnostics = append(r.env.Diagnostics, Diagnostic{Path: p, Line: line, Message: msg})
}

// sortedDiagnostics orders diagnostics by place and drops repeats: one
// unreadable variable read by ten resources is one problem.
func sortedDiagnostics(ds []Diagnostic) []Diagnostic {
	slices.SortFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(ds)
}
