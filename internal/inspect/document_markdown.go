package inspect

import (
	"bytes"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	gtext "github.com/yuin/goldmark/text"
)

// Parsing and the shape of a document.

// markdownParser is shared: goldmark parsers initialise once and keep each
// parse's state in its own context. It is plain CommonMark: without the GFM
// table extension (see maxLineLength for why) a table is a paragraph whose
// rows are lines, so a table of real data still counts, row by row.
var markdownParser = goldmark.New().Parser()

// markdown is a parsed document. Sections are delimited by the headings
// among the top-level blocks; a heading inside a list or quote is content.
type markdown struct {
	src    []byte
	lines  lineIndex
	blocks []ast.Node // top-level blocks in order
	keys   []string   // headingKey of each block that is a heading, else ""
}

func parseMarkdown(src []byte) *markdown {
	// A byte order mark would stop the first heading being a heading.
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	root := markdownParser.Parse(gtext.NewReader(src))
	m := &markdown{src: src, lines: newLineIndex(src)}
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		key := ""
		if h, ok := n.(*ast.Heading); ok {
			key = headingKey(inlineText(h, src).String())
		}
		m.blocks = append(m.blocks, n)
		m.keys = append(m.keys, key)
	}
	return m
}

// find returns the index in m.blocks of the section's heading, or -1.
// When several headings match, the first one is the section: later
// duplicates are ordinary content and cannot make up for a thin first one.
func (m *markdown) find(s DocumentSection) int {
	keys := map[string]bool{headingKey(s.Title): true}
	for _, a := range s.Aliases {
		keys[headingKey(a)] = true
	}
	for i, key := range m.keys {
		if key != "" && keys[key] {
			return i
		}
	}
	return -1
}

// sectionContent is what a section holds once guidance, template text and
// placeholders are set aside.
type sectionContent struct {
	words int
	dates []datedText
}

// content measures the section whose heading is m.blocks[h]: every block up
// to the next heading of the same or a higher level, so sub-sections count
// towards their parent. It collects the section's dates when asked to.
func (m *markdown) content(h int, tmpl map[string]bool, dates bool) sectionContent {
	level := m.blocks[h].(*ast.Heading).Level
	var c sectionContent
	for _, b := range m.blocks[h+1:] {
		if next, ok := b.(*ast.Heading); ok && next.Level <= level {
			break
		}
		eachSentence(b, m.src, false, func(s sentence) {
			if tmpl[s.key] {
				return
			}
			for _, u := range s.lines {
				if tmpl[u.key] {
					continue
				}
				c.words += u.words
				if !dates {
					continue
				}
				for _, at := range findDates(u.text) {
					c.dates = append(c.dates, datedText{text: u.text[at : at+len(dateLayout)], line: m.lines.line(u.offset(at))})
				}
			}
		})
	}
	return c
}

// dateLayout is the shape of a date: 0 stands for any digit.
const dateLayout = "0000-00-00"

// findDates returns where s has the shape of a date, not counting digits
// that are part of a longer number such as "12024-01-011". Whether the date
// exists is checkDate's concern.
func findDates(s string) []int {
	var at []int
	for i := 0; i+len(dateLayout) <= len(s); i++ {
		end := i + len(dateLayout)
		if hasDateShape(s[i:end]) && (i == 0 || !isDigit(s[i-1])) && (end == len(s) || !isDigit(s[end])) {
			at = append(at, i)
			i = end - 1
		}
	}
	return at
}

