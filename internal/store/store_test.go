package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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
			for _, table := range []string{"launch_records", "waiver_events", "open_prs"} {
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
			for _, p := range []OpenPR{stale, latest, stale, web, other} {
				if err := s.UpsertOpenPR(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
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
		{name: "an open pull request whose repository is not owner/name is refused", run: func(t *testing.T, s *Store) {
			if err := s.UpsertOpenPR(ctx, OpenPR{Repo: "pay", PR: 1}); err == nil {
				t.Error("UpsertOpenPR accepted repository pay")
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
