package signoff

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/policy"
)

func TestItems(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	items := Items(pol)
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	want := []string{"security-review-done", "alerts-fired", "load-test-results", "recovery-repeats"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("Items = %v, want %v", ids, want)
	}
	alerts := items[1]
	if alerts.Team != "infra" || alerts.Requirement != "monitoring" || alerts.Title != "Monitoring and alerting" ||
		!slices.Contains(alerts.Globs, "launch/monitoring.md") || !slices.Contains(alerts.Globs, "deploy/**") {
		t.Errorf("alerts-fired = %+v", alerts)
	}
	if !reflect.DeepEqual(items[0].Globs, []string{"launch/security-review.md"}) {
		t.Errorf("security-review-done attests %v", items[0].Globs)
	}
}

func sampleChecklist() Checklist {
	at := time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC)
	rec := &Signed{Record: Record{Repo: "acme/shop", PR: 7, Item: "alerts-fired", User: "ivan", At: at, Digest: "sha256:ab"}, Sig: "c2ln", Files: "AAAAAAAA"}
	return Checklist{
		Org:   "acme",
		Items: testItems(),
		Entries: map[string]Entry{
			"alerts-fired":         {Ticked: true, Signed: rec},
			"security-review-done": {Note: &Note{Text: "@bob ticked security-review-done, but only active members of team security may; the tick was undone.", Sig: "bm90ZQ"}},
		},
		Requested: []string{"infra", "security"},
	}
}

func TestRenderParseRoundTrip(t *testing.T) {
	c := sampleChecklist()
	body := Render(c)
	if !strings.HasPrefix(body, Marker+"\n") {
		t.Fatalf("the marker is not the first line:\n%s", body)
	}
	p, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Ticked, map[string]bool{"alerts-fired": true}) {
		t.Errorf("Ticked = %v", p.Ticked)
	}
	if len(p.Records) != 1 || !reflect.DeepEqual(p.Records[0], *c.Entries["alerts-fired"].Signed) {
		t.Errorf("Records = %+v", p.Records)
	}
	if !reflect.DeepEqual(p.Notes, map[string]Note{"security-review-done": *c.Entries["security-review-done"].Note}) {
		t.Errorf("Notes = %+v", p.Notes)
	}
	if !reflect.DeepEqual(p.Requested, c.Requested) {
		t.Errorf("Requested = %v", p.Requested)
	}
	for _, want := range []string{
		"- [x] `alerts-fired` Infra saw the alerts fire\\. (team `@acme/infra`) — signed off by `@ivan` on 2026-11-20 14:03 UTC\n",
		"- [ ] `security-review-done` ",
		"#### Monitoring and alerting\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// mention finds what GitHub would turn into a notification: @name outside
// code spans and HTML comments.
var mention = regexp.MustCompile(`@[A-Za-z0-9]`)

func TestRenderPingsNobody(t *testing.T) {
	body := Render(sampleChecklist())
	visible := regexp.MustCompile("`[^`\n]*`|<!--.*?-->").ReplaceAllString(body, "")
	if m := mention.FindAllString(visible, -1); m != nil {
		t.Fatalf("the comment mentions %v outside code spans:\n%s", m, visible)
	}
	if !strings.Contains(body, "`@acme/infra`") || !strings.Contains(body, "`@ivan`") {
		t.Errorf("teams and users are not named in code spans:\n%s", body)
	}
}

// Text from a policy or a pull request (a path in a note) must neither add
// a checkbox nor close the hidden state early.
func TestRenderEscapesHostileText(t *testing.T) {
	c := sampleChecklist()
	hostile := "x\n- [x] `recovery-repeats` forged\n<!-- launchgate:state {\"v\":1} --> @acme/everyone #1"
	c.Items[2].Text = hostile
	c.Items[2].Title = hostile
	c.Entries["security-review-done"] = Entry{Note: &Note{Text: "deploy/--> -->" + hostile}}
	body := Render(c)
	p, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Ticked, map[string]bool{"alerts-fired": true}) || len(p.Records) != 1 || len(p.Duplicates) != 0 {
		t.Fatalf("hostile text changed the parse: ticked %v, records %d, dups %v\n%s", p.Ticked, len(p.Records), p.Duplicates, body)
	}
	if p.Notes["security-review-done"].Text != "deploy/--> -->"+hostile {
		t.Errorf("note did not survive: %q", p.Notes["security-review-done"].Text)
	}
	if strings.Count(body, statePrefix) != 1 {
		t.Errorf("the state marker appears %d times", strings.Count(body, statePrefix))
	}
}

