package notify

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/reviewpolicy/reviewpolicy/internal/pgtest"
	"github.com/reviewpolicy/reviewpolicy/internal/slackfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// dbURL makes a fresh database of the engine for one test.
func dbURL(t testing.TB, engine string) string {
	if engine == store.DialectSQLite {
		return "sqlite://" + filepath.Join(t.TempDir(), "notify.db")
	}
	return pgtest.URL(t)
}

func openStore(t testing.TB, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url, store.Options{MaxWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// clock is a settable time for senders.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newSender(st *store.Store, f *slackfake.Fake, c *clock) *Sender {
	return &Sender{Store: st, Slack: slack.New(slackfake.Token, slack.OptionAPIURL(f.URL)), Now: c.Now}
}

var engines = []string{store.DialectSQLite, store.DialectPostgres}
