#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: builds the server and loadgen,
# then runs bounded open-loop loads against SQLite and PostgreSQL with the
# in-process fake GitHub. Everything stays on 127.0.0.1.
#
#   cmd/loadgen/bench.sh [seconds]     # default 30 s per run
#
# Needs a PostgreSQL on 127.0.0.1:5432 that user postgres can reach without
# a password (psql -h 127.0.0.1 -U postgres); the PostgreSQL runs are
# skipped otherwise. Results go to $OUT (default /tmp/lgbench).
set -euo pipefail

cd "$(dirname "$0")/../.."
secs=${1:-30}
OUT=${OUT:-/tmp/lgbench}
mkdir -p "$OUT"

go build -o "$OUT/reviewpolicy" ./cmd/reviewpolicy
go build -o "$OUT/loadgen" ./cmd/loadgen
"$OUT/loadgen" -write-key "$OUT/app.pem"

{ echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo "nproc: $(nproc)"; go version
  grep -m1 'model name' /proc/cpuinfo || true; grep MemTotal /proc/meminfo; } | tee "$OUT/machine.txt"

# config FILE DBURL [WORKERS]: the GitHub URL and webhook secret are set by
# loadgen through the environment (GITHUB_V3_API_URL, GITHUB_APP_WEBHOOK_SECRET).
config() {
  cat >"$1" <<YAML
server: {address: 127.0.0.1, port: 0}
github:
  v3_api_url: http://127.0.0.1:1/
  app: {integration_id: 1, webhook_secret: placeholder, private_key_file: $OUT/app.pem}
database: {url: "$2"}
logging: {level: info, format: json}
workers: {concurrency: ${3:-10}}
YAML
}

# run NAME DBURL RATE [WORKERS [MIX]]
run() {
  local name=$1 db=$2 rate=$3 workers=${4:-10} mix=${5:-pull_request=70,pull_request_review=20,check_suite=5,ping=5}
  config "$OUT/$name.yml" "$db" "$workers"
  echo "== $name: $rate/s for ${secs}s, $db, workers $workers" | tee "$OUT/$name.txt"
  timeout $((secs + 240)) "$OUT/loadgen" -fake-github -secret loadgen-secret -seed 1 \
    -server-cmd "$OUT/reviewpolicy serve --config $OUT/$name.yml" -server-log "$OUT/$name.server.log" \
    -rate "$rate" -duration "${secs}s" -concurrency 256 -drain 180s -mix "$mix" | tee -a "$OUT/$name.txt"
}

for rate in 100 250 500; do
  rm -f "$OUT"/sqlite.db*
  run "sqlite-$rate" "sqlite://$OUT/sqlite.db" "$rate"
done

# Diagnostic: the acknowledge path with jobs that call no GitHub at all
# (ping), to separate the webhook's own cost from the jobs competing for
# SQLite's single connection and the two CPUs.
rm -f "$OUT"/sqlite.db*
run sqlite-500-ping "sqlite://$OUT/sqlite.db" 500 10 ping=100

if psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; then
  for rate in 100 250 500; do
    dbname="loadgen_bench_$$_$rate"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $dbname"
    run "postgres-$rate" "postgres://postgres@127.0.0.1:5432/$dbname" "$rate" || true
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $dbname WITH (FORCE)"
  done
else
  echo "PostgreSQL not reachable on 127.0.0.1:5432; skipped"
fi
