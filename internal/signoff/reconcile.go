package signoff

import (
	"fmt"
	"github.com/launchgate/launchgate/internal/policy"
	"slices"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/approval"
	"github.com/launchgate/launchgate/internal/plural"
	"github.com/launchgate/launchgate/internal/readiness"
)

// Env is what judging the checklist depends on besides the comment.
type Env struct {
	Repo   string // "owner/name"
	PR     int
	Author string // the PR author's login: they cannot sign off
	Items  []Item
	// Members are the answers about active team membership that Lookups
	// asks for. A missing answer is unknown: a tick is then undone, and an
	// existing sign-off stops counting but is kept until the answer is
	// known.
	Members approval.Members
	// Artifacts are the files each item attests now, by item id (Scan of
	// the item's Globs on the PR head). A missing entry is unreadable.
	Artifacts map[string]*Artifacts
	Now       time.Time
	Key       []byte
	// Requested are teams just asked for review, added to those the
	// comment remembers (approval.ToRequest's remember).
	Requested []string
	// WaiverRules say who may waive which automatic check (WaiverRules);
	// the inputs of a waivable check are in Artifacts under WaiverKey.
	WaiverRules map[string]policy.WaiverRule
}

// Edit is an issue_comment "edited" event on the checklist.
type Edit struct {
	From string // changes.body.from: the body before the edit
	To   string // comment.body: the body after it
	// Sender is the payload's sender, the one who edited: for a ticked box,
	// the one who ticked it.
	Sender string
	// ByApp is true when the sender is launchgate itself; its own edits
	// are attributed to nobody.
	ByApp bool
}

// ReconcileInput is one judgement of the checklist.
type ReconcileInput struct {
	Env
	// Body is the comment as it is now. It may be newer than Edit.To when
	// events queue up; empty means Edit.To.
	Body string
	// Edit is the event being handled; nil for a plain re-evaluation.
	Edit *Edit
	// Commands are waive and unwaive commands to judge, oldest first,
	// each with its own sender. Those the comment remembers as answered
	// are skipped.
	Commands []Command

	// pending is set while ReconcileEdits judges an edit that later edits
	// of the same evaluation follow: the comment cannot be settled then.
	pending bool
	// read is the comment as read, when Body is what the edits before
	// this one made of it (ReconcileEdits); "" means Body.
	read string
}

// ReconcileResult is the checklist judged.
type ReconcileResult struct {
	// Body is the comment as it should be. Write it only when Changed.
	Body    string
	Changed bool
	// Signoffs are the valid sign-offs by item id, for
	// readiness.Human.Signoffs.
	Signoffs map[string]readiness.Done
	// Voided explains items that do not count, by item id, for
	// readiness.Human.Voided. Plain text with logins and paths: escape it
	// where it is rendered.
	Voided map[string]string
	// Waivers are the waivers that count, by check id, for
	// readiness.Snapshot.Waivers; expired ones included (readiness says
	// they expired).
	Waivers map[string]readiness.Waiver
	// WaiverVoided explains, by check id, a waiver that does not count or
	// was removed. Plain text: escape it where it is rendered.
	WaiverVoided map[string]string
	// NextExpiry is the earliest end of a waiver that counts, or zero.
	NextExpiry time.Time
	// Replies answer refused commands; post them after writing Body.
	Replies []Reply
	// Accepted are the commands that took effect in this judgement, oldest
	// first: waivers recorded and waivers withdrawn. They are on record
	// only once Body is written.
	Accepted []Command
}

// State judges the comment as it stands, with no edit to attribute: for
// re-evaluations after a push, a review, a membership change. It is
// Reconcile without an Edit. An empty or foreign body gives a fresh
// checklist (Changed true) for the server to create.
func State(body string, env Env) ReconcileResult {
	return Reconcile(ReconcileInput{Env: env, Body: body})
}

// Lookups lists, by team, the logins whose active membership Reconcile
// needs: the sender for boxes they newly ticked, and the holders of intact
// records of ticked boxes.
func Lookups(in ReconcileInput) map[string][]string {
	asked := map[string][]string{}
	reconcile(in, func(team, user string) (bool, bool) {
		if !slices.Contains(asked[team], user) {
			asked[team] = append(asked[team], user)
		}
		return false, false
	})
	return asked
}

