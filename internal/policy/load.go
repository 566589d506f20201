package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/yamlstrict"
	"github.com/launchgate/launchgate/policies"
)

// MaxSize caps a policy file. Real policies are a few kilobytes; the cap
// keeps a hostile file from costing the App memory or CPU.
const MaxSize = 256 << 10

// DefaultSource names the embedded policy in messages.
const DefaultSource = "embedded default policy"

// Default returns the embedded production-ready policy. It is parsed once;
// callers must not modify it.
var Default = sync.OnceValues(func() (*Policy, error) {
	return parse(DefaultSource, policies.Default)
})

// Parse reads and validates a policy file. source names it in errors
// (a path, or "org/.github:.github/launchgate.yml"). Any error is of type
// Errors, each with its line where one applies.
func Parse(source string, data []byte) (*Policy, error) {
	p, err := parse(source, data)
	if err != nil {
		return nil, err
	}
	if p.Extends == "" {
		return p, nil
	}
	base, err := Default()
	if err != nil {
		return nil, fmt.Errorf("the embedded default policy is broken: %w", err)
	}
	merged := merge(base, p)
	merged.giveLayouts()
	if errs := validate(merged, nil); len(errs) > 0 {
		return nil, errs
	}
	return merged, nil
}

// giveLayouts hands the policy's layouts to the checks that read them.
// The checks are replaced by copies, since a policy extending the default
// shares the default's.
func (p *Policy) giveLayouts() {
	for i := range p.Requirements {
		r := &p.Requirements[i]
		r.Checks = slices.Clone(r.Checks)
		for j, c := range r.Checks {
			if lr, ok := c.Checker.(inspect.LayoutReader); ok {
				r.Checks[j].Checker = lr.WithLayouts(p.Layouts)
			}
		}
	}
}

func parse(source string, data []byte) (*Policy, error) {
	fail := func(line int, format string, args ...any) error {
		return Errors{{Source: source, Line: line, Msg: fmt.Sprintf(format, args...)}}
	}
	switch {
	case len(data) > MaxSize:
		return nil, fail(0, "policy is %d bytes; the limit is %d", len(data), MaxSize)
	case bytes.IndexByte(data, 0) >= 0:
		return nil, fail(0, "policy is a binary file, not YAML")
	case !utf8.Valid(data):
		return nil, fail(0, "policy is not valid UTF-8")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, problemErrors(source, []yamlstrict.Problem{yamlstrict.SyntaxProblem(err, data)})
	}
	doc := yamlstrict.Resolve(&root)
	if doc == nil || doc.Kind != yaml.MappingNode {
		return nil, fail(0, "policy must be a YAML mapping with at least `version: 1` and `requirements`")
	}
	p := &Policy{Source: source}
	if problems := yamlstrict.Decode(doc, p); len(problems) > 0 {
		return nil, problemErrors(source, problems)
	}
	sum := sha256.Sum256(data)
	p.Digest = "sha256:" + hex.EncodeToString(sum[:])
	for i := range p.Requirements {
		p.Requirements[i].Line = lineAt(doc, "requirements", i)
	}
	p.ownLines = ownLines(p, doc)
	if errs := validate(p, doc); len(errs) > 0 {
		return nil, errs
	}
	if p.Extends == "" {
		// With extends, merge lays these over the default's layouts.
		p.Layouts = append(p.Layouts, p.ExtraLayouts...)
		p.ExtraLayouts = nil
		p.giveLayouts()
	}
	return p, nil
}

