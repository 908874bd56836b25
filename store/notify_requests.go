package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// NoteRequests records who is asked to review the pull request now (its
// requested reviewers, as the evaluation sees them), and returns each
// one's request generation: 0 for a person's first request, one more for
// each time they are asked again after their request ended (they
// reviewed, or were removed). A person still asked keeps their
// generation, so redeliveries and concurrent evaluations see the same one;
// everyone not in asked has their request ended. Logins compare without
// case.
func (s *Store) NoteRequests(ctx context.Context, repoID int64, number int, asked []string) (map[string]int, error) {
	logins := make([]string, 0, len(asked))
	for _, l := range asked {
		logins = append(logins, strings.ToLower(l))
	}
	// One order for every transaction: concurrent evaluations lock the
	// rows alike and cannot deadlock.
	slices.Sort(logins)
	logins = slices.Compact(logins)
	gens := make(map[string]int, len(logins))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := endRequests(ctx, tx, repoID, number, logins); err != nil {
			return err
		}
		const q = `INSERT INTO notify_requests (repo_id, number, login, gen, asked) VALUES ($1, $2, $3, 0, 1)
ON CONFLICT (repo_id, number, login) DO UPDATE SET
    gen = CASE WHEN notify_requests.asked = 1 THEN notify_requests.gen ELSE notify_requests.gen + 1 END, asked = 1
RETURNING gen`
		for _, l := range logins {
			var g int
			if err := tx.QueryRowContext(ctx, q, repoID, number, l).Scan(&g); err != nil {
				return err
			}
			gens[l] = g
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: note review requests %d#%d: %w", repoID, number, err)
	}
	return gens, nil
}

// endRequests ends the requests of everyone asked before and not now.
func endRequests(ctx context.Context, tx *sql.Tx, repoID int64, number int, logins []string) error {
	q := `UPDATE notify_requests SET asked = 0 WHERE repo_id = $1 AND number = $2 AND asked = 1`
	args := []any{repoID, number}
	if len(logins) > 0 {
		ph := make([]string, len(logins))
		for i, l := range logins {
			args = append(args, l)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND login NOT IN (` + strings.Join(ph, ", ") + `)`
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}
