package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
	"github.com/launchgate/launchgate/internal/plural"
)

// Field (kind "field") asserts something about a field of YAML or JSON
// files, for example that backups are kept for 30 days:
//
//	files: deploy/*/backup.yaml
//	assert: backup.retention_days >= 30
//
// The assertion is a dotted path, an operator and a literal:
//
//	spec.template.spec.containers[0].image matches "^registry.example.com/"
//	metadata.labels."app.kubernetes.io/name" exists
//	items[*].ttl <= 3600
//
// Keys are bare (letters, digits, "_" and "-") or double-quoted with Go
// escapes; [n] picks a list element and [*] means every element. Operators
// are == != >= <= > < (numbers compare numerically, strings byte-wise),
// exists, and matches (an unanchored Go regular expression). Literals are
// numbers, double-quoted strings, true, false and null. A value of another
// type than the literal, and a missing field, fail: a check that cannot
// compare does not pass.
//
// The grammar is small enough to parse by hand: the Go expression
// languages (expr, CEL, govaluate) would add a dependency and a far larger
// language to audit, and none of them locates a value's line in the file.
type Field struct {
	// Files is a glob of the files to check. Files or Paths is required;
	// when both are set, their matches are combined.
	Files string `yaml:"files,omitempty" want:"one glob (list more globs under paths)"`
	// Paths are more globs of files to check.
	Paths []string `yaml:"paths,omitempty"`
	// Assert is the assertion every document must satisfy. Required.
	Assert string `yaml:"assert,omitempty"`
	// Message tells the developer what to do when the assertion fails; it
	// is each finding's fix.
	Message string `yaml:"message,omitempty"`
	// Require is "all" (the default: every document of every matching
	// file must satisfy the assertion) or "any" (one document suffices).
	Require string `yaml:"require,omitempty"`
}

// fieldMaxValues bounds how many values one document may present to an
// assertion. [*] over YAML aliases can fan out exponentially, and a PR
// must not be able to make the App spin; no real config gets close.
const fieldMaxValues = 10000

func (c *Field) globs() []string {
	if c.Files == "" {
		return c.Paths
	}
	return append([]string{c.Files}, c.Paths...)
}

// Validate parses the assertion and the globs so that a policy with a typo
// is rejected when it is loaded.
func (c *Field) Validate() error {
	if c.Files == "" && len(c.Paths) == 0 {
		return errors.New("set files (a glob) or paths (a list of globs)")
	}
	if c.Files != "" && !doublestar.ValidatePattern(c.Files) {
		return fmt.Errorf("files: %q is not a valid glob", c.Files)
	}
	if err := validateGlobList("paths", c.Paths); err != nil {
		return err
	}
	if c.Assert == "" {
		return errors.New(`assert is required, e.g. assert: "backup.retention_days >= 30"`)
	}
	if _, err := parseFieldExpr(c.Assert); err != nil {
		return fmt.Errorf("assert %q: %w", c.Assert, err)
	}
	switch c.Require {
	case "", "all", "any":
	default:
		return fmt.Errorf("require is %q, want all or any", c.Require)
	}
	return nil
}

// Inputs are the globs of the files the assertion reads.
func (c *Field) Inputs() []string { return c.globs() }

// Check evaluates the assertion on every document of every matching file.
func (c *Field) Check(repo *Repo) []Finding {
	expr, err := parseFieldExpr(c.Assert)
	if err != nil {
		return []Finding{{Message: fmt.Sprintf("the policy's assert %q is invalid: %v", c.Assert, err)}}
	}
	files, err := repo.Match(c.globs()...)
	if err != nil {
		return []Finding{{Message: err.Error()}}
	}
	if len(files) == 0 {
		return []Finding{{Message: fmt.Sprintf("no file matches %s, so nothing shows that %s", quoteGlobs(c.globs()), expr), Fix: c.Message}}
	}
	var findings []Finding
	for _, name := range files {
		data, err := repo.ReadFile(name)
		if err != nil {
			findings = append(findings, Finding{Path: name, Message: fmt.Sprintf("cannot check %s: %v", expr, err), Fix: c.Message})
			continue
		}
		docs, satisfied := c.checkFile(name, data, expr)
		if satisfied && c.Require == "any" {
			return nil
		}
		findings = append(findings, docs...)
	}
	if c.Require == "any" {
		for i := range findings {
			findings[i].Message += " (require: any, so one document that satisfies it is enough)"
		}
	}
	return findings
}

// checkFile returns the findings of every document of a file, and whether
// at least one document satisfied the assertion.
func (c *Field) checkFile(name string, data []byte, expr *fieldExpr) (findings []Finding, satisfied bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			err = yamlnode.Locate(err, data)
			findings = append(findings, Finding{Path: name, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf("cannot check %s: the file does not parse as YAML or JSON: %v", expr, err), Fix: c.Message})
			break
		}
		root := yamlnode.Resolve(&doc)
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			continue // an empty document, such as the one after a trailing "---"
		}
		docs++
		problems := expr.evaluate(root)
		if len(problems) == 0 {
			satisfied = true
		}
		for _, p := range problems {
			findings = append(findings, Finding{Path: name, Line: p.line, Message: p.msg, Fix: c.Message})
		}
	}
	if docs == 0 && len(findings) == 0 {
		findings = append(findings, Finding{Path: name, Message: fmt.Sprintf("the file is empty, so nothing shows that %s", expr), Fix: c.Message})
	}
	return findings, satisfied
}

// fieldProblem is one way a document fails the assertion, at a line.
type fieldProblem struct {
	line int
	msg  string
}

