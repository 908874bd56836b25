#!/usr/bin/env bash
# How job capacity grows with server processes when each has its own CPU
# (issue 18), on a machine with two: measured for one process pinned to
# one CPU, modelled beyond. Run through bench.sh, which builds the binaries:
#
#   cmd/loadgen/bench.sh 10 replicas
#
# Layout: every server process on SERVER_CPU (default 1); loadgen, its fake
# GitHub and a private PostgreSQL instance (started here on port PGPORT,
# default 5433, in $OUT/replicas-pg, stopped at the end) on DB_CPU (default
# 0). A private instance so that its CPU is this run's alone: the CPU of
# every process of the instance (its backends' too, once they exit and
# are reaped), read from /proc, is the database's cost of the jobs.
#
# Each run sends pull_request deliveries at RATE (default 1000/s) for SECS
# seconds (default 10), faster than one CPU runs their jobs, so the queue
# grows and the drain runs saturated: jobs/s is the capacity. Runs: 1
# process (the per-process capacity), then 2 and 3 processes sharing the
# same CPU, to check the model: there they can gain only while one process
# leaves its CPU idle (waiting on the database), up to 1 / server CPU per
# job, and their CPU per job shows whether splitting costs anything. Then:
#
#   throughput(n) = min(n × C1, D × DB cores)
#
# C1 the capacity of one process on one CPU, D = 1 / (database CPU seconds
# per job) the jobs one database core can serve.
set -euo pipefail
: "${OUT:?run through bench.sh (cmd/loadgen/bench.sh 10 replicas)}"
# config FILE DBURL, the servers' configuration, is bench.sh's (exported).
declare -F config >/dev/null || { echo "replicas: run through bench.sh (cmd/loadgen/bench.sh 10 replicas)" >&2; exit 2; }
for f in reviewpolicy loadgen app.pem; do
  [ -e "$OUT/$f" ] || { echo "replicas: $OUT/$f missing; run through bench.sh" >&2; exit 2; }
