package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Evaluations of several pull requests that start and end together share
// their statements: on PostgreSQL the leases and first reads of a batch are
// one statement per kind of row in one pipeline, and so are the summaries
// and ends. PostgreSQL's CPU goes per statement more than per row
// (cmd/loadgen/batchcost.sh: 538-678 µs per pull request one at a time,
// 236-245 four at a time); docs/batch-evaluation.md has the design. Each
// pull request's answer is what StartEvaluationReading or
// FinishEvaluationWith would have given it, and SQLite, whose statements
// are no round trips, runs those side by side.
//
// Rows of pr_evaluations are locked in key order, as a move's requests lock
// them (Writes.RequestEvaluations), so a batch waits for a move and never
// deadlocks with one. Should a batch's pipeline fail anyway, each pull
// request goes again on its own, as the write group does (writegroup.go).

// EvaluationStart is one pull request's StartEvaluationReading.
type EvaluationStart struct {
	PR      PR
	Version int64
	JobID   int64
	Owner   string
	Reads   FirstReads
}

// Started is StartEvaluationReading's answer for one pull request.
type Started struct {
	Start    Start
	Covering int64
	First    EvaluationReads
	Err      error
}

// StartEvaluations is StartEvaluationReading for each of starts, at now with
// leases until expires; the answers are in the order of starts. A pull
// request named twice is started the second time on its own, after the
// batch.
func (s *Store) StartEvaluations(ctx context.Context, starts []EvaluationStart, now, expires time.Time) []Started {
	out := make([]Started, len(starts))
	batch, alone := distinctPRs(starts, func(st EvaluationStart) PR { return st.PR })
	single := func(i int) {
		st := starts[i]
		reads := st.Reads
		o := &out[i]
		o.Start, o.Covering, o.First, o.Err = s.StartEvaluationReading(ctx, st.PR, st.Version, st.JobID, st.Owner, now, expires, &reads)
	}
	if s.Dialect != DialectPostgres || len(batch) == 1 {
		concurrently(batch, single)
	} else if err := s.startBatch(ctx, starts, batch, now, expires, out); err != nil {
		s.log.Warn("a batch of evaluations' starts failed; starting each on its own", "n", len(batch), "err", err)
		concurrently(batch, single)
	}
	for _, i := range alone {
		single(i)
	}
	return out
}

