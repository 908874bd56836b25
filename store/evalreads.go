package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// An evaluation's first reads of the store do not depend on each other:
// the pull request's snapshot, the fact versions its cached GitHub reads
// are keyed on, its commands, the app's requests on it, its verdict and its
// comment's record. On PostgreSQL each was a round trip, on both sides of
// the socket (docs/capacity.md, thirteenth session); EvaluationReads reads
// them in one. Each read is a readStmt, which the single reads (SnapshotOf,
// Commands, ...) run alone, so the two ways share their SQL and scanning.

// readStmt is one query and what to do with each of its rows.
type readStmt struct {
	query string
	args  []any
	row   func(scan func(dest ...any) error) error
}

// noRows is the row function of a statement that returns none.
func noRows(func(...any) error) error { return nil }

// runStmts runs stmts: on PostgreSQL as one pipeline on one connection, in
// one round trip and one implicit transaction, where a statement may also be
// a write that returns rows; on SQLite, whose reads are no round trips, one
// by one on its readers, so reads only.
func (s *Store) runStmts(ctx context.Context, stmts ...readStmt) error {
	if s.Dialect != DialectPostgres || len(stmts) == 1 {
		for _, st := range stmts {
			if err := s.readRows(ctx, st); err != nil {
				return err
			}
		}
		return nil
	}
	return runPipeline(ctx, s.reads, stmts)
}

