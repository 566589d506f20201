package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
)

// backends opens one fresh store per backend. PostgreSQL needs a server:
// LAUNCHGATE_TEST_POSTGRES names it (.ci/run starts one). Outside CI the
// PostgreSQL cases skip without it; in CI a missing server is a failure,
// so that a broken setup cannot pass by skipping.
func backends(t *testing.T) map[string]func(t *testing.T) *Store {
	return map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			return openTest(t, "sqlite:"+filepath.Join(t.TempDir(), "launchgate.db"))
		},
		"postgres": func(t *testing.T) *Store {
			dsn := os.Getenv("LAUNCHGATE_TEST_POSTGRES")
			if dsn == "" {
				if os.Getenv("CI") != "" {
					t.Fatal("CI is set but LAUNCHGATE_TEST_POSTGRES is not: the PostgreSQL store tests must run in CI")
				}
				t.Skip("LAUNCHGATE_TEST_POSTGRES is not set")
			}
			s := openTest(t, dsn)
			// Every case starts from empty tables; the cases of one package
			// run one after another, so they do not see each other's rows.
			for _, table := range []string{"launch_records", "waiver_events", "open_prs", "pr_pages", "evaluations"} {
				if _, err := s.db.Exec("DELETE FROM " + table); err != nil {
					t.Fatalf("emptying %s: %v", table, err)
				}
			}
			return s
		},
	}
}

