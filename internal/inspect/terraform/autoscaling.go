package terraform

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// horizontalPodAutoscalerTypes are the Kubernetes provider's autoscalers:
// https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/horizontal_pod_autoscaler_v2
var horizontalPodAutoscalerTypes = map[string]bool{
	"kubernetes_horizontal_pod_autoscaler": true, "kubernetes_horizontal_pod_autoscaler_v1": true,
	"kubernetes_horizontal_pod_autoscaler_v2": true, "kubernetes_horizontal_pod_autoscaler_v2beta2": true,
}

// kubernetesKinds maps a scale_target_ref kind to the resources of it.
var kubernetesKinds = map[string][]string{
	"Deployment":  {"kubernetes_deployment", "kubernetes_deployment_v1"},
	"StatefulSet": {"kubernetes_stateful_set", "kubernetes_stateful_set_v1"},
}

// applyAutoscaling makes an autoscaler's minimum the effective minimum of
// the workloads it scales, as the autoscaler may bring a workload down to
// it whatever its own count says (package inspect reads a
// HorizontalPodAutoscaler's minReplicas the same way). When several
// autoscalers scale one workload, the lowest minimum counts.
func (r *reader) applyAutoscaling(workloads []*scalable) {
	for _, in := range r.instances {
		for _, res := range in.mod.resources {
			var apply func(*instance, *resource, repetition, []*scalable)
			switch {
			case res.typ == "aws_appautoscaling_target":
				apply = r.appAutoscalingTarget
			case horizontalPodAutoscalerTypes[res.typ]:
				apply = r.horizontalPodAutoscaler
			default:
				continue
			}
			reps, ok := r.repetitions(in, res.count, res.forEach, res.addr())
			if !ok {
				continue
			}
			for _, rep := range reps {
				apply(in, res, rep, workloads)
			}
		}
	}
}

// appAutoscalingTarget applies an Application Auto Scaling target of an
// ECS service; its resource_id is "service/CLUSTER/SERVICE":
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/appautoscaling_target
func (r *reader) appAutoscalingTarget(in *instance, res *resource, rep repetition, workloads []*scalable) {
	attrs := attributes(res.block.Body, "service_namespace", "resource_id", "min_capacity")
	ns, id := attrs["service_namespace"], attrs["resource_id"]
	if ns == nil || id == nil {
		return
	}
	if v, ok := r.eval(in, rep, ns.Expr, "service_namespace"); !ok || !isString(v.val, "ecs") {
		return
	}
	scaled := r.scaledByRef(in, id, workloads, "aws_ecs_service")
	if scaled == nil {
		v, ok := r.eval(in, rep, id.Expr, "resource_id")
		if !ok || v.val.Type() != cty.String || v.val.IsNull() {
			return
		}
		parts := strings.Split(v.val.AsString(), "/")
		if len(parts) != 3 || parts[0] != "service" {
			return
		}
		scaled = r.scaledByName(workloads, parts[2], []string{"aws_ecs_service"})
	}
	r.setMinimum(in, res, rep, scaled, attrs["min_capacity"], "min_capacity", 0)
}

// horizontalPodAutoscaler applies a Kubernetes provider autoscaler to the
// deployment or stateful set its spec.scale_target_ref names;
// spec.min_replicas defaults to 1.
func (r *reader) horizontalPodAutoscaler(in *instance, res *resource, rep repetition, workloads []*scalable) {
	addr := in.resourceAddr(res, rep)
	specs := r.blocks(res.block.Body, "spec", addr)
	if len(specs) == 0 {
		return
	}
	targets := r.blocks(specs[0].Body, "scale_target_ref", addr)
	if len(targets) == 0 {
		return
	}
	target := attributes(targets[0].Body, "kind", "name")
	name := target["name"]
	if name == nil {
		return
	}
	var types []string
	for _, ts := range kubernetesKinds {
		types = append(types, ts...)
	}
	scaled := r.scaledByRef(in, name, workloads, types...)
	if scaled == nil {
		v, ok := r.eval(in, rep, name.Expr, "scale_target_ref.name")
		if !ok || v.val.Type() != cty.String || v.val.IsNull() {
			return
		}
		// A kind that cannot be read matches both kinds: a lower minimum
		// can only make the replicas check stricter.
		if kind := target["kind"]; kind != nil {
			if k, ok := r.eval(in, rep, kind.Expr, "scale_target_ref.kind"); ok && k.val.Type() == cty.String && !k.val.IsNull() {
				types = kubernetesKinds[k.val.AsString()]
			}
		}
		scaled = r.scaledByName(workloads, v.val.AsString(), types)
	}
	r.setMinimum(in, res, rep, scaled, attributes(specs[0].Body, "min_replicas")["min_replicas"], "spec.min_replicas", 1)
}

// scaledByRef are the workloads an autoscaler's attribute refers to by
// resource reference; nil when it refers to none.
func (r *reader) scaledByRef(in *instance, a *hcl.Attribute, workloads []*scalable, types ...string) []*scalable {
	var scaled []*scalable
	for _, ref := range r.refsTo(in, a.Expr, types...) {
		for _, w := range workloads {
			if w.ref == ref {
				scaled = append(scaled, w)
			}
		}
	}
	return scaled
}

// scaledByName are the workloads of the given types whose name is name.
func (r *reader) scaledByName(workloads []*scalable, name string, types []string) []*scalable {
	var scaled []*scalable
	for _, w := range workloads {
		for _, typ := range types {
			if w.w.Type == typ && r.workloadName(w) == name {
				scaled = append(scaled, w)
			}
		}
	}
	return scaled
}

// workloadName evaluates a workload's name once: an ECS service's name, a
// Kubernetes workload's metadata.name; "" when unknown.
func (r *reader) workloadName(w *scalable) string {
	if w.nameRead {
		return w.name
	}
	w.nameRead = true
	body := w.ref.res.block.Body
	if kubernetesWorkloadTypes[w.w.Type] {
		metadata := r.blocks(body, "metadata", w.w.Address)
		if len(metadata) == 0 {
			return ""
		}
		body = metadata[0].Body
	}
	if a := attributes(body, "name")["name"]; a != nil {
		if v, ok := r.eval(w.ref.in, w.rep, a.Expr, "name"); ok && v.val.Type() == cty.String && !v.val.IsNull() {
			w.name = v.val.AsString()
		}
	}
	return w.name
}

// setMinimum reads an autoscaler's minimum (unset means def) and makes it
// the replicas of the workloads it scales, keeping the lowest.
func (r *reader) setMinimum(in *instance, res *resource, rep repetition, scaled []*scalable, minAttr *hcl.Attribute, lhs string, def int) {
	if len(scaled) == 0 {
		return
	}
	min := Workload{Address: in.resourceAddr(res, rep)}
	if minAttr != nil {
		r.replicas(&min, in, rep, minAttr, lhs)
	} else {
		at := res.block.DefRange
		min.setReplicas(def, at.Filename, at.Start.Line, fmt.Sprintf("%s is not set, and its default is %d", lhs, def))
	}
	for _, w := range scaled {
		if w.scaled && w.w.Replicas <= min.Replicas {
			continue
		}
		w.scaled = true
		w.w.setReplicas(min.Replicas, min.ReplicasPath, min.ReplicasLine,
			fmt.Sprintf("%s scales it from %s: %s", min.Address, lhs, min.ReplicasFrom))
	}
}

func isString(v cty.Value, s string) bool {
	return v.Type() == cty.String && !v.IsNull() && v.AsString() == s
}
