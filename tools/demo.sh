#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo: paper market making on the five pairs of
# the bundled real Kraken recording (tests/data/kraken) at 3x its pace, with a live status view
# (redrawn in place on a terminal, plain lines otherwise), then the session's summary and the
# path of its HTML report. No Redis, no PostgreSQL, no network (config/demo.lua).
# TH_DEMO_BIN=path/to/tradehost skips the install and the build (tests/functional/test_demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TH_DEMO_BIN:-}
if [ -z "$bin" ]; then
  ./tools/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)"
  bin=./build/tradehost
fi
exec "$bin" run config/demo.lua --paper "$@"
