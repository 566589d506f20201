package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/launchgate/launchgate/internal/plural"
	"github.com/launchgate/launchgate/templates"
)

// Document (kind "document") checks that a launch-kit markdown document
// exists and that each required section holds content its authors wrote:
// guidance in HTML comments and HTML blocks, text copied from the launch-kit
// template and placeholders (TBD, TODO, FIXME, XXX, TBA, N/A, <...>,
// [...], lorem ipsum) do not count, so a freshly scaffolded kit fails.
type Document struct {
	// Path is the document, relative to the repository root. Required.
	Path string `yaml:"path,omitempty"`
	// Template names a file in templates/launch whose text never counts
	// as content. Default: the base name of Path, if there is such a
	// template.
	Template string `yaml:"template,omitempty"`
	// MinWords is the number of words of its own each section needs.
	// Default 10.
	MinWords int `yaml:"min_words,omitempty"`
	// Sections are the sections the document must have. At least one.
	Sections []DocumentSection `yaml:"sections,omitempty"`
}

// DocumentSection is a section a Document must contain.
type DocumentSection struct {
	// Title is the heading. Headings match it case-insensitively, ignoring
	// numbering ("1.", "2)", "A.", "Step 3:"), punctuation, spacing and
	// markup; "×" counts as "x", so "## 3. 10× Plan" matches "10x plan".
	Title string `yaml:"title,omitempty"`
	// Aliases are other headings accepted for the section.
	Aliases []string `yaml:"aliases,omitempty"`
	// Hint says what to write; findings about the section repeat it.
	Hint string `yaml:"hint,omitempty"`
	// MaxAgeDays, when set, requires the section to name the date the
	// event it records (a recovery drill) took place, as YYYY-MM-DD, no
	// more than this many days before the evaluation and not after it.
	MaxAgeDays int `yaml:"max_age_days,omitempty"`
}

const defaultMinWords = 10

// MinWordsPerSection is the number of words of its own each section
// needs, with the default applied.
func (d *Document) MinWordsPerSection() int {
	if d.MinWords == 0 {
		return defaultMinWords
	}
	return d.MinWords
}

// goldmark (v1.8.7), like most markdown parsers, takes quadratic time on
// some inputs: a 64 KiB line of ">" or "[a](" costs about 3 s of CPU, and
// the GFM table extension pads every row to the header's width, so a
// 16 KiB table with 2,000 columns costs 7 s. A PR must not be able to stall
// the App that way, so documents are parsed only within these limits, at
// which the worst inputs we tried parse in about 0.2 s. Real launch-kit
// documents are a few thousand words of prose.
const (
	maxDocumentSize = 64 << 10
	maxLineLength   = 4 << 10
)

