package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" database/sql driver
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialects reported in Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("store: not found")

// Options configures the River client built by Open.
type Options struct {
	// Workers to run. Nil builds an insert-only client: Start is a no-op and
	// jobs wait for a process that has workers.
	Workers *river.Workers
	// PeriodicJobs are enqueued by the elected leader; they need Workers.
	PeriodicJobs []*river.PeriodicJob
	// MaxWorkers bounds concurrently running jobs in this process (default
	// 10). River holds up to fetchAhead times as many (slots.go).
	MaxWorkers int
	// Middleware runs around every job before it takes one of MaxWorkers'
	// slots, so that a job waiting in it (the webhooks' job gate) does not
	// hold a slot another job could use.
	Middleware []rivertype.Middleware

	// fetchAhead overrides the package's fetchAhead (tests that need River
	// to fetch one job at a time, to see its exact order).
	fetchAhead int
	// Logger for River and its migrator; nil keeps River's default (warnings to stdout).
	Logger *slog.Logger
	// RetryPolicy overrides River's default exponential backoff.
	RetryPolicy river.ClientRetryPolicy
	// JobTimeout cancels a job's context after this long (River's default is 1 min).
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may stay "running" before the
	// leader assumes its process died and schedules it again (River's default
	// is 1 h). It must not be shorter than JobTimeout, whose default is 1 min,
	// so set both to shorten it.
	RescueStuckJobsAfter time.Duration
	// Deliveries, if set, handles deliveries in the move that queues them,
	// once Start has started the workers (inmove.go).
	Deliveries DeliveryHandler
}

// Store is the application's durable state and job queue.
type Store struct {
	DB *sql.DB
	// reads answers the store's reads outside a transaction: on SQLite a
	// pool of read-only connections of its own (readers.go), on PostgreSQL
	// DB itself.
	reads   *sql.DB
	River   *river.Client[*sql.Tx]
	Dialect string // DialectSQLite or DialectPostgres

	// Writes, promoted, are the event writes that commit one at a time.
	Writes

	// inbox records SQLite deliveries for EnqueueDelivery in a file of its
	// own (see inbox.go); nil on PostgreSQL.
	inbox *inbox
	// group writes concurrent PostgreSQL deliveries in one statement
	// (groupcommit.go) and enqueuer gives them their jobs (enqueuer.go),
	// on intake, a pool of their own; all nil on SQLite.
	group    *groupCommit
	enqueuer *enqueuer
	intake   *sql.DB
	// writes sends the evaluations' writes several at a time
	// (writegroup.go), asyncWrites those that need not wait for
	// PostgreSQL's WAL flush (asyncwrites.go); on SQLite they are one.
	writes      *writeGroup
	asyncWrites *writeGroup
	// async is PostgreSQL's pool for the writes that need not wait for
	// the WAL's flush (asyncwrites.go); DB on SQLite.
	async *sql.DB

	slots     *jobSlots // bounds the running jobs; nil without Workers
	working   bool      // built with Workers, so Start runs them
	handler   DeliveryHandler
	started   atomic.Bool // Start ran the workers (never without them): the handler may be used
	log       *slog.Logger
	closeOnce sync.Once
	closeErr  error
}

// River's database/sql driver for PostgreSQL cannot LISTEN for new jobs, so
// the client polls, often enough that a webhook's job starts within a blink.
// An idle poll is an indexed probe of river_job, cheap even with several
// replicas polling; a fetch while jobs stream through is not (5-8 ms of the
// database's time each, measured; BENCHMARKS.md, replicas), hence fetchAhead.
//
// fetchCooldown and fetchAhead cap job throughput: River fetches at most
// once per cooldown, and each fetch takes at most as many jobs as it has
// free workers, so a process runs at most workers/fetchCooldown short jobs
// a second. With as many River workers as jobs may run (10) and 20 ms, that
// was 500/s on any machine (issue 18: no-op jobs stopped at 485/s on both
// engines while the CPUs idled); at 2 ms, River fetched a job or two at a
// time, a fetch per job, and on PostgreSQL the fetches took the database's
// CPU. So River holds fetchAhead times as many jobs as may run (slots.go)
// and fetches less often, many at a time: up to 80 jobs per 20 ms, 4,000 a
// second. Fetches that close together happen only while finished jobs free
// workers and more wait: an idle queue is polled every fetchPollInterval,
// and the first fetch after a pause is immediate.
const (
	fetchPollInterval = 50 * time.Millisecond
	fetchCooldown     = 20 * time.Millisecond
	fetchAhead        = 8
)

