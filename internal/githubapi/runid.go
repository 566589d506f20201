package githubapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RunID is a check run's identity, kept in its external_id: GitHub returns
// external_id with every run it lists and in check_run events
// (https://docs.github.com/en/rest/checks/runs), so any replica, one that
// never saw the run written included, can read it back. Its text is
//
//	v1:<content>.<annotations>:pr/<number> v/<version> policy/<policy> outcome/<outcome> waiver/<date> comment/<id>
//
// or "v1:pending:…" while the run's annotations are still being sent.
// Fields after the second colon that are empty (PR 0, Comment 0) are
// left out, and with them the colon when all are. PublishCheckRun sets the
// digests; the caller sets the rest.
type RunID struct {
	// Content is the digest of everything PublishCheckRun wrote, and
	// Annotations that of the annotations alone (32 lower-case hex digits
	// each). Both are empty while the annotations are still being sent:
	// the digests are written with the last request only, so a publication
	// cut short is never mistaken for a complete one.
	Content, Annotations string
	// PR is the pull request number: check_run events of fork pull
	// requests list no pull requests, so a Re-run finds its PR here.
	PR int
	// Version is the launchgate version that wrote the run.
	Version string
	// Policy is the start of the policy digest (ShortPolicyDigest).
	Policy  string
	Outcome RunOutcome
	// WaiverEnds is the day (YYYY-MM-DD) the earliest waiver that counts
	// in the run ends, or "": from then on the run is out of date, and the
	// reconciler, which reads every open pull request's run anyway,
	// re-evaluates it without reading anything else.
	WaiverEnds string
	// Comment is the id of the launch PR's checklist comment, 0 when there
	// is none: the run's Details link may name the details page rather
	// than the comment, and the next evaluation finds the comment here.
	Comment int64
}

// RunOutcome says what kind of evaluation a run reports.
type RunOutcome string

// The outcomes launchgate writes. A run written before launchgate recorded
// outcomes has none (""): it is read as any other run, and an evaluation
// error among those is not retried by the reconciler but by the pull
// request's next event or a Re-run.
const (
	OutcomeEvaluated       RunOutcome = "evaluated"        // a launch PR's report
	OutcomeNotLaunch       RunOutcome = "not-launch"       // not a launch PR: nothing to check
	OutcomePolicyError     RunOutcome = "policy-error"     // the base branch's policy cannot be read
	OutcomeEvaluationError RunOutcome = "evaluation-error" // the evaluation could not finish
)

const (
	runIDPrefix   = "v1:"
	digestHexLen  = 32 // 128 bits of SHA-256 each: enough to notice a change
	pendingDigest = "pending"
	// shortPolicyLen is how much of the policy digest a run keeps: enough
	// to tell two policies apart, short enough to read.
	shortPolicyLen = 12
)

// ShortPolicyDigest is what RunID.Policy holds for a policy digest
// ("sha256:<hex>"): its first 12 hex digits.
func ShortPolicyDigest(digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	return d[:min(len(d), shortPolicyLen)]
}

// Complete reports whether the run's publication finished: its digests are
// written.
func (id RunID) Complete() bool { return id.Content != "" }

// String is the external_id text of id.
func (id RunID) String() string {
	s := runIDPrefix + pendingDigest
	if id.Complete() {
		s = runIDPrefix + id.Content + "." + id.Annotations
	}
	if l := id.label(); l != "" {
		s += ":" + l
	}
	return s
}

// label is the part of the external_id the caller chose: everything but
// the digests.
func (id RunID) label() string {
	var fields []string
	add := func(key, value string) {
		if value != "" {
			fields = append(fields, key+"/"+value)
		}
	}
	if id.PR != 0 {
		add("pr", strconv.Itoa(id.PR))
	}
	add("v", id.Version)
	add("policy", id.Policy)
	add("outcome", string(id.Outcome))
	add("waiver", id.WaiverEnds)
	if id.Comment != 0 {
		add("comment", strconv.FormatInt(id.Comment, 10))
	}
	return strings.Join(fields, " ")
}

// ParseRunID reads an external_id written by PublishCheckRun, of this
// launchgate release or an earlier one (which wrote no outcome and always
// wrote "policy/", empty when there was no policy). A field it does not
// know is skipped, so that during a rolling deploy it still reads the runs
// of the next release.
func ParseRunID(externalID string) (RunID, error) {
	fail := func(format string, args ...any) (RunID, error) {
		return RunID{}, fmt.Errorf("check run external_id %q: %s", externalID, fmt.Sprintf(format, args...))
	}
	rest, ok := strings.CutPrefix(externalID, runIDPrefix)
	if !ok {
		return fail("does not start with %q", runIDPrefix)
	}
	digests, label, labelled := strings.Cut(rest, ":")
	var id RunID
	if digests != pendingDigest {
		content, annotations, ok := strings.Cut(digests, ".")
		if !ok || !isDigest(content) || !isDigest(annotations) {
			return fail("%q is neither %q nor two digests of %d hex digits joined by '.'", digests, pendingDigest, digestHexLen)
		}
		id.Content, id.Annotations = content, annotations
	}
	if !labelled {
		return id, nil
	}
	seen := map[string]bool{}
	for field := range strings.SplitSeq(label, " ") {
		key, value, ok := strings.Cut(field, "/")
		switch {
		case !ok || key == "":
			return fail("field %q is not key/value", field)
		case seen[key]:
			return fail("field %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "pr":
			n, err := strconv.Atoi(value)
			if err != nil || n <= 0 || strconv.Itoa(n) != value {
				return fail("pull request number %q is not a positive decimal number", value)
			}
			id.PR = n
		case "v":
			id.Version = value
		case "policy":
			id.Policy = value
		case "outcome":
			id.Outcome = RunOutcome(value)
		case "comment":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n <= 0 || strconv.FormatInt(n, 10) != value {
				return fail("comment id %q is not a positive decimal number", value)
			}
			id.Comment = n
		case "waiver":
			if _, err := time.Parse(time.DateOnly, value); err != nil {
				return fail("waiver end %q is not a date (YYYY-MM-DD)", value)
			}
			id.WaiverEnds = value
		}
	}
	return id, nil
}

func isDigest(s string) bool {
	if len(s) != digestHexLen {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
