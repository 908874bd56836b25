#!/usr/bin/env bash
# What PostgreSQL's CPU per evaluation would be if evaluations of several
# pull requests shared their statements (issue 18, docs/capacity.md,
# eighteenth session). pgbench runs, on tables shaped like the store's
# (a lease row updated in place, a verdict and a history row with indexed
# columns that change, an object row per head, a snapshot), the statements
# of an evaluation's store work in its three transactions: the lease with
# the first reads, the verdict with the check run's claim, the summary with
# the end. "one" does it for one pull request at a time, one statement a
# row, as the server does now; "batchedK" for K at a time (BATCHES, by
# default 2, 4 and 10), one statement for the K rows of each kind. The
# rows written and read are the same; the CPU of PostgreSQL's processes per
# pull request, read from /proc, is what differs.
#
#   cmd/loadgen/batchcost.sh [seconds]
#
# Needs pgbench and a PostgreSQL on 127.0.0.1:5432 that user postgres can
# reach without a password, on this machine (its processes' CPU is read
# from /proc). Makes and drops the database loadgen_batchcost.
set -euo pipefail
secs=${1:-8}
db=loadgen_batchcost
psql_() { psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
dir=$(mktemp -d)
trap 'psql_ -c "DROP DATABASE IF EXISTS $db" >/dev/null; rm -rf "$dir"' EXIT
psql_ -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql_ -d "$db" <<'SQL'
CREATE TABLE t_eval (repo_id bigint, number int, lease_owner text NOT NULL DEFAULT '', lease_until bigint NOT NULL DEFAULT 0,
  done bigint NOT NULL DEFAULT 0, PRIMARY KEY (repo_id, number));
CREATE TABLE t_verdict (repo_id bigint, number int, head_sha text, report text, updated_at bigint, PRIMARY KEY (repo_id, number));
CREATE INDEX ON t_verdict (repo_id, head_sha, number);
CREATE TABLE t_hist (repo_id bigint, number int, owner text, repo text, title text, conclusion text, snapshot bytea,
  updated_at bigint, changed_at bigint, PRIMARY KEY (repo_id, number));
CREATE INDEX ON t_hist (owner, repo, number);
CREATE INDEX ON t_hist (owner, changed_at);
CREATE TABLE t_obj (repo_id bigint, number int, kind text, object_id bigint, PRIMARY KEY (repo_id, number, kind));
CREATE TABLE t_snap (repo_id bigint, number int, pr bytea, PRIMARY KEY (repo_id, number));
INSERT INTO t_eval (repo_id, number) SELECT 1, g FROM generate_series(1, 40000) g;
INSERT INTO t_snap SELECT 1, g, decode(repeat('ab', 1500), 'hex') FROM generate_series(1, 40000) g;
VACUUM ANALYZE;
SQL

# A script for K pull requests at a time: those from :n*K+1 (for "one",
# :n+1). IN compares a row's number with theirs, SHAS a head with theirs.
script() { # script K IN SHAS
  local k=$1 in=$2 shas=$3 heads
  heads="SELECT :n * $k + g AS number, md5((:h + g)::text) AS sha FROM generate_series(1, $k) g"
  cat <<SQL
\\set n random(0, $((40000 / k - 1)))
\\set h random(1, 1000000000)
\\startpipeline
SET LOCAL synchronous_commit = off;
UPDATE t_eval SET lease_owner = 'job:' || :h, lease_until = :h WHERE repo_id = 1 AND number $in;
SELECT pr FROM t_snap WHERE repo_id = 1 AND number $in;
SELECT head_sha, report FROM t_verdict WHERE repo_id = 1 AND number $in;
SELECT object_id FROM t_obj WHERE repo_id = 1 AND kind = 'comment' AND number $in;
SELECT lease_owner FROM t_eval WHERE repo_id = 1 AND number $in;
\\endpipeline
\\startpipeline
INSERT INTO t_verdict SELECT 1, number, sha, repeat('r', 200), :h FROM ($heads) h
  ON CONFLICT (repo_id, number) DO UPDATE SET head_sha = excluded.head_sha, report = excluded.report, updated_at = excluded.updated_at;
INSERT INTO t_obj SELECT 1, number, 'check:' || sha, :h FROM ($heads) h ON CONFLICT DO NOTHING;
SELECT number FROM t_verdict WHERE repo_id = 1 AND head_sha $shas;
\\endpipeline
\\startpipeline
SET LOCAL synchronous_commit = off;
INSERT INTO t_hist SELECT 1, number, 'owner', 'repo', 'title', 'success', decode(repeat('cd', 60), 'hex'), :h, :h FROM ($heads) h
  ON CONFLICT (repo_id, number) DO UPDATE SET title = excluded.title, conclusion = excluded.conclusion,
  snapshot = excluded.snapshot, updated_at = excluded.updated_at, changed_at = excluded.changed_at;
UPDATE t_eval SET done = :h, lease_owner = '', lease_until = 0 WHERE repo_id = 1 AND number $in;
\\endpipeline
SQL
}
BATCHES=${BATCHES:-2 4 10}
script 1 "= :n + 1" "= md5((:h + 1)::text)" >"$dir/one.sql"
runs=one
for k in $BATCHES; do
  script "$k" "= ANY(ARRAY(SELECT :n * $k + g FROM generate_series(1, $k) g))" \
    "= ANY(ARRAY(SELECT md5((:h + g)::text) FROM generate_series(1, $k) g))" >"$dir/batched$k.sql"
  runs="$runs batched$k"
done

pgcpu() { # CPU seconds of every PostgreSQL process so far
  local t=0 p f
  for p in $(pgrep -x postgres); do
    f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    set -- $f
    t=$((t + ${12} + ${13} + ${14} + ${15}))
  done
  echo "$t"
}
tck=$(getconf CLK_TCK)
# A first run of each warms the tables and the plans; it is not shown.
for run in $runs; do
  pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 1 -T 2 -f "$dir/$run.sql" "$db" >/dev/null 2>&1
done
# Each run starts from vacuumed tables: the runs write as many rows as the
# tables hold, and the dead versions they leave would slow the next.
for run in $runs $runs; do
  k=${run#batched}; [ "$run" = one ] && k=1
  psql_ -d "$db" -c "VACUUM ANALYZE"
  before=$(pgcpu)
  n=$(pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 1 -T "$secs" -f "$dir/$run.sql" "$db" 2>&1 |
    awk '/number of transactions actually processed/ {print $NF}')
  after=$(pgcpu)
  awk -v r=$run -v n="$n" -v k=$k -v t=$((after - before)) -v tck="$tck" \
    'BEGIN { printf "%-9s %6d scripts, %5d pull requests, PostgreSQL %.2f s CPU, %4.0f µs per pull request\n", r, n, n*k, t/tck, t/tck*1e6/(n*k) }'
done