// evaluate applies the assertion to a document's root node.
func (e *fieldExpr) evaluate(root *yaml.Node) []fieldProblem {
	var problems []fieldProblem
	visited := 0
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		n = yamlnode.Resolve(n)
		if visited++; visited > fieldMaxValues {
			if visited == fieldMaxValues+1 {
				problems = append(problems, fieldProblem{root.Line, fmt.Sprintf("%s reaches more than %d values; narrow the path", fieldPathString(e.path), fieldMaxValues)})
			}
			return
		}
		here := fieldPathString(e.path[:depth])
		if here == "" {
			here = "the document"
		}
		if depth == len(e.path) {
			if msg := e.test(n, here); msg != "" {
				problems = append(problems, fieldProblem{n.Line, msg})
			}
			return
		}
		fail := func(format string, args ...any) {
			problems = append(problems, fieldProblem{n.Line, fmt.Sprintf("%s is missing: ", fieldPathString(e.path)) + fmt.Sprintf(format, args...) + fmt.Sprintf("; want %s", e)})
		}
		switch st := e.path[depth]; st.kind {
		case fieldStepKey:
			if n.Kind != yaml.MappingNode {
				fail("%s is %s, not a mapping with key %q", here, fieldDescribe(n), st.key)
				return
			}
			v := yamlnode.Lookup(n, st.key)
			if v == nil {
				fail("%s has no key %q", here, st.key)
				return
			}
			walk(v, depth+1)
		case fieldStepIndex:
			if n.Kind != yaml.SequenceNode {
				fail("%s is %s, not a list", here, fieldDescribe(n))
				return
			}
			if st.index >= len(n.Content) {
				fail("%s has %s, so no [%d]", here, fieldCount(len(n.Content)), st.index)
				return
			}
			walk(n.Content[st.index], depth+1)
		case fieldStepEach:
			if n.Kind != yaml.SequenceNode {
				fail("%s is %s, not a list", here, fieldDescribe(n))
				return
			}
			if len(n.Content) == 0 {
				fail("%s is an empty list, so no element shows it", here)
				return
			}
			for _, el := range n.Content {
				walk(el, depth+1)
			}
		}
	}
	walk(root, 0)
	return problems
}

// test applies the operator to a value the path reached, returning why it
// fails or "".
func (e *fieldExpr) test(n *yaml.Node, where string) string {
	if e.op == "exists" {
		return ""
	}
	v := fieldValueOf(n)
	if e.op == "matches" {
		if v.kind == fieldLitNull || v.kind == fieldLitComposite {
			return fmt.Sprintf("%s is %s, not text a regular expression can match; want %s", where, fieldDescribe(n), e)
		}
		if !e.re.MatchString(n.Value) {
			return fmt.Sprintf("%s is %s, which does not match; want %s", where, fieldDescribe(n), e)
		}
		return ""
	}
	if e.lit.kind == fieldLitNull {
		if (v.kind == fieldLitNull) == (e.op == "==") {
			return ""
		}
		return fmt.Sprintf("%s is %s; want %s", where, fieldDescribe(n), e)
	}
	if v.kind != e.lit.kind {
		return fmt.Sprintf("%s is %s, not %s, so it cannot be compared; want %s", where, fieldDescribe(n), fieldKindName(e.lit.kind), e)
	}
	var cmp int
	switch v.kind {
	case fieldLitNumber:
		if math.IsNaN(v.num) {
			// NaN is unordered: only != holds.
			if e.op == "!=" {
				return ""
			}
			return fmt.Sprintf("%s is %s, which compares with nothing; want %s", where, fieldDescribe(n), e)
		}
		cmp = fieldCompareFloats(v.num, e.lit.num)
	case fieldLitString:
		cmp = strings.Compare(v.str, e.lit.str)
	case fieldLitBool:
		if v.b != e.lit.b {
			cmp = 1
		}
	}
	holds := map[string]bool{
		"==": cmp == 0, "!=": cmp != 0,
		">=": cmp >= 0, "<=": cmp <= 0,
		">": cmp > 0, "<": cmp < 0,
	}[e.op]
	if holds {
		return ""
	}
	return fmt.Sprintf("%s is %s; want %s", where, fieldDescribe(n), e)
}

func fieldCompareFloats(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fieldValueOf types a node the way YAML resolves it: !!int and !!float
// are numbers, !!bool booleans, !!null null, and every other scalar
// (strings, timestamps, custom tags like CloudFormation's !Ref) is text.
func fieldValueOf(n *yaml.Node) fieldLiteral {
	if n.Kind != yaml.ScalarNode {
		return fieldLiteral{kind: fieldLitComposite}
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return fieldLiteral{kind: fieldLitNumber, num: f}
		}
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return fieldLiteral{kind: fieldLitBool, b: b}
		}
	case "!!null":
		return fieldLiteral{kind: fieldLitNull}
	}
	return fieldLiteral{kind: fieldLitString, str: n.Value}
}

func fieldKindName(k fieldLiteralKind) string {
	return [...]string{fieldLitNumber: "a number", fieldLitString: "a string", fieldLitBool: "a boolean", fieldLitNull: "null"}[k]
}

// fieldDescribe names a value for a finding: its type and, for scalars, its
// text (shortened).
func fieldDescribe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list of " + fieldCount(len(n.Content))
	}
	text := n.Value
	if utf8.RuneCountInString(text) > 60 {
		text = string([]rune(text)[:60]) + "…"
	}
	v := fieldValueOf(n)
	switch v.kind {
	case fieldLitString:
		return "the string " + strconv.Quote(text)
	case fieldLitNull:
		return "null"
	default:
		return text
	}
}

func fieldCount(n int) string { return plural.Count(n, "element", "elements") }
