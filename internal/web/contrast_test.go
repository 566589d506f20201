package web

import (
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/launchgate/launchgate/templates"
)

// TestStylesheetContrast: every text colour the stylesheet names reads at
// WCAG 2.2 AA (4.5:1, https://www.w3.org/TR/WCAG22/#contrast-minimum) on
// each background it is drawn on, and the focus outline at the 3:1 of
// non-text contrast (https://www.w3.org/TR/WCAG22/#non-text-contrast).
func TestStylesheetContrast(t *testing.T) {
	css, err := fs.ReadFile(templates.Web, "web/style.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+):\s*(#[0-9a-fA-F]{3,6});`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	// The backgrounds: the page, table headers and button hover, the raw
	// record.
	backgrounds := []string{vars["bg"], "#ececec", "#f6f6f6"}
	cases := []struct {
		colour string
		min    float64
	}{
		{colour: "text", min: 4.5}, {colour: "muted", min: 4.5}, {colour: "link", min: 4.5},
		{colour: "pass", min: 4.5}, {colour: "fail", min: 4.5}, {colour: "pending", min: 4.5},
		{colour: "waived", min: 4.5}, {colour: "focus", min: 3}, {colour: "line", min: 3},
	}
	for _, tc := range cases {
		fg, ok := vars[tc.colour]
		if !ok {
			t.Errorf("style.css has no --%s", tc.colour)
			continue
		}
		for _, bg := range backgrounds {
			if r := contrast(t, fg, bg); r < tc.min {
				t.Errorf("--%s %s on %s: contrast %.2f:1, want at least %.1f:1", tc.colour, fg, bg, r, tc.min)
			}
		}
	}
}

// contrast is WCAG's contrast ratio of two sRGB colours written #rgb or
// #rrggbb.
func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// luminance is WCAG's relative luminance
// (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance).
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	h := hex[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		t.Fatalf("colour %q is not #rgb or #rrggbb", hex)
	}
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}
