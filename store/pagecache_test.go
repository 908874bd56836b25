package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// cacheBytes is what SQLite says the page caches of the one connection of
// db hold.
func cacheBytes(t *testing.T, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(context.Background())
	mustDo(t, err)
	defer conn.Close()
	var used int32
	err = conn.Raw(func(dc any) error {
		// The driver's connection keeps its SQLite handle unexported.
		inner := reflect.ValueOf(dc.(*stmtCacheConn).sqliteConn).Elem().FieldByName("db")
		handle := *(*uintptr)(unsafe.Pointer(inner.UnsafeAddr()))
		tls := libc.NewTLS()
		defer tls.Close()
		out := tls.Alloc(8) // the current value, then the highest
		defer tls.Free(8)
		if rc := sqlite3.Xsqlite3_db_status(tls, handle, sqlite3.SQLITE_DBSTATUS_CACHE_USED, out, out+4, 0); rc != sqlite3.SQLITE_OK {
			return fmt.Errorf("sqlite3_db_status: %d", rc)
		}
		used = int32(binary.NativeEndian.Uint32(libc.GoBytes(out, 4)))
		return nil
	})
	mustDo(t, err)
	return int(used)
}

// Trimming frees what the writer's cache holds: without it the cache keeps
// the pages it took (pagecache.go). Not parallel: the page cache is shared
// by every connection of the process, and other tests' connections would
// take its pages.
func TestTrimPageCachesFreesTheWritersPages(t *testing.T) {
	s := openStore(t, newSQLiteURL(t), Options{})
	before := fillWritersCache(t, s)
	mustDo(t, s.trimPageCaches(context.Background()))
	if after := cacheBytes(t, s.DB); after > before/10 {
		t.Errorf("the writer's cache holds %d bytes after trimming, %d before", after, before)
	}
}

// The inbox trims the caches every trimEvery by itself. Not parallel, for
// the reason above and because it shortens trimEvery. The loop may trim
// while the table is being read, so the test measures against what it read,
// not against what the cache held once: untrimmed, the cache keeps more than
// a megabyte of it (the test above).
func TestInboxTrimsPageCachesOnItsOwn(t *testing.T) {
	saved := trimEvery
	trimEvery = 50 * time.Millisecond
	t.Cleanup(func() { trimEvery = saved })
	s := openStore(t, newSQLiteURL(t), Options{})
	read := readThroughWriter(t, s)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after := cacheBytes(t, s.DB)
		if after <= read/10 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the writer's cache still holds %d bytes 5 s after reading %d", after, read)
		}
	}
}

// fillWritersCache reads a few megabytes through s's writer and returns
// what its cache holds then.
func fillWritersCache(t *testing.T, s *Store) int {
	t.Helper()
	n := readThroughWriter(t, s)
	before := cacheBytes(t, s.DB)
	if before < 1<<20 {
		t.Fatalf("the writer's cache holds %d bytes after reading %d bytes; the test needs it full", before, n)
	}
	return before
}

// readThroughWriter writes a table of a few megabytes and reads it all
// through s's writer, so that its cache holds the table; it returns how
// many bytes it read.
func readThroughWriter(t *testing.T, s *Store) int {
	t.Helper()
	ctx := context.Background()
	_, err := s.DB.ExecContext(ctx, `CREATE TABLE filler (id INTEGER PRIMARY KEY, v BLOB)`)
	mustDo(t, err)
	for range 400 {
		_, err := s.DB.ExecContext(ctx, `INSERT INTO filler (v) VALUES (randomblob(4000))`)
		mustDo(t, err)
	}
	var n int
	mustDo(t, s.DB.QueryRowContext(ctx, `SELECT sum(length(v)) FROM filler`).Scan(&n))
	return n
}

// The inbox's checkpointer and mover each keep a connection of its
// background pool: one that was closed and opened again at each use cost a
// schema parse each time, and left its cache's pages to the writer.
func TestInboxBackgroundConnectionsStayOpen(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	bg, ctx := s.inbox.bg, context.Background()
	for range 3 {
		first, err := bg.Conn(ctx)
		mustDo(t, err)
		second, err := bg.Conn(ctx)
		mustDo(t, err)
		mustDo(t, errors.Join(first.Close(), second.Close()))
	}
	if st := bg.Stats(); st.MaxIdleClosed > 0 {
		t.Errorf("the inbox's background pool closed %d idle connections (open: %d)", st.MaxIdleClosed, st.OpenConnections)
	}
}