// UnmarshalYAML decodes a check: its kind picks the Go type of its
// parameters, which are then decoded strictly.
func (c *Check) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeError(n.Line, "a check must be a mapping with id and kind")
	}
	c.Line = n.Line
	params := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	var enforcedErr error
	waivers := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	yamlstrict.ForEachKey(n, func(k, v *yaml.Node) {
		switch k.Value {
		case "waivers", "waivable":
			waivers.Content = append(waivers.Content, k, v)
		case "id":
			c.ID = v.Value
		case "kind":
			c.Kind = v.Value
		case "description":
			c.Description = v.Value
		case "enforced":
			enforcedErr = v.Decode(&c.Enforced)
			if enforcedErr != nil {
				enforcedErr = typeError(v.Line, "check %q: enforced must be true or false, not %q", c.ID, v.Value)
			}
		default:
			params.Content = append(params.Content, k, v)
		}
	})
	if enforcedErr != nil {
		return enforcedErr
	}
	if c.Kind == "" {
		return typeError(n.Line, "check %q has no kind (known kinds: %s)", c.ID, strings.Join(inspect.Kinds(), ", "))
	}
	checker, ok := inspect.New(c.Kind)
	if !ok {
		return typeError(n.Line, "check %q has unknown kind %q (known kinds: %s)", c.ID, c.Kind, strings.Join(inspect.Kinds(), ", "))
	}
	c.Checker = checker
	var wk waiverKeys
	problems := append(yamlstrict.Decode(waivers, &wk), yamlstrict.Decode(params, checker)...)
	c.Waivers, c.Waivable = wk.Waivers, wk.Waivable
	if len(problems) > 0 {
		// A TypeError is how an UnmarshalYAML adds to the decoder's list
		// of problems instead of stopping it.
		errs := make([]string, len(problems))
		for i, p := range problems {
			errs[i] = p.String()
		}
		return &yaml.TypeError{Errors: errs}
	}
	if err := checker.Validate(); err != nil {
		return typeError(n.Line, "check %q (%s): %v", c.ID, c.Kind, err)
	}
	return nil
}

func typeError(line int, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)}}
}

var (
	idPattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	teamPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
)

