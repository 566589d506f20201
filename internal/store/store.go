// Package store keeps launchgate's state: signed launch records, waiver
// events, the latest evaluation of every open launch pull request, the
// latest published evaluation of every launch pull request as its details
// page shows it, and the history of evaluations whose check run changed. It
// is an embedded SQLite file by default, so that one replica runs with
// nothing else to start, and PostgreSQL when several replicas share it.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultURL is the store used when the configuration names none: a
// SQLite file in the working directory.
const DefaultURL = "sqlite:launchgate.db"

//go:embed migrations/*.sql
var migrations embed.FS

// Record is one signed launch record as published: Line is its JSON line,
// kept byte for byte so that an exported record still verifies.
type Record struct {
	ID       string // "owner/name#PR", one record per merged PR
	Repo     string // "owner/name"
	PR       int
	MergedAt time.Time
	Line     []byte
}

// RecordFilter narrows Records; a zero field does not filter.
type RecordFilter struct {
	Since time.Time // merged at or after
	Repo  string    // "owner/name", as stored
	// Org is the repositories' owner, in any letter case, as GitHub
	// matches it.
	Org string
	// Limit is the most records listed, 0 for all; with Newest, the
	// latest ones.
	Limit int
	// Newest lists the latest merge first instead of the oldest.
	Newest bool
}

// ErrNotFound is returned, wrapped, for a row that is not stored.
var ErrNotFound = errors.New("not found")

// WaiverEvent is one accepted /launchgate waive or unwaive command. Events
// are kept rather than a current state so that an audit sees withdrawals.
type WaiverEvent struct {
	ID     string // the command's comment id, so a redelivered webhook is stored once
	Repo   string
	PR     int
	At     time.Time
	Actor  string
	Action string // "waive" or "unwaive"
	Check  string
	Until  string // YYYY-MM-DD; empty for unwaive
	Reason string
}

// OpenPR is the latest evaluation of one open launch pull request, as the
// organisation board lists it.
type OpenPR struct {
	Repo        string // "owner/name"; the organisation is its owner
	PR          int
	Head        string
	Conclusion  string
	EvaluatedAt time.Time
	Title       string
	Author      string
	// OpenedAt is when the pull request was opened; the zero time when
	// unknown (a row written before launchgate kept it).
	OpenedAt time.Time
	// Failing are the requirement ids that fail (launchview.Failing), and PendingTeams the
	// team slugs whose sign-off or approval is pending; nil when none.
	// Neither may hold an empty string or one with white space: the store
	// keeps them space-separated.
	Failing, PendingTeams []string
	// WaiverEnds is the day (YYYY-MM-DD) the earliest waiver that counts
	// ends, or "".
	WaiverEnds string
}

// Evaluation is one evaluation of a launch pull request whose check run
// was written (its content changed): the history is bounded by changes,
// not by events.
type Evaluation struct {
	Repo       string // "owner/name"
	PR         int
	Head       string
	Conclusion string
	Outcome    string // githubapi.RunOutcome: "evaluated", "evaluation-error", …
	At         time.Time
}

// Page is a launch pull request's published evaluation as PutPRPage kept
// it.
type Page struct {
	Repo string // "owner/name", spelled as when it was put
	PR   int
	JSON []byte // launchview.PR's JSON
}

// Store is launchgate's state, whichever database holds it. Writes keep
// repository names as they are given (as webhooks spell them); the reads
// the pages make match them in any letter case, as GitHub does, and
// return the stored spelling.
type Store struct {
	db *sql.DB
}

// Open opens the store url names and applies its schema migrations:
// "sqlite:PATH" or "postgres://..." (a pgx DSN; host=/dir for a unix
// socket).
func Open(ctx context.Context, url string) (*Store, error) {
	driver, dsn, dialect, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", redact(url), err)
	}
	if driver == "sqlite" {
		// One connection: SQLite serialises writers anyway, and a single
		// connection keeps every query on the same file handle.
		db.SetMaxOpenConns(1)
	}
	if err := migrate(ctx, db, dialect); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrating %s: %w", redact(url), err)
	}
	return &Store{db: db}, nil
}

