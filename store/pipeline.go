package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// pipeline holds a PostgreSQL transaction's writes and sends them together,
// in one round trip, when something needs their outcome: a read, a write's
// result, or the end of the batch. Why: a move that handles its deliveries
// (inmove.go) makes several writes for each, and one round trip each, one
// after the other, held the move to 450-900 deliveries a second
// (docs/capacity.md). Statements keep their order and their transaction:
// the batch is sent on the transaction's own connection, and a failure in it
// aborts the transaction like any failed statement.
type pipeline struct {
	conn *sql.Conn // tx's connection, for its pgx connection
	tx   *sql.Tx
	ctx  context.Context // for results read later (sql.Result takes none)

	queued []queuedStmt
	tags   []pgconn.CommandTag // of every statement sent, in order
	err    error               // the first failure: the transaction is lost
}

type queuedStmt struct {
	query string
	args  []any
}

func newPipeline(ctx context.Context, conn *sql.Conn, tx *sql.Tx) *pipeline {
	return &pipeline{conn: conn, tx: tx, ctx: ctx}
}

// ExecContext queues the statement; its result is known once it is sent.
func (p *pipeline) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	if p.err != nil {
		return nil, p.err
	}
	p.queued = append(p.queued, queuedStmt{query: query, args: args})
	return pipelineResult{p: p, i: len(p.tags) + len(p.queued) - 1}, nil
}

// QueryRowContext sends what is queued, then reads: a read sees every write
// before it.
func (p *pipeline) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// A failed send has aborted the transaction, so the read fails too.
	_ = p.flush(ctx)
	return p.tx.QueryRowContext(ctx, query, args...)
}

// flush sends the queued statements and records their outcomes.
func (p *pipeline) flush(ctx context.Context) error {
	if p.err != nil || len(p.queued) == 0 {
		return p.err
	}
	b := &pgx.Batch{}
	for _, q := range p.queued {
		b.Queue(q.query, q.args...)
	}
	n := len(p.queued)
	p.queued = nil
	p.err = withPgx(p.conn, func(c *pgx.Conn) error {
		br := c.SendBatch(ctx, b)
		for range n {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			p.tags = append(p.tags, tag)
		}
		return br.Close()
	})
	return p.err
}

// withPgx runs fn with conn's pgx connection. database/sql lets Raw use
// the connection while its transaction is open (both hold the connection's
// close lock for reading), and PostgreSQL runs what is sent on it inside
// that transaction.
func withPgx(conn *sql.Conn, fn func(c *pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: pgx's connection needed, not %T", dc)
		}
		return fn(c.Conn())
	})
}

// pipelineResult is one queued statement's result: reading it sends the
// statements queued until then.
type pipelineResult struct {
	p *pipeline
	i int
}

func (r pipelineResult) LastInsertId() (int64, error) {
	return 0, errors.New("store: PostgreSQL reports no last insert ID")
}

func (r pipelineResult) RowsAffected() (int64, error) {
	if err := r.p.flush(r.p.ctx); err != nil {
		return 0, err
	}
	return r.p.tags[r.i].RowsAffected(), nil
}

// inPipelinedTx runs fn in a transaction of db with a pipeline for its
// writes, sends what fn left queued, and commits.
func inPipelinedTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx, p *pipeline) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	p := newPipeline(ctx, conn, tx)
	if err := fn(tx, p); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := p.flush(ctx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
