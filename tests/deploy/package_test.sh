#!/usr/bin/env bash
# Builds the Debian package of a build directory with cpack (into a scratch folder, not the build
# directory), unpacks it with `dpkg -x` into a scratch root and checks what an operator gets: the
# service and both tools runnable (--version prints the package version), the systemd unit starting
# the installed binary with the installed configuration, the configuration marked as a conffile,
# the maintainer scripts, examples and monitoring files, library dependencies, and no test server.
#
#   package_test.sh <cpack> <build dir> <version>
set -euo pipefail
CPACK="$1"
BUILD="$2"
VERSION="$3"
SCRATCH="$(mktemp -d "$BUILD/package-test.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

for tool in dpkg dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (Debian's dpkg / dpkg-dev)" >&2; exit 1; }
done

# -B keeps the package and cpack's staging tree (_CPack_Packages) out of the build directory.
if ! (cd "$BUILD" && "$CPACK" -G DEB -B "$SCRATCH/out" >"$SCRATCH/cpack.log" 2>&1); then
  cat "$SCRATCH/cpack.log" >&2
  echo "FAIL: cpack -G DEB" >&2
  exit 1
fi
shopt -s nullglob
debs=("$SCRATCH"/out/*.deb)
[ "${#debs[@]}" -eq 1 ] || { ls -l "$SCRATCH/out" >&2; echo "FAIL: expected one .deb, found ${#debs[@]}" >&2; exit 1; }
DEB="${debs[0]}"
echo "package: $(basename "$DEB") ($(du -h "$DEB" | cut -f1))"

# Control fields.
[ "$(dpkg-deb -f "$DEB" Package)" = aerospike-backup-service ] || fail "Package is $(dpkg-deb -f "$DEB" Package)"
[ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" ] || fail "Version is $(dpkg-deb -f "$DEB" Version), expected $VERSION"
depends="$(dpkg-deb -f "$DEB" Depends)"
for dep in adduser libc6 libssl3 libcurl4 libzstd1; do
  [[ "$depends" == *"$dep"* ]] || fail "Depends lacks $dep (dpkg-shlibdeps): $depends"
done
description="$(dpkg-deb -f "$DEB" Description)"
[[ "$description" == *abs-backup*abs-restore* ]] || fail "Description does not name the tools: $description"

# Maintainer scripts and conffiles.
mkdir "$SCRATCH/control"
dpkg-deb -e "$DEB" "$SCRATCH/control"
for f in postinst prerm conffiles; do
  [ -f "$SCRATCH/control/$f" ] || fail "control member $f missing"
done
for f in postinst prerm; do
  [ -x "$SCRATCH/control/$f" ] || fail "$f is not executable"
  sh -n "$SCRATCH/control/$f" || fail "$f is not valid sh"
done
CONFIG=/etc/aerospike-backup-service/aerospike-backup-service.yml
grep -qx "$CONFIG" "$SCRATCH/control/conffiles" || fail "$CONFIG is not a conffile"

# Files.
ROOT="$SCRATCH/root"
dpkg -x "$DEB" "$ROOT"
UNIT=/usr/lib/systemd/system/aerospike-backup-service.service
for f in /usr/bin/aerospike-backup-service /usr/bin/abs-backup /usr/bin/abs-restore; do
  [ -x "$ROOT$f" ] || fail "$f missing or not executable"
done
for f in "$UNIT" "$CONFIG" \
  /usr/share/doc/aerospike-backup-service/examples/local.yml /usr/share/doc/aerospike-backup-service/examples/s3.yml \
  /usr/share/aerospike-backup-service/grafana/aerospike-backup-service.json \
  /usr/share/aerospike-backup-service/prometheus/alerts.yml; do
  [ -f "$ROOT$f" ] || fail "$f missing"
done
if dpkg-deb -c "$DEB" | grep -q abs-test-server; then fail "abs-test-server is packaged (it is for tests only)"; fi
for f in "$ROOT"/usr/bin/*; do  # CPACK_STRIP_FILES: debug info stays in the build tree
  if readelf -S "$f" | grep -q '\.debug_info'; then fail "$f is not stripped"; fi
done

# The unit starts the packaged binary with the packaged configuration.
exec_start="$(sed -n 's/^ExecStart=//p' "$ROOT$UNIT")"
read -r -a cmd <<<"$exec_start"
[ -x "$ROOT${cmd[0]}" ] || fail "ExecStart runs ${cmd[0]}, which the package does not install"
[[ " ${cmd[*]} " == *" $CONFIG "* ]] || fail "ExecStart does not use $CONFIG: $exec_start"

# Each installed binary runs and prints the package version.
for b in aerospike-backup-service abs-backup abs-restore; do
  if ! out="$("$ROOT/usr/bin/$b" --version 2>&1)"; then
    fail "$b --version failed: $out"
  elif [[ "$out" != *"$VERSION"* ]]; then
    fail "$b --version printed \"$out\", not the package version $VERSION"
  else
    echo "$b --version: $out"
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "package checks passed"
