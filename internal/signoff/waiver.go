package signoff

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
)

// Waiver commands, on the first line of a pull request comment.
const (
	WaiveCommand   = "/launchgate waive"
	UnwaiveCommand = "/launchgate unwaive"
)

// maxReasonLen caps a waiver's reason, which is kept in the checklist.
const maxReasonLen = 500

// maxAnswered is how many answered command comments the checklist
// remembers, so that a redelivered command is not judged or answered
// twice.
const maxAnswered = 100

// Command is a waive or unwaive command from a pull request comment.
type Command struct {
	CommentID int64
	Sender    string
	// At is when the comment was written: the waiver's time, from which
	// its date and max_days are judged.
	At      time.Time
	Unwaive bool
	Check   string
	Until   string // YYYY-MM-DD as written
	Reason  string
	// Problem says why the command cannot be read, for the reply.
	Problem string
}

var (
	waiveLine   = regexp.MustCompile(`^/launchgate\s+waive\s+(\S+)\s+until\s+(\S+?)\s*:\s*(.*)$`)
	unwaiveLine = regexp.MustCompile(`^/launchgate\s+unwaive\s+(\S+)\s*$`)
)

const waiveUsage = "write `/launchgate waive CHECK-ID until YYYY-MM-DD: reason` on the comment's first line"

// ParseCommand reads a waiver command from a comment's first line. ok is
// false when the comment is not one; a command that is one but cannot be
// read is returned with its Problem, so that its author is told.
func ParseCommand(body string) (cmd Command, ok bool) {
	first, _, _ := strings.Cut(strings.TrimPrefix(body, "\ufeff"), "\n")
	first = strings.TrimSpace(first)
	switch {
	case first == UnwaiveCommand || strings.HasPrefix(first, UnwaiveCommand+" "):
		m := unwaiveLine.FindStringSubmatch(first)
		if m == nil {
			return Command{Unwaive: true, Problem: "write `/launchgate unwaive CHECK-ID` on the comment's first line"}, true
		}
		return Command{Unwaive: true, Check: m[1]}, true
	case first == WaiveCommand || strings.HasPrefix(first, WaiveCommand+" "):
		m := waiveLine.FindStringSubmatch(first)
		switch {
		case m == nil:
			return Command{Problem: "the waiver could not be read: " + waiveUsage}, true
		case strings.TrimSpace(m[3]) == "":
			return Command{Check: m[1], Until: m[2], Problem: "a waiver needs a reason after the date: " + waiveUsage}, true
		case len(m[3]) > maxReasonLen:
			return Command{Check: m[1], Until: m[2], Problem: fmt.Sprintf("the reason is longer than %d characters", maxReasonLen)}, true
		}
		return Command{Check: m[1], Until: m[2], Reason: strings.TrimSpace(m[3])}, true
	}
	return Command{}, false
}

// WaiverRecord is one accepted waiver: who waived which check of which
// pull request, when, until which day, why, and the digest of the check's
// inputs then (a waiver is voided when they change).
type WaiverRecord struct {
	Repo   string
	PR     int
	Check  string
	User   string
	At     time.Time
	Until  string // YYYY-MM-DD
	Reason string
	Digest string // Artifacts.Digest of the check's inputs
}

// SignedWaiver is a waiver record with its signature, as kept in the
// comment.
type SignedWaiver struct {
	WaiverRecord
	Sig   string
	Files string // the inputs' fingerprint, to name what changed
}

// WaiverKey is the key of a check's inputs in Env.Artifacts: a sign-off
// item and a check may share an id.
func WaiverKey(check string) string { return "check:" + check }

// Attested lists what the App hashes on a launch PR's head: the sign-off
// items, and for each waivable check the check's inputs under
// WaiverKey(check id).
func Attested(pol *policy.Policy) []Item {
	items := Items(pol)
	for _, r := range pol.Requirements {
		for _, c := range r.Checks {
			if rule, ok := pol.WaiverRule(c.ID); ok && rule.Waivable {
				items = append(items, Item{ID: WaiverKey(c.ID), Requirement: r.ID, Globs: c.Checker.Inputs()})
			}
		}
	}
	return items
}

