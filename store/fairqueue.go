package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// InstallationJob is a job done for one GitHub installation. Store.Enqueue
// gives such a job its place in the fair queue (see doc.go, "Fair queue");
// an ID of 0 means the job belongs to no installation and is not graded.
type InstallationJob interface {
	river.JobArgs
	InstallationID() int64
}

// metaInstallation is the key of river_job.metadata holding a job's
// installation, as a JSON string so that ->> yields text on both engines.
// waitingIndex and backlogQuery spell it out.
const metaInstallation = "installation"

// Waiting jobs an installation may have at each priority: its first few
// waiting jobs run at River's priority 1, the rest of a burst at 2, 3, then
// 4. River fetches by priority first, so another installation's next job
// (priority 1) waits for at most 4 jobs of each busy installation.
// The steps grow geometrically so a moderate burst (tens of jobs) still
// runs ahead of a huge one.
var priorityLevels = [...]int64{4, 32, 256} // waiting jobs below which priority is 1, 2, 3

// waitingIndex lets the backlog query count one installation's available
// jobs without scanning the queue. Created at every Open rather than in a
// numbered migration: River's SQLite migrations rebuild river_job, which
// would drop it.
const waitingIndex = `CREATE INDEX IF NOT EXISTS river_job_installation_waiting
ON river_job ((metadata->>'installation'), priority) WHERE state = 'available'`

// backlog is an installation's jobs waiting to run when a job is enqueued.
type backlog struct {
	waiting     int64
	maxPriority int // the lowest-ranked (highest number) among them; 0 if none
}

// next returns the priority of one more job of this installation and counts
// it. It never ranks a job ahead of a waiting one of the same installation,
// so each installation's jobs still run first in, first out.
func (b *backlog) next() int {
	p := 1
	for _, limit := range priorityLevels {
		if b.waiting < limit {
			break
		}
		p++
	}
	p = max(p, b.maxPriority)
	b.waiting++
	b.maxPriority = p
	return p
}

// backlogs reads, in tx, the waiting jobs of each installation in insts
// (their count up to the last level, see backlogQuery). On SQLite the
// transaction holds the write lock, so the counts are exact; on PostgreSQL
// concurrent enqueues of one installation may read the same count
// (docs/queue.md).
func (s *Store) backlogs(ctx context.Context, tx *sql.Tx, insts []int64) (map[int64]*backlog, error) {
	out := make(map[int64]*backlog, len(insts))
	keys := make([]string, 0, len(insts))
	for _, id := range insts {
		if _, dup := out[id]; !dup {
			out[id] = &backlog{}
			keys = append(keys, strconv.FormatInt(id, 10))
		}
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, s.backlogQuery(), string(list))
	if err != nil {
		return nil, fmt.Errorf("count waiting jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var b backlog
		if err := rows.Scan(&key, &b.waiting, &b.maxPriority); err != nil {
			return nil, fmt.Errorf("count waiting jobs: %w", err)
		}
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("count waiting jobs: installation %q: %w", key, err)
		}
		if dst := out[id]; dst != nil {
			*dst = b
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count waiting jobs: %w", err)
	}
	return out, nil
}

// backlogQuery reads, for each installation in $1 (a JSON array of IDs as
// strings), how many of its jobs wait, counting no further than the last
// priority level (more changes nothing), and the worst priority among them.
// Both read only that installation's entries of the partial index: a few
// hundred at most, whatever the backlog.
func (s *Store) backlogQuery() string {
	// Without statistics SQLite's planner prefers River's index on state,
	// which reads every waiting job; INDEXED BY names the one that reads
	// only this installation's.
	table, list := `river_job INDEXED BY river_job_installation_waiting`, `json_each($1) AS j`
	if s.Dialect == DialectPostgres {
		table, list = `river_job`, `jsonb_array_elements_text($1::jsonb) AS j(value)`
	}
	waiting := `FROM ` + table + ` WHERE state = 'available' AND metadata->>'installation' = j.value`
	return `SELECT j.value,
    (SELECT COUNT(*) FROM (SELECT 1 ` + waiting + ` LIMIT ` + strconv.FormatInt(priorityLevels[len(priorityLevels)-1], 10) + `) AS w),
    COALESCE((SELECT priority ` + waiting + ` ORDER BY priority DESC LIMIT 1), 0)
FROM ` + list
}

// fairOpts returns a copy of opts that places a job of installation inst by
// b: its priority, and the metadata later counts read. A priority the caller
// chose is kept.
func fairOpts(opts *river.InsertOpts, inst int64, b *backlog) (*river.InsertOpts, error) {
	var o river.InsertOpts
	if opts != nil {
		o = *opts
	}
	meta := map[string]any{}
	if len(o.Metadata) > 0 {
		if err := json.Unmarshal(o.Metadata, &meta); err != nil {
			return nil, fmt.Errorf("job metadata: %w", err)
		}
	}
	meta[metaInstallation] = strconv.FormatInt(inst, 10)
	m, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("job metadata: %w", err)
	}
	o.Metadata = m
	if o.Priority == 0 {
		o.Priority = b.next()
	}
	return &o, nil
}

// insertFair enqueues jobs in tx, each with the installation in insts (0:
// none), placed in the fair queue in order.
func (s *Store) insertFair(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams, insts []int64) error {
	_, err := s.insertFairIDs(ctx, tx, jobs, insts)
	return err
}

// insertFairIDs is insertFair, and returns what River inserted.
func (s *Store) insertFairIDs(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams, insts []int64) ([]*rivertype.JobInsertResult, error) {
	var graded []int64
	for _, id := range insts {
		if id != 0 {
			graded = append(graded, id)
		}
	}
	if len(graded) > 0 {
		bl, err := s.backlogs(ctx, tx, graded)
		if err != nil {
			return nil, err
		}
		for i, id := range insts {
			if id == 0 {
				continue
			}
			if jobs[i].InsertOpts, err = fairOpts(jobs[i].InsertOpts, id, bl[id]); err != nil {
				return nil, err
			}
		}
	}
	res, err := s.River.InsertManyTx(ctx, tx, jobs)
	if err != nil {
		return nil, fmt.Errorf("enqueue %d jobs: %w", len(jobs), err)
	}
	return res, nil
}

// ensureWaitingIndex creates waitingIndex if it is missing. On PostgreSQL
// CREATE INDEX takes a lock that holds up River's writes, so it is only run
// when the index is absent.
func (s *Store) ensureWaitingIndex(ctx context.Context) error {
	if s.Dialect == DialectPostgres {
		var exists bool
		const q = `SELECT to_regclass('river_job_installation_waiting') IS NOT NULL`
		if err := s.DB.QueryRowContext(ctx, q).Scan(&exists); err != nil {
			return fmt.Errorf("store: look up queue index: %w", err)
		}
		if exists {
			return nil
		}
	}
	if _, err := s.DB.ExecContext(ctx, waitingIndex); err != nil {
		return fmt.Errorf("store: create queue index: %w", err)
	}
	return nil
}
