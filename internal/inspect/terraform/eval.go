package terraform

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// value is an evaluated expression and where its value is set for this
// environment: when an expression reads exactly one variable, local or
// module output, the place is where that one is set (the .tfvars line, the
// module argument, the default), since that is what a developer edits;
// otherwise it is the expression itself. steps explain the chain.
type value struct {
	val   cty.Value
	path  string
	line  int
	steps []string
}

func (v value) from() string { return strings.Join(v.steps, ", ") }

// eval evaluates expr in module instance in, with rep's count.index or
// each.* in scope. lhs names what is evaluated ("desired_count",
// "local.tasks") in explanations and Diagnostics. False when the value
// cannot be known statically; the reason is recorded as a Diagnostic.
func (r *reader) eval(in *instance, rep repetition, expr hcl.Expression, lhs string) (value, bool) {
	return r.evaluate(in, rep, expr, lhs, false)
}

// evalLenient evaluates expr with whatever cannot be known statically (a
// resource attribute, a data source, a variable without a value) as an
// unknown value, and records no Diagnostic: for a container definition
// whose image comes from an ECR repository but whose healthCheck is
// literal, the caller decides whether the unknown parts matter.
func (r *reader) evalLenient(in *instance, rep repetition, expr hcl.Expression, lhs string) cty.Value {
	r.quiet++
	defer func() { r.quiet-- }()
	v, ok := r.evaluate(in, rep, expr, lhs, true)
	if !ok {
		return cty.DynamicVal
	}
	return v.val
}

func (r *reader) evaluate(in *instance, rep repetition, expr hcl.Expression, lhs string, lenient bool) (value, bool) {
	scope := map[string]map[string]cty.Value{"var": {}, "local": {}}
	modules := map[string]map[string]cty.Value{}
	vars := map[string]cty.Value{"path": r.pathValue(in)}
	// referents are the variables, locals and outputs read, by name.
	referents := map[string]value{}
	ok := true
	// unknowable records a reference without a static value: unknown when
	// lenient, else a Diagnostic that fails the evaluation.
	unknowable := func(rng hcl.Range, why string, unknown func()) {
		if lenient {
			unknown()
			return
		}
		r.diag(rng.Filename, rng.Start.Line, fmt.Sprintf("%s = %s: %s", lhs, r.text(expr.Range()), why))
		ok = false
	}
	for _, t := range expr.Variables() {
		rng := t.SourceRange()
		switch root := t.RootName(); root {
		case "var", "local":
			name, named := traversalName(t, 1)
			if !named {
				unknowable(rng, root+" must be followed by a name", func() {})
				continue
			}
			var v value
			var good bool
			if root == "var" {
				v, good = r.variable(in, name, rng, lhs, lenient)
			} else {
				v, good = r.local(in, name, rng, lhs, lenient)
			}
			switch {
			case good:
				scope[root][name] = v.val
				referents[root+"."+name] = v
			case lenient:
				scope[root][name] = cty.DynamicVal
			default:
				ok = false
			}
		case "module":
			name, named := traversalName(t, 1)
			out, hasOut := traversalName(t, 2)
			if !named || !hasOut {
				unknowable(rng, fmt.Sprintf("%s: launchgate reads only module.NAME.OUTPUT of a module without count or for_each", r.text(rng)), func() {})
				continue
			}
			if modules[name] == nil {
				modules[name] = map[string]cty.Value{}
			}
			v, good := r.output(in, name, out, rng, lhs, lenient)
			switch {
			case good:
				modules[name][out] = v.val
				referents["module."+name+"."+out] = v
			case lenient:
				modules[name][out] = cty.DynamicVal
			default:
				ok = false
			}
		case "count":
			if !rep.counted {
				unknowable(rng, "count.index is used where there is no count", func() { vars["count"] = cty.DynamicVal })
			}
		case "each":
			if !rep.each {
				unknowable(rng, "each is used where there is no for_each", func() { vars["each"] = cty.DynamicVal })
			}
		case "path":
		default:
			unknowable(rng, fmt.Sprintf("depends on %s, %s; set it to a literal or a variable", r.text(rng), whyUnknowable(root)),
				func() { vars[root] = cty.DynamicVal })
		}
	}
	if !ok {
		return value{}, false
	}
	vars["var"] = cty.ObjectVal(scope["var"])
	vars["local"] = cty.ObjectVal(scope["local"])
	if len(modules) > 0 {
		objs := map[string]cty.Value{}
		for name, outs := range modules {
			objs[name] = cty.ObjectVal(outs)
		}
		vars["module"] = cty.ObjectVal(objs)
	}
	if rep.counted {
		vars["count"] = cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(int64(rep.index))})
	}
	if rep.each {
		vars["each"] = cty.ObjectVal(map[string]cty.Value{"key": rep.key, "value": rep.value})
	}
	val, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: r.funcs})
	at := expr.Range()
	if diags.HasErrors() {
		r.hclDiag(at.Filename, at.Start.Line, fmt.Sprintf("%s = %s cannot be evaluated", lhs, r.text(at)), diags)
		return value{}, false
	}
	if !val.IsWhollyKnown() && !lenient {
		r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s = %s is known only when Terraform runs; set it to a literal or a variable", lhs, r.text(at)))
		return value{}, false
	}
	step := fmt.Sprintf("%s = %s in %s:%d", lhs, r.text(at), at.Filename, at.Start.Line)
	if len(referents) == 1 {
		for _, ref := range referents {
			return value{val: val, path: ref.path, line: ref.line, steps: append([]string{step}, ref.steps...)}, true
		}
	}
	return value{val: val, path: at.Filename, line: at.Start.Line, steps: []string{step}}, true
}

