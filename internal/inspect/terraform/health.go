package terraform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// targetGroupTypes are the load balancer target group resources (aws_alb_*
// is the older name of the same resource):
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lb_target_group
var targetGroupTypes = []string{"aws_lb_target_group", "aws_alb_target_group"}

// classicELB is the classic load balancer resource:
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/elb
const classicELB = "aws_elb"

// balancerAttr is an attribute that names the load balancers (target
// groups or classic ELBs) routing to a workload.
type balancerAttr struct {
	in    *instance
	attr  *hcl.Attribute
	types []string
}

// lbHealth is what the load balancers of a workload say about it.
type lbHealth struct {
	// covered: one of them has a health_check block.
	covered bool
	// found: the attributes name at least one balancer resource.
	found bool
	// fixes say which referenced balancer needs a health_check block.
	fixes []string
	// unresolved are attributes naming no balancer resource of the
	// repository (a data source, a literal ARN).
	unresolved []balancerAttr
}

// balancerHealth checks the target groups and ELBs the attributes refer to.
// A target group always has default health checks in AWS, but only an
// explicit health_check block shows the service's health endpoint was
// chosen, so launchgate requires one, and one with enabled = false (or an
// enabled it cannot read) does not count.
func (r *reader) balancerHealth(attrs []balancerAttr) lbHealth {
	var h lbHealth
	for _, b := range attrs {
		refs := r.refsTo(b.in, b.attr.Expr, b.types...)
		if len(refs) == 0 {
			h.unresolved = append(h.unresolved, b)
			continue
		}
		h.found = true
		for _, ref := range refs {
			if r.hasHealthCheck(ref) {
				h.covered = true
			} else {
				h.fixes = append(h.fixes, fmt.Sprintf("add a health_check block to %s (%s)", ref.addr(), ref.at()))
			}
		}
	}
	return h
}

// hasHealthCheck reports whether a target group or ELB has a health_check
// block that is not disabled.
func (r *reader) hasHealthCheck(ref resourceRef) bool {
	for _, b := range r.blocks(ref.res.block.Body, "health_check", ref.addr()) {
		enabled := attributes(b.Body, "enabled")["enabled"]
		if enabled == nil {
			return true
		}
		v, ok := r.eval(ref.in, repetition{}, enabled.Expr, "health_check.enabled")
		if ok && v.val.Type() == cty.Bool && !v.val.IsNull() && v.val.True() {
			return true
		}
	}
	return false
}

// reportUnresolved records, for a workload no health check covers, each
// balancer attribute launchgate could not follow: it might have led to one.
func (r *reader) reportUnresolved(addr string, unresolved []balancerAttr) {
	for _, b := range unresolved {
		rng := b.attr.Expr.Range()
		r.diag(rng.Filename, rng.Start.Line, fmt.Sprintf(
			"%s: %s = %s names no %s resource of the repository, so launchgate cannot see its health check; refer to the resource (e.g. %s.NAME.arn)",
			addr, b.attr.Name, r.text(rng), strings.Join(b.types, " or "), b.types[0]))
	}
}

// ecsHealth finds the health checks of an ECS service: a health-checked
// target group or classic ELB in a load_balancer block, or a healthCheck
// of an essential container of its task definition (ECS replaces a task
// whose essential container is unhealthy):
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_service#load_balancer
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_task_definition
func (r *reader) ecsHealth(in *instance, res *resource, rep repetition, taskDef *hcl.Attribute) Health {
	addr := in.resourceAddr(res, rep)
	var attrs []balancerAttr
	for _, lb := range r.blocks(res.block.Body, "load_balancer", addr) {
		named := attributes(lb.Body, "target_group_arn", "elb_name")
		if a := named["target_group_arn"]; a != nil {
			attrs = append(attrs, balancerAttr{in, a, targetGroupTypes})
		}
		if a := named["elb_name"]; a != nil {
			attrs = append(attrs, balancerAttr{in, a, []string{classicELB}})
		}
	}
	lb := r.balancerHealth(attrs)
	container, containerFix := r.containerHealth(in, rep, addr, taskDef, !lb.covered)
	h := Health{LoadBalancer: lb.covered, Container: container}
	if h.LoadBalancer || h.Container {
		return h
	}
	r.reportUnresolved(addr, lb.unresolved)
	fixes := lb.fixes
	if !lb.found {
		fixes = append(fixes, "route a load balancer to it: a load_balancer block naming an aws_lb_target_group that has a health_check block")
	}
	h.Missing = strings.Join(append(fixes, containerFix), ", or ")
	return h
}

