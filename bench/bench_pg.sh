#!/usr/bin/env bash
# bench/bench_pg.sh — the PostgreSQL history alone: bench_stores.sh --stores pg.
#   bench/bench_pg.sh [runs] [seconds] [pairs]        (default 3 runs of 4 s, 100 pairs)
exec "$(dirname "$0")/bench_stores.sh" --stores pg "${1:-3}" "${2:-4}" "${3:-100}"
