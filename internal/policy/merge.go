package policy

import "slices"

// merge lays a policy that extends the default over it. Anything the
// overlay states replaces the default's value; requirements, and within
// them checks and sign-offs, merge by id, so an org can tighten one check
// (say, min_words) or add a requirement without restating the rest.
func merge(base, over *Policy) *Policy {
	out := &Policy{
		Version:      over.Version,
		Launch:       base.Launch,
		Environments: base.Environments,
		Layouts:      base.Layouts,
		Approvals:    base.Approvals,
		Requirements: slices.Clone(base.Requirements),
		Source:       over.Source,
		Digest:       over.Digest + "+" + base.Digest,
		ownLines:     over.ownLines,
	}
	out.Launch.Enforced = over.Launch.Enforced
	out.Approvals.Enforced = over.Approvals.Enforced
	replace(&out.Launch.Labels, over.Launch.Labels)
	replace(&out.Launch.TitlePrefixes, over.Launch.TitlePrefixes)
	replace(&out.Launch.Paths, over.Launch.Paths)
	replace(&out.Environments, over.Environments)
	replace(&out.Layouts, over.Layouts)
	out.Layouts = append(slices.Clone(out.Layouts), over.ExtraLayouts...)
	replace(&out.Approvals.Teams, over.Approvals.Teams)
	replace(&out.Approvals.Paths, over.Approvals.Paths)
	for _, r := range over.Requirements {
		i := slices.IndexFunc(out.Requirements, func(b Requirement) bool { return b.ID == r.ID })
		if i < 0 {
			out.Requirements = append(out.Requirements, r)
			continue
		}
		m := out.Requirements[i]
		if r.Title != "" {
			m.Title = r.Title
		}
		if r.Description != "" {
			m.Description = r.Description
		}
		m.Checks = mergeByID(m.Checks, r.Checks, func(c Check) string { return c.ID })
		m.Signoffs = mergeByID(m.Signoffs, r.Signoffs, func(s Signoff) string { return s.ID })
		replace(&m.Approvals, r.Approvals)
		m.Enforced = r.Enforced
		// The overlay's waiver key replaces the default's, whichever of
		// the two each states.
		if r.Waivers != nil || r.Waivable != nil {
			m.Waivers, m.Waivable = r.Waivers, r.Waivable
		}
		m.Line = r.Line
		out.Requirements[i] = m
	}
	return out
}

// replace sets *dst to src when the overlay stated the list (even empty).
func replace[T any](dst *[]T, src []T) {
	if src != nil {
		*dst = src
	}
}

func mergeByID[T any](base, over []T, id func(T) string) []T {
	out := slices.Clone(base)
	for _, o := range over {
		if i := slices.IndexFunc(out, func(b T) bool { return id(b) == id(o) }); i >= 0 {
			out[i] = o
		} else {
			out = append(out, o)
		}
	}
	return out
}
