package store

import (
	"context"
	"time"
)

// trimEvery is how often a SQLite store frees the pages its connections'
// caches hold beyond what they are using.
//
// Why: the SQLite library this store uses shares one pool of cached pages
// among all its connections, and a connection at its cache_size takes the
// least recently used page of another rather than freeing one of its own.
// So the busiest connection, the main file's writer, kept taking the
// readers' and the inbox's pages and grew past its own bound without end,
// which was most of the process's RSS growth in a soak (BENCHMARKS.md,
// tenth session). PRAGMA shrink_memory frees every page no statement is
// using, in all the caches at once; each cache then refills to its working
// set. A variable only so that a test can shorten it.
var trimEvery = time.Minute

// trimPageCaches runs PRAGMA shrink_memory on the main file's writer every
// trimEvery until the inbox closes.
func (ib *inbox) trimPageCaches() {
	defer ib.wg.Done()
	ticker := time.NewTicker(trimEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-ib.quit:
			return
		}
		if err := ib.s.trimPageCaches(context.Background()); err != nil {
			ib.log.Warn("store: trimming SQLite's page caches failed; it is tried again in a minute", "err", err)
		}
	}
}

// trimPageCaches frees the pages of the SQLite connections' caches that no
// statement is using (trimEvery says why).
func (s *Store) trimPageCaches(ctx context.Context) error {
	_, err := s.DB.ExecContext(ctx, `PRAGMA shrink_memory`)
	return err
}
