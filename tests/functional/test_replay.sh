#!/usr/bin/env bash
# `tradehost replay --json` over every bundled recording: zero checksum failures and zero gaps;
# 2,595 Kraken update checksums verify; corrupting one level fails that symbol's next checksum only;
# dropping one Kraken Futures delta is detected as a gap; gzip recordings replay the same.
. "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data"
CHECK="luajit $TH_HOME/tests/functional/check_replay.lua"
SUM='(function() local t = {ok=0, bad=0, gaps=0, resyncs=0, n=0} for _, s in pairs(sym) do t.ok = t.ok + s.checksum_ok; t.bad = t.bad + s.checksum_failed; t.gaps = t.gaps + s.gaps; t.resyncs = t.resyncs + s.resyncs; t.n = t.n + 1; if s.health ~= "ok" then t.notok = true end end return t end)()'

replay() { "$TH_BIN" replay "$@" --json 2>"$T/replay.err"; }

replay "$D/kraken/book-5pairs-2021-04-17.v2.txt" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" > "$T/k.json"
$CHECK "$SUM.ok == 2600" "$SUM.bad == 0" "$SUM.n == 5" "not $SUM.notok" "r.errors == 0" \
  'sym["XMR/USD"].bids[1][1] == "354.16" or #sym["XMR/USD"].bids == 5' \
  '#sym["SC/EUR"].asks == 5 and sym["SC/EUR"].asks[1][1]:match("^0%.%d%d%d%d%d$")' < "$T/k.json" \
  || fail "kraken book replay"
pass "kraken: 2,600 checksums (5 snapshots + 2,595 updates) verify, 0 failures, 5 books ok"

replay "$D/kraken/book-5pairs-2021-04-17.v2.txt" --venue kraken --instruments "$D/kraken/instrument-snapshot-2024.v2.json" > "$T/k24.json" || true
$CHECK "$SUM.n == 4" "$SUM.bad == 0" "sym[\"GRT/ETH\"] == nil" < "$T/k24.json" || fail "2024 instrument snapshot"
grep -q "unknown symbol GRT/ETH (not in the instrument data)" "$T/replay.err" || fail "unknown symbol not reported"
pass "kraken: the 683-pair 2024 instrument snapshot loads and maps 4 of the 5 pairs (GRT/ETH was delisted by 2024: its frames are reported as an unknown symbol)"

replay "$D/kraken/trades-ws-v1-2021-04-17.rec" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" > "$T/kt.json"
$CHECK 'sym["XMR/USD"].trades == 4' 'sym["SC/EUR"].trades == 6' "r.errors == 0" "$SUM.n == 2" < "$T/kt.json" || fail "kraken v1 trades replay"
pass "kraken v1 trades: the 10 prints of the two recorded pairs the instrument data knows are counted, 0 errors"

replay "$D/kraken-futures/futures-ws-v1-2021-07-22.rec" --venue kraken-futures --instruments "$D/kraken-futures/instruments-2021-07-22.rec" > "$T/f.json"
$CHECK "$SUM.gaps == 0" "$SUM.resyncs == 0" "$SUM.n == 10" "not $SUM.notok" "r.errors == 0" < "$T/f.json" || fail "futures replay"
pass "kraken-futures: 10 products, seq continuous, 0 gaps"

replay "$D/binance/spot-ws-2021-10-12.rec" --venue binance --instruments "$D/binance/spot-exchangeInfo-2021-10-12.rec" \
  --snapshots "$D/binance/spot-depth-snapshots-2021-10-12.rec" > "$T/b.json"
$CHECK "$SUM.gaps == 0" "$SUM.resyncs == 0" "$SUM.n == 4" "not $SUM.notok" "r.errors == 0" < "$T/b.json" || fail "binance spot replay"
pass "binance spot: 4 symbols synced with their snapshots, 0 gaps"

replay "$D/binance/usdm-ws-2021-07-22.rec" --venue binance-usdm --instruments "$D/binance/usdm-exchangeInfo-2021-07-22.rec" \
  --snapshots "$D/binance/usdm-depth-snapshots-2021-07-22.rec" > "$T/u.json"