// containerHealth reports whether an essential container of the service's
// task definition declares a healthCheck, and else what to add where. What
// it cannot read is a Diagnostic only when no load balancer health check
// covers the service already (report).
func (r *reader) containerHealth(in *instance, rep repetition, addr string, taskDef *hcl.Attribute, report bool) (bool, string) {
	fix := "add a healthCheck to an essential container of its task definition"
	if taskDef == nil {
		return false, fix
	}
	refs := r.refsTo(in, taskDef.Expr, "aws_ecs_task_definition")
	if len(refs) == 0 {
		if report {
			rng := taskDef.Expr.Range()
			r.diag(rng.Filename, rng.Start.Line, fmt.Sprintf(
				"%s: task_definition = %s names no aws_ecs_task_definition resource of the repository, so launchgate cannot read its containers; refer to the resource (e.g. aws_ecs_task_definition.NAME.arn)",
				addr, r.text(rng)))
		}
		return false, fix
	}
	var fixes []string
	for _, ref := range refs {
		fixes = append(fixes, fmt.Sprintf("add a healthCheck to an essential container in the container_definitions of %s (%s)", ref.addr(), ref.at()))
		defs := attributes(ref.res.block.Body, "container_definitions")["container_definitions"]
		if defs == nil {
			continue
		}
		// A task definition keyed like its service (for_each over the same
		// map) is read with the service's key; any other is read once.
		defRep := repetition{}
		if ref.in == in && (ref.res.count != nil || ref.res.forEach != nil) {
			defRep = rep
		}
		if r.essentialHealthCheck(ref, defRep, defs, report) {
			return true, ""
		}
	}
	return false, strings.Join(fixes, ", or ")
}

// essentialHealthCheck reports whether an essential container (essential
// defaults to true) of container_definitions has a healthCheck with a
// command; report records why it cannot tell as a Diagnostic.
// container_definitions is a JSON string, written as jsonencode([...]), a
// heredoc, file() or templatefile(). The argument of jsonencode is read as
// a structure, so that an image from an ECR repository (known only after
// apply) leaves the literal healthCheck beside it readable.
func (r *reader) essentialHealthCheck(ref resourceRef, rep repetition, defs *hcl.Attribute, report bool) bool {
	rng := defs.Expr.Range()
	if call, ok := defs.Expr.(*hclsyntax.FunctionCallExpr); ok && call.Name == "jsonencode" && len(call.Args) == 1 {
		covered, known := containersHealthChecked(r.evalLenient(ref.in, rep, call.Args[0], "container_definitions"))
		if !covered && !known && report {
			r.diag(rng.Filename, rng.Start.Line, fmt.Sprintf(
				"container_definitions of %s: launchgate cannot tell whether an essential container has a healthCheck, as the containers depend on values known only when Terraform runs; write the container list and its healthCheck in the configuration",
				ref.addr()))
		}
		return covered
	}
	var v cty.Value
	if report {
		// A string is unknown as a whole when any part is: the strict
		// Diagnostic names the part.
		val, ok := r.eval(ref.in, rep, defs.Expr, "container_definitions")
		if !ok {
			return false
		}
		v = val.val
	} else if v = r.evalLenient(ref.in, rep, defs.Expr, "container_definitions"); !v.IsWhollyKnown() {
		return false
	}
	text, err := convert.Convert(v, cty.String)
	var containers cty.Value
	if err == nil && !text.IsNull() {
		containers, err = decodeJSON(text.AsString())
	}
	if err != nil || text.IsNull() {
		if report {
			r.diag(rng.Filename, rng.Start.Line, fmt.Sprintf(
				"container_definitions of %s is not a JSON array of container definitions (%v)", ref.addr(), err))
		}
		return false
	}
	covered, _ := containersHealthChecked(containers)
	return covered
}

func decodeJSON(text string) (cty.Value, error) {
	ty, err := ctyjson.ImpliedType([]byte(text))
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal([]byte(text), ty)
}

// containersHealthChecked looks for an essential container with a
// healthCheck command in a list of container definitions, some parts of
// which may be unknown. An essential flag that cannot be read counts as
// not essential.
func containersHealthChecked(list cty.Value) (covered, known bool) {
	ty := list.Type()
	if !list.IsKnown() || list.IsNull() || !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		return false, list.IsKnown()
	}
	known = true
	for _, c := range list.AsValueSlice() {
		if essential, has := field(c, "essential"); has {
			if !essential.IsKnown() || essential.IsNull() || essential.Type() != cty.Bool || essential.False() {
				known = known && essential.IsKnown()
				continue
			}
		}
		check, has := field(c, "healthCheck")
		if !has {
			known = known && c.IsKnown()
			continue
		}
		command, has := field(check, "command")
		if has && command.IsKnown() && !command.IsNull() && command.CanIterateElements() && command.LengthInt() > 0 {
			return true, true
		}
		known = known && check.IsKnown() && (!has || command.IsKnown())
	}
	return false, known
}

