package inspect

import (
	"reflect"
	"strings"
	"testing"
)

// memoBase is an overlay on a base, which the cases below change one
// input of between two evaluations.
var memoBase = map[string]string{
	"deploy/base/kustomization.yaml": "resources:\n  - web.yaml\n",
	"deploy/base/web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: example.com/web:1
          readinessProbe: {httpGet: {path: /readyz, port: 8080}}
`,
	"deploy/overlays/production/kustomization.yaml": "namespace: prod\nresources:\n  - ../../base\n",
}

// An evaluation after an unchanged one reuses its kustomize build, and
// one after any change to what the build reads renders exactly what a
// first evaluation of the changed tree does.
func TestBuiltOverlaysFollowTheirInputs(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]string // files replaced ("" removes one)
		reused bool
	}{
		{name: "unchanged", reused: true},
		{name: "file outside the build", change: map[string]string{"deploy/README.md": "notes\n"}, reused: true},
		{name: "base manifest", change: map[string]string{
			"deploy/base/web.yaml": strings.Replace(memoBase["deploy/base/web.yaml"], "replicas: 3", "replicas: 1", 1)}},
		{name: "overlay kustomization", change: map[string]string{
			"deploy/overlays/production/kustomization.yaml": "namespace: other\nresources:\n  - ../../base\n"}},
		{name: "base resource removed", change: map[string]string{"deploy/base/web.yaml": ""}},
		{name: "new directory", change: map[string]string{"deploy/base/extra/x.yaml": "a: 1\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			builtOverlays = newOverlayMemo()
			k8sMapRepo(memoBase).Rendered(defaultLayouts)

			files := map[string]string{}
			for name, data := range memoBase {
				files[name] = data
			}
			for name, data := range tt.change {
				if data == "" {
					delete(files, name)
				} else {
					files[name] = data
				}
			}
			changed := k8sMapRepo(files)
			rd := newRenderer(changed, defaultLayouts)
			if reused := builtOverlays.lookup(rd, "deploy/overlays/production") != nil; reused != tt.reused {
				t.Errorf("earlier build reused: %v, want %v", reused, tt.reused)
			}
			got := changed.Rendered(defaultLayouts)

			builtOverlays = newOverlayMemo()
			want := k8sMapRepo(files).Rendered(defaultLayouts)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after an evaluation of the unchanged tree:\n%+v\nfirst evaluation:\n%+v", got, want)
			}
		})
	}
}