$CHECK "$SUM.gaps == 0" "$SUM.resyncs == 0" "$SUM.n == 4" "not $SUM.notok" "r.errors == 0" < "$T/u.json" || fail "binance usdm replay"
pass "binance usd-m: 4 symbols synced (pu == previous u), 0 gaps"

# Inline snapshots: the same Binance data as one recording with the REST bodies in stream order.
sort -s -t: -k1,1 /dev/null >/dev/null
{ grep -v '^$' "$D/binance/spot-depth-snapshots-2021-10-12.rec" | sed -E 's/^(\S+) -> ([0-9.]+): /\2 \1 -> \2: /'
  grep -E '^[0-9]' "$D/binance/spot-ws-2021-10-12.rec" | sed -E 's/^([0-9.]+): /\1 &/'; } \
  | sort -s -g -k1,1 | cut -d' ' -f2- > "$T/inline.rec"
replay "$T/inline.rec" --venue binance --instruments "$D/binance/spot-exchangeInfo-2021-10-12.rec" > "$T/bi.json"
cmp <(luajit -e 'local c=require("cjson") local r=c.decode(io.read("*a")) for k,v in pairs(r.symbols) do print(k, c.encode(v.bids), c.encode(v.asks), v.gaps) end' < "$T/b.json" | sort) \
    <(luajit -e 'local c=require("cjson") local r=c.decode(io.read("*a")) for k,v in pairs(r.symbols) do print(k, c.encode(v.bids), c.encode(v.asks), v.gaps) end' < "$T/bi.json" | sort) \
  || fail "inline snapshots give a different book than --snapshots"
pass "binance: REST snapshots inline in the recording give the same books as --snapshots"

# Corrupt one level in the middle of the Kraken stream: XMR/USD's next checksum fails, the others stay ok.
luajit "$TH_HOME/tests/functional/corrupt_kraken.lua" XMR/USD 1000 < "$D/kraken/book-5pairs-2021-04-17.v2.txt" > "$T/corrupt.txt"
cmp -s "$T/corrupt.txt" "$D/kraken/book-5pairs-2021-04-17.v2.txt" && fail "corruption did not change the file"
replay "$T/corrupt.txt" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" > "$T/c.json" || true
$CHECK 'sym["XMR/USD"].checksum_failed == 1' 'sym["XMR/USD"].health == "resyncing"' 'sym["XMR/USD"].resyncs == 1' \
  'sym["SC/EUR"].health == "ok" and sym["SC/EUR"].checksum_failed == 0' \
  'sym["WAVES/EUR"].health == "ok" and sym["KSM/BTC"].health == "ok" and sym["GRT/ETH"].health == "ok"' < "$T/c.json" \
  || fail "corrupted level"
grep -q 'symbol=XMR/USD from=ok to=resyncing reason="checksum mismatch"' "$T/replay.err" || fail "no logged reason for the resync"
pass "kraken: a corrupted level fails XMR/USD's next checksum -> resyncing (logged), other 4 books ok"

# Drop one futures delta: gap detected on that product only.
awk 'BEGIN{done=0} /"feed":"book","product_id":"PI_ETHUSD"/ && !done && NR > 3000 { done=1; next } {print}' \
  "$D/kraken-futures/futures-ws-v1-2021-07-22.rec" > "$T/drop.rec"
replay "$T/drop.rec" --venue kraken-futures --instruments "$D/kraken-futures/instruments-2021-07-22.rec" > "$T/d.json" || true
$CHECK 'sym["pi_ethusd"].gaps == 1' 'sym["pi_ethusd"].health == "resyncing"' 'sym["pi_xrpusd"].gaps == 0 and sym["pi_xrpusd"].health == "ok"' < "$T/d.json" \
  || fail "dropped delta"
pass "kraken-futures: a dropped PI_ETHUSD delta is a gap (resyncing), other products ok"

# A malformed frame and garbage lines: counted, reported, nothing else disturbed.
{ head -5 "$D/kraken/book-5pairs-2021-04-17.v2.txt"; echo '1618678134999999999 {"channel":"book","type":"update","data":[{"symbol":"XMR/USD","bids":[{"price":"abc","qty":1}'; echo 'garbage line'; tail -n +6 "$D/kraken/book-5pairs-2021-04-17.v2.txt"; } > "$T/bad.txt"
replay "$T/bad.txt" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" > "$T/bad.json" || true
$CHECK 'r.errors == 1' 'sym["SC/EUR"].health == "ok"' < "$T/bad.json" || fail "malformed frame handling"
grep -q 'invalid JSON\|truncated JSON' "$T/replay.err" || fail "malformed frame not reported"
grep -q 'lines in no known format were skipped' "$T/replay.err" || fail "garbage line not reported"
pass "a truncated frame and a garbage line are reported and skipped; books unaffected"

