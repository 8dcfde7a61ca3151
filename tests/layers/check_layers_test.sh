#!/usr/bin/env bash
# Test of check_layers.sh on small made-up trees: a clean tree passes, each kind of include the
# layer rules forbid fails naming the file and the include.
set -euo pipefail
check="$(cd "$(dirname "$0")" && pwd)/check_layers.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# tree <name> <file> <include>...: a tree with a clean base plus <file> including each <include>.
tree() {
  local dir=$work/$1 file=$2
  shift 2
  mkdir -p "$dir/src/common" "$dir/src/service/model" "$dir/src/service/jobs"
  echo '#include <string>' > "$dir/src/common/status.h"
  printf '#include "common/status.h"\n' > "$dir/src/service/model/types.h"
  printf '#include "service/model/types.h"\n#include "service/scheduler/scheduler.h"\n' \
    > "$dir/src/service/jobs/backup_service.h"
  if [[ -n $file ]]; then
    mkdir -p "$(dirname "$dir/$file")"
    : > "$dir/$file"
    for inc in "$@"; do printf '#include "%s"\n' "$inc" >> "$dir/$file"; done
  fi
  echo "$dir"
}

expect() {  # expect <pass|fail> <name> <expected output fragment> <file> <include>...
  local want=$1 name=$2 fragment=$3
  shift 3
  local dir out rc=0
  dir=$(tree "$name" "$@")
  out=$(bash "$check" "$dir" 2>&1) || rc=$?
  if [[ $want == pass && $rc -ne 0 ]] || [[ $want == fail && $rc -eq 0 ]]; then
    echo "FAIL $name: expected $want, exit code $rc; output:"; echo "$out"; failures=$((failures + 1)); return
  fi
  if [[ $out != *"$fragment"* ]]; then
    echo "FAIL $name: output lacks \"$fragment\":"; echo "$out"; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

expect pass clean "every include in src/ follows the layer rules" ""
expect pass own-folder-and-bare "follows the layer rules" src/storage/s3/s3.cc storage/storage.h local.h
expect fail api-includes-jobs \
  'src/service/api/api_server.cc includes "service/jobs/backup_service.h": src/service/api may not depend on src/service/jobs' \
  src/service/api/api_server.cc service/model/types.h service/jobs/backup_service.h
expect fail api-includes-scheduler 'src/service/api may not depend on src/service/scheduler' \
  src/service/api/x.h service/scheduler/scheduler.h
expect fail scheduler-includes-api 'src/service/scheduler may not depend on src/service/api' \
  src/service/scheduler/scheduler.h service/api/backup_service.h
expect fail jobs-includes-api 'src/service/jobs may not depend on src/service/api' \
  src/service/jobs/connections.h service/api/config_source.h
expect fail model-includes-jobs 'src/service/model may not depend on src/service/jobs' \
  src/service/model/x.cc service/jobs/backup_service.h
expect fail config-includes-model 'src/service/config may not depend on src/service/model' \
  src/service/config/config.h service/model/types.h
expect fail metrics-includes-scheduler 'src/service/metrics may not depend on src/service/scheduler' \
  src/service/metrics/metrics.h service/scheduler/scheduler.h
expect fail storage-includes-service 'src/storage may not depend on src/service' \
  src/storage/factory.cc service/config/config.h
expect fail backup-includes-app 'src/backup may not depend on src/app' src/backup/backup.cc app/logging.h
expect fail engine-includes-tools 'src/backup may not depend on src/tools' src/backup/backup.cc tools/tool_options.h
expect fail sideways-engines 'src/restore may not depend on src/backup' src/restore/restore.cc backup/backup.h
expect fail upward-to-client 'src/protocol may not depend on src/client' src/protocol/msg.h client/cluster.h
expect fail unknown-folder 'src/newlayer has no rule' src/newlayer/x.h common/status.h

if ((failures > 0)); then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases passed"
