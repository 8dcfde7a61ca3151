#!/usr/bin/env bash
# CTest driver of the Node.js cross-check (issue 3 §4): starts abs-test-server as a real process
# (or uses AEROSPIKE_TEST_HOST=host:port, a real server), then runs one direction:
#   node-to-cpp: the official Node.js client writes/reads/scans/infos (crosscheck.js write), then OUR
#                client checks every record against its manifest (crosscheck_reader verify);
#   cpp-to-node: OUR client writes (crosscheck_reader write), the Node.js client checks (crosscheck.js verify).
# The records are deleted at the end (so a shared real server is left clean).
#
# usage: run_crosscheck.sh <node-to-cpp|cpp-to-node> <abs-test-server> <crosscheck_reader>
# Exit: 0 pass, 1 fail (also when Node.js or the official client is missing), 77 skipped (only on a
# Node.js other than 20, which cannot load the client's prebuilt binding).
set -uo pipefail

direction=${1:?direction}
server_bin=${2:?abs-test-server path}
reader_bin=${3:?crosscheck_reader path}
here=$(cd "$(dirname "$0")" && pwd)
SKIP=77

# A missing peer fails the test and says how to get it.
unusable() {
  echo "FAIL: $1: install the test peers with 'bash scripts/setup.sh' (Node.js 20, npm ci in tests/node)" >&2
  exit 1
}
command -v node >/dev/null 2>&1 || unusable "Node.js (node) is not on PATH"
[[ -d "$here/node_modules/aerospike" ]] || unusable "the official Aerospike Node.js client (tests/node/node_modules/aerospike) is missing"
if ! load_err=$(cd "$here" && timeout 60 node -e "require('aerospike')" 2>&1); then
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo '?')
  # A Node.js other than 20 cannot load the prebuilt binding: skip there, even in CI.
  if [[ "$node_major" != "20" ]]; then
    echo "SKIP: the aerospike binding cannot be loaded by Node.js $(node --version) (needs 20): ${load_err##*$'\n'}" >&2
    exit $SKIP
  fi
  unusable "Node.js $(node --version) cannot load the aerospike binding: $load_err"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/abs-crosscheck.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "${host:-}" && -n "$(ls "$work"/*.json 2>/dev/null)" ]]; then
    timeout 60 "$reader_bin" cleanup --host "$host" $(for m in "$work"/*.json; do echo --manifest "$m"; done) >/dev/null 2>&1 || true
  fi
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${AEROSPIKE_TEST_HOST:-}" ]]; then
  host=$AEROSPIKE_TEST_HOST
  echo "using the real server at $host"
else
  # Three nodes with replication factor 2, so scans, writes and set estimates go through a real
  # partition map with replicas; the server prints its seed.
  exec 3< <(exec "$server_bin" --port 0 --nodes 3 --replication-factor 2 2>&1)
  server_pid=$!
  host=""
  while IFS= read -r -t 15 -u 3 line; do
    echo "abs-test-server: $line"
    if [[ "$line" == seed\ * ]]; then host=${line#seed }; break; fi
  done
  if [[ -z "$host" ]]; then
    echo "FAIL: abs-test-server did not print its seed address within 15 s" >&2
    exit 1
  fi
fi

set_name="xc-$direction-$$-$(date +%s)"
manifest="$work/manifest.json"
case "$direction" in
  node-to-cpp)
    echo "== Node.js client writes, reads, scans, infos (set $set_name)"
    (cd "$here" && timeout 300 node crosscheck.js write --host "$host" --set "$set_name" --manifest "$manifest") || exit 1
    echo "== our client checks what the Node.js client wrote"
    timeout 300 "$reader_bin" verify --host "$host" --manifest "$manifest" || exit 1
    ;;
  cpp-to-node)
    echo "== our client writes (set $set_name)"
    timeout 300 "$reader_bin" write --host "$host" --set "$set_name" --manifest "$manifest" || exit 1
    echo "== the Node.js client checks what our client wrote"
    (cd "$here" && timeout 300 node crosscheck.js verify --host "$host" --manifest "$manifest") || exit 1
    echo "== our client reads its own records back (round trip, tells client faults from Node.js ones)"
    timeout 300 "$reader_bin" verify --host "$host" --manifest "$manifest" || exit 1
    ;;
  *)
    echo "unknown direction '$direction'" >&2
    exit 2
    ;;
esac
echo "PASS: $direction"
