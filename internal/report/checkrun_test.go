package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/launchgate/launchgate/internal/checklimits"
	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
)

var testOpts = CheckRunOptions{
	WebURL: "https://github.example.com/", Owner: "acme", Repo: "orders",
	HeadSHA:      "0123456789abcdef0123456789abcdef01234567",
	PolicySource: "acme/orders:.github/launchgate.yml", PolicyDigest: "sha256:feedface", Version: "v9.8.7",
}

func failing(path string, line int, msg string) readiness.Check {
	return readiness.Check{ID: "doc", Kind: "document", Status: readiness.Fail,
		Findings: []inspect.Finding{{Path: path, Line: line, Message: msg}}}
}

// toHTML renders markdown the way GitHub does (CommonMark plus GFM tables,
// autolinks and task lists), raw HTML passed through, so that a test sees
// what a reader's browser would get before GitHub's sanitizer.
func toHTML(t *testing.T, md string) string {
	t.Helper()
	var buf bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert([]byte(md), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var (
	codeElem = regexp.MustCompile(`(?s)<code>.*?</code>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
)

func TestCheckRunCannotBeInjected(t *testing.T) {
	hostile := []struct{ name, path, msg string }{
		{"html", "launch/<img src=x onerror=alert(1)>.md", "heading <img src=x onerror=alert(1)> is empty"},
		{"mention", "launch/@acme/security.md", "ask @acme/security and @alice"},
		{"link", "launch/[x](javascript:alert(1)).md", "see [x](javascript:alert(1)) and <javascript:alert(1)>"},
		{"pipe", "launch/a|b|c.md", "cell | cell | cell"},
		{"backtick", "launch/`code`<b>bold</b>.md", "`<b>bold</b>`"},
		{"newline", "launch/x\n- @acme/security\n# heading.md", "line\n- @acme/security\n# heading"},
		{"reference", "launch/#12.md", "fixes #12 and acme/orders#3"},
	}
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			rep := &readiness.Report{Requirements: []readiness.Requirement{{
				ID: "security", Title: tt.msg, Status: readiness.Fail,
				Checks: []readiness.Check{failing(tt.path, 3, tt.msg)},
			}}}
			out, err := CheckRun(rep, testOpts)
			if err != nil {
				t.Fatal(err)
			}
			for part, md := range map[string]string{"summary": out.Summary, "text": out.Text} {
				h := toHTML(t, md)
				outside := codeElem.ReplaceAllString(h, "")
				for _, bad := range []string{"<img", "<b>", "<script", `href="javascript:`, "<h1>", "<h2>"} {
					if strings.Contains(outside, bad) {
						t.Errorf("%s renders %q outside code:\n%s\n--- markdown:\n%s", part, bad, h, md)
					}
				}
				// What a reader sees outside code spans must not mention
				// anyone or reference an issue.
				visible := anyTag.ReplaceAllString(outside, "")
				for _, bad := range []string{"@acme/security", "@alice", "#12", "orders#3"} {
					if strings.Contains(visible, bad) {
						t.Errorf("%s shows %q as text, where GitHub would link it:\n%s", part, bad, visible)
					}
				}
				if strings.Count(h, "<a ") != strings.Count(h, `<a href="https://github.example.com/acme/orders/blob/`) {
					t.Errorf("%s has a link that is not to the file at the head commit:\n%s", part, h)
				}
				// Each table row keeps exactly three cells.
				for _, row := range regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(h, -1) {
					if n := strings.Count(row, "<td") + strings.Count(row, "<th"); n != 3 {
						t.Errorf("%s table row has %d cells: %s", part, n, row)
					}
				}
				// Each finding stays one list item: nothing in it starts a
				// new item or heading.
				if n := strings.Count(h, "<li>"); part == "text" && n != 2 {
					t.Errorf("text has %d list items, want 2 (check + finding):\n%s", n, h)
				}
			}
		})
	}
}

