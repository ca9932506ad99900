#!/usr/bin/env bash
# bench/replay_vs_ccxt.sh — whole-process replay speed against ccxt on the same frames, both
# figures from one run (issue 12 item 3).
#   bench/replay_vs_ccxt.sh [runs] [repeats]     (defaults: 5 runs, 327 repeats = 850,200 frames)
# The recording is the bundled Kraken v2 session played `repeats` times (bench/make_kraken_session.sh:
# periodic depth-1000 snapshots, every checksum the exchange's own), made once into build/bench/.
# ours:   `tradehost replay FILE --venue kraken --json`, the whole process timed from outside
#         (exec, instrument load, reading the file, every frame, every checksum verified, output);
#         each run is checked: every frame a book frame whose checksum verified, no error.
# ccxt:   bench/ccxt_kraken_session.js, JSON.parse + kraken.handleMessage per frame, timed inside
#         Node with the file already read and split (startup and I/O excluded, in ccxt's favour),
#         checksum validation at its default (off). Two figures: all frames (the same work as
#         ours) and update frames only (its snapshots untimed, as bench/ccxt_kraken.js reports).
# Runs alternate ours/theirs so both see the same machine load; medians and ranges are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
repeats=${2:-327}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
mkdir -p build/bench
rec=build/bench/kraken-session-$repeats.txt
[ -s "$rec" ] || bench/make_kraken_session.sh "$repeats" "$rec"
command -v node >/dev/null || { echo "node not found: ccxt comparison impossible" >&2; exit 1; }
[ -d bench/node_modules/ccxt ] || (cd bench && npm install --no-audit --no-fund --silent >/dev/null)
ins=tests/data/kraken/instrument-5pairs.v2.json
frames=$(wc -l < "$rec")
printf 'recording %s: %d frames, %d MB\n' "$rec" "$frames" $(( $(stat -c %s "$rec") / 1000000 ))

ours=() theirs_all=() theirs_upd=()
for ((i = 1; i <= runs; i++)); do
  t0=$(date +%s%N)
  ./build/tradehost replay "$rec" --venue kraken --instruments "$ins" --json > build/bench/replay.json
  t1=$(date +%s%N)
  # every frame a book frame with a verified checksum, no error, no resync
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const s = Object.values(r.symbols), n = +process.argv[2];
    const ok = s.reduce((a, x) => a + x.checksum_ok, 0), bad = s.reduce((a, x) => a + x.checksum_failed + x.resyncs, 0);
    if (r.frames !== n || r.errors !== 0 || ok !== n || bad !== 0) {
      console.error(`replay check failed: frames ${r.frames}/${n}, errors ${r.errors}, checksums ok ${ok}, failed+resyncs ${bad}`);
      process.exit(1);
    }' build/bench/replay.json "$frames"
  ours+=("$(awk -v n="$frames" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')")
  out=$(node bench/ccxt_kraken_session.js "$rec" 1)
  read -r _ n secs nupd usecs < <(echo "$out" | grep '^PASS')
  ver=$(echo "$out" | awk '/^CCXT/ { print $2 }')
  theirs_all+=("$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')")
  theirs_upd+=("$(awk -v n="$nupd" -v s="$usecs" 'BEGIN { printf "%.0f", n / s }')")
  printf 'run %d: tradehost %.3f M frames/s   ccxt %.0f k frames/s (all), %.0f k (updates only)\n' "$i" \
    "$(awk -v x="${ours[-1]}" 'BEGIN { print x / 1e6 }')" "$(awk -v x="${theirs_all[-1]}" 'BEGIN { print x / 1e3 }')" \
    "$(awk -v x="${theirs_upd[-1]}" 'BEGIN { print x / 1e3 }')"
done
stats() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { printf "%d %d %d\n", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
read -r om olo ohi < <(stats "${ours[@]}")
read -r am alo ahi < <(stats "${theirs_all[@]}")
read -r um ulo uhi < <(stats "${theirs_upd[@]}")
awk -v om="$om" -v olo="$olo" -v ohi="$ohi" -v am="$am" -v alo="$alo" -v ahi="$ahi" -v um="$um" -v ulo="$ulo" \
    -v uhi="$uhi" -v runs="$runs" -v ver="$ver" 'BEGIN {
  printf "tradehost replay (whole process, every checksum verified): %.2f M frames/s  (range %.2f-%.2f, %d runs)\n", om / 1e6, olo / 1e6, ohi / 1e6, runs
  printf "ccxt %s handleMessage, all frames:                    %.0f k frames/s  (range %.0f-%.0f)\n", ver, am / 1e3, alo / 1e3, ahi / 1e3
  printf "ccxt %s handleMessage, update frames only:            %.0f k frames/s  (range %.0f-%.0f)\n", ver, um / 1e3, ulo / 1e3, uhi / 1e3
  printf "RESULT replay_frames_per_s %d\nRESULT ccxt_all_frames_per_s %d\nRESULT ccxt_update_frames_per_s %d\n", om, am, um
  printf "tradehost / ccxt, same frames: %.1fx  (against ccxt on its update frames alone: %.1fx)\n", om / am, om / um
}'
