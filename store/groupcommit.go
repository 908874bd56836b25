package store

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"
)

// groupCommit records PostgreSQL deliveries that arrive together in one
// statement: one round trip and one commit for many acknowledgements
// instead of several each. The statement records each new delivery in
// deliveries_unqueued too, from which the enqueuer gives it its job
// moments later (enqueuer.go), as SQLite's inbox does; the job's insert
// is not on the acknowledgement's path. A caller that finds fewer than
// maxInFlight batches being written leads: it writes what is pending,
// answers every caller of that batch, and hands the rest to a new leader,
// so no caller waits for batches after its own. SQLite's inbox does the
// same with a goroutine of its own (inbox.go).
type groupCommit struct {
	s *Store
	// db is the intake's own small pool (intakeConns connections): the
	// jobs' queries, however many, never hold the connection an
	// acknowledgement waits for.
	db *sql.DB

	// recorded is told after a batch recorded a new delivery.
	recorded func()

	mu       sync.Mutex
	pending  []*groupReq
	inFlight int // batches being written

	// batches counts transactions written, for tests.
	batches int
}

type groupReq struct {
	d    Delivery
	done chan groupRes // buffered: the leader never blocks on it
}

type groupRes struct {
	inserted bool
	err      error
}

// The intake's connections commit asynchronously (intakeSettings in
// store.go): a commit returns before PostgreSQL flushes its WAL to disk;
// the WAL writer flushes it within 3 × wal_writer_delay (600 ms by
// default). Why: a flush per commit (2-10 ms on this class of disk) was
// most of an acknowledgement's time, and waiting commits queued behind it.
// It keeps the intake's durability where SQLite's inbox has it (doc.go,
// "The SQLite inbox"): an acknowledged delivery survives this process
// crashing or being killed, since PostgreSQL has it; like SQLite with
// synchronous NORMAL, the last moments' commits may be lost if the machine
// loses power or its kernel crashes, and, unlike it, also if PostgreSQL
// itself crashes. A head commit lost that way is evaluated by the
// reconciliation sweep. Only the intake's writes are affected, and the
// enqueuer's moves, which use the same pool: the facts and jobs a move
// writes are lost with it, and the deliveries it took come back to
// deliveries_unqueued and are moved again. Everything the jobs write
// commits synchronously.

// groupTimeout bounds one batch's transaction; a leader's own context does
// not, so that its caller going away fails nobody else's delivery.
const groupTimeout = 10 * time.Second

// maxInFlight batches are written at once. With one, a delivery arriving
// while a batch is written waited for that round trip before its own
// began; a second lets it begin at once, and under load the pending
// deliveries still share batches. The pool keeps a connection besides for
// the enqueuer (intakeConns).
const maxInFlight = 2

func (g *groupCommit) enqueue(ctx context.Context, d Delivery) (bool, error) {
	req := &groupReq{d: d, done: make(chan groupRes, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, req)
	lead := g.inFlight < maxInFlight
	if lead {
		g.inFlight++
	}
	g.mu.Unlock()
	if lead {
		g.flush()
	}
	select {
	case r := <-req.done:
		return r.inserted, r.err
	case <-ctx.Done():
		// The delivery may still be recorded; a redelivery is then a duplicate.
		return false, ctx.Err()
	}
}

// flush writes one batch of what is pending, answers its callers, and
// leaves the rest to another goroutine. Another leader may have taken
// everything, this caller's delivery too: then there is nothing to write.
func (g *groupCommit) flush() {
	g.mu.Lock()
	n := min(len(g.pending), maxAckBatch)
	batch := g.pending[:n:n]
	g.pending = g.pending[n:]
	if n > 0 {
		g.batches++
	}
	g.mu.Unlock()

	if n > 0 {
		g.write(batch)
	}

	g.mu.Lock()
	more := len(g.pending) > 0
	if !more {
		g.inFlight--
	}
	g.mu.Unlock()
	if more {
		go g.flush()
	}
}

// write records batch in one statement. Should it fail, each delivery is
// tried alone, so one bad delivery fails only its own acknowledgement.
func (g *groupCommit) write(batch []*groupReq) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	ds := make([]Delivery, len(batch))
	for i, r := range batch {
		ds[i] = r.d
	}
	inserted, err := recordUnqueued(ctx, g.db, ds)
	if err == nil {
		if slices.Contains(inserted, true) && g.recorded != nil {
			g.recorded()
		}
		for i, r := range batch {
			r.done <- groupRes{inserted: inserted[i]}
		}
		return
	}
	if len(batch) == 1 {
		batch[0].done <- groupRes{err: err}
		return
	}
	for _, r := range batch {
		g.write([]*groupReq{r})
	}
}
