package readiness

import (
	"testing"
	"testing/fstest"
	"time"
)

func TestEvaluateWaivers(t *testing.T) {
	now := time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)
	readmeOnly := fstest.MapFS{"README.md": {Data: []byte("x")}}
	both := fstest.MapFS{"README.md": {Data: []byte("x")}, "SECURITY.md": {Data: []byte("x")}}
	human := &Human{
		Signoffs:  map[string]Done{"reviewed": {By: "sec-ann", At: now}},
		Approvals: map[string]Done{"security": {By: "sec-ann", At: now}, "infra": {By: "ops-bob", At: now}},
	}
	waiver := Waiver{By: "sec-ann", At: now.AddDate(0, 0, -1), Until: "2027-03-01", Reason: "batch job"}
	tests := []struct {
		name        string
		fs          fstest.MapFS
		now         time.Time
		waivers     map[string]Waiver
		wantCheck   Status
		wantReq     Status
		wantReady   bool
		wantExpired bool
	}{
		{name: "no waiver: the failing check fails", fs: readmeOnly, now: now, wantCheck: Fail, wantReq: Fail},
		{name: "a waiver lets the failing check pass", fs: readmeOnly, now: now, waivers: map[string]Waiver{"review": waiver},
			wantCheck: Waived, wantReq: Pass, wantReady: true},
		{name: "the waiver ends at 00:00 UTC of its date", fs: readmeOnly, now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
			waivers: map[string]Waiver{"review": waiver}, wantCheck: Fail, wantReq: Fail, wantExpired: true},
		{name: "a waiver of a passing check is only shown", fs: both, now: now, waivers: map[string]Waiver{"review": waiver},
			wantCheck: Pass, wantReq: Pass, wantReady: true},
		{name: "a waiver with an unreadable date never applies", fs: readmeOnly, now: now,
			waivers:   map[string]Waiver{"review": {By: "sec-ann", Until: "soon", Reason: "x"}},
			wantCheck: Fail, wantReq: Fail, wantExpired: true},
		{name: "a waiver of another check does not apply", fs: readmeOnly, now: now, waivers: map[string]Waiver{"readme": waiver},
			wantCheck: Fail, wantReq: Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Evaluate(testPolicy(), Snapshot{FS: tt.fs, Human: human, Waivers: tt.waivers}, tt.now)
			sec := rep.Requirements[1]
			check := sec.Checks[0]
			if check.Status != tt.wantCheck || sec.Status != tt.wantReq || rep.Ready != tt.wantReady {
				t.Fatalf("check %s, requirement %s, ready %v; want %s, %s, %v", check.Status, sec.Status, rep.Ready, tt.wantCheck, tt.wantReq, tt.wantReady)
			}
			if _, waived := tt.waivers["review"]; waived != (check.Waiver != nil) {
				t.Fatalf("check.Waiver = %+v, want one: %v", check.Waiver, waived)
			}
			if check.Waiver != nil && check.Waiver.Expired != tt.wantExpired {
				t.Errorf("Expired = %v, want %v", check.Waiver.Expired, tt.wantExpired)
			}
			if check.Status == Waived && len(check.Findings) == 0 {
				t.Errorf("a waived check lost its findings")
			}
			// The recorded outcome is the check's own, whatever the waiver.
			if got := AutomaticOf(testPolicy(), rep)[1][0]; got.Status == Waived || got.Waiver != nil {
				t.Errorf("AutomaticOf kept the waiver: %+v", got)
			}
		})
	}
}

// TestCombineFailsClosed: a status combine does not know fails its
// requirement rather than passing it.
func TestCombineFailsClosed(t *testing.T) {
	tests := []struct {
		statuses []Status
		want     Status
	}{
		{statuses: []Status{Pass, Waived}, want: Pass},
		{statuses: []Status{Waived, Pending}, want: Pending},
		{statuses: []Status{Pass, "bogus"}, want: Fail},
		{statuses: []Status{Pending, ""}, want: Fail},
	}
	for _, tt := range tests {
		var checks []Check
		for _, s := range tt.statuses {
			checks = append(checks, Check{Status: s})
		}
		if got := combine(checks); got != tt.want {
			t.Errorf("combine(%v) = %s, want %s", tt.statuses, got, tt.want)
		}
	}
}
