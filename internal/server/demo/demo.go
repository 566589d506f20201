// Package demo is the repository `launchgate demo` plays a launch pull
// request on: an orders service whose launch kit starts half written and is
// completed push by push, until every automatic check passes and only the
// people's sign-offs and approvals are left; then people review and tick
// the checklist, some of them without the right to, until the launch is
// ready.
//
// The finished service under service/ is examples/ready-service, with the
// recovery drill dated relative to the demo's clock so that it never ages
// past the policy's 365 days.
package demo

import (
	"embed"
	"io/fs"
	"maps"
	"strings"
	"time"

	"github.com/launchgate/launchgate/templates"
)

//go:embed all:service
var service embed.FS

// Push is one commit pushed to the pull request's branch.
type Push struct {
	Message string
	Files   map[string]string
}

// Story is the demo's repository and pull request.
type Story struct {
	Owner, Repo   string
	DefaultBranch string
	// Main is the default branch: the service before its launch.
	Main map[string]string
	// Branch is the pull request's head branch; Opened its files (added to
	// Main's) when the pull request opens.
	Branch string
	Opened map[string]string
	Title  string
	Labels []string
	// Pushes fix the launch kit step by step.
	Pushes []Push
	// Teams are the organisation's teams and their members.
	Teams []Team
	// Acts are what people do once the kit is complete.
	Acts []Act
	// Pending are the launch PRs `launchgate demo --web` opens once the
	// story's PR is merged, and leaves open for the pages to show.
	Pending Pending
}

// Pending are two launch PRs left open: one failing and waiting for every
// team, one waiting for a team alone.
type Pending struct {
	// Repo is another private repository of the organisation, its default
	// branch Main; its launch PR, from Branch with the Labels and titled
	// Title, adds Opened, the kit as half written as the first PR's was, so
	// it fails and waits for every team.
	Repo, Title string
	// Followup is a second launch PR to the story's repository, from
	// FollowupBranch, titled by its message; its kit is complete since the
	// merge, and after FollowupActs it waits for infra alone.
	FollowupBranch string
	Followup       Push
	FollowupActs   []Act
}

// Team is a team of the organisation.
type Team struct {
	Slug    string
	Members []string
}

// Act is one person's review of the launch PR or one edit of its
// checklist comment.
type Act struct {
	Message string
	Login   string
	// Approve submits an approving review; otherwise Tick lists the
	// checklist items the person ticks in one edit.
	Approve bool
	Tick    []string
}

// Kit is the pull request's files once every push is in.
func (s Story) Kit() map[string]string {
	files := map[string]string{}
	maps.Copy(files, s.Opened)
	for _, p := range s.Pushes {
		maps.Copy(files, p.Files)
	}
	return files
}

// Tick ticks item's box in a checklist comment body as GitHub's task list
// does when a box is clicked ("- [ ]" becomes "- [x]"), and reports
// whether the box was there unticked.
func Tick(body, item string) (string, bool) {
	box := "- [ ] `" + item + "`"
	if !strings.Contains(body, box) {
		return body, false
	}
	return strings.Replace(body, box, "- [x] `"+item+"`", 1), true
}