// CheckURL says whether url names a store Open can open, without opening
// it (for configuration checks).
func CheckURL(url string) error {
	_, _, _, err := parseURL(url)
	return err
}

// parseURL maps a store url to its database/sql driver, DSN and goose
// dialect.
func parseURL(url string) (driver, dsn string, dialect goose.Dialect, err error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return "", "", "", fmt.Errorf("store: %q names no file", url)
		}
		// Writers wait for each other instead of failing with SQLITE_BUSY, and
		// WAL lets a backup or an export read while serve writes.
		return "sqlite", "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)", goose.DialectSQLite3, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return "pgx", url, goose.DialectPostgres, nil
	}
	return "", "", "", fmt.Errorf("store: unsupported store url %q (want sqlite:PATH or postgres://...)", redact(url))
}

func migrate(ctx context.Context, db *sql.DB, dialect goose.Dialect) error {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db, dir)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// redact drops a URL's password so that errors and logs never carry it.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	user, _, _ := strings.Cut(userinfo, ":")
	return scheme + "://" + user + ":xxxxx@" + host
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// PutRecord stores r unless a record with its ID is already stored: a
// merge is recorded once, and a redelivered webhook changes nothing.
func (s *Store) PutRecord(ctx context.Context, r Record) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO launch_records (id, repo, pr, merged_at, line) VALUES ($1, $2, $3, $4, $5)
		 ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Repo, r.PR, r.MergedAt.UnixNano(), string(r.Line))
	if err != nil {
		return fmt.Errorf("store: putting the launch record %s: %w", r.ID, err)
	}
	return nil
}

// recordColumns are the columns scanRecord reads, in its order.
const recordColumns = `id, repo, pr, merged_at, line`

// scanRecord reads a row of recordColumns.
func scanRecord(row interface{ Scan(...any) error }) (Record, error) {
	var r Record
	var mergedAt int64
	var line string
	if err := row.Scan(&r.ID, &r.Repo, &r.PR, &mergedAt, &line); err != nil {
		return Record{}, err
	}
	r.MergedAt, r.Line = time.Unix(0, mergedAt).UTC(), []byte(line)
	return r, nil
}

// Records lists the records f selects, oldest merge first unless f.Newest.
func (s *Store) Records(ctx context.Context, f RecordFilter) ([]Record, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("store: listing launch records: negative limit %d", f.Limit)
	}
	q := `SELECT ` + recordColumns + ` FROM launch_records WHERE merged_at >= $1`
	args := []any{int64(0)}
	if !f.Since.IsZero() {
		args[0] = f.Since.UnixNano()
	}
	if f.Repo != "" {
		args = append(args, f.Repo)
		q += fmt.Sprintf(` AND repo = $%d`, len(args))
	}
	if f.Org != "" {
		// A prefix compared as text, not LIKE: SQLite's LIKE ignores case
		// only in ASCII and PostgreSQL's not at all, and both treat _ and %
		// as wildcards. The "/" keeps it exact on the owner: acme is not
		// acmecorp.
		prefix := f.Org + "/"
		args = append(args, utf8.RuneCountInString(prefix), prefix)
		q += fmt.Sprintf(` AND lower(substr(repo, 1, $%d)) = lower($%d)`, len(args)-1, len(args))
	}
	if f.Newest {
		q += ` ORDER BY merged_at DESC, id DESC`
	} else {
		q += ` ORDER BY merged_at, id`
	}
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing launch records: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("store: reading a launch record: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: listing launch records: %w", err)
	}
	return out, nil
}

// recordByID reads a record by its id in any letter case. Ids differing
// only in case would be two rows: the latest merge answers, whatever the
// case asked.
const recordByID = `SELECT ` + recordColumns + ` FROM launch_records WHERE lower(id) = lower($1)
	ORDER BY merged_at DESC, id LIMIT 1`

