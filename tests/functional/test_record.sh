#!/usr/bin/env bash
# `tradehost record` over real websockets on loopback, from `tradehost sim`, and the recording read
# back through the one ingestion path:
# - Kraken spot (5 pairs): every frame the sim sent on each connection (its "websocket closed"
#   frames_sent, a reconnect after a `disconnect` fault in between) is in the file, once; replay
#   reads every line (no bad line), every book frame passes its checksum, the book frames are the
#   sim's recording's 2600 plus one snapshot per pair for the reconnect, the books equal the sim's;
#   a backtest with the file as venue.recording reads the same frames with no error.
# - Binance spot (3 pairs): the streams and the REST depth snapshots, each with its URL (the
#   venue.snapshots line); replay synchronises every book from the file alone and its books equal the
#   sim's, and also with the snapshot lines moved to a --snapshots file.
# - SIGINT while frames flow, and --duration: exit 0, the file ends with a complete line, replay
#   reads every line. Bad options are refused naming what was wrong; an existing file is never
#   overwritten.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
REC_PID=""
trap '[ -n "$REC_PID" ] && kill -9 "$REC_PID" 2>/dev/null; cleanup' EXIT
KD="$TH_HOME/tests/data/kraken"
KINS="$KD/instrument-5pairs.v2.json"
BD="$TH_HOME/tests/data/binance"
BINS="$BD/spot-exchangeInfo-2021-10-12.rec"
ep() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/endpoints.json" "$1"; }
# start_record NAME ARGS...: tradehost record in the background, JSON summary in $T/NAME.json, log $T/NAME.log
start_record() {
  local name=$1; shift
  "$TH_BIN" record "$@" >"$T/$name.json" 2>"$T/$name.log" &
  REC_PID=$!
}
rwait() { # rwait NAME PATTERN [TIMEOUT_S] [MIN]
  local i=0
  until [ "$(grep -cE -- "$2" "$T/$1.log" 2>/dev/null || true)" -ge "${4:-1}" ]; do
    kill -0 "$REC_PID" 2>/dev/null || fail "record exited while waiting for: $2 ($(tail -3 "$T/$1.log"))"
    sleep 0.05; i=$((i + 1)); [ $i -lt $((${3:-10} * 20)) ] || fail "timed out waiting for: $2 ($(tail -5 "$T/$1.log"))"
  done
}
stop_record() { # stop_record SIGNAL: sets REC_RC
  kill -"$1" "$REC_PID"
  local i=0
  while kill -0 "$REC_PID" 2>/dev/null; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "record did not exit within 10 s of $1"; done
  set +e; wait "$REC_PID"; REC_RC=$?; set -e
  REC_PID=""
  ! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$T/"*.log || fail "sanitizer report"
}
wait_sent_lines() { # the subscriptions are out (written at the next flush, 100 ms)
  local i=0
  until [ "$(grep -c ' <- ' "$1" 2>/dev/null || true)" -ge "$2" ]; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "no subscription in $1"; done
  sleep 0.3
}
wait_ended() {
  local i=0
  until curl -sf "$EP_CONTROL/state" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["data_ended"] else 1)'; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 600 ] || fail "the sim's data did not end"; done
}
# check_replay FILE VENUE INSTRUMENTS SIM_STATE EXPR [ARGS...]: replay --json FILE, then a Python
# condition on r (replay's JSON), lines (the file's lines), sim (the sim's books) and summary
check_replay() {
  local file=$1 venue=$2 ins=$3 state=$4 expr=$5; shift 5
  "$TH_BIN" replay "$file" --venue "$venue" --instruments "$ins" --json "$@" >"$T/replay.json" 2>"$T/replay.log" || fail "replay $file failed: $(tail -3 "$T/replay.log")"
  python3 - "$T/replay.json" "$file" "$state" "$expr" <<'PY' || fail "replay of $file: $expr"
import json, sys
r = json.load(open(sys.argv[1])); raw = open(sys.argv[2], "rb").read()
lines = raw.split(b"\n")[:-1]
sim = {k.upper(): v for k, v in json.load(open(sys.argv[3]))["books"].items()}
def top_equal(sym, n=5):
    a, s = r["symbols"][sym], sim[sym.upper()]
    return all([(float(p), float(q)) for p, q in a[side][:n]] == [(float(p), float(q)) for p, q in s[side][:n]] for side in ("bids", "asks"))
ok = eval(sys.argv[4])
if not ok:
    print("replay:", {k: v for k, v in r.items() if k != "symbols"})
    for s, x in r["symbols"].items(): print(" ", s, {k: v for k, v in x.items() if k not in ("bids", "asks")})
sys.exit(0 if ok else 1)
PY
}
sim_sent() { # frames the sim sent on its closed websockets (its log), summed
  grep -o 'msg="sim: websocket closed".*frames_sent=[0-9]*' "$T/host.log" | sed 's/.*frames_sent=//' | awk '{ n += $1 } END { print n + 0 }'
}

