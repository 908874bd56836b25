package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// newTestApp is an App talking to fake through the same client stack as
// serve (go-githubapp with its cache), on a fresh SQLite store whose
// workers are not started: tests call workers' Work methods themselves.
func newTestApp(t *testing.T, fake *githubfake.Fake, now func() time.Time) *App {
	t.Helper()
	return newTestAppOn(t, fake, now, "sqlite://"+filepath.Join(t.TempDir(), "store.db"))
}

// newTestAppOn is newTestApp on the store at url.
func newTestAppOn(t *testing.T, fake *githubfake.Fake, now func() time.Time, url string) *App {
	t.Helper()
	var cfg githubapp.Config
	cfg.V3APIURL = fake.URL
	cfg.App.IntegrationID = fake.AppID()
	cfg.App.PrivateKey = string(fake.PrivateKeyPEM())
	clients, err := githubapp.NewDefaultCachingClientCreator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	zero := func() float64 { return 0 }
	app := New(clients, fake.AppID(), NewMetrics(prometheus.NewRegistry(), zero, zero),
		slog.New(slog.NewTextHandler(io.Discard, nil)), now)
	st, err := store.Open(context.Background(), url, store.Options{MaxWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	app.Store = st
	return app
}

// runEvaluations runs, in this goroutine, every evaluate job waiting in
// the store (the test App's workers are not started), as River would.
func runEvaluations(ctx context.Context, app *App) error {
	rows, err := app.Store.DB.QueryContext(ctx, `SELECT id, json(args) FROM river_job WHERE kind = 'evaluate' AND state = 'available' ORDER BY id`)
	if err != nil {
		return err
	}
	type pending struct {
		id   int64
		args []byte
	}
	var jobs []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.id, &p.args); err != nil {
			rows.Close()
			return err
		}
		jobs = append(jobs, p)
	}
	rows.Close()
	w := &evaluateWorker{app: app}
	for _, p := range jobs {
		// Claimed as River does, so two callers never run one job.
		res, err := app.Store.DB.ExecContext(ctx, `UPDATE river_job SET state = 'running' WHERE id = $1 AND state = 'available'`, p.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		var args evaluateArgs
		if err := json.Unmarshal(p.args, &args); err != nil {
			return err
		}
		job := &river.Job[evaluateArgs]{JobRow: &rivertype.JobRow{ID: p.id, Attempt: 1, Kind: args.Kind()}, Args: args}
		if err := w.Work(ctx, job); err != nil {
			return err
		}
		if _, err := app.Store.DB.ExecContext(ctx, `UPDATE river_job SET state = 'completed', finalized_at = $2 WHERE id = $1`, p.id, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
	}
	return nil
}
