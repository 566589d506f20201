package checklimits

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	const note = "\n… cut"
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{name: "shorter than the limit", in: "abc\n", limit: 10, want: "abc\n"},
		{name: "exactly the limit", in: "abcdefghij", limit: 10, want: "abcdefghij"},
		{name: "one long line is cut inside it", in: strings.Repeat("a", 30), limit: 20, want: strings.Repeat("a", 20-len(note)) + note},
		{name: "whole lines are kept", in: strings.Repeat("row | row\n", 30), limit: 100,
			want: strings.Repeat("row | row\n", 8) + "row | row" + note},
		{name: "a line that loses more than a tenth is cut inside",
			in: "short\n" + strings.Repeat("b", 100), limit: 50, want: "short\n" + strings.Repeat("b", 50-len(note)-6) + note},
		// "é" is two bytes: 13 bytes of room hold six of them and half
		// of a seventh, which is left out.
		{name: "a character is never split", in: strings.Repeat("é", 20), limit: 13 + len(note), want: strings.Repeat("é", 6) + note},
		{name: "no room for text", in: "abcdef", limit: 3, want: note},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.limit, note)
			if got != tt.want {
				t.Errorf("Truncate = %q, want %q", got, tt.want)
			}
			if len(got) > tt.limit && len(note) < tt.limit {
				t.Errorf("%d bytes, limit %d", len(got), tt.limit)
			}
		})
	}
}

// TestTruncateAtGitHubsLimit: whatever the characters, the result fits in
// OutputBytes, is valid UTF-8, and keeps at least nine tenths of the room.
func TestTruncateAtGitHubsLimit(t *testing.T) {
	const note = "\n… truncated"
	tests := []struct {
		name string
		in   string
	}{
		{name: "one long line of ASCII", in: strings.Repeat("a", 70000)},
		{name: "four-byte characters", in: strings.Repeat("😀", 65536)},
		{name: "three-byte characters in lines", in: strings.Repeat("€€€ | €€€\n", 7000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Truncate(tt.in, OutputBytes, note)
			head, ok := strings.CutSuffix(out, note)
			if !ok || len(out) > OutputBytes || !utf8.ValidString(out) {
				t.Fatalf("%d bytes, valid UTF-8 %t, ends with the note %t", len(out), utf8.ValidString(out), ok)
			}
			if !strings.HasPrefix(tt.in, head) || len(head) < (OutputBytes-len(note))*9/10 {
				t.Errorf("kept %d bytes that are not a prefix, or too few", len(head))
			}
		})
	}
}
