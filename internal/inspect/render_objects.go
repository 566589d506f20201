package inspect

import (
	"fmt"
)

// manifest is one Kubernetes object: a yaml.v3 node from a file, or a node
// of kustomize's yaml library (the same decoder API).
type manifest struct {
	node interface{ Decode(v any) error }
	// at is where a file's object is written; rendered objects are traced
	// back through renderedBy instead.
	at origin
}

// renderedBy says how objects were rendered, so that each can be traced
// back to the lines that wrote it.
type renderedBy struct {
	// name names the build in messages: "deploy/overlays/prod (rendered)".
	name string
	// overlay is the overlay's kustomization file, where a value no file
	// explains is reported.
	overlay string
	// declared finds the document that declares an object.
	declared func(kind, name string) origin
	// setBy finds the kustomization entry that set spec.<field> of an
	// object, known by names, to value.
	setBy func(kind string, names []string, field string, value int) (string, int, bool)
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
	at   origin
}

// buildWorkloads turns objects into workloads, applying autoscalers. r is
// nil for objects read from files, which carry their own position.
func buildWorkloads(objs []manifest, r *renderedBy) ([]Workload, []Finding) {
	var (
		ws    []Workload
		errs  []Finding
		hpas  = map[string]hpaRef{}
		where = func(m manifest) string {
			if r != nil {
				return r.name
			}
			return m.at.path
		}
	)
	for _, m := range objs {
		var h objectHeader
		if err := m.node.Decode(&h); err != nil || h.Kind == "" {
			continue // not a Kubernetes object (kustomize has validated rendered ones)
		}
		at := m.at
		if r != nil {
			at = r.declared(h.Kind, h.Metadata.Name)
		}
		p, line := at.path, at.line()
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
			hpas[objectKey(a.Spec.ScaleTargetRef.Kind, h.Metadata.Namespace, a.Spec.ScaleTargetRef.Name)] = hpaRef{h.Metadata.Name, a.Spec.MinReplicas, at}
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
			Replicas: 1, ReplicasFrom: "spec.replicas unset in " + where(m) + " (Kubernetes defaults to 1)",
			ReplicasPath: p, ReplicasLine: line}
		if n := pc.Spec.Replicas; n != nil {
			w.Replicas, w.ReplicasFrom = *n, "spec.replicas in "+where(m)
			w.ReplicasPath, w.ReplicasLine = r.fieldAt(at, h.Kind, h.Metadata.Name, "replicas", *n)
		}
		for _, c := range pc.Spec.Template.Spec.Containers {
			ctr := Container{Name: c.Name, Readiness: len(c.ReadinessProbe) > 0, Liveness: len(c.LivenessProbe) > 0, Path: p, Line: line}
			if l := at.containerLine(c.Name); l > 0 {
				ctr.Line = l
			}
			w.Containers = append(w.Containers, ctr)
		}
		ws = append(ws, w)
	}
	for i, w := range ws {
		hpa, ok := hpas[objectKey(w.Kind, w.Namespace, w.Name)]
		if !ok {
			continue
		}
		ws[i].Replicas, ws[i].ReplicasFrom = 1, "HorizontalPodAutoscaler "+hpa.name+" without minReplicas (defaults to 1)"
		ws[i].ReplicasPath, ws[i].ReplicasLine = hpa.at.path, hpa.at.line()
		if hpa.min != nil {
			ws[i].Replicas, ws[i].ReplicasFrom = *hpa.min, "HorizontalPodAutoscaler "+hpa.name+" minReplicas"
			ws[i].ReplicasPath, ws[i].ReplicasLine = r.fieldAt(hpa.at, "HorizontalPodAutoscaler", hpa.name, "minReplicas", *hpa.min)
		}
	}
	return ws, errs
}

// fieldAt locates what set spec.<field> of an object to value: the last
// kustomization entry that did, else the declaration's line when it says
// so. A rendered value no file explains (a replacement, a patch by label)
// is reported at the overlay rather than at a base line that says
// otherwise. r is nil for objects read from files.
func (r *renderedBy) fieldAt(at origin, kind, name, field string, value int) (string, int) {
	if r == nil {
		return at.path, at.fieldLine(field)
	}
	if p, line, ok := r.setBy(kind, []string{name, at.name}, field, value); ok {
		return p, line
	}
	if n, ok := intValue(lookupPath(at.doc, "spec", field)); ok && n == value {
		return at.path, at.fieldLine(field)
	}
	return r.overlay, 0
}

func objectKey(kind, namespace, name string) string {
	return kind + "/" + namespace + "/" + name
}
