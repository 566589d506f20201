// Package report renders a readiness report for people and tools: terminal
// text, JSON (a stable interface) and markdown (the check run's details).
// The layouts live in templates/report so they can change without code;
// items.tmpl holds the markdown lists the markdown report and the check
// run's details share.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/plural"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/templates"
)

// Options describe where a report is shown.
type Options struct {
	// Dir is the directory a local check inspected (text output only).
	Dir string
	// PolicySource says where the policy came from.
	PolicySource string
	// KitMissing says a launch-kit document `launchgate init` writes is
	// missing from Dir: the text footer then suggests init (text output
	// only).
	KitMissing bool
	// Link, when set, turns a finding's location into a URL (the file at
	// the PR's head in the App). Markdown output only.
	Link func(path string, line int) string
}

// view is the data the templates see.
type view struct {
	*readiness.Report
	Options
	Title            string
	Failing, Pending int
}

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"esc":   Escape,
	"count": plural.Count,
	"upper": func(s readiness.Status) string { return strings.ToUpper(string(s)) },
	"mark": func(s readiness.Status) string {
		return map[readiness.Status]string{readiness.Pass: "✓", readiness.Fail: "✗", readiness.Pending: "○", readiness.Waived: "~"}[s]
	},
	"emoji": func(s readiness.Status) string {
		return map[readiness.Status]string{readiness.Pass: "✅", readiness.Fail: "❌", readiness.Pending: "⏳", readiness.Waived: "⚠️"}[s]
	},
	"passed": func(r readiness.Requirement) int {
		n := 0
		for _, c := range r.Checks {
			if c.Status == readiness.Pass {
				n++
			}
		}
		return n
	},
	"waiver":   WaiverText,
	"link":     linkFunc(nil),
	"own":      ownChecks,
	"group":    groupFindings,
	"join":     func(ids []string) string { return strings.Join(ids, ", ") },
	"location": location,
}).ParseFS(templates.Report, "report/*.tmpl"))

// approvalItem is a team's approval, listed once with the requirements
// it serves: the policy may ask the same team in several requirements.
type approvalItem struct {
	readiness.Check
	For []string
}

// ownChecks are a requirement's checks and sign-offs; its approvals are
// listed once for all requirements (view.Approvals).
func ownChecks(checks []readiness.Check) []readiness.Check {
	var out []readiness.Check
	for _, c := range checks {
		if c.Kind != readiness.KindApproval {
			out = append(out, c)
		}
	}
	return out
}

// Waived lists the ids of the checks that count as passing only under a
// waiver, so that a summary never hides that a check did not pass.
func (v view) Waived() []string {
	var ids []string
	for _, r := range v.Requirements {
		for _, c := range r.Checks {
			if c.Status == readiness.Waived {
				ids = append(ids, c.ID)
			}
		}
	}
	return ids
}

// Approvals lists every team's approval once, in the order they first
// appear, with the ids of the requirements that ask for it.
func (v view) Approvals() []approvalItem {
	var out []approvalItem
	index := map[string]int{}
	for _, r := range v.Requirements {
		for _, c := range r.Checks {
			if c.Kind != readiness.KindApproval {
				continue
			}
			i, seen := index[c.ID]
			if !seen {
				i = len(out)
				index[c.ID] = i
				out = append(out, approvalItem{Check: c})
			}
			out[i].For = append(out[i].For, r.ID)
		}
	}
	return out
}

// WaiverText describes a waiver for people: "waived by @ann until
// 2027-03-01: batch job, one replica by design", and whether it still
// applies. It is plain text: escape it where markdown renders it.
func WaiverText(w readiness.Waiver) string {
	s := fmt.Sprintf("waived by @%s until %s: %s", w.By, w.Until, w.Reason)
	if w.Unverified {
		s += " (unverified locally: only the App can check that @" + w.By + " may waive it)"
	}
	switch {
	case w.Expired:
		s += fmt.Sprintf(" — expired on %s, so the check counts again", w.Until)
	case w.Was == readiness.Pass:
		s += " — not needed now: the check passes"
	}
	return s
}

// location is where a finding is, "path:line: ", for terminals.
func location(f inspect.Finding) string {
	switch {
	case f.Path == "":
		return ""
	case f.Line > 0:
		return fmt.Sprintf("%s:%d: ", f.Path, f.Line)
	default:
		return f.Path + ": "
	}
}

