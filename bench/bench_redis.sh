#!/usr/bin/env bash
# bench/bench_redis.sh — the Redis mirror alone: bench_stores.sh --stores redis.
#   bench/bench_redis.sh [runs] [seconds] [pairs]        (default 3 runs of 4 s, 5 pairs: the bundled recording)
exec "$(dirname "$0")/bench_stores.sh" --stores redis "${1:-3}" "${2:-4}" "${3:-5}"
