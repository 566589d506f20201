package inspect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/launchgate/launchgate/internal/inspect/terraform"
	"github.com/launchgate/launchgate/internal/plural"
)

// defaultWorkloadKinds are the workloads replicas and probes look at when a
// policy does not say: Kubernetes kinds (from manifests, charts or
// Terraform's Kubernetes provider) and Terraform resource types.
var defaultWorkloadKinds = []string{"Deployment", "StatefulSet", "aws_ecs_service", "aws_autoscaling_group"}

// Replicas (kind "replicas") requires every workload to run at least Min
// replicas in every environment, as rendered: an overlay that patches
// production down to 1 fails however many the base asks for, and an
// autoscaler's minReplicas counts instead of spec.replicas. An environment
// that renders no workload fails too, since nothing then shows the service
// is available there.
type Replicas struct {
	layoutChecks `yaml:"-"`
	// Min is the fewest replicas allowed; 0 means 2.
	Min int `yaml:"min,omitempty"`
	// Kinds are the workload kinds checked; empty means
	// defaultWorkloadKinds.
	Kinds []string `yaml:"kinds,omitempty"`
}

// MinReplicas is the fewest replicas allowed, with the default applied.
func (c *Replicas) MinReplicas() int {
	if c.Min == 0 {
		return 2
	}
	return c.Min
}

// WorkloadKinds are the workload kinds checked, with the default applied.
func (c *Replicas) WorkloadKinds() []string { return workloadKinds(c.Kinds) }

// Validate rejects a negative minimum and empty kinds.
func (c *Replicas) Validate() error {
	if c.Min < 0 {
		return fmt.Errorf("replicas: min is %d; it must be 1 or more (0 means the default, 2)", c.Min)
	}
	return validateKinds("replicas", c.Kinds)
}

// WithLayouts implements LayoutReader.
func (c *Replicas) WithLayouts(layouts []string) Checker {
	cp := *c
	cp.layouts = layouts
	return &cp
}

// Check reports every workload below the minimum, per environment, and
// each environment it cannot see.
func (c *Replicas) Check(repo *Repo) []Finding { return withUnjudged(c.judge(repo)) }

// CheckJudged implements Dependent.
func (c *Replicas) CheckJudged(repo *Repo) ([]Finding, []string) {
	findings, blocked := c.judge(repo)
	return findings, envNames(blocked)
}

// DependsOn implements Dependent.
func (*Replicas) DependsOn() string { return environmentsKind }

// judge reports every workload below the minimum, per environment, and
// returns the environments it cannot see apart.
func (c *Replicas) judge(repo *Repo) (findings []Finding, blocked []RenderedEnv) {
	min := c.MinReplicas()
	kinds := workloadKinds(c.Kinds)
	for _, env := range repo.Rendered(c.layouts) {
		if !renderedWhole(env) {
			blocked = append(blocked, env)
			continue
		}
		ws := selectWorkloads(env, kinds)
		if len(ws) == 0 {
			sources := sourcePaths(env.Sources)
			where := "declare the service's workloads in " + sources
			if slices.ContainsFunc(env.Sources, func(s Source) bool { return s.Kind == "helm" }) {
				// Charts are not rendered; say how launchgate finds workloads.
				where += "; launchgate finds a chart's workloads by a top-level \"kind: Deployment\" (or StatefulSet) line in its templates/"
			}
			if len(env.RemoteModules) > 0 {
				// Their resources are unseen; they may be the workloads.
				where += fmt.Sprintf("; the remote Terraform modules (%s) are not read", remoteModuleNames(env.RemoteModules))
			}
			findings = append(findings, Finding{Path: env.Sources[0].Path, Message: fmt.Sprintf(
				"%s: %s renders no %s, so nothing shows the service runs %d or more replicas there; %s",
				env.Env.Name, sources, strings.Join(kinds, " or "), min, where)})
			continue
		}
		for _, w := range ws {
			if w.Replicas >= min {
				continue
			}
			at, line := w.Path, w.Line
			if w.ReplicasPath != "" {
				at, line = w.ReplicasPath, w.ReplicasLine
			}
			findings = append(findings, Finding{Path: at, Line: line,
				Message: fmt.Sprintf("%s: %s %s runs %s (%s); every environment needs at least %d",
					env.Env.Name, w.Kind, w.Name, plural.Count(w.Replicas, "replica", "replicas"), w.ReplicasFrom, min),
				Fix: replicasFix(w, min)})
		}
	}
	return findings, blocked
}

