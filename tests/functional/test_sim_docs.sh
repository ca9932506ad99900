#!/usr/bin/env bash
# test_sim_docs.sh — the commands docs/sim.md shows work as written: its first ```sh block (start
# the sim, the endpoints line into sim.json) and its first ```js block (ccxt reads a book, places,
# lists and cancels an order), run from a copy of the repository root's layout; then every other
# ```sh block (the other venues' commands) starts a sim that prints its endpoints line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
doc="$TH_HOME/docs/sim.md"
awk '/^```sh$/ { on = 1; next } on && /^```$/ { exit } on' "$doc" >"$T/start.sh"
awk '/^```js$/ { on = 1; next } on && /^```$/ { exit } on' "$doc" >"$T/example.js"
[ -s "$T/start.sh" ] && [ -s "$T/example.js" ] || fail "docs/sim.md has no sh or js block"
mkdir -p "$T/bin" && ln -s "$(readlink -f "$TH_BIN")" "$T/bin/tradehost" && ln -s "$TH_HOME/tests" "$T/tests"
cd "$T"
PATH="$T/bin:$PATH" bash -c "$(cat start.sh)
echo \$! > sim.pid" 2>"$T/host.log"
SIM_PID=$(cat sim.pid)
HOST_PID=$SIM_PID
for i in $(seq 100); do grep -q '}' sim.json 2>/dev/null && break; sleep 0.1; done
grep -q '"key"' sim.json || fail "the documented command printed no endpoints line with a key: $(cat sim.json)"
out=$(NODE_PATH="$TH_HOME/tests/ccxt/node_modules" timeout 60 node example.js sim.json) || fail "the documented ccxt example failed: $out"
echo "$out"
echo "$out" | grep -Eq '^best bid [0-9.]+ best ask [0-9.]+$' || fail "no book from the example"
echo "$out" | grep -Eq '^open O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$' || fail "no open order from the example"
echo "$out" | grep -q '^status canceled$' || fail "the example's order was not cancelled"
# started by the documented command's own shell, so not our child: stop it and watch it go
kill -TERM "$SIM_PID"
for i in $(seq 100); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SIM_PID" 2>/dev/null && fail "the sim did not stop on SIGTERM"
HOST_PID=""
grep -q 'msg="sim: stopped"' "$T/host.log" || fail "the sim did not stop cleanly"
! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$T/host.log" || fail "sanitizer report in the sim log"
# every other sh block: a sim of the venue it names, listening
n=$(grep -c '^```sh$' "$doc")
[ "$n" -ge 3 ] || fail "docs/sim.md shows fewer sh blocks than venues ($n)"
for k in $(seq 2 "$n"); do
  awk -v want="$k" '/^```sh$/ { c++; if (c == want) { on = 1; next } } on && /^```$/ { exit } on' "$doc" >"$T/block$k.sh"
  venue=$(grep -o -- '--venue [a-z-]*' "$T/block$k.sh" | cut -d' ' -f2)
  [ -n "$venue" ] || fail "sh block $k of docs/sim.md starts no sim"
  rm -f ep$k.json
  PATH="$T/bin:$PATH" bash -c "$(cat "$T/block$k.sh") >ep$k.json &
echo \$! > sim$k.pid" 2>"$T/host$k.log"
  P=$(cat sim$k.pid)
  for i in $(seq 100); do grep -q '}' ep$k.json 2>/dev/null && break; sleep 0.1; done
  grep -q "\"venue\":\"$venue\"" ep$k.json || { kill -TERM "$P"; fail "sh block $k ($venue): no endpoints line: $(cat ep$k.json) $(tail -3 "$T/host$k.log")"; }
  kill -TERM "$P"
  for i in $(seq 100); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$P" 2>/dev/null && fail "sh block $k: the sim did not stop on SIGTERM"
  grep -q 'msg="sim: stopped"' "$T/host$k.log" || fail "sh block $k: the sim did not stop cleanly"
  echo "ok - sh block $k: tradehost sim --venue $venue listens: $(cat ep$k.json)"
done
pass "docs/sim.md: the documented sim commands and ccxt example run as written"
