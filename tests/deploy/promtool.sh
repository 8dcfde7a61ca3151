#!/usr/bin/env bash
# Runs promtool with the given arguments (e.g. `check rules alerts.yml`); fails, naming the package,
# when promtool is not installed, so a missing tool can never pass as a skipped check.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: install Debian's prometheus package (bash scripts/setup.sh does)" >&2
  exit 1
fi
exec promtool "$@"
