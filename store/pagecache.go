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
// readers' and the inbox's pages and held ever more: 3.0 MB (its own bound
// is 2 MB) two minutes into a soak at 100 deliveries a second, 5.8 MB
// after nine, and still rising, which was most of the process's RSS growth
// after warm-up (BENCHMARKS.md, tenth session). PRAGMA shrink_memory frees
// every page no statement is using, in all the caches at once; each cache
// then refills to its working set in seconds. It takes a millisecond or a
// few of the writer, once a minute.
const trimEvery = time.Minute

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
