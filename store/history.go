package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The history of pull requests, for the web pages: one summary row per pull
// request (PRSummary) and its events (PREvent). The pages read only these,
// so a page view costs no GitHub call. Owner, repo and logins are stored
// lower-cased; times as Unix microseconds, 0 for none.

// PRSummary is what the pages show of one pull request.
type PRSummary struct {
	InstallationID, RepoID int64
	Owner, Repo            string
	Number                 int
	Title, Author          string
	State                  string // "open", "closed" or "merged"
	Draft                  bool
	Conclusion             string
	Requested              []string // logins requested now
	RequestedTeams         []string // team slugs requested now
	TemplateFailures       []string // kinds of failing template items
	StartedAt              time.Time
	FirstReviewAt          time.Time
	DeadlineAt             time.Time
	BreachedAt             time.Time
	ClosedAt               time.Time
	Snapshot               []byte // JSON owned by the writer (handlers) and the reader (web)
	UpdatedAt              time.Time
}

// PREvent is one event of a pull request. Key makes a repeated write a
// no-op, so retried jobs and redeliveries record an event once.
type PREvent struct {
	RepoID      int64
	Owner, Repo string
	Number      int
	Key         string
	Kind        string
	Actor       string
	Detail      string
	Inside      bool // for reviews: inside the reviewer's working hours
	At          time.Time
}

// Event kinds.
const (
	EventReady       = "ready"
	EventRequested   = "requested"
	EventUnrequested = "unrequested"
	// A team's review request: Actor is the team's slug, Detail "@org/slug".
	EventTeamRequested   = "team_requested"
	EventTeamUnrequested = "team_unrequested"
	EventReviewed        = "reviewed"
	EventReminded        = "reminded"
	EventBreached        = "breached"
	EventTemplate        = "template"
	EventMerged          = "merged"
	EventClosed          = "closed"
)

// PutPRSummary creates or replaces a pull request's summary. Fields of a
// summary that a write leaves zero keep what an earlier write set for
// BreachedAt and FirstReviewAt (they happen once), and a closed or merged
// state is not turned back to open by an older evaluation finishing late
// unless the pull request reopened (the caller passes State "open" then
// with a newer UpdatedAt).
func (s *Store) PutPRSummary(ctx context.Context, p PRSummary) error {
	if _, err := s.writeExecAsync(ctx, putSummaryQuery, summaryArgs(p)...); err != nil {
		return fmt.Errorf("store: put summary %d#%d: %w", p.RepoID, p.Number, err)
	}
	return nil
}

const putSummaryQuery = summaryInsert + `
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
` + summaryUpsert

// summaryInsert and summaryUpsert surround the rows of a summary's upsert,
// one (putSummaryQuery) or several (evalbatch.go), whose values are in the
// order of summaryArgs, of the types summaryTypes names.
const summaryInsert = `INSERT INTO pr_history (repo_id, number, installation_id, owner, repo, title, author, state, draft,
    conclusion, requested, template_failures, started_at, first_review_at, deadline_at, breached_at, closed_at,
    snapshot, updated_at, changed_at, requested_teams)`

