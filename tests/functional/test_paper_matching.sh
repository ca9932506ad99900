#!/usr/bin/env bash
# Paper orders go to the sim's matching engine (host/venues/paper_venue.c over host/sim), through
# the whole host: Lua strategy, gates, tracker, flow, journal. A hand-written Kraken recording
# (make_kraken_book.py) makes every fill computable by hand (XMR/USD, maker 16 bp, taker 26 bp):
#   t=0.0  bids 100.00 x 5, 99.00 x 10; asks 101.00 x 3, 102.00 x 10. The strategy places:
#          q    buy 0.5 @ 100.00   rests behind the 5 on the level
#          take buy 4   @ 102.00   marketable: walks the asks, 3 @ 101.00 then 1 @ 102.00, taker fee
#          pd   buy 0.5 @ 99.00 post-only: rests behind 10
#   t=0.2  bid 100 -> 8 (3 join behind q);  t=0.4  100 -> 5 with no trade: 3 cancelled
#   t=0.6  trade 3 @ 100, level -> 2;  t=0.8 trade 2.3 @ 100, level gone;  t=1.0 trade 1 @ 99.
# Where the cancels at t=0.4 stood is the queue model's call:
#   pessimistic (all behind q): 5 ahead; t=0.6 leaves 2; t=0.8 fills 0.3, t=1.0 (a trade below our
#                               bid) fills the last 0.2
#   proportional: floor(3 * 5/8) = 1 ahead cancelled -> 4 ahead; t=0.6 leaves 1; t=0.8 fills 0.5
#   optimistic (all ahead): 2 ahead; t=0.6 fills 0.5
# and pd never fills (9 still ahead of it at 99). Before the paper venue went to the sim's engine,
# `take` filled 4 @ 102.00 (its own limit) and q never filled.
source "$(dirname "$0")/lib.sh"

cat >"$T/script.txt" <<'REC'
0.0 snapshot XMR/USD bids=100.00:5.00000000,99.00:10.00000000 asks=101.00:3.00000000,102.00:10.00000000
0.2 update XMR/USD bids=100.00:8.00000000
0.4 update XMR/USD bids=100.00:5.00000000
0.6 trade XMR/USD sell 100.00 3.00000000
0.6 update XMR/USD bids=100.00:2.00000000
0.8 trade XMR/USD sell 100.00 2.30000000
0.8 update XMR/USD bids=100.00:0.00000000
1.0 trade XMR/USD sell 99.00 1.00000000
1.0 update XMR/USD bids=99.00:9.00000000
1.2 update XMR/USD asks=103.00:1.00000000
REC
python3 "$TH_HOME/tests/functional/make_kraken_book.py" "$T/script.txt" >"$T/q.rec"

config() { # config QUEUE_MODEL PACE_FIELDS
  cat <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", maker_fee_bps = 16, taker_fee_bps = 26, queue_model = "$1",
            recording = "$T/q.rec", instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json", $2 },
  strategy = { name = "probe", module = "$TH_HOME/tests/functional/paper_probe.lua", tick_ms = 1000,
               params = { orders = "q buy 100.00 0.5; take buy 102.00 4; pd buy 99.00 0.5 post" } },
  pairs = { { symbol = "XMR/USD" } },
  risk = { price_band_pct = 5, anti_layering_pct = 0 },
  storage = { journal_dir = "$T/j-$1" }, session = { duration_s = 3 },
}
CFG
}

# fills LOG: one line per fill, "tag price size fee t_ms" (t_ms: recorded ms within the minute)
fills() {
  awk '/msg="probe fill"/' "$1" | sed -E 's/.*fee=([0-9.]+) price=([0-9.]+) size=([0-9.]+) t_ms=([0-9]+) tag=([a-z]+).*/\5 \2 \3 \1 \4/'
}

check() { # check MODE QUEUE_MODEL EXPECTED_Q_FILLS
  local mode=$1 model=$2 want=$3 log="$T/$1-$2.log"
  if [ "$mode" = recorded ]; then
    # speed 1: q must reach the engine before the t=0.2 update (200 ms of wall time to do it)
    config "$model" 'pace = "recorded", speed = 1' >"$T/cfg-$model.lua"
    "$TH_BIN" run "$T/cfg-$model.lua" 2>"$log" || fail "$mode $model: exit $?"
  else
    config "$model" '' >"$T/cfg-$model.lua"
    "$TH_BIN" backtest "$T/cfg-$model.lua" 2>"$log" || fail "$mode $model: exit $?"
  fi
  # At recorded pace an order reaches the matching engine at the recording's time when it is sent,
  # which lags by however long the host took (tens of ms on a loaded machine): recorded-mode times
  # are compared to the 200 ms step of the script (the backtest's are exact).
  fills "$log" | awk '{ if (mode == "recorded") $5 = int(($5 + 50) / 200) * 200; print }' mode="$mode" >"$T/fills"
  # the marketable buy walks the book at the taker fee: 3 * 101 * 0.0026, 1 * 102 * 0.0026
  grep -q '^take 101.00 3.00000000 0.787800 34000$' "$T/fills" || fail "$mode $model: take did not fill 3 @ 101.00 (the ask) at t=0: $(cat "$T/fills")"
  grep -q '^take 102.00 1.00000000 0.265200 34000$' "$T/fills" || fail "$mode $model: take did not fill 1 @ 102.00: $(cat "$T/fills")"
  [ "$(grep -c '^take' "$T/fills")" = 2 ] || fail "$mode $model: take filled more than twice: $(cat "$T/fills")"
  ! grep -q '^pd' "$T/fills" || fail "$mode $model: pd filled with 9 lots still ahead of it"
  # the resting bid, at its own price and the maker fee, when the queue ahead of it is gone
  local got
  got=$(grep '^q ' "$T/fills" | awk '{ printf "%s %s %s %s;", $2, $3, $4, $5 }')
  [ "$got" = "$want" ] || fail "$mode $model: q fills '$got', expected '$want'"
  grep -q 'msg="probe order" filled=0.50000000 reason=filled state=done .*tag=q' "$log" || fail "$mode $model: q not done filled"
  pass "$mode $model: take walks 3 @ 101.00 + 1 @ 102.00 (taker); q fills $want"
}

for mode in recorded backtest; do
  check $mode pessimistic "100.00 0.30000000 0.048000 34800;100.00 0.20000000 0.032000 35000;"
  check $mode proportional "100.00 0.50000000 0.080000 34800;"
  check $mode optimistic "100.00 0.50000000 0.080000 34600;"
done
