package inspect

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/templates"
)

// docNow is the evaluation time of every document test.
var docNow = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)

// recoveryDoc is a small document check that the generic examples in
// testdata/docs are written against. Its path picks the recovery template.
func recoveryDoc() *Document {
	return &Document{
		Path: "launch/recovery.md",
		Sections: []DocumentSection{
			{Title: "Backups", Aliases: []string{"Backup plan"}, Hint: "what is backed up and how"},
			{Title: "Restore"},
			{Title: "Recovery drill", MaxAgeDays: 365},
		},
	}
}

func docRepo(files map[string][]byte) *Repo {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	return NewRepo(fsys, docNow, nil)
}

func readDocTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/docs/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// want is an expected finding: its exact line and a part of its message.
type want struct {
	line int
	msg  string
}

// assertFindings expects findings all in the file path.
func assertFindings(t *testing.T, got []Finding, path string, wants []want) {
	t.Helper()
	expected := make([]expectedFinding, len(wants))
	for i, w := range wants {
		expected[i] = expectedFinding{path: path, line: w.line, msg: []string{w.msg}}
	}
	expectFindings(t, got, expected)
}

func TestDocumentExamples(t *testing.T) {
	const p = "launch/recovery.md"
	tests := []struct {
		file string
		want []want
	}{
		{file: "good.md"},
		{file: "numbered.md"},
		{file: "setext.md"},
		{file: "thin.md", want: []want{
			{3, "section 'Backups' has 2 words of its own, fewer than 10\nfix: write at least 10 words"},
		}},
		{file: "nested.md", want: []want{
			// "# Appendix" ends Restore; its words must not count.
			{13, "section 'Restore' has 2 words of its own"},
		}},
		{file: "copied-template.md", want: []want{
			{10, "section 'Backups' has 0 words"},
			{24, "section 'Restore' has 0 words"},
			{45, "section 'Recovery drill' has 0 words"},
			{45, "section 'Recovery drill' does not say when it took place"},
		}},
		{file: "comments.md", want: []want{
			{3, "section 'Backups' has 0 words"},
			{10, "section 'Restore' has 0 words"},
			{17, "section 'Recovery drill' has 1 word of its own"},
			{17, "does not say when it took place"},
		}},
		{file: "placeholders.md", want: []want{
			{3, "section 'Backups' has 0 words"},
			{11, "section 'Restore' has 0 words"},
			// "Last drill:" and "What went wrong:" are template text;
			// only "Fixed" is the author's.
			{16, "section 'Recovery drill' has 1 word of its own"},
			{16, "does not say when it took place"},
		}},
		{file: "duplicate.md", want: []want{
			{3, "section 'Backups' has 1 word of its own"},
		}},
		{file: "binary.md", want: []want{
			{0, "launch/recovery.md is a binary file (it contains a NUL byte); the launch kit must be UTF-8 markdown"},
		}},
		{file: "non-utf8.md", want: []want{
			{5, "launch/recovery.md is not valid UTF-8 (first invalid byte at offset 52); save it as UTF-8 markdown"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			repo := docRepo(map[string][]byte{p: readDocTestdata(t, tt.file)})
			assertFindings(t, recoveryDoc().Check(repo), p, tt.want)
		})
	}
}

func TestDocumentMarkdown(t *testing.T) {
	const p = "launch/recovery.md"
	const backups = "## Backups\n\nPostgres is snapshotted every night at 02:00 UTC and copied to a second region.\n\n"
	const restore = "## Restore\n\nRestore the latest snapshot with `scripts/restore.sh` and verify the row counts afterwards.\n\n"
	const drill = "## Recovery drill\n\nRun on 2025-03-03; the runbook missed the DNS step, which is now written down.\n"
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{name: "alias", doc: strings.Replace(backups, "Backups", "Backup plan", 1) + restore + drill},
		{name: "ATX closing sequence and trailing punctuation", doc: "## Backups ##\n\nPostgres is snapshotted every night at 02:00 UTC and copied to a second region.\n\n## **Restore:**\n\nRestore the latest snapshot with `scripts/restore.sh` and verify the row counts afterwards.\n\n" + drill},
		{name: "CRLF and byte order mark", doc: "\uFEFF" + strings.ReplaceAll("# Recovery\n\n"+backups+"## Restore\n\nSoon.\n\n"+drill, "\n", "\r\n"), want: []want{
			{7, "section 'Restore' has 1 word of its own"},
		}},
		{name: "missing sections are reported in policy order", doc: drill, want: []want{
			{0, "no section '## Backups' (aliases: 'Backup plan')"},
			{0, "no section '## Restore'"},
		}},
		{name: "empty document", doc: "", want: []want{
			{0, "no section '## Backups'"},
			{0, "no section '## Restore'"},
			{0, "no section '## Recovery drill'"},
		}},
		{name: "headings in lists and quotes are content, not sections", doc: "- ## Backups\n\n> ## Restore\n\n" + drill, want: []want{
			{0, "no section '## Backups'"},
			{0, "no section '## Restore'"},
		}},
		{name: "a heading that only starts like the title does not match", doc: "## Backups overview\n\nPostgres is snapshotted every night at 02:00 UTC and copied to a second region.\n\n" + restore + drill, want: []want{
			{0, "no section '## Backups'"},
		}},
		{name: "an unclosed comment hides the rest of the document", doc: "# Recovery\n\n<!-- guidance\n\n" + backups + restore + drill, want: []want{
			{0, "no section '## Backups'"},
			{0, "no section '## Restore'"},
			{0, "no section '## Recovery drill'"},
		}},
		{name: "an unclosed code fence swallows the headings after it", doc: backups + "```sh\n" + restore + drill, want: []want{
			{0, "no section '## Restore'"},
			{0, "no section '## Recovery drill'"},
		}},
		{name: "a table of real data counts", doc: "## Backups\n\n| What | How | Where |\n| --- | --- | --- |\n| Postgres | nightly snapshot | eu-west-2 |\n| S3 | versioning | replicated |\n\n" + restore + drill},
		{name: "link URLs do not count", doc: "## Backups\n\nSee [the runbook](https://example.com/a/very/long/url/with/many/words/in/it/that/are/not/prose) <https://example.com/more/url/words/here>.\n\n" + restore + drill, want: []want{
			{1, "section 'Backups' has 3 words"},
		}},
		{name: "code blocks count", doc: "## Backups\n\n```sh\naws rds create-db-snapshot --db-instance-identifier orders\naws s3 sync s3://orders s3://orders-dr --region eu-west-2\n```\n\n" + restore + drill},
		{name: "re-wrapped template guidance is template text", doc: "## Backups\n\nWhat is backed up (databases, object storage, configuration, secrets), how and\nhow often, and where the backups are kept (another region or account).\n\n" + restore + drill, want: []want{
			{1, "section 'Backups' has 0 words"},
		}},
		{name: "a kept template line is template text, the author's lines count", doc: "## Backups\n\nWhat is backed up (databases, object storage, configuration, secrets), how\nNightly RDS snapshots of orders,\nkept in eu-west-2.\n\n" + restore + drill, want: []want{
			{1, "section 'Backups' has 8 words"},
		}},
		{name: "a sub-heading alone is not enough", doc: "## Backups\n\n### Nightly\n\n" + restore + drill, want: []want{
			{1, "section 'Backups' has 1 word of its own"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := docRepo(map[string][]byte{p: []byte(tt.doc)})
			assertFindings(t, recoveryDoc().Check(repo), p, tt.want)
		})
	}
}

func TestDocumentDrillDate(t *testing.T) {
	const p = "launch/recovery.md"
	const head = "## Backups\n\nPostgres is snapshotted every night at 02:00 UTC and copied to a second region.\n\n" +
		"## Restore\n\nRestore the latest snapshot with `scripts/restore.sh` and verify the row counts afterwards.\n\n" +
		"## Recovery drill\n\n" // line 9
	const words = "The restore took forty minutes and the runbook missed a DNS step, now fixed."
	tests := []struct {
		name  string
		drill string
		want  []want
	}{
		{name: "recent", drill: "Run on 2025-03-03. " + words},
		{name: "exactly the limit", drill: "Run on 2024-06-01. " + words},
		{name: "tomorrow is today somewhere", drill: "Run on 2025-06-02. " + words},
		{name: "a planned next drill does not hide the last one", drill: "Run on 2025-03-03, next on 2026-03-01. " + words},
		{name: "date in a table cell", drill: words + "\n\n| Drill | Result |\n| --- | --- |\n| 2025-01-15 | passed |\n"},
		{name: "too old", drill: words + "\nRun on 2024-05-31.", want: []want{
			{12, "section 'Recovery drill' records 2024-05-31, 366 days before 2025-06-01; the limit is 365 days: run it again and record the new date"},
		}},
		{name: "latest past date counts even with a future one", drill: "Run on 2023-01-10 and 2024-01-10, next on 2026-01-10. " + words, want: []want{
			{11, "records 2024-01-10, 508 days before 2025-06-01"},
		}},
		{name: "future", drill: words + "\n\nRun on 2025-07-01.", want: []want{
			{13, "section 'Recovery drill' names 2025-07-01, which is in the future; record the date it actually took place, at most 365 days before 2025-06-01"},
		}},
		{name: "invalid", drill: "Run on 2025-02-30. " + words, want: []want{
			{11, "section 'Recovery drill' names 2025-02-30, which is not a valid date; write the date it took place as YYYY-MM-DD"},
		}},
		{name: "missing", drill: "Run last spring. " + words, want: []want{
			{9, "section 'Recovery drill' does not say when it took place"},
		}},
		{name: "date only in a comment", drill: "<!-- run on 2025-03-03 -->\n\n" + words, want: []want{
			{9, "does not say when it took place"},
		}},
		{name: "date inside a longer number", drill: "Ticket 12025-03-031. " + words, want: []want{
			{9, "does not say when it took place"},
		}},
		{name: "date in a later section does not count", drill: words + "\n\n## Notes\n\n2025-03-03\n", want: []want{
			{9, "does not say when it took place"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := docRepo(map[string][]byte{p: []byte(head + tt.drill)})
			assertFindings(t, recoveryDoc().Check(repo), p, tt.want)
		})
	}
}

func TestDocumentUnreadable(t *testing.T) {
	good := readDocTestdata(t, "good.md")
	oversized := append(bytes.Repeat([]byte("word "), MaxFileSize/5), good...)
	long := append(good, bytes.Repeat([]byte("word "), maxDocumentSize/5)...)
	// Inputs on which goldmark takes quadratic time must be refused before
	// parsing: each of these costs seconds to parse.
	nestedQuotes := append(append([]byte(nil), good...), bytes.Repeat([]byte(">"), 60<<10)...)
	openLinks := append(bytes.Repeat([]byte("[a]("), 1200), '\n')
	tests := []struct {
		name  string
		doc   *Document
		fsys  fs.FS
		path  string
		wants []want
		never string // a part the message must not have
	}{
		{name: "missing, with a template", doc: recoveryDoc(), fsys: fstest.MapFS{}, path: "launch/recovery.md", wants: []want{
			{0, "create launch/recovery.md with the sections 'Backups', 'Restore', 'Recovery drill' — `launchgate init` writes a template"},
		}},
		{name: "missing, without a template", doc: &Document{Path: "docs/runbook.md", Sections: []DocumentSection{{Title: "Restore"}}}, fsys: fstest.MapFS{}, path: "docs/runbook.md", wants: []want{
			{0, "create docs/runbook.md with the sections 'Restore'"},
		}, never: "launchgate init"},
		{name: "oversized", doc: recoveryDoc(), fsys: fstest.MapFS{"launch/recovery.md": {Data: oversized}}, path: "launch/recovery.md", wants: []want{
			{0, "launch/recovery.md is over 1 MiB; a launch-kit document may be at most 65536 bytes (64 KiB): move logs, dumps and generated material into linked files"},
		}, never: "1048576"},
		{name: "unreadable for another reason", doc: recoveryDoc(), fsys: k8sBrokenFS{}, path: "launch/recovery.md",
			wants: []want{{0, "cannot read launch/recovery.md as a launch-kit document: reading launch/recovery.md: permission denied"}}, never: "bytes"},
		{name: "longer than a document may be", doc: recoveryDoc(), fsys: fstest.MapFS{"launch/recovery.md": {Data: long}}, path: "launch/recovery.md", wants: []want{
			{0, fmt.Sprintf("launch/recovery.md is %d bytes; a launch-kit document may be at most 65536 bytes (64 KiB): move logs, dumps and generated material into linked files", len(long))},
		}},
		{name: "a line of nested quotes", doc: recoveryDoc(), fsys: fstest.MapFS{"launch/recovery.md": {Data: nestedQuotes}}, path: "launch/recovery.md", wants: []want{
			{17, "line 17 of launch/recovery.md is 61440 bytes long; launchgate reads lines of at most 4096 bytes: wrap the text"},
		}},
		{name: "a line of unclosed links", doc: recoveryDoc(), fsys: fstest.MapFS{"launch/recovery.md": {Data: openLinks}}, path: "launch/recovery.md", wants: []want{
			{1, "line 1 of launch/recovery.md is 4801 bytes long"},
		}},
		{name: "a directory", doc: recoveryDoc(), fsys: fstest.MapFS{"launch/recovery.md/README.md": {Data: good}}, path: "launch/recovery.md", wants: []want{
			{0, "cannot read launch/recovery.md as a launch-kit document"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.doc.Check(NewRepo(tt.fsys, docNow, nil))
			assertFindings(t, got, tt.path, tt.wants)
			if tt.never != "" && strings.Contains(got[0].Message, tt.never) {
				t.Errorf("message %q should not mention %q", got[0].Message, tt.never)
			}
		})
	}
}

func TestDocumentMinWords(t *testing.T) {
	thin := readDocTestdata(t, "thin.md") // Backups has 2 words
	for _, tt := range []struct {
		min  int
		want []want
	}{
		{min: 0, want: []want{{3, "has 2 words of its own, fewer than 10\nfix: write at least 10 words"}}},
		{min: 3, want: []want{{3, "has 2 words of its own, fewer than 3\nfix: write at least 3 words"}}},
		{min: 2},
	} {
		t.Run(fmt.Sprint(tt.min), func(t *testing.T) {
			d := recoveryDoc()
			d.MinWords = tt.min
			assertFindings(t, d.Check(docRepo(map[string][]byte{d.Path: thin})), d.Path, tt.want)
		})
	}
}

// TestDocumentTemplateChoice checks which template's text is discounted:
// the one named, else the one with the document's base name, else none.
func TestDocumentTemplateChoice(t *testing.T) {
	copied := readDocTestdata(t, "copied-template.md")
	for _, tt := range []struct {
		path, template string
		discounted     bool
	}{
		{path: "launch/recovery.md", discounted: true},
		{path: "docs/recovery.md", discounted: true},
		{path: "docs/dr.md", template: "recovery.md", discounted: true},
		{path: "docs/dr.md", discounted: false},
		{path: "launch/recovery.md", template: "scaling.md", discounted: false},
	} {
		t.Run(tt.path+"+"+tt.template, func(t *testing.T) {
			d := recoveryDoc()
			d.Path, d.Template = tt.path, tt.template
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			// The uncommented guidance under Backups is 27 words of
			// template text: it counts only when no recovery template
			// applies.
			backupsThin := false
			for _, f := range d.Check(docRepo(map[string][]byte{tt.path: copied})) {
				backupsThin = backupsThin || strings.Contains(f.Message, "'Backups' has 0 words")
			}
			if backupsThin != tt.discounted {
				t.Errorf("Backups reported as empty = %v, want %v", backupsThin, tt.discounted)
			}
		})
	}
}

func TestDocumentValidate(t *testing.T) {
	valid := func(edit func(d *Document)) *Document {
		d := recoveryDoc()
		edit(d)
		return d
	}
	runValidateCases(t, []validateCase{
		{name: "valid", check: recoveryDoc()},
		{name: "valid with a template and no aliases", check: &Document{Path: "docs/dr.md", Template: "recovery.md", Sections: []DocumentSection{{Title: "Restore"}}}},
		{name: "no path", check: valid(func(d *Document) { d.Path = "" }), err: "path is required"},
		{name: "absolute path", check: valid(func(d *Document) { d.Path = "/launch/recovery.md" }), err: "relative to the repository root"},
		{name: "dot-dot path", check: valid(func(d *Document) { d.Path = "../recovery.md" }), err: "relative to the repository root"},
		{name: "glob path", check: valid(func(d *Document) { d.Path = "launch/*.md" }), err: "glob characters"},
		{name: "unknown template", check: valid(func(d *Document) { d.Template = "nope.md" }), err: `template "nope.md" is not a launch-kit template (have: deployment.md, monitoring.md, recovery.md, scaling.md, security-review.md)`},
		{name: "template with a directory", check: valid(func(d *Document) { d.Template = "launch/recovery.md" }), err: "must be a file name in templates/launch"},
		{name: "negative min_words", check: valid(func(d *Document) { d.MinWords = -1 }), err: "min_words is -1"},
		{name: "no sections", check: valid(func(d *Document) { d.Sections = nil }), err: "list at least one section"},
		{name: "empty title", check: valid(func(d *Document) { d.Sections[1].Title = "" }), err: `section 2: title or alias ""`},
		{name: "title that is only numbering", check: valid(func(d *Document) { d.Sections[1].Title = "1." }), err: `title or alias "1." has no letters or digits`},
		{name: "alias equal to another title once normalised", check: valid(func(d *Document) { d.Sections[1].Aliases = []string{"Back-ups"} }), err: `"Back-ups" of section "Restore" matches the same headings as section "Backups"`},
		{name: "negative max_age_days", check: valid(func(d *Document) { d.Sections[2].MaxAgeDays = -5 }), err: "max_age_days is -5"},
	})
}

func TestHeadingKey(t *testing.T) {
	tests := []struct {
		heading, title string
		match          bool
	}{
		{"3. PHI / PII", "PHI/PII", true},
		{"Re-encryption schedule:", "Re-encryption schedule", true},
		{"10× Plan", "10x plan", true},
		{"4) 10x plan", "10x plan", true},
		{"Step 3: Backups", "Backups", true},
		{"step 3 - Backups", "Backups", true},
		{"A. Backups", "Backups", true},
		{"iv) Backups", "Backups", true},
		{"3.5 Availability", "Availability", true},
		{"1.2.3. Availability", "Availability", true},
		{"  HEALTH   CHECKS  ", "Health checks", true},
		{"10x plan", "plan", false},
		{"Backups overview", "Backups", false},
		{"Restore drill", "Recovery drill", false},
	}
	for _, tt := range tests {
		if got := headingKey(tt.heading) == headingKey(tt.title); got != tt.match {
			t.Errorf("headingKey(%q)=%q, headingKey(%q)=%q: match = %v, want %v",
				tt.heading, headingKey(tt.heading), tt.title, headingKey(tt.title), got, tt.match)
		}
	}
}

// launchPolicy is the document checks of the default policy, by the base
// name of their path.
func launchPolicy(t *testing.T) map[string]*Document {
	t.Helper()
	var checks []struct {
		ID       string `yaml:"id"`
		Kind     string `yaml:"kind"`
		Document `yaml:",inline"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(readDocTestdata(t, "policy.yml")))
	dec.KnownFields(true)
	if err := dec.Decode(&checks); err != nil {
		t.Fatalf("decoding testdata/docs/policy.yml: %v", err)
	}
	out := map[string]*Document{}
	for i := range checks {
		d := &checks[i].Document
		if err := d.Validate(); err != nil {
			t.Fatalf("%s: %v", checks[i].ID, err)
		}
		if got := d.Inputs(); !reflect.DeepEqual(got, []string{d.Path}) {
			t.Errorf("%s: Inputs() = %v, want [%s]", checks[i].ID, got, d.Path)
		}
		out[path.Base(d.Path)] = d
	}
	return out
}

// TestLaunchTemplates proves that each template has exactly the sections
// its default check requires, that a freshly scaffolded template fails on
// every one of them, and that a realistic filled-in document passes.
func TestLaunchTemplates(t *testing.T) {
	policy := launchPolicy(t)
	names := launchTemplateNames()
	if len(names) != 5 || len(policy) != len(names) {
		t.Fatalf("templates %v, policy documents %d: want the five launch-kit documents", names, len(policy))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			d, ok := policy[name]
			if !ok {
				t.Fatalf("no document check for template %s", name)
			}
			tmpl, err := templates.Launch.ReadFile("launch/" + name)
			if err != nil {
				t.Fatal(err)
			}

			var headings, titles []string
			m := parseMarkdown(tmpl)
			for _, key := range m.keys[1:] { // [0] is the document title
				if key != "" {
					headings = append(headings, key)
				}
			}
			for _, s := range d.Sections {
				titles = append(titles, headingKey(s.Title))
			}
			if !reflect.DeepEqual(headings, titles) {
				t.Errorf("template sections %v, policy sections %v", headings, titles)
			}

			got := d.Check(docRepo(map[string][]byte{d.Path: tmpl}))
			var wants []want
			for _, s := range d.Sections {
				line := m.lines.line(m.blocks[m.find(s)].Pos())
				wants = append(wants, want{line, fmt.Sprintf("section '%s' has 0 words of its own", s.Title)})
				if s.MaxAgeDays > 0 {
					wants = append(wants, want{line, "does not say when it took place"})
				}
			}
			assertFindings(t, got, d.Path, wants)

			filled := readDocTestdata(t, "filled/"+name)
			if got := d.Check(docRepo(map[string][]byte{d.Path: filled})); len(got) > 0 {
				t.Errorf("filled-in example fails:\n%s", dumpFindings(got))
			}
		})
	}
}

// BenchmarkDocument checks a 20 KB recovery document against the default
// recovery check.
func BenchmarkDocument(b *testing.B) {
	filled := readDocTestdata(b, "filled/recovery.md")
	doc := append([]byte(nil), filled...)
	for i := 1; len(doc) < 20<<10; i++ {
		doc = fmt.Appendf(doc, "\n### Incident %d\n\nOn 2025-01-%02d the nightly snapshot of `orders-db` ran %d minutes late because the\nmaintenance window overlapped; <!-- guidance --> see [the ticket](https://example.com/%d).\n\n| Step | Owner |\n| --- | --- |\n| re-run snapshot | on-call |\n", i, i%28+1, i, i)
	}
	d := &Document{Path: "launch/recovery.md", Sections: []DocumentSection{
		{Title: "Backups"}, {Title: "Retention"}, {Title: "Restore"}, {Title: "Data loss"},
		{Title: "Recovery time"}, {Title: "Recovery drill", MaxAgeDays: 365},
	}}
	repo := docRepo(map[string][]byte{d.Path: doc})
	if got := d.Check(repo); len(got) > 0 {
		b.Fatalf("benchmark document fails:\n%s", dumpFindings(got))
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		d.Check(repo)
	}
}

// TestDocumentFixes: what to write is the finding's fix, on a line of its
// own in reports, not glued to what is wrong.
func TestDocumentFixes(t *testing.T) {
	d := recoveryDoc()
	for _, tt := range []struct {
		name    string
		doc     []byte
		message string
		fix     string
	}{
		{name: "a thin section", doc: readDocTestdata(t, "thin.md"),
			message: "section 'Backups' has 2 words of its own, fewer than 10",
			fix:     "write at least 10 words about what is backed up and how"},
		{name: "a missing section", doc: []byte("# Recovery\n"),
			message: "no section '## Backups' (aliases: 'Backup plan')",
			fix:     "add a section '## Backups' about what is backed up and how"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Check(docRepo(map[string][]byte{d.Path: tt.doc}))
			if len(got) == 0 || got[0].Message != tt.message || got[0].Fix != tt.fix {
				t.Fatalf("first finding = %+v, want message %q and fix %q", got, tt.message, tt.fix)
			}
		})
	}
}