// Reconcile judges the checklist after an edit (or, without one, as it
// stands) and returns the comment as it should be and the sign-offs that
// count. For each item:
//
//   - A box the sender newly ticked becomes a signed record when the sender
//     is an active member of the item's team, is not the PR author, and the
//     item's artifacts can be read; otherwise the tick is undone with a note
//     naming the team.
//   - A box newly unticked, by anyone, loses its record: withdrawing a
//     sign-off needs no authority (fail closed).
//   - A ticked box is otherwise kept only with exactly one record that
//     verifies for this repository, pull request and item. A tick without
//     one (ticked while launchgate was down, edited by hand, copied from
//     another pull request) is reset with a note.
//   - A record whose signer is no longer an active member of the team, or
//     whose digest differs from the artifacts' now, is voided: box reset,
//     note saying why. Other items stand.
//   - When a membership is unknown or an artifact unreadable, a record does
//     not count but is kept, since the cause may pass.
//
// When events queue up, Body may be newer than Edit.To. The edit's ticks
// are then applied only where Body still agrees with Edit.To, and other
// unrecorded ticks in Body are left for the events still to come.
func Reconcile(in ReconcileInput) ReconcileResult {
	return reconcile(in, in.Members.Active)
}

// ReconcileEdits judges edits that queued up behind one evaluation, oldest
// first, each with its own sender and before and after bodies, as if each
// had been handled alone: edit i is judged on the checklist as the edits
// before it left it. in.Body is the comment as read now; only the last edit
// may find it settled, so a tick that no edit of the batch made is reset
// as Reconcile resets it. Without edits it is Reconcile(in); in.Edit is
// not read.
func ReconcileEdits(in ReconcileInput, edits []Edit) ReconcileResult {
	return reconcileEdits(in, edits, in.Members.Active)
}

// LookupsEdits lists, by team, the logins whose active membership
// ReconcileEdits needs and in.Members does not answer. An answer can
// change what later edits are judged on, so ask these, add the answers to
// in.Members and call it again until it lists none that can be asked.
func LookupsEdits(in ReconcileInput, edits []Edit) map[string][]string {
	asked := map[string][]string{}
	reconcileEdits(in, edits, func(team, user string) (bool, bool) {
		member, known := in.Members.Active(team, user)
		if !known && !slices.Contains(asked[team], user) {
			asked[team] = append(asked[team], user)
		}
		return member, known
	})
	return asked
}

func reconcileEdits(in ReconcileInput, edits []Edit, member memberFunc) ReconcileResult {
	if len(edits) == 0 {
		in.Edit = nil
		return reconcile(in, member)
	}
	read := in.Body
	if read == "" {
		read = edits[len(edits)-1].To
	}
	var res ReconcileResult
	body := read
	for i := range edits {
		step := in
		step.Body, step.Edit, step.read, step.pending = body, &edits[i], read, i < len(edits)-1
		res = reconcile(step, member)
		body = res.Body
	}
	// The edits before the last may have changed the comment where the
	// last did not: compare with the comment as read.
	res.Changed = res.Changed || normalize(res.Body) != normalize(read)
	return res
}

// memberFunc answers whether a login is an active member of a team, and
// whether that is known.
type memberFunc func(team, user string) (member, known bool)

func reconcile(in ReconcileInput, member memberFunc) ReconcileResult {
	body := in.Body
	if body == "" && in.Edit != nil {
		body = in.Edit.To
	}
	cur, err := Parse(body)
	fresh := err != nil
	if fresh {
		cur = &Parsed{Ticked: map[string]bool{}, Notes: map[string]Note{}}
	}
	j := judge{ReconcileInput: in, member: member, cur: cur, settled: true,
		out: Checklist{Org: owner(in.Repo), Items: in.Items, Entries: map[string]Entry{}, WaiverNotes: map[string]*Note{}},
		res: ReconcileResult{Signoffs: map[string]readiness.Done{}, Voided: map[string]string{},
			Waivers: map[string]readiness.Waiver{}, WaiverVoided: map[string]string{}},
		counts: map[string]bool{}}
	if e := in.Edit; e != nil && !fresh {
		read := body
		if in.read != "" {
			read = in.read
		}
		j.settled = !in.pending && normalize(read) == normalize(e.To)
		from, errFrom := Parse(e.From)
		to, errTo := Parse(e.To)
		// An edit that cannot be read is attributed to nobody: a body
		// before the edit that is not a checklist would make every ticked
		// box look newly ticked by the sender.
		if !e.ByApp && e.Sender != "" && errFrom == nil && errTo == nil {
			j.from, j.to = from, to
		}
	}
	for _, it := range in.Items {
		j.item(it)
	}
	j.judgeWaivers()
	j.out.Requested = union(cur.Requested, in.Requested)
	j.res.Body = Render(j.out)
	j.res.Changed = fresh || normalize(j.res.Body) != normalize(body)
	return j.res
}

