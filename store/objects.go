package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ObjectKey names a GitHub object the app wrote for a pull request.
type ObjectKey struct {
	RepoID int64
	Number int
	Kind   string // e.g. "check_run:<head sha>", "comment"
}

// Object is a GitHub object the app wrote and a hash of what it wrote last.
type Object struct {
	ID   int64
	Hash string
}

// GetObject returns the object remembered for k; ok is false if none.
func (s *Store) GetObject(ctx context.Context, k ObjectKey) (o Object, ok bool, err error) {
	if err := s.runStmts(ctx, objectRead(k, &o, &ok)); err != nil {
		return Object{}, false, fmt.Errorf("store: get object %+v: %w", k, err)
	}
	return o, ok, nil
}

func objectRead(k ObjectKey, o *Object, found *bool) readStmt {
	const q = `SELECT object_id, content_hash FROM github_objects WHERE repo_id = $1 AND number = $2 AND kind = $3`
	return readStmt{query: q, args: []any{k.RepoID, k.Number, k.Kind}, row: objectRow(o, found)}
}

func objectRow(o *Object, found *bool) func(scan func(...any) error) error {
	return func(scan func(...any) error) error {
		*found = true
		return scan(&o.ID, &o.Hash)
	}
}

// commentKind is the kind of a pull request's sticky comment's record
// (githubapi.CommentKey).
const commentKind = "comment"

// PutObject records (or replaces) the object for k.
func (s *Store) PutObject(ctx context.Context, k ObjectKey, o Object) error {
	if _, err := s.writeExec(ctx, putObject, k.RepoID, k.Number, k.Kind, o.ID, o.Hash, micros(time.Now())); err != nil {
		return fmt.Errorf("store: put object %+v: %w", k, err)
	}
	return nil
}

// RecordObject is PutObject committed asynchronously (asyncwrites.go), for
// a record of what GitHub holds after the app wrote or looked there
// (githubapi.Objects.RecordObject says why losing it is safe).
func (s *Store) RecordObject(ctx context.Context, k ObjectKey, o Object) error {
	if _, err := s.writeExecAsync(ctx, putObject, k.RepoID, k.Number, k.Kind, o.ID, o.Hash, micros(time.Now())); err != nil {
		return fmt.Errorf("store: record object %+v: %w", k, err)
	}
	return nil
}

const putObject = `INSERT INTO github_objects (repo_id, number, kind, object_id, content_hash, written_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (repo_id, number, kind) DO UPDATE SET object_id = excluded.object_id, content_hash = excluded.content_hash,
written_at = excluded.written_at`

// LeaseObject takes owner's lease on k's record until expires, if the lease
// is free, expired or owner's already, and returns the record. When there
// is no record yet, claim becomes it: the lease claims the object before
// the caller creates it on GitHub. held is false when another owner holds
// the lease. One write, which is why the lease lives on the record
// (migration 0019).
func (s *Store) LeaseObject(ctx context.Context, k ObjectKey, claim Object, owner string, now, expires time.Time) (o Object, held bool, err error) {
	err = s.writeQueryRow(ctx, []any{&o.ID, &o.Hash}, leaseObjectQuery, leaseArgs(k, claim, owner, now, expires)...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Object{}, false, nil
	case err != nil:
		return Object{}, false, fmt.Errorf("store: lease object %+v: %w", k, err)
	}
	return o, true, nil
}

const leaseObjectQuery = `INSERT INTO github_objects (repo_id, number, kind, object_id, content_hash, written_at, lease_owner, lease_until)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (repo_id, number, kind) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
WHERE github_objects.lease_until < $9 OR github_objects.lease_owner = excluded.lease_owner
RETURNING object_id, content_hash`

func leaseArgs(k ObjectKey, claim Object, owner string, now, expires time.Time) []any {
	return []any{k.RepoID, k.Number, k.Kind, claim.ID, claim.Hash, micros(now), owner, micros(expires), micros(now)}
}

// ReleaseObject gives back owner's lease on k's record and, when o is not
// nil, records o in the same write. Nothing changes if owner no longer
// holds the lease: its holder since then writes the record.
func (s *Store) ReleaseObject(ctx context.Context, k ObjectKey, owner string, o *Object) error {
	q := `UPDATE github_objects SET lease_owner = '', lease_until = 0
WHERE repo_id = $1 AND number = $2 AND kind = $3 AND lease_owner = $4`
	args := []any{k.RepoID, k.Number, k.Kind, owner}
	if o != nil {
		q = `UPDATE github_objects SET lease_owner = '', lease_until = 0, object_id = $5, content_hash = $6, written_at = $7
WHERE repo_id = $1 AND number = $2 AND kind = $3 AND lease_owner = $4`
		args = append(args, o.ID, o.Hash, micros(time.Now()))
	}
	if _, err := s.writeExecAsync(ctx, q, args...); err != nil {
		return fmt.Errorf("store: release object %+v: %w", k, err)
	}
	return nil
}

// InsertObject records o for k unless something is recorded already;
// inserted says whether it was. For facts an event establishes (a new pull
// request has no comment yet) that must not overwrite what a write recorded.
func (w Writes) InsertObject(ctx context.Context, k ObjectKey, o Object) (inserted bool, err error) {
	res, err := w.insertObject(ctx, k, o)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PutObjectIfNone is InsertObject without the report, which a pipeline
// (pipeline.go) would have to send its writes to know.
func (w Writes) PutObjectIfNone(ctx context.Context, k ObjectKey, o Object) error {
	_, err := w.insertObject(ctx, k, o)
	return err
}

func (w Writes) insertObject(ctx context.Context, k ObjectKey, o Object) (sql.Result, error) {
	const q = `INSERT INTO github_objects (repo_id, number, kind, object_id, content_hash, written_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (repo_id, number, kind) DO NOTHING`
	res, err := w.db.ExecContext(ctx, q, k.RepoID, k.Number, k.Kind, o.ID, o.Hash, micros(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: insert object %+v: %w", k, err)
	}
	return res, nil
}

// PutObjectUnlessWritten records o for k unless an object ID is recorded:
// a reopened pull request's claims (githubapi.Claimed), which make the
// next write look on GitHub unless the store knows what it wrote.
func (w Writes) PutObjectUnlessWritten(ctx context.Context, k ObjectKey, o Object) error {
	const q = `INSERT INTO github_objects (repo_id, number, kind, object_id, content_hash, written_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (repo_id, number, kind) DO UPDATE SET object_id = excluded.object_id, content_hash = excluded.content_hash,
written_at = excluded.written_at WHERE github_objects.object_id = 0`
	if _, err := w.db.ExecContext(ctx, q, k.RepoID, k.Number, k.Kind, o.ID, o.Hash, micros(time.Now())); err != nil {
		return fmt.Errorf("store: put object %+v unless written: %w", k, err)
	}
	return nil
}

// PruneCommitObjects deletes the commit-level objects (number 0: a head's
// or a merge group's check run) last written before the given time that no
// open pull request's verdict is on. Should one be needed again, the app
// finds the check run on GitHub, as after a lost store. A record whose
// lease is held is kept.
func (s *Store) PruneCommitObjects(ctx context.Context, before time.Time) (int64, error) {
	const q = `DELETE FROM github_objects WHERE number = 0 AND written_at < $1 AND lease_until < $1
AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.repo_id = github_objects.repo_id AND github_objects.kind = 'check_run:' || v.head_sha)`
	res, err := s.DB.ExecContext(ctx, q, micros(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune commit objects: %w", err)
	}
	return res.RowsAffected()
}
