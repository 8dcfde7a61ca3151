#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in their own build directory and runs the .asb reader
# fuzzer for SECONDS over the committed corpus (fuzz/corpus/asb_reader, read-only; new inputs go to
# a scratch directory). Exits non-zero if the fuzzer finds a crash, leak or timeout; the input that
# triggered it is left in $BUILD_DIR/artifacts/.
# Usage: fuzz/run.sh SECONDS     env: FUZZ_BUILD_DIR (default build-fuzz), JOBS (default 2)
set -euo pipefail
SECONDS_TO_RUN=${1:?usage: fuzz/run.sh SECONDS}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DABS_BUILD_FUZZ=ON -DABS_BUILD_TESTS=OFF -DABS_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" >/dev/null
cmake --build "$BUILD_DIR" --target asb_reader_fuzz -j "${JOBS:-2}"

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$BUILD_DIR/artifacts"
echo "fuzzing the .asb reader for ${SECONDS_TO_RUN}s"
"$BUILD_DIR/fuzz/asb_reader_fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/" \
  "$SCRATCH" "$ROOT/fuzz/corpus/asb_reader"
