#!/usr/bin/env bash
# A scripted tour of the backup service's REST API with curl, printing every request and the real
# response: on-demand full backup, listing, an incremental backup, a point-in-time restore into the
# test server's `bar` namespace, the restore job's status, the jobs list and the backup metrics.
#
#   scripts/tour.sh [BASE_URL]        (default http://127.0.0.1:8080; the service of run-service.sh)
#
# Needs the routine "demo" and the cluster "local-test-server" of examples/local.yml.
set -euo pipefail
BASE="${1:-http://127.0.0.1:8080}"
ROUTINE=demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
call() {  # METHOD PATH [BODY]: prints the request, the status and the body
  local method="$1" path="$2" body="${3:-}"
  echo "\$ curl -X $method $BASE$path${body:+ -d '$body'}"
  local out
  if [ -n "$body" ]; then
    out=$(curl -sS -X "$method" -H 'Content-Type: application/json' -d "$body" -w '\n%{http_code}' "$BASE$path")
  else
    out=$(curl -sS -X "$method" -w '\n%{http_code}' "$BASE$path")
  fi
  RESPONSE_STATUS="${out##*$'\n'}"
  RESPONSE="${out%$'\n'*}"
  echo "HTTP $RESPONSE_STATUS"
  [ -n "$RESPONSE" ] && echo "$RESPONSE"
  return 0
}
count_entries() { grep -o '"namespace"' <<<"$1" | wc -l; }
wait_for() {  # PATH MIN_ENTRIES: polls a backup listing until it has at least MIN entries
  for _ in $(seq 1 300); do
    local n
    n=$(count_entries "$(curl -sS "$BASE$1")")
    if [ "$n" -ge "$2" ]; then return 0; fi
    sleep 0.2
  done
  echo "tour: timed out waiting for $1" >&2
  return 1
}

say "The routine"
call GET "/v1/config/routines/$ROUTINE"

say "On-demand full backup"
before=$(count_entries "$(curl -sS "$BASE/v1/backups/full/$ROUTINE")")
call POST "/v1/backups/full/$ROUTINE"
call GET "/v1/backups/currentBackup/$ROUTINE"
wait_for "/v1/backups/full/$ROUTINE" $((before + 1)) || true

say "Full backups of the routine"
call GET "/v1/backups/full/$ROUTINE"

say "On-demand incremental backup (only records changed since the last backup; an empty one is not kept)"
call POST "/v1/backups/incremental/$ROUTINE"
sleep 2
call GET "/v1/backups/incremental/$ROUTINE"

say "Point-in-time restore: now, into namespace bar of the same test server"
NOW=$(($(date +%s%N) / 1000000))
call POST /v1/restore/timestamp \
  "{\"routine\":\"$ROUTINE\",\"time\":$NOW,\"destination-name\":\"local-test-server\",\"policy\":{\"namespace\":{\"source\":\"test\",\"destination\":\"bar\"}}}"
JOB="$RESPONSE"

say "Restore job status"
for _ in $(seq 1 300); do
  st=$(curl -sS "$BASE/v1/restore/status/$JOB")
  grep -q '"status":"running"' <<<"$st" || break
  sleep 0.2
done
call GET "/v1/restore/status/$JOB"

say "All restore jobs"
call GET /v1/restore/jobs

say "Backup metrics"
echo "\$ curl $BASE/metrics | grep aerospike_backup_service_"
curl -sS "$BASE/metrics" | grep '^aerospike_backup_service_' | grep -v '_bucket{' || true
