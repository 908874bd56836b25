package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func openStmtCacheDB(t *testing.T) (*sql.DB, *sql.Conn) {
	t.Helper()
	db, err := sql.Open(sqliteDriverName, filepath.Join(t.TempDir(), "c.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return db, conn
}

// cached runs f on the connection's stmtCacheConn.
func cached(t *testing.T, conn *sql.Conn, f func(c *stmtCacheConn)) {
	t.Helper()
	if err := conn.Raw(func(dc any) error { f(dc.(*stmtCacheConn)); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestStmtCacheReusesAndStaysCorrect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, conn := openStmtCacheDB(t)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := conn.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	cached(t, conn, func(c *stmtCacheConn) {
		if c.order.Len() != 2 {
			t.Errorf("%d statements cached after 51 calls of 2 texts, want 2", c.order.Len())
		}
	})

	// The same text again while its rows are open (legal inside one
	// connection) gets a statement of its own; both read correctly.
	const q = `SELECT v FROM t WHERE k >= $1 ORDER BY k`
	outer, err := conn.QueryContext(ctx, q, 48)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v string
		if err := outer.Scan(&v); err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := conn.QueryRowContext(ctx, q, 10).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		got = append(got, v+"/"+inner)
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[v48/v10 v49/v10]" {
		t.Errorf("nested reads = %v", got)
	}
	// Column types pass through the cached rows.
	rows, err := conn.QueryContext(ctx, `SELECT k, v FROM t WHERE k = $1`, 3)
	if err != nil {
		t.Fatal(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil || len(types) != 2 || types[0].DatabaseTypeName() != "INTEGER" {
		t.Errorf("column types = %v, %v", types, err)
	}
	rows.Close()

	// An error leaves the statement usable.
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, 1, "dup"); err == nil {
		t.Error("duplicate key accepted")
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, 100, "new"); err != nil {
		t.Errorf("after an error: %v", err)
	}
}

func TestStmtCacheIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, conn := openStmtCacheDB(t)
	// Evicting a statement whose rows are still open must not break them.
	open, err := conn.QueryContext(ctx, `SELECT 1 UNION ALL SELECT 2`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range stmtCacheSize + 10 {
		var n int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d = %d, %v", i, n, err)
		}
	}
	cached(t, conn, func(c *stmtCacheConn) {
		if c.order.Len() != stmtCacheSize || len(c.stmts) != stmtCacheSize {
			t.Errorf("cache holds %d/%d statements, bound %d", c.order.Len(), len(c.stmts), stmtCacheSize)
		}
	})
	var sum int
	for open.Next() {
		var n int
		if err := open.Scan(&n); err != nil {
			t.Fatal(err)
		}
		sum += n
	}
	if err := open.Close(); err != nil || sum != 3 {
		t.Errorf("rows of an evicted statement: sum %d, close %v", sum, err)
	}
}