// New returns the story. now dates the recovery drill (a month earlier).
func New(now time.Time) Story {
	final := finalFiles(now.AddDate(0, -1, 0))
	pick := func(paths ...string) map[string]string {
		m := map[string]string{}
		for _, p := range paths {
			m[p] = final[p]
		}
		return m
	}
	with := func(m map[string]string, more map[string]string) map[string]string {
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	return Story{
		Owner: "acme", Repo: "orders", DefaultBranch: "main",
		Main: map[string]string{
			"Dockerfile":                                     final["Dockerfile"],
			"cmd/orders/main.go":                             mainGo,
			".github/workflows/ci.yml":                       ciWithoutLoadTest,
			"deploy/base/deployment.yaml":                    deploymentOneReplicaNoProbes,
			"deploy/base/service.yaml":                       final["deploy/base/service.yaml"],
			"deploy/base/kustomization.yaml":                 baseWithoutAlerts,
			"deploy/overlays/production/kustomization.yaml":  productionWithoutAutoscaler,
			"deploy/overlays/development/kustomization.yaml": final["deploy/overlays/development/kustomization.yaml"],
		},
		Branch: "launch-orders",
		Title:  "Launch the orders service",
		Labels: []string{"launch"},
		// Deployment and security are written; monitoring and scaling are
		// still the kit `launchgate init` writes; recovery is missing.
		Opened: with(pick("launch/deployment.md", "launch/security-review.md"), map[string]string{
			"launch/monitoring.md": kitTemplate("monitoring.md"),
			"launch/scaling.md":    kitTemplate("scaling.md"),
		}),
		Pushes: []Push{
			{"Add deployment config for uat, integration and ci", pick(
				"deploy/overlays/uat/kustomization.yaml",
				"deploy/overlays/integration/kustomization.yaml",
				"deploy/overlays/ci/kustomization.yaml")},
			{"Add health probes, an alert rule and the monitoring doc", with(pick(
				"deploy/base/alerts.yaml", "deploy/base/kustomization.yaml", "launch/monitoring.md"),
				map[string]string{"deploy/base/deployment.yaml": deploymentOneReplica})},
			{"Run two replicas everywhere, load test in CI, write the scaling doc", pick(
				"deploy/base/deployment.yaml", "deploy/overlays/production/kustomization.yaml",
				"deploy/overlays/production/hpa.yaml", "loadtest/orders.k6.js",
				".github/workflows/ci.yml", "launch/scaling.md")},
			{"Write the backup and recovery doc, with last month's drill", pick("launch/recovery.md")},
		},
		Teams: []Team{{Slug: "security", Members: []string{"sam"}}, {Slug: "infra", Members: []string{"ian", "ivy"}}},
		Acts: []Act{
			{Message: "mallory, in neither team, approves", Login: "mallory", Approve: true},
			{Message: "ian (infra) ticks the security team's item", Login: "ian", Tick: []string{"security-review-done"}},
			{Message: "sam (security) approves", Login: "sam", Approve: true},
			{Message: "ian (infra) approves", Login: "ian", Approve: true},
			{Message: "sam (security) ticks the security review", Login: "sam", Tick: []string{"security-review-done"}},
			{Message: "ivy (infra) ticks the alerts, the load test and the recovery drill", Login: "ivy",
				Tick: []string{"alerts-fired", "load-test-results", "recovery-repeats"}},
		},
		Pending: Pending{
			Repo: "payments", Title: "Launch the payments service",
			FollowupBranch: "orders-second-region",
			Followup: Push{"Run orders in a second region", map[string]string{
				"launch/scaling.md": final["launch/scaling.md"] + secondRegion}},
			FollowupActs: []Act{
				{Message: "sam (security) approves", Login: "sam", Approve: true},
				{Message: "sam (security) ticks the security review", Login: "sam", Tick: []string{"security-review-done"}},
			},
		},
	}
}

// finalFiles reads the finished service, the drill dated drill.
func finalFiles(drill time.Time) map[string]string {
	files := map[string]string{}
	err := fs.WalkDir(service, "service", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := service.ReadFile(path)
		if err != nil {
			return err
		}
		files[strings.TrimPrefix(path, "service/")] = strings.ReplaceAll(string(data), "DRILL_DATE", drill.Format(time.DateOnly))
		return nil
	})
	if err != nil {
		panic("demo: embedded service unreadable: " + err.Error()) // embedded at build time
	}
	return files
}

func kitTemplate(name string) string {
	data, err := templates.Launch.ReadFile("launch/" + name)
	if err != nil {
		panic("demo: launch kit template " + name + " missing: " + err.Error()) // embedded at build time
	}
	return string(data)
}

// secondRegion is the follow-up launch PR's change to the scaling doc.
const secondRegion = `
## Second region
A second region serves the same traffic, behind the same autoscaler limits,
so that losing one region halves capacity rather than ending the service.
`

const mainGo = `package main

import (
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	http.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	log.Fatal(http.ListenAndServe(":8080", nil))
}
`

const ciWithoutLoadTest = `name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with: {go-version: '1.26'}
      - run: go test ./...
`

const deploymentOneReplicaNoProbes = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  labels: {app: orders}
spec:
  replicas: 1
  selector:
    matchLabels: {app: orders}
  template:
    metadata:
      labels: {app: orders}
    spec:
      containers:
        - name: orders
          image: registry.example.com/orders:1.4.2
          ports: [{containerPort: 8080}]
`

const deploymentOneReplica = deploymentOneReplicaNoProbes + `          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
`

const baseWithoutAlerts = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
`

const productionWithoutAutoscaler = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: orders-production
resources:
  - ../../base
`
