package terraform

import (
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the Terraform built-in functions launchgate evaluates:
// pure ones that commonly compute a count or a container definition, and
// file and templatefile reading inside the repository. A call to any other
// function fails evaluation, which is a Diagnostic.
// https://developer.hashicorp.com/terraform/language/functions
func (r *reader) functions() map[string]function.Function {
	funcs := map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"basename":        pathFunc(path.Base),
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"dirname":         pathFunc(path.Dir),
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"title":           stdlib.TitleFunc,
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
		"tolist":          convertFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           convertFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        convertFunc(cty.Number),
		"toset":           convertFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        convertFunc(cty.String),
		"try":             tryfunc.TryFunc,
		"file":            r.fileFunc(),
	}
	// A template cannot call templatefile, as in Terraform.
	inTemplates := make(map[string]function.Function, len(funcs))
	for name, f := range funcs {
		inTemplates[name] = f
	}
	funcs["templatefile"] = r.templateFileFunc(inTemplates)
	return funcs
}

// pathFunc is Terraform's basename or dirname: string manipulation of a
// path, touching no file. Terraform uses the OS's separator; modules in a
// repository use forward slashes, so path's functions give the same result.
func pathFunc(f func(string) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(f(args[0].AsString())), nil
		},
	})
}

// convertFunc is Terraform's tonumber, tostring, toset... : a conversion to
// a type, failing when the value does not convert.
func convertFunc(to cty.Type) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowNull: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			v, err := convert.Convert(args[0], to)
			if err != nil {
				return cty.NilType, err
			}
			return v.Type(), nil
		},
		Impl: func(args []cty.Value, ret cty.Type) (cty.Value, error) {
			return convert.Convert(args[0], ret)
		},
	})
}

// fileFunc is file(path): the text of a repository file, the path relative
// to the root module directory as Terraform's working directory.
func (r *reader) fileFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			data, _, err := r.readRelative(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(string(data)), nil
		},
	})
}

// templateFileFunc is templatefile(path, vars), rendering the template with
// HCL's template engine and the given functions.
func (r *reader) templateFileFunc(funcs map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "vars", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			data, p, err := r.readRelative(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			vars := args[1]
			if !vars.Type().IsObjectType() && !vars.Type().IsMapType() {
				return cty.NilVal, fmt.Errorf("the template variables must be a map or an object")
			}
			tmpl, diags := hclsyntax.ParseTemplate(data, p, hcl.InitialPos)
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("template %s: %s", p, diags.Error())
			}
			scope := map[string]cty.Value{}
			if !vars.IsNull() {
				scope = vars.AsValueMap()
			}
			out, diags := tmpl.Value(&hcl.EvalContext{Variables: scope, Functions: funcs})
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("template %s: %s", p, diags.Error())
			}
			return convert.Convert(out, cty.String)
		},
	})
}

// readRelative reads a file named relative to the root module directory.
func (r *reader) readRelative(name string) ([]byte, string, error) {
	if path.IsAbs(name) || strings.Contains(name, `\`) {
		return nil, "", fmt.Errorf("%q is not a relative slash path inside the repository", name)
	}
	p := path.Join(r.rootDir, name)
	data, err := r.readFile(p)
	if err != nil {
		return nil, "", err
	}
	return data, p, nil
}

// wholeNumber reads a count, a replica count or a capacity: a whole
// number, or a string holding one (the Kubernetes provider types replicas
// as a string).
func wholeNumber(v cty.Value) (int, error) {
	if v.IsNull() {
		return 0, fmt.Errorf("is null")
	}
	if v.Type() == cty.String {
		n, err := convert.Convert(v, cty.Number)
		if err != nil {
			return 0, fmt.Errorf("is %q, not a number", v.AsString())
		}
		v = n
	}
	if v.Type() != cty.Number {
		return 0, fmt.Errorf("is a %s, not a number", v.Type().FriendlyName())
	}
	f := v.AsBigFloat()
	n, _ := f.Int64()
	if !f.IsInt() || n < 0 || n > 1_000_000 {
		return 0, fmt.Errorf("is %s, not a whole number from 0 to 1000000", f.Text('g', 10))
	}
	return int(n), nil
}
