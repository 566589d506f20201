package terraform

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// maxModuleDepth bounds how deeply local module calls are followed.
const maxModuleDepth = 10

// maxInstances bounds the instances of one count or for_each, so that a
// count of a billion is a Diagnostic rather than a billion workloads.
const maxInstances = 1000

// maxExpanded bounds the module and resource instances of one Read: nested
// module calls with count multiply.
const maxExpanded = 20000

// instance is one instance of a module: the root module, or a module call
// (one per count index or for_each key). Values are evaluated per instance,
// since a call's arguments are its module's variables.
type instance struct {
	mod  *module
	addr string // "" for the root, else module.api, module.api["a"].module.db
	// parent, call and rep are how a child module instance was called: its
	// arguments are evaluated in parent with rep's count.index or each.
	parent *instance
	call   *moduleCall
	rep    repetition
	// varFiles are the root's variable files in increasing precedence.
	varFiles []hcl.Attributes
	children map[string][]*instance
	vars     map[string]*memo
	locals   map[string]*memo
	outputs  map[string]*memo
}

// memo caches one evaluated variable, local or output; busy marks one being
// evaluated, so that a reference back to it is a cycle.
type memo struct {
	v    value
	ok   bool
	busy bool
}

func newInstance(mod *module, addr string) *instance {
	return &instance{mod: mod, addr: addr, children: map[string][]*instance{},
		vars: map[string]*memo{}, locals: map[string]*memo{}, outputs: map[string]*memo{}}
}

// resourceAddr is the address of a resource instance of this module instance.
func (in *instance) resourceAddr(res *resource, rep repetition) string {
	return joinAddr(in.addr, res.addr()+rep.suffix())
}

func joinAddr(prefix, addr string) string {
	if prefix == "" {
		return addr
	}
	return prefix + "." + addr
}

// repetition is one instance key of a resource or module with count or
// for_each; the zero value is a single instance with neither.
type repetition struct {
	counted, each bool
	index         int
	key, value    cty.Value
}

// suffix is the instance key as Terraform writes it in addresses.
func (rep repetition) suffix() string {
	switch {
	case rep.counted:
		return "[" + strconv.Itoa(rep.index) + "]"
	case rep.each:
		return "[" + strconv.Quote(rep.key.AsString()) + "]"
	}
	return ""
}

// rootInstance loads the root module and its variable files in Terraform's
// precedence, lowest first:
// https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence
func (r *reader) rootInstance(src Source) *instance {
	mod := r.loadModule(r.rootDir)
	if mod.files == 0 {
		r.diag(r.rootDir, 0, fmt.Sprintf("no Terraform files (*.tf, *.tf.json) in %s, the root module of this environment", r.rootDir))
		return nil
	}
	in := newInstance(mod, "")
	var files []string
	var auto []string
	for _, name := range r.dirFiles(r.rootDir) {
		switch {
		case name == "terraform.tfvars" || name == "terraform.tfvars.json":
			files = append(files, name)
		case strings.HasSuffix(name, ".auto.tfvars") || strings.HasSuffix(name, ".auto.tfvars.json"):
			auto = append(auto, name)
		}
	}
	// dirFiles is in name order, which puts terraform.tfvars before
	// terraform.tfvars.json as Terraform reads them.
	for _, name := range append(files, auto...) {
		if vf := r.parseVarFile(path.Join(r.rootDir, name)); vf != nil {
			in.varFiles = append(in.varFiles, vf)
		}
	}
	for _, p := range src.VarFiles {
		if vf := r.parseVarFile(path.Clean(p)); vf != nil {
			in.varFiles = append(in.varFiles, vf)
		}
	}
	r.instances = append(r.instances, in)
	return in
}

