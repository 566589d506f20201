package report

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/templates"
)

// linesPerFailure bounds a report by its failing requirements: half a
// terminal screen each, findings and fixes one line apiece.
const linesPerFailure = 25

// emptyTextLines bounds the text report of an empty repository, which
// fails every requirement: one screen, since each check's findings say
// what is missing in a line and how to add it in another.
const emptyTextLines = 60

// scaffolded is what `launchgate init` writes: the launch kit.
func scaffolded(t *testing.T) fstest.MapFS {
	t.Helper()
	kit := fstest.MapFS{}
	names, err := fs.Glob(templates.Launch, "launch/*.md")
	if err != nil || len(names) == 0 {
		t.Fatalf("launch kit: %v, %d documents", err, len(names))
	}
	for _, name := range names {
		data, err := fs.ReadFile(templates.Launch, name)
		if err != nil {
			t.Fatal(err)
		}
		kit[name] = &fstest.MapFile{Data: data}
	}
	return kit
}

// halfDone is a scaffolded repository with a Dockerfile, a production
// overlay whose workload has one replica and no probes, and a rule file
// whose expression does not parse.
func halfDone(t *testing.T) fstest.MapFS {
	repo := scaffolded(t)
	for name, data := range map[string]string{
		"Dockerfile":                                    "FROM scratch\n",
		"deploy/base/kustomization.yaml":                "resources: [deployment.yaml]\n",
		"deploy/base/deployment.yaml":                   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:1\n",
		"deploy/overlays/production/kustomization.yaml": "resources: [../../base]\n",
		"monitoring/api.rules.yml":                      "groups:\n  - name: api\n    rules:\n      - alert: Errors\n        expr: rate(http_errors_total[5m] > 1\n",
	} {
		repo[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return repo
}

// TestReportFitsAScreenPerFailingRequirement: the text and markdown
// reports of an empty, a freshly scaffolded and a half-done repository
// take at most half a screen of lines per failing requirement, none wider
// than Width; the text of an empty repository fits one screen, its missing
// environments grouped on one line.
func TestReportFitsAScreenPerFailingRequirement(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, repo := range []struct {
		name string
		fsys fstest.MapFS
	}{
		{name: "empty", fsys: fstest.MapFS{}},
		{name: "scaffolded", fsys: scaffolded(t)},
		{name: "half done", fsys: halfDone(t)},
	} {
		rep := readiness.Evaluate(pol, readiness.Snapshot{FS: repo.fsys}, now)
		failing := 0
		for _, r := range rep.Requirements {
			if r.Status == readiness.Fail {
				failing++
			}
		}
		if failing == 0 {
			t.Fatalf("%s: no requirement fails; the repository tests nothing", repo.name)
		}
		for _, format := range []struct {
			name   string
			render func(*bytes.Buffer) error
		}{
			{name: "text", render: func(b *bytes.Buffer) error { return Text(b, rep, Options{Dir: ".", PolicySource: pol.Source}) }},
			{name: "markdown", render: func(b *bytes.Buffer) error { return Markdown(b, rep, Options{PolicySource: pol.Source}) }},
		} {
			t.Run(repo.name+"/"+format.name, func(t *testing.T) {
				var b bytes.Buffer
				if err := format.render(&b); err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
				max := linesPerFailure * failing
				if repo.name == "empty" && format.name == "text" {
					max = emptyTextLines
					if want := "no deployment configuration for production, uat, integration, ci, development\n"; !strings.Contains(b.String(), want) {
						t.Errorf("the missing environments are not grouped as %q:\n%s", want, b.String())
					}
				}
				if len(lines) > max {
					t.Errorf("%d lines for %d failing requirements, want at most %d:\n%s", len(lines), failing, max, b.String())
				}
				for i, l := range lines {
					if n := utf8.RuneCountInString(l); n > Width && !strings.HasPrefix(l, "|") {
						t.Errorf("line %d has %d columns, want at most %d: %q", i+1, n, Width, l)
					}
				}
			})
		}
	}
}
