#!/usr/bin/env bash
# API latency of the backup service while two backups run: p50/p99/max of GET requests
# (backup listing, current backup progress, metrics), measured with curl against the built binary,
# an abs-test-server process with sample records and local storage. Results go to stdout as a
# Markdown table row (append it to bench/RESULTS.md).
#
#   bench/api_latency.sh [BUILD_DIR] [REQUESTS] [RECORDS]
#     BUILD_DIR  default build (needs targets aerospike-backup-service and abs-test-server)
#     REQUESTS   requests per endpoint (default 300)
#     RECORDS    sample records in the test server (default 200000)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
REQUESTS="${2:-300}"
RECORDS="${3:-200000}"
SVC="$BUILD/src/app/aerospike-backup-service"
TS="$BUILD/src/testserver/abs-test-server"
for b in "$SVC" "$TS"; do
  [ -x "$b" ] || { echo "api_latency: $b missing: cmake --build $BUILD --target aerospike-backup-service abs-test-server" >&2; exit 1; }
done
WORK="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
SEED=$(free_port)
HTTP=$(free_port)
cleanup() {
  [ -n "${SVC_PID:-}" ] && kill -TERM "$SVC_PID" 2>/dev/null && wait "$SVC_PID" 2>/dev/null || true
  [ -n "${TS_PID:-}" ] && kill -TERM "$TS_PID" 2>/dev/null && wait "$TS_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$TS" --port "$SEED" --namespaces test,bar --sample-records "$RECORDS" >"$WORK/ts.log" 2>&1 &
TS_PID=$!
wait_port "$SEED"
# Two routines; the catch-up at start-up begins a full backup of each at once.
cat >"$WORK/config.yml" <<EOF
service:
  http: {address: 127.0.0.1, port: $HTTP, rate: {white-list: ["0.0.0.0/0"]}}
  logger: {level: WARN}
aerospike-clusters:
  src: {seed-nodes: [{host-name: 127.0.0.1, port: $SEED}]}
storage:
  local: {local-storage: {path: $WORK/storage}}
backup-policies:
  p: {parallel: 4, records-per-second: 10000}   # keeps both backups running during the measurement
backup-routines:
  a: {source-cluster: src, storage: local, backup-policy: p, interval-cron: "0 0 0 1 1 ?", namespaces: [test]}
  b: {source-cluster: src, storage: local, backup-policy: p, interval-cron: "0 0 0 1 1 ?", namespaces: [test]}
EOF
"$SVC" -c "$WORK/config.yml" >"$WORK/svc.log" 2>&1 &
SVC_PID=$!
wait_port "$HTTP"
BASE="http://127.0.0.1:$HTTP"
running() { curl -s "$BASE/v1/backups/currentBackup/$1" | grep -q '"full"'; }
for _ in $(seq 1 100); do running a && running b && break; sleep 0.1; done
running a && running b || { echo "api_latency: backups did not start" >&2; cat "$WORK/svc.log" >&2; exit 1; }

: >"$WORK/times"
for path in /v1/backups/full/a /v1/backups/currentBackup/a /metrics; do
  for _ in $(seq 1 "$REQUESTS"); do
    curl -s -o /dev/null -w '%{time_total}\n' "$BASE$path" >>"$WORK/times"
  done
done
still=$(running a && running b && echo yes || echo no)
sort -g "$WORK/times" | awk -v still="$still" -v recs="$RECORDS" '
  { t[NR] = $1 * 1000 }
  END {
    p50 = t[int(NR * 0.50) + 1]; p99 = t[int(NR * 0.99) + 1]; max = t[NR];
    printf "| %d GETs (listing, progress, metrics) | 2 full backups of %d records running (still running at the end: %s) | p50 %.2f ms | p99 %.2f ms | max %.2f ms |\n", NR, recs, still, p50, p99, max
  }'
