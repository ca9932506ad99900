#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo: a paper session of the sample strategy over
# the bundled real Kraken recording (tests/data/kraken), no services needed.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec ./build/tradehost run config/demo.lua --paper "$@"