func TestCheckRunLinksToTheHeadCommit(t *testing.T) {
	rep := &readiness.Report{Requirements: []readiness.Requirement{{ID: "recovery", Title: "Backup and recovery", Status: readiness.Fail,
		Checks: []readiness.Check{failing("launch/recovery plan (v2)?.md", 12, "section 'Recovery drill' is missing")}}}}
	out, err := CheckRun(rep, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := "[`launch/recovery plan (v2)?.md:12`](https://github.example.com/acme/orders/blob/0123456789abcdef0123456789abcdef01234567/launch/recovery%20plan%20%28v2%29%3F.md#L12): "
	if !strings.Contains(out.Text, want) {
		t.Errorf("text lacks %q:\n%s", want, out.Text)
	}
	h := toHTML(t, out.Text)
	if !strings.Contains(h, `href="https://github.example.com/acme/orders/blob/0123456789abcdef0123456789abcdef01234567/launch/recovery%20plan%20%28v2%29%3F.md#L12"`) {
		t.Errorf("rendered link is not the whole URL:\n%s", h)
	}
}

func TestConclusion(t *testing.T) {
	req := func(s readiness.Status) readiness.Requirement {
		return readiness.Requirement{ID: "r", Title: "R", Status: s}
	}
	tests := []struct {
		name string
		reqs []readiness.Requirement
		want string
	}{
		{"all pass", []readiness.Requirement{req(readiness.Pass), req(readiness.Pass)}, ConclusionSuccess},
		{"a check fails", []readiness.Requirement{req(readiness.Pass), req(readiness.Fail), req(readiness.Pending)}, ConclusionFailure},
		{"failure wins over an earlier pending", []readiness.Requirement{req(readiness.Pending), req(readiness.Fail)}, ConclusionFailure},
		{"only people missing", []readiness.Requirement{req(readiness.Pass), req(readiness.Pending)}, ConclusionActionRequired},
	}
	for _, tt := range tests {
		rep := &readiness.Report{Requirements: tt.reqs, Ready: tt.want == ConclusionSuccess}
		if got := Conclusion(rep); got != tt.want {
			t.Errorf("%s: Conclusion = %s, want %s", tt.name, got, tt.want)
		}
		out, err := CheckRun(rep, testOpts)
		if err != nil {
			t.Fatal(err)
		}
		if out.Conclusion != tt.want {
			t.Errorf("%s: CheckRun conclusion = %s, want %s", tt.name, out.Conclusion, tt.want)
		}
	}
}

func TestCheckRunAnnotations(t *testing.T) {
	rep := &readiness.Report{Requirements: []readiness.Requirement{
		{ID: "deployment", Title: "Deployment", Status: readiness.Fail, Checks: []readiness.Check{
			{ID: "environments", Kind: "environments", Status: readiness.Fail, Findings: []inspect.Finding{
				{Path: "deploy/overlays/uat/kustomization.yaml", Line: 7, Message: "replicas is 1"},
				{Path: "launch/deployment.md", Line: 0, Message: "file is empty"},
				{Message: "no configuration for environment ci"}, // no path: details only
				{Path: "bad\npath.md", Line: 2, Message: "a path GitHub would reject"},
			}},
			{ID: "build", Kind: "files", Status: readiness.Pass, Findings: []inspect.Finding{}},
		}},
		{ID: "security", Title: "Security", Status: readiness.Pending, Checks: []readiness.Check{
			{ID: "sec-ok", Kind: readiness.KindSignoff, Status: readiness.Pending, Team: "security",
				Findings: []inspect.Finding{{Path: "launch/security-review.md", Message: "waiting for security"}}},
		}},
	}}
	out, err := CheckRun(rep, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	type ann struct {
		path        string
		start, end  int
		level, titl string
	}
	var got []ann
	for _, a := range out.Annotations {
		got = append(got, ann{a.GetPath(), a.GetStartLine(), a.GetEndLine(), a.GetAnnotationLevel(), a.GetTitle()})
	}
	want := []ann{
		{"deploy/overlays/uat/kustomization.yaml", 7, 7, "failure", "Deployment: environments"},
		{"launch/deployment.md", 1, 1, "failure", "Deployment: environments"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("annotations = %v\nwant %v", got, want)
	}
	if !strings.Contains(out.Text, "no configuration for environment ci") || !strings.Contains(out.Text, "a path GitHub would reject") {
		t.Errorf("findings without an annotation are missing from the details:\n%s", out.Text)
	}

	// Many findings: capped at one request's worth, in order.
	var many []inspect.Finding
	for i := 1; i <= 120; i++ {
		many = append(many, inspect.Finding{Path: "f.yaml", Line: i, Message: strings.Repeat("x", 70_000)})
	}
	rep = &readiness.Report{Requirements: []readiness.Requirement{{ID: "r", Title: strings.Repeat("T", 300), Status: readiness.Fail,
		Checks: []readiness.Check{{ID: "c", Kind: "files", Status: readiness.Fail, Findings: many}}}}}
	out, err = CheckRun(rep, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Annotations) != checklimits.AnnotationsPerRequest {
		t.Fatalf("%d annotations, want %d", len(out.Annotations), checklimits.AnnotationsPerRequest)
	}
	for i, a := range out.Annotations {
		if a.GetStartLine() != i+1 {
			t.Errorf("annotation %d is on line %d, want %d", i, a.GetStartLine(), i+1)
		}
		if n := len(a.GetMessage()); n > 64<<10 {
			t.Errorf("annotation message is %d bytes; GitHub takes 64 KB", n)
		}
		if n := utf8.RuneCountInString(a.GetTitle()); n > 255 {
			t.Errorf("annotation title is %d characters; GitHub takes 255", n)
		}
	}
}

// findingLine matches a finding's line in the details.
var findingLine = regexp.MustCompile(`(?m)^  - `)

func TestCheckRunFitsGitHubLimits(t *testing.T) {
	for _, tt := range []struct {
		name     string
		findings int
		msgLen   int
		limit    int
	}{
		{"GitHub's limit", 3000, 200, 0},
		{"small limit", 200, 50, 4000},
		{"huge single messages", 80, 60_000, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fs []inspect.Finding
			for i := 0; i < tt.findings; i++ {
				fs = append(fs, inspect.Finding{Path: fmt.Sprintf("deploy/f%04d.yaml", i), Line: i + 1,
					Message: fmt.Sprintf("finding %04d ", i) + strings.Repeat("é", tt.msgLen)})
			}
			rep := &readiness.Report{Requirements: []readiness.Requirement{{ID: "r", Title: "R", Status: readiness.Fail,
				Checks: []readiness.Check{{ID: "c", Kind: "files", Status: readiness.Fail, Findings: fs}}}}}
			opts := testOpts
			opts.MaxOutput = tt.limit
			out, err := CheckRun(rep, opts)
			if err != nil {
				t.Fatal(err)
			}
			limit := tt.limit
			if limit == 0 {
				limit = checklimits.OutputBytes
			}
			if len(out.Text) > limit || len(out.Summary) > limit {
				t.Fatalf("text %d and summary %d bytes; limit %d", len(out.Text), len(out.Summary), limit)
			}
			shown := len(findingLine.FindAllString(out.Text, -1))
			if shown == 0 || shown == tt.findings {
				t.Fatalf("%d of %d findings shown; want some but not all", shown, tt.findings)
			}
			note := fmt.Sprintf("… %d more findings not shown; run `launchgate check` locally for all.", tt.findings-shown)
			if !strings.Contains(out.Text, note) {
				t.Errorf("text lacks %q; tail:\n%s", note, out.Text[max(0, len(out.Text)-400):])
			}
			// The findings shown are the first ones, in order, and each is
			// whole: the cut falls between lines.
			for i := 0; i < shown; i++ {
				if !strings.Contains(out.Text, fmt.Sprintf("finding %04d ", i)) {
					t.Fatalf("finding %d is missing although %d are shown", i, shown)
				}
			}
			if !strings.Contains(out.Text, "launchgate v9\\.8\\.7") {
				t.Error("the footer was cut off")
			}
			if !utf8.ValidString(out.Text) {
				t.Error("text is not valid UTF-8")
			}
		})
	}
}

func TestFitLinesCutsAtALineBoundary(t *testing.T) {
	s := strings.Repeat("0123456789\n", 50)
	got := fitLines(s, 200)
	if len(got) > 200 || !strings.HasSuffix(got, truncationNote) {
		t.Fatalf("fitLines = %q", got)
	}
	body := strings.TrimSuffix(got, truncationNote)
	for _, line := range strings.Split(body, "\n") {
		if line != "0123456789" {
			t.Fatalf("a line was cut: %q", line)
		}
	}
	if fitLines("short\n", 200) != "short\n" {
		t.Error("fitLines changed text that fits")
	}
}

func TestRecheckActionWithinGitHubLimits(t *testing.T) {
	out, err := CheckRun(&readiness.Report{Requirements: []readiness.Requirement{{ID: "r", Title: "R", Status: readiness.Fail}}}, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Actions) != 1 {
		t.Fatalf("%d actions, want the Re-check action", len(out.Actions))
	}
	a := out.Actions[0]
	if a.Identifier != RecheckIdentifier || utf8.RuneCountInString(a.Label) > 20 ||
		utf8.RuneCountInString(a.Description) > 40 || utf8.RuneCountInString(a.Identifier) > 20 {
		t.Errorf("action %+v breaks GitHub's limits (label 20, description 40, identifier 20)", a)
	}
}

func TestCheckRunFooterTellsDeploymentsApart(t *testing.T) {
	out, err := CheckRun(&readiness.Report{Requirements: []readiness.Requirement{{ID: "r", Title: "R", Status: readiness.Pass}}, Ready: true}, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"launchgate v9\\.8\\.7", "`sha256:feedface`", "`" + testOpts.HeadSHA + "`"} {
		if !strings.Contains(out.Text, want) {
			t.Errorf("footer lacks %q:\n%s", want, out.Text)
		}
	}
	if out.Title != "1 of 1 ready to launch" || out.Conclusion != ConclusionSuccess {
		t.Errorf("title %q conclusion %s", out.Title, out.Conclusion)
	}
}

func TestShortRuns(t *testing.T) {
	perr := policy.Errors{
		{Source: "acme/orders:.github/launchgate.yml", Line: 4, Msg: "unknown key \"requirments\""},
		{Source: "acme/orders:.github/launchgate.yml", Line: 9, Msg: "team \"<img src=x>\" is not a team slug"},
	}
	tests := []struct {
		name       string
		run        func() (CheckRunOutput, error)
		conclusion string
		title      string
		contains   []string
		actions    int
	}{
		{"not launch", func() (CheckRunOutput, error) { return NotLaunchCheckRun("no launch label or title prefix", testOpts) },
			ConclusionSuccess, "Not a launch PR — nothing to check", []string{"not a launch PR", "launchgate v9\\.8\\.7"}, 0},
		{"policy error", func() (CheckRunOutput, error) {
			o := testOpts
			o.PolicySource, o.PolicyDigest = "", ""
			return PolicyErrorCheckRun(fmt.Errorf("reading policy: %w", perr), o)
		},
			ConclusionFailure, "Policy cannot be read", []string{"line 4: unknown key", "line 9: team", "&lt;img src=x&gt;", "acme/orders:\\.github/launchgate\\.yml"}, 1},
		{"evaluation error", func() (CheckRunOutput, error) { return ErrorCheckRun("reading the head tree", testOpts) },
			ConclusionFailure, "Could not evaluate this commit", []string{"while reading the head tree"}, 1},
	}
	for _, tt := range tests {
		out, err := tt.run()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if out.Conclusion != tt.conclusion || out.Title != tt.title || len(out.Actions) != tt.actions {
			t.Errorf("%s: conclusion %s title %q actions %d", tt.name, out.Conclusion, out.Title, len(out.Actions))
		}
		for _, want := range tt.contains {
			if !strings.Contains(out.Summary, want) {
				t.Errorf("%s: summary lacks %q:\n%s", tt.name, want, out.Summary)
			}
		}
		if strings.Contains(out.Summary, "<img") {
			t.Errorf("%s: summary carries raw HTML:\n%s", tt.name, out.Summary)
		}
	}
}
