package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFS holds the store's own schema, one folder per dialect. Files are
// named NNNN_description.sql and applied in order of NNNN.
//
//go:embed migrations/*/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the dialect's migrations in version order.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var out []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", e.Name())
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: version, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// migrateOwn applies the store's migrations that schema_migrations does not
// record yet, each in its own transaction together with its record, so a
// failed migration leaves no trace and is retried at the next Open.
func (s *Store) migrateOwn(ctx context.Context) error {
	const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at BIGINT NOT NULL
)`
	if _, err := s.DB.ExecContext(ctx, createTable); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	list, err := migrations(s.Dialect)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, m := range list {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			// Checked inside the transaction: on SQLite it holds the write
			// lock (BEGIN IMMEDIATE), on PostgreSQL migrate holds an advisory
			// lock, so no other opener applies the same migration meanwhile.
			var applied bool
			const q = `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`
			if err := tx.QueryRowContext(ctx, q, m.version).Scan(&applied); err != nil {
				return fmt.Errorf("check: %w", err)
			}
			if applied {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			const record = `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`
			if _, err := tx.ExecContext(ctx, record, m.version, micros(time.Now())); err != nil {
				return fmt.Errorf("record: %w", err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: migration %s/%s: %w", s.Dialect, m.name, err)
		}
	}
	return nil
}