// concurrently calls fn for each of idx, side by side: on SQLite the write
// group then commits their writes together, as those of jobs running side
// by side.
func concurrently(idx []int, fn func(i int)) {
	if len(idx) == 1 {
		fn(idx[0])
		return
	}
	var wg sync.WaitGroup
	for _, i := range idx {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

// distinctPRs splits the indexes of xs into the first of each pull request
// and the repeats.
func distinctPRs[T any](xs []T, pr func(T) PR) (first, again []int) {
	seen := make(map[PR]bool, len(xs))
	for i, x := range xs {
		if seen[pr(x)] {
			again = append(again, i)
			continue
		}
		seen[pr(x)] = true
		first = append(first, i)
	}
	return first, again
}

// startBatch takes the leases of starts[batch] and reads for them in one
// pipeline on the asynchronous pool, as takeEvaluation does for one, and
// fills out. A pull request whose lease it did not take gets
// StartEvaluation's look at why (coveredOrBusy).
func (s *Store) startBatch(ctx context.Context, starts []EvaluationStart, batch []int, now, expires time.Time, out []Started) error {
	n := len(batch)
	repos, numbers, owners := make([]int64, n), make([]int64, n), make([]string, n)
	versions, jobs := make([]int64, n), make([]int64, n)
	reads := make(map[PR]*EvaluationReads, n)
	for j, i := range batch {
		st := starts[i]
		repos[j], numbers[j], owners[j] = st.PR.RepoID, int64(st.PR.Number), st.Owner
		versions[j], jobs[j] = st.Version, st.JobID
		reads[st.PR] = &EvaluationReads{Versions: map[string]int64{}, prefix: st.Reads.Prefix, asked: st.Reads.Scopes}
	}
	taken := make(map[PR]int64, n)
	lease := readStmt{query: takeLeases, args: []any{repos, numbers, owners, versions, jobs, micros(expires), micros(now)},
		row: func(scan func(...any) error) error {
			var pr PR
			var covering int64
			if err := scan(&pr.RepoID, &pr.Number, &covering); err != nil {
				return err
			}
			taken[pr] = covering
			return nil
		}}
	versionsRead, spread := batchVersionsRead(starts, batch, reads)
	stmts := append([]readStmt{lease, versionsRead}, batchReads(repos, numbers, reads)...)
	if err := runPipeline(ctx, s.async, stmts); err != nil {
		return err
	}
	spread()
	for _, i := range batch {
		st, o := starts[i], &out[i]
		covering, took := taken[st.PR]
		if took {
			o.Start, o.Covering, o.First = Run, covering, reads[st.PR].done()
			continue
		}
		if o.Start, o.Err = s.coveredOrBusy(ctx, st.PR, st.Version, st.JobID, now); o.Err != nil {
			o.Err = fmt.Errorf("store: start evaluation of %d#%d: %w", st.PR.RepoID, st.PR.Number, o.Err)
		}
	}
	return nil
}

// takeLeases is takeLease for the pull requests ($1[i], $2[i]) with owner
// $3[i], version $4[i] and job $5[i], until $6, at $7. The rows are locked
// in key order before any is changed.
const takeLeases = `WITH k AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])
    AS k(repo_id, number, owner, version, job)),
l AS MATERIALIZED (SELECT e.repo_id, e.number FROM pr_evaluations e JOIN k USING (repo_id, number)
    ORDER BY e.repo_id, e.number FOR UPDATE OF e)
UPDATE pr_evaluations e SET lease_owner = k.owner, lease_until = $6, covering = e.requested,
queued_job = CASE WHEN e.queued_job = k.job THEN 0 ELSE e.queued_job END
FROM k JOIN l USING (repo_id, number)
WHERE e.repo_id = k.repo_id AND e.number = k.number AND (e.lease_until < $7 OR e.lease_owner = k.owner)
AND e.done < CASE WHEN e.queued_job = k.job AND e.queued_job <> 0 THEN e.requested ELSE k.version END
RETURNING e.repo_id, e.number, e.covering`

type rowFunc = func(scan func(...any) error) error

// maybe is a row that may be absent, as a single read scans it.
type maybe[T any] struct {
	v  T
	ok bool
}

// byPR scans a row whose first two columns are its pull request's key
// with row's scanner into a fresh T, and puts that into the pull
// request's reads.
func byPR[T any](reads map[PR]*EvaluationReads, row func(*T) rowFunc, put func(*EvaluationReads, T)) rowFunc {
	return func(scan func(...any) error) error {
		var pr PR
		var t T
		if err := row(&t)(keyed(scan, &pr)); err != nil {
			return err
		}
		put(reads[pr], t)
		return nil
	}
}

// keyed passes the pull request's key, the first two columns, to pr and
// the rest to scan's destinations.
func keyed(scan func(...any) error, pr *PR) func(...any) error {
	return func(dest ...any) error {
		return scan(append([]any{&pr.RepoID, &pr.Number}, dest...)...)
	}
}

// batchReads are firstReadStmts' reads of the pull request's own rows for
// every pull request of the batch, one statement each.
func batchReads(repos, numbers []int64, reads map[PR]*EvaluationReads) []readStmt {
	keys := []any{repos, numbers}
	const from = ` JOIN unnest($1::bigint[], $2::bigint[]) AS k(repo_id, number) USING (repo_id, number)`
	snapshot := byPR(reads, func(m *maybe[Snapshot]) rowFunc { return snapshotRow(&m.v, &m.ok) },
		func(r *EvaluationReads, m maybe[Snapshot]) { r.Snapshot, r.SnapshotFound = m.v, m.ok })
	commands := byPR(reads, commandRow, func(r *EvaluationReads, rows []CommandRow) { r.Commands = append(r.Commands, rows...) })
	requests := byPR(reads, appRequestRow, func(r *EvaluationReads, rows []AppRequest) { r.AppRequests = append(r.AppRequests, rows...) })
	verdict := byPR(reads, func(m *maybe[Verdict]) rowFunc { return verdictRow(&m.v, &m.ok) },
		func(r *EvaluationReads, m maybe[Verdict]) { r.Verdict, r.VerdictFound = m.v, m.ok })
	comment := byPR(reads, func(m *maybe[Object]) rowFunc { return objectRow(&m.v, &m.ok) },
		func(r *EvaluationReads, m maybe[Object]) { r.Comment, r.CommentFound = m.v, m.ok })
	return []readStmt{
		{query: `SELECT repo_id, number, pr, updated_at, trusted, recorded_at FROM pr_snapshots` + from, args: keys, row: snapshot},
		{query: `SELECT k.repo_id, k.number, c.* FROM unnest($1::bigint[], $2::bigint[]) AS k(repo_id, number),
LATERAL (SELECT comment_id, line, kind, actor, seconds, reason, head_sha, target, at FROM pr_commands
    WHERE repo_id = k.repo_id AND number = k.number AND ok = 1 ORDER BY at DESC, comment_id DESC, line DESC LIMIT $3) AS c`,
			args: append(keys, maxCommandRows), row: commands},
		{query: `SELECT repo_id, number, login, requested_at, state, note FROM app_requests` + from +
			` ORDER BY repo_id, number, requested_at, login`, args: keys, row: requests},
		{query: `SELECT repo_id, number, repo_id, number, head_sha, base_ref, report, updated_at FROM verdicts` + from, args: keys, row: verdict},
		{query: `SELECT repo_id, number, object_id, content_hash FROM github_objects` + from + ` WHERE kind = $3`,
			args: append(keys, commentKind), row: comment},
	}
}

// batchVersionsRead reads the fact versions every start of the batch asks
// for; spread, once it ran, gives each pull request's reads the versions
// of its own scopes and prefix.
func batchVersionsRead(starts []EvaluationStart, batch []int, reads map[PR]*EvaluationReads) (readStmt, func()) {
	var scopes, los, his []string
	seenScope, seenPrefix := map[string]bool{}, map[string]bool{}
	for _, i := range batch {
		for _, sc := range starts[i].Reads.Scopes {
			if !seenScope[sc] {
				seenScope[sc] = true
				scopes = append(scopes, sc)
			}
		}
		if p := starts[i].Reads.Prefix; p != "" && !seenPrefix[p] {
			seenPrefix[p] = true
			los, his = append(los, p), append(his, prefixEnd(p))
		}
	}
	all := map[string]int64{}
	st := readStmt{query: `SELECT scope, version FROM fact_versions WHERE scope = ANY($1)
UNION ALL SELECT f.scope, f.version FROM unnest($2::text[], $3::text[]) AS p(lo, hi),
LATERAL (SELECT scope, version FROM fact_versions WHERE scope COLLATE "C" >= p.lo AND scope COLLATE "C" < p.hi) AS f`,
		args: []any{scopes, los, his}, row: versionRow(all)}
	spread := func() {
		for scope, v := range all {
			for _, r := range reads {
				if _, known := r.Version(scope); known {
					r.Versions[scope] = v
				}
			}
		}
	}
	return st, spread
}

// prefixEnd is the first string past every one starting with prefix.
func prefixEnd(prefix string) string {
	return string(append([]byte(prefix[:len(prefix)-1]), prefix[len(prefix)-1]+1))
}

// EvaluationEnd is one pull request's FinishEvaluationWith.
type EvaluationEnd struct {
	PR       PR
	Owner    string
	Covering int64
	Summary  *PRSummary
}

// Finished is FinishEvaluationWith's answer for one pull request.
type Finished struct {
	OK  bool
	Err error
}

// FinishEvaluations is FinishEvaluationWith for each of ends; the answers
// are in the order of ends.
func (s *Store) FinishEvaluations(ctx context.Context, ends []EvaluationEnd) []Finished {
	out := make([]Finished, len(ends))
	batch, alone := distinctPRs(ends, func(e EvaluationEnd) PR { return e.PR })
	single := func(i int) {
		e := ends[i]
		out[i].OK, out[i].Err = s.FinishEvaluationWith(ctx, e.PR, e.Owner, e.Covering, e.Summary)
	}
	if s.Dialect != DialectPostgres || len(batch) == 1 {
		concurrently(batch, single)
	} else if err := s.finishBatch(ctx, ends, batch, out); err != nil {
		s.log.Warn("a batch of evaluations' ends failed; ending each on its own", "n", len(batch), "err", err)
		concurrently(batch, single)
	}
	for _, i := range alone {
		single(i)
	}
	return out
}

// finishBatch writes the summaries and ends of ends[batch] in one pipeline
// on the asynchronous pool, as finishWithSummary does for one.
func (s *Store) finishBatch(ctx context.Context, ends []EvaluationEnd, batch []int, out []Finished) error {
	n := len(batch)
	repos, numbers, owners, covering := make([]int64, n), make([]int64, n), make([]string, n), make([]int64, n)
	var sums [][]any
	for j, i := range batch {
		e := ends[i]
		repos[j], numbers[j], owners[j], covering[j] = e.PR.RepoID, int64(e.PR.Number), e.Owner, e.Covering
		if e.Summary != nil {
			sums = append(sums, summaryArgs(*e.Summary))
		}
	}
	ended := make(map[PR]bool, n)
	end := readStmt{query: finishEvaluations, args: []any{repos, numbers, owners, covering}, row: func(scan func(...any) error) error {
		var pr PR
		if err := scan(&pr.RepoID, &pr.Number); err != nil {
			return err
		}
		ended[pr] = true
		return nil
	}}
	stmts := []readStmt{end}
	if len(sums) > 0 {
		cols, err := columns(sums, summaryTypes[:])
		if err != nil {
			return err
		}
		stmts = []readStmt{{query: summaryInsert + "\nSELECT * FROM unnest(" + arrayParams(summaryTypes[:]) + ") ORDER BY 1, 2\n" + summaryUpsert,
			args: cols, row: noRows}, end}
	}
	if err := runPipeline(ctx, s.async, stmts); err != nil {
		return err
	}
	for _, i := range batch {
		out[i].OK = ended[ends[i].PR]
	}
	return nil
}

// finishEvaluations is finishEvaluation for the pull requests ($1[i],
// $2[i]) with owner $3[i] and covering $4[i], locking in key order.
const finishEvaluations = `WITH k AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])
    AS k(repo_id, number, owner, covering)),
l AS MATERIALIZED (SELECT e.repo_id, e.number FROM pr_evaluations e JOIN k USING (repo_id, number)
    ORDER BY e.repo_id, e.number FOR UPDATE OF e)
UPDATE pr_evaluations e SET done = GREATEST(e.done, k.covering), lease_owner = '', lease_until = 0
FROM k JOIN l USING (repo_id, number)
WHERE e.repo_id = k.repo_id AND e.number = k.number AND e.lease_owner = k.owner
RETURNING e.repo_id, e.number`

// arrayParams is "$1::t1[], $2::t2[], ..." for types.
func arrayParams(types []string) string {
	var b strings.Builder
	for i, t := range types {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", i+1, t)
	}
	return b.String()
}

// columns turns rows of values into one array per column, of the Go type
// pgx sends as types[i]'s array: bigint from int or int64, text from
// string, bytea from []byte.
func columns(rows [][]any, types []string) ([]any, error) {
	cols := make([]any, len(types))
	for c, t := range types {
		switch t {
		case "bigint":
			col := make([]int64, len(rows))
			for r, row := range rows {
				switch v := row[c].(type) {
				case int64:
					col[r] = v
				case int:
					col[r] = int64(v)
				default:
					return nil, fmt.Errorf("column %d: %T for bigint", c, v)
				}
			}
			cols[c] = col
		case "text":
			col := make([]string, len(rows))
			for r, row := range rows {
				v, ok := row[c].(string)
				if !ok {
					return nil, fmt.Errorf("column %d: %T for text", c, row[c])
				}
				col[r] = v
			}
			cols[c] = col
		case "bytea":
			col := make([][]byte, len(rows))
			for r, row := range rows {
				v, ok := row[c].([]byte)
				if !ok {
					return nil, fmt.Errorf("column %d: %T for bytea", c, row[c])
				}
				col[r] = v
			}
			cols[c] = col
		default:
			return nil, fmt.Errorf("column %d: type %s", c, t)
		}
	}
	return cols, nil
}