var summaryTypes = [...]string{"bigint", "bigint", "bigint", "text", "text", "text", "text", "text", "bigint",
	"text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "bytea", "bigint", "bigint", "text"}

const summaryUpsert = `ON CONFLICT (repo_id, number) DO UPDATE SET installation_id = excluded.installation_id,
    owner = excluded.owner, repo = excluded.repo, title = excluded.title, author = excluded.author,
    state = excluded.state, draft = excluded.draft, conclusion = excluded.conclusion,
    requested = excluded.requested, requested_teams = excluded.requested_teams, template_failures = excluded.template_failures,
    started_at = excluded.started_at,
    first_review_at = CASE WHEN excluded.first_review_at <> 0 THEN excluded.first_review_at ELSE pr_history.first_review_at END,
    deadline_at = excluded.deadline_at,
    breached_at = CASE WHEN pr_history.breached_at <> 0 THEN pr_history.breached_at ELSE excluded.breached_at END,
    closed_at = excluded.closed_at, snapshot = excluded.snapshot, updated_at = excluded.updated_at,
    changed_at = excluded.changed_at
WHERE excluded.updated_at >= pr_history.updated_at`

func summaryArgs(p PRSummary) []any {
	snap := p.Snapshot
	if snap == nil {
		snap = []byte{}
	}
	return []any{p.RepoID, p.Number, p.InstallationID, lower(p.Owner), lower(p.Repo),
		p.Title, lower(p.Author), p.State, boolInt(p.Draft), p.Conclusion, joinLower(p.Requested),
		strings.Join(p.TemplateFailures, ","), microsOr0(p.StartedAt), microsOr0(p.FirstReviewAt),
		microsOr0(p.DeadlineAt), microsOr0(p.BreachedAt), microsOr0(p.ClosedAt), snap, micros(p.UpdatedAt), micros(time.Now()),
		joinLower(p.RequestedTeams)}
}

// MarkPRBreached records when a pull request's SLA was breached (the first
// breach counts), if it has a summary.
func (s *Store) MarkPRBreached(ctx context.Context, repoID int64, number int, at time.Time) error {
	const q = `UPDATE pr_history SET breached_at = $3, changed_at = $4 WHERE repo_id = $1 AND number = $2 AND breached_at = 0`
	if _, err := s.DB.ExecContext(ctx, q, repoID, number, micros(at), micros(time.Now())); err != nil {
		return fmt.Errorf("store: mark %d#%d breached: %w", repoID, number, err)
	}
	return nil
}

// MarkPRState sets a pull request's state ("closed" or "merged") and when,
// if it has a summary; an evaluation that runs after it sees the same.
func (w Writes) MarkPRState(ctx context.Context, repoID int64, number int, state string, at time.Time) error {
	const q = `UPDATE pr_history SET state = $3, closed_at = $4, changed_at = $5 WHERE repo_id = $1 AND number = $2`
	if _, err := w.db.ExecContext(ctx, q, repoID, number, state, micros(at), micros(time.Now())); err != nil {
		return fmt.Errorf("store: mark %d#%d %s: %w", repoID, number, state, err)
	}
	return nil
}

// AddPREvent records an event unless one with its key was recorded for the
// pull request already; it reports whether it was new.
func (w Writes) AddPREvent(ctx context.Context, e PREvent) (bool, error) {
	res, err := w.addPREvent(ctx, e)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: add event %d#%d %s: %w", e.RepoID, e.Number, e.Key, err)
	}
	return n == 1, nil
}

// RecordPREvent is AddPREvent without the report, which a pipeline
// (pipeline.go) would have to send its writes to know.
func (w Writes) RecordPREvent(ctx context.Context, e PREvent) error {
	_, err := w.addPREvent(ctx, e)
	return err
}

