package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/readiness"
)

func hostileReport() *readiness.Report {
	return &readiness.Report{Requirements: []readiness.Requirement{
		{ID: "security", Title: "Security review", Status: readiness.Fail, Checks: []readiness.Check{{
			ID: "doc", Kind: "document", Status: readiness.Fail,
			Findings: []inspect.Finding{{
				Path:    "launch/<img src=x onerror=alert(1)>|`.md",
				Line:    3,
				Message: "heading '@acme/security [click](javascript:alert(1)) **bold** <script>' #12",
			}},
		}}},
		{ID: "scaling", Title: "Scaling", Status: readiness.Pending, Checks: []readiness.Check{{
			ID: "load", Kind: "signoff", Status: readiness.Pending, Team: "infra",
			Findings: []inspect.Finding{{Message: "waiting for infra"}},
		}}},
	}}
}

func TestMarkdownEscapesRepositoryText(t *testing.T) {
	var buf bytes.Buffer
	if err := Markdown(&buf, hostileReport(), Options{PolicySource: "repo@sha:.github/launchgate.yml"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<img", "<script", "@acme/security", "](javascript:", "**bold**", "#12"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown carries %q unescaped:\n%s", bad, out)
		}
	}
	// The table must keep its shape: a | in text would add a column.
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(line, " | ") != 2 && !strings.HasPrefix(line, "| ---") {
			t.Errorf("table row has the wrong number of cells: %q", line)
		}
	}
}

func TestMarkdownLinks(t *testing.T) {
	var buf bytes.Buffer
	link := func(path string, line int) string { return "https://example.test/blob/sha/" + path }
	rep := &readiness.Report{Requirements: []readiness.Requirement{{ID: "r", Title: "R", Status: readiness.Fail,
		Checks: []readiness.Check{{ID: "c", Kind: "document", Status: readiness.Fail,
			Findings: []inspect.Finding{{Path: "launch/recovery.md", Line: 12, Message: "thin"}}}}}}}
	if err := Markdown(&buf, rep, Options{Link: link}); err != nil {
		t.Fatal(err)
	}
	if want := `[launch/recovery\.md:12](https://example.test/blob/sha/launch/recovery.md): thin`; !strings.Contains(buf.String(), want) {
		t.Errorf("markdown lacks %q:\n%s", want, buf.String())
	}
}

func TestTitle(t *testing.T) {
	req := func(title string, s readiness.Status) readiness.Requirement {
		return readiness.Requirement{Title: title, Status: s}
	}
	tests := []struct {
		reqs []readiness.Requirement
		want string
	}{
		{[]readiness.Requirement{req("Deployment", readiness.Pass), req("Security review", readiness.Fail), req("Scaling", readiness.Pending)},
			"1 of 3 ready - security review incomplete"},
		{[]readiness.Requirement{req("Deployment", readiness.Pass), req("Scaling", readiness.Pending)},
			"1 of 2 ready - scaling awaiting sign-off"},
		{[]readiness.Requirement{req("Scaling", readiness.Pending), req("Recovery", readiness.Fail)},
			"0 of 2 ready - recovery incomplete"},
		{[]readiness.Requirement{req("Deployment", readiness.Pass)}, "1 of 1 ready - ready to launch"},
	}
	for _, tt := range tests {
		if got := Title(&readiness.Report{Requirements: tt.reqs}); got != tt.want {
			t.Errorf("Title = %q, want %q", got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, hostileReport(), Options{Dir: "svc", PolicySource: "embedded default policy"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"launchgate check svc", "✗ Security review [security]: FAIL", "launch/<img src=x onerror=alert(1)>|`.md:3: heading", "○ Scaling [scaling]: PENDING", "0 of 2 ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := map[string]string{
		"plain words": "plain words",
		"a_b*c":       `a\_b\*c`,
		"<b>&":        "&lt;b&gt;&amp;",
		"@team":       "@\u200dteam",
		"line\nbreak": "line break",
		"[x](y)":      `\[x\]\(y\)`,
		"col|umn":     `col\|umn`,
	}
	for in, want := range tests {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}
