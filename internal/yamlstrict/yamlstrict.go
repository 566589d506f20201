// Package yamlstrict decodes YAML into Go types and reports every problem
// at once, each with its line and key path: unknown keys with the keys
// expected there, values of the wrong type with the key they belong to,
// and durations written as bare numbers. yaml.v3 alone stops at the first
// unknown key and names a wrong type by Go's name only.
package yamlstrict

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// Problem is one thing wrong in a YAML document.
type Problem struct {
	Line int    // 0 when no line applies
	Path string // the key path of the value it is about ("server.workers"), or ""
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// Decode decodes n into out, a pointer, and returns every problem found,
// in line order. out is filled as far as the document allows.
//
// A duration (time.Duration) must be written with its unit ("30s"); a bare
// 0 is accepted as zero, as a unit does not change it.
//
// A struct field's description in messages is its Go type's ("a whole
// number", "a list"), or its `want` tag when it has one.
func Decode(n *yaml.Node, out any) []Problem {
	w := &walk{seen: map[*yaml.Node]bool{}, nodes: map[*yaml.Node]located{}}
	w.walk(n, reflect.TypeOf(out), "", "")
	problems := w.problems
	if err := n.Decode(out); err != nil {
		problems = append(problems, w.decodeProblems(err)...)
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	return problems
}

// located is what the walk learnt about a node: where it is and what it
// should hold.
type located struct {
	path string // "server.workers", "sections[0].min_words"
	want string // "a whole number"
	typ  reflect.Type
}

// walk visits each aliased node once: a node reached through aliases is
// checked the first time only, which bounds the walk by the document's size
// even for alias bombs and self-referencing anchors.
type walk struct {
	seen     map[*yaml.Node]bool
	nodes    map[*yaml.Node]located
	order    []*yaml.Node // nodes in document order, for decodeProblems
	reported map[*yaml.Node]bool
	problems []Problem
}

func (w *walk) add(n *yaml.Node, path, format string, args ...any) {
	w.problems = append(w.problems, Problem{Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
	if w.reported == nil {
		w.reported = map[*yaml.Node]bool{}
	}
	w.reported[n] = true
}

var durationType = reflect.TypeOf(time.Duration(0))

func (w *walk) walk(n *yaml.Node, t reflect.Type, path, want string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n != nil && n.Kind == yaml.AliasNode {
		if w.seen[n.Alias] {
			return
		}
		w.seen[n.Alias] = true
	}
	n = Resolve(n)
	if n == nil {
		return
	}
	if want == "" {
		want = describe(t)
	}
	if _, ok := w.nodes[n]; !ok {
		w.nodes[n] = located{path: path, want: want, typ: t}
		w.order = append(w.order, n)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// Types with their own UnmarshalYAML check their own keys.
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		ForEachKey(n, func(k, v *yaml.Node) {
			f, ok := fields[k.Value]
			if !ok {
				where := ""
				if path != "" {
					where = " in " + path
				}
				w.add(k, join(path, k.Value), "unknown key %q%s (expected one of: %s)", k.Value, where, strings.Join(sortedKeys(fields), ", "))
				return
			}
			w.walk(v, f.typ, join(path, k.Value), f.want)
		})
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, item := range n.Content {
				w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), "")
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			ForEachKey(n, func(k, v *yaml.Node) { w.walk(v, t.Elem(), join(path, k.Value), "") })
		}
	case reflect.Int64:
		if t == durationType {
			w.duration(n, path)
		}
	}
}

// duration accepts a bare 0 by rewriting it as "0s", which yaml.v3 can
// decode, and reports any other bare number: 30 could mean seconds or
// minutes, and time.Duration would read it as nanoseconds.
func (w *walk) duration(n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return
	}
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f == 0 {
		n.Tag, n.Value = "!!str", "0s"
		return
	}
	w.add(n, path, "%s is %s, a number without a unit: write a duration such as 30s, 5m or 1h (0 needs no unit)", path, n.Value)
}

// typeError is yaml.v3's text for a value of the wrong type.
var typeError = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+)$")