func (w Writes) addPREvent(ctx context.Context, e PREvent) (sql.Result, error) {
	const q = `INSERT INTO pr_events (repo_id, number, owner, repo, key, kind, actor, detail, inside, at, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (repo_id, number, key) DO NOTHING`
	res, err := w.db.ExecContext(ctx, q, e.RepoID, e.Number, lower(e.Owner), lower(e.Repo), e.Key, e.Kind,
		lower(e.Actor), e.Detail, boolInt(e.Inside), micros(e.At), micros(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: add event %d#%d %s: %w", e.RepoID, e.Number, e.Key, err)
	}
	return res, nil
}

const summaryColumns = `installation_id, repo_id, owner, repo, number, title, author, state, draft, conclusion,
    requested, template_failures, started_at, first_review_at, deadline_at, breached_at, closed_at, snapshot, updated_at,
    requested_teams`

// PRSummaryOf returns one pull request's summary by its names; ok is false
// if there is none.
func (s *Store) PRSummaryOf(ctx context.Context, owner, repo string, number int) (PRSummary, bool, error) {
	q := `SELECT ` + summaryColumns + ` FROM pr_history WHERE owner = $1 AND repo = $2 AND number = $3`
	rows, err := s.reads.QueryContext(ctx, q, lower(owner), lower(repo), number)
	if err != nil {
		return PRSummary{}, false, fmt.Errorf("store: summary %s/%s#%d: %w", owner, repo, number, err)
	}
	out, err := scanSummaries(rows, true)
	if err != nil || len(out) == 0 {
		return PRSummary{}, false, err
	}
	return out[0], true, nil
}

// SummaryQuery selects summaries of one owner: open ones, and those closed
// at or after ClosedSince; or, when ChangedSince is set, every one written
// since then (for a reader that keeps the rest). Repo "" means every
// repository; Involving, when set, keeps the pull requests it authored or
// is requested on. WithSnapshot also reads the (larger) snapshot column.
type SummaryQuery struct {
	Owner, Repo  string
	ClosedSince  time.Time
	ChangedSince time.Time
	Involving    string
	WithSnapshot bool
}

// PRSummaries lists the summaries q selects, by repository and number.
func (s *Store) PRSummaries(ctx context.Context, q SummaryQuery) ([]PRSummary, error) {
	cols := summaryColumns
	if !q.WithSnapshot {
		cols = strings.Replace(cols, "snapshot", "x''", 1)
		if s.Dialect == DialectPostgres {
			cols = strings.Replace(summaryColumns, "snapshot", "''::bytea", 1)
		}
	}
	sqlq := `SELECT ` + cols + ` FROM pr_history WHERE owner = $1 AND ($2 = '' OR repo = $2)
AND (state = 'open' OR closed_at >= $3)
AND ($4 = '' OR author = $4 OR (',' || requested || ',') LIKE ('%,' || $4 || ',%')) ORDER BY repo, number`
	args := []any{lower(q.Owner), lower(q.Repo), micros(q.ClosedSince), lower(q.Involving)}
	if !q.ChangedSince.IsZero() {
		sqlq = `SELECT ` + cols + ` FROM pr_history WHERE owner = $1 AND ($2 = '' OR repo = $2) AND changed_at >= $3
AND ($4 = '' OR author = $4) ORDER BY repo, number`
		args[2] = micros(q.ChangedSince)
	}
	rows, err := s.reads.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("store: summaries of %s: %w", q.Owner, err)
	}
	return scanSummaries(rows, q.WithSnapshot)
}

