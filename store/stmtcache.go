package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"

	"modernc.org/sqlite"
)

// sqliteDriverName is modernc's SQLite driver with a prepared-statement
// cache on every connection. Why: database/sql gives the driver every
// Exec and Query as text, and SQLite parses and plans it anew each time. A
// CPU profile under load showed that parsing at 29 % of the server's CPU,
// nearly all of it River's own statements (fetching, inserting and
// completing jobs), which differ only in their arguments. A statement that
// is prepared once per connection and reset between uses costs none of it.
const sqliteDriverName = "sqlite-stmtcache"

// stmtCacheSize bounds the statements kept per connection; River and the
// store use a few dozen distinct ones.
const stmtCacheSize = 128

func init() {
	sql.Register(sqliteDriverName, stmtCacheDriver{&sqlite.Driver{}})
}

type stmtCacheDriver struct{ d driver.Driver }

func (d stmtCacheDriver) Open(name string) (driver.Conn, error) {
	c, err := d.d.Open(name)
	if err != nil {
		return nil, err
	}
	inner, ok := c.(sqliteConn)
	if !ok {
		c.Close()
		return nil, errors.New("store: the SQLite driver's connection lacks a context method this cache needs")
	}
	return &stmtCacheConn{sqliteConn: inner, stmts: map[string]*list.Element{}, order: list.New()}, nil
}

// sqliteConn is what modernc's connection offers and database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtCacheConn is used by one goroutine at a time, as database/sql uses
// every driver.Conn, so it needs no lock.
type stmtCacheConn struct {
	sqliteConn
	stmts map[string]*list.Element // query -> element of order holding a *cachedStmt
	order *list.List               // front: most recently used
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	// busy while rows from it are open: a second query on the same text
	// meanwhile (possible inside a transaction) gets a statement of its own.
	busy    bool
	evicted bool // dropped from the cache while busy: close when its rows close
}

type stmtExecQuerier interface {
	driver.StmtExecContext
	driver.StmtQueryContext
}

// take returns the cached statement for query, preparing it if needed, or
// nil when it is busy (the caller then uses the connection directly).
func (c *stmtCacheConn) take(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.order.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		cs.busy = true
		return cs, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if _, ok := st.(stmtExecQuerier); !ok {
		st.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: st, busy: true}
	c.stmts[query] = c.order.PushFront(cs)
	for c.order.Len() > stmtCacheSize {
		old := c.order.Back().Value.(*cachedStmt)
		c.order.Remove(c.order.Back())
		delete(c.stmts, old.query)
		if old.busy {
			old.evicted = true
		} else {
			old.stmt.Close()
		}
	}
	return cs, nil
}

// release makes cs available again, or closes it if it was evicted.
func (c *stmtCacheConn) release(cs *cachedStmt) error {
	cs.busy = false
	if cs.evicted {
		return cs.stmt.Close()
	}
	return nil
}

func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	res, err := cs.stmt.(stmtExecQuerier).ExecContext(ctx, args)
	return res, errors.Join(err, c.release(cs))
}

func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(stmtExecQuerier).QueryContext(ctx, args)
	if err != nil {
		return nil, errors.Join(err, c.release(cs))
	}
	return &cachedRows{Rows: rows, release: func() error { return c.release(cs) }}, nil
}

func (c *stmtCacheConn) Close() error {
	var errs []error
	for e := c.order.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).stmt.Close())
	}
	c.stmts, c.order = nil, list.New()
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// cachedRows frees its statement for reuse when closed. It passes on the
// column type methods of modernc's rows, which database/sql looks for.
type cachedRows struct {
	driver.Rows
	release func() error
	closed  bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return errors.Join(r.Rows.Close(), r.release())
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
