#!/usr/bin/env bash
# Client benchmark of issue 3 §5: on abs-test-server with N records (~200 bytes, mixed bins), our
# client's bulk put and full partition scan against the official Node.js client doing the same in
# the same run, with peak RSS; prints a comparison table (target: our scan >= 2x Node.js).
#
#   bench/client_bench.sh [N] [build dir]          (N default 1000000; build dir default build)
#   env: NODES (server nodes, default 1), THREADS (batches in flight, default 2), BATCH (default 5000)
#
# Order: our put of set ours (N records) -> our scan of ours -> Node.js scan of ours ->
# Node.js put of set node (N records) -> Node.js scan of node -> our scan of node. Every step is
# its own process so that peak RSS (VmHWM) is per step. The server is stopped at the end.
set -euo pipefail

N=${1:-1000000}
BUILD=${2:-build}
NODES=${NODES:-1}
THREADS=${THREADS:-2}
BATCH=${BATCH:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
[[ "$BUILD" = /* ]] || BUILD="$root/$BUILD"
server="$BUILD/src/testserver/abs-test-server"
bench="$BUILD/bench/client_bench"
for f in "$server" "$bench"; do
  [[ -x "$f" ]] || { echo "missing $f: cmake --build $BUILD --target abs-test-server client_bench" >&2; exit 2; }
done
command -v node >/dev/null || { echo "node is not on PATH" >&2; exit 2; }
[[ -d "$root/tests/node/node_modules/aerospike" ]] || { echo "run 'npm ci' in tests/node first" >&2; exit 2; }

server_pid=""
server_out=$(mktemp)
stop_server() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -f "$server_out"
}
trap stop_server EXIT

exec 3< <(exec "$server" --port 0 --nodes "$NODES" 2>&1)
server_pid=$!
host=""
while IFS= read -r -t 15 -u 3 line; do
  if [[ "$line" == seed\ * ]]; then host=${line#seed }; break; fi
done
[[ -n "$host" ]] || { echo "abs-test-server printed no seed address" >&2; exit 1; }
server_rss() { awk '/VmRSS/{print $2}' "/proc/$server_pid/status"; }

# key=value line -> value of one key
val() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1==k{print $2}'; }

echo "# client benchmark: N=$N nodes=$NODES threads=$THREADS batch=$BATCH server=$host ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
# CPU seconds the server has used so far (utime + stime).
tck=$(getconf CLK_TCK)
server_cpu() { awk -v t="$tck" '{printf "%.2f", ($14 + $15) / t}' "/proc/$server_pid/stat"; }
# Runs one step; appends the server's CPU seconds for it to the step's line.
run() {
  echo "## $*" >&2
  local c0 out
  c0=$(server_cpu)
  out=$("$@") || { echo "step failed: $*" >&2; return 1; }
  echo "$out server_cpu_seconds=$(awk -v a="$(server_cpu)" -v b="$c0" 'BEGIN{printf "%.2f", a-b}')"
}
ours_put=$(run "$bench" put --host "$host" --set ours --records "$N" --threads "$THREADS" --batch "$BATCH")
bpr=$(( $(val "$ours_put" bytes) / N ))
ours_scan=$(run "$bench" scan --host "$host" --set ours --expect "$N")
node_scan=$(run node "$root/bench/node_scan.js" scan --host "$host" --set ours --expect "$N" --bytes-per-record "$bpr")
node_put=$(run node "$root/bench/node_scan.js" put --host "$host" --set node --records "$N" --concurrency "$THREADS" --batch "$BATCH" --bytes-per-record "$bpr")
node_scan2=$(run node "$root/bench/node_scan.js" scan --host "$host" --set node --expect "$N" --bytes-per-record "$bpr")
ours_scan2=$(run "$bench" scan --host "$host" --set node --expect "$N")
srv_rss=$(server_rss)

printf '\n%-28s %12s %10s %9s %13s %11s %14s\n' step records/s MB/s seconds "peak RSS MiB" "client CPU s" "server CPU s"
row() { printf '%-28s %12s %10s %9s %13s %11s %14s\n' "$1" "$(val "$2" rec_per_s)" "$(val "$2" mb_per_s)" "$(val "$2" seconds)" \
          "$(( $(val "$2" vmhwm_kib) / 1024 ))" "$(val "$2" cpu_seconds)" "$(val "$2" server_cpu_seconds)"; }
row "ours  bulk put (set ours)" "$ours_put"
row "ours  scan (set ours)" "$ours_scan"
row "node  scan (set ours)" "$node_scan"
row "node  bulk put (set node)" "$node_put"
row "node  scan (set node)" "$node_scan2"
row "ours  scan (set node)" "$ours_scan2"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo
echo "scan ratio ours/node (set ours): $(ratio "$(val "$ours_scan" rec_per_s)" "$(val "$node_scan" rec_per_s)")x"
echo "scan ratio ours/node (set node): $(ratio "$(val "$ours_scan2" rec_per_s)" "$(val "$node_scan2" rec_per_s)")x"
echo "put  ratio ours/node:            $(ratio "$(val "$ours_put" rec_per_s)" "$(val "$node_put" rec_per_s)")x"
echo "record size: $bpr bytes (bin names + values); server RSS after the run: $(( srv_rss / 1024 )) MiB"