// validate checks what the YAML types cannot express. doc is the policy's
// YAML node for line numbers; nil for merged policies, whose parts were
// validated with their own lines already.
func validate(p *Policy, doc *yaml.Node) Errors {
	var errs Errors
	add := func(line int, format string, args ...any) {
		errs = append(errs, Error{Source: p.Source, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	line := func(keys ...any) int {
		if doc == nil {
			return 0
		}
		return lineAt(doc, keys...)
	}
	if p.Version != Version {
		add(line("version"), "version must be %d (found %d)", Version, p.Version)
	}
	if p.Extends != "" && p.Extends != "default" {
		add(line("extends"), "extends must be \"default\" (the embedded production-ready policy), not %q", p.Extends)
	}
	extending := p.Extends != ""
	for i, g := range p.Launch.Paths {
		if !doublestar.ValidatePattern(g) {
			add(line("launch", "paths", i), "launch path %q is not a valid glob", g)
		}
	}
	for i, g := range p.Approvals.Paths {
		if !doublestar.ValidatePattern(g) {
			add(line("approvals", "paths", i), "approval path %q is not a valid glob", g)
		}
	}
	for i, t := range p.Approvals.Teams {
		if !teamPattern.MatchString(t) {
			add(line("approvals", "teams", i), "team %q is not a team slug (letters, digits, '.', '_', '-')", t)
		}
	}
	envNames := map[string]string{}
	for i, e := range p.Environments {
		if e.Name == "" {
			add(line("environments", i), "environment %d has no name", i+1)
		}
		for _, n := range e.Names() {
			key := strings.ToLower(n)
			if other, dup := envNames[key]; dup {
				add(line("environments", i), "environment name %q is used by both %q and %q", n, other, e.Name)
			}
			envNames[key] = e.Name
		}
	}
	for _, ls := range []struct {
		key  string
		list []string
	}{{"layouts", p.Layouts}, {"extra_layouts", p.ExtraLayouts}} {
		for i, l := range ls.list {
			if err := inspect.ValidateLayout(l); err != nil {
				add(line(ls.key, i), "%s[%d]: %v", ls.key, i, err)
			}
		}
	}
	if len(p.Layouts)+len(p.ExtraLayouts) == 0 && (!extending || doc == nil) {
		for i, r := range p.Requirements {
			for j, c := range r.Checks {
				if inspect.RequiresLayouts(c.Checker) {
					add(line("requirements", i, "checks", j), "check %q (%s) reads the environments' deployment configuration, but the policy has no layouts; "+
						"add layouts: [\"deploy/overlays/%s\", ...] (or extends: default, whose layouts it keeps)", c.ID, c.Kind, inspect.EnvPlaceholder)
				}
			}
		}
	}
	if len(p.Requirements) == 0 && !extending {
		add(line("requirements"), "a policy needs at least one requirement")
	}
	reqIDs, signoffIDs := map[string]bool{}, map[string]bool{}
	for i, r := range p.Requirements {
		at := func(keys ...any) int { return line(append([]any{"requirements", i}, keys...)...) }
		if !idPattern.MatchString(r.ID) {
			add(at(), "requirement id %q must be lower-case letters, digits, '-' or '_', starting with a letter", r.ID)
		}
		if reqIDs[r.ID] {
			add(at(), "requirement id %q is used twice", r.ID)
		}
		reqIDs[r.ID] = true
		if r.Title == "" && !extending {
			add(at(), "requirement %q has no title", r.ID)
		}
		if len(r.Checks)+len(r.Signoffs)+len(r.Approvals) == 0 && !extending {
			add(at(), "requirement %q has no checks, sign-offs or approvals, so it would always pass", r.ID)
		}
		checkIDs := map[string]bool{}
		for j, c := range r.Checks {
			if !idPattern.MatchString(c.ID) {
				add(at("checks", j), "check id %q must be lower-case letters, digits, '-' or '_', starting with a letter", c.ID)
			}
			if checkIDs[c.ID] {
				add(at("checks", j), "check id %q is used twice in requirement %q", c.ID, r.ID)
			}
			checkIDs[c.ID] = true
		}
		for j, s := range r.Signoffs {
			switch {
			case !idPattern.MatchString(s.ID):
				add(at("signoffs", j), "sign-off id %q must be lower-case letters, digits, '-' or '_', starting with a letter", s.ID)
			case signoffIDs[s.ID]:
				add(at("signoffs", j), "sign-off id %q is used twice (sign-off ids are unique across the policy)", s.ID)
			}
			signoffIDs[s.ID] = true
			if strings.TrimSpace(s.Text) == "" {
				add(at("signoffs", j), "sign-off %q has no text", s.ID)
			}
			if !teamPattern.MatchString(s.Team) {
				add(at("signoffs", j), "sign-off %q needs a team slug (got %q)", s.ID, s.Team)
			}
		}
		for j, t := range r.Approvals {
			if !teamPattern.MatchString(t) {
				add(at("approvals", j), "team %q is not a team slug", t)
			}
		}
		validateWaivers(r.Waivers, r.Waivable, fmt.Sprintf("requirement %q", r.ID), at, add)
		for j, c := range r.Checks {
			validateWaivers(c.Waivers, c.Waivable, fmt.Sprintf("check %q", c.ID),
				func(keys ...any) int { return at(append([]any{"checks", j}, keys...)...) }, add)
		}
	}
	return sortErrors(errs)
}

// lineAt finds the line of a node by path: strings are mapping keys,
// ints sequence indexes. It returns 0 when the path does not exist.
func lineAt(n *yaml.Node, path ...any) int {
	for _, step := range path {
		n = yamlstrict.Resolve(n)
		if n == nil {
			return 0
		}
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				yamlstrict.ForEachKey(n, func(k, v *yaml.Node) {
					if k.Value == s && next == nil {
						next = v
					}
				})
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	return n.Line
}

func problemErrors(source string, problems []yamlstrict.Problem) Errors {
	errs := make(Errors, len(problems))
	for i, p := range problems {
		errs[i] = Error{Source: source, Line: p.Line, Msg: p.Msg}
	}
	return errs
}

func sortErrors(errs Errors) Errors {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	return errs
}
