// Package checklimits holds GitHub's limits on a check run, for the code
// that renders runs (report) and the code that sends them (githubapi), and
// the one function that cuts output to fit.
//
// Source: "Create a check run" and "Update a check run" in
// https://docs.github.com/en/rest/checks/runs
package checklimits

import (
	"strings"
	"unicode/utf8"
)

const (
	// OutputBytes caps output.summary and output.text. GitHub documents
	// "a maximum of 65535 characters" without saying how it counts them.
	// launchgate counts bytes: UTF-8 text never has more characters than
	// bytes, whether characters are code points or UTF-16 units, so
	// output within OutputBytes fits however GitHub counts, at the price
	// of keeping less of text that is mostly non-ASCII.
	OutputBytes = 65535
	// AnnotationsPerRequest is how many annotations one create or update
	// may carry; more go in further updates.
	AnnotationsPerRequest = 50
	// AnnotationTitle caps an annotation's title, in characters.
	AnnotationTitle = 255
	// Actions is how many actions a run may have, each with a label,
	// description and identifier of at most ActionLabel,
	// ActionDescription and ActionIdentifier characters.
	Actions           = 3
	ActionLabel       = 20
	ActionDescription = 40
	ActionIdentifier  = 20
)

// Truncate returns s when it has at most limit bytes. Otherwise it keeps
// the start of s that leaves room for note, ended after its last whole
// line unless that loses more than a tenth of it (else at a character
// boundary), and appends note. The result never exceeds limit bytes when
// note is shorter than limit.
func Truncate(s string, limit int, note string) string {
	if len(s) <= limit {
		return s
	}
	cut := max(0, limit-len(note))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut-- // s[cut] continues a character: cut before that character
	}
	head := s[:cut]
	if nl := strings.LastIndexByte(head, '\n'); nl >= 0 && nl >= len(head)-len(head)/10 {
		head = head[:nl]
	}
	return head + note
}