// Open connects to the database named by url, applies River's and the
// store's migrations, and builds the River client. url is one of
// "sqlite://path/to/file.db" (a file: River needs every connection to see the
// same database, so ":memory:" is refused), "postgres://..." or
// "postgresql://...".
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	dialect, db, err := openDB(ctx, url, opts.MaxWorkers)
	if err != nil {
		return nil, err
	}
	s := &Store{DB: db, reads: db, Dialect: dialect, working: opts.Workers != nil, handler: opts.Deliveries,
		log: cmp.Or(opts.Logger, slog.Default())}
	s.Writes = Writes{db: db, s: s}

	var driver riverdriver.Driver[*sql.Tx]
	if dialect == DialectSQLite {
		driver = riversqlite.New(db)
	} else {
		driver = riverdatabasesql.New(db)
	}

	if err := s.migrate(ctx, driver, opts.Logger); err != nil {
		db.Close()
		return nil, err
	}

	cfg := &river.Config{
		FetchCooldown:        fetchCooldown,
		FetchPollInterval:    fetchPollInterval,
		JobTimeout:           opts.JobTimeout,
		Logger:               opts.Logger,
		PeriodicJobs:         opts.PeriodicJobs,
		RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		RetryPolicy:          opts.RetryPolicy,
		Workers:              opts.Workers,
	}
	if dialect == DialectPostgres {
		cfg.ReindexerIndexNames = reindexed()
	}
	if opts.Workers != nil {
		running := cmp.Or(opts.MaxWorkers, 10)
		cfg.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: running * cmp.Or(opts.fetchAhead, fetchAhead)},
		}
		s.slots = newJobSlots(running)
		cfg.Middleware = append(slices.Clone(opts.Middleware), s.slots)
	}
	s.River, err = river.NewClient(driver, cfg)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	if dialect == DialectSQLite {
		// After the migrations: a reader must not be the first to open the
		// file, which the writer makes WAL.
		if s.reads, err = openSQLiteReads(ctx, sqlitePath(url), sqliteReaders); err != nil {
			db.Close()
			return nil, err
		}
		if s.inbox, err = openInbox(ctx, s, sqlitePath(url), opts.Logger); err != nil {
			s.reads.Close()
			db.Close()
			return nil, err
		}
		s.writes = newWriteGroup(db, true, 1)
	} else {
		if s.intake, err = openPostgres(ctx, url, intakeConns, intakeSettings); err != nil {
			db.Close()
			return nil, err
		}
		if s.async, err = openPostgres(ctx, url, asyncConns(opts.MaxWorkers), asyncSettings); err != nil {
			s.intake.Close()
			db.Close()
			return nil, err
		}
		s.enqueuer = newEnqueuer(s, s.intake, opts.Logger)
		s.group = &groupCommit{s: s, db: s.intake, recorded: s.enqueuer.wake}
		// Two, so that one round's pipeline is built while the other's is
		// on the wire.
		s.writes = newWriteGroup(db, false, 2)
		s.asyncWrites = newWriteGroup(s.async, false, 2)
	}
	if s.asyncWrites == nil {
		s.asyncWrites = s.writes // SQLite's commits wait for no flush anyway
		s.async = db
	}
	return s, nil
}

// openDB parses url, opens a pool tuned for the engine and checks it answers.
func openDB(ctx context.Context, url string, maxWorkers int) (dialect string, db *sql.DB, err error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		path := sqlitePath(url)
		switch {
		case path == "":
			return "", nil, errors.New("store: sqlite url has no file path")
		case path == ":memory:" || strings.Contains(path, "mode=memory"):
			return "", nil, errors.New("store: in-memory sqlite is not supported; River needs a database file")
		case strings.Contains(path, "?"):
			return "", nil, errors.New("store: sqlite url must not carry query parameters; the store sets its own")
		}
		db, err := openSQLite(ctx, path)
		return DialectSQLite, db, err

	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		// Bounded so that several replicas stay under PostgreSQL's
		// max_connections (100 by default): each worker may hold one
		// connection, and River's producer, completer, elector and
		// maintenance services share a handful more. The pool for
		// asynchronous commits (Open) takes its share of the same
		// budget.
		db, err := openPostgres(ctx, url, cmp.Or(maxWorkers, 10)+10-asyncConns(maxWorkers), nil)
		return DialectPostgres, db, err

	default:
		return "", nil, fmt.Errorf("store: unsupported database url %q (want sqlite://, postgres:// or postgresql://)", redact(url))
	}
}

