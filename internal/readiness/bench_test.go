package readiness

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/launchgate/launchgate/internal/policy"
)

// benchRepo generates the repository the README's benchmark figures are
// for: 5,000 files, 10 workloads rendered in 5 kustomize environments, and
// the example service's launch kit.
func benchRepo(b *testing.B) fstest.MapFS {
	fsys := fstest.MapFS{}
	add := func(name, data string) { fsys[name] = &fstest.MapFile{Data: []byte(data)} }
	example := "../../examples/ready-service"
	for _, name := range []string{"Dockerfile", "launch/deployment.md", "launch/security-review.md", "launch/monitoring.md",
		"launch/scaling.md", "launch/recovery.md", "loadtest/orders.k6.js", ".github/workflows/ci.yml", "deploy/base/alerts.yaml"} {
		data, err := os.ReadFile(filepath.Join(example, filepath.FromSlash(name)))
		if err != nil {
			b.Fatal(err)
		}
		add(name, string(data))
	}
	resources := "  - alerts.yaml\n"
	for w := 0; w < 10; w++ {
		add(fmt.Sprintf("deploy/base/svc%d.yaml", w), fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc%d
spec:
  replicas: 2
  selector: {matchLabels: {app: svc%d}}
  template:
    metadata: {labels: {app: svc%d}}
    spec:
      containers:
        - name: app
          image: example.com/svc%d:1
          readinessProbe: {httpGet: {path: /readyz, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
`, w, w, w, w))
		resources += fmt.Sprintf("  - svc%d.yaml\n", w)
	}
	add("deploy/base/kustomization.yaml", "resources:\n"+resources)
	for _, env := range []string{"production", "uat", "integration", "ci", "development"} {
		add("deploy/overlays/"+env+"/kustomization.yaml", "namespace: "+env+"\nresources:\n  - ../../base\n")
	}
	for i := 0; len(fsys) < 5000; i++ {
		add(fmt.Sprintf("src/pkg%d/file%d.go", i/50, i), fmt.Sprintf("package pkg%d\n\nfunc F%d() int { return %d }\n", i/50, i, i))
	}
	return fsys
}

func BenchmarkEvaluateDefaultPolicy(b *testing.B) {
	pol, err := policy.Default()
	if err != nil {
		b.Fatal(err)
	}
	fsys := benchRepo(b)
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	// The generated repository must pass every automatic check, or the
	// benchmark would measure an early failure instead of a full run.
	for _, r := range Evaluate(pol, Snapshot{FS: fsys}, now).Requirements {
		if r.Status == Fail {
			b.Fatalf("requirement %s fails on the benchmark repository: %+v", r.ID, r.Checks)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Evaluate(pol, Snapshot{FS: fsys}, now)
	}
}
