// Package signoff keeps the reviewer checklist of a launch pull request:
// one comment, found by its first line (Marker), listing the policy's
// sign-off items as task-list checkboxes. Reviewers tick boxes; launchgate
// judges each tick on the issue_comment "edited" event and keeps the
// comment's hidden state: a record per valid sign-off, signed with
// HMAC-SHA256, binding repository, pull request, item, user, time and the
// digest of the files the item attests.
//
// Anyone with write access can edit the comment (GitHub lets Write,
// Maintain and Admin roles edit others' comments), so nothing in it is
// trusted but what carries a valid signature, and every tick is judged by
// who made it, which only the webhook's sender says.
//
// The package is pure: bodies, memberships, artifact digests and the time
// come in as data; the server fetches and writes.
package signoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/report"
)

// Marker is the first line of the checklist comment; the server finds the
// comment by it.
const Marker = "<!-- launchgate:checklist -->"

// MaxBody is GitHub's limit on a comment body, in characters.
const MaxBody = 65536

// The hidden state is one line at the end of the comment. Its JSON is
// written by encoding/json, which escapes "<", ">" and "&", so text from a
// pull request (a path in a note) can never close the HTML comment early.
const (
	statePrefix = "<!-- launchgate:state "
	stateSuffix = " -->"
	stateV      = 1
)

// maxNoteLen caps a note read back from a comment; launchgate's own notes
// are far shorter.
const maxNoteLen = 2000

// Item is one sign-off item of the policy.
type Item struct {
	ID          string
	Requirement string // the requirement's id
	Title       string // the requirement's title, the heading items are grouped under
	Text        string
	Team        string // slug of the team whose active members may tick it
	// Globs are the files the item attests: its requirement's checks'
	// inputs. A sign-off is voided when any of them changes.
	Globs []string
}

// Items lists the policy's sign-off items in policy order.
func Items(pol *policy.Policy) []Item {
	var items []Item
	for _, r := range pol.Requirements {
		globs := r.Inputs()
		for _, s := range r.Signoffs {
			items = append(items, Item{
				ID: s.ID, Requirement: r.ID, Title: r.Title, Text: s.Text, Team: s.Team, Globs: globs,
			})
		}
	}
	return items
}

// Signed is a record with its signature, as kept in the comment.
type Signed struct {
	Record
	Sig string
	// Files is the artifacts' fingerprint at sign-off, used only to name
	// what changed when the sign-off is voided.
	Files string
}

// Note is launchgate's explanation of what it did to an item (a tick
// undone, a sign-off voided), signed so that nobody else can put words in
// its mouth.
type Note struct {
	Text string
	Sig  string
}

// Entry is the state of one item in the comment.
type Entry struct {
	Ticked bool
	Signed *Signed // the record of a valid sign-off, shown beside the item
	Note   *Note
}

// Checklist is the content of the comment.
type Checklist struct {
	// Org is the repository's owner, to name teams as @org/slug.
	Org   string
	Items []Item
	// Entries are by item id; an item without one is unticked.
	Entries map[string]Entry
	// Requested are the teams launchgate has seen asked for review on this
	// pull request (see approval.ToRequest). They are not signed: editing
	// them can only make launchgate ask a team again, or not at all, which
	// anyone with write access can do in GitHub's own interface anyway.
	Requested []string
	// Waivers are the waivers of automatic checks, sorted by check.
	Waivers []SignedWaiver
	// WaiverNotes are launchgate's notes on waivers it refused to keep,
	// by check id.
	WaiverNotes map[string]*Note
	// Answered are the ids of the command comments already judged, oldest
	// first. They are not signed: removing one can only get a command
	// judged again (with its own sender and time), adding one only keeps
	// a command from being judged, which fails closed.
	Answered []int64
}

// Render writes the checklist comment. Team and user names are written in
// code spans and every other text is escaped (report.Escape): a mention in
// a comment launchgate edits would ping the whole team, and text from a
// policy or a pull request must not format the comment or forge an item.
func Render(c Checklist) string {
	s := render(c, true)
	if utf8.RuneCountInString(s) > MaxBody {
		// Fingerprints only serve explanations: drop them before anything
		// that decides.
		s = render(c, false)
	}
	return s
}