// Validate reports parameters that cannot work.
func (d *Document) Validate() error {
	if d.Path == "" {
		return errors.New("document: path is required")
	}
	if !fs.ValidPath(d.Path) || d.Path == "." {
		return fmt.Errorf("document: path %q must be a file path relative to the repository root, without '..' or a leading '/'", d.Path)
	}
	// Inputs are globs; a path that is also a pattern would make the App
	// fetch (and void sign-offs on) files other than this one.
	if strings.ContainsAny(d.Path, `*?[]{}\`) {
		return fmt.Errorf("document: path %q contains glob characters; name a single file", d.Path)
	}
	if d.Template != "" {
		if strings.Contains(d.Template, "/") {
			return fmt.Errorf("document: template %q must be a file name in templates/launch, such as %q", d.Template, "recovery.md")
		}
		if _, ok := launchTemplates()[d.Template]; !ok {
			return fmt.Errorf("document: template %q is not a launch-kit template (have: %s)", d.Template, strings.Join(launchTemplateNames(), ", "))
		}
	}
	if d.MinWords < 0 {
		return fmt.Errorf("document: min_words is %d; it cannot be negative", d.MinWords)
	}
	if len(d.Sections) == 0 {
		return fmt.Errorf("document %s: list at least one section; without sections an empty file would pass", d.Path)
	}
	owner := map[string]string{} // normalised heading -> the section claiming it
	for i, s := range d.Sections {
		if s.MaxAgeDays < 0 {
			return fmt.Errorf("document %s: section %q: max_age_days is %d; it cannot be negative", d.Path, s.Title, s.MaxAgeDays)
		}
		for _, name := range append([]string{s.Title}, s.Aliases...) {
			key := headingKey(name)
			if key == "" {
				return fmt.Errorf("document %s: section %d: title or alias %q has no letters or digits", d.Path, i+1, name)
			}
			// One heading must not satisfy two sections, or a single
			// written section could stand in for two.
			if other, ok := owner[key]; ok {
				return fmt.Errorf("document %s: %q of section %q matches the same headings as section %q", d.Path, name, s.Title, other)
			}
			owner[key] = s.Title
		}
	}
	return nil
}

// Inputs is the document itself. Templates are embedded in the binary, so
// they are not repository inputs.
func (d *Document) Inputs() []string { return []string{d.Path} }

// Check reports a missing or unreadable document, missing sections,
// sections without enough content of their own, and stale drill dates.
func (d *Document) Check(repo *Repo) []Finding {
	data, err := repo.ReadFile(d.Path)
	if err != nil {
		return []Finding{d.readFailure(err)}
	}
	if f, bad := d.unparseable(data); bad {
		return []Finding{f}
	}
	doc := parseMarkdown(data)
	tmpl := launchTemplates()[d.templateName()]
	minWords := d.MinWordsPerSection()

	var out []Finding
	for _, s := range d.Sections {
		h := doc.find(s)
		if h < 0 {
			out = append(out, Finding{Path: d.Path,
				Message: fmt.Sprintf("no section '## %s'%s", s.Title, aliasList(s.Aliases)),
				Fix:     withHint(fmt.Sprintf("add a section '## %s'", s.Title), " about ", s.Hint)})
			continue
		}
		line := doc.lines.line(doc.blocks[h].Pos())
		c := doc.content(h, tmpl, s.MaxAgeDays > 0)
		if c.words < minWords {
			out = append(out, Finding{Path: d.Path, Line: line,
				Message: fmt.Sprintf("section '%s' has %s of its own, fewer than %d",
					s.Title, plural.Count(c.words, "word", "words"), minWords),
				Fix: withHint(fmt.Sprintf("write at least %d words", minWords), " about ", s.Hint)})
		}
		if s.MaxAgeDays > 0 {
			if f, bad := checkDate(s, c.dates, line, repo.Now()); bad {
				f.Path = d.Path
				out = append(out, f)
			}
		}
	}
	return out
}

func (d *Document) readFailure(err error) Finding {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg := fmt.Sprintf("create %s with the sections %s", d.Path, sectionList(d.Sections))
		if d.templateName() != "" {
			msg += " — `launchgate init` writes a template"
		}
		return Finding{Path: d.Path, Message: msg}
	case errors.Is(err, ErrBinary):
		return Finding{Path: d.Path, Message: fmt.Sprintf(
			"%s is a binary file (it contains a NUL byte); the launch kit must be UTF-8 markdown", d.Path)}
	case errors.Is(err, ErrTooLarge):
		return d.tooLarge("over 1 MiB")
	default:
		return Finding{Path: d.Path, Message: fmt.Sprintf("cannot read %s as a launch-kit document: %v", d.Path, err)}
	}
}

// tooLarge is the finding for a document over maxDocumentSize, whose size
// is said by size.
func (d *Document) tooLarge(size string) Finding {
	return Finding{Path: d.Path, Message: fmt.Sprintf(
		"%s is %s; a launch-kit document may be at most %d bytes (64 KiB): move logs, dumps and generated material into linked files",
		d.Path, size, maxDocumentSize)}
}

// unparseable reports a document that is not UTF-8 or is too large to
// parse safely.
func (d *Document) unparseable(data []byte) (Finding, bool) {
	if len(data) > maxDocumentSize {
		return d.tooLarge(fmt.Sprintf("%d bytes", len(data))), true
	}
	lines := newLineIndex(data)
	if bad := invalidUTF8(data); bad >= 0 {
		return Finding{Path: d.Path, Line: lines.line(bad), Message: fmt.Sprintf(
			"%s is not valid UTF-8 (first invalid byte at offset %d); save it as UTF-8 markdown", d.Path, bad)}, true
	}
	for i, start := range lines {
		end := len(data)
		if i+1 < len(lines) {
			end = lines[i+1]
		}
		if end-start > maxLineLength {
			return Finding{Path: d.Path, Line: i + 1, Message: fmt.Sprintf(
				"line %d of %s is %d bytes long; launchgate reads lines of at most %d bytes: wrap the text",
				i+1, d.Path, end-start, maxLineLength)}, true
		}
	}
	return Finding{}, false
}

// templateName is the launch-kit template whose text does not count, or ""
// when there is none.
func (d *Document) templateName() string {
	if d.Template != "" {
		return d.Template
	}
	if _, ok := launchTemplates()[path.Base(d.Path)]; ok {
		return path.Base(d.Path)
	}
	return ""
}

// withHint adds a section's hint to a fix, after sep.
func withHint(fix, sep, hint string) string {
	if hint == "" {
		return fix
	}
	return fix + sep + hint
}

func aliasList(aliases []string) string {
	if len(aliases) == 0 {
		return ""
	}
	return fmt.Sprintf(" (aliases: '%s')", strings.Join(aliases, "', '"))
}

func sectionList(sections []DocumentSection) string {
	titles := make([]string, len(sections))
	for i, s := range sections {
		titles[i] = "'" + s.Title + "'"
	}
	return strings.Join(titles, ", ")
}

// invalidUTF8 returns the offset of the first byte that is not valid UTF-8,
// or -1.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// The date check.

// datedText is a YYYY-MM-DD string found in a section's own content.
type datedText struct {
	text string
	line int
}

// checkDate picks the most recent valid date that is not in the future (a
// section may also name the next drill) and reports when there is none or
// it is too old.
func checkDate(s DocumentSection, dates []datedText, headingLine int, now time.Time) (Finding, bool) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	// now is one instant but teams write dates in their own time zone,
	// up to 14 hours ahead of UTC: tomorrow may already be today for them.
	latestAllowed := today.AddDate(0, 0, 1)
	var best, future, invalid *datedText
	var bestDate time.Time
	for i := range dates {
		t, err := time.Parse(time.DateOnly, dates[i].text)
		switch {
		case err != nil:
			if invalid == nil {
				invalid = &dates[i]
			}
		case t.After(latestAllowed):
			if future == nil {
				future = &dates[i]
			}
		case best == nil || t.After(bestDate):
			best, bestDate = &dates[i], t
		}
	}
	when := fmt.Sprintf("at most %d days before %s", s.MaxAgeDays, today.Format(time.DateOnly))
	switch {
	case best != nil:
		age := int(today.Sub(bestDate).Hours() / 24)
		if age <= s.MaxAgeDays {
			return Finding{}, false
		}
		return Finding{Line: best.line, Message: fmt.Sprintf(
			"section '%s' records %s, %s before %s; the limit is %s: run it again and record the new date",
			s.Title, best.text, plural.Count(age, "day", "days"), today.Format(time.DateOnly), plural.Count(s.MaxAgeDays, "day", "days"))}, true
	case future != nil:
		return Finding{Line: future.line, Message: fmt.Sprintf(
			"section '%s' names %s, which is in the future; record the date it actually took place, %s",
			s.Title, future.text, when)}, true
	case invalid != nil:
		return Finding{Line: invalid.line, Message: fmt.Sprintf(
			"section '%s' names %s, which is not a valid date; write the date it took place as YYYY-MM-DD, %s",
			s.Title, invalid.text, when)}, true
	default:
		return Finding{Line: headingLine,
			Message: fmt.Sprintf("section '%s' does not say when it took place", s.Title),
			Fix:     withHint("write the date as YYYY-MM-DD, "+when, ": ", s.Hint)}, true
	}
}

// Templates.

// launchTemplates maps each launch-kit template's file name to the keys of
// its units: text that never counts as content. Templates are embedded, so
// they are parsed once per process.
var launchTemplates = sync.OnceValue(func() map[string]map[string]bool {
	entries, err := fs.ReadDir(templates.Launch, "launch")
	if err != nil {
		panic(fmt.Sprintf("reading embedded launch templates: %v", err))
	}
	out := map[string]map[string]bool{}
	for _, e := range entries {
		data, err := fs.ReadFile(templates.Launch, "launch/"+e.Name())
		if err != nil {
			panic(fmt.Sprintf("reading embedded launch template %s: %v", e.Name(), err))
		}
		keys := map[string]bool{}
		m := parseMarkdown(data)
		for _, b := range m.blocks {
			eachSentence(b, m.src, true, func(s sentence) {
				keys[s.key] = true
				for _, u := range s.lines {
					keys[u.key] = true
				}
			})
		}
		out[e.Name()] = keys
	}
	return out
})

func launchTemplateNames() []string {
	var names []string
	for name := range launchTemplates() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
