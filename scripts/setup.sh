#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine: compilers, libraries,
# Node.js 20 + npm for the test peers, and the pinned npm packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(build-essential cmake ninja-build pkg-config git python3
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libcurl4-openssl-dev libssl-dev libcrypt-dev libzstd-dev zlib1g-dev libpugixml-dev
  clang libclang-rt-14-dev curl
  prometheus)  # for promtool (alert rule tests, tests/deploy); its server is stopped below
# Node.js runs the test peers only. Keep a Node.js that is already installed (CI images carry Node 20,
# for which the official Aerospike client ships a prebuilt binding); otherwise take Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PKGS+=(nodejs npm)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The tests need only promtool: stop and disable the Prometheus server the package just started.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

# Node.js test peers (official Aerospike client, s3rver, azurite), pinned by tests/node/package-lock.json.
if [ -f tests/node/package.json ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 18 ]; then
    echo "setup: Node.js >= 18 is needed for the test peers (found $(node --version))" >&2
    exit 1
  fi
  # A symlinked node_modules (a git worktree sharing another checkout's) is left alone: `npm ci` would
  # empty the shared folder through the link and then replace the link by a folder of its own.
  if [ -L tests/node/node_modules ]; then
    echo "setup: tests/node/node_modules is a link to $(readlink tests/node/node_modules); not reinstalling it"
  elif [ ! -d tests/node/node_modules ] || [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then
    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "setup: done"