// Record returns the record id ("owner/name#PR") names in any letter
// case, or ErrNotFound.
func (s *Store) Record(ctx context.Context, id string) (Record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, recordByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: reading the launch record %s: %w", id, err)
	}
	return r, nil
}

// PutWaiverEvent stores e unless an event with its ID is already stored.
func (s *Store) PutWaiverEvent(ctx context.Context, e WaiverEvent) error {
	if e.Action != "waive" && e.Action != "unwaive" {
		return fmt.Errorf("store: waiver event %s: unknown action %q", e.ID, e.Action)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO waiver_events (id, repo, pr, at, actor, action, check_id, until_date, reason)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.Repo, e.PR, e.At.UnixNano(), e.Actor, e.Action, e.Check, e.Until, e.Reason)
	if err != nil {
		return fmt.Errorf("store: putting waiver event %s on %s#%d: %w", e.ID, e.Repo, e.PR, err)
	}
	return nil
}

// WaiverEvents lists one pull request's waiver events in the order they
// happened.
func (s *Store) WaiverEvents(ctx context.Context, repo string, pr int) ([]WaiverEvent, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, repo, pr, at, actor, action, check_id, until_date, reason
		 FROM waiver_events WHERE repo = $1 AND pr = $2 ORDER BY at, id`, repo, pr)
	if err != nil {
		return nil, fmt.Errorf("store: listing waiver events of %s#%d: %w", repo, pr, err)
	}
	defer rows.Close()
	var out []WaiverEvent
	for rows.Next() {
		var e WaiverEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.Repo, &e.PR, &at, &e.Actor, &e.Action, &e.Check, &e.Until, &e.Reason); err != nil {
			return nil, fmt.Errorf("store: reading a waiver event of %s#%d: %w", repo, pr, err)
		}
		e.At = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: listing waiver events of %s#%d: %w", repo, pr, err)
	}
	return out, nil
}

// UpsertOpenPR keeps p as its pull request's evaluation unless a later one
// is already stored: replicas evaluating out of order never move a pull
// request back to an older result.
func (s *Store) UpsertOpenPR(ctx context.Context, p OpenPR) error {
	org, _, ok := strings.Cut(p.Repo, "/")
	if !ok || org == "" {
		return fmt.Errorf("store: open pull request %q#%d: repository is not owner/name", p.Repo, p.PR)
	}
	failing, err := joinWords(p.Failing)
	if err != nil {
		return fmt.Errorf("store: open pull request %s#%d: failing requirements: %w", p.Repo, p.PR, err)
	}
	pending, err := joinWords(p.PendingTeams)
	if err != nil {
		return fmt.Errorf("store: open pull request %s#%d: pending teams: %w", p.Repo, p.PR, err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO open_prs (repo, pr, org, head, conclusion, evaluated_at, title, author, opened_at, failing, pending_teams, waiver_ends)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		 ON CONFLICT (repo, pr) DO UPDATE SET head = excluded.head, conclusion = excluded.conclusion,
		   evaluated_at = excluded.evaluated_at, title = excluded.title, author = excluded.author,
		   opened_at = excluded.opened_at, failing = excluded.failing, pending_teams = excluded.pending_teams,
		   waiver_ends = excluded.waiver_ends
		 WHERE open_prs.evaluated_at <= excluded.evaluated_at`,
		p.Repo, p.PR, org, p.Head, p.Conclusion, p.EvaluatedAt.UnixNano(), p.Title, p.Author, nanos(p.OpenedAt),
		failing, pending, p.WaiverEnds)
	if err != nil {
		return fmt.Errorf("store: upserting open pull request %s#%d: %w", p.Repo, p.PR, err)
	}
	return nil
}

// joinWords joins words with spaces, refusing any that would not split
// back into itself.
func joinWords(words []string) (string, error) {
	for _, w := range words {
		if w == "" || strings.ContainsFunc(w, unicode.IsSpace) {
			return "", fmt.Errorf("%q is empty or holds white space", w)
		}
	}
	return strings.Join(words, " "), nil
}