// dirFiles lists the names of the regular files in dir, sorted; a
// directory that cannot be listed was already reported by loadModule.
func (r *reader) dirFiles(dir string) []string {
	var names []string
	entries, _ := fs.ReadDir(r.fsys, dir)
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// expand instantiates the local module calls of in, recursively.
func (r *reader) expand(in *instance, depth int) {
	for _, call := range in.mod.calls {
		at := call.block.DefRange
		callAddr := joinAddr(in.addr, "module."+call.name)
		if !isLocalSource(call.source) {
			if call.source == "" {
				r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s has no literal source string; launchgate cannot tell which module it calls", callAddr))
				continue
			}
			src := call.sourceAt
			r.env.RemoteModules = append(r.env.RemoteModules, RemoteModule{Address: callAddr, Source: call.source, Path: src.Filename, Line: src.Start.Line})
			continue
		}
		dir := path.Join(in.mod.dir, call.source)
		switch {
		case dir == ".." || strings.HasPrefix(dir, "../"):
			r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s calls %q, outside the repository", callAddr, call.source))
			continue
		case depth+1 > maxModuleDepth:
			r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s is nested more than %d modules deep; launchgate stops following module calls there", callAddr, maxModuleDepth))
			continue
		case in.calledFrom(dir):
			r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s calls %s, a module that is already calling it (a module cycle)", callAddr, dir))
			continue
		}
		mod := r.loadModule(dir)
		if mod.files == 0 {
			r.diag(at.Filename, at.Start.Line, fmt.Sprintf("%s calls %q, but %s holds no Terraform files", callAddr, call.source, dir))
			continue
		}
		reps, ok := r.repetitions(in, call.count, call.forEach, "module."+call.name)
		if !ok {
			continue
		}
		for _, rep := range reps {
			child := newInstance(mod, callAddr+rep.suffix())
			child.parent, child.call, child.rep = in, call, rep
			in.children[call.name] = append(in.children[call.name], child)
			r.instances = append(r.instances, child)
			r.expand(child, depth+1)
		}
	}
}

// isLocalSource reports whether a module source is a local path:
// https://developer.hashicorp.com/terraform/language/modules/sources#local-paths
func isLocalSource(src string) bool {
	return strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")
}

// calledFrom reports whether dir is the module of in or of one of its
// callers.
func (in *instance) calledFrom(dir string) bool {
	for ; in != nil; in = in.parent {
		if in.mod.dir == dir {
			return true
		}
	}
	return false
}

// repetitions are the instances of a resource or module call in in, within
// the budget of maxExpanded. False when they cannot be evaluated or exceed
// the budget (a Diagnostic is recorded).
func (r *reader) repetitions(in *instance, count, forEach *hcl.Attribute, what string) ([]repetition, bool) {
	if r.expanded > maxExpanded {
		return nil, false
	}
	reps, ok := r.instanceKeys(in, count, forEach, what)
	if !ok {
		return nil, false
	}
	r.expanded += len(reps)
	if r.expanded > maxExpanded {
		at := in.mod.dir
		line := 0
		if a := cmp.Or(count, forEach); a != nil {
			at, line = a.Range.Filename, a.Range.Start.Line
		}
		r.diag(at, line, fmt.Sprintf("%s: this environment expands to more than %d module and resource instances; launchgate stops reading there", joinAddr(in.addr, what), maxExpanded))
		return nil, false
	}
	return reps, true
}

// instanceKeys evaluates count or for_each: no instance for count = 0, one
// per index or key otherwise.
// https://developer.hashicorp.com/terraform/language/meta-arguments/count
// https://developer.hashicorp.com/terraform/language/meta-arguments/for_each
func (r *reader) instanceKeys(in *instance, count, forEach *hcl.Attribute, what string) ([]repetition, bool) {
	switch {
	case count != nil:
		v, ok := r.eval(in, repetition{}, count.Expr, "count of "+joinAddr(in.addr, what))
		if !ok {
			return nil, false
		}
		n, err := wholeNumber(v.val)
		if err != nil || n > maxInstances {
			if err == nil {
				err = fmt.Errorf("more than the %d instances launchgate reads", maxInstances)
			}
			r.diag(v.path, v.line, fmt.Sprintf("count of %s: %s", joinAddr(in.addr, what), err))
			return nil, false
		}
		reps := make([]repetition, n)
		for i := range reps {
			reps[i] = repetition{counted: true, index: i}
		}
		return reps, true
	case forEach != nil:
		v, ok := r.eval(in, repetition{}, forEach.Expr, "for_each of "+joinAddr(in.addr, what))
		if !ok {
			return nil, false
		}
		reps, err := eachRepetitions(v.val)
		if err != nil {
			r.diag(forEach.Range.Filename, forEach.Range.Start.Line, fmt.Sprintf("for_each of %s: %s", joinAddr(in.addr, what), err))
			return nil, false
		}
		return reps, true
	}
	return []repetition{{}}, true
}

// eachRepetitions turns a for_each value into instance keys: a map or
// object gives each.key and each.value per element, a set of strings gives
// each.key = each.value per member; Terraform accepts nothing else.
func eachRepetitions(v cty.Value) ([]repetition, error) {
	ty := v.Type()
	switch {
	case v.IsNull():
		return nil, fmt.Errorf("is null; it must be a map or a set of strings")
	case ty.IsMapType() || ty.IsObjectType():
		if v.LengthInt() > maxInstances {
			return nil, fmt.Errorf("has more than the %d instances launchgate reads", maxInstances)
		}
		var reps []repetition
		for key, val := range v.AsValueMap() {
			reps = append(reps, repetition{each: true, key: cty.StringVal(key), value: val})
		}
		slices.SortFunc(reps, func(a, b repetition) int { return strings.Compare(a.key.AsString(), b.key.AsString()) })
		return reps, nil
	case ty.IsSetType() && ty.ElementType() == cty.String:
		if v.LengthInt() > maxInstances {
			return nil, fmt.Errorf("has more than the %d instances launchgate reads", maxInstances)
		}
		var reps []repetition
		for _, key := range v.AsValueSlice() {
			if key.IsNull() {
				return nil, fmt.Errorf("holds a null key")
			}
			reps = append(reps, repetition{each: true, key: key, value: key})
		}
		return reps, nil
	}
	return nil, fmt.Errorf("is a %s; it must be a map or a set of strings (wrap a list in toset())", ty.FriendlyName())
}
