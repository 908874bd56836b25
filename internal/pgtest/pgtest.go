// Package pgtest gives a test a fresh schema in the test suite's
// PostgreSQL server. A schema is much cheaper to create than a database
// and holds River's tables as well as the store's. An unreachable server
// fails the test: the PostgreSQL engine is a requirement of the suite, not
// an optional extra.
package pgtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// DefaultURL is the server the suite uses unless REVIEWPOLICY_TEST_POSTGRES
// names another.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL is the suite's server.
func BaseURL() string { return cmp.Or(os.Getenv("REVIEWPOLICY_TEST_POSTGRES"), DefaultURL) }

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// URL creates a schema rp_<random> for t, drops it when t ends, and returns
// a URL whose search_path points at it.
func URL(t testing.TB) string {
	t.Helper()
	base := BaseURL()
	admin.once.Do(func() {
		if admin.db, admin.err = sql.Open("pgx", base); admin.err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			admin.err = admin.db.PingContext(ctx)
		}
	})
	if admin.err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable (set REVIEWPOLICY_TEST_POSTGRES to another server): %v", redact(base), admin.err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "rp_" + hex.EncodeToString(b[:])
	if _, err := admin.db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// redact hides a password in u.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparseable URL)"
	}
	return p.Redacted()
}
