package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The PostgreSQL server the suite uses; every test gets a fresh schema in it.
const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testPostgresURL() string {
	if u := os.Getenv("REVIEWPOLICY_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultTestPostgres
}

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

var (
	pgAdminOnce sync.Once
	pgAdmin     *sql.DB
	pgAdminErr  error
)

// newPostgresURL creates a schema rp_<random> in the test database, drops it
// when the test ends, and returns a URL whose search_path points at it. A
// schema is much cheaper to create than a database and isolates River's
// tables as well as ours. An unreachable server fails the test: the
// PostgreSQL engine is a requirement, not an optional extra.
func newPostgresURL(t testing.TB) string {
	base := testPostgresURL()
	pgAdminOnce.Do(func() {
		pgAdmin, pgAdminErr = sql.Open("pgx", base)
		if pgAdminErr == nil {
			pgAdminErr = pgAdmin.PingContext(context.Background())
		}
	})
	if pgAdminErr != nil {
		t.Fatalf("PostgreSQL at %s is unreachable (set REVIEWPOLICY_TEST_POSTGRES to another server): %v",
			redact(base), pgAdminErr)
	}

	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "rp_" + hex.EncodeToString(b[:])
	if _, err := pgAdmin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

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
