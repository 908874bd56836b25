#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: builds the server and loadgen,
# then runs bounded open-loop loads against SQLite and PostgreSQL with the
# in-process fake GitHub. Everything stays on 127.0.0.1.
#
#   cmd/loadgen/bench.sh [seconds [section...]]
#
# seconds is the length of each run (default 30; not the soak's: DURATION).
# Sections, all but replicas by default (about 30 minutes plus the soak):
#   sqlite    100, 250, 500/s default mix, and 500/s ping only, on SQLite
#   postgres  100, 250, 500/s on PostgreSQL, one process
#   multi     three processes on one PostgreSQL database, 100 and 250/s
#   e2e       100 pull_request events/s, SQLite and PostgreSQL (end-to-end p99)
#   soak      100/s default mix for DURATION s (default 1800) on ENGINE
#             (sqlite or postgres, default sqlite), the server's RSS sampled
#             every RSS_EVERY (default 60s); says whether RSS is flat after
#             RSS_WARMUP (default a sixth of DURATION): the last third's
#             highest sample within 10% of the first third's highest.
#             ENGINE=postgres DURATION=1800 cmd/loadgen/bench.sh 30 soak
#   replicas  PostgreSQL job capacity of 1, 2, 3 server processes pinned to
#             one CPU, the database and loadgen on another, with the
#             database's CPU per job, and the model throughput(n) =
#             min(n × one process, the database's limit); see replicas.sh
#   capacity  job capacity (saturated drain), ping-only and pull_request-only,
#             SQLite then PostgreSQL, one after the other (issue 18)
#   capacity-pr  capacity's pull_request half alone, for repeated runs
#   ack       ack p99 at 500/s default mix and 1,500/s pull_request only,
#             SQLite then PostgreSQL, one after the other (issue 18)
#   ack500    the 500/s half of ack alone, for repeated runs
#
# Every run starts with a 1 s warm-up at its rate: a 30-s run weighs its
# first second as 3% of its answers, enough to set a p99 alone, where a
# server up for hours weighs it as nothing. loadgen reports the warm-up's
# acknowledgements on a line of their own and counts its deliveries in
# everything else (jobs, end-to-end, GitHub calls).
#
# SERVER_BIN=path runs that server binary instead of building this tree's.
# ENGINE=sqlite leaves out the PostgreSQL runs of every section, and
# ENGINE=postgres the SQLite runs of the capacity sections.
# LGFLAGS adds loadgen flags to every run, e.g. LGFLAGS=-updated-now for
# payloads as recent as GitHub's (the server then uses them; issue 18).
# WORKERS sets the server's workers.concurrency (default 10). The server
# reads REVIEWPOLICY_* from the environment too, e.g.
# REVIEWPOLICY_DEBUG_ADDRESS=127.0.0.1:6060 to profile a run.
#
# Needs a PostgreSQL on 127.0.0.1:5432 that user postgres can reach without
# a password (psql -h 127.0.0.1 -U postgres); the PostgreSQL runs are
# skipped otherwise. Results go to $OUT (default /tmp/lgbench).
set -euo pipefail

cd "$(dirname "$0")/../.."
secs=${1:-30}
shift || true
sections=${*:-sqlite postgres multi e2e soak}
case " $sections " in *" replicas "*) [ "$sections" = replicas ] || { echo "run replicas alone: it pins processes to CPUs" >&2; exit 2; } ;; esac
OUT=${OUT:-/tmp/lgbench}
mkdir -p "$OUT"
DEFAULT_MIX=pull_request=70,pull_request_review=20,check_suite=5,ping=5

# SERVER_BIN measures another build of the server (an earlier commit, for a
# before/after table) with this loadgen and its fake GitHub.
if [ -n "${SERVER_BIN:-}" ]; then cp "$SERVER_BIN" "$OUT/reviewpolicy"
else go build -o "$OUT/reviewpolicy" ./cmd/reviewpolicy; fi
go build -o "$OUT/loadgen" ./cmd/loadgen
"$OUT/loadgen" -write-key "$OUT/app.pem"

{ echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo "nproc: $(nproc)"; go version
  grep -m1 'model name' /proc/cpuinfo || true; grep MemTotal /proc/meminfo; } | tee "$OUT/machine.txt"

# config FILE DBURL: the GitHub URL and webhook secret are set by loadgen
# through the environment (GITHUB_V3_API_URL, GITHUB_APP_WEBHOOK_SECRET).
# Port 0 lets several servers share the file.
config() {
  cat >"$1" <<YAML
server: {address: 127.0.0.1, port: 0}
github:
  v3_api_url: http://127.0.0.1:1/
  app: {integration_id: 1, webhook_secret: placeholder, private_key_file: $OUT/app.pem}
database: {url: "$2"}
logging: {level: info, format: json}
workers: {concurrency: ${WORKERS:-10}}
YAML
}

