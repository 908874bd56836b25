package handlers

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// newTestApp is an App talking to fake through the same client stack as
// serve (go-githubapp with its cache), on a fresh SQLite store whose
// workers are not started: tests call workers' Work methods themselves.
func newTestApp(t *testing.T, fake *githubfake.Fake, now func() time.Time) *App {
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
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "store.db"), store.Options{MaxWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	app.Store = st
	return app
}
