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

// Summary is the record for people: a few lines of markdown with every
// text from the repository or its people escaped.
func Summary(r Record) string {
	var b strings.Builder
	verdict := "passed the gate"
	if r.Bypassed {
		verdict = fmt.Sprintf("**merged past the gate**: the check's conclusion was `%s`", report.Escape(r.Conclusion))
	}
	fmt.Fprintf(&b, "### Launch record: %s#%d %s\n\n", report.Escape(r.Repo), r.PR, verdict)
	fmt.Fprintf(&b, "- %s by @%s, merged by @%s at %s as `%.12s`\n", report.Escape(r.Title), report.Escape(r.Author),
		report.Escape(r.MergedBy), r.MergedAt.UTC().Format("2006-01-02 15:04 UTC"), r.Merge)
	fmt.Fprintf(&b, "- head `%.12s` evaluated with policy %s (`%.12s`), launchgate %s\n", r.Head,
		report.Escape(r.PolicySource), r.PolicyDigest, report.Escape(r.Version))
	for _, req := range r.Requirements {
		fmt.Fprintf(&b, "- %s: %s\n", report.Escape(req.ID), report.Escape(req.Status))
	}
	for _, s := range r.Signoffs {
		fmt.Fprintf(&b, "- signed off %s: @%s at %s\n", report.Escape(s.Item), report.Escape(s.By), s.At.UTC().Format(time.DateTime))
	}
	for _, a := range r.Approvals {
		fmt.Fprintf(&b, "- approved for %s: @%s on `%.7s`\n", report.Escape(a.Team), report.Escape(a.By), a.Commit)
	}
	for _, w := range r.Waivers {
		fmt.Fprintf(&b, "- waived %s by @%s until %s: %s\n", report.Escape(w.Check), report.Escape(w.By), report.Escape(w.Until), report.Escape(w.Reason))
	}
	return b.String()
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