func render(c Checklist, fingerprints bool) string {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	b.WriteString("### Launch sign-offs\n\n")
	b.WriteString("Tick an item once you have checked it. Only an active member of the team named on an item may tick it, " +
		"and not the pull request's author. launchgate records each valid tick with who made it and when, " +
		"undoes any other tick and says why, and resets a sign-off when the files it covers change.\n")
	st := state{V: stateV, Requested: c.Requested, Answered: c.Answered}
	requirement := ""
	for i, it := range c.Items {
		if i == 0 || it.Requirement != requirement {
			requirement = it.Requirement
			fmt.Fprintf(&b, "\n#### %s\n\n", report.Escape(it.Title))
		}
		e := c.Entries[it.ID]
		box := " "
		if e.Ticked {
			box = "x"
		}
		team := it.Team
		if c.Org != "" {
			team = "@" + c.Org + "/" + it.Team
		}
		fmt.Fprintf(&b, "- [%s] `%s` %s (team %s)", box, it.ID, report.Escape(it.Text), code(team))
		if s := e.Signed; s != nil {
			fmt.Fprintf(&b, " — signed off by %s on %s", code("@"+s.User), s.At.UTC().Format("2006-01-02 15:04 UTC"))
			r := stateRecord{Repo: s.Repo, PR: s.PR, Item: s.Item, User: s.User,
				At: s.At.UTC().Format(time.RFC3339), Digest: s.Digest, Sig: s.Sig}
			if fingerprints {
				r.Files = s.Files
			}
			st.Records = append(st.Records, r)
		}
		b.WriteString("\n")
		if n := e.Note; n != nil {
			fmt.Fprintf(&b, "  - ⚠️ %s\n", report.Escape(n.Text))
			st.Notes = append(st.Notes, stateNote{Item: it.ID, Text: n.Text, Sig: n.Sig})
		}
	}
	renderWaivers(&b, c, fingerprints, &st)
	data, err := json.Marshal(st)
	if err != nil {
		// Only strings, ints and slices of them: Marshal cannot fail.
		panic(fmt.Sprintf("signoff: encoding the hidden state: %v", err))
	}
	fmt.Fprintf(&b, "\n%s%s%s\n", statePrefix, data, stateSuffix)
	return b.String()
}

// renderWaivers writes the Waivers section and adds its records and notes
// to the hidden state.
func renderWaivers(b *strings.Builder, c Checklist, fingerprints bool, st *state) {
	if len(c.Waivers)+len(c.WaiverNotes) == 0 {
		return
	}
	b.WriteString("\n#### Waivers\n\n")
	for _, w := range c.Waivers {
		fmt.Fprintf(b, "- %s waived by %s until %s: %s\n", code(w.Check), code("@"+w.User), w.Until, report.Escape(w.Reason))
		r := stateWaiver{Repo: w.Repo, PR: w.PR, Check: w.Check, User: w.User, At: w.At.UTC().Format(time.RFC3339),
			Until: w.Until, Reason: w.Reason, Digest: w.Digest, Sig: w.Sig}
		if fingerprints {
			r.Files = w.Files
		}
		st.Waivers = append(st.Waivers, r)
	}
	for _, check := range sortedKeys(c.WaiverNotes) {
		n := c.WaiverNotes[check]
		fmt.Fprintf(b, "- %s: ⚠️ %s\n", code(check), report.Escape(n.Text))
		st.Notes = append(st.Notes, stateNote{Item: waiverNoteItem(check), Text: n.Text, Sig: n.Sig})
	}
}

// code puts a name in a code span, where GitHub neither links nor notifies
// mentions. A name that cannot sit in one is escaped instead.
func code(s string) string {
	if s == "" || strings.ContainsAny(s, "`\r\n") {
		return report.Escape(s)
	}
	return "`" + s + "`"
}

// state is the hidden JSON line.
type state struct {
	V         int           `json:"v"`
	Records   []stateRecord `json:"records,omitempty"`
	Notes     []stateNote   `json:"notes,omitempty"`
	Requested []string      `json:"requested,omitempty"`
	Waivers   []stateWaiver `json:"waivers,omitempty"`
	Answered  []int64       `json:"answered,omitempty"`
}

type stateWaiver struct {
	Repo   string `json:"repo"`
	PR     int    `json:"pr"`
	Check  string `json:"check"`
	User   string `json:"user"`
	At     string `json:"at"`
	Until  string `json:"until"`
	Reason string `json:"reason"`
	Digest string `json:"digest"`
	Sig    string `json:"sig"`
	Files  string `json:"files,omitempty"`
}

type stateRecord struct {
	Repo   string `json:"repo"`
	PR     int    `json:"pr"`
	Item   string `json:"item"`
	User   string `json:"user"`
	At     string `json:"at"`
	Digest string `json:"digest"`
	Sig    string `json:"sig"`
	Files  string `json:"files,omitempty"`
}

type stateNote struct {
	Item string `json:"item"`
	Text string `json:"text"`
	Sig  string `json:"sig"`
}