func newView(rep *readiness.Report, opts Options) view {
	v := view{Report: rep, Options: opts, Title: Title(rep)}
	for _, r := range rep.Requirements {
		switch r.Status {
		case readiness.Fail:
			v.Failing++
		case readiness.Pending:
			v.Pending++
		}
	}
	return v
}

// Text writes the terminal report.
func Text(w io.Writer, rep *readiness.Report, opts Options) error {
	return execute(w, tmpl, "text.tmpl", newView(rep, opts))
}

// Markdown writes the markdown report. Everything that comes from the
// repository is escaped.
func Markdown(w io.Writer, rep *readiness.Report, opts Options) error {
	t := tmpl
	if opts.Link != nil {
		var err error
		if t, err = tmpl.Clone(); err != nil {
			return err
		}
		t.Funcs(template.FuncMap{"link": linkFunc(opts.Link)})
	}
	return execute(w, t, "markdown.tmpl", newView(rep, opts))
}

// linkFunc renders a finding's location, escaped, linked when link is set.
// Code spans would be shorter, but a path may hold a backtick, which ends
// a span early and lets the rest of the path be read as markdown.
func linkFunc(link func(path string, line int) string) func(inspect.Finding) string {
	return func(f inspect.Finding) string {
		if f.Path == "" {
			return ""
		}
		loc := Escape(f.Path)
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, f.Line)
		}
		if link == nil {
			return loc + ": "
		}
		return "[" + loc + "](" + link(f.Path, f.Line) + "): "
	}
}

// JSON writes the report as indented JSON.
func JSON(w io.Writer, rep *readiness.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

func execute(w io.Writer, t *template.Template, name string, v view) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	_, err := io.WriteString(w, wrap(buf.String(), Width)+"\n")
	return err
}

// Width is the terminal width the text and markdown reports wrap at.
const Width = 120

