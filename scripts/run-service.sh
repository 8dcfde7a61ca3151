#!/usr/bin/env bash
# The README's main command: builds the service and starts it on an embedded default set-up.
#
#   scripts/run-service.sh [--no-setup] [--tour] [--records N]
#
#   --no-setup    skip scripts/setup.sh (which installs the dependencies; it is quick when they are there)
#   --tour        after start-up, play the scripted API tour (scripts/tour.sh), then stop everything
#   --records N   sample records written into the test server (default 10000)
#
# What it starts: the project's test server (abs-test-server --sample-records N) as the Aerospike
# cluster, and aerospike-backup-service with examples/local.yml (local storage under the data folder,
# a routine taking a full and an incremental backup every minute). Ctrl-C (or SIGTERM) stops both.
#
# Environment: ABS_BUILD_DIR (default build-run), ABS_DATA_DIR (default ./data), ABS_HTTP_PORT (8080),
# ABS_SEED_PORT (3000). Pointing the same binary at a real cluster and S3 is a configuration change:
# see examples/s3.yml and run build-run/src/app/aerospike-backup-service -c <file>.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${ABS_BUILD_DIR:-$ROOT/build-run}"
DATA="${ABS_DATA_DIR:-$ROOT/data}"
HTTP_PORT="${ABS_HTTP_PORT:-8080}"
SEED_PORT="${ABS_SEED_PORT:-3000}"
RECORDS=10000
SETUP=1
TOUR=0
while [ $# -gt 0 ]; do
  case "$1" in
    --setup) SETUP=1 ;;  # the default; kept for older instructions
    --no-setup) SETUP=0 ;;
    --tour) TOUR=1 ;;
    --records) RECORDS="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run-service: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$SETUP" = 1 ]; then bash "$ROOT/scripts/setup.sh"; fi

echo "run-service: building into $BUILD"
# A fresh build directory skips tests and benchmarks; an existing one keeps its settings.
if [ -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" >/dev/null
else
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DABS_BUILD_TESTS=OFF -DABS_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD" --target aerospike-backup-service abs-test-server -j"$(nproc)"
SERVICE_BIN="$BUILD/src/app/aerospike-backup-service"
TEST_SERVER_BIN="$BUILD/src/testserver/abs-test-server"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # port, pid, what
  for _ in $(seq 1 200); do
    if port_busy "$1"; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then echo "run-service: $3 exited; see its log" >&2; return 1; fi
    sleep 0.1
  done
  echo "run-service: $3 did not open port $1" >&2
  return 1
}
for p in "$HTTP_PORT" "$SEED_PORT"; do
  if port_busy "$p"; then
    echo "run-service: port $p is in use; set ABS_HTTP_PORT / ABS_SEED_PORT" >&2
    exit 1
  fi
done

mkdir -p "$DATA/storage"
CONFIG="$DATA/aerospike-backup-service.yml"
sed -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@SEED_PORT@|$SEED_PORT|g" -e "s|@STORAGE_DIR@|$DATA/storage|g" \
  "$ROOT/examples/local.yml" >"$CONFIG"

TS_PID=""
SVC_PID=""
cleanup() {
  if [ -n "$SVC_PID" ] && kill -0 "$SVC_PID" 2>/dev/null; then kill -TERM "$SVC_PID"; wait "$SVC_PID" || true; fi
  if [ -n "$TS_PID" ] && kill -0 "$TS_PID" 2>/dev/null; then kill -TERM "$TS_PID"; wait "$TS_PID" || true; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "run-service: starting abs-test-server on 127.0.0.1:$SEED_PORT with $RECORDS sample records (test/sample)"
"$TEST_SERVER_BIN" --port "$SEED_PORT" --namespaces test,bar --sample-records "$RECORDS" >"$DATA/test-server.log" 2>&1 &
TS_PID=$!
wait_port "$SEED_PORT" "$TS_PID" abs-test-server

echo "run-service: starting aerospike-backup-service -c $CONFIG (log: $DATA/service.log)"
"$SERVICE_BIN" -c "$CONFIG" > >(tee "$DATA/service.log") 2>&1 &
SVC_PID=$!
wait_port "$HTTP_PORT" "$SVC_PID" aerospike-backup-service

BASE="http://127.0.0.1:$HTTP_PORT"
cat <<EOF

  Aerospike Backup Service is running.
    REST API      $BASE/v1/   (e.g. curl $BASE/v1/backups/full)
    OpenAPI page  $BASE/api-docs/
    Metrics       $BASE/metrics
    Config        $CONFIG
    Backups       $DATA/storage/demo/
  Routine "demo" takes a full backup every minute (second 0) and an incremental one at second 30.
  Tour of the API: scripts/tour.sh $BASE     Stop: Ctrl-C

EOF

if [ "$TOUR" = 1 ]; then
  "$ROOT/scripts/tour.sh" "$BASE"
  exit 0
fi
wait "$SVC_PID"
