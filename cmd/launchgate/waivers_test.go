package main

import (
	"strings"
	"testing"
)

func TestCheckWaivers(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		".github/launchgate.yml": "version: 1\nrequirements:\n  - id: a\n    title: A\n" +
			"    signoffs: [{id: s, text: x, team: infra}]\n" +
			"    checks: [{id: doc, kind: document, path: a.md, sections: [{title: A}]}]\n" +
			"  - id: b\n    title: B\n    waivable: false\n" +
			"    signoffs: [{id: t, text: y, team: infra}]\n" +
			"    checks: [{id: other, kind: document, path: b.md, sections: [{title: B}]}]\n",
		"b.md": "# B\n\nThe b document says enough words of its own to pass the check here.\n",
	})
	day := func(days int) string { return now.AddDate(0, 0, days).Format("2006-01-02") }
	files := writeFiles(t, map[string]string{
		"ok.yaml":       "- {check: doc, until: " + day(30) + ", reason: \"batch job, one replica by design\", by: \"@ann\"}\n",
		"ok.json":       `[{"check": "doc", "until": "` + day(30) + `", "reason": "batch job", "by": "ann"}]`,
		"too-long.yaml": "- {check: doc, until: " + day(91) + ", reason: later, by: ann}\n",
		"refused.yaml": "- {check: other, until: " + day(5) + ", reason: x, by: ann}\n" +
			"- {check: doc, until: " + day(5) + ", by: ann}\n",
		"typo.yaml":   "- {check: doc, untl: " + day(5) + "}\n",
		"broken.yaml": "- {check: doc\n",
	})
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string
		wantStderr string
	}{
		{name: "without waivers the check fails", args: []string{"check", dir}, wantCode: 1, wantOut: "✗ doc"},
		{name: "a waiver applies, unverified", args: []string{"check", dir, "--waivers", files + "/ok.yaml"}, wantCode: 0,
			wantOut:    "waived by @ann until " + day(30) + ": batch job, one replica by design (unverified locally",
			wantStderr: "1 waivers from " + files + "/ok.yaml applied, unverified locally"},
		{name: "json file, json report", args: []string{"check", dir, "--format", "json", "--waivers", files + "/ok.json"}, wantCode: 0,
			wantOut: `"status": "waived"`},
		{name: "past max_days is not applied", args: []string{"check", dir, "--waivers", files + "/too-long.yaml"}, wantCode: 1,
			wantOut: "✗ doc", wantStderr: "not applied: doc may be waived for at most 90 days"},
		{name: "non-waivable check and missing reason", args: []string{"check", dir, "--waivers", files + "/refused.yaml"}, wantCode: 1,
			wantStderr: "waiver 2 (doc) not applied: a waiver needs a reason"},
		{name: "non-waivable check", args: []string{"check", dir, "--waivers", files + "/refused.yaml"}, wantCode: 1,
			wantStderr: "waiver 1 (other) not applied: the policy does not let other be waived"},
		{name: "unknown key", args: []string{"check", dir, "--waivers", files + "/typo.yaml"}, wantCode: 2, wantStderr: `unknown key "untl"`},
		{name: "syntax error", args: []string{"check", dir, "--waivers", files + "/broken.yaml"}, wantCode: 2, wantStderr: "broken.yaml"},
		{name: "missing file", args: []string{"check", dir, "--waivers", files + "/nope.yaml"}, wantCode: 2, wantStderr: "nope.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := launch(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("exit %d, want %d; want stdout with %q and stderr with %q\nstdout: %s\nstderr: %s", code, tt.wantCode, tt.wantOut, tt.wantStderr, out, errOut)
			}
		})
	}
}
