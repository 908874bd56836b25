package store

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/pgtest"
)

// engine makes a fresh database for one test and returns its URL.
type engine struct {
	name string
	// newURL's database may already be migrated; emptyURL's is empty.
	newURL, emptyURL func(t testing.TB) string
}

var engines = []engine{
	{DialectSQLite, newSQLiteURL, emptySQLiteURL},
	{DialectPostgres, newPostgresURL, newPostgresURL},
}

func emptySQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "store.db")
}

var sqliteTemplate struct {
	once sync.Once
	data []byte
	err  error
}

// newSQLiteURL copies a database migrated once per test run: migrating
// costs far more than a test's own queries under the race detector.
func newSQLiteURL(t testing.TB) string {
	sqliteTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "store-template-")
		if err != nil {
			sqliteTemplate.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "template.db")
		s, err := Open(context.Background(), "sqlite://"+path, Options{})
		if err != nil {
			sqliteTemplate.err = err
			return
		}
		// Closing the last connection checkpoints the WAL into the file.
		if err := s.Close(); err != nil {
			sqliteTemplate.err = err
			return
		}
		sqliteTemplate.data, sqliteTemplate.err = os.ReadFile(path)
	})
	if sqliteTemplate.err != nil {
		t.Fatalf("migrated sqlite template: %v", sqliteTemplate.err)
	}
	path := filepath.Join(t.TempDir(), "store.db")
	if err := os.WriteFile(path, sqliteTemplate.data, 0o600); err != nil {
		t.Fatal(err)
	}
	return "sqlite://" + path
}

// newPostgresURL is a fresh schema of the suite's PostgreSQL (pgtest.URL).
func newPostgresURL(t testing.TB) string { return pgtest.URL(t) }

// forEachEngineURL runs fn, in parallel, once per engine with a fresh
// database URL.
func forEachEngineURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fn(t, e.newURL(t))
		})
	}
}

// forEachEmptyEngineURL is forEachEngineURL with databases never migrated.
func forEachEmptyEngineURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fn(t, e.emptyURL(t))
		})
	}
}

// forEachEngine runs fn, in parallel, once per engine with a fresh
// insert-only Store.
func forEachEngine(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	forEachEngineURL(t, func(t *testing.T, url string) {
		fn(t, openStore(t, url, Options{}))
	})
}

// openStore opens a Store that closes when the test ends. Unless the test
// asks for more, it runs two workers: a PostgreSQL store opens workers + 10
// connections at once, and this package's tests share the server's 100 with
// the replica test's three processes when `go test ./...` runs packages
// side by side.
func openStore(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	opts.MaxWorkers = cmp.Or(opts.MaxWorkers, 2)
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", redact(url), err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// moveIntake gives every acknowledged delivery its job now, as SQLite's
// inbox and PostgreSQL's enqueuer do moments after the acknowledgement.
func moveIntake(ctx context.Context, s *Store) error {
	switch {
	case s.inbox != nil:
		return s.inbox.moveAll(ctx)
	case s.enqueuer != nil:
		return s.enqueuer.moveAll(ctx)
	}
	return nil
}
