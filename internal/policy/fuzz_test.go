package policy

import "testing"

// FuzzParse feeds arbitrary bytes to the policy parser: it must never
// panic, and anything it accepts must be usable.
func FuzzParse(f *testing.F) {
	f.Add([]byte("version: 1\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n"))
	f.Add([]byte("version: 1\nextends: default\n"))
	f.Add([]byte("version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - {id: c, kind: document, path: a.md, sections: [{title: X}]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("version: 1\nrequirements:\n  - <<: {id: a}\n"))
	f.Add([]byte("version: 1\nextends: default\napprovals: {teams: [a], enforced: true}\nrequirements:\n  - {id: recovery, enforced: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yml", data)
		if err != nil {
			return
		}
		if p.Version != Version || len(p.Requirements) == 0 {
			t.Fatalf("accepted a policy without version or requirements: %+v", p)
		}
		// A policy is never looser than itself.
		if err := CheckFloor(p, p); err != nil {
			t.Fatalf("a policy does not keep its own floor: %v", err)
		}
		for _, r := range p.Requirements {
			for _, c := range r.Checks {
				if c.Checker == nil {
					t.Fatalf("check %q accepted without a checker", c.ID)
				}
			}
		}
	})
}
