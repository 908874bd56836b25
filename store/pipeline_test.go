package store

import (
	"context"
	"database/sql"
	"testing"
)

// TestPipelineKeepsOrderAndTransaction: queued writes are sent together,
// in order, before a read or a result needs them; each result is its own
// statement's; and a failing statement in a batch loses the whole
// transaction, what was sent before it included.
func TestPipelineKeepsOrderAndTransaction(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{})
	ctx := context.Background()
	key := func(kind string) ObjectKey { return ObjectKey{RepoID: 1, Number: 2, Kind: kind} }
	err := inPipelinedTx(ctx, s.DB, func(tx *sql.Tx, p *pipeline) error {
		w := Writes{db: p, tx: tx, s: s, pipe: p}
		mustDo(t, w.PutObjectIfNone(ctx, key("a"), Object{ID: 1}))
		mustDo(t, w.PutObjectUnlessWritten(ctx, key("a"), Object{ID: 2})) // written: stays 1
		if len(p.queued) != 2 || len(p.tags) != 0 {
			t.Fatalf("%d queued and %d sent; want 2 queued, none sent", len(p.queued), len(p.tags))
		}
		var id int64
		mustDo(t, w.db.QueryRowContext(ctx, `SELECT object_id FROM github_objects WHERE kind = 'a'`).Scan(&id))
		if id != 1 || len(p.queued) != 0 {
			t.Errorf("the read saw object ID %d with %d writes still queued; want 1 and none", id, len(p.queued))
		}
		res, err := w.insertObject(ctx, key("b"), Object{})
		mustDo(t, err)
		again, err := w.insertObject(ctx, key("b"), Object{})
		mustDo(t, err)
		n2, err := again.RowsAffected()
		mustDo(t, err)
		n1, err := res.RowsAffected()
		mustDo(t, err)
		if n1 != 1 || n2 != 0 {
			t.Errorf("rows affected %d then %d, want 1 then 0", n1, n2)
		}
		return nil
	})
	mustDo(t, err)
	if o, ok, err := s.GetObject(ctx, key("b")); err != nil || !ok || o.ID != 0 {
		t.Errorf("after commit: object b %+v, %v, %v", o, ok, err)
	}

	err = inPipelinedTx(ctx, s.DB, func(tx *sql.Tx, p *pipeline) error {
		w := Writes{db: p, tx: tx, s: s, pipe: p}
		mustDo(t, w.PutObjectIfNone(ctx, key("c"), Object{ID: 3}))
		mustDo(t, w.sync(ctx))
		mustDo(t, w.PutObjectIfNone(ctx, key("d"), Object{ID: 4}))
		_, err := p.ExecContext(ctx, `INSERT INTO github_objects (repo_id) VALUES (NULL)`) // fails when sent
		return err
	})
	if err == nil {
		t.Fatal("a batch with a failing statement committed")
	}
	for _, k := range []string{"c", "d"} {
		if _, ok, err := s.GetObject(ctx, key(k)); err != nil || ok {
			t.Errorf("object %s recorded by a failed transaction (%v)", k, err)
		}
	}
}
