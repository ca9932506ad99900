#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the normal build (unit, Lua specs,
# functional tests incl. valgrind) and the ASan+UBSan build (same suites). Exit status is ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
# the benchmarks are not in `all` (bench/ runs them); building them here keeps them building
cmake --build build -j"$jobs" --target bench_market bench_safety bench_sim bench_dispatch
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTH_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests (release build) =="
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== tests (ASan + UBSan build) =="
ctest --test-dir build-asan --output-on-failure -j"$jobs"
echo "== fuzz (libFuzzer, bounded) =="
./tools/fuzz.sh 30
