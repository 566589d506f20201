package terraform

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// maxFileSize caps every file read, as package inspect caps repository
// files: bigger files are Diagnostics, not partial reads.
const maxFileSize = 1 << 20

// module is one parsed module directory.
type module struct {
	dir string
	// files counts the Terraform files found, parsed or not.
	files     int
	variables map[string]*variable
	locals    map[string]*hcl.Attribute
	outputs   map[string]*hcl.Attribute
	calls     []*moduleCall
	// resources are the managed resources in file name, then line order.
	resources []*resource
	byAddr    map[string]*resource
}

type variable struct {
	decl hcl.Range
	// def is the default attribute, nil when the variable has none.
	def *hcl.Attribute
}

type moduleCall struct {
	name   string
	block  *hcl.Block
	source string
	// sourceAt is where the source argument is, or the block when it has
	// none: a finding about where a module comes from points there.
	sourceAt hcl.Range
	// args are the call's arguments, without the meta-arguments.
	args           map[string]*hcl.Attribute
	count, forEach *hcl.Attribute
}

type resource struct {
	typ, name      string
	block          *hcl.Block
	count, forEach *hcl.Attribute
}

func (res *resource) addr() string { return res.typ + "." + res.name }

// fileSchema names the top-level blocks launchgate reads; provider,
// terraform and data blocks are not needed (data sources are recognised
// by their references).
var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "module", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}},
}}

var metaSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "count"}, {Name: "for_each"}, {Name: "source"}, {Name: "default"}, {Name: "value"},
}}

// moduleMetaArgs are the module block arguments that are not the called
// module's variables.
var moduleMetaArgs = map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true}

// loadModule parses the Terraform files directly in dir, once per Read.
func (r *reader) loadModule(dir string) *module {
	if m, ok := r.modules[dir]; ok {
		return m
	}
	m := &module{dir: dir, variables: map[string]*variable{}, locals: map[string]*hcl.Attribute{},
		outputs: map[string]*hcl.Attribute{}, byAddr: map[string]*resource{}}
	r.modules[dir] = m
	entries, err := fs.ReadDir(r.fsys, dir)
	if err != nil {
		r.diag(dir, 0, fmt.Sprintf("cannot list the Terraform module directory %s: %v", dir, err))
		return m
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")) {
			continue
		}
		m.files++
		p := path.Join(dir, name)
		if isOverrideFile(name) {
			// https://developer.hashicorp.com/terraform/language/files/override
			r.diag(p, 0, fmt.Sprintf("%s is a Terraform override file, merged into the blocks it overrides; launchgate does not merge overrides, so move its settings into those blocks", p))
			continue
		}
		if f := r.parseFile(p); f != nil {
			m.add(f)
		}
	}
	return m
}

func isOverrideFile(name string) bool {
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".tf")
	return base == "override" || strings.HasSuffix(base, "_override")
}

// add records the blocks of one parsed file. Terraform rejects a duplicate
// variable, local or resource, so such a configuration cannot be applied;
// here a later duplicate shadows an earlier one in lookups, and both
// resources are still read.
func (m *module) add(f *hcl.File) {
	content, _, _ := f.Body.PartialContent(fileSchema)
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			meta, _, _ := b.Body.PartialContent(metaSchema)
			m.variables[b.Labels[0]] = &variable{decl: b.DefRange, def: meta.Attributes["default"]}
		case "locals":
			attrs, _ := b.Body.JustAttributes()
			for name, a := range attrs {
				m.locals[name] = a
			}
		case "output":
			meta, _, _ := b.Body.PartialContent(metaSchema)
			if v := meta.Attributes["value"]; v != nil {
				m.outputs[b.Labels[0]] = v
			}
		case "module":
			m.calls = append(m.calls, newModuleCall(b))
		case "resource":
			meta, _, _ := b.Body.PartialContent(metaSchema)
			res := &resource{typ: b.Labels[0], name: b.Labels[1], block: b,
				count: meta.Attributes["count"], forEach: meta.Attributes["for_each"]}
			m.resources = append(m.resources, res)
			m.byAddr[res.addr()] = res
		}
	}
}

func newModuleCall(b *hcl.Block) *moduleCall {
	call := &moduleCall{name: b.Labels[0], block: b, args: map[string]*hcl.Attribute{}}
	attrs, _ := b.Body.JustAttributes()
	for name, a := range attrs {
		switch {
		case name == "count":
			call.count = a
		case name == "for_each":
			call.forEach = a
		case !moduleMetaArgs[name]:
			call.args[name] = a
		}
	}
	call.sourceAt = call.block.DefRange
	if a := attrs["source"]; a != nil {
		call.sourceAt = a.Range
		// Terraform requires a literal source string; anything else stays
		// "" and is reported as unreadable by the caller.
		if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type().FriendlyName() == "string" && v.IsKnown() && !v.IsNull() {
			call.source = v.AsString()
		}
	}
	return call
}

// parseFile parses one .tf or .tf.json file; a file that does not parse
// is a Diagnostic at the parser's own position and contributes nothing.
func (r *reader) parseFile(p string) *hcl.File {
	data, err := r.readFile(p)
	if err != nil {
		r.diag(p, 0, err.Error())
		return nil
	}
	r.sources[p] = data
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(p, ".json") {
		f, diags = hcljson.Parse(data, p)
	} else {
		f, diags = hclsyntax.ParseConfig(data, p, hcl.InitialPos)
	}
	if diags.HasErrors() {
		r.hclDiag(p, 0, "cannot parse "+p, diags)
		return nil
	}
	return f
}

// readFile reads a repository file of at most maxFileSize bytes.
func (r *reader) readFile(p string) ([]byte, error) {
	if !fs.ValidPath(p) {
		return nil, fmt.Errorf("%s is outside the repository", p)
	}
	f, err := r.fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than the %d byte limit", p, maxFileSize)
	}
	return data, nil
}

// hclDiag records the first error of an HCL diagnostics list at its own
// subject, or at p:line when it has none. The first error is the real
// mistake; later ones are usually its consequences.
func (r *reader) hclDiag(p string, line int, what string, diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		at, atLine := p, line
		if d.Subject != nil {
			at, atLine = d.Subject.Filename, d.Subject.Start.Line
		}
		msg := what + ": " + d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil && d.Subject.Start.Byte >= len(r.sources[d.Subject.Filename]) {
			// HCL reports an unclosed bracket where the file ends.
			msg += " (the parser reached the end of the file: look above for an unclosed bracket, brace or parenthesis)"
		}
		r.diag(at, atLine, msg)
		return
	}
}

// parseVarFile parses a .tfvars or .tfvars.json file into its variable
// assignments; nil when it cannot.
func (r *reader) parseVarFile(p string) hcl.Attributes {
	f := r.parseFile(p)
	if f == nil {
		return nil
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		r.hclDiag(p, 0, "cannot read the variable values in "+p, diags)
		return nil
	}
	return attrs
}
