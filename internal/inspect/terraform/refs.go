package terraform

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// resourceRef is a resource block of a module instance.
type resourceRef struct {
	in  *instance
	res *resource
}

func (ref resourceRef) addr() string { return joinAddr(ref.in.addr, ref.res.addr()) }

// at is the resource block's header as path:line.
func (ref resourceRef) at() string {
	return fmt.Sprintf("%s:%d", ref.res.block.DefRange.Filename, ref.res.block.DefRange.Start.Line)
}

// refsTo finds the resources of the given types that expr refers to, such
// as the aws_lb_target_group of a load_balancer's target_group_arn. A
// reference is followed through locals, a called module's variables (to
// the call's argument) and local module outputs, since the resource an
// ECS service points at often lives in another module. It never
// evaluates: an ARN is known only after apply, but which resource it
// belongs to is written in the configuration.
func (r *reader) refsTo(in *instance, expr hcl.Expression, types ...string) []resourceRef {
	type visit struct {
		in  *instance
		rng hcl.Range
	}
	seen := map[visit]bool{}
	var refs []resourceRef
	var walk func(in *instance, expr hcl.Expression)
	walk = func(in *instance, expr hcl.Expression) {
		key := visit{in, expr.Range()}
		if seen[key] {
			return
		}
		seen[key] = true
		for _, t := range expr.Variables() {
			root := t.RootName()
			name, named := traversalName(t, 1)
			if !named {
				continue
			}
			switch {
			case slices.Contains(types, root):
				if res := in.mod.byAddr[root+"."+name]; res != nil {
					if ref := (resourceRef{in, res}); !slices.Contains(refs, ref) {
						refs = append(refs, ref)
					}
				}
			case root == "local":
				if a := in.mod.locals[name]; a != nil {
					walk(in, a.Expr)
				}
			case root == "var":
				if in.parent != nil {
					if a := in.call.args[name]; a != nil {
						walk(in.parent, a.Expr)
					}
				}
			case root == "module":
				out, hasOut := traversalName(t, 2)
				if !hasOut {
					continue
				}
				for _, child := range in.children[name] {
					if o := child.mod.outputs[out]; o != nil {
						walk(child, o.Expr)
					}
				}
			}
		}
	}
	walk(in, expr)
	return refs
}

// attributes are the named attributes of a body that are set.
func attributes(body hcl.Body, names ...string) hcl.Attributes {
	schema := &hcl.BodySchema{}
	for _, n := range names {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: n})
	}
	content, _, _ := body.PartialContent(schema)
	if content == nil {
		return hcl.Attributes{}
	}
	return content.Attributes
}

// blocks are the nested blocks of a type in a body. A dynamic block of
// that type is generated only when Terraform runs, so it is a Diagnostic:
// what it would generate (a container without probes, a health check)
// could change the verdict.
func (r *reader) blocks(body hcl.Body, typ, owner string) []*hcl.Block {
	content, _, _ := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: typ}, {Type: "dynamic", LabelNames: []string{"type"}},
	}})
	if content == nil {
		return nil
	}
	var out []*hcl.Block
	for _, b := range content.Blocks {
		if b.Type == "dynamic" {
			if b.Labels[0] == typ {
				r.diag(b.DefRange.Filename, b.DefRange.Start.Line, fmt.Sprintf(
					"%s: a dynamic %q block is generated only when Terraform runs; launchgate reads literal %s blocks only", owner, typ, typ))
			}
			continue
		}
		out = append(out, b)
	}
	return out
}