// openPostgres opens a pool of at most maxOpen connections to url, checks
// it answers and opens them all. settings are run-time parameters every
// connection of the pool starts with.
func openPostgres(ctx context.Context, url string, maxOpen int, settings map[string]string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err) // pgx hides the password
	}
	for k, v := range settings {
		cfg.RuntimeParams[k] = v
	}
	db := stdlib.OpenDB(*cfg)
	// Every open connection may stay idle (until ConnMaxIdleTime): with
	// fewer idle slots than open connections, each burst closed the
	// surplus and the next opened it again, and a PostgreSQL connection
	// is a forked backend. At 250 deliveries/s that churn took most of
	// the machine's CPU (top: short-lived backends, 46 % system time).
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", redact(url), err)
	}
	warmPool(ctx, db, maxOpen)
	return db, nil
}

// droppedRiverIndexes are River's indexes that migrations 0022 (the GIN
// indexes, PostgreSQL only) and 0023 (kind) drop.
var droppedRiverIndexes = []string{"river_job_args_index", "river_job_metadata_index", "river_job_kind"}

// reindexed are the indexes River's reindexer rebuilds on PostgreSQL: its
// own list less those dropped, which it would otherwise warn about daily.
func reindexed() []string {
	return slices.DeleteFunc(river.ReindexerIndexNamesDefault(), func(n string) bool {
		return slices.Contains(droppedRiverIndexes, n)
	})
}

// asyncConns is the size of PostgreSQL's pool for asynchronous commits
// (asyncwrites.go) for a process running workers jobs at a time: an
// evaluation holds one for a round trip at its start and one at its end, a
// small part of its time, and the write group's two senders one each.
func asyncConns(workers int) int { return cmp.Or(workers, 10)/4 + 3 }

// asyncSettings start every connection of the asynchronous commits' pool.
var asyncSettings = map[string]string{"synchronous_commit": "off"}

// intakeConns is the size of the PostgreSQL intake's own pool: group
// commit writes up to maxInFlight batches at a time; the enqueuer takes
// the third.
const intakeConns = 3

// intakeSettings start every connection of the intake's pool: its commits
// return before PostgreSQL flushes its WAL (groupcommit.go).
// Set once per connection, not with SET LOCAL in each transaction: that was
// a round trip in every acknowledgement.
var intakeSettings = map[string]string{"synchronous_commit": "off"}

// warmPool opens n connections before the server takes its first webhook,
// one at a time, and leaves them idle in the pool. Opened on demand, a
// process starting into a stream of webhooks forked up to n backends at
// once while it answered them: at 100 deliveries/s its first second's
// acknowledgements took 0.6-0.7 s at p99 and the run's end-to-end p99 was
// 0.53-0.56 s, against 0.05-0.33 s and 0.08-0.15 s warmed (cmd/loadgen
// -warmup). A connection that cannot be opened now (the server's
// max_connections, say) is not an error: the pool opens it when needed.
func warmPool(ctx context.Context, db *sql.DB, n int) {
	conns := make([]*sql.Conn, 0, n)
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close() // back to the pool, which keeps every one idle
	}
}

func sqlitePath(url string) string { return strings.TrimPrefix(url, "sqlite://") }

// openSQLite opens a pool of one connection to the database file at path
// and checks it answers.
func openSQLite(ctx context.Context, path string) (*sql.DB, error) {
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	// WAL lets readers proceed while one connection writes; busy_timeout
	// waits out a lock held by another connection or process instead of
	// failing; _txlock=immediate takes the write lock at BEGIN so a
	// transaction never fails half-way upgrading from a read lock.
	dsn := path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open(sqliteDriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// SQLite runs one writer at a time. River's many concurrent internal
	// operations would otherwise fail with SQLITE_BUSY, so River's driver
	// documentation advises a single connection; it also means pragmas
	// apply to the one connection everything uses.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to sqlite %s: %w", path, err)
	}
	return db, nil
}

