package policy

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// unknownKeys reports mapping keys that have no field in the Go type the
// node decodes into. yaml.v3 has a KnownFields option, but only on a
// Decoder reading a whole document: it is lost for a sub-node, and check
// parameters are decoded from sub-nodes once their kind is known. So the
// walk is done here, over the node tree, which also gives every unknown key
// its own line.
func unknownKeys(n *yaml.Node, t reflect.Type) []string {
	return (&keyWalk{seen: map[*yaml.Node]bool{}}).walk(n, t)
}

// keyWalk visits each aliased node once: a node reached through aliases is
// checked the first time only, which bounds the walk by the document's size
// even for alias bombs and self-referencing anchors.
type keyWalk struct{ seen map[*yaml.Node]bool }

func (w *keyWalk) walk(n *yaml.Node, t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n != nil && n.Kind == yaml.AliasNode {
		if w.seen[n.Alias] {
			return nil
		}
		w.seen[n.Alias] = true
	}
	n = resolve(n)
	if n == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
		// Types with their own UnmarshalYAML check their own keys.
		return nil
	}
	var errs []string
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // yaml.v3 reports the type mismatch with its line
		}
		fields := yamlFields(t)
		forEachKey(n, func(k, v *yaml.Node) {
			ft, ok := fields[k.Value]
			if !ok {
				errs = append(errs, fmt.Sprintf("line %d: unknown key %q (expected one of: %s)", k.Line, k.Value, strings.Join(sortedKeys(fields), ", ")))
				return
			}
			errs = append(errs, w.walk(v, ft)...)
		})
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, item := range n.Content {
				errs = append(errs, w.walk(item, t.Elem())...)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			forEachKey(n, func(_, v *yaml.Node) { errs = append(errs, w.walk(v, t.Elem())...) })
		}
	}
	return errs
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// resolve follows aliases and unwraps documents.
func resolve(n *yaml.Node) *yaml.Node {
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

// forEachKey visits the key/value pairs of a mapping, expanding YAML merge
// keys ("<<: *anchor") the way the decoder does.
func forEachKey(n *yaml.Node, visit func(k, v *yaml.Node)) {
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
	v = resolve(v)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for _, item := range v.Content {
			if m := resolve(item); m != nil && m.Kind == yaml.MappingNode {
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

// yamlFields maps the YAML keys of a struct type to their field types,
// flattening ",inline" fields as yaml.v3 does.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
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
		fields[name] = f.Type
	}
	return fields
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