// lineText is yaml.v3's "line N: " prefix, with "yaml: " on syntax errors.
var lineText = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// decodeProblems turns the decoder's errors into problems. A wrong type is
// said with the key it belongs to and what that key takes, found among
// the nodes the walk visited on the error's line.
func (w *walk) decodeProblems(err error) []Problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var problems []Problem
	for _, m := range msgs {
		if tm := typeError.FindStringSubmatch(m); tm != nil {
			line, _ := strconv.Atoi(tm[1])
			if n := w.nodeAt(line, tm[2], tm[3]); n != nil {
				if !w.reported[n] {
					loc := w.nodes[n]
					problems = append(problems, Problem{Line: line, Path: loc.path, Msg: fmt.Sprintf("%s must be %s, not %s", orTop(loc.path), loc.want, got(n, tm[2], tm[3]))})
				}
				continue
			}
		}
		problems = append(problems, problemOf(m))
	}
	return problems
}

// SyntaxProblem is the error yaml.Unmarshal gave for data as a Problem, on
// the line the problem is on: yamlnode.Locate corrects the parser errors
// that yaml.v3 reports on the line above.
func SyntaxProblem(err error, data []byte) Problem {
	return problemOf(yamlnode.Locate(err, data).Error())
}

func problemOf(msg string) Problem {
	p := Problem{Msg: strings.TrimPrefix(msg, "yaml: ")}
	if m := lineText.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = msg[len(m[0]):]
	}
	return p
}

// nodeAt is the node a type error on line is about: among the nodes the
// walk visited there with that tag (and value, for a scalar), the first
// whose kind its Go type cannot hold, else the first.
func (w *walk) nodeAt(line int, tag, value string) *yaml.Node {
	var first *yaml.Node
	for _, n := range w.order {
		if n.Line != line || n.ShortTag() != tag || (value != "" && n.Value != value) {
			continue
		}
		if !holds(w.nodes[n].typ, n) {
			return n
		}
		if first == nil {
			first = n
		}
	}
	return first
}

// holds reports whether a value of type t can be decoded from a node of
// n's kind.
func holds(t reflect.Type, n *yaml.Node) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return n.Kind == yaml.MappingNode
	case reflect.Slice, reflect.Array:
		return n.Kind == yaml.SequenceNode
	case reflect.Interface:
		return true
	}
	return n.Kind == yaml.ScalarNode
}

func orTop(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// got says what a wrong value is: the value itself for a scalar, else its
// kind.
func got(n *yaml.Node, tag, value string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	}
	if value == "" {
		value = n.Value
	}
	return strconv.Quote(value)
}

// describe says in words what a Go type takes.
func describe(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 30s"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a single value (text)"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	}
	return "a " + t.String()
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// Resolve follows aliases and unwraps documents.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// ForEachKey visits the key/value pairs of a mapping, expanding YAML merge
// keys ("<<: *anchor") the way the decoder does.
func ForEachKey(n *yaml.Node, visit func(k, v *yaml.Node)) {
	forEachKeyDepth(n, visit, 0)
}

// maxMergeDepth bounds nested merge keys; a mapping that merges itself
// would otherwise recurse forever (yaml.v3 rejects it later, at decode).
const maxMergeDepth = 8

func forEachKeyDepth(n *yaml.Node, visit func(k, v *yaml.Node), depth int) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
			if depth < maxMergeDepth {
				for _, m := range mergeSources(v) {
					forEachKeyDepth(m, visit, depth+1)
				}
			}
			continue
		}
		visit(k, v)
	}
}

func mergeSources(v *yaml.Node) []*yaml.Node {
	v = Resolve(v)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for _, item := range v.Content {
			if m := Resolve(item); m != nil && m.Kind == yaml.MappingNode {
				out = append(out, m)
			}
		}
		return out
	}
	if v.Kind == yaml.MappingNode {
		return []*yaml.Node{v}
	}
	return nil
}

// field is a struct field as YAML sees it.
type field struct {
	typ  reflect.Type
	want string // its `want` tag: what the field takes, in words
}

// yamlFields maps the YAML keys of a struct type to their fields,
// flattening ",inline" fields as yaml.v3 does.
func yamlFields(t reflect.Type) map[string]field {
	fields := map[string]field{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					fields[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = field{typ: f.Type, want: f.Tag.Get("want")}
	}
	return fields
}

func sortedKeys(m map[string]field) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