// privateFiles creates the database file at path readable by its owner only,
// or makes an existing one so, with its WAL and shared-memory files: they
// hold webhook payloads. SQLite creates the WAL and shared-memory files with
// the main file's permissions, so a 0600 main file keeps them private too.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: create sqlite %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: create sqlite %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: make sqlite %s private: %w", p, err)
		}
	}
	return nil
}

// redact hides a password in a database URL before it reaches an error.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return url
}

// migrate applies River's migrations and then the store's own.
func (s *Store) migrate(ctx context.Context, driver riverdriver.Driver[*sql.Tx], logger *slog.Logger) error {
	if s.Dialect == DialectPostgres {
		// Replicas may start together; serialise their migrations with a
		// session advisory lock held on a dedicated connection (migrations
		// themselves run on other pool connections). The key is per schema so
		// databases sharing a server do not wait for each other.
		conn, err := s.DB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		const lock = `SELECT pg_advisory_lock(hashtext('reviewpolicy.store.migrate.' || current_schema()))`
		if _, err := conn.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer func() {
			const unlock = `SELECT pg_advisory_unlock(hashtext('reviewpolicy.store.migrate.' || current_schema()))`
			// Use a fresh context: unlocking must happen even if ctx was cancelled.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), unlock)
		}()
	}

	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("store: river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: river migrations: %w", err)
	}
	if err := s.migrateOwn(ctx); err != nil {
		return err
	}
	return s.ensureWaitingIndex(ctx)
}

// Start starts working jobs. It is a no-op for an insert-only store (no
// Workers). ctx bounds the client's life: cancelling it begins a graceful
// stop, so pass the application's context, not a request's.
func (s *Store) Start(ctx context.Context) error {
	if !s.working {
		return nil // insert-only: River refuses to start a client without queues
	}
	if err := s.River.Start(ctx); err != nil {
		return fmt.Errorf("store: start river: %w", err)
	}
	s.started.Store(true)
	return nil
}

// Stop stops working new jobs and waits for running ones until ctx is done.
// It is safe to call more than once and on a store that never started.
func (s *Store) Stop(ctx context.Context) error {
	if err := s.River.Stop(ctx); err != nil {
		return fmt.Errorf("store: stop river: %w", err)
	}
	return nil
}

// closeGrace bounds how long Close waits for running jobs before cancelling
// them; River's rescuer reruns any job cut short this way.
const closeGrace = 10 * time.Second

// Close answers EnqueueDelivery calls still waiting (with an error unless
// their delivery was written), stops the River client if it runs and closes
// the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// First the inbox (SQLite) or the enqueuer (PostgreSQL): each gives
		// what it holds its jobs while River and the database are still there.
		var inboxErr error
		if s.inbox != nil {
			inboxErr = s.inbox.close()
		}
		if s.enqueuer != nil {
			inboxErr = s.enqueuer.close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
		defer cancel()
		var stopErr error
		if err := s.River.Stop(ctx); err != nil {
			// Running jobs overstayed the grace period: cancel them and wait a
			// little more for their workers to return.
			hardCtx, hardCancel := context.WithTimeout(context.Background(), closeGrace)
			defer hardCancel()
			if err := s.River.StopAndCancel(hardCtx); err != nil {
				stopErr = fmt.Errorf("store: stop river: %w", err)
			}
		}
		if s.writes != nil {
			s.writes.close() // after the jobs, which write through them
			s.asyncWrites.close()
		}
		var intakeErr, asyncErr, readsErr error
		if s.intake != nil {
			intakeErr = s.intake.Close()
		}
		if s.async != s.DB {
			asyncErr = s.async.Close()
		}
		if s.reads != s.DB {
			readsErr = s.reads.Close()
		}
		s.closeErr = errors.Join(inboxErr, stopErr, intakeErr, asyncErr, readsErr, s.DB.Close())
	})
	return s.closeErr
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction on s.DB, committing if it returns nil. With
// SQLite's single connection fn must use only tx: a query on s.DB would wait
// forever.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return inTx(ctx, s.DB, fn)
}

// inTx runs fn in a transaction on db, committing if it returns nil.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// micros converts a time to the stored representation, Unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a stored time back, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