# ---- Kraken spot: a reconnect in the middle, every frame counted ----
start_sim --data "$KD/book-5pairs-2021-04-17.v2.txt" --instruments "$KINS" --speed 8 --paused
start_record k --venue kraken --symbols XMR/USD,SC/EUR,GRT/ETH,KSM/BTC,WAVES/EUR --instruments "$KINS" --out "$T/k.rec" \
  --endpoint "$(ep ws_public)"
rwait k "websocket connected.*kraken-public"
wait_sent_lines "$T/k.rec" 4
curl -sf -X POST "$EP_CONTROL/resume" >/dev/null
wait_ended
sleep 0.3
curl -sf -X POST "$EP_CONTROL/fault" -d '{"kind":"disconnect","scope":"public"}' >/dev/null
rwait k "websocket connected.*connects=2"
rwait k "record: book health.*from=resyncing to=ok" 10 5
sleep 0.3
stop_record TERM
[ "$REC_RC" = 0 ] || fail "record exit $REC_RC after SIGTERM: $(tail -3 "$T/k.log")"
curl -sf "$EP_CONTROL/state" >"$T/kstate.json"
i=0; until [ "$(grep -c 'sim: websocket closed' "$T/host.log")" -ge 2 ]; do sleep 0.05; i=$((i + 1)); [ $i -lt 100 ] || fail "the sim did not log both closes"; done
SENT=$(sim_sent)
FRAMES=$(grep -c '^[0-9]' "$T/k.rec")
[ "$FRAMES" = "$SENT" ] || fail "the file has $FRAMES frames, the sim sent $SENT on the recorder's two connections"
python3 - "$T/k.json" "$FRAMES" <<'PY' || fail "summary: $(cat "$T/k.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["frames"] == int(sys.argv[2]) and s["opens"] == 2 and s["sent"] == 8 and s["rest"] == 0 and s["stopped"] == "SIGTERM", s
assert all(h == "ok" for h in s["books"].values()), s
PY
pass "kraken: every frame the sim sent on both connections is in the file once ($FRAMES), 2 opens, 8 subscriptions; SIGTERM: exit 0"
check_replay "$T/k.rec" kraken "$KINS" "$T/kstate.json" \
  'r["records"] == len(lines) and r["errors"] == 0 and r["frames"] == '"$FRAMES"' and all(x["checksum_failed"] == 0 and x["checksum_ok"] == x["frames"] and x["health"] == "ok" for x in r["symbols"].values()) and sum(x["frames"] for x in r["symbols"].values()) == 2600 + 5 and all(top_equal(s) for s in r["symbols"])'
