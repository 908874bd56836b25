package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Verdict is one open pull request's latest result on its head commit.
// Report is opaque here: the handlers' JSON of what the check run shows.
type Verdict struct {
	PR
	HeadSHA   string
	BaseRef   string
	Report    []byte
	UpdatedAt time.Time
}

// Same reports whether o is v but for when it was recorded: a verdict
// that need not be written again.
func (v Verdict) Same(o Verdict) bool {
	return v.PR == o.PR && v.HeadSHA == o.HeadSHA && v.BaseRef == o.BaseRef && bytes.Equal(v.Report, o.Report)
}

// PutVerdict records a pull request's verdict, replacing its previous one
// (an earlier head's included).
func (s *Store) PutVerdict(ctx context.Context, v Verdict) error {
	if _, err := s.writeExec(ctx, putVerdictQuery, verdictArgs(v)...); err != nil {
		return fmt.Errorf("store: put verdict %d#%d: %w", v.RepoID, v.Number, err)
	}
	return nil
}

const putVerdictQuery = `INSERT INTO verdicts (repo_id, number, head_sha, base_ref, report, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (repo_id, number) DO UPDATE SET head_sha = excluded.head_sha, base_ref = excluded.base_ref,
report = excluded.report, updated_at = excluded.updated_at`

func verdictArgs(v Verdict) []any {
	return []any{v.RepoID, v.Number, v.HeadSHA, v.BaseRef, v.Report, micros(v.UpdatedAt)}
}

// DeleteVerdict forgets a pull request's verdict (it closed), returning the
// head it was on ("" if none).
func (s *Store) DeleteVerdict(ctx context.Context, pr PR) (string, error) {
	const q = `DELETE FROM verdicts WHERE repo_id = $1 AND number = $2 RETURNING head_sha`
	var sha string
	err := s.DB.QueryRowContext(ctx, q, pr.RepoID, pr.Number).Scan(&sha)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: delete verdict %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return sha, nil
}

const verdictsOnQuery = `SELECT repo_id, number, head_sha, base_ref, report, updated_at FROM verdicts
WHERE repo_id = $1 AND head_sha = $2 ORDER BY number`

// VerdictsOn lists the verdicts of the pull requests whose head is sha, by
// number.
func (s *Store) VerdictsOn(ctx context.Context, repoID int64, sha string) ([]Verdict, error) {
	var out []Verdict
	if err := s.runStmts(ctx, verdictsOnRead(repoID, sha, &out)); err != nil {
		return nil, fmt.Errorf("store: verdicts on %s: %w", sha, err)
	}
	return out, nil
}

func verdictsOnRead(repoID int64, sha string, out *[]Verdict) readStmt {
	return readStmt{query: verdictsOnQuery, args: []any{repoID, sha}, row: func(scan func(...any) error) error {
		var v Verdict
		var at int64
		if err := scan(&v.RepoID, &v.Number, &v.HeadSHA, &v.BaseRef, &v.Report, &at); err != nil {
			return err
		}
		v.UpdatedAt = fromMicros(at)
		*out = append(*out, v)
		return nil
	}}
}

// LeaseVerdicts writes put, if not nil (PutVerdict), takes owner's lease on
// k's record (LeaseObject) and, if it was held, reads the verdicts on
// repoID's commit sha under it (VerdictsOn): what publishing a commit's
// check run does first. On PostgreSQL the three go in one round trip and
// one transaction, instead of three of each (docs/capacity.md, fourteenth
// session); its statements run in order, so the verdicts are read after
// the lease is taken and see put, as one after the other. put is written
// whether the lease was held or not.
func (s *Store) LeaseVerdicts(ctx context.Context, put *Verdict, k ObjectKey, claim Object, owner string, now, expires time.Time, repoID int64, sha string) (o Object, held bool, verdicts []Verdict, err error) {
	if s.Dialect != DialectPostgres {
		return s.leaseVerdictsOneByOne(ctx, put, k, claim, owner, now, expires, repoID, sha)
	}
	var stmts []readStmt
	if put != nil {
		stmts = append(stmts, readStmt{query: putVerdictQuery, args: verdictArgs(*put), row: noRows})
	}
	lease := readStmt{query: leaseObjectQuery, args: leaseArgs(k, claim, owner, now, expires),
		row: func(scan func(...any) error) error {
			held = true
			return scan(&o.ID, &o.Hash)
		}}
	stmts = append(stmts, lease, verdictsOnRead(repoID, sha, &verdicts))
	if err := runPipeline(ctx, s.DB, stmts); err != nil {
		return Object{}, false, nil, fmt.Errorf("store: lease %+v with the verdicts on %s: %w", k, sha, err)
	}
	if !held {
		return Object{}, false, nil, nil
	}
	return o, true, verdicts, nil
}

func (s *Store) leaseVerdictsOneByOne(ctx context.Context, put *Verdict, k ObjectKey, claim Object, owner string, now, expires time.Time, repoID int64, sha string) (Object, bool, []Verdict, error) {
	if put != nil {
		if err := s.PutVerdict(ctx, *put); err != nil {
			return Object{}, false, nil, err
		}
	}
	o, held, err := s.LeaseObject(ctx, k, claim, owner, now, expires)
	if err != nil || !held {
		return Object{}, false, nil, err
	}
	verdicts, err := s.VerdictsOn(ctx, repoID, sha)
	return o, true, verdicts, err
}
