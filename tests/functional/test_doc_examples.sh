#!/usr/bin/env bash
# test_doc_examples.sh — the strategies docs/lua-api.md shows (each ```lua block after an
# `<!-- example: NAME -->` line) run in a paper host and do what the page says:
#   instrument: the tick from the venue, a price at the tick printed exactly ("0.00000123");
#   timers: one heartbeat per recorded second, the same after a reload (migrate re-arms);
#   store: the counter and the model come back after a restart (--resume);
# and the one docs/guide.md shows:
#   pairs-file: the pair list in its own file, beside the config: both pairs quote.
source "$(dirname "$0")/lib.sh"
DOC="$TH_HOME/docs/lua-api.md"
extract() { awk -v name="$1" '$0 == "<!-- example: " name " -->" {f = 1; next} f && /^```lua/ {g = 1; next} g && /^```/ {exit} g {print}' "${2:-$DOC}"; }
for n in instrument timers store; do
  extract "$n" >"$T/$n.lua"
  [ -s "$T/$n.lua" ] || fail "docs/lua-api.md has no example named $n"
done
MEME='{"symbol":"PEPE/EUR","base":"PEPE","quote":"EUR","status":"online","qty_precision":0,"qty_increment":1,"price_precision":8,"price_increment":0.00000001,"qty_min":1000000000,"cost_min":0.45}'
sed "s|\"pairs\":\[|\"pairs\":[$MEME,|" "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" >"$T/ins.json"
config() { # config NAME
  paper_mm_config "$1"
  sed -i -e "s|strategy = { name = \"market_maker\",|strategy = { name = \"doc_$1\", module = \"$T/$1.lua\",|" \
    -e "s|instruments = \"[^\"]*\"|instruments = \"$T/ins.json\"|" "$T/cfg.lua"
}
no_fault() { ! grep -q 'strategy faulted' "$T/host.log" || fail "$1: $(grep 'strategy faulted' "$T/host.log")"; }

config instrument
start_host run "$T/cfg.lua"
wait_for 'msg="pepe price" min_size=1000000000 price=0.00000123 tick=0.00000001' 10
no_fault instrument
kill -TERM "$HOST_PID"; wait_exit 20
pass "instrument example: price 0.00000123 on the venue's tick"

config timers
start_host run "$T/cfg.lua"
wait_for 'msg="heartbeat" beats=2$' 10
kill -HUP "$HOST_PID"
wait_for 'msg="strategy reloaded"' 5
wait_for 'msg="heartbeat" beats=6$' 10
for b in 1 2 3 4 5 6; do
  [ "$(grep -c "msg=\"heartbeat\" beats=$b\$" "$T/host.log")" = 1 ] || fail "timers example: beat $b seen $(grep -c "beats=$b\$" "$T/host.log") times"
done
no_fault timers
kill -TERM "$HOST_PID"; wait_exit 20
pass "timers example: one heartbeat a recorded second, before and after a reload"

config store
start_host run "$T/cfg.lua"
wait_for 'msg="booted" boots=1 keys=1 seen=0' 10
sleep 1
kill -TERM "$HOST_PID"; wait_exit 20
start_host run "$T/cfg.lua" --resume
wait_for 'msg="booted" boots=2 keys=2 seen=[1-9][0-9]*' 10
no_fault store
kill -TERM "$HOST_PID"; wait_exit 20
pass "store example: boots=2 and the model's count back after a restart ($(grep -o 'boots=2 keys=2 seen=[0-9]*' "$T/host.log"))"

mkdir -p "$T/conf/pairs"
extract pairs-file "$TH_HOME/docs/guide.md" >"$T/conf/pairs/top.lua"
[ -s "$T/conf/pairs/top.lua" ] || fail "docs/guide.md has no example named pairs-file"
paper_mm_lua "$T/jp" "repl = { socket = \"$T/thp.sock\" }," >"$T/conf/cfg.lua"
sed -i 's|^  pairs = .*|  pairs = th.pairs_file("pairs/top.lua"),|' "$T/conf/cfg.lua"
start_host run "$T/conf/cfg.lua"
wait_for 'msg="market_maker started" pairs=2' 10
i=0
until [ "$(printf '%s\n' 'return #th.orders.open("XMR/USD"), #th.orders.open("KSM/BTC"), ctx.symbols["KSM/BTC"].params.size' | "$TH_BIN" repl "$T/thp.sock")" = $'4\t4\t1' ]; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "pairs-file example: the two pairs do not both quote"
  sleep 0.1
done
no_fault pairs-file
kill -TERM "$HOST_PID"; wait_exit 20
pass "pairs-file example (docs/guide.md): XMR/USD and KSM/BTC quote from conf/pairs/top.lua"