// wrap breaks lines longer than width at spaces, indenting the rest of a
// line four columns deeper, past a fix's "fix: " line: "        msg"
// continues at "            ", "  - msg" at "      ", which markdown reads
// as the same list item (a paragraph's continuation cannot start code).
// Table rows and headings cannot span lines and are left whole, as is a
// word longer than a line.
func wrap(s string, width int) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		body := strings.TrimSuffix(line, "\n")
		trimmed := strings.TrimLeft(body, " ")
		if utf8.RuneCountInString(body) <= width || strings.HasPrefix(trimmed, "|") || strings.HasPrefix(trimmed, "#") {
			b.WriteString(line)
			continue
		}
		indent := strings.Repeat(" ", len(body)-len(trimmed)+4)
		col := 0
		for i, word := range strings.Split(body, " ") {
			n := utf8.RuneCountInString(word)
			switch {
			case i == 0:
			case col > len(indent) && col+1+n > width:
				b.WriteString("\n" + indent)
				col = len(indent)
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(word)
			col += n
		}
		if strings.HasSuffix(line, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// titleWidth caps the title, in characters, so that it reads on one line
// of a terminal and of GitHub's checks list: past it, the requirements
// that do not fit are counted instead of named.
const titleWidth = 100

// Title says where the report stands in one line, naming what holds it
// back by requirement id, e.g. "2 of 5 ready: deployment, security
// incomplete; recovery awaiting sign-off". The check run and the terminal
// report share it.
func Title(rep *readiness.Report) string {
	ready := 0
	var failing, pending []string
	for _, r := range rep.Requirements {
		switch r.Status {
		case readiness.Pass:
			ready++
		case readiness.Fail:
			failing = append(failing, r.ID)
		case readiness.Pending:
			pending = append(pending, r.ID)
		}
	}
	head := fmt.Sprintf("%d of %d ready", ready, len(rep.Requirements))
	if len(failing)+len(pending) == 0 {
		return head + " to launch"
	}
	// Fewer names until the title fits: pending ones go first, since the
	// failing ones are what the developer must fix.
	showFailing, showPending := len(failing), len(pending)
	for {
		var parts []string
		if len(failing) > 0 {
			parts = append(parts, nameSome(failing, showFailing)+" incomplete")
		}
		if len(pending) > 0 {
			parts = append(parts, nameSome(pending, showPending)+" awaiting sign-off")
		}
		t := head + ": " + strings.Join(parts, "; ")
		switch {
		case utf8.RuneCountInString(t) <= titleWidth || showFailing+showPending == 0:
			return t
		case showPending > 0:
			showPending--
		default:
			showFailing--
		}
	}
}

// nameSome lists the first show of ids and counts the rest:
// "deployment, security and 3 more", or "5 requirements".
func nameSome(ids []string, show int) string {
	rest := len(ids) - show
	switch {
	case show == 0:
		return plural.Count(len(ids), "requirement", "requirements")
	case rest == 0:
		return strings.Join(ids, ", ")
	default:
		return strings.Join(ids[:show], ", ") + fmt.Sprintf(" and %d more", rest)
	}
}

// mdSpecial are the characters that start markdown syntax; each is
// backslash-escaped, which CommonMark defines for all ASCII punctuation.
const mdSpecial = "\\`*_{}[]()+-.!|~"

// Escape makes text from a repository inert in GitHub markdown: markdown
// syntax is backslash-escaped, HTML is entity-encoded, and @-mentions and
// #-references are broken with a zero-width joiner so that a file name or
// heading can neither format the report, nor ping people, nor link issues.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '<' || r == '>' || r == '&' || r == '"':
			b.WriteString(html.EscapeString(string(r)))
		case r == '@' || r == '#':
			b.WriteRune(r)
			b.WriteRune('\u200d')
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case strings.ContainsRune(mdSpecial, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// groupFindings merges the findings of one check that say the same thing
// about different subjects, so that five environments missing the same
// thing read as one line. Findings with the same fix merge when they are
// at the same place and their messages differ in one word ("production:
// no deployment configuration" and "uat: no deployment configuration"
// read "production, uat: no deployment configuration"), or when only the
// place differs (the other places follow the message). Annotations are
// made from the findings themselves, one per place.
func groupFindings(findings []inspect.Finding) []inspect.Finding {
	var groups []findingGroup
	for _, f := range findings {
		if !mergeInto(groups, f) {
			groups = append(groups, findingGroup{first: f})
		}
	}
	out := make([]inspect.Finding, len(groups))
	for i, g := range groups {
		out[i] = g.finding()
	}
	return out
}

// findingGroup is a finding and those merged into it.
type findingGroup struct {
	first inspect.Finding
	// prefix and suffix surround the word in which the merged messages
	// differ; words are those words, the first finding's first.
	prefix, suffix string
	words          []string
	// elsewhere are the places of findings that say the same elsewhere.
	elsewhere []string
}

func mergeInto(groups []findingGroup, f inspect.Finding) bool {
	for i := range groups {
		g := &groups[i]
		switch {
		case g.first.Fix != f.Fix:
			continue
		case g.first.Message == f.Message && f.Path != "" && len(g.words) == 0:
			g.elsewhere = append(g.elsewhere, strings.TrimSuffix(location(f), ": "))
			return true
		case g.first.Path != f.Path || g.first.Line != f.Line || len(g.elsewhere) > 0:
			continue
		case len(g.words) > 0:
			if word, ok := strings.CutPrefix(f.Message, g.prefix); ok {
				if word, ok = strings.CutSuffix(word, g.suffix); ok && isWord(word) {
					g.words = append(g.words, word)
					return true
				}
			}
		default:
			if prefix, a, b, suffix, ok := oneWordApart(g.first.Message, f.Message); ok {
				g.prefix, g.suffix, g.words = prefix, suffix, []string{a, b}
				return true
			}
		}
	}
	return false
}

func (g findingGroup) finding() inspect.Finding {
	f := g.first
	if len(g.words) > 0 {
		f.Message = g.prefix + strings.Join(g.words, ", ") + g.suffix
	}
	if len(g.elsewhere) > 0 {
		f.Message += " (also " + strings.Join(g.elsewhere, ", ") + ")"
	}
	return f
}

// oneWordApart splits a and b around the one word in which they differ.
func oneWordApart(a, b string) (prefix, wordA, wordB, suffix string, ok bool) {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	// Widen the difference to whole words.
	for p > 0 && isWordByte(a[p-1]) {
		p--
	}
	for s > 0 && isWordByte(a[len(a)-s]) {
		s--
	}
	wordA, wordB = a[p:len(a)-s], b[p:len(b)-s]
	if !isWord(wordA) || !isWord(wordB) {
		return "", "", "", "", false
	}
	return a[:p], wordA, wordB, a[len(a)-s:], true
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

// isWordByte: environment names and identifiers are made of these.
func isWordByte(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
