package launchrecord

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/report"
)

// Marker is the first line of a launch record comment: launchgate finds
// its own record by it, so that a redelivered merge posts no second one.
const Marker = "<!-- launchgate:launch-record -->"

// jsonOpen and jsonClose fence the signed JSON line in the comment.
const (
	jsonOpen  = "```json\n"
	jsonClose = "\n```"
)

// Summary is the record for people: a few lines of markdown. Logins,
// ids and commits sit in code spans, where GitHub neither links nor
// notifies mentions; free text (title, reason) is escaped.
func Summary(r Record) string {
	var b strings.Builder
	code, at := report.CodeSpan, func(login string) string { return report.CodeSpan("@" + login) }
	verdict := "passed the gate"
	if r.Bypassed {
		verdict = "**merged past the gate**: the check's conclusion was " + code(r.Conclusion)
	}
	fmt.Fprintf(&b, "### Launch record: %s %s\n\n", code(fmt.Sprintf("%s#%d", r.Repo, r.PR)), verdict)
	fmt.Fprintf(&b, "- %s by %s, merged by %s at %s as %s\n", report.Escape(r.Title), at(r.Author),
		at(r.MergedBy), r.MergedAt.UTC().Format("2006-01-02 15:04 UTC"), code(short(r.Merge, 12)))
	fmt.Fprintf(&b, "- head %s evaluated with policy %s (%s), launchgate %s\n", code(short(r.Head, 12)),
		code(r.PolicySource), code(short(r.PolicyDigest, 12)), code(r.Version))
	for _, req := range r.Requirements {
		fmt.Fprintf(&b, "- %s: %s\n", code(req.ID), code(req.Status))
	}
	for _, s := range r.Signoffs {
		fmt.Fprintf(&b, "- signed off %s: %s at %s\n", code(s.Item), at(s.By), s.At.UTC().Format(time.DateTime))
	}
	for _, a := range r.Approvals {
		fmt.Fprintf(&b, "- approved for %s: %s on %s\n", code(a.Team), at(a.By), code(short(a.Commit, 7)))
	}
	for _, w := range r.Waivers {
		fmt.Fprintf(&b, "- waived %s by %s until %s: %s\n", code(w.Check), at(w.By), code(w.Until), report.Escape(w.Reason))
	}
	return b.String()
}

// short is s cut to n bytes: a commit or digest as people read it.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Comment is the pull request comment holding a signed record: the marker,
// the summary and the JSON line (Sign's) in a collapsed block. The JSON
// line cannot close the fence: encoding/json escapes no backquote, but a
// JSON string never holds a raw newline, and the fence closes only at a
// line start.
func Comment(r Record, line []byte) string {
	return Marker + "\n" + Summary(r) +
		"\n<details><summary>Signed record (verify with <code>launchgate records verify</code>)</summary>\n\n" +
		jsonOpen + string(line) + jsonClose + "\n\n</details>\n"
}

// FromComment returns the JSON line of a record comment.
func FromComment(body string) ([]byte, error) {
	if first, _, _ := strings.Cut(body, "\n"); strings.TrimSpace(first) != Marker {
		return nil, errors.New("not a launch record comment: its first line is not the marker")
	}
	_, rest, ok := strings.Cut(body, jsonOpen)
	if !ok {
		return nil, errors.New("the launch record comment holds no JSON block")
	}
	line, _, ok := strings.Cut(rest, jsonClose)
	if !ok {
		return nil, errors.New("the launch record comment's JSON block is not closed")
	}
	return []byte(line), nil
}
