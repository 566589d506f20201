package plural

import "testing"

func TestCount(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{name: "zero is plural", n: 0, want: "0 entries"},
		{name: "one is singular", n: 1, want: "1 entry"},
		{name: "two is plural", n: 2, want: "2 entries"},
		{name: "minus one is singular", n: -1, want: "-1 entry"},
		{name: "eleven is plural", n: 11, want: "11 entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Count(tt.n, "entry", "entries"); got != tt.want {
				t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}
