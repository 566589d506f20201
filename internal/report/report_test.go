package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

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
	req := func(id string, s readiness.Status) readiness.Requirement {
		return readiness.Requirement{ID: id, Title: "Title of " + id, Status: s}
	}
	many := func(n int, s readiness.Status) []readiness.Requirement {
		var out []readiness.Requirement
		for i := range n {
			out = append(out, req(fmt.Sprintf("requirement-number-%02d", i), s))
		}
		return out
	}
	tests := []struct {
		name string
		reqs []readiness.Requirement
		want string
	}{
		{name: "every failing requirement is named",
			reqs: []readiness.Requirement{req("deployment", readiness.Fail), req("security", readiness.Fail), req("monitoring", readiness.Fail), req("scaling", readiness.Fail), req("recovery", readiness.Fail)},
			want: "0 of 5 ready: deployment, security, monitoring, scaling, recovery incomplete"},
		{name: "failing and pending",
			reqs: []readiness.Requirement{req("deployment", readiness.Pass), req("security", readiness.Fail), req("scaling", readiness.Pending)},
			want: "1 of 3 ready: security incomplete; scaling awaiting sign-off"},
		{name: "only pending",
			reqs: []readiness.Requirement{req("deployment", readiness.Pass), req("scaling", readiness.Pending)},
			want: "1 of 2 ready: scaling awaiting sign-off"},
		{name: "ready", reqs: []readiness.Requirement{req("deployment", readiness.Pass)}, want: "1 of 1 ready to launch"},
		{name: "long lists are counted, pending first",
			reqs: append(many(3, readiness.Fail), many(3, readiness.Pending)...),
			want: "0 of 6 ready: requirement-number-00 and 2 more incomplete; 3 requirements awaiting sign-off"},
		{name: "a very long list keeps a count",
			reqs: many(40, readiness.Fail),
			want: "0 of 40 ready: requirement-number-00, requirement-number-01 and 38 more incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Title(&readiness.Report{Requirements: tt.reqs})
			if got != tt.want {
				t.Errorf("Title = %q, want %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > titleWidth {
				t.Errorf("Title has %d characters, more than %d", n, titleWidth)
			}
		})
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

func TestWaiverShown(t *testing.T) {
	rep := &readiness.Report{Requirements: []readiness.Requirement{{ID: "scaling", Title: "Scaling", Status: readiness.Pass, Checks: []readiness.Check{{
		ID: "replicas", Kind: "replicas", Status: readiness.Waived,
		Findings: []inspect.Finding{{Message: "production: 1 replica"}},
		Waiver:   &readiness.Waiver{By: "ann", Until: "2027-03-01", Reason: "batch job, one replica *by design*", Was: readiness.Fail},
	}}}}}
	var md, text strings.Builder
	if err := Markdown(&md, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Text(&text, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := `waived by @` + "\u200d" + `ann until 2027\-03\-01: batch job, one replica \*by design\*`; !strings.Contains(md.String(), want) {
		t.Errorf("markdown does not show the escaped waiver %q:\n%s", want, md.String())
	}
	out, err := CheckRun(rep, CheckRunOptions{Owner: "acme", Repo: "orders", HeadSHA: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `Waived, so counted as passing until the waiver's date: replicas`; !strings.Contains(out.Summary, want) {
		t.Errorf("the run's summary does not name the waived check:\n%s", out.Summary)
	}
	if want := "~ replicas"; !strings.Contains(text.String(), want) || !strings.Contains(text.String(), "waived by @ann until 2027-03-01: batch job") {
		t.Errorf("text does not show the waiver:\n%s", text.String())
	}
}

func TestWaiverText(t *testing.T) {
	base := readiness.Waiver{By: "ann", Until: "2027-03-01", Reason: "batch job", Was: readiness.Fail}
	tests := []struct {
		name string
		edit func(*readiness.Waiver)
		want string
	}{
		{name: "applies", edit: func(*readiness.Waiver) {}, want: "waived by @ann until 2027-03-01: batch job"},
		{name: "expired", edit: func(w *readiness.Waiver) { w.Expired = true }, want: "waived by @ann until 2027-03-01: batch job — expired on 2027-03-01, so the check counts again"},
		{name: "unverified", edit: func(w *readiness.Waiver) { w.Unverified = true }, want: "waived by @ann until 2027-03-01: batch job (unverified locally: only the App can check that @ann may waive it)"},
		{name: "not needed", edit: func(w *readiness.Waiver) { w.Was = readiness.Pass }, want: "waived by @ann until 2027-03-01: batch job — not needed now: the check passes"},
	}
	for _, tt := range tests {
		w := base
		tt.edit(&w)
		if got := WaiverText(w); got != tt.want {
			t.Errorf("%s: WaiverText = %q, want %q", tt.name, got, tt.want)
		}
	}
}