// runPipeline runs stmts on a PostgreSQL connection of db in one round
// trip and one implicit transaction.
func runPipeline(ctx context.Context, db *sql.DB, stmts []readStmt) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return withPgx(conn, func(c *pgx.Conn) error {
		b := &pgx.Batch{}
		for _, st := range stmts {
			b.Queue(st.query, st.args...)
		}
		br := c.SendBatch(ctx, b)
		for _, st := range stmts {
			rows, err := br.Query()
			for err == nil && rows.Next() {
				err = st.row(rows.Scan)
			}
			rows.Close()
			if err := errors.Join(err, rows.Err()); err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
}

// readRows runs one statement through database/sql.
func (s *Store) readRows(ctx context.Context, st readStmt) error {
	rows, err := s.reads.QueryContext(ctx, st.query, st.args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := st.row(rows.Scan); err != nil {
			rows.Close()
			return err
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}

// EvaluationReads is what an evaluation reads of the store first.
type EvaluationReads struct {
	Snapshot      Snapshot
	SnapshotFound bool
	// Versions holds the fact versions of the scopes asked for and of every
	// scope with the prefix asked for; a scope of those without a row is at
	// version 0 (see Version).
	Versions map[string]int64
	prefix   string
	asked    []string

	Commands    []CommandRow // as Commands returns them
	AppRequests []AppRequest // as AppRequests returns them
	// Verdict is the pull request's own verdict, if it has one: only its
	// evaluations (one at a time) write it.
	Verdict      Verdict
	VerdictFound bool
	// Comment is the record of the app's sticky comment, if there is one
	// (githubapi.UpsertCommentFrom says why it may be read this early).
	Comment      Object
	CommentFound bool
}

// Version is scope's version as read, and whether it was read: a scope
// asked for, or with the prefix asked for, has version 0 until an event
// bumped it.
func (r EvaluationReads) Version(scope string) (int64, bool) {
	if v, ok := r.Versions[scope]; ok {
		return v, true
	}
	known := r.prefix != "" && strings.HasPrefix(scope, r.prefix)
	for _, s := range r.asked {
		known = known || s == scope
	}
	return 0, known
}

// EvaluationReads reads pr's snapshot, commands, the app's requests on it,
// its verdict and its comment's record, and the versions of scopes and of
// every scope starting with prefix, together (on PostgreSQL in one round
// trip).
func (s *Store) EvaluationReads(ctx context.Context, pr PR, scopes []string, prefix string) (EvaluationReads, error) {
	r, stmts, err := s.firstReadStmts(pr, FirstReads{Scopes: scopes, Prefix: prefix})
	if err == nil {
		err = s.runStmts(ctx, stmts...)
	}
	if err != nil {
		return EvaluationReads{}, fmt.Errorf("store: evaluation reads of %+v: %w", pr, err)
	}
	return r.done(), nil
}

// firstReadStmts are EvaluationReads' statements, which fill r; r.done()
// once they ran.
func (s *Store) firstReadStmts(pr PR, f FirstReads) (*EvaluationReads, []readStmt, error) {
	r := &EvaluationReads{Versions: map[string]int64{}, prefix: f.Prefix, asked: f.Scopes}
	versions, err := s.versionsRead(f.Scopes, f.Prefix, r.Versions)
	if err != nil {
		return nil, nil, err
	}
	return r, []readStmt{
		snapshotRead(pr, &r.Snapshot, &r.SnapshotFound),
		versions,
		commandsRead(pr.RepoID, pr.Number, &r.Commands),
		appRequestsRead(pr.RepoID, pr.Number, &r.AppRequests),
		verdictRead(pr, &r.Verdict, &r.VerdictFound),
		objectRead(ObjectKey{RepoID: pr.RepoID, Number: pr.Number, Kind: commentKind}, &r.Comment, &r.CommentFound),
	}, nil
}

// done puts the commands read newest first in the order Commands gives.
func (r *EvaluationReads) done() EvaluationReads {
	reverse(r.Commands)
	return *r
}

// versionsRead reads into out the versions of scopes and of every scope
// starting with prefix ("" none): a range of scopes compared byte by byte,
// as SQLite compares text and as PostgreSQL's "C" collation does (migration
// 0020 indexes it; the database's own collation may order "base:7:x" and
// "base:70:x" apart from their bytes).
func (s *Store) versionsRead(scopes []string, prefix string, out map[string]int64) (readStmt, error) {
	end := ""
	if prefix != "" {
		end = prefixEnd(prefix)
	}
	q, list := `SELECT scope, version FROM fact_versions
WHERE scope = ANY($1) OR (scope COLLATE "C" >= $2 AND scope COLLATE "C" < $3)`, any(scopes)
	if s.Dialect != DialectPostgres {
		data, err := json.Marshal(scopes)
		if err != nil {
			return readStmt{}, err
		}
		q, list = `SELECT scope, version FROM fact_versions
WHERE scope IN (SELECT value FROM json_each($1)) OR (scope >= $2 AND scope < $3)`, string(data)
	}
	return readStmt{query: q, args: []any{list, prefix, end}, row: versionRow(out)}, nil
}

// versionRow puts a fact version's row (scope, version) into out.
func versionRow(out map[string]int64) func(scan func(...any) error) error {
	return func(scan func(...any) error) error {
		var scope string
		var v int64
		if err := scan(&scope, &v); err != nil {
			return err
		}
		out[scope] = v
		return nil
	}
}

func snapshotRead(pr PR, snap *Snapshot, found *bool) readStmt {
	const q = `SELECT pr, updated_at, trusted, recorded_at FROM pr_snapshots WHERE repo_id = $1 AND number = $2`
	return readStmt{query: q, args: []any{pr.RepoID, pr.Number}, row: snapshotRow(snap, found)}
}

// snapshotRow scans snapshotRead's columns; the batch's reads
// (evalbatch.go) scan the same after the pull request's key.
func snapshotRow(snap *Snapshot, found *bool) func(scan func(...any) error) error {
	return func(scan func(...any) error) error {
		var updated, trusted, recorded int64
		if err := scan(&snap.Data, &updated, &trusted, &recorded); err != nil {
			return err
		}
		snap.UpdatedAt, snap.Trusted, snap.RecordedAt = fromMicros(updated), trusted == 1, fromMicros(recorded)
		*found = true
		return nil
	}
}

// commandsRead reads the latest maxCommandRows allowed commands, newest
// first.
func commandsRead(repoID int64, number int, out *[]CommandRow) readStmt {
	const q = `SELECT comment_id, line, kind, actor, seconds, reason, head_sha, target, at FROM pr_commands
WHERE repo_id = $1 AND number = $2 AND ok = 1 ORDER BY at DESC, comment_id DESC, line DESC LIMIT $3`
	return readStmt{query: q, args: []any{repoID, number, maxCommandRows}, row: commandRow(out)}
}

func commandRow(out *[]CommandRow) func(scan func(...any) error) error {
	return func(scan func(...any) error) error {
		r := CommandRow{OK: true}
		var secs, at int64
		if err := scan(&r.CommentID, &r.Line, &r.Kind, &r.Actor, &secs, &r.Reason, &r.HeadSHA, &r.Target, &at); err != nil {
			return err
		}
		r.For, r.At = time.Duration(secs)*time.Second, fromMicros(at)
		*out = append(*out, r)
		return nil
	}
}

func appRequestsRead(repoID int64, number int, out *[]AppRequest) readStmt {
	const q = `SELECT login, requested_at, state, note FROM app_requests WHERE repo_id = $1 AND number = $2
ORDER BY requested_at, login`
	return readStmt{query: q, args: []any{repoID, number}, row: appRequestRow(out)}
}

func appRequestRow(out *[]AppRequest) func(scan func(...any) error) error {
	return func(scan func(...any) error) error {
		var r AppRequest
		var at int64
		var state string
		if err := scan(&r.Login, &at, &state, &r.Note); err != nil {
			return err
		}
		r.RequestedAt, r.Open = fromMicros(at), state == "open"
		*out = append(*out, r)
		return nil
	}
}

func verdictRead(pr PR, v *Verdict, found *bool) readStmt {
	const q = `SELECT repo_id, number, head_sha, base_ref, report, updated_at FROM verdicts WHERE repo_id = $1 AND number = $2`
	return readStmt{query: q, args: []any{pr.RepoID, pr.Number}, row: verdictRow(v, found)}
}

func verdictRow(v *Verdict, found *bool) func(scan func(...any) error) error {
	return func(scan func(...any) error) error {
		var at int64
		if err := scan(&v.RepoID, &v.Number, &v.HeadSHA, &v.BaseRef, &v.Report, &at); err != nil {
			return err
		}
		v.UpdatedAt, *found = fromMicros(at), true
		return nil
	}
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