# run NAME DBURL RATE [MIX [SECONDS [LOADGEN FLAGS...]]]
run() {
  local name=$1 db=$2 rate=$3 mix=${4:-$DEFAULT_MIX} s=${5:-$secs}
  shift $(($# < 5 ? $# : 5))
  config "$OUT/$name.yml" "$db"
  echo "== $name: $rate/s for ${s}s, $db, mix $mix $*" | tee "$OUT/$name.txt"
  timeout $((s + 300)) "$OUT/loadgen" -fake-github -secret loadgen-secret -seed 1 \
    -server-cmd "$OUT/reviewpolicy serve --config $OUT/$name.yml" -server-log "$OUT/$name.server.log" \
    -rate "$rate" -duration "${s}s" -warmup 1s -concurrency 256 -drain 180s -mix "$mix" ${LGFLAGS:-} "$@" | tee -a "$OUT/$name.txt"
}

fresh_sqlite() { rm -f "$OUT"/sqlite.db*; echo "sqlite://$OUT/sqlite.db"; } # also the inbox, sqlite.db.inbox*

want_sqlite() { [ "${ENGINE:-}" != postgres ]; }

have_pg() { [ "${ENGINE:-}" != sqlite ] && psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; }

# pg_run NAME RATE [MIX [SECONDS [LOADGEN FLAGS...]]]: run against a fresh
# PostgreSQL database, dropped afterwards even if the run fails.
pg_run() {
  local name=$1 rate=$2 dbname="loadgen_bench_$$_$1"
  shift 2
  dbname=${dbname//-/_}
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $dbname"
  run "$name" "postgres://postgres@127.0.0.1:5432/$dbname" "$rate" "$@" || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $dbname WITH (FORCE)"
}

for section in $sections; do
  case $section in
  sqlite)
    for rate in 100 250 500; do run "sqlite-$rate" "$(fresh_sqlite)" "$rate"; done
    # Diagnostic: the acknowledge path with jobs that call no GitHub at
    # all (ping), to separate the webhook's own cost from the jobs'.
    run sqlite-500-ping "$(fresh_sqlite)" 500 ping=100
    ;;
  postgres)
    if have_pg; then
      for rate in 100 250 500; do pg_run "postgres-$rate" "$rate"; done
    else echo "PostgreSQL not reachable on 127.0.0.1:5432; skipped"; fi
    ;;
  multi)
    # Three servers on one database, each on its own port, deliveries
    # round-robin; loadgen reports each process's peak RSS and the sum.
    if have_pg; then
      for rate in 100 250; do pg_run "postgres-3x-$rate" "$rate" "$DEFAULT_MIX" "$secs" -servers 3; done
    else echo "PostgreSQL not reachable on 127.0.0.1:5432; skipped"; fi
    ;;
  e2e)
    # End-to-end target: 100 pull_request events/s, every one matched to
    # the check run the fake GitHub receives for its head SHA.
    # Closed pull requests get no check run and are not tracked; a head
    # replaced by a later delivery of its pull request before its check
    # run is counted as superseded, not as missing.
    run sqlite-e2e-100 "$(fresh_sqlite)" 100 pull_request=100
    if have_pg; then pg_run postgres-e2e-100 100 pull_request=100; fi
    ;;
  soak)
    dur=${DURATION:-1800}
    soak=(100 "$DEFAULT_MIX" "$dur" -rss-every "${RSS_EVERY:-60s}" -rss-warmup "${RSS_WARMUP:-$((dur / 6))s}")
    case ${ENGINE:-sqlite} in
    sqlite) run "soak-sqlite-100-${dur}s" "$(fresh_sqlite)" "${soak[@]}" ;;
    postgres) if have_pg; then pg_run "soak-postgres-100-${dur}s" "${soak[@]}"
      else echo "PostgreSQL not reachable on 127.0.0.1:5432; skipped"; fi ;;
    *) echo "ENGINE must be sqlite or postgres, not $ENGINE" >&2; exit 2 ;;
    esac
    ;;
  replicas)
    export -f config
    OUT=$OUT SECS=$secs cmd/loadgen/replicas.sh
    ;;
  capacity)
    # Sent faster than jobs run, so the queue grows and the drain runs
    # saturated: jobs/s is the capacity. 2,000/s for 10 s is 20,000 jobs.
    for mix in ping=100 pull_request=100; do
      if want_sqlite; then run "cap-sqlite-${mix%=*}" "$(fresh_sqlite)" 2000 "$mix" 10; fi
      if have_pg; then pg_run "cap-postgres-${mix%=*}" 2000 "$mix" 10; fi
    done
    ;;
  capacity-pr)
    # capacity's pull-request half alone, for repeated runs.
    if want_sqlite; then run cap-sqlite-pull_request "$(fresh_sqlite)" 2000 pull_request=100 10; fi
    if have_pg; then pg_run cap-postgres-pull_request 2000 pull_request=100 10; fi
    ;;
  ack500)
    run ack-sqlite-500 "$(fresh_sqlite)" 500
    if have_pg; then pg_run ack-postgres-500 500; fi
    ;;
  ack)
    run ack-sqlite-500 "$(fresh_sqlite)" 500
    if have_pg; then pg_run ack-postgres-500 500; fi
    run ack-sqlite-1500-pr "$(fresh_sqlite)" 1500 pull_request=100
    if have_pg; then pg_run ack-postgres-1500-pr 1500 pull_request=100; fi
    ;;
  *) echo "unknown section $section" >&2; exit 2 ;;
  esac
done