// WaiverRules are the policy's waiver rules, by check id, for Env.
func WaiverRules(pol *policy.Policy) map[string]policy.WaiverRule {
	rules := map[string]policy.WaiverRule{}
	for _, r := range pol.Requirements {
		for _, c := range r.Checks {
			if rule, ok := pol.WaiverRule(c.ID); ok {
				rules[c.ID] = rule
			}
		}
	}
	return rules
}

func waiverMAC(key []byte, w WaiverRecord) []byte {
	return mac(key, "waiver",
		strings.ToLower(w.Repo), strconv.Itoa(w.PR), w.Check, strings.ToLower(w.User),
		w.At.UTC().Truncate(time.Second).Format(time.RFC3339), w.Until, w.Reason, w.Digest)
}

// Reply is an answer to a command comment: why a waiver was refused.
// Body is markdown, its user text escaped.
type Reply struct {
	CommentID int64
	Body      string
}

// ReplyMarker starts a reply, naming the command comment it answers.
func ReplyMarker(commentID int64) string {
	return fmt.Sprintf("<!-- launchgate:reply %d -->", commentID)
}

// waiverNoteItem is the note key of a check's waiver, apart from items'.
func waiverNoteItem(check string) string { return "waiver:" + check }

// judgeWaivers keeps the intact waivers of the comment, then judges the
// commands not answered yet, in order.
func (j *judge) judgeWaivers() {
	j.out.Answered = slices.Clone(j.cur.Answered)
	byCheck := map[string][]SignedWaiver{}
	for _, w := range j.cur.Waivers {
		byCheck[w.Check] = append(byCheck[w.Check], w)
	}
	kept := map[string]SignedWaiver{}
	for _, check := range sortedKeys(byCheck) {
		ws := byCheck[check]
		if len(ws) > 1 {
			j.voidWaiver(check, fmt.Sprintf("the waiver of %s has more than one record (edited by hand?); it was removed.", check))
			continue
		}
		if w, ok := j.intactWaiver(ws[0]); ok {
			kept[check] = w
		}
	}
	for check, n := range j.cur.Notes {
		c, ok := strings.CutPrefix(check, waiverNoteItem(""))
		if _, has := kept[c]; ok && !has && j.out.WaiverNotes[c] == nil && verifyNote(j.Key, j.Repo, j.PR, check, n.Text, n.Sig) {
			j.out.WaiverNotes[c] = &n
		}
	}
	if !j.pending {
		for _, cmd := range j.Commands {
			if cmd.CommentID != 0 && slices.Contains(j.out.Answered, cmd.CommentID) {
				continue
			}
			j.command(cmd, kept)
			if cmd.CommentID != 0 {
				j.out.Answered = append(j.out.Answered, cmd.CommentID)
			}
		}
		if n := len(j.out.Answered); n > maxAnswered {
			j.out.Answered = j.out.Answered[n-maxAnswered:]
		}
	}
	for _, check := range sortedKeys(kept) {
		w := kept[check]
		j.out.Waivers = append(j.out.Waivers, w)
		if !j.counts[check] {
			continue
		}
		j.res.Waivers[check] = readiness.Waiver{By: w.User, At: w.At, Until: w.Until, Reason: w.Reason}
		// Only a waiver still to end can change the outcome later.
		if ends := (readiness.Waiver{Until: w.Until}).Ends(); ends.After(j.Now) && (j.res.NextExpiry.IsZero() || ends.Before(j.res.NextExpiry)) {
			j.res.NextExpiry = ends
		}
	}
}