// nanos is t as stored: Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos reads what nanos stored.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// RemoveOpenPR forgets a pull request that closed; removing one that is
// not stored is not an error.
func (s *Store) RemoveOpenPR(ctx context.Context, repo string, pr int) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM open_prs WHERE repo = $1 AND pr = $2`, repo, pr); err != nil {
		return fmt.Errorf("store: removing open pull request %s#%d: %w", repo, pr, err)
	}
	return nil
}

// PruneOpenPRs removes the open rows of repo ("owner/name") whose pull
// request is not in open, the numbers of every pull request of repo that
// GitHub lists as open, and that were evaluated before evaluatedBefore; it
// returns how many it removed. An empty open removes every such row. The
// time bound keeps a row that an evaluation wrote after open was listed: a
// pull request opened or reopened since is missing from open, yet open.
func (s *Store) PruneOpenPRs(ctx context.Context, repo string, open []int, evaluatedBefore time.Time) (int, error) {
	q := `DELETE FROM open_prs WHERE repo = $1 AND evaluated_at < $2`
	if len(open) > 0 {
		// Literals, not parameters: they are integers, and a repository
		// may have more open pull requests than a statement takes
		// parameters (SQLite: 32,766).
		numbers := make([]string, len(open))
		for i, n := range open {
			numbers[i] = strconv.Itoa(n)
		}
		q += ` AND pr NOT IN (` + strings.Join(numbers, ", ") + `)`
	}
	res, err := s.db.ExecContext(ctx, q, repo, evaluatedBefore.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: pruning the open pull requests of %s: %w", repo, err)
	}
	removed, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: pruning the open pull requests of %s: counting the rows removed: %w", repo, err)
	}
	return int(removed), nil
}

// openPRsOfOrg lists an organisation's open pull requests, named in any
// letter case.
const openPRsOfOrg = `SELECT repo, pr, head, conclusion, evaluated_at, title, author, opened_at, failing, pending_teams, waiver_ends
	FROM open_prs WHERE lower(org) = lower($1) ORDER BY repo, pr`

// openPRsOfRepo lists a repository's open pull requests, its owner ($1)
// and its "owner/name" ($2) in any letter case; the owner is there for
// the organisation's index.
const openPRsOfRepo = `SELECT repo, pr, head, conclusion, evaluated_at, title, author, opened_at, failing, pending_teams, waiver_ends
	FROM open_prs WHERE lower(org) = lower($1) AND lower(repo) = lower($2) ORDER BY pr, repo`

// OpenPRs lists the open launch pull requests of one organisation, named
// in any letter case, by repository and number.
func (s *Store) OpenPRs(ctx context.Context, org string) ([]OpenPR, error) {
	if org == "" {
		return nil, errors.New("store: listing open pull requests: no organisation")
	}
	return s.openPRs(ctx, org, openPRsOfOrg, org)
}

// OpenPRsOfRepo lists the open launch pull requests of one repository,
// "owner/name" in any letter case, by number, each with the spelling it
// was stored under: a repository renamed in another case may have rows
// under both.
func (s *Store) OpenPRsOfRepo(ctx context.Context, repo string) ([]OpenPR, error) {
	org, _, ok := strings.Cut(repo, "/")
	if !ok || org == "" {
		return nil, fmt.Errorf("store: listing open pull requests of %q: repository is not owner/name", repo)
	}
	return s.openPRs(ctx, repo, openPRsOfRepo, org, repo)
}

// openPRs reads the open rows query lists with args; of names them in
// errors.
func (s *Store) openPRs(ctx context.Context, of, query string, args ...any) ([]OpenPR, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing open pull requests of %s: %w", of, err)
	}
	defer rows.Close()
	var out []OpenPR
	for rows.Next() {
		var p OpenPR
		var at, opened int64
		var failing, pending string
		if err := rows.Scan(&p.Repo, &p.PR, &p.Head, &p.Conclusion, &at, &p.Title, &p.Author, &opened, &failing, &pending, &p.WaiverEnds); err != nil {
			return nil, fmt.Errorf("store: reading an open pull request of %s: %w", of, err)
		}
		p.EvaluatedAt, p.OpenedAt = time.Unix(0, at).UTC(), fromNanos(opened)
		p.Failing, p.PendingTeams = splitWords(failing), splitWords(pending)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: listing open pull requests of %s: %w", of, err)
	}
	return out, nil
}

// splitWords reads what joinWords stored; nil for none.
func splitWords(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// PutPRPage keeps page, a launch pull request's published evaluation
// (launchview.PR's JSON) of head at at, unless a later one is already
// stored. Pages stay when their pull request closes, so that its check
// run's Details link keeps working.
func (s *Store) PutPRPage(ctx context.Context, repo string, pr int, head string, at time.Time, page []byte) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO pr_pages (repo, pr, head, evaluated_at, page) VALUES ($1, $2, $3, $4, $5)
		 ON CONFLICT (repo, pr) DO UPDATE SET head = excluded.head, evaluated_at = excluded.evaluated_at, page = excluded.page
		 WHERE pr_pages.evaluated_at <= excluded.evaluated_at`,
		repo, pr, head, at.UnixNano(), string(page))
	if err != nil {
		return fmt.Errorf("store: putting the page of %s#%d: %w", repo, pr, err)
	}
	return nil
}