pass "kraken: replay reads every line, every book frame's checksum verifies, 2600 + 5 book frames (the reconnect's snapshots), books equal the sim's"
cat >"$T/bt.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "$T/k.rec", instruments = "$KINS", stale_ms = 3600000 },
  strategy = { name = "book_watch", module = "$TH_HOME/strategies/book_watch.lua", tick_ms = 1000, params = { print_every_s = 1000 } },
  pairs = { { symbol = "XMR/USD" }, { symbol = "SC/EUR" }, { symbol = "GRT/ETH" }, { symbol = "KSM/BTC" }, { symbol = "WAVES/EUR" } },
  storage = { journal_dir = "$T/bt" },
}
CFG
"$TH_BIN" backtest "$T/bt.lua" >"$T/bt.out" 2>"$T/bt.log" || fail "backtest of the recording failed: $(tail -3 "$T/bt.log")"
grep -qE "msg=\"recording finished\" frames=$FRAMES book_events=[1-9][0-9]* errors=0" "$T/bt.log" || fail "backtest: $(grep 'recording finished' "$T/bt.log")"
pass "kraken: a backtest with the recording as venue.recording reads its $FRAMES frames with no error"
stop_sim

# ---- Binance spot: streams and REST depth snapshots with their URLs ----
start_sim_venue binance --data "$BD/spot-ws-2021-10-12.rec" --snapshots "$BD/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$BINS" --speed 4 --paused
start_record b --venue binance --symbols NKNUSDT,LRCBTC,BLZETH --instruments "$BINS" --out "$T/b.rec" \
  --endpoint "$(ep ws_streams)" --rest "$(ep rest)"
rwait b "websocket connected.*binance-public"
sleep 0.5
curl -sf -X POST "$EP_CONTROL/resume" >/dev/null
wait_ended
rwait b "record: book health.*symbol=BLZETH.*to=ok" 10
sleep 0.5
stop_record INT
[ "$REC_RC" = 0 ] || fail "record exit $REC_RC after SIGINT: $(tail -3 "$T/b.log")"
curl -sf "$EP_CONTROL/state" >"$T/bstate.json"
i=0; until grep -q 'sim: websocket closed' "$T/host.log"; do sleep 0.05; i=$((i + 1)); [ $i -lt 100 ] || fail "the sim did not log the close"; done
SENT=$(sim_sent)
FRAMES=$(grep -c '^[0-9]' "$T/b.rec")
[ "$FRAMES" = "$SENT" ] || fail "the file has $FRAMES frames, the sim sent $SENT"
REST_URL="$(ep rest)"
for s in NKNUSDT LRCBTC BLZETH; do
  grep -qE "^$REST_URL/api/v3/depth\\?symbol=$s&limit=1000 -> [0-9]+\\.[0-9]{9}: \\{\"lastUpdateId\":[1-9]" "$T/b.rec" || fail "no depth snapshot line with its URL for $s"
done
grep -qE "^ws://127\\.0\\.0\\.1:[0-9]+/stream\\?streams=nknusdt@depth@100ms/.* <-> [0-9]+\\.[0-9]{9}$" "$T/b.rec" || fail "no connection line with the streams URL"
pass "binance: every frame the sim sent is in the file ($FRAMES), each book's depth snapshot with its URL, the stream URL; SIGINT: exit 0"
check_replay "$T/b.rec" binance "$BINS" "$T/bstate.json" \
  'r["records"] == len(lines) and r["errors"] == 0 and r["frames"] == '"$FRAMES"' and all(x["health"] == "ok" and x["gaps"] == 0 for x in r["symbols"].values()) and sorted(r["symbols"]) == ["BLZETH", "LRCBTC", "NKNUSDT"] and all(top_equal(s) for s in r["symbols"])'
grep -v ' -> ' "$T/b.rec" >"$T/b-streams.rec"
grep ' -> ' "$T/b.rec" >"$T/b-snapshots.rec"
check_replay "$T/b-streams.rec" binance "$BINS" "$T/bstate.json" \
  'r["errors"] == 0 and all(x["health"] == "ok" for x in r["symbols"].values()) and all(top_equal(s) for s in r["symbols"])' --snapshots "$T/b-snapshots.rec"
