package ci

import (
	"path"
	"slices"
	"strings"
)

// textCommands splits text into command lines: continuation lines
// ending in "\" are joined, // comment lines (Groovy's) dropped; shellWords
// drops # comments. first is the line number of text's first line.
func textCommands(file string, first int, text, cwd string) []Command {
	var out []Command
	for _, l := range logicalLines(text) {
		trimmed := strings.TrimSpace(l.text)
		if trimmed == "" || strings.HasPrefix(trimmed, "//") {
			continue
		}
		out = append(out, Command{File: file, Line: first + l.index, Text: trimmed, Dir: cwd})
	}
	return out
}

// logicalLine is a line as a shell reads it: physical lines continued with a trailing
// backslash are joined. index is the 0-based index of its first line.
type logicalLine struct {
	index int
	text  string
}

func logicalLines(text string) []logicalLine {
	var out []logicalLine
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		l := logicalLine{index: i, text: strings.TrimRight(lines[i], " \t\r")}
		for strings.HasSuffix(l.text, `\`) && i+1 < len(lines) {
			i++
			l.text = strings.TrimSuffix(l.text, `\`) + " " + strings.TrimSpace(lines[i])
		}
		out = append(out, l)
	}
	return out
}

// Segment is one simple command of a command line, with the directory
// it runs in.
type Segment struct {
	Words []string
	Dir   string
}

// Segments splits a command line into simple commands, following cd.
func (cmd Command) Segments() []Segment {
	var segs []Segment
	cwd := path.Clean(cmd.Dir) // "" is the repository root, "."
	var cur []string
	flush := func() {
		if len(cur) == 0 {
			return
		}
		segs = append(segs, Segment{Words: cur, Dir: cwd})
		if i := slices.IndexFunc(cur, func(s string) bool { return s == "cd" || s == "pushd" }); i >= 0 && i+1 < len(cur) {
			cwd = path.Join(cwd, cur[i+1])
		}
		cur = nil
	}
	for _, w := range shellWords(cmd.Text) {
		if w == ";" {
			flush()
			continue
		}
		cur = append(cur, w)
	}
	flush()
	return segs
}

// shellWords splits a CI line into words, roughly as a shell would: quotes
// group, and ;, &, |, ( and ) separate commands (returned as ";"). The
// lines mix shell with YAML and Groovy (sh 'make test'), which no shell
// parser accepts, so a quoted string with spaces is taken as a command of
// its own and split in turn. $(...) and ${...} stay one word. A # that
// starts a word starts a comment.
func shellWords(line string) []string {
	var out []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			out = append(out, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	sep := func() {
		flush()
		if len(out) > 0 && out[len(out)-1] != ";" {
			out = append(out, ";")
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				end = len(line) - i - 1
			}
			quoted := line[i+1 : i+1+end]
			i += end + 1
			if strings.ContainsAny(quoted, " \t") {
				sep()
				out = append(out, shellWords(quoted)...)
				sep()
				continue
			}
			cur.WriteString(quoted)
			inWord = true
		case c == '$' && i+1 < len(line) && (line[i+1] == '(' || line[i+1] == '{'):
			closer := byte(')')
			if line[i+1] == '{' {
				closer = '}'
			}
			end := strings.IndexByte(line[i:], closer)
			if end < 0 {
				end = len(line) - i - 1
			}
			cur.WriteString(line[i : i+end+1])
			inWord = true
			i += end
		case c == '#' && !inWord:
			flush()
			return out
		case c == ' ' || c == '\t' || c == '<' || c == '>':
			flush() // redirections separate words: k6 run - <script.js
		case strings.IndexByte(";&|()`", c) >= 0:
			sep()
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	if len(out) > 0 && out[len(out)-1] == ";" {
		out = out[:len(out)-1]
	}
	return out
}
