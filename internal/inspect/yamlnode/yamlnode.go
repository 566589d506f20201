// Package yamlnode navigates yaml.v3 node trees the way YAML means them:
// through aliases, documents and merge keys, and locates syntax errors on
// the line they are about. The check kinds of inspect, the CI reader of
// inspect/ci and yamlstrict (for policies and the server configuration)
// share it.
package yamlnode

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var syntaxLinePattern = regexp.MustCompile(`\bline (\d+)\b`)

// SyntaxLine is the 1-based line of a yaml.v3 error: the line of a
// SyntaxError (see Locate), else the first "line N" of its text. 0 when
// the error names no line.
func SyntaxLine(err error) int {
	if se, ok := errors.AsType[*SyntaxError](err); ok {
		return se.Line
	}
	m := syntaxLinePattern.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// SyntaxError is a yaml.v3 syntax error with the 1-based line the
// problem is on.
type SyntaxError struct {
	Line    int
	Problem string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("yaml: line %d: %s", e.Line, e.Problem)
}

// syntaxText is yaml.v3's syntax error text: "yaml: line N: problem", or
// "yaml: problem" when its position is on the first line.
var syntaxText = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are the problems yaml.v3 reports from its parser, as
// opposed to its scanner. yaml.v3 (v3.0.1, and go.yaml.in/yaml/v3 v3.0.5)
// numbers a scanner error by the 1-based line of its mark but a parser
// error by the 0-based one (decode.go, parser.fail), so a parser error
// names the line above its construct: an unclosed "[" on line 6 reads
// "line 5", and one on line 1 reads no line at all.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// tabProblem is the scanner error of a tab indenting the line after a
// plain scalar; yaml.v3 marks where the scalar began, not the tab.
const tabProblem = "found a tab character that violates indentation"

// Locate returns err, the error yaml.v3 gave for data, as a *SyntaxError
// on the line the problem is on when it is a syntax error; other errors
// (type errors, whose lines are right, and nil) are returned unchanged.
func Locate(err error, data []byte) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*yaml.TypeError](err); ok {
		return err
	}
	m := syntaxText.FindStringSubmatch(err.Error())
	if m == nil || strings.Contains(m[2], "\n") {
		return err
	}
	line, _ := strconv.Atoi(m[1])
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	switch {
	case parserProblems[m[2]]:
		line++
	case m[2] == tabProblem:
		line = firstTabIndented(lines, line)
	case line == 0:
		return err // a reader error, which has no position
	}
	// At the end of the input the mark is past the last line.
	return &SyntaxError{Line: min(line, len(lines)), Problem: m[2]}
}

// firstTabIndented is the first line after line (1-based) whose
// indentation holds a tab, or line when none does.
func firstTabIndented(lines []string, line int) int {
	for i := line; i < len(lines); i++ {
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
		if strings.ContainsRune(indent, '\t') {
			return i + 1
		}
	}
	return line
}

// Resolve follows aliases and unwraps documents, so that the rest of
// the evaluation sees only mappings, sequences and scalars.
func Resolve(n *yaml.Node) *yaml.Node {
	for {
		switch {
		case n.Kind == yaml.AliasNode && n.Alias != nil:
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
			n = n.Content[0]
		default:
			return n
		}
	}
}

// Lookup finds key in a mapping. Explicit keys win over keys merged
// in with "<<", as in YAML's merge-key semantics.
func Lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := Resolve(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key && k.ShortTag() != "!!merge" {
			return m.Content[i+1]
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].ShortTag() != "!!merge" {
			continue
		}
		src := Resolve(m.Content[i+1])
		sources := []*yaml.Node{src}
		if src.Kind == yaml.SequenceNode {
			sources = src.Content
		}
		for _, s := range sources {
			if s = Resolve(s); s.Kind == yaml.MappingNode {
				if v := Lookup(s, key); v != nil {
					return v
				}
			}
		}
	}
	return nil
}