// field is an attribute of an object or an element of a string-keyed map;
// false when v has none or is unknown.
func field(v cty.Value, name string) (cty.Value, bool) {
	if !v.IsKnown() || v.IsNull() {
		return cty.NilVal, false
	}
	switch ty := v.Type(); {
	case ty.IsObjectType():
		if ty.HasAttribute(name) {
			return v.GetAttr(name), true
		}
	case ty.IsMapType():
		if key := cty.StringVal(name); v.HasIndex(key).True() {
			return v.Index(key), true
		}
	}
	return cty.NilVal, false
}

// autoscalingGroupHealth finds a health-checked target group or classic ELB
// of an autoscaling group, named in its target_group_arns or
// load_balancers, or attached by an aws_autoscaling_attachment. The
// group's health_check_type = "ELB" alone is not enough: it says the group
// replaces instances the load balancer finds unhealthy, but the check
// itself is the target group's or ELB's health_check block.
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/autoscaling_attachment
func (r *reader) autoscalingGroupHealth(in *instance, res *resource) Health {
	group := resourceRef{in, res}
	named := attributes(res.block.Body, "target_group_arns", "load_balancers")
	var attrs []balancerAttr
	if a := named["target_group_arns"]; a != nil {
		attrs = append(attrs, balancerAttr{in, a, targetGroupTypes})
	}
	if a := named["load_balancers"]; a != nil {
		attrs = append(attrs, balancerAttr{in, a, []string{classicELB}})
	}
	for _, other := range r.instances {
		for _, att := range other.mod.resources {
			if att.typ != "aws_autoscaling_attachment" {
				continue
			}
			a := attributes(att.block.Body, "autoscaling_group_name", "lb_target_group_arn", "alb_target_group_arn", "elb")
			if a["autoscaling_group_name"] == nil || !slices.Contains(r.refsTo(other, a["autoscaling_group_name"].Expr, res.typ), group) {
				continue
			}
			for _, name := range []string{"lb_target_group_arn", "alb_target_group_arn"} {
				if a[name] != nil {
					attrs = append(attrs, balancerAttr{other, a[name], targetGroupTypes})
				}
			}
			if a["elb"] != nil {
				attrs = append(attrs, balancerAttr{other, a["elb"], []string{classicELB}})
			}
		}
	}
	lb := r.balancerHealth(attrs)
	if lb.covered {
		return Health{LoadBalancer: true}
	}
	r.reportUnresolved(joinAddr(in.addr, res.addr()), lb.unresolved)
	fixes := lb.fixes
	if !lb.found {
		fixes = append(fixes, "attach it to an aws_lb_target_group that has a health_check block (target_group_arns, or an aws_autoscaling_attachment)")
	}
	return Health{Missing: strings.Join(fixes, ", or ")}
}

// kubernetesHealth requires a readiness_probe and a liveness_probe block on
// every container of the pod template, as package inspect's probes check
// requires of manifests:
// https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/deployment_v1#container
func (r *reader) kubernetesHealth(specs []*hcl.Block, addr string) Health {
	var containers []*hcl.Block
	for _, spec := range specs {
		for _, tmpl := range r.blocks(spec.Body, "template", addr) {
			for _, podSpec := range r.blocks(tmpl.Body, "spec", addr) {
				containers = append(containers, r.blocks(podSpec.Body, "container", addr)...)
			}
		}
	}
	if len(containers) == 0 {
		return Health{Missing: "declare its containers, with readiness_probe and liveness_probe blocks, in spec.template.spec.container"}
	}
	h := Health{Readiness: true, Liveness: true}
	var fixes []string
	for _, c := range containers {
		var missing []string
		for _, probe := range []string{"readiness_probe", "liveness_probe"} {
			if len(r.blocks(c.Body, probe, addr)) == 0 {
				missing = append(missing, probe)
				if probe == "readiness_probe" {
					h.Readiness = false
				} else {
					h.Liveness = false
				}
			}
		}
		if len(missing) > 0 {
			name := "container"
			if a := attributes(c.Body, "name")["name"]; a != nil {
				name = "container " + r.text(a.Expr.Range())
			}
			fixes = append(fixes, fmt.Sprintf("add %s to %s (%s:%d)", strings.Join(missing, " and "), name, c.DefRange.Filename, c.DefRange.Start.Line))
		}
	}
	h.Missing = strings.Join(fixes, "; ")
	return h
}