done
SECS=${SECS:-10}
RATE=${RATE:-1000}
SERVER_CPU=${SERVER_CPU:-1}
DB_CPU=${DB_CPU:-0}
PGPORT=${PGPORT:-5433}
PGDIR=$OUT/replicas-pg
TCK=$(getconf CLK_TCK)

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "replicas: initdb not found under /usr/lib/postgresql/*/bin" >&2; exit 2; }
# PostgreSQL refuses to run as root: as root, the instance runs as postgres.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_pg() {
  rm -rf "$PGDIR"; mkdir -p "$PGDIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
  as_pg "$pgbin/initdb" -D "$PGDIR/data" --auth=trust -U postgres >"$PGDIR/initdb.log"
  as_pg taskset -c "$DB_CPU" "$pgbin/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories=$PGDIR -c max_connections=300 -c shared_preload_libraries=pg_stat_statements" start >/dev/null
  psql_rep -c "CREATE EXTENSION pg_stat_statements"
}
stop_pg() { as_pg "$pgbin/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true; }
trap stop_pg EXIT
psql_rep() { psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qAt "$@"; }

# pg_ticks: CPU clock ticks of the whole instance so far: the postmaster's
# own and its reaped children's (exited backends), plus each live child's.
pg_ticks() {
  local pm total=0 p
  pm=$(head -1 "$PGDIR/data/postmaster.pid")
  read -r -a f < <(cut -d')' -f2- "/proc/$pm/stat")
  total=$((f[11] + f[12] + f[13] + f[14]))
  for p in $(pgrep -P "$pm"); do
    read -r -a f < <(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null || echo)
    [ ${#f[@]} -gt 14 ] && total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# top_statements DB: where the database's time went (pg_stat_statements:
# execution time, waits included, not CPU alone), the five costliest.
top_statements() {
  psql_rep -F ' | ' -c "SELECT round(total_exec_time)::bigint AS ms, calls, regexp_replace(left(query, 110), '\s+', ' ', 'g')
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$1'
    ORDER BY total_exec_time DESC LIMIT 5"
}


# field FILE PATTERN AWK-FIELD: one number from a loadgen report.
field() { grep -m1 "$2" "$1" | awk "{print \$$3}" | tr -d 's,'; }

# one N: N servers on SERVER_CPU against a fresh database; prints
# "N jobs jobs_per_s server_cpu_s db_cpu_s".
one() {
  local n=$1 name="replicas-$1" db="rep_$1" t0 t1
  psql_rep -c "CREATE DATABASE $db"
  config "$OUT/$name.yml" "postgres://postgres@127.0.0.1:$PGPORT/$db"
  psql_rep -c "SELECT pg_stat_statements_reset()" >/dev/null
  t0=$(pg_ticks)
  taskset -c "$DB_CPU" timeout $((SECS + 400)) "$OUT/loadgen" -fake-github -secret loadgen-secret -seed 1 \
    -server-cmd "taskset -c $SERVER_CPU $OUT/reviewpolicy serve --config $OUT/$name.yml" -servers "$n" \
    -server-log "$OUT/$name.server.log" -rate "$RATE" -duration "${SECS}s" -concurrency 256 -drain 300s \
    -mix pull_request=100 ${LGFLAGS:-} >"$OUT/$name.txt" 2>&1 || true
  sleep 1 # the servers' connections close; the postmaster reaps their backends
  t1=$(pg_ticks)
  top_statements "$db" >"$OUT/$name.statements.txt"
  psql_rep -c "DROP DATABASE $db WITH (FORCE)"
  echo "$n $(field "$OUT/$name.txt" '^delivery jobs' 3) $(field "$OUT/$name.txt" '^job throughput' 3)" \
    "$(field "$OUT/$name.txt" '^server CPU' 3) $(awk -v t=$((t1 - t0)) -v h="$TCK" 'BEGIN{printf "%.2f", t/h}')"
}

echo "== replicas: pull_request jobs, $RATE/s for ${SECS}s then drained; servers on CPU $SERVER_CPU," \
  "loadgen + fake GitHub + PostgreSQL ($pgbin, private, port $PGPORT) on CPU $DB_CPU; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start_pg
rows=()
for n in 1 2 3; do
  row=$(one "$n")
  rows+=("$row")
  echo "   run $n done: $row (reports: $OUT/replicas-$n.txt)"
done
echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${rows[@]}" | awk -v cpu="$SERVER_CPU" '
{ n[NR]=$1; jobs[NR]=$2; rate[NR]=$3; scpu[NR]=$4; dcpu[NR]=$5 }
END {
  if (NR < 1 || jobs[1] == 0) { print "replicas: no jobs measured; see the reports"; exit 1 }
  printf "\n%-10s %7s %8s %18s %14s %20s\n", "processes", "jobs", "jobs/s", "server CPU ms/job", "server cores", "database CPU ms/job"
  for (i = 1; i <= NR; i++)
    printf "%-10s %7d %8.1f %18.2f %14.2f %20.2f\n", n[i] " on 1 CPU", jobs[i], rate[i], 1000*scpu[i]/jobs[i], scpu[i]*rate[i]/jobs[i], 1000*dcpu[i]/jobs[i]
  printf "(server cores: the servers'"'"' CPU over the run and drain; below 1 the process waited, on the database or for its CPU)\n"
  c1 = rate[1]; d = jobs[1] / dcpu[1]
  printf "\nC1 (one process, its own CPU)       %.0f jobs/s (%.0f if it kept its CPU busy: 1 / server CPU per job)\n", c1, jobs[1]/scpu[1]
  printf "D (jobs per database core)          %.0f jobs/s (1 / %.2f ms of database CPU per job)\n", d, 1000*dcpu[1]/jobs[1]
  printf "model: throughput(n) = min(n × %.0f, %.0f × database cores)\n", c1, d
  for (k = 1; k <= 3; k++) {
    t1 = (k*c1 < d) ? k*c1 : d
    t2 = (k*c1 < 2*d) ? k*c1 : 2*d
    printf "  n=%d, each its own CPU: %5.0f jobs/s with the database on 1 core, %5.0f on 2 (%s)\n", k, t1, t2, (k*c1 < d) ? "the servers limit" : "the database limits"
  }
  cpu1 = jobs[1] / scpu[1]
  printf "check against the runs sharing one CPU: the model with that CPU'"'"'s bound, min(n × C1, %.0f, D):\n", cpu1
  for (i = 2; i <= NR; i++) {
    p = n[i]*c1; if (cpu1 < p) p = cpu1; if (d < p) p = d
    printf "  n=%d on 1 CPU: measured %.0f jobs/s, model %.0f (measured/model %.2f); server CPU per job %.2f × one process'"'"'s\n", n[i], rate[i], p, rate[i]/p, (scpu[i]/jobs[i])/(scpu[1]/jobs[1])
  }
}'
echo
echo "the database's time, one process (pg_stat_statements, ms | calls | statement; $OUT/replicas-N.statements.txt):"
cat "$OUT/replicas-1.statements.txt"