pass "binance: replay synchronises every book from the file alone (books equal the sim's), and with its snapshot lines as a --snapshots file"
stop_sim

# ---- SIGINT while frames flow; --duration ----
start_sim --data "$KD/book-5pairs-2021-04-17.v2.txt" --instruments "$KINS" --speed 1
start_record m --venue kraken --symbols XMR/USD,SC/EUR --instruments "$KINS" --out "$T/m.rec" --endpoint "$(ep ws_public)"
rwait m "record: book health.*to=ok" 10 2
sleep 1.3
stop_record INT
[ "$REC_RC" = 0 ] || fail "record exit $REC_RC after SIGINT mid-stream"
[ "$(tail -c 1 "$T/m.rec" | od -An -c | tr -d ' ')" = '\n' ] || fail "the file does not end with a complete line"
curl -sf "$EP_CONTROL/state" >"$T/mstate.json"
check_replay "$T/m.rec" kraken "$KINS" "$T/mstate.json" \
  'r["records"] == len(lines) and r["errors"] == 0 and r["frames"] > 10 and all(x["checksum_failed"] == 0 and x["health"] == "ok" for x in r["symbols"].values())'
pass "SIGINT while frames flow: exit 0, the last line complete, replay reads every line and every checksum verifies"
start_record d --venue kraken --symbols XMR/USD --instruments "$KINS" --out "$T/d.rec" --endpoint "$(ep ws_public)" --duration 1.5
i=0; while kill -0 "$REC_PID" 2>/dev/null; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "--duration 1.5 did not end it"; done
set +e; wait "$REC_PID"; REC_RC=$?; set -e; REC_PID=""
[ "$REC_RC" = 0 ] || fail "record --duration exit $REC_RC"
grep -q '"stopped":"--duration reached"' "$T/d.json" || fail "summary: $(cat "$T/d.json")"
[ "$(tail -c 1 "$T/d.rec" | od -An -c | tr -d ' ')" = '\n' ] && grep -q '^[0-9]* {"channel":"book","type":"snapshot"' "$T/d.rec" || fail "the --duration recording is incomplete"
pass "--duration 1.5: stops by itself, exit 0, a complete recording"
stop_sim

# ---- refusals ----
refused() { # refused PATTERN ARGS...: exit 2 and a message matching PATTERN
  local pat=$1; shift
  set +e; "$TH_BIN" record "$@" >/dev/null 2>"$T/refused.log"; local rc=$?; set -e
  [ "$rc" = 2 ] || fail "record $* exited $rc (expected 2)"
  grep -qE -- "$pat" "$T/refused.log" || fail "record $*: message '$(cat "$T/refused.log")' does not match $pat"
}
KSUM=$(sha256sum <"$T/k.rec")
refused "never overwritten" --venue kraken --symbols XMR/USD --instruments "$KINS" --out "$T/k.rec" --endpoint ws://127.0.0.1:9/v2
refused "--symbols: XMR/EUR is not in" --venue kraken --symbols XMR/USD,XMR/EUR --instruments "$KINS" --out "$T/x.rec"
refused "--instruments FILE is required" --venue kraken --symbols XMR/USD --out "$T/x.rec"
refused "--venue: kraken \\| binance \\| kraken-futures" --venue binance-usdm --symbols BTCUSDT --instruments "$KINS" --out "$T/x.rec"
refused "--endpoint: .*loopback" --venue kraken --symbols XMR/USD --instruments "$KINS" --out "$T/x.rec" --endpoint ws://example.com/v2
[ ! -e "$T/x.rec" ] || fail "a refused record left a file behind"
[ "$(sha256sum <"$T/k.rec")" = "$KSUM" ] || fail "the existing recording was changed"
pass "bad options refused naming what was wrong (exit 2), nothing written; an existing recording is never overwritten"
