package inspect

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/launchgate/launchgate/internal/inspect/terraform"
)

// isTerraformFile reports a file Terraform reads as configuration in a
// module directory.
func isTerraformFile(name string) bool {
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")
}

// isVarFile reports a Terraform variables file.
func isVarFile(name string) bool {
	return strings.HasSuffix(name, ".tfvars") || strings.HasSuffix(name, ".tfvars.json")
}

// terraformRoot reports whether dir holds Terraform files directly: a
// root module when a layout names it.
func (rd *renderer) terraformRoot(dir string) bool {
	prefix := dir + "/"
	if dir == "." {
		prefix = ""
	}
	lo, _ := slices.BinarySearch(rd.indexed, prefix)
	for _, f := range rd.indexed[lo:] {
		if !strings.HasPrefix(f, prefix) {
			return false
		}
		if isTerraformFile(f) && path.Dir(f) == dir {
			return true
		}
	}
	return false
}

// varFileRoot is the root module of a .tfvars file: the nearest directory,
// from the file's own upwards, that holds Terraform files.
func (rd *renderer) varFileRoot(name string) (string, bool) {
	for dir := path.Dir(name); ; dir = path.Dir(dir) {
		if rd.terraformRoot(dir) {
			return dir, true
		}
		if dir == "." {
			return "", false
		}
	}
}

// terraform reads one environment's Terraform statically (package
// terraform: HCL parsed and evaluated, never run) and turns what it finds
// into workloads, alarms and findings. Every Diagnostic is an error: a
// value launchgate cannot know must never pass.
func (rd *renderer) terraform(out *RenderedEnv, src terraform.Source) []Workload {
	env := terraform.Read(inputsFS{rd}, src)
	for _, d := range env.Diagnostics {
		out.Errors = append(out.Errors, Finding{Path: d.Path, Line: d.Line, Message: "Terraform: " + d.Message})
	}
	out.Alarms = append(out.Alarms, env.Alarms...)
	out.RemoteModules = append(out.RemoteModules, env.RemoteModules...)
	ws := make([]Workload, 0, len(env.Workloads))
	for _, w := range env.Workloads {
		ws = append(ws, Workload{
			Kind: terraformKind(w.Type), Name: w.Address,
			Path: w.Path, Line: w.Line,
			Replicas: w.Replicas, ReplicasFrom: w.ReplicasFrom,
			ReplicasPath: w.ReplicasPath, ReplicasLine: w.ReplicasLine,
			HealthMissing: w.Health.Missing,
		})
	}
	return ws
}

// terraformKind is the workload kind the replicas and probes checks
// select by: the Kubernetes kind of the Kubernetes provider's resources,
// else the Terraform resource type (aws_ecs_service,
// aws_autoscaling_group).
func terraformKind(typ string) string {
	switch strings.TrimSuffix(typ, "_v1") {
	case "kubernetes_deployment":
		return "Deployment"
	case "kubernetes_stateful_set":
		return "StatefulSet"
	}
	return typ
}

// inputsFS is the repository as Terraform reading sees it: only the
// renderer's inputs can be opened, so a file() or a module elsewhere is a
// Diagnostic rather than a read the App did not fetch.
type inputsFS struct{ rd *renderer }

func (f inputsFS) Open(name string) (fs.File, error) {
	if name != "." && !f.rd.dirs[name] && !f.rd.files[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: f.rd.notInput(name)}
	}
	return f.rd.repo.FS().Open(name)
}

// remoteModuleFindings reports the remote modules of Terraform
// environments that are not known to deploy no workloads: launchgate does
// not download modules, so what they declare is unseen.
func remoteModuleFindings(mods []terraform.RemoteModule, withoutWorkloads []string) []Finding {
	var out []Finding
	for _, m := range mods {
		if slices.Contains(withoutWorkloads, moduleAddress(m.Source)) {
			continue
		}
		out = append(out, Finding{Path: m.Path, Line: m.Line, Message: fmt.Sprintf(
			"Terraform: %s comes from %q, a remote module launchgate does not download, so it cannot see whether it deploys workloads "+
				"(and their replicas and health checks): vendor it as a local module (source = \"./modules/...\"), "+
				"or, if it deploys none, add %q to remote_modules_without_workloads of this check in the policy",
			m.Address, m.Source, moduleAddress(m.Source))})
	}
	return out
}

// moduleAddress is a module source without what selects a version or a
// sub-directory: "terraform-aws-modules/iam/aws//modules/iam-role" and
// "registry.terraform.io/terraform-aws-modules/iam/aws" are both
// "terraform-aws-modules/iam/aws"; "git::https://example.com/m.git?ref=v1"
// is "git::https://example.com/m.git". Module sources:
// https://developer.hashicorp.com/terraform/language/modules/sources
func moduleAddress(source string) string {
	s, _, _ := strings.Cut(source, "?")
	if scheme := strings.Index(s, "://"); scheme >= 0 {
		if i := strings.Index(s[scheme+3:], "//"); i >= 0 {
			s = s[:scheme+3+i]
		}
	} else if i := strings.Index(s, "//"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimPrefix(s, "registry.terraform.io/")
}