// intactWaiver judges a waiver record of the comment: it is dropped, with
// a note, when it is not this pull request's, does not verify, no longer
// has an allowed signer, or the check's inputs changed. It is kept
// without counting while a membership is unknown or an input unreadable.
func (j *judge) intactWaiver(w SignedWaiver) (SignedWaiver, bool) {
	head := fmt.Sprintf("the waiver of %s by @%s until %s", w.Check, w.User, w.Until)
	rule, known := j.WaiverRules[w.Check]
	switch {
	case !strings.EqualFold(w.Repo, j.Repo) || w.PR != j.PR:
		j.voidWaiver(w.Check, fmt.Sprintf("%s was copied from another pull request (%s#%d); it was removed.", head, w.Repo, w.PR))
		return w, false
	case !hmacEqual(w.Sig, waiverMAC(j.Key, WaiverRecord{Repo: j.Repo, PR: j.PR, Check: w.Check, User: w.User, At: w.At, Until: w.Until, Reason: w.Reason, Digest: w.Digest})):
		j.voidWaiver(w.Check, fmt.Sprintf("%s does not verify (edited by hand?); it was removed.", head))
		return w, false
	case !known || !rule.Waivable:
		j.voidWaiver(w.Check, fmt.Sprintf("%s no longer applies: the policy does not let %s be waived; it was removed.", head, w.Check))
		return w, false
	case strings.EqualFold(w.User, j.Author):
		j.voidWaiver(w.Check, fmt.Sprintf("%s names the pull request's author; it was removed.", head))
		return w, false
	}
	switch allowed, sure := j.allowed(rule, w.User); {
	case !sure:
		j.res.WaiverVoided[w.Check] = fmt.Sprintf("%s does not count for now: launchgate could not check that @%s is still an active member of %s", head, w.User, teamList(rule.Teams))
		return w, true
	case !allowed:
		j.voidWaiver(w.Check, fmt.Sprintf("%s was removed: @%s is no longer an active member of %s.", head, w.User, teamList(rule.Teams)))
		return w, false
	}
	arts := j.Artifacts[WaiverKey(w.Check)]
	switch {
	case !arts.Readable():
		j.res.WaiverVoided[w.Check] = fmt.Sprintf("%s does not count for now: launchgate could not read %s to check that it is unchanged", head, unreadable(arts))
		return w, true
	case arts.Digest != w.Digest:
		j.voidWaiver(w.Check, fmt.Sprintf("%s was removed: %s since it was given.", head, changes(arts, w.Files)))
		return w, false
	}
	j.counts[w.Check] = true
	return w, true
}

// allowed reports whether user is an active member of any of the rule's
// teams, and whether that is known: one known membership suffices.
func (j *judge) allowed(rule policy.WaiverRule, user string) (allowed, known bool) {
	known = true
	for _, team := range rule.Teams {
		member, sure := j.member(team, user)
		if member && sure {
			return true, true
		}
		known = known && sure
	}
	return false, known
}

// command judges one waive or unwaive command.
func (j *judge) command(cmd Command, kept map[string]SignedWaiver) {
	refuse := func(format string, args ...any) {
		j.res.Replies = append(j.res.Replies, Reply{CommentID: cmd.CommentID,
			Body: ReplyMarker(cmd.CommentID) + "\n" + report.Escape(fmt.Sprintf(format, args...))})
	}
	verb := "waive"
	if cmd.Unwaive {
		verb = "unwaive"
	}
	if cmd.Problem != "" {
		refuse("@%s: launchgate did not %s anything: %s.", cmd.Sender, verb, cmd.Problem)
		return
	}
	rule, found := j.WaiverRules[cmd.Check]
	switch {
	case !found:
		refuse("@%s: %s is not an automatic check of this pull request's policy (or names checks of several requirements), so it cannot be waived.", cmd.Sender, cmd.Check)
		return
	case !rule.Waivable:
		refuse("@%s: the policy does not let %s be waived.", cmd.Sender, cmd.Check)
		return
	}
	if cmd.Unwaive {
		j.unwaive(cmd, rule, kept, refuse)
		return
	}
	if strings.EqualFold(cmd.Sender, j.Author) {
		refuse("@%s: you opened this pull request, so you cannot waive its checks; ask a member of %s.", cmd.Sender, teamList(rule.Teams))
		return
	}
	switch allowed, known := j.allowed(rule, cmd.Sender); {
	case !known:
		refuse("@%s: launchgate could not check that you are an active member of %s; the waiver of %s was not recorded. Please comment again.", cmd.Sender, teamList(rule.Teams), cmd.Check)
		return
	case !allowed:
		refuse("@%s: only active members of %s may waive %s; the waiver was not recorded.", cmd.Sender, teamList(rule.Teams), cmd.Check)
		return
	}
	at := cmd.At.UTC().Truncate(time.Second)
	if why := WaiverDateProblem(rule, cmd.Until, at); why != "" {
		refuse("@%s: %s; the waiver of %s was not recorded.", cmd.Sender, why, cmd.Check)
		return
	}
	arts := j.Artifacts[WaiverKey(cmd.Check)]
	if !arts.Readable() {
		refuse("@%s: launchgate could not read %s to record what the waiver of %s covers; it was not recorded. Please comment again later.", cmd.Sender, unreadable(arts), cmd.Check)
		return
	}
	w := SignedWaiver{WaiverRecord: WaiverRecord{Repo: j.Repo, PR: j.PR, Check: cmd.Check, User: cmd.Sender, At: at,
		Until: cmd.Until, Reason: cmd.Reason, Digest: arts.Digest}, Files: arts.fingerprint()}
	if CheckKey(j.Key) != nil {
		refuse("@%s: launchgate has no signing key configured to record the waiver of %s.", cmd.Sender, cmd.Check)
		return
	}
	w.Sig = encodeMAC(waiverMAC(j.Key, w.WaiverRecord))
	kept[cmd.Check] = w
	cmd.At = at
	j.res.Accepted = append(j.res.Accepted, cmd)
	j.counts[cmd.Check] = true
	delete(j.res.WaiverVoided, cmd.Check)
	delete(j.out.WaiverNotes, cmd.Check)
}

