package inspect

import (
	"reflect"
	"testing"
)

// FuzzParseFieldExpr checks that the assertion parser never panics and
// that an expression it accepts prints in a form it parses back to the
// same expression (so findings, which quote the printed form, are exact).
func FuzzParseFieldExpr(f *testing.F) {
	for _, seed := range []string{
		"backup.retention_days >= 30",
		`spec.template.spec.containers[0].image matches "^registry.example.com/"`,
		`metadata.labels."app.kubernetes.io/name" exists`,
		"items[*].ttl <= 3600",
		"[0][*].a != null",
		`a."\u00e9\x00" == "tab\tnl\n"`,
		"a == -0",
		"a < 1e-400",
		"a > 1.5E+3",
		"a == true",
		`a matches "(?i)^x+$"`,
		"a[",
		`a."`,
		"a >= ",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := parseFieldExpr(src)
		if err != nil {
			return
		}
		printed := e.String()
		again, err := parseFieldExpr(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", src, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("%q printed as %q, then as %q", src, printed, again.String())
		}
		if !reflect.DeepEqual(again.path, e.path) || again.op != e.op || !reflect.DeepEqual(again.lit, e.lit) {
			t.Fatalf("%q and its printed form %q parse differently: %+v vs %+v", src, printed, e, again)
		}
		if (e.re == nil) != (again.re == nil) || e.re != nil && e.re.String() != again.re.String() {
			t.Fatalf("%q and %q compile different regexps", src, printed)
		}
	})
}
