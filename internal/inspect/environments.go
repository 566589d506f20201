package inspect

import (
	"fmt"
	"strings"
)

// Environments (kind "environments") requires deployment configuration for
// every environment the policy names, where one of the policy's layouts
// finds it and in a form launchgate can render: a kustomize overlay, plain
// manifests, a Helm values file or Terraform. An environment whose
// configuration does not render fails too, and so does a remote Terraform
// module that may deploy workloads launchgate cannot see. The environments
// and layouts come from the policy.
type Environments struct {
	layoutChecks `yaml:"-"`
	// RemoteModulesWithoutWorkloads are remote Terraform module addresses
	// (without ?ref= or //sub-directory) known to deploy no workloads, such
	// as terraform-aws-modules/vpc/aws; other remote modules fail.
	RemoteModulesWithoutWorkloads []string `yaml:"remote_modules_without_workloads,omitempty"`
}

// Validate rejects empty module addresses and ones with a version or
// sub-directory, which would never equal an address.
func (c *Environments) Validate() error {
	for i, m := range c.RemoteModulesWithoutWorkloads {
		switch {
		case strings.TrimSpace(m) == "":
			return fmt.Errorf("environments: remote_modules_without_workloads[%d] is empty", i)
		case moduleAddress(m) != m:
			return fmt.Errorf("environments: remote_modules_without_workloads[%d] is %q; write the module's address alone, %q",
				i, m, moduleAddress(m))
		}
	}
	return nil
}

// WithLayouts implements LayoutReader.
func (c *Environments) WithLayouts(layouts []string) Checker {
	cp := *c
	cp.layouts = layouts
	return &cp
}

// Check reports each environment without configuration, naming what would
// satisfy it, and every rendering failure and unseen remote module. A
// problem shared by several environments (a module they all use) is one
// finding naming them all.
func (c *Environments) Check(repo *Repo) []Finding {
	var missing []Finding
	var shared sharedFindings
	for _, env := range repo.Rendered(c.layouts) {
		if len(env.Sources) == 0 && len(env.Errors) == 0 {
			missing = append(missing, missingEnvironment(env, c.layouts))
			continue
		}
		for _, f := range env.Errors {
			shared.add(env.Env.Name, f)
		}
		for _, f := range remoteModuleFindings(env.RemoteModules, c.RemoteModulesWithoutWorkloads) {
			shared.add(env.Env.Name, f)
		}
	}
	return append(missing, shared.findings()...)
}

// sharedFindings collects findings of several environments, each distinct
// one once, prefixed with the environments it applies to.
type sharedFindings struct {
	order []Finding
	envs  map[Finding][]string
}

func (s *sharedFindings) add(env string, f Finding) {
	if s.envs == nil {
		s.envs = map[Finding][]string{}
	}
	if _, seen := s.envs[f]; !seen {
		s.order = append(s.order, f)
	}
	if envs := s.envs[f]; len(envs) == 0 || envs[len(envs)-1] != env {
		s.envs[f] = append(envs, env)
	}
}

func (s *sharedFindings) findings() []Finding {
	out := make([]Finding, 0, len(s.order))
	for _, f := range s.order {
		f.Message = strings.Join(s.envs[f], ", ") + ": " + f.Message
		out = append(out, f)
	}
	return out
}

// missingEnvironment says why an environment was not found: the
// environment-like paths that match no environment (the likeliest fix is
// an alias), else the directories that matched but hold nothing
// launchgate renders, else where the layouts look.
func missingEnvironment(env RenderedEnv, layouts []string) Finding {
	n := env.Env.Name
	msg := "no deployment configuration for " + n
	if len(env.Unmatched) > 0 {
		paths := make([]string, 0, len(env.Unmatched))
		for _, u := range env.Unmatched {
			paths = append(paths, u.Path)
		}
		if len(paths) == 1 {
			return Finding{
				Message: fmt.Sprintf("%s; %s matches no environment", msg, paths[0]),
				Fix:     fmt.Sprintf("if it is %s, add aliases: [%s] under %s in the policy's environments", n, env.Unmatched[0].Name, n),
			}
		}
		return Finding{
			Message: fmt.Sprintf("%s; %s match no environment", msg, strings.Join(paths, ", ")),
			Fix:     fmt.Sprintf("if one of them is %s, add its name (e.g. aliases: [%s]) under %s in the policy's environments", n, env.Unmatched[0].Name, n),
		}
	}
	if len(env.Empty) > 0 {
		msg += fmt.Sprintf("; %s matched but holds no kustomization file, Terraform file or Kubernetes manifest", strings.Join(env.Empty, ", "))
	}
	return Finding{Message: msg, Fix: whereLayoutsLook(layouts)}
}

// whereLayoutsLook names two of the layouts, with <env> for the
// environment's name, so that every missing environment has the same fix
// and the report groups them into one line. The two are the first layout
// and one two thirds down the list, which groups similar layouts: in the
// default policy, a kustomize overlay and a Terraform root module.
func whereLayoutsLook(layouts []string) string {
	examples := []string{layoutGlob(layouts[0], "<env>")}
	if other := layouts[len(layouts)*2/3]; other != layouts[0] {
		examples = append(examples, layoutGlob(other, "<env>"))
	}
	return fmt.Sprintf("add %s, or another layout; <env> may be an alias", strings.Join(examples, " or "))
}
