package readiness

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/launchgate/launchgate/internal/policy"
)

// benchRepo generates the repositories the README's benchmark figures are
// for: 5,000 files, the example service's launch kit, and 10 workloads in 5
// environments, deployed by deploy (kubernetes: a kustomize base and an
// overlay per environment; terraform: a root module calling a service
// module ten times, with a .tfvars file per environment).
func benchRepo(b *testing.B, deploy string) fstest.MapFS {
	fsys := fstest.MapFS{}
	add := func(name, data string) { fsys[name] = &fstest.MapFile{Data: []byte(data)} }
	example := "../../examples/ready-service"
	kit := []string{"Dockerfile", "launch/deployment.md", "launch/security-review.md", "launch/monitoring.md",
		"launch/scaling.md", "launch/recovery.md", "loadtest/orders.k6.js", ".github/workflows/ci.yml"}
	if deploy == "kubernetes" {
		kit = append(kit, "deploy/base/alerts.yaml")
	}
	for _, name := range kit {
		data, err := os.ReadFile(filepath.Join(example, filepath.FromSlash(name)))
		if err != nil {
			b.Fatal(err)
		}
		add(name, string(data))
	}
	envs := []string{"production", "uat", "integration", "ci", "development"}
	switch deploy {
	case "kubernetes":
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
		for _, env := range envs {
			add("deploy/overlays/"+env+"/kustomization.yaml", "namespace: "+env+"\nresources:\n  - ../../base\n")
		}
	case "terraform":
		add("terraform/modules/service/main.tf", `variable "name" {
  type = string
}

variable "tasks" {
  type = number
}

resource "aws_lb_target_group" "this" {
  name = var.name
  health_check {
    path = "/healthz"
  }
}

resource "aws_ecs_service" "this" {
  name          = var.name
  desired_count = var.tasks
  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = "app"
    container_port   = 8080
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-5xx"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 10
}
`)
		root := "variable \"tasks\" {\n  type = number\n}\n"
		for w := 0; w < 10; w++ {
			root += fmt.Sprintf("\nmodule \"svc%d\" {\n  source = \"./modules/service\"\n  name   = \"svc%d\"\n  tasks  = var.tasks\n}\n", w, w)
		}
		add("terraform/main.tf", root)
		for _, env := range envs {
			add("terraform/envs/"+env+".tfvars", "tasks = 2\n")
		}
	}
	for i := 0; len(fsys) < 5000; i++ {
		add(fmt.Sprintf("src/pkg%d/file%d.go", i/50, i), fmt.Sprintf("package pkg%d\n\nfunc F%d() int { return %d }\n", i/50, i, i))
	}
	return fsys
}

// listedFS serves a MapFS's directory listings from an index, as the
// App's head tree does (githubapi's headFS keeps each directory's
// entries). fstest.MapFS lists a directory by scanning every file of the
// map, which over 5,000 files made listing the tree half of a benchmark
// evaluation and measured fstest rather than launchgate.
type listedFS struct {
	fstest.MapFS
	dirs map[string][]fs.DirEntry
}

func newListedFS(fsys fstest.MapFS) listedFS {
	l := listedFS{MapFS: fsys, dirs: map[string][]fs.DirEntry{}}
	for name := range fsys {
		for dir := path.Dir(name); ; dir = path.Dir(dir) {
			if _, seen := l.dirs[dir]; seen {
				break
			}
			l.dirs[dir] = nil
			if dir == "." {
				break
			}
		}
	}
	for name := range fsys {
		l.dirs[path.Dir(name)] = append(l.dirs[path.Dir(name)], dirEntry(fsys, name))
	}
	for dir := range l.dirs {
		if dir != "." {
			l.dirs[path.Dir(dir)] = append(l.dirs[path.Dir(dir)], dirEntry(fsys, dir))
		}
	}
	for _, entries := range l.dirs {
		slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	return l
}

func dirEntry(fsys fstest.MapFS, name string) fs.DirEntry {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		panic(err) // every name is a file of fsys or a directory above one
	}
	return fs.FileInfoToDirEntry(info)
}

func (l listedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, ok := l.dirs[name]
	if !ok {
		return l.MapFS.ReadDir(name)
	}
	return slices.Clone(entries), nil
}

func BenchmarkEvaluateDefaultPolicy(b *testing.B) {
	pol, err := policy.Default()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, bench := range []struct {
		name, deploy string
		// editBase changes a base manifest before each evaluation, as a
		// push that changes the deployment does, so that no kustomize
		// build of an earlier evaluation can be reused.
		editBase bool
	}{
		{name: "kubernetes", deploy: "kubernetes"},
		{name: "terraform", deploy: "terraform"},
		{name: "kubernetes-edited", deploy: "kubernetes", editBase: true},
	} {
		b.Run(bench.name, func(b *testing.B) {
			fsys := benchRepo(b, bench.deploy)
			// The generated repository must pass every automatic check, or
			// the benchmark would measure an early failure instead of a
			// full run.
			tree := newListedFS(fsys)
			for _, r := range Evaluate(pol, Snapshot{FS: tree}, now).Requirements {
				if r.Status == Fail {
					b.Fatalf("requirement %s fails on the benchmark repository: %+v", r.ID, r.Checks)
				}
			}
			base := fsys["deploy/base/svc0.yaml"]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if bench.editBase {
					fsys["deploy/base/svc0.yaml"] = &fstest.MapFile{Data: fmt.Appendf(bytes.Clone(base.Data), "# edit %d\n", i)}
				}
				Evaluate(pol, Snapshot{FS: tree}, now)
			}
		})
	}
}