func scanSummaries(rows *sql.Rows, withSnapshot bool) ([]PRSummary, error) {
	defer rows.Close()
	var out []PRSummary
	for rows.Next() {
		var p PRSummary
		var draft int
		var requested, teams, failures string
		var started, first, deadline, breached, closed, updated int64
		if err := rows.Scan(&p.InstallationID, &p.RepoID, &p.Owner, &p.Repo, &p.Number, &p.Title, &p.Author,
			&p.State, &draft, &p.Conclusion, &requested, &failures, &started, &first, &deadline, &breached,
			&closed, &p.Snapshot, &updated, &teams); err != nil {
			return nil, fmt.Errorf("store: scan summary: %w", err)
		}
		p.Draft, p.Requested, p.TemplateFailures = draft != 0, splitList(requested), splitList(failures)
		p.RequestedTeams = splitList(teams)
		p.StartedAt, p.FirstReviewAt, p.DeadlineAt = fromMicrosOr0(started), fromMicrosOr0(first), fromMicrosOr0(deadline)
		p.BreachedAt, p.ClosedAt, p.UpdatedAt = fromMicrosOr0(breached), fromMicrosOr0(closed), fromMicros(updated)
		if !withSnapshot {
			p.Snapshot = nil
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: summaries: %w", err)
	}
	return out, nil
}

// PREvents lists one pull request's events, oldest first.
func (s *Store) PREvents(ctx context.Context, repoID int64, number int) ([]PREvent, error) {
	const q = `SELECT repo_id, owner, repo, number, key, kind, actor, detail, inside, at FROM pr_events
WHERE repo_id = $1 AND number = $2 ORDER BY at, key`
	return s.queryEvents(ctx, q, repoID, number)
}

// EventQuery selects one owner's events of some kinds since a time (or,
// when RecordedSince is set, every one written since then); Repo "" means
// every repository.
type EventQuery struct {
	Owner, Repo   string
	Actor         string // "": anyone
	Kinds         []string
	Since         time.Time
	RecordedSince time.Time
}

// OwnerEvents lists the events q selects, oldest first.
func (s *Store) OwnerEvents(ctx context.Context, q EventQuery) ([]PREvent, error) {
	col, since := "at", q.Since
	if !q.RecordedSince.IsZero() {
		col, since = "recorded_at", q.RecordedSince
	}
	args := []any{lower(q.Owner), lower(q.Repo), micros(since), lower(q.Actor)}
	var marks []string
	for _, k := range q.Kinds {
		args = append(args, k)
		marks = append(marks, fmt.Sprintf("$%d", len(args)))
	}
	kinds := ""
	if len(marks) > 0 {
		kinds = ` AND kind IN (` + strings.Join(marks, ", ") + `)`
	}
	sqlq := `SELECT repo_id, owner, repo, number, key, kind, actor, detail, inside, at FROM pr_events
WHERE owner = $1 AND ($2 = '' OR repo = $2) AND ` + col + ` >= $3 AND ($4 = '' OR actor = $4)` + kinds + ` ORDER BY at`
	return s.queryEvents(ctx, sqlq, args...)
}

func (s *Store) queryEvents(ctx context.Context, q string, args ...any) ([]PREvent, error) {
	rows, err := s.reads.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []PREvent
	for rows.Next() {
		var e PREvent
		var inside int
		var at int64
		if err := rows.Scan(&e.RepoID, &e.Owner, &e.Repo, &e.Number, &e.Key, &e.Kind, &e.Actor, &e.Detail,
			&inside, &at); err != nil {
			return nil, fmt.Errorf("store: scan event: %w", err)
		}
		e.Inside, e.At = inside != 0, fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return out, nil
}

// PutTeam replaces the members recorded for an owner's team. Every
// evaluation calls it, so an unchanged team costs one read and no write.
func (s *Store) PutTeam(ctx context.Context, owner, team string, members []string) error {
	want := make([]string, 0, len(members))
	for _, m := range members {
		want = append(want, lower(m))
	}
	slices.Sort(want)
	want = slices.Compact(want)
	have, err := s.strings(ctx, `SELECT login FROM team_members WHERE owner = $1 AND team = $2 ORDER BY login`, lower(owner), lower(team))
	if err != nil {
		return fmt.Errorf("store: put team %s/%s: %w", owner, team, err)
	}
	slices.Sort(have) // the engines' collations may order logins differently
	if slices.Equal(have, want) && len(want) > 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE owner = $1 AND team = $2`,
			lower(owner), lower(team)); err != nil {
			return fmt.Errorf("store: put team %s/%s: %w", owner, team, err)
		}
		for _, m := range members {
			if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (owner, team, login) VALUES ($1, $2, $3)
ON CONFLICT (owner, team, login) DO NOTHING`, lower(owner), lower(team), lower(m)); err != nil {
				return fmt.Errorf("store: put team %s/%s: %w", owner, team, err)
			}
		}
		return nil
	})
}

// Teams returns an owner's recorded teams with their members.
func (s *Store) Teams(ctx context.Context, owner string) (map[string][]string, error) {
	rows, err := s.reads.QueryContext(ctx, `SELECT team, login FROM team_members WHERE owner = $1 ORDER BY team, login`, lower(owner))
	if err != nil {
		return nil, fmt.Errorf("store: teams of %s: %w", owner, err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var team, login string
		if err := rows.Scan(&team, &login); err != nil {
			return nil, fmt.Errorf("store: teams of %s: %w", owner, err)
		}
		out[team] = append(out[team], login)
	}
	return out, rows.Err()
}

// PruneHistory deletes events older than before, and the summaries of pull
// requests closed before it, reporting how many rows went.
func (s *Store) PruneHistory(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM pr_events WHERE at < $1`,
		`DELETE FROM pr_history WHERE state <> 'open' AND closed_at <> 0 AND closed_at < $1`,
	} {
		res, err := s.DB.ExecContext(ctx, q, micros(before))
		if err != nil {
			return total, fmt.Errorf("store: prune history: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("store: prune history: %w", err)
		}
		total += n
	}
	return total, nil
}

func lower(s string) string { return strings.ToLower(s) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinLower(ss []string) string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, lower(s))
	}
	return strings.Join(out, ",")
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func microsOr0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func fromMicrosOr0(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}
