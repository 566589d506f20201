package terraform

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// kubernetesWorkloadTypes are the Kubernetes provider resources that run
// pods:
// https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/deployment_v1
// https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/stateful_set_v1
var kubernetesWorkloadTypes = map[string]bool{
	"kubernetes_deployment": true, "kubernetes_deployment_v1": true,
	"kubernetes_stateful_set": true, "kubernetes_stateful_set_v1": true,
}

// scalable is an ECS service or Kubernetes workload instance, which an
// autoscaler may target, while autoscalers are matched to it.
type scalable struct {
	w   Workload
	ref resourceRef
	rep repetition
	// scaled is set once an autoscaler has set Replicas.
	scaled bool
	// name is the evaluated name, read only when an autoscaler names its
	// target by a literal.
	name     string
	nameRead bool
}

// collect reads the workloads and alarms of every module instance.
func (r *reader) collect() {
	var scalables []*scalable
	for _, in := range r.instances {
		for _, res := range in.mod.resources {
			if !(res.typ == "aws_ecs_service" || res.typ == "aws_autoscaling_group" ||
				kubernetesWorkloadTypes[res.typ] || res.typ == "aws_cloudwatch_metric_alarm") {
				continue
			}
			reps, ok := r.repetitions(in, res.count, res.forEach, res.addr())
			if !ok {
				continue
			}
			for _, rep := range reps {
				switch {
				case res.typ == "aws_ecs_service":
					scalables = append(scalables, r.ecsService(in, res, rep))
				case res.typ == "aws_autoscaling_group":
					r.env.Workloads = append(r.env.Workloads, r.autoscalingGroup(in, res, rep))
				case kubernetesWorkloadTypes[res.typ]:
					scalables = append(scalables, r.kubernetesWorkload(in, res, rep))
				default:
					r.env.Alarms = append(r.env.Alarms, r.alarm(in, res, rep))
				}
			}
		}
	}
	r.applyAutoscaling(scalables)
	for _, s := range scalables {
		r.env.Workloads = append(r.env.Workloads, s.w)
	}
}

func newWorkload(in *instance, res *resource, rep repetition) Workload {
	at := res.block.DefRange
	return Workload{Address: in.resourceAddr(res, rep), Type: res.typ, Path: at.Filename, Line: at.Start.Line}
}

// setReplicas records the replica count and where it is set.
func (w *Workload) setReplicas(n int, p string, line int, from string) {
	w.Replicas, w.ReplicasPath, w.ReplicasLine, w.ReplicasFrom = n, p, line, from
}

// unsetReplicas records a provider default for an attribute not written.
func (w *Workload) unsetReplicas(n int, why string) {
	w.setReplicas(n, w.Path, w.Line, why)
}

// replicas evaluates a replica count attribute. One that cannot be read
// counts 0, so it never passes; the reason is a Diagnostic.
func (r *reader) replicas(w *Workload, in *instance, rep repetition, a *hcl.Attribute, lhs string) {
	v, ok := r.eval(in, rep, a.Expr, lhs)
	if !ok {
		w.setReplicas(0, a.Range.Filename, a.Range.Start.Line, lhs+" could not be read")
		return
	}
	n, err := wholeNumber(v.val)
	if err != nil {
		r.diag(v.path, v.line, fmt.Sprintf("%s of %s %s (%s)", lhs, w.Address, err, v.from()))
		w.setReplicas(0, v.path, v.line, lhs+" could not be read")
		return
	}
	w.setReplicas(n, v.path, v.line, v.from())
}

// ecsService reads desired_count, which the provider defaults to 0:
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_service
// A DAEMON service has no desired_count: it runs one task per container
// instance of its cluster, a number that depends on the cluster's capacity
// when Terraform runs. It counts 0 replicas, so it fails a replicas check
// rather than passing on a guess, with ReplicasFrom saying why.
func (r *reader) ecsService(in *instance, res *resource, rep repetition) *scalable {
	s := &scalable{w: newWorkload(in, res, rep), ref: resourceRef{in, res}, rep: rep}
	attrs := attributes(res.block.Body, "desired_count", "scheduling_strategy", "task_definition")
	switch strategy := attrs["scheduling_strategy"]; {
	case strategy != nil && !r.replicaStrategy(&s.w, in, rep, strategy):
		// A DAEMON (or unreadable) strategy: replicaStrategy recorded why.
	case attrs["desired_count"] != nil:
		r.replicas(&s.w, in, rep, attrs["desired_count"], "desired_count")
	default:
		s.w.unsetReplicas(0, "desired_count is not set, and the AWS provider's default is 0")
	}
	s.w.Health = r.ecsHealth(in, res, rep, attrs["task_definition"])
	return s
}

// replicaStrategy reports whether scheduling_strategy is REPLICA; for any
// other strategy, or one that cannot be read, it records 0 replicas.
func (r *reader) replicaStrategy(w *Workload, in *instance, rep repetition, a *hcl.Attribute) bool {
	v, ok := r.eval(in, rep, a.Expr, "scheduling_strategy")
	switch {
	case !ok:
		w.setReplicas(0, a.Range.Filename, a.Range.Start.Line, "scheduling_strategy could not be read")
	case !isString(v.val, "REPLICA"):
		w.setReplicas(0, v.path, v.line, v.from()+": this strategy runs one task per container instance of the cluster, "+
			"a number launchgate cannot read statically; use the REPLICA strategy with a desired_count")
	default:
		return true
	}
	return false
}

// autoscalingGroup reads min_size, the fewest instances the group keeps:
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/autoscaling_group
func (r *reader) autoscalingGroup(in *instance, res *resource, rep repetition) Workload {
	w := newWorkload(in, res, rep)
	if a := attributes(res.block.Body, "min_size")["min_size"]; a != nil {
		r.replicas(&w, in, rep, a, "min_size")
	} else {
		w.unsetReplicas(0, "min_size is not set")
	}
	w.Health = r.autoscalingGroupHealth(in, res)
	return w
}

// kubernetesWorkload reads spec.replicas, which the provider types as a
// string and defaults to 1.
func (r *reader) kubernetesWorkload(in *instance, res *resource, rep repetition) *scalable {
	s := &scalable{w: newWorkload(in, res, rep), ref: resourceRef{in, res}, rep: rep}
	specs := r.blocks(res.block.Body, "spec", s.w.Address)
	var replicas *hcl.Attribute
	if len(specs) > 0 {
		replicas = attributes(specs[0].Body, "replicas")["replicas"]
	}
	if replicas != nil {
		r.replicas(&s.w, in, rep, replicas, "spec.replicas")
	} else {
		s.w.unsetReplicas(1, "spec.replicas is not set, and the Kubernetes provider's default is 1")
	}
	s.w.Health = r.kubernetesHealth(specs, s.w.Address)
	return s
}
