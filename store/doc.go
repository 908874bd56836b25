// Package store keeps the app's durable state and its job queue behind one
// small API, on one of two engines chosen by the database URL:
//
//   - SQLite ("sqlite://path.db"), the default: a single process on one
//     machine, nothing to operate. Pure Go (modernc.org/sqlite), no cgo.
//   - PostgreSQL ("postgres://..."): several replicas sharing one database.
//
// # Why River
//
// A webhook must be answered within seconds, but handling it takes several
// GitHub API calls that may fail or be rate limited. So the handler only
// records the delivery and enqueues a job; River (github.com/riverqueue/river)
// runs it with retries and backoff, rescues jobs whose process died
// mid-flight, runs periodic jobs on one elected leader, and does all of that
// on both engines. A delivery's job is enqueued in the transaction that
// moves it out of its first record (SQLite's inbox, PostgreSQL's
// deliveries_unqueued; both below): a delivery is processed if and only if
// it was recorded, and a redelivered one is dropped.
//
// # Why database/sql on both engines
//
// River's client is generic in the transaction type. Using *sql.Tx on both
// engines (riversqlite for SQLite, riverdatabasesql over pgx's database/sql
// adapter for PostgreSQL) gives one *river.Client[*sql.Tx] type and one
// implementation of every method here: the queries are shared too, because
// modernc's SQLite accepts PostgreSQL's $1 placeholders, and both engines
// support INSERT ... ON CONFLICT and RETURNING. Only the schema migrations
// differ, in their type names (migrations/sqlite, migrations/postgres).
//
// The cost: River's database/sql driver cannot LISTEN for new jobs, so the
// client polls (every 50 ms; while jobs keep it busy, at most every 20 ms,
// taking many jobs at once: store.go, slots.go). An idle poll is an indexed
// probe of river_job and keeps job start latency low. If polling load ever
// matters, riverdatabasesql.NewWithPgxListener adds a pgx LISTEN connection
// without changing the transaction type.
//
// Times are stored as Unix microseconds in integer columns on both engines,
// so comparisons and scans do not depend on a driver's time format.
//
// # SQLite connection settings
//
// SQLite allows one writer at a time, and River runs many internal
// operations concurrently, so River's SQLite driver documentation advises a
// single connection (SetMaxOpenConns(1)) for writes; every write queues for
// it. Hence a method's transaction must use only its *sql.Tx: touching
// Store.DB inside would wait forever. Reads outside a transaction go to a
// pool of read-only connections of their own (readers.go), so that they do
// not queue behind the writes. The connection uses WAL (readers do not block the
// writer and vice versa), synchronous=NORMAL (durable at checkpoints, safe
// with WAL), busy_timeout (wait, rather than fail, if another process such
// as a backup holds the lock), foreign_keys on, and _txlock=immediate so a
// transaction takes the write lock at BEGIN instead of failing when it
// first writes. ":memory:" is refused: River needs every connection to see
// the same database file. The connections' page caches share one pool, in
// which the writer takes the others' pages and grows past its own bound;
// once a minute the store frees what no statement uses (pagecache.go).
//
// # The SQLite inbox: acknowledging webhooks fast
//
// The target is p99 under 10 ms for EnqueueDelivery at 500 deliveries/s.
// Sharing the one connection, it measured 60-90 ms (cmd/loadgen, and
// BenchmarkEnqueueDeliveryUnderLoad): database/sql hands a busy connection
// to a random waiter, and a dozen goroutines wait for it. A second
// connection for EnqueueDelivery alone did not help, nor did an in-process
// first-come-first-served lock in front of SQLite's write lock: measured,
// River's completer holds that lock for 50 ms and more per batch (its SQLite
// driver updates finished jobs one row at a time, 100 or more in one
// transaction), and any writer to the file waits that out.
//
// So on SQLite EnqueueDelivery writes to a second file, path + ".inbox",
// which only one goroutine writes (inbox.go):
//
//   - Group commit: one goroutine takes every call waiting, writes their
//     deliveries in one transaction and answers each caller after the
//     commit, so an acknowledged delivery survives the process crashing or
//     being killed (WAL, synchronous NORMAL, as the main file). It does not
//     always survive the machine losing power or the kernel crashing: with
//     synchronous NORMAL SQLite fsyncs the WAL only when it checkpoints, so
//     the last commits before a power loss may roll back, in either file.
//     Fsyncing every commit (FULL) would put a disk flush, 2-10 ms here, in
//     front of every acknowledgement; the reconciliation sweep evaluates a
//     pull request whose head lost its webhook that way. PostgreSQL's
//     intake commits asynchronously for the same reason, with the same
//     promise and one more case of loss: PostgreSQL itself crashing
//     (groupcommit.go). Between
//     batches the writer also deletes what the mover has moved, so nothing
//     else ever holds the write connection.
//   - Checkpoints run beside it: a background connection checkpoints the
//     WAL every checkpointEvery (250 ms) while deliveries arrive, and the
//     writer itself only when the WAL reaches writerCheckpointPages, so
//     acknowledgements rarely wait for a checkpoint's fsync (inbox.go says
//     how these were measured).
//   - Exact deduplication: an ID is a duplicate if it is in the inbox
//     (earlier in the same batch too) or in the main deliveries table, read
//     on a connection of its own, which WAL never makes wait. The mover
//     commits to the main file before it deletes from the inbox, so no
//     delivery is ever in neither.
//   - A mover goroutine moves the inbox into the main file, deliveries and
//     their River jobs in one transaction, after a batch was written (at
//     most every 25 ms, so moves are few and large), at least every second,
//     and on Close; a delivery recorded before is
//     skipped, so a move repeated after a crash enqueues nothing twice.
//     Deliveries a stopped process left behind move on the next Open.
//   - Most deliveries need no job: once the workers run, the handler
//     (Options.Deliveries, inmove.go) writes a pull request's delivery's
//     facts and requests its evaluation in that same transaction, so one
//     transaction serves a batch where a job per delivery made one each,
//     with River's insert, fetch and completion (docs/capacity.md).
//   - Reads see the inbox too: Delivery falls back to it, QueueDepth counts
//     it, PruneDeliveries moves it first.
//
// The price is a few milliseconds more before a job starts, and a second
// file to keep with the database in backups.
//
// # The PostgreSQL intake
//
// PostgreSQL's writers do not exclude each other, so no second database is
// needed, but each statement is a round trip to a server the jobs keep
// busy. The deliveries of concurrent calls are recorded in one statement
// (groupcommit.go), which also records each new one in
// deliveries_unqueued; an enqueuer goroutine deletes those rows and, in the
// same transaction, handles those deliveries it can (inmove.go) and inserts
// the jobs of the others, moments later (enqueuer.go), so every recorded
// delivery is handled once or gets exactly one job, whichever replica
// moves it, and one left by a process that died is moved by the next tick
// of any. The acknowledgement is one round trip, where the transaction
// that also enqueued (begin, insert, the fair queue's count, River's
// insert, commit) was five. Both run on a pool of three connections of their own whose
// commits are asynchronous (synchronous_commit off from the connection's
// start), so the jobs' queries never hold the connection an
// acknowledgement waits for.
//
// # Payloads
//
// A delivery's payload is stored compressed (payload.go): with zstd on
// SQLite, about 8.5 times smaller for GitHub's JSON, which cut the bytes
// SQLite writes and fsyncs per delivery by as much; with S2 on PostgreSQL,
// about 7 times smaller in under half the CPU, kept in the row rather than
// in TOAST (migration 0021). EnqueueDelivery compresses in the caller's
// goroutine, the inbox's mover copies the bytes as stored, and Delivery
// decompresses whichever codec it finds. Rows stored uncompressed before
// read back as they are.
//
// # Fair queue
//
// Every job runs from River's default queue, which River fetches by
// priority (1 to 4), then scheduled_at, then id. A job of an installation
// (a delivery, or any args implementing InstallationJob queued with
// Enqueue) gets its priority from how many jobs of that installation wait
// in the transaction that queues it: priority 1 for the first 4, then 2, 3
// and 4 past 4, 32 and 256 waiting, and never better than the installation's
// worst waiting job, so each installation's jobs stay first in, first out.
// Another installation's next job therefore waits for at most 4 jobs of
// each busy installation, plus those already fetched (fairqueue.go; the
// bound and its tests are in docs/queue.md). The count reads a partial index
// on river_job over waiting jobs, keyed by the installation the store puts
// in the job's metadata; Open creates the index after River's migrations,
// which on SQLite rebuild river_job. On SQLite the inbox's mover counts once
// per batch, off the acknowledgement path, and so does PostgreSQL's
// enqueuer; there the enqueuers of several replicas may read the same count.
//
// # Pruning
//
// Rows kept per pull request (perPullRequestTables in closed.go) are deleted some time
// after it closed: MarkClosed and MarkOpen record closing and reopening in
// pull_requests_closed, the latest event by its own time winning and a tie
// counting as open (SeenOpen heals a lost reopened event), and PruneClosed deletes the rows of pull requests closed
// before a time, up to 100 pull requests per transaction. On PostgreSQL it
// gives way to live work: it skips records held elsewhere, waits at most
// 50 ms for any row, and leaves a pull request still busy for a later run.
//
// # Migrations
//
// Open applies River's migrations (rivermigrate) and then the store's own
// embedded .sql files, each in a transaction together with its row in
// schema_migrations, so opening an up-to-date database changes nothing. On
// PostgreSQL an advisory lock keeps replicas that start together from
// migrating at the same time.
//
// # Concurrency
//
// Every method is safe for concurrent use, and on PostgreSQL across
// processes: deduplication, compare-and-swap (SetRotation) and exactly-once
// claims (ClaimSLAEvent) are single statements whose conflict handling the
// database serialises.
package store