func replicasFix(w Workload, min int) string {
	switch w.Source.Kind {
	case "terraform":
		return fmt.Sprintf("make it %d or more for this environment, where this finding points: desired_count of an ECS service "+
			"(or min_capacity of an aws_appautoscaling_target that scales it), min_size of an autoscaling group, or spec.replicas", min)
	case "helm":
		return fmt.Sprintf("set replicaCount: %d (or autoscaling.enabled: true with autoscaling.minReplicas: %d) in %s",
			min, min, w.Source.Path)
	case "kustomize":
		return fmt.Sprintf("set %s's replicas to %d or more in the overlay %s (a replicas: entry or a patch), "+
			"or target it with a HorizontalPodAutoscaler whose minReplicas is %d or more", w.Name, min, w.Source.Path, min)
	default:
		return fmt.Sprintf("set spec.replicas to %d or more in %s, or target it with a HorizontalPodAutoscaler whose minReplicas is %d or more",
			min, w.Path, min)
	}
}

// Probes (kind "probes") requires a readiness and a liveness probe on every
// container of every workload in every environment, as rendered.
type Probes struct {
	layoutChecks `yaml:"-"`
	// Kinds are the workload kinds checked; empty means
	// defaultWorkloadKinds.
	Kinds []string `yaml:"kinds,omitempty"`
}

// WorkloadKinds are the workload kinds checked, with the default applied.
func (c *Probes) WorkloadKinds() []string { return workloadKinds(c.Kinds) }

// Validate rejects empty kinds.
func (c *Probes) Validate() error { return validateKinds("probes", c.Kinds) }

// WithLayouts implements LayoutReader.
func (c *Probes) WithLayouts(layouts []string) Checker {
	cp := *c
	cp.layouts = layouts
	return &cp
}

// Check reports each container missing a probe once, listing the
// environments it is missing in: a base shared by five overlays is one
// thing to fix, not five. Each environment it cannot see is a finding too.
func (c *Probes) Check(repo *Repo) []Finding { return withUnjudged(c.judge(repo)) }

// CheckJudged implements Dependent.
func (c *Probes) CheckJudged(repo *Repo) ([]Finding, []string) {
	findings, blocked := c.judge(repo)
	return findings, envNames(blocked)
}

// DependsOn implements Dependent.
func (*Probes) DependsOn() string { return environmentsKind }

func (c *Probes) judge(repo *Repo) (findings []Finding, blocked []RenderedEnv) {
	kinds := workloadKinds(c.Kinds)
	var shared sharedFindings
	for _, env := range repo.Rendered(c.layouts) {
		if !renderedWhole(env) {
			blocked = append(blocked, env)
			continue
		}
		for _, w := range selectWorkloads(env, kinds) {
			if w.Source.Kind == "terraform" {
				if w.HealthMissing != "" {
					shared.add(env.Env.Name, Finding{Path: w.Path, Line: w.Line, Message: fmt.Sprintf(
						"%s %s has no health check: %s", w.Kind, w.Name, w.HealthMissing)})
				}
				continue
			}
			if len(w.Containers) == 0 {
				findings = append(findings, Finding{Path: w.Path, Line: w.Line, Message: fmt.Sprintf(
					"%s: %s %s has no containers; declare them under spec.template.spec.containers", env.Env.Name, w.Kind, w.Name)})
			}
			for _, ctr := range w.Containers {
				if missing := missingProbes(ctr); len(missing) > 0 {
					at, line := w.Path, w.Line
					if ctr.Path != "" {
						at, line = ctr.Path, ctr.Line
					}
					shared.add(env.Env.Name, Finding{Path: at, Line: line,
						Message: fmt.Sprintf("container %s of %s %s has no %s", ctr.Name, w.Kind, w.Name, strings.Join(missing, " and no ")),
						Fix:     probesFix(w, missing)})
				}
			}
		}
	}
	return append(findings, shared.findings()...), blocked
}