func openTest(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%s): %v", redact(url), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var day = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func record(repo string, pr int, mergedAt time.Time, line string) Record {
	return Record{ID: fmt.Sprintf("%s#%d", repo, pr), Repo: repo, PR: pr, MergedAt: mergedAt, Line: []byte(line)}
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s *Store)
	}{
		{name: "a record is put once; a second put with the same id keeps the first line", run: func(t *testing.T, s *Store) {
			first := record("acme/pay", 1, day, `{"pr":1}`)
			again := first
			again.Line = []byte(`{"pr":1,"changed":true}`)
			for _, r := range []Record{first, again} {
				if err := s.PutRecord(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Records(ctx, RecordFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if want := []Record{first}; !reflect.DeepEqual(got, want) {
				t.Errorf("Records = %+v, want %+v", got, want)
			}
		}},
		{name: "records filter by since and repo, oldest first", run: func(t *testing.T, s *Store) {
			old := record("acme/pay", 1, day.Add(-48*time.Hour), `1`)
			newPay := record("acme/pay", 2, day.Add(time.Hour), `2`)
			atSince := record("acme/web", 3, day, `3`)
			for _, r := range []Record{newPay, old, atSince} {
				if err := s.PutRecord(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			filters := []struct {
				f    RecordFilter
				want []Record
			}{
				{f: RecordFilter{}, want: []Record{old, atSince, newPay}},
				{f: RecordFilter{Since: day}, want: []Record{atSince, newPay}},
				{f: RecordFilter{Repo: "acme/pay"}, want: []Record{old, newPay}},
				{f: RecordFilter{Since: day, Repo: "acme/pay"}, want: []Record{newPay}},
				{f: RecordFilter{Repo: "acme/none"}, want: nil},
			}
			for _, c := range filters {
				got, err := s.Records(ctx, c.f)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("Records(%+v) = %+v, want %+v", c.f, got, c.want)
				}
			}
		}},
		{name: "waiver events list by pull request in order; a redelivered event is stored once", run: func(t *testing.T, s *Store) {
			waive := WaiverEvent{ID: "c1", Repo: "acme/pay", PR: 7, At: day, Actor: "ann", Action: "waive", Check: "replicas", Until: "2027-03-01", Reason: "batch job"}
			unwaive := WaiverEvent{ID: "c2", Repo: "acme/pay", PR: 7, At: day.Add(time.Hour), Actor: "ann", Action: "unwaive", Check: "replicas"}
			otherPR := WaiverEvent{ID: "c3", Repo: "acme/pay", PR: 8, At: day, Actor: "bob", Action: "waive", Check: "alerts", Until: "2027-01-01", Reason: "r"}
			for _, e := range []WaiverEvent{unwaive, waive, otherPR, waive} {
				if err := s.PutWaiverEvent(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.WaiverEvents(ctx, "acme/pay", 7)
			if err != nil {
				t.Fatal(err)
			}
			if want := []WaiverEvent{waive, unwaive}; !reflect.DeepEqual(got, want) {
				t.Errorf("WaiverEvents = %+v, want %+v", got, want)
			}
		}},
		{name: "a waiver event with an unknown action is refused", run: func(t *testing.T, s *Store) {
			if err := s.PutWaiverEvent(ctx, WaiverEvent{ID: "c1", Repo: "acme/pay", PR: 7, Action: "approve"}); err == nil {
				t.Error("PutWaiverEvent accepted action approve")
			}
		}},
		{name: "open pull requests keep their latest evaluation, list by organisation and can be removed", run: func(t *testing.T, s *Store) {
			latest := OpenPR{Repo: "acme/pay", PR: 1, Head: "bbb", Conclusion: "success", EvaluatedAt: day.Add(time.Minute)}
			stale := OpenPR{Repo: "acme/pay", PR: 1, Head: "aaa", Conclusion: "failure", EvaluatedAt: day}
			web := OpenPR{Repo: "acme/web", PR: 2, Head: "ccc", Conclusion: "failure", EvaluatedAt: day}
			other := OpenPR{Repo: "acmecorp/pay", PR: 3, Head: "ddd", Conclusion: "success", EvaluatedAt: day}
			upsertOpenPRs(t, s, stale, latest, stale, web, other)
			got, err := s.OpenPRs(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if want := []OpenPR{latest, web}; !reflect.DeepEqual(got, want) {
				t.Errorf("OpenPRs(acme) = %+v, want %+v", got, want)
			}
			if err := s.RemoveOpenPR(ctx, "acme/pay", 1); err != nil {
				t.Fatal(err)
			}
			got, err = s.OpenPRs(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if want := []OpenPR{web}; !reflect.DeepEqual(got, want) {
				t.Errorf("OpenPRs(acme) after removing #1 = %+v, want %+v", got, want)
			}
		}},
		{name: "a repository's open pull requests list by number, its name in any letter case", run: func(t *testing.T, s *Store) {
			second := OpenPR{Repo: "acme/pay", PR: 2, Head: "bbb", Conclusion: "failure", EvaluatedAt: day}
			first := OpenPR{Repo: "acme/pay", PR: 1, Head: "aaa", Conclusion: "success", EvaluatedAt: day}
			otherCase := OpenPR{Repo: "Acme/Pay", PR: 3, Head: "ccc", Conclusion: "success", EvaluatedAt: day}
			longerName := OpenPR{Repo: "acme/payments", PR: 4, Head: "ddd", Conclusion: "failure", EvaluatedAt: day}
			otherOrg := OpenPR{Repo: "acmecorp/pay", PR: 5, Head: "eee", Conclusion: "failure", EvaluatedAt: day}
			upsertOpenPRs(t, s, second, longerName, first, otherOrg, otherCase)
			for _, c := range []struct {
				repo string
				want []OpenPR
			}{
				{repo: "acme/pay", want: []OpenPR{first, second, otherCase}},
				{repo: "ACME/PAY", want: []OpenPR{first, second, otherCase}},
				{repo: "acme/payments", want: []OpenPR{longerName}},
				{repo: "acme/none", want: nil},
			} {
				got, err := s.OpenPRsOfRepo(ctx, c.repo)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("OpenPRsOfRepo(%s) = %+v, want %+v", c.repo, got, c.want)
				}
			}
			if _, err := s.OpenPRsOfRepo(ctx, "pay"); err == nil {
				t.Error("OpenPRsOfRepo accepted repository pay")
			}
		}},
		{name: "pruning removes a repository's rows evaluated before the bound whose pull request is not open", run: func(t *testing.T, s *Store) {
			bound := day.Add(time.Minute)
			open := OpenPR{Repo: "acme/pay", PR: 1, Head: "aaa", Conclusion: "success", EvaluatedAt: day}
			closed := OpenPR{Repo: "acme/pay", PR: 2, Head: "bbb", Conclusion: "failure", EvaluatedAt: day}
			atBound := OpenPR{Repo: "acme/pay", PR: 3, Head: "ccc", Conclusion: "failure", EvaluatedAt: bound}
			otherRepo := OpenPR{Repo: "acme/web", PR: 2, Head: "ddd", Conclusion: "failure", EvaluatedAt: day}
			upsertOpenPRs(t, s, open, closed, atBound, otherRepo)
			steps := []struct {
				repo    string
				open    []int
				removed int
				left    []OpenPR
			}{
				{repo: "acme/pay", open: []int{1, 4}, removed: 1, left: []OpenPR{open, atBound, otherRepo}},
				{repo: "acme/pay", open: []int{1, 4}, removed: 0, left: []OpenPR{open, atBound, otherRepo}},
				{repo: "acme/web", open: nil, removed: 1, left: []OpenPR{open, atBound}},
				{repo: "acme/pay", open: nil, removed: 1, left: []OpenPR{atBound}},
			}
			for i, step := range steps {
				removed, err := s.PruneOpenPRs(ctx, step.repo, step.open, bound)
				if err != nil {
					t.Fatal(err)
				}
				if removed != step.removed {
					t.Errorf("step %d: PruneOpenPRs(%s, %v) removed %d, want %d", i+1, step.repo, step.open, removed, step.removed)
				}
				got, err := s.OpenPRs(ctx, "acme")
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, step.left) {
					t.Errorf("step %d: OpenPRs(acme) after PruneOpenPRs(%s, %v) = %+v, want %+v", i+1, step.repo, step.open, got, step.left)
				}
			}
		}},
		{name: "an open pull request keeps the board's columns; a stale evaluation changes none of them", run: func(t *testing.T, s *Store) {
			latest := OpenPR{Repo: "acme/pay", PR: 1, Head: "bbb", Conclusion: "failure", EvaluatedAt: day.Add(time.Minute),
				Title: "Launch pay", Author: "ann", OpenedAt: day.Add(-72 * time.Hour),
				Failing: []string{"security", "approvals"}, PendingTeams: []string{"infra", "security"}, WaiverEnds: "2027-01-15"}
			stale := OpenPR{Repo: "acme/pay", PR: 1, Head: "aaa", Conclusion: "failure", EvaluatedAt: day,
				Title: "old title", Author: "ann", Failing: []string{"deployment"}}
			unknownOpening := OpenPR{Repo: "acme/web", PR: 2, Head: "ccc", Conclusion: "success", EvaluatedAt: day}
			upsertOpenPRs(t, s, latest, stale, unknownOpening)
			got, err := s.OpenPRs(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if want := []OpenPR{latest, unknownOpening}; !reflect.DeepEqual(got, want) {
				t.Errorf("OpenPRs(acme) = %+v, want %+v", got, want)
			}
		}},
		{name: "an open pull request whose repository is not owner/name is refused", run: func(t *testing.T, s *Store) {
			if err := s.UpsertOpenPR(ctx, OpenPR{Repo: "pay", PR: 1}); err == nil {
				t.Error("UpsertOpenPR accepted repository pay")
			}
		}},
		{name: "an open pull request whose lists would not split back is refused", run: func(t *testing.T, s *Store) {
			for _, p := range []OpenPR{
				{Repo: "acme/pay", PR: 1, Failing: []string{"security review"}},
				{Repo: "acme/pay", PR: 1, PendingTeams: []string{""}},
				{Repo: "acme/pay", PR: 1, PendingTeams: []string{"infra\n"}},
			} {
				if err := s.UpsertOpenPR(ctx, p); err == nil {
					t.Errorf("UpsertOpenPR accepted failing %q, pending teams %q", p.Failing, p.PendingTeams)
				}
			}
			if got, err := s.OpenPRs(ctx, "acme"); err != nil || len(got) != 0 {
				t.Errorf("OpenPRs after refused upserts = %+v, %v; want none", got, err)
			}
		}},
		{name: "records filter by organisation in any letter case, newest first, limited", run: func(t *testing.T, s *Store) {
			first := record("acme/pay", 1, day, `1`)
			second := record("acme/web", 2, day.Add(time.Hour), `2`)
			third := record("acme/pay", 3, day.Add(2*time.Hour), `3`)
			longerOrg := record("acmecorp/pay", 4, day.Add(3*time.Hour), `4`)
			otherCase := record("ACME/pay", 5, day.Add(4*time.Hour), `5`)
			for _, r := range []Record{third, longerOrg, first, otherCase, second} {
				if err := s.PutRecord(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			filters := []struct {
				f    RecordFilter
				want []Record
			}{
				{f: RecordFilter{Org: "acme"}, want: []Record{first, second, third, otherCase}},
				{f: RecordFilter{Org: "aCmE"}, want: []Record{first, second, third, otherCase}},
				{f: RecordFilter{Org: "acme", Newest: true}, want: []Record{otherCase, third, second, first}},
				{f: RecordFilter{Org: "acme", Newest: true, Limit: 2}, want: []Record{otherCase, third}},
				{f: RecordFilter{Org: "acme", Limit: 1}, want: []Record{first}},
				{f: RecordFilter{Org: "acme", Repo: "acme/web"}, want: []Record{second}},
				{f: RecordFilter{Org: "acme", Since: day.Add(3 * time.Hour)}, want: []Record{otherCase}},
				{f: RecordFilter{Org: "ACMECORP"}, want: []Record{longerOrg}},
				{f: RecordFilter{Org: "acm"}, want: nil},
				{f: RecordFilter{Org: "ACM"}, want: nil},
				{f: RecordFilter{Newest: true, Limit: 1}, want: []Record{otherCase}},
			}
			for _, c := range filters {
				got, err := s.Records(ctx, c.f)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("Records(%+v) = %+v, want %+v", c.f, got, c.want)
				}
			}
			if _, err := s.Records(ctx, RecordFilter{Limit: -1}); err == nil {
				t.Error("Records accepted a negative limit")
			}
		}},
		{name: "a record is read by its id; a missing one is ErrNotFound", run: func(t *testing.T, s *Store) {
			r := record("acme/pay", 1, day, `{"pr":1}`)
			if err := s.PutRecord(ctx, r); err != nil {
				t.Fatal(err)
			}
			got, err := s.Record(ctx, "acme/pay#1")
			if err != nil || !reflect.DeepEqual(got, r) {
				t.Errorf("Record(acme/pay#1) = %+v, %v; want %+v", got, err, r)
			}
			if _, err := s.Record(ctx, "acme/pay#2"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Record(acme/pay#2) error = %v, want ErrNotFound", err)
			}
		}},
		{name: "a page keeps its latest evaluation and outlives the open row", run: func(t *testing.T, s *Store) {
			puts := []struct {
				head string
				at   time.Time
				page string
			}{
				{head: "bbb", at: day.Add(time.Minute), page: `{"head":"bbb"}`},
				{head: "aaa", at: day, page: `{"head":"aaa"}`},
			}
			for _, p := range puts {
				if err := s.PutPRPage(ctx, "acme/pay", 1, p.head, p.at, []byte(p.page)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.UpsertOpenPR(ctx, OpenPR{Repo: "acme/pay", PR: 1, Head: "bbb", EvaluatedAt: day}); err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveOpenPR(ctx, "acme/pay", 1); err != nil {
				t.Fatal(err)
			}
			got, err := s.PRPage(ctx, "acme/pay", 1)
			if want := (Page{Repo: "acme/pay", PR: 1, JSON: []byte(`{"head":"bbb"}`)}); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("PRPage(acme/pay#1) = %+v, %v; want the later page %+v", got, err, want)
			}
			if _, err := s.PRPage(ctx, "acme/pay", 2); !errors.Is(err, ErrNotFound) {
				t.Errorf("PRPage(acme/pay#2) error = %v, want ErrNotFound", err)
			}
		}},
		{name: "evaluations list by pull request, newest first, limited", run: func(t *testing.T, s *Store) {
			first := Evaluation{Repo: "acme/pay", PR: 1, Head: "aaa", Conclusion: "failure", Outcome: "evaluated", At: day}
			second := Evaluation{Repo: "acme/pay", PR: 1, Head: "aaa", Conclusion: "failure", Outcome: "evaluation-error", At: day.Add(time.Minute)}
			third := Evaluation{Repo: "acme/pay", PR: 1, Head: "bbb", Conclusion: "success", Outcome: "evaluated", At: day.Add(time.Hour)}
			otherPR := Evaluation{Repo: "acme/pay", PR: 2, Head: "ccc", Conclusion: "success", Outcome: "evaluated", At: day}
			for _, e := range []Evaluation{second, otherPR, third, first} {
				if err := s.PutEvaluation(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			limits := []struct {
				limit int
				want  []Evaluation
			}{
				{limit: 0, want: []Evaluation{third, second, first}},
				{limit: 2, want: []Evaluation{third, second}},
			}
			for _, c := range limits {
				got, err := s.Evaluations(ctx, "acme/pay", 1, c.limit)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("Evaluations(acme/pay#1, %d) = %+v, want %+v", c.limit, got, c.want)
				}
			}
			if got, err := s.Evaluations(ctx, "acme/pay", 3, 0); err != nil || got != nil {
				t.Errorf("Evaluations(acme/pay#3) = %+v, %v; want none", got, err)
			}
		}},
		{name: "the pages' reads find names in any letter case and return them as stored", run: func(t *testing.T, s *Store) {
			open := OpenPR{Repo: "Acme/Orders", PR: 1, Head: "aaa", Conclusion: "failure", EvaluatedAt: day}
			if err := s.UpsertOpenPR(ctx, open); err != nil {
				t.Fatal(err)
			}
			if err := s.PutPRPage(ctx, "Acme/Orders", 1, "aaa", day, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			eval := Evaluation{Repo: "Acme/Orders", PR: 1, Head: "aaa", Conclusion: "failure", Outcome: "evaluated", At: day}
			if err := s.PutEvaluation(ctx, eval); err != nil {
				t.Fatal(err)
			}
			rec := record("Acme/Orders", 2, day, `{}`)
			if err := s.PutRecord(ctx, rec); err != nil {
				t.Fatal(err)
			}
			for _, org := range []string{"Acme", "acme", "ACME"} {
				if got, err := s.OpenPRs(ctx, org); err != nil || !reflect.DeepEqual(got, []OpenPR{open}) {
					t.Errorf("OpenPRs(%s) = %+v, %v; want %+v", org, got, err, open)
				}
			}
			for _, repo := range []string{"Acme/Orders", "acme/orders", "ACME/oRDERS"} {
				if got, err := s.PRPage(ctx, repo, 1); err != nil || got.Repo != "Acme/Orders" || string(got.JSON) != `{}` {
					t.Errorf("PRPage(%s#1) = %+v, %v; want the page of Acme/Orders", repo, got, err)
				}
				if got, err := s.Evaluations(ctx, repo, 1, 0); err != nil || !reflect.DeepEqual(got, []Evaluation{eval}) {
					t.Errorf("Evaluations(%s#1) = %+v, %v; want %+v", repo, got, err, eval)
				}
				if got, err := s.Record(ctx, repo+"#2"); err != nil || !reflect.DeepEqual(got, rec) {
					t.Errorf("Record(%s#2) = %+v, %v; want %+v", repo, got, err, rec)
				}
			}
			if got, err := s.OpenPRs(ctx, "acm"); err != nil || len(got) != 0 {
				t.Errorf("OpenPRs(acm) = %+v, %v; want none", got, err)
			}
			if _, err := s.PRPage(ctx, "acme/order", 1); !errors.Is(err, ErrNotFound) {
				t.Errorf("PRPage(acme/order#1) error = %v, want ErrNotFound", err)
			}
		}},
		{name: "writes keep their spelling: after a rename in another case the latest page answers, whatever the case asked", run: func(t *testing.T, s *Store) {
			if err := s.PutPRPage(ctx, "acme/orders", 1, "aaa", day, []byte(`{"head":"aaa"}`)); err != nil {
				t.Fatal(err)
			}
			if err := s.PutPRPage(ctx, "Acme/Orders", 1, "bbb", day.Add(time.Minute), []byte(`{"head":"bbb"}`)); err != nil {
				t.Fatal(err)
			}
			want := Page{Repo: "Acme/Orders", PR: 1, JSON: []byte(`{"head":"bbb"}`)}
			for _, repo := range []string{"acme/orders", "Acme/Orders", "ACME/ORDERS"} {
				if got, err := s.PRPage(ctx, repo, 1); err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("PRPage(%s#1) = %+v, %v; want %+v", repo, got, err, want)
				}
			}
			var rows int
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pr_pages`).Scan(&rows); err != nil || rows != 2 {
				t.Errorf("pr_pages holds %d rows (%v), want 2: one per spelling put", rows, err)
			}
		}},
	}
	for backend, open := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
			}
		})
	}
}

func TestOpenMigratesOnceAndKeepsData(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "launchgate.db")
	s := openTest(t, url)
	r := record("acme/pay", 1, day, `{}`)
	if err := s.PutRecord(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	s.Close()
	reopened := openTest(t, url)
	got, err := reopened.Records(context.Background(), RecordFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Record{r}; !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening, Records = %+v, want %+v", got, want)
	}
}

func TestOpenRefusesUnknownURLs(t *testing.T) {
	cases := []struct {
		url string
	}{
		{url: "mysql://u:secret@h/db"},
		{url: "sqlite:"},
		{url: "launchgate.db"},
	}
	for _, c := range cases {
		_, err := Open(context.Background(), c.url)
		if err == nil {
			t.Errorf("Open(%q) succeeded", c.url)
			continue
		}
		if got := err.Error(); strings.Contains(got, "secret") {
			t.Errorf("Open(%q) error %q carries the password", c.url, got)
		}
	}
}

// TestUpgradeKeepsRows: a store at migration 1 (before the pages) with
// rows migrates to the latest schema, keeps them, and reads the new
// columns as empty.
func TestUpgradeKeepsRows(t *testing.T) {
	ctx := context.Background()
	urls := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "launchgate.db") },
		"postgres": func(t *testing.T) string {
			s := backends(t)["postgres"](t) // skips or fails as the other PostgreSQL cases do
			// A schema of its own: the other cases share the database's
			// public schema, at the latest migration.
			const schema = "upgrade_test"
			for _, q := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema} {
				if _, err := s.db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			sep := "?"
			if strings.Contains(os.Getenv("LAUNCHGATE_TEST_POSTGRES"), "?") {
				sep = "&"
			}
			return os.Getenv("LAUNCHGATE_TEST_POSTGRES") + sep + "search_path=" + schema
		},
	}
	for backend, makeURL := range urls {
		t.Run(backend, func(t *testing.T) {
			url := makeURL(t)
			driver, dsn, dialect, err := parseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			dir, err := fs.Sub(migrations, "migrations")
			if err != nil {
				t.Fatal(err)
			}
			p, err := goose.NewProvider(dialect, db, dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx,
				`INSERT INTO open_prs (repo, pr, org, head, conclusion, evaluated_at) VALUES ('acme/pay', 1, 'acme', 'aaa', 'failure', $1)`,
				day.UnixNano()); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx,
				`INSERT INTO launch_records (id, repo, pr, merged_at, line) VALUES ('acme/pay#2', 'acme/pay', 2, $1, '{}')`,
				day.UnixNano()); err != nil {
				t.Fatal(err)
			}
			db.Close()

			s := openTest(t, url)
			open, err := s.OpenPRs(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if want := []OpenPR{{Repo: "acme/pay", PR: 1, Head: "aaa", Conclusion: "failure", EvaluatedAt: day}}; !reflect.DeepEqual(open, want) {
				t.Errorf("open pull requests after the upgrade = %+v, want %+v", open, want)
			}
			if r, err := s.Record(ctx, "acme/pay#2"); err != nil || string(r.Line) != "{}" {
				t.Errorf("record after the upgrade = %+v, %v", r, err)
			}
			if err := s.PutPRPage(ctx, "acme/pay", 1, "aaa", day, []byte(`{}`)); err != nil {
				t.Errorf("a page cannot be put after the upgrade: %v", err)
			}
			files, err := fs.Glob(migrations, "migrations/*.sql")
			if err != nil {
				t.Fatal(err)
			}
			var version int
			if err := s.db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil || version != len(files) {
				t.Errorf("schema version after the upgrade = %d, %v; want %d, the latest migration", version, err, len(files))
			}
		})
	}
}

// TestPagesLookupsUseTheirIndexes: the lookups the pages make in any letter
// case are answered through the lower(...) indexes, not by scanning a
// table, on both backends.
func TestPagesLookupsUseTheirIndexes(t *testing.T) {
	ctx := context.Background()
	lookups := []struct {
		name, query, index string
		args               []any
	}{
		{name: "an organisation's open pull requests", query: openPRsOfOrg, args: []any{"ACME"}, index: "open_prs_org_lower"},
		{name: "a repository's open pull requests", query: openPRsOfRepo, args: []any{"ACME", "ACME/orders"}, index: "open_prs_org_lower"},
		{name: "a pull request's page", query: prPageOfPR, args: []any{"ACME/orders", 1}, index: "pr_pages_repo_lower"},
		{name: "a pull request's evaluations", query: evaluationsOfPR, args: []any{"ACME/orders", 1}, index: "evaluations_repo_lower"},
		{name: "a launch record", query: recordByID, args: []any{"ACME/orders#1"}, index: "launch_records_id_lower"},
	}
	for backend, open := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			conn, err := open(t).db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// searches says whether a plan looks rows up through index by
			// lower(...), rather than reading all of it.
			explain, searches := "EXPLAIN QUERY PLAN ", func(plan, index string) bool {
				return regexp.MustCompile(`SEARCH \w+ USING INDEX ` + index + ` \(<expr>=\?`).MatchString(plan)
			}
			if backend == "postgres" {
				// An empty table is cheaper to scan than to search: forbid
				// scans, so that the plan says whether the index can serve.
				if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
					t.Fatal(err)
				}
				explain, searches = "EXPLAIN ", func(plan, index string) bool {
					return regexp.MustCompile(`(?s)Scan(?: Backward)? (?:using|on) ` + index + `\b.*?Index Cond: \(+lower\(`).MatchString(plan)
				}
			}
			for _, l := range lookups {
				if plan := queryPlan(t, conn, explain+l.query, l.args...); !searches(plan, l.index) {
					t.Errorf("%s does not search %s by lower(...):\n%s", l.name, l.index, plan)
				}
			}
		})
	}
}

// queryPlan is what an EXPLAIN answers, every column of every row.
func queryPlan(t *testing.T, conn *sql.Conn, query string, args ...any) string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&plan, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// upsertOpenPRs stores each row in turn, as evaluations would.
func upsertOpenPRs(t *testing.T, s *Store, rows ...OpenPR) {
	t.Helper()
	for _, p := range rows {
		if err := s.UpsertOpenPR(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
}
