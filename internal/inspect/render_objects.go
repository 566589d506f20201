package inspect

import (
	"fmt"
)

// manifest is one Kubernetes object: a yaml.v3 node from a file, or a node
// of kustomize's yaml library (the same decoder API).
type manifest struct {
	node interface{ Decode(v any) error }
	path string
	line int
}

type objectHeader struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
}

// podController is the part of a workload the checks read; decoding only
// these fields keeps unrelated (custom) fields from failing the decode.
type podController struct {
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Template struct {
			Spec struct {
				Containers []struct {
					Name           string         `yaml:"name"`
					ReadinessProbe map[string]any `yaml:"readinessProbe"`
					LivenessProbe  map[string]any `yaml:"livenessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type autoscaler struct {
	Spec struct {
		MinReplicas    *int `yaml:"minReplicas"`
		ScaleTargetRef struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
	} `yaml:"spec"`
}

// podControllerKinds are the built-in kinds with a pod template. Objects of
// other kinds (Argo Rollouts, ...) count as workloads when they have
// spec.template.spec.containers.
var podControllerKinds = map[string]bool{
	"Deployment": true, "StatefulSet": true, "DaemonSet": true,
	"ReplicaSet": true, "ReplicationController": true,
}

type hpaRef struct {
	name string
	min  *int
}

// buildWorkloads turns objects into workloads, applying autoscalers.
// rendered names the build for rendered objects ("" for files); locate
// finds their source, since rendered objects have no position.
func buildWorkloads(objs []manifest, rendered string, locate func(kind, name string) (string, int)) ([]Workload, []Finding) {
	var (
		ws    []Workload
		errs  []Finding
		hpas  = map[string]hpaRef{}
		where = func(m manifest) string {
			if rendered != "" {
				return rendered
			}
			return m.path
		}
	)
	for _, m := range objs {
		var h objectHeader
		if err := m.node.Decode(&h); err != nil || h.Kind == "" {
			continue // not a Kubernetes object (kustomize has validated rendered ones)
		}
		p, line := m.path, m.line
		if locate != nil {
			p, line = locate(h.Kind, h.Metadata.Name)
		}
		fail := func(what string, err error) {
			errs = append(errs, Finding{Path: p, Line: line, Message: fmt.Sprintf(
				"%s %s in %s: %s: %s", h.Kind, h.Metadata.Name, where(m), what, decodeErrorText(err))})
		}
		if h.Kind == "HorizontalPodAutoscaler" {
			var a autoscaler
			if err := m.node.Decode(&a); err != nil {
				fail("not a valid HorizontalPodAutoscaler", err)
				continue
			}
			hpas[objectKey(a.Spec.ScaleTargetRef.Kind, h.Metadata.Namespace, a.Spec.ScaleTargetRef.Name)] = hpaRef{h.Metadata.Name, a.Spec.MinReplicas}
			continue
		}
		var pc podController
		if err := m.node.Decode(&pc); err != nil {
			if podControllerKinds[h.Kind] {
				fail("not a valid workload", err)
			}
			continue
		}
		if !podControllerKinds[h.Kind] && len(pc.Spec.Template.Spec.Containers) == 0 {
			continue
		}
		w := Workload{Kind: h.Kind, Name: h.Metadata.Name, Namespace: h.Metadata.Namespace, Path: p, Line: line,
			Replicas: 1, ReplicasFrom: "spec.replicas unset in " + where(m) + " (Kubernetes defaults to 1)"}
		if r := pc.Spec.Replicas; r != nil {
			w.Replicas, w.ReplicasFrom = *r, "spec.replicas in "+where(m)
		}
		for _, c := range pc.Spec.Template.Spec.Containers {
			w.Containers = append(w.Containers, Container{Name: c.Name, Readiness: len(c.ReadinessProbe) > 0, Liveness: len(c.LivenessProbe) > 0})
		}
		ws = append(ws, w)
	}
	for i, w := range ws {
		hpa, ok := hpas[objectKey(w.Kind, w.Namespace, w.Name)]
		if !ok {
			continue
		}
		ws[i].Replicas, ws[i].ReplicasFrom = 1, "HorizontalPodAutoscaler "+hpa.name+" without minReplicas (defaults to 1)"
		if hpa.min != nil {
			ws[i].Replicas, ws[i].ReplicasFrom = *hpa.min, "HorizontalPodAutoscaler "+hpa.name+" minReplicas"
		}
	}
	return ws, errs
}

func objectKey(kind, namespace, name string) string {
	return kind + "/" + namespace + "/" + name
}
