package store

import (
	"context"
	"database/sql"
	"fmt"
)

// sqliteReaders is how many read-only connections a SQLite store keeps
// besides its one writer.
//
// Why: with one connection for everything (River's advice for its writes),
// every read waited behind whatever held it: River's completer, which keeps
// the write lock for a whole batch of finished jobs, the inbox's mover, and
// the jobs' own transactions: while a backlog drained, six to seven
// goroutines waited for that connection at any moment (docs/capacity.md).
// Reads, at least, need not: in WAL mode readers do not block the writer nor
// it them, and a read sees every transaction committed before it began, so
// a read after a write still sees the write.
const sqliteReaders = 4

// openSQLiteReads opens the read-only pool of the SQLite database at path,
// whose writer has already made it WAL. query_only makes a write sent here
// by mistake fail instead of taking the write lock behind River's back.
// Each reader's page cache is kept at 512 KiB, a quarter of SQLite's
// default: a reader empties it whenever another connection has committed
// since its last read, which under load is every read, so a larger one
// would hold memory and save little.
func openSQLiteReads(ctx context.Context, path string, n int) (*sql.DB, error) {
	dsn := path + "?_pragma=query_only(1)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=cache_size(-512)"
	db, err := sql.Open(sqliteDriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite readers %s: %w", path, err)
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect sqlite readers %s: %w", path, err)
	}
	return db, nil
}

// Pools names the store's connection pools, for their statistics (the
// metrics' go_sql_* series): "main" (River and every write), "reads" (on
// SQLite), and on PostgreSQL "intake" (group commit and the enqueuer) and
// "async" (the writes that commit without waiting for the WAL's flush).
func (s *Store) Pools() map[string]*sql.DB {
	pools := map[string]*sql.DB{"main": s.DB}
	if s.reads != s.DB {
		pools["reads"] = s.reads
	}
	if s.intake != nil {
		pools["intake"] = s.intake
	}
	if s.async != s.DB {
		pools["async"] = s.async
	}
	return pools
}