// WaiverDateProblem says why a waiver of rule's check, given at at and
// ending on until (YYYY-MM-DD), is refused for its date, or "": the date
// must be after the day it is given and at most rule.MaxDays days after it.
func WaiverDateProblem(rule policy.WaiverRule, until string, at time.Time) string {
	end, err := time.Parse(time.DateOnly, until)
	today := at.UTC().Truncate(24 * time.Hour)
	last := today.AddDate(0, 0, rule.MaxDays)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a date (YYYY-MM-DD)", until)
	case !end.After(today):
		return fmt.Sprintf("a waiver must end after the day it is given (%s)", day(today))
	case end.After(last):
		return fmt.Sprintf("%s may be waived for at most %d days, until %s", rule.Check, rule.MaxDays, day(last))
	}
	return ""
}

// unwaive withdraws a waiver: its author, or an active member of an
// allowed team, may.
func (j *judge) unwaive(cmd Command, rule policy.WaiverRule, kept map[string]SignedWaiver, refuse func(string, ...any)) {
	w, ok := kept[cmd.Check]
	if !ok {
		refuse("@%s: %s has no waiver to withdraw.", cmd.Sender, cmd.Check)
		return
	}
	if !strings.EqualFold(cmd.Sender, w.User) {
		switch allowed, known := j.allowed(rule, cmd.Sender); {
		case !known:
			refuse("@%s: launchgate could not check that you are an active member of %s; the waiver of %s stands. Please comment again.", cmd.Sender, teamList(rule.Teams), cmd.Check)
			return
		case !allowed:
			refuse("@%s: only @%s or an active member of %s may withdraw the waiver of %s; it stands.", cmd.Sender, w.User, teamList(rule.Teams), cmd.Check)
			return
		}
	}
	delete(kept, cmd.Check)
	delete(j.counts, cmd.Check)
	delete(j.res.WaiverVoided, cmd.Check)
	j.res.Accepted = append(j.res.Accepted, cmd)
	j.voidWaiver(cmd.Check, fmt.Sprintf("@%s withdrew the waiver of %s by @%s until %s.", cmd.Sender, cmd.Check, w.User, w.Until))
}

// voidWaiver leaves launchgate's signed note on a check's waiver.
func (j *judge) voidWaiver(check, text string) {
	if len(text) > maxNoteLen {
		text = strings.ToValidUTF8(text[:maxNoteLen-len("…")], "") + "…"
	}
	j.out.WaiverNotes[check] = &Note{Text: text, Sig: noteMAC(j.Key, j.Repo, j.PR, waiverNoteItem(check), text)}
	j.res.WaiverVoided[check] = text
}

func teamList(teams []string) string {
	if len(teams) == 1 {
		return "team " + teams[0]
	}
	return "teams " + strings.Join(teams, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
