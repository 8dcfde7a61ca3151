#!/usr/bin/env bash
# The layer rules (docs/design.md): every `#include "<folder>/..."` in src/ must name the file's own
# folder or one the table below allows it; anything else runs upward or sideways and fails the check.
#
#   app, tools → service → engines (backup, restore) → format/storage/client/secrets → protocol → common
#   inside service: api, scheduler and jobs → model → config (+ cron); metrics beside them;
#   api never includes jobs or scheduler.
#
# Usage: check_layers.sh [repository root]   (default: the repository holding this script)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

lower="client format storage secrets protocol common"
engines="backup restore $lower"
service_base="service/config service/cron service/metrics"

# folder under src/ -> the folders it may include besides itself (service/* is one folder each).
declare -A allowed=(
  [common]=""
  [protocol]="common"
  [client]="protocol common"
  [format]="protocol common"
  [storage]="protocol common"
  [secrets]="protocol common"
  [testserver]="protocol common"
  [backup]="$lower"
  [restore]="$lower"
  [tools]="$engines"
  [service/cron]="common"
  [service/config]="service/cron common"
  [service/metrics]="common"
  [service/model]="$service_base $engines"
  [service/api]="service/model $service_base $engines"
  [service/scheduler]="service/model $service_base $engines"
  [service/jobs]="service/model service/scheduler $service_base $engines"
  [app]="service/model service/api service/scheduler service/jobs $service_base $engines"
)

# The layer a path belongs to: "service/<sub>" inside src/service, else the first folder.
layer_of() {
  local p=$1
  case $p in
    service/*/*) echo "${p%%/*}/$(echo "$p" | cut -d/ -f2)" ;;
    */*) echo "${p%%/*}" ;;
    *) echo "" ;;  # a bare "x.h": the file's own folder
  esac
}

violations=0
cd "$root"
while IFS= read -r file; do
  rel=${file#src/}
  from=$(layer_of "$rel")
  if [[ -z ${allowed[$from]+set} ]]; then
    echo "layers: $file: src/$from has no rule; add it to the table in tests/layers/check_layers.sh"
    violations=$((violations + 1))
    continue
  fi
  while IFS= read -r inc; do
    to=$(layer_of "$inc")
    [[ -z $to || $to == "$from" ]] && continue
    [[ " ${allowed[$from]} " == *" $to "* ]] && continue
    echo "layers: $file includes \"$inc\": src/$from may not depend on src/$to"
    violations=$((violations + 1))
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find src -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cpp' -o -name '*.hpp' \) | sort)

if ((violations > 0)); then
  echo "layers: $violations include(s) against the layer rules"
  exit 1
fi
echo "layers: every include in src/ follows the layer rules"