// prPageOfPR reads a pull request's page, its repository named in any
// letter case. A repository renamed in another case keeps its pages under
// both spellings: the latest evaluation answers, whatever the case asked.
const prPageOfPR = `SELECT repo, page FROM pr_pages WHERE lower(repo) = lower($1) AND pr = $2
	ORDER BY evaluated_at DESC, repo LIMIT 1`

// PRPage returns the page PutPRPage kept for a pull request of repo,
// named in any letter case, or ErrNotFound.
func (s *Store) PRPage(ctx context.Context, repo string, pr int) (Page, error) {
	p := Page{PR: pr}
	var page string
	err := s.db.QueryRowContext(ctx, prPageOfPR, repo, pr).Scan(&p.Repo, &page)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Page{}, fmt.Errorf("store: reading the page of %s#%d: %w", repo, pr, err)
	}
	p.JSON = []byte(page)
	return p, nil
}

// PutEvaluation adds e to its pull request's history.
func (s *Store) PutEvaluation(ctx context.Context, e Evaluation) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO evaluations (repo, pr, head, conclusion, outcome, evaluated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.Repo, e.PR, e.Head, e.Conclusion, e.Outcome, e.At.UnixNano())
	if err != nil {
		return fmt.Errorf("store: putting an evaluation of %s#%d: %w", e.Repo, e.PR, err)
	}
	return nil
}

// evaluationsOfPR lists a pull request's evaluations, its repository named
// in any letter case; evaluations at the same instant (two replicas) list
// in a fixed order.
const evaluationsOfPR = `SELECT repo, pr, head, conclusion, outcome, evaluated_at FROM evaluations
	WHERE lower(repo) = lower($1) AND pr = $2 ORDER BY evaluated_at DESC, head DESC, outcome DESC`

// Evaluations lists a pull request's history, repo named in any letter
// case, newest first: at most limit evaluations, all of them when limit is
// 0.
func (s *Store) Evaluations(ctx context.Context, repo string, pr int, limit int) ([]Evaluation, error) {
	if limit < 0 {
		return nil, fmt.Errorf("store: listing the evaluations of %s#%d: negative limit %d", repo, pr, limit)
	}
	q := evaluationsOfPR
	args := []any{repo, pr}
	if limit > 0 {
		q += ` LIMIT $3`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing the evaluations of %s#%d: %w", repo, pr, err)
	}
	defer rows.Close()
	var out []Evaluation
	for rows.Next() {
		var e Evaluation
		var at int64
		if err := rows.Scan(&e.Repo, &e.PR, &e.Head, &e.Conclusion, &e.Outcome, &at); err != nil {
			return nil, fmt.Errorf("store: reading an evaluation of %s#%d: %w", repo, pr, err)
		}
		e.At = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: listing the evaluations of %s#%d: %w", repo, pr, err)
	}
	return out, nil
}
