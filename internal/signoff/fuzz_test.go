package signoff

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary comment bodies to Parse and to State: neither
// may panic, and what State writes must be a fixed point, or launchgate's
// own edit would trigger another write, forever.
func FuzzParse(f *testing.F) {
	env := Env{
		Repo: "acme/shop", PR: 7, Author: "carol", Items: testItems(), Now: t0, Key: testKey,
		Members: map[string]map[string]bool{"security": {"ann": true}, "infra": {"ivan": true}},
	}
	good := Render(sampleChecklist())
	for _, seed := range []string{
		"", Marker, good, strings.ReplaceAll(good, "\n", "\r\n"), tick(good, "recovery-repeats"),
		Marker + "\n- [x] `a`\n- [x] `a`\n" + statePrefix + `{"v":1,"records":[{"item":"a","at":"2026-01-01T00:00:00Z"}]}` + stateSuffix,
		Marker + "\n" + statePrefix + `{"v":1,"notes":[{"item":"alerts-fired","text":"hi","sig":"x"}],"requested":["a","A"]}` + stateSuffix,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := Parse(body)
		if err == nil {
			for id, ticked := range p.Ticked {
				if !ticked || !itemLine.MatchString("- [x] `"+id+"`") {
					t.Fatalf("Ticked holds %q = %v", id, ticked)
				}
			}
		}
		res := State(body, env)
		if _, err := Parse(res.Body); err != nil {
			t.Fatalf("State wrote a body Parse rejects: %v", err)
		}
		again := State(res.Body, env)
		if again.Changed {
			t.Fatalf("State is not a fixed point:\n%q\n---\n%q", res.Body, again.Body)
		}
		if !reflect.DeepEqual(again.Signoffs, res.Signoffs) {
			t.Fatalf("sign-offs changed on a second look: %v then %v", res.Signoffs, again.Signoffs)
		}
	})
}

// FuzzRenderParse renders checklists with arbitrary ticks, records and
// notes and checks that Parse reads back exactly what Render wrote.
func FuzzRenderParse(f *testing.F) {
	f.Add(uint8(0b101), "ivan", "a note", "acme/shop", int64(0), "sha256:ab", "AAAAAAAA")
	f.Add(uint8(0b111), "@x`\n<!--", "-->\n- [x] `alerts-fired`", "o/<r>", int64(-1e9), "", "")
	f.Fuzz(func(t *testing.T, ticks uint8, user, note, repo string, secs int64, digest, files string) {
		// Everything launchgate writes comes from GitHub or from itself as
		// valid UTF-8; JSON would replace invalid bytes.
		for _, s := range []*string{&user, &note, &repo, &digest, &files} {
			*s = strings.ToValidUTF8(*s, "?")
		}
		items := testItems()
		c := Checklist{Org: "acme", Items: items, Entries: map[string]Entry{}, Requested: []string{user}}
		at := time.Unix(1_790_000_000+secs%1_000_000_000, 0).UTC()
		want := map[string]bool{}
		var wantRecords []Signed
		for i, it := range items {
			var e Entry
			if ticks&(1<<i) != 0 {
				s := Signed{Record: Record{Repo: repo, PR: i, Item: it.ID, User: user, At: at, Digest: digest}, Sig: "sig", Files: files}
				e = Entry{Ticked: true, Signed: &s}
				want[it.ID] = true
				wantRecords = append(wantRecords, s)
			}
			if ticks&(8<<i) != 0 {
				e.Note = &Note{Text: note, Sig: "n"}
			}
			c.Entries[it.ID] = e
		}
		body := Render(c)
		p, err := Parse(body)
		if err != nil {
			t.Fatalf("Parse(Render) failed: %v\n%s", err, body)
		}
		if !reflect.DeepEqual(p.Ticked, want) {
			t.Fatalf("ticks %v, want %v\n%s", p.Ticked, want, body)
		}
		if len(p.Duplicates) != 0 {
			t.Fatalf("duplicates %v", p.Duplicates)
		}
		if len(p.Records) != len(wantRecords) {
			t.Fatalf("%d records, want %d\n%s", len(p.Records), len(wantRecords), body)
		}
		for i, r := range p.Records {
			w := wantRecords[i]
			if r.Repo != w.Repo || r.PR != w.PR || r.Item != w.Item || r.User != w.User || !r.At.Equal(w.At) ||
				r.Digest != w.Digest || r.Sig != w.Sig || r.Files != w.Files {
				t.Fatalf("record %d = %+v, want %+v", i, r, w)
			}
		}
		for id, e := range c.Entries {
			if e.Note != nil && len(note) <= maxNoteLen && p.Notes[id].Text != note {
				t.Fatalf("note of %s = %q, want %q", id, p.Notes[id].Text, note)
			}
		}
	})
}