// judge holds one reconciliation in progress.
type judge struct {
	ReconcileInput
	member   memberFunc
	cur      *Parsed
	from, to *Parsed // the edit's bodies; nil when it is attributed to nobody
	// settled is true when the comment has not changed since the edit, so
	// an unrecorded tick in it cannot belong to an event still to come.
	settled bool
	out     Checklist
	res     ReconcileResult
	// counts holds the checks whose waiver counts now.
	counts map[string]bool
}

func (j *judge) item(it Item) {
	ticked := j.cur.Ticked[it.ID]
	if j.from != nil {
		was, is := j.from.Ticked[it.ID], j.to.Ticked[it.ID]
		switch {
		case !was && is && ticked:
			j.tick(it)
			return
		case was && !is && !ticked:
			j.untick(it)
			return
		}
	}
	if !ticked {
		// Records of unticked boxes are dropped; launchgate's last note on
		// the item stays until the item is signed off.
		if n := j.note(it); n != nil {
			j.out.Entries[it.ID] = Entry{Note: n}
			j.res.Voided[it.ID] = n.Text
		}
		return
	}
	j.ticked(it)
}

// tick judges a box the sender just ticked.
func (j *judge) tick(it Item) {
	sender := j.Edit.Sender
	if strings.EqualFold(sender, j.Author) {
		j.reset(it, fmt.Sprintf("@%s ticked %s, but they opened this pull request and cannot sign it off; the tick was undone.", sender, it.ID))
		return
	}
	switch member, known := j.member(it.Team, sender); {
	case !known:
		j.reset(it, fmt.Sprintf("@%s ticked %s, but launchgate could not check that they are an active member of team %s; the tick was undone. Please tick it again.", sender, it.ID, it.Team))
		return
	case !member:
		j.reset(it, fmt.Sprintf("@%s ticked %s, but only active members of team %s may; the tick was undone.", sender, it.ID, it.Team))
		return
	}
	arts := j.Artifacts[it.ID]
	if !arts.Readable() {
		j.reset(it, fmt.Sprintf("@%s ticked %s, but launchgate could not read %s to record what it attests; the tick was undone. Please tick it again later.", sender, it.ID, unreadable(arts)))
		return
	}
	s := Signed{
		Record: Record{Repo: j.Repo, PR: j.PR, Item: it.ID, User: sender, At: j.Now.UTC().Truncate(time.Second), Digest: arts.Digest},
		Files:  arts.fingerprint(),
	}
	if s.Sig = Sign(j.Key, s.Record); s.Sig == "" {
		j.reset(it, fmt.Sprintf("@%s ticked %s, but launchgate has no signing key configured to record it; the tick was undone.", sender, it.ID))
		return
	}
	j.keep(it, s)
}

// untick drops the record of a box the sender just unticked, saying whose
// sign-off was withdrawn.
func (j *judge) untick(it Item) {
	for _, s := range j.cur.Records {
		if s.Item == it.ID && j.intact(it, s) == "" {
			j.reset(it, fmt.Sprintf("@%s unticked %s, withdrawing the sign-off by @%s of %s.", j.Edit.Sender, it.ID, s.User, day(s.At)))
			return
		}
	}
}