// whyUnknowable says why a reference has no static value.
func whyUnknowable(root string) string {
	switch root {
	case "data":
		return "a data source, read only when Terraform runs"
	case "terraform":
		return "chosen only when Terraform runs"
	case "self":
		return "known only after apply"
	}
	return "an attribute of a resource, known only after apply"
}

// traversalName is the attribute name at position i of a traversal
// (var.NAME, module.NAME.OUTPUT).
func traversalName(t hcl.Traversal, i int) (string, bool) {
	if len(t) <= i {
		return "", false
	}
	a, ok := t[i].(hcl.TraverseAttr)
	return a.Name, ok
}

// variable is the value of var.name in instance in: for the root module
// from its variable files (the last file setting it wins) or the default;
// for a called module from the call's argument or the default.
func (r *reader) variable(in *instance, name string, at hcl.Range, lhs string, lenient bool) (value, bool) {
	return r.memoized(in.vars, "var."+name, lenient, at, lhs, func() (value, bool) {
		decl := in.mod.variables[name]
		if decl == nil {
			r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s reads var.%s, which %s does not declare", lhs, name, in.mod.dir))
			return value{}, false
		}
		if in.parent == nil {
			for i := len(in.varFiles) - 1; i >= 0; i-- {
				if a := in.varFiles[i][name]; a != nil {
					return r.constant(a, "var."+name+" =")
				}
			}
		} else if a := in.call.args[name]; a != nil {
			return r.evaluate(in.parent, in.rep, a.Expr, in.addr+": "+name, lenient)
		}
		if decl.def != nil {
			return r.constant(decl.def, "var."+name+" defaults to")
		}
		where := "set it in this environment's .tfvars file"
		if in.parent != nil {
			where = fmt.Sprintf("pass %s = ... to %s (%s:%d)", name, in.addr, in.call.block.DefRange.Filename, in.call.block.DefRange.Start.Line)
		}
		r.diag(decl.decl.Filename, decl.decl.Start.Line, fmt.Sprintf(
			"%s reads var.%s, which has no value in this environment and no default: %s, or give it a default", lhs, name, where))
		return value{}, false
	})
}

// constant evaluates a variable file value or a variable default: Terraform
// allows only literal values there.
func (r *reader) constant(a *hcl.Attribute, lhs string) (value, bool) {
	rng := a.Expr.Range()
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		r.hclDiag(rng.Filename, rng.Start.Line, lhs+" "+r.text(rng)+" is not a literal value", diags)
		return value{}, false
	}
	return value{val: val, path: rng.Filename, line: rng.Start.Line,
		steps: []string{fmt.Sprintf("%s %s in %s:%d", lhs, r.text(rng), rng.Filename, rng.Start.Line)}}, true
}

