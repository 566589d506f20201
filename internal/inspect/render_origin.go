package inspect

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// A finding belongs on the line a developer changes for the environment,
// but objects kustomize renders carry no position. kustomize can record a
// resource's origin file and the transformers that touched it
// (buildMetadata: [originAnnotations, transformerAnnotations],
// https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/buildmetadata/),
// yet only when the repository's kustomization asks for it, and never
// which entry set which field. So launchgate maps fields back itself: it
// lists the entries of the overlay's kustomizations that set a field, in
// the order kustomize applies them, and takes the last one that gives the
// rendered value. Without one, the value is the declaration's.

// origin is where an object is written: the file and the document that
// declare it. doc is nil when no file declares it.
type origin struct {
	path string
	doc  *yaml.Node
	// name is the object's name in doc, which an overlay's namePrefix or
	// nameSuffix may have changed in the rendered object.
	name string
}

// line is the declaration's first line, 0 when unknown.
func (o origin) line() int {
	if o.doc == nil {
		return 0
	}
	return o.doc.Line
}

// fieldLine is the line of the integer field spec.<field> in the
// declaration, 0 when the declaration does not set it.
func (o origin) fieldLine(field string) int {
	if o.doc == nil {
		return 0
	}
	if v := lookupPath(o.doc, "spec", field); v != nil {
		return v.Line
	}
	return 0
}

// containerLine is the line naming the container in the declaration's pod
// template ("- name: app"), 0 when it is not there.
func (o origin) containerLine(name string) int {
	if o.doc == nil {
		return 0
	}
	ctrs := lookupPath(o.doc, "spec", "template", "spec", "containers")
	if ctrs == nil || ctrs.Kind != yaml.SequenceNode {
		return 0
	}
	for _, c := range ctrs.Content {
		if n := lookupPath(c, "name"); n != nil && n.Value == name {
			return n.Line
		}
	}
	return 0
}

// lookupPath follows keys down nested mappings from n, which may be nil.
func lookupPath(n *yaml.Node, keys ...string) *yaml.Node {
	if n == nil {
		return nil
	}
	for _, k := range keys {
		if n = yamlnode.Resolve(n); n.Kind != yaml.MappingNode {
			return nil
		}
		if n = yamlnode.Lookup(n, k); n == nil {
			return nil
		}
	}
	return yamlnode.Resolve(n)
}

// fieldSetter is an entry of a kustomization that sets the integer field
// spec.<field> of the objects it targets: a replicas: entry, a strategic
// merge patch or a JSON 6902 operation.
type fieldSetter struct {
	path   string
	line   int
	field  string // "replicas" or "minReplicas"
	value  int
	target selector
}

// selector is a patch target, its kind and name regular expressions as
// kustomize matches them
// (https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/);
// "" matches anything. Label and annotation selectors are not evaluated:
// such a patch may match, and the value it sets must still be the
// rendered one.
type selector struct {
	kind, name string
}

func exactSelector(kind, name string) selector {
	return selector{kind: regexp.QuoteMeta(kind), name: regexp.QuoteMeta(name)}
}

func (s selector) matches(kind string, names []string) bool {
	if !anchoredMatch(s.kind, kind) {
		return false
	}
	for _, n := range names {
		if anchoredMatch(s.name, n) {
			return true
		}
	}
	return false
}

func anchoredMatch(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return pattern == s
	}
	return re.MatchString(s)
}

// setBy is the entry that gave spec.<field> of the object of kind, known
// by names, its rendered value in the overlay in dir: the last that sets
// that value, in kustomize's order.
func (rd *renderer) setBy(dir, kind string, names []string, field string, value int) (string, int, bool) {
	ss := rd.setters(dir)
	for i := len(ss) - 1; i >= 0; i-- {
		if s := ss[i]; s.field == field && s.value == value && s.target.matches(kind, names) {
			return s.path, s.line, true
		}
	}
	return "", 0, false
}

// setters lists the field setters of the kustomization in dir and of those
// it builds on, in the order kustomize applies them. Overlays share bases,
// so each directory's list is made once.
func (rd *renderer) setters(dir string) []fieldSetter {
	if ss, ok := rd.fieldSetters[dir]; ok {
		return ss
	}
	rd.fieldSetters[dir] = nil // a cycle is kustomize's to report
	ss := rd.kustomizationSetters(dir)
	rd.fieldSetters[dir] = ss
	return ss
}

