#!/usr/bin/env bash
# Prints, every half second until interrupted, what a server's /metrics says
# of its jobs: delivery jobs and evaluations finished, the job gate's bound,
# the queue, the process's CPU seconds, and the seconds queries waited for
# a connection of its main pool (docs/capacity.md).
#
#   cmd/loadgen/series.sh http://127.0.0.1:PORT/metrics
#
# The server's port is on its "listening on" line, or: ss -ltnp | grep reviewpolicy
set -euo pipefail
url=$1
while :; do
  m=$(curl -sf "$url") || { sleep 0.5; continue; }
  awk -v t="$(date +%T.%N | cut -c1-11)" '
    /^reviewpolicy_job_duration_seconds_count\{kind="delivery:/ { jobs += $2 }
    /^reviewpolicy_job_duration_seconds_count\{kind="evaluate"/ { evals += $2 }
    /^reviewpolicy_delivery_job_limit / { limit = $2 }
    /^reviewpolicy_queue_depth / { queue = $2 }
    /^process_cpu_seconds_total / { cpu = $2 }
    /^go_sql_wait_duration_seconds_total\{db_name="main"\}/ { wait = $2 }
    END { printf "%s deliveries=%d evaluations=%d limit=%s queue=%s cpu_s=%s main_wait_s=%.1f\n", t, jobs, evals, limit, queue, cpu, wait }' <<<"$m"
  sleep 0.5
done