// local is the value of local.name in instance in.
func (r *reader) local(in *instance, name string, at hcl.Range, lhs string, lenient bool) (value, bool) {
	return r.memoized(in.locals, "local."+name, lenient, at, lhs, func() (value, bool) {
		a := in.mod.locals[name]
		if a == nil {
			r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s reads local.%s, which %s does not define", lhs, name, in.mod.dir))
			return value{}, false
		}
		return r.evaluate(in, repetition{}, a.Expr, "local."+name, lenient)
	})
}

// output is the value of module.name.out read from instance in; only
// local modules called without count or for_each have one.
func (r *reader) output(in *instance, name, out string, at hcl.Range, lhs string, lenient bool) (value, bool) {
	fail := func(why string) (value, bool) {
		r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s reads module.%s.%s: %s; set it to a literal or a variable", lhs, name, out, why))
		return value{}, false
	}
	var call *moduleCall
	for _, c := range in.mod.calls {
		if c.name == name {
			call = c
		}
	}
	switch {
	case call == nil:
		return fail("there is no module " + name)
	case !isLocalSource(call.source):
		return fail(fmt.Sprintf("module %s comes from %q, which launchgate does not download", name, call.source))
	case call.count != nil || call.forEach != nil || len(in.children[name]) != 1:
		return fail("launchgate reads outputs only of a module called once, without count or for_each")
	}
	child := in.children[name][0]
	o := child.mod.outputs[out]
	if o == nil {
		return fail(child.mod.dir + " has no such output")
	}
	return r.memoized(child.outputs, "module."+name+"."+out, lenient, at, lhs, func() (value, bool) {
		return r.evaluate(child, repetition{}, o.Expr, "output "+out+" of "+child.addr, lenient)
	})
}

// memoized evaluates a variable, local or output once per instance and
// mode, and reports a reference back to one being evaluated as a cycle.
// Lenient results are kept apart: their Diagnostics were not recorded.
func (r *reader) memoized(cache map[string]*memo, key string, lenient bool, at hcl.Range, lhs string, compute func() (value, bool)) (value, bool) {
	if lenient {
		key = "lenient " + key
	}
	if m, ok := cache[key]; ok {
		if m.busy {
			r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s reads %s, which depends on itself (a cycle)", lhs, key))
			return value{}, false
		}
		return m.v, m.ok
	}
	m := &memo{busy: true}
	cache[key] = m
	m.v, m.ok = compute()
	m.busy = false
	return m.v, m.ok
}

// pathValue is path.module, path.root and path.cwd of an instance, relative
// to the root module directory as Terraform gives them when run there.
// https://developer.hashicorp.com/terraform/language/expressions/references#filesystem-and-workspace-info
func (r *reader) pathValue(in *instance) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"module": cty.StringVal(relPath(r.rootDir, in.mod.dir)),
		"root":   cty.StringVal("."),
		"cwd":    cty.StringVal("."),
	})
}

// relPath is the slash path of to relative to from; both are clean and
// relative to the same root.
func relPath(from, to string) string {
	split := func(p string) []string {
		if p == "." {
			return nil
		}
		return strings.Split(p, "/")
	}
	f, t := split(from), split(to)
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	var parts []string
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// maxQuote bounds how much of an expression explanations quote.
const maxQuote = 80

// text is the source of a range, on one line and shortened, for messages.
func (r *reader) text(rng hcl.Range) string {
	src := r.sources[rng.Filename]
	if rng.Start.Byte < 0 || rng.Start.Byte > rng.End.Byte || rng.End.Byte > len(src) {
		return "(expression)"
	}
	s := strings.Join(strings.Fields(string(src[rng.Start.Byte:rng.End.Byte])), " ")
	if utf8.RuneCountInString(s) > maxQuote {
		s = string([]rune(s)[:maxQuote-3]) + "..."
	}
	return s
}