func missingProbes(c Container) []string {
	var missing []string
	if !c.Readiness {
		missing = append(missing, "readinessProbe")
	}
	if !c.Liveness {
		missing = append(missing, "livenessProbe")
	}
	return missing
}

func probesFix(w Workload, missing []string) string {
	fix := "add " + strings.Join(missing, " and ")
	if w.Source.Kind == "helm" {
		// Charts are not rendered; say where launchgate looks.
		return fix + " to the container in the chart's Deployment or StatefulSet template (launchgate looks for them in templates/ and values)"
	}
	return fix + " to the container spec, e.g. an httpGet on the health endpoint"
}

func remoteModuleNames(mods []terraform.RemoteModule) string {
	names := make([]string, len(mods))
	for i, m := range mods {
		names[i] = m.Address + " from " + m.Source
	}
	return strings.Join(names, ", ")
}

// Dependent is implemented by checks that judge what a check of another
// kind must accept first: replicas and probes read the workloads the
// environments check finds and renders. Check alone stays fail closed: it
// reports each environment it could not see. An evaluator that runs the
// dependency too, and sees it fail, shows those environments as pending on
// it instead, so that each cause is reported once, where it belongs.
type Dependent interface {
	Checker
	// DependsOn is the kind of check whose findings explain what this one
	// cannot judge.
	DependsOn() string
	// CheckJudged is Check with what the check could not judge set apart:
	// judged are its own findings, pending the environments it can judge
	// only once the dependency passes.
	CheckJudged(repo *Repo) (judged []Finding, pending []string)
}

// environmentsKind is the check kind that reports why an environment
// cannot be rendered.
const environmentsKind = "environments"

// renderedWhole reports an environment the workload checks can see: one
// with configuration that rendered without error. Judging any other would
// mean vouching for workloads nobody looked at.
func renderedWhole(env RenderedEnv) bool {
	return len(env.Errors) == 0 && len(env.Sources) > 0
}

// withUnjudged adds to findings one per environment the check could not
// see, at its first problem: the causes themselves are the environments
// check's findings, so they are pointed at, not repeated.
func withUnjudged(findings []Finding, blocked []RenderedEnv) []Finding {
	for _, env := range blocked {
		if len(env.Errors) > 0 {
			findings = append(findings, Finding{Path: env.Errors[0].Path, Line: env.Errors[0].Line, Message: fmt.Sprintf(
				"%s: launchgate cannot read its workloads: its deployment configuration has %s, which the environments check lists",
				env.Env.Name, plural.Count(len(env.Errors), "problem", "problems"))})
			continue
		}
		findings = append(findings, Finding{Message: fmt.Sprintf(
			"%s: no deployment configuration, so its workloads cannot be checked; see the environments check for what to add", env.Env.Name)})
	}
	return findings
}

func envNames(envs []RenderedEnv) []string {
	names := make([]string, len(envs))
	for i, env := range envs {
		names[i] = env.Env.Name
	}
	return names
}

func selectWorkloads(env RenderedEnv, kinds []string) []Workload {
	var out []Workload
	for _, w := range env.Workloads {
		for _, k := range kinds {
			if strings.EqualFold(w.Kind, k) {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

func workloadKinds(kinds []string) []string {
	if len(kinds) == 0 {
		return defaultWorkloadKinds
	}
	return kinds
}

func validateKinds(check string, kinds []string) error {
	for i, k := range kinds {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%s: kinds[%d] is empty; name a workload kind such as Deployment", check, i)
		}
	}
	return nil
}
