// Package yamlnode navigates yaml.v3 node trees the way YAML means them:
// through aliases, documents and merge keys, and reads the line of a
// syntax error. The check kinds of inspect and the CI reader of inspect/ci
// share it.
package yamlnode

import (
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

var syntaxLinePattern = regexp.MustCompile(`\bline (\d+)\b`)

// SyntaxLine extracts the line yaml.v3 puts in its error text ("yaml:
// line 3: ..."); it has no structured position for syntax errors. 0 when
// the error names no line. yaml.v3 (v3.0.1, and go.yaml.in/yaml/v3 v3.0.5)
// numbers parser errors, unlike scanner errors, by the 0-based line of
// their context, so those point one line above the construct; the error
// text itself says what is wrong.
func SyntaxLine(err error) int {
	m := syntaxLinePattern.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
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