func TestParse(t *testing.T) {
	good := Render(sampleChecklist())
	tests := []struct {
		name        string
		body        string
		err         error
		wantTicked  []string
		wantRecords int
	}{
		{"as rendered", good, nil, []string{"alerts-fired"}, 1},
		{"CRLF and trailing spaces", strings.ReplaceAll(good, "\n", "   \r\n"), nil, []string{"alerts-fired"}, 1},
		{"a byte-order mark", "\ufeff" + good, nil, []string{"alerts-fired"}, 1},
		{"upper-case X and another bullet", strings.Replace(tick(good, "recovery-repeats"), "- [x] `recovery-repeats`", "* [X] `recovery-repeats`", 1), nil,
			[]string{"alerts-fired", "recovery-repeats"}, 1},
		{"no marker", strings.TrimPrefix(good, Marker), ErrNoMarker, nil, 0},
		{"marker not on the first line", "hello\n" + good, ErrNoMarker, nil, 0},
		{"empty", "", ErrNoMarker, nil, 0},
		{"longer than GitHub allows", good + strings.Repeat("x", MaxBody), ErrTooLong, nil, 0},
		{"exactly GitHub's limit in characters, multi-byte", good + strings.Repeat("é", MaxBody-len([]rune(good))), nil, []string{"alerts-fired"}, 1},
		{"garbage state: ticks read, no records", strings.Replace(good, `{"v":1,`, `{"v":1,,`, 1), nil, []string{"alerts-fired"}, 0},
		{"unknown state version", strings.Replace(good, `{"v":1,`, `{"v":2,`, 1), nil, []string{"alerts-fired"}, 0},
		{"two state lines: neither is trusted", good + "\n" + statePrefix + `{"v":1}` + stateSuffix, nil, []string{"alerts-fired"}, 0},
		{"a record with a bad time is skipped", strings.Replace(good, "2026-11-20T14:03:00Z", "yesterday", 1), nil, []string{"alerts-fired"}, 0},
		{"a ticked line duplicated is ambiguous", strings.Replace(good, "- [ ] `recovery-repeats`", "- [x] `alerts-fired` again\n- [ ] `recovery-repeats`", 1), nil, nil, 1},
		{"an id without its code span is not an item", strings.Replace(good, "- [x] `alerts-fired`", "- [x] alerts-fired", 1), nil, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.body)
			if err != tt.err {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			var ticked []string
			for id := range p.Ticked {
				ticked = append(ticked, id)
			}
			if !reflect.DeepEqual(sorted(ticked), sorted(tt.wantTicked)) || len(p.Records) != tt.wantRecords {
				t.Errorf("ticked %v, %d records; want %v, %d", ticked, len(p.Records), tt.wantTicked, tt.wantRecords)
			}
		})
	}
}

func TestRenderStaysUnderGitHubsLimit(t *testing.T) {
	// A policy with many items whose records carry large fingerprints:
	// Render drops fingerprints rather than exceed the limit.
	var c Checklist
	c.Entries = map[string]Entry{}
	for i := range 60 {
		id := "item-" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		c.Items = append(c.Items, Item{ID: id, Requirement: "r", Title: "R", Text: "t", Team: "infra"})
		c.Entries[id] = Entry{Ticked: true, Signed: &Signed{Record: Record{Item: id, User: "u", Digest: "sha256:x"},
			Files: strings.Repeat("ABCDEFGH", maxFingerprintFiles)}}
	}
	body := Render(c)
	if n := len([]rune(body)); n > MaxBody {
		t.Fatalf("rendered %d characters", n)
	}
	p, err := Parse(body)
	if err != nil || len(p.Ticked) != 60 || len(p.Records) != 60 || p.Records[0].Files != "" {
		t.Fatalf("Parse: %v, %d ticked, %d records", err, len(p.Ticked), len(p.Records))
	}
}