gzip -c "$D/kraken/book-5pairs-2021-04-17.v2.txt" > "$T/k.txt.gz"
replay "$T/k.txt.gz" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" > "$T/kz.json"
cmp "$T/k.json" "$T/kz.json" || fail "gzip replay differs"
pass "gzip recording replays identically"

set +e
"$TH_BIN" replay "$D/binance/spot-ws-2021-10-12.rec" --venue binance 2>"$T/e"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q -- '--instruments is required' "$T/e" || fail "missing --instruments not explained"
pass "missing --instruments is refused with a message"

# Edge cases: nothing to replay is a failure with a reason, not "0 records" and exit 0.
: > "$T/empty.rec"
head -c 1000000 /dev/urandom > "$T/garbage.rec"
for f in empty garbage; do
  set +e; "$TH_BIN" replay "$T/$f.rec" --venue kraken >/dev/null 2>"$T/e"; rc=$?; set -e
  [ $rc -eq 1 ] || fail "$f recording: exit $rc, expected 1"
  grep -q "$T/$f.rec: no frames found" "$T/e" || fail "$f recording: no 'no frames found' message: $(cat "$T/e")"
done
pass "an empty file and 1 MB of binary garbage: 'no frames found', exit 1"

# A NUL byte inside a line ends only that line: the next valid frame is applied, and the rejected
# line is reported with its own line number. A 26-digit receive time is a bad line, not an overflow.
{ head -3 "$D/kraken/book-5pairs-2021-04-17.v2.txt"
  printf '1618678134999999999 {"channel":"book",\0"type":"update"}\n'
  printf '12345678901234567890123456 {"channel":"heartbeat"}\n'
  tail -n +4 "$D/kraken/book-5pairs-2021-04-17.v2.txt"; } > "$T/nul.txt"
replay "$T/nul.txt" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" > "$T/nul.json" || true
grep -q 'frame rejected" line=4 ' "$T/replay.err" || fail "NUL line not reported as line 4: $(grep rejected "$T/replay.err")"
$CHECK 'r.errors == 1' "r.records == $(( $(grep -c . "$D/kraken/book-5pairs-2021-04-17.v2.txt") + 1 ))" \
  "$SUM.gaps == 0" "not $SUM.notok" < "$T/nul.json" || fail "a NUL line disturbed the frames after it"
grep -q 'lines in no known format were skipped" count=1' "$T/replay.err" || fail "26-digit timestamp line not counted as bad"
pass "a NUL byte rejects only its own line (line 4, reported); a 26-digit timestamp is a bad line"

# A Binance diff with "U":-1 is refused with a reason, never an empty error string.
head -1 "$D/binance/spot-depth-snapshots-2021-10-12.rec" > "$T/snap1.rec"
printf '%s\n' '1633998513.0: {"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":499869750,"u":499869760,"b":[["0.35130000","6195.00000000"]],"a":[]}}' \
  '1633998513.1: {"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":-1,"u":499869770,"b":[["0.35130000","6195.00000000"]],"a":[]}}' \
  '1633998513.2: {"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":499869790,"u":499869795,"b":[],"a":[]}}' > "$T/u1.rec"
replay "$T/u1.rec" --venue binance --instruments "$D/binance/spot-exchangeInfo-2021-10-12.rec" --snapshots "$T/snap1.rec" >/dev/null || true
grep -q 'frame rejected" line=2 error="NKNUSDT: depthUpdate with an invalid U, u or pu' "$T/replay.err" \
  || fail "U=-1: no reason given: $(grep rejected "$T/replay.err")"
! grep -q 'error=""' "$T/replay.err" || fail "a frame was rejected with an empty error: $(grep 'error=""' "$T/replay.err")"
pass "a Binance diff with U=-1 is rejected with its reason; no rejection has an empty error"