// Parsed is what a checklist comment says, none of it verified yet.
type Parsed struct {
	// Ticked holds the items whose box is ticked, by id. An id on more
	// than one line is ambiguous and left out (counts as unticked).
	Ticked map[string]bool
	// Duplicates are the ids found on more than one line.
	Duplicates []string
	// Records are the hidden records as found: possibly forged, copied or
	// several for one item.
	Records []Signed
	// Notes are the hidden notes by item, signatures unchecked.
	Notes map[string]Note
	// Requested are the teams remembered as asked for review.
	Requested []string
	// Waivers are the hidden waiver records as found, unverified.
	Waivers []SignedWaiver
	// Answered are the command comments remembered as judged.
	Answered []int64
}

// Errors of Parse.
var (
	ErrNoMarker = errors.New("signoff: not a launchgate checklist (the first line is not " + Marker + ")")
	ErrTooLong  = fmt.Errorf("signoff: comment is longer than GitHub's %d characters", MaxBody)
)

// itemLine matches a checklist item: a task-list checkbox followed by the
// item id in a code span, as Render writes it. Ticking a box in GitHub's
// interface turns "[ ]" into "[x]" and leaves the rest of the line alone.
var itemLine = regexp.MustCompile("^ {0,3}[-*+][ \t]+\\[([ xX])\\][ \t]+`([a-z][a-z0-9_-]{0,39})`(?:[ \t]|$)")

// Parse reads a checklist comment. It tolerates what GitHub and editors do
// to a body (CRLF line ends, trailing spaces, a byte-order mark) and what a
// hostile editor might: duplicate item lines are ambiguous and count as
// unticked, and hidden state that is garbled, or appears more than once, is
// ignored as a whole, so its records do not count.
func Parse(body string) (*Parsed, error) {
	if len(body) > 4*MaxBody || utf8.RuneCountInString(body) > MaxBody {
		return nil, ErrTooLong
	}
	lines := strings.Split(normalize(body), "\n")
	if strings.TrimSpace(lines[0]) != Marker {
		return nil, ErrNoMarker
	}
	p := &Parsed{Ticked: map[string]bool{}, Notes: map[string]Note{}}
	seen := map[string]int{}
	var states []string
	for _, line := range lines[1:] {
		if m := itemLine.FindStringSubmatch(line); m != nil {
			id := m[2]
			seen[id]++
			switch seen[id] {
			case 1:
				p.Ticked[id] = m[1] != " "
			case 2:
				delete(p.Ticked, id)
				p.Duplicates = append(p.Duplicates, id)
			}
			continue
		}
		if js, ok := strings.CutPrefix(strings.TrimSpace(line), statePrefix); ok {
			if js, ok = strings.CutSuffix(js, stateSuffix); ok {
				states = append(states, js)
			}
		}
	}
	for id, ticked := range p.Ticked {
		if !ticked {
			delete(p.Ticked, id)
		}
	}
	if len(states) == 1 {
		p.readState(states[0])
	}
	return p, nil
}

func (p *Parsed) readState(js string) {
	var st state
	if json.Unmarshal([]byte(js), &st) != nil || st.V != stateV {
		return
	}
	for _, r := range st.Records {
		at, err := time.Parse(time.RFC3339, r.At)
		if err != nil {
			continue
		}
		p.Records = append(p.Records, Signed{
			Record: Record{Repo: r.Repo, PR: r.PR, Item: r.Item, User: r.User, At: at, Digest: r.Digest},
			Sig:    r.Sig, Files: r.Files,
		})
	}
	for _, n := range st.Notes {
		if _, dup := p.Notes[n.Item]; !dup && len(n.Text) <= maxNoteLen {
			p.Notes[n.Item] = Note{Text: n.Text, Sig: n.Sig}
		}
	}
	p.Requested = st.Requested
	for _, w := range st.Waivers {
		at, err := time.Parse(time.RFC3339, w.At)
		if err != nil || len(w.Reason) > maxReasonLen {
			continue
		}
		p.Waivers = append(p.Waivers, SignedWaiver{WaiverRecord: WaiverRecord{Repo: w.Repo, PR: w.PR, Check: w.Check,
			User: w.User, At: at, Until: w.Until, Reason: w.Reason, Digest: w.Digest}, Sig: w.Sig, Files: w.Files})
	}
	p.Answered = st.Answered
}

// normalize undoes what GitHub and browsers do to a body in transit: CRLF
// or CR line ends, trailing spaces, a byte-order mark, a missing or extra
// final newline. Bodies equal after normalize say the same thing, so
// launchgate never rewrites a comment over such differences.
func normalize(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