// ticked judges a ticked box that this edit did not tick.
func (j *judge) ticked(it Item) {
	var recs []Signed
	for _, s := range j.cur.Records {
		if s.Item == it.ID {
			recs = append(recs, s)
		}
	}
	again := fmt.Sprintf(" A member of team %s may tick it again.", it.Team)
	switch {
	case len(recs) == 0 && !j.settled:
		j.out.Entries[it.ID] = Entry{Ticked: true}
		j.res.Voided[it.ID] = "ticked; waiting for launchgate to record who ticked it"
		return
	case len(recs) == 0:
		j.reset(it, fmt.Sprintf("%s was ticked, but launchgate holds no record of who ticked it (ticked while launchgate was unavailable, or edited by hand); the tick was reset.%s", it.ID, again))
		return
	case len(recs) > 1:
		j.reset(it, fmt.Sprintf("%s has more than one record (edited by hand?); the tick was reset.%s", it.ID, again))
		return
	}
	s := recs[0]
	if why := j.intact(it, s); why != "" {
		j.reset(it, fmt.Sprintf("%s was ticked, but %s; the tick was reset.%s", it.ID, why, again))
		return
	}
	signed := fmt.Sprintf("signed off by @%s on %s", s.User, day(s.At))
	switch member, known := j.member(it.Team, s.User); {
	case !known:
		j.hold(it, s, fmt.Sprintf("%s, but launchgate could not check that they are still an active member of team %s", signed, it.Team))
		return
	case !member:
		j.reset(it, fmt.Sprintf("%s, who is no longer an active member of team %s; the sign-off was reset.", signed, it.Team))
		return
	}
	arts := j.Artifacts[it.ID]
	switch {
	case !arts.Readable():
		j.hold(it, s, fmt.Sprintf("%s, but launchgate could not read %s to check that it is unchanged", signed, unreadable(arts)))
	case arts.Digest != s.Digest:
		j.reset(it, fmt.Sprintf("%s; %s since, so the sign-off was reset.", signed, changes(arts, s.Files)))
	default:
		j.keep(it, s)
	}
}

// intact says why a record does not belong to this item of this pull
// request, or "" when it does and its signature verifies.
func (j *judge) intact(it Item, s Signed) string {
	switch {
	case !strings.EqualFold(s.Repo, j.Repo) || s.PR != j.PR:
		return fmt.Sprintf("its record was copied from another pull request (%s#%d)", s.Repo, s.PR)
	case !Verify(j.Key, s.Sig, Record{Repo: j.Repo, PR: j.PR, Item: it.ID, User: s.User, At: s.At, Digest: s.Digest}):
		return "its record's signature does not verify (edited by hand?)"
	case strings.EqualFold(s.User, j.Author):
		return fmt.Sprintf("its record names @%s, who opened this pull request", s.User)
	}
	return ""
}

// keep records a valid sign-off; it clears the item's note.
func (j *judge) keep(it Item, s Signed) {
	j.out.Entries[it.ID] = Entry{Ticked: true, Signed: &s}
	j.res.Signoffs[it.ID] = readiness.Done{By: s.User, At: s.At, Digest: s.Digest}
}

// hold keeps a record that does not count for now, for a reason that may
// pass (an unknown membership, an unreadable file).
func (j *judge) hold(it Item, s Signed, why string) {
	j.out.Entries[it.ID] = Entry{Ticked: true, Signed: &s}
	j.res.Voided[it.ID] = why
}

// reset unticks an item, drops its record and leaves a signed note. A
// note longer than Parse reads back (long paths) is clipped, so that the
// comment launchgate writes reads back the same.
func (j *judge) reset(it Item, text string) {
	if len(text) > maxNoteLen {
		text = strings.ToValidUTF8(text[:maxNoteLen-len("…")], "") + "…"
	}
	n := &Note{Text: text, Sig: noteMAC(j.Key, j.Repo, j.PR, it.ID, text)}
	j.out.Entries[it.ID] = Entry{Note: n}
	j.res.Voided[it.ID] = text
}

// note returns launchgate's standing note on an item, if it verifies.
func (j *judge) note(it Item) *Note {
	n, ok := j.cur.Notes[it.ID]
	if !ok || !verifyNote(j.Key, j.Repo, j.PR, it.ID, n.Text, n.Sig) {
		return nil
	}
	return &n
}

// changes words what changed in an item's artifacts since a fingerprint:
// "launch/monitoring.md changed".
func changes(now *Artifacts, fp string) string {
	changed, removed, ok := now.changedSince(fp)
	var parts []string
	if len(changed) > 0 {
		parts = append(parts, approval.NamePaths(changed, 3)+" changed")
	}
	if removed > 0 {
		parts = append(parts, plural.Count(removed, "file it attests was removed", "files it attests were removed"))
	}
	if !ok || len(parts) == 0 {
		return "the files it attests changed"
	}
	return strings.Join(parts, " and ")
}

func unreadable(a *Artifacts) string {
	if a == nil {
		return "the files it attests"
	}
	return approval.NamePaths(a.Unreadable(), 3)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func owner(repo string) string {
	o, _, _ := strings.Cut(repo, "/")
	return o
}

// union merges team lists, case-insensitively, sorted.
func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, t := range l {
			if !slices.ContainsFunc(out, func(s string) bool { return strings.EqualFold(s, t) }) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out
}