func hasDateShape(s string) bool {
	for k := range len(dateLayout) {
		if dateLayout[k] == '0' && !isDigit(s[k]) || dateLayout[k] == '-' && s[k] != '-' {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// Text extraction.

// prose is the visible text of one leaf block (a paragraph, heading or line
// of code), its lines separated by "\n", with each piece's position in the
// source so that a date can be reported on its own line.
type prose struct {
	text  []byte
	marks []mark
}

type mark struct{ at, src int }

func (p *prose) add(b []byte, src int) {
	p.marks = append(p.marks, mark{at: len(p.text), src: src})
	p.text = append(p.text, b...)
}

// offset maps a byte of p.text back to the source.
func (p *prose) offset(i int) int {
	k := sort.Search(len(p.marks), func(k int) bool { return p.marks[k].at > i }) - 1
	if k < 0 {
		return 0
	}
	return p.marks[k].src
}

func (p *prose) String() string { return string(p.text) }

// inlineText collects the text a reader sees in a block's inline content:
// code spans and link labels count; link URLs and inline HTML (tags and
// comments, including <placeholder> tags) do not.
func inlineText(n ast.Node, src []byte) *prose {
	p := &prose{}
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				p.add(c.Value(src), c.Segment.Start)
				if c.SoftLineBreak() || c.HardLineBreak() {
					p.text = append(p.text, '\n')
				}
			case *ast.String:
				p.add(c.Value, max(n.Pos(), 0))
			case *ast.RawHTML, *ast.AutoLink:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return p
}

// sentence is one sentence of visible text and the lines it spans. Text
// from the template is recognised at both grains, so that neither
// re-wrapping a template paragraph nor keeping a line of it counts.
type sentence struct {
	key   string
	lines []unit
}

// unit is the part of one line that lies in one sentence.
type unit struct {
	text  string
	key   string // lower-case words joined by single spaces
	words int    // words that are not placeholders
	from  *prose // the block the unit came from,
	at    int    // starting at this byte of from.text
}

// offset maps a byte of u.text back to the source.
func (u unit) offset(i int) int { return u.from.offset(u.at + i) }

var (
	// Angle-bracket and square-bracket placeholders that goldmark leaves as
	// text (those that look like HTML tags are RawHTML or HTML blocks).
	// An opening "<" followed by a space is a comparison, not a
	// placeholder.
	bracketPlaceholder = regexp.MustCompile(`<[^\s<>][^<>]*>|\[[^\[\]]*\]`)
	loremIpsum         = regexp.MustCompile(`(?i)lorem\s+ipsum`)
	placeholderWords   = map[string]bool{"tbd": true, "tba": true, "todo": true, "fixme": true, "xxx": true, "n/a": true}
)

// eachSentence calls fn for each sentence of the visible text under block
// n. Code counts line by line, since a restore command is content. HTML
// blocks are guidance (comments) or markup whose text the author did not
// write as prose, so they are skipped unless withHTML is set: a template's
// guidance is template text too, and must not count when an author
// uncomments it.
func eachSentence(n ast.Node, src []byte, withHTML bool, fn func(sentence)) {
	switch n := n.(type) {
	case *ast.HTMLBlock:
		if withHTML {
			proseSentences(htmlText(n, src), fn)
		}
		return
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			p := &prose{}
			p.add(seg.Value(src), seg.Start)
			proseSentences(p, fn)
		}
		return
	case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
		proseSentences(inlineText(n, src), fn)
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		eachSentence(c, src, withHTML, fn)
	}
}

// htmlText is the text of an HTML block as markdown would read it with the
// comment markers removed.
func htmlText(n *ast.HTMLBlock, src []byte) *prose {
	p := &prose{}
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		line := bytes.TrimSpace(seg.Value(src))
		line = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimPrefix(line, []byte("<!--")), []byte("-->")))
		p.add(line, seg.Start)
		p.text = append(p.text, '\n')
	}
	return p
}

// proseSentences masks placeholders and splits a leaf block into sentences
// and lines. Masking overwrites with spaces rather than cutting, so offsets
// still map back to the source.
func proseSentences(p *prose, fn func(sentence)) {
	// The cheap tests first: most blocks have neither, and regexps are
	// most of the cost of a check.
	if bytes.Contains(bytes.ToLower(p.text), []byte("ipsum")) && loremIpsum.Match(p.text) {
		return // filler: the whole block is a placeholder
	}
	if bytes.ContainsAny(p.text, "<[") {
		for _, loc := range bracketPlaceholder.FindAllIndex(p.text, -1) {
			for i := loc[0]; i < loc[1]; i++ {
				p.text[i] = ' '
			}
		}
	}
	text := string(p.text)
	emit := func(start, end int) {
		var s sentence
		var keys []string
		for start <= end {
			lineEnd := strings.IndexByte(text[start:end], '\n')
			if lineEnd < 0 {
				lineEnd = end - start
			}
			if u := newUnit(text[start : start+lineEnd]); u.key != "" {
				u.from, u.at = p, start
				s.lines = append(s.lines, u)
				keys = append(keys, u.key)
			}
			start += lineEnd + 1
		}
		// No word spans a line break, so the sentence's words are its
		// lines' words.
		if s.key = strings.Join(keys, " "); s.key != "" {
			fn(s)
		}
	}
	// A sentence ends at ".", "!" or "?" before white space.
	start := 0
	for i := 0; i+1 < len(text); i++ {
		if strings.IndexByte(".!?", text[i]) >= 0 && strings.IndexByte(" \t\r\n", text[i+1]) >= 0 {
			emit(start, i+1)
			start = i + 1
		}
	}
	emit(start, len(text))
}

func newUnit(text string) unit {
	u := unit{text: text}
	var key strings.Builder
	for _, f := range strings.Fields(text) {
		w := strings.ToLower(strings.TrimFunc(f, notAlnum))
		if w == "" {
			continue // punctuation alone, such as "-" or "|"
		}
		if key.Len() > 0 {
			key.WriteByte(' ')
		}
		key.WriteString(w)
		if !placeholderWords[w] {
			u.words++
		}
	}
	u.key = key.String()
	return u
}

func notAlnum(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// Heading matching.

// numbering is a leading section number: "3.5 ", "1. ", "2) ", "A. ",
// "iv) ", "Step 3: ". Digits followed directly by a letter ("10x plan")
// are not numbering.
var numbering = regexp.MustCompile(`^(?:step\s*)?(?:\d+(?:\.\d+)*\s+|(?:\d+(?:\.\d+)*|[a-z]|[ivx]+)[.):]\s*)`)

// headingKey normalises a heading or a configured title for comparison:
// lower case, numbering removed, "×" read as "x", and only letters and
// digits kept, so "## 3. PHI / PII" and "PHI/PII" agree.
func headingKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "×", "x")
	s = numbering.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		if notAlnum(r) {
			return -1
		}
		return r
	}, s)
}

// Lines.

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int // offset of the start of each line

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range src {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// line returns the 1-based line holding offset, or 0 for an unknown (negative) offset.
func (idx lineIndex) line(offset int) int {
	if offset < 0 {
		return 0
	}
	return sort.Search(len(idx), func(i int) bool { return idx[i] > offset })
}