// kustomizationSetters follows kustomize's order
// (sigs.k8s.io/kustomize/api v0.21.2, internal/target): resources and
// bases, then components, are built first; then this kustomization's
// transformers run: strategic merge patches, patches, JSON 6902 patches,
// replicas.
func (rd *renderer) kustomizationSetters(dir string) []fieldSetter {
	kfile := rd.kustomizationFile(dir)
	if kfile == "" {
		return nil
	}
	data, err := rd.read(kfile)
	if err != nil {
		return nil // the build has failed on it already
	}
	docs, err := parseYAMLDocs(data)
	if err != nil || len(docs) == 0 {
		return nil
	}
	root := docs[0]
	var out []fieldSetter
	for _, key := range []string{"resources", "bases", "components"} {
		for _, ref := range items(foldLookup(root, key)) {
			if target := resolveRef(dir, ref.Value); rd.dirs[target] {
				out = append(out, rd.setters(target)...)
			}
		}
	}
	for _, p := range items(foldLookup(root, "patchesStrategicMerge")) {
		out = append(out, rd.patchSetters(dir, kfile, p, nil)...)
	}
	for _, key := range []string{"patches", "patchesJson6902"} {
		for _, p := range items(foldLookup(root, key)) {
			var target *selector
			if t := lookupPath(p, "target"); t != nil {
				target = &selector{kind: scalarValue(lookupPath(t, "kind")), name: scalarValue(lookupPath(t, "name"))}
			}
			if body := lookupPath(p, "patch"); body != nil {
				out = append(out, rd.patchSetters(dir, kfile, body, target)...)
			} else if path := lookupPath(p, "path"); path != nil {
				out = append(out, rd.patchSetters(dir, kfile, path, target)...)
			}
		}
	}
	for _, r := range items(foldLookup(root, "replicas")) {
		count := lookupPath(r, "count")
		if n, ok := intValue(count); ok {
			out = append(out, fieldSetter{path: kfile, line: count.Line, field: "replicas", value: n,
				target: selector{name: regexp.QuoteMeta(scalarValue(lookupPath(r, "name")))}})
		}
	}
	return out
}

// patchSetters reads a patch, inline in kfile or a file named by ref, and
// lists the fields it sets. target is the entry's target, nil when the
// patch names its objects itself.
func (rd *renderer) patchSetters(dir, kfile string, ref *yaml.Node, target *selector) []fieldSetter {
	path, lineOf := kfile, func(n *yaml.Node) int { return ref.Line }
	var data []byte
	if inlineYAML(ref.Value) {
		data = []byte(ref.Value)
		if ref.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			// A block scalar's text starts on the line after its indicator.
			lineOf = func(n *yaml.Node) int { return ref.Line + n.Line }
		}
	} else {
		path = resolveRef(dir, ref.Value)
		var err error
		if data, err = rd.read(path); err != nil {
			return nil
		}
		lineOf = func(n *yaml.Node) int { return n.Line }
	}
	docs, err := parseYAMLDocs(data)
	if err != nil {
		return nil
	}
	var out []fieldSetter
	if len(docs) == 1 && docs[0].Kind == yaml.SequenceNode {
		if target == nil {
			return nil // kustomize requires a target for JSON 6902 operations
		}
		for _, op := range docs[0].Content {
			field, isField := strings.CutPrefix(scalarValue(lookupPath(op, "path")), "/spec/")
			if !isField || (field != "replicas" && field != "minReplicas") {
				continue
			}
			value, ok := 1, false // a removed field takes Kubernetes' default, 1
			switch scalarValue(lookupPath(op, "op")) {
			case "add", "replace":
				value, ok = intValue(lookupPath(op, "value"))
			case "remove":
				ok = true
			}
			if ok {
				out = append(out, fieldSetter{path: path, line: lineOf(op), field: field, value: value, target: *target})
			}
		}
		return out
	}
	for _, doc := range docs {
		sel := target
		if sel == nil {
			var h objectHeader
			if doc.Decode(&h) != nil {
				continue
			}
			s := exactSelector(h.Kind, h.Metadata.Name)
			sel = &s
		}
		for _, field := range []string{"replicas", "minReplicas"} {
			v := lookupPath(doc, "spec", field)
			if v == nil {
				continue
			}
			value, ok := intValue(v)
			if v.Tag == "!!null" {
				value, ok = 1, true // null deletes the field: Kubernetes' default, 1
			}
			if ok {
				out = append(out, fieldSetter{path: path, line: lineOf(v), field: field, value: value, target: *sel})
			}
		}
	}
	return out
}

// foldLookup finds key in a mapping ignoring case, as kustomize reads
// kustomization keys.
func foldLookup(m *yaml.Node, key string) *yaml.Node {
	_, v := foldEntry(m, key)
	return v
}

// foldEntry is foldLookup's key and value nodes, nil when absent.
func foldEntry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m = yamlnode.Resolve(m); m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && strings.EqualFold(k.Value, key) {
			return k, yamlnode.Resolve(m.Content[i+1])
		}
	}
	return nil, nil
}

// items are a sequence's entries, none when n is not a sequence.
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = yamlnode.Resolve(c)
	}
	return out
}

func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func intValue(n *yaml.Node) (int, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	return v, err == nil
}
