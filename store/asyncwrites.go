package store

import "context"

// Some of an evaluation's writes need not wait for PostgreSQL to flush its
// WAL to disk before their commit returns: taking the pull request's lease
// (with the first reads), giving back the check run's lease with the run's
// record, the page's summary, the evaluation's end, and its records of the
// pull request, its reviews and its sticky comment as GitHub holds them.
// In the drain that bounds pull-request capacity, those flushes were most
// of the commits' cost: with every commit asynchronous the drain took
// 3.5-4.3 s against 5.0-5.5 (docs/capacity.md, fourteenth session).
//
// They commit asynchronously by going through a pool of their own, the
// store's async, whose connections start with synchronous_commit off
// (asyncSettings); its connections come out of the process's budget under
// max_connections (openDB). Until the eighteenth session each pipeline began
// with SET LOCAL instead, a statement that cost PostgreSQL 25-40 µs of CPU
// (pgbench; docs/capacity.md), three for each evaluation.
//
// What that risks is bounded by the WAL's order: PostgreSQL writes one log,
// and a synchronous commit flushes everything logged before it, so a crash
// of PostgreSQL or of its machine loses at most the asynchronous commits
// since the last synchronous one, never one from before it. Every write
// that something outside the database acts on commits synchronously: the
// check run's and comment's claims before GitHub creates them, the reviewer
// requests and rotations before GitHub is asked, the outbox before a
// message is sent, and River's job completions. So what a crash can take
// away is a suffix whose loss looks like the work stopping earlier:
//
//   - a lease taken: the evaluation's job is run again (River rescues it)
//     and takes it again;
//   - a check run's record: the record stays the lease's claim, held until
//     the lease expires (a minute), and the next writer then looks for the
//     run on GitHub instead of creating one;
//   - a page's summary: the next evaluation writes it;
//   - an evaluation's end: its lease expires, and the job, or the next
//     request's, evaluates again;
//   - a record of the pull request or its reviews as read: the next
//     evaluation reads them again;
//   - the sticky comment's record: its claim, made synchronously before
//     the comment was created, stands (or the record before it), and the
//     next writer looks for the comment on GitHub.
//
// SQLite fsyncs its WAL only at checkpoints (synchronous NORMAL, doc.go),
// so its commits return without a flush anyway; there asyncWrites is the
// one write group.

// writeExecAsync is writeExec for a write that may commit asynchronously
// (see above).
func (s *Store) writeExecAsync(ctx context.Context, query string, args ...any) (int64, error) {
	r := s.asyncWrites.write(groupedWrite{ctx: ctx, query: query, args: args})
	return r.affected, r.err
}
