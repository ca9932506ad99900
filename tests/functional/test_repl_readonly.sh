#!/usr/bin/env bash
# test_repl_readonly.sh — what the REPL may do (issue 11 item 5). `tradehost repl --read-only` and
# a repl.readonly_socket get a sandbox the host enforces: no ffi, os, io, debug, jit, require,
# bytecode, collectgarbage or newproxy; state, ctx and the shared library tables cannot be changed
# (table.insert/remove/sort, which write past __newindex, refuse a read-only table); no reload;
# th has no order, quote, kill or rearm functions; a read-only connection cannot be upgraded, and a
# client on the read-only socket that asks for full access (a client can lie) still gets read-only.
# The full REPL is the operator console: `_G.os.exit(7)` stops the host gracefully (orders
# cancelled, journal closed, exit status 7) instead of ending it on the spot.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
RO_SOCK="$T/ro.sock"

paper_mm_config
sed -i "s|^  repl = { socket = .*|  repl = { socket = \"$SOCK\", readonly_socket = \"$RO_SOCK\" },|" "$T/cfg.lua"
grep -q readonly_socket "$T/cfg.lua" || fail "config edit failed: $(cat "$T/cfg.lua")"

ro() { timeout 20 "$TH_BIN" repl --read-only "$SOCK" 2>>"$T/repl.err" || echo "(client exited $?)"; }
full() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err" || echo "(client exited $?)"; }

start_host run "$T/cfg.lua"
wait_for 'repl: listening.*access=full' 10
wait_for 'repl: listening.*access=read-only' 10
wait_for 'order flow ready' 10
[ "$(stat -c %a "$RO_SOCK")" = 600 ] || fail "read-only socket mode is $(stat -c %a "$RO_SOCK")"

# Each refusal with the answer it must get (one line each).
REFUSALS=(
  'ffi.C.exit(9)'                                   "attempt to index global 'ffi'"
  'require("ffi")'                                  "attempt to call global 'require'"
  'os.execute("true")'                              "attempt to index global 'os'"
  '_G.os.exit(7)'                                   "attempt to index field 'os'"
  'io.popen("id")'                                  "attempt to index global 'io'"
  'debug.getinfo(1)'                                "attempt to index global 'debug'"
  'jit.on()'                                        "attempt to index global 'jit'"
  'collectgarbage("stop")'                          "attempt to call global 'collectgarbage'"
  'newproxy(true)'                                  "attempt to call global 'newproxy'"
  'getfenv(0).os'                                   "attempt to call global 'getfenv'"
  'dofile("/etc/passwd")'                           "attempt to call global 'dofile'"
  'loadfile("/etc/passwd")'                         "attempt to call global 'loadfile'"
  'load(string.dump(function() return 1 end))'     'read-only REPL: bytecode is refused'
  'loadstring(string.dump(function() end))'         'read-only REPL: bytecode is refused'
  'load("return os")()'                             '^nil$'
  'th.orders.place{ symbol = "XMR/USD", side = "buy", price = 300, size = 0.5 }' "attempt to call field 'place'"
  'th.orders.cancel_all()'                          "attempt to call field 'cancel_all'"
  'th.quotes.set("XMR/USD", {})'                    "attempt to index field 'quotes'"
  'th.risk.kill("ro")'                              "attempt to call field 'kill'"
  'th.risk.rearm()'                                 "attempt to call field 'rearm'"
  'th.risk.set_reference("XMR/USD", 1)'             "attempt to call field 'set_reference'"
  'th.log.info("x")'                                "attempt to index field 'log'"
  'th.metrics.register("x")'                        "attempt to index field 'metrics'"
  'state.hijacked = true'                           'read-only REPL: this table cannot be changed'
  'ctx.params.levels = 99'                          'read-only REPL: this table cannot be changed'
  'ctx.config.risk.price_band_pct = 100'            'read-only REPL: this table cannot be changed'
  'th.book("XMR/USD").id = 3'                       'read-only REPL: this table cannot be changed'
  'string.find = function() end'                    'read-only REPL: this table cannot be changed'
  'th.orders.open = nil'                            'read-only REPL: this table cannot be changed'
  'setmetatable(state, {})'                         'cannot change a protected metatable'
  'setmetatable(string, { __index = function() while true do end end })' 'cannot change a protected metatable'
  'getmetatable("").__index'                        "attempt to index a nil value"
  'rawset(string, "find", print)'                   "attempt to call global 'rawset'"
  'table.insert(ctx.pairs, 1)'                      'read-only REPL: this table cannot be changed'
  'table.insert(state.refusals, "x")'               'read-only REPL: this table cannot be changed'
  'table.remove(ctx.pairs)'                         'read-only REPL: this table cannot be changed'
  'table.sort(ctx.pairs, function() return false end)' 'read-only REPL: this table cannot be changed'
  'reload()'                                        "attempt to call global 'reload'"
  'th.reload()'                                     "attempt to call field 'reload'"
  'th.orders.amend("x", {})'                        "attempt to call field 'amend'"
  'while true do end'                               'stopped after [0-9]+ (instructions|ms)'
  'TH-REPL 2 full'                                  '^error: '
  'ffi'                                             '^nil$'
)
N=$((${#REFUSALS[@]} / 2))
for ((i = 0; i < N; i++)); do printf '%s\n' "${REFUSALS[2 * i]}"; done | ro >"$T/ro.out" || fail "read-only client exited $?"
[ "$(wc -l <"$T/ro.out")" = "$N" ] || { cat "$T/ro.out"; fail "expected $N answers"; }
for ((i = 0; i < N; i++)); do
  line=$(sed -n "$((i + 1))p" "$T/ro.out")
  grep -Eq -- "${REFUSALS[2 * i + 1]}" <<<"$line" || fail "read-only '${REFUSALS[2 * i]}': answer '$line' does not match /${REFUSALS[2 * i + 1]}/"
done
kill -0 "$HOST_PID" || fail "host died"
pass "read-only REPL: $N refusals (ffi, os, io, debug, jit, require, bytecode, writes to state/ctx/config/libraries, order and kill functions, upgrade)"

# What read-only may do: read.
OUT=$(printf '%s\n' 'th.risk.status().halted' '#th.orders.open() > 0' 'ctx.name' 'len(ctx.pairs)' \
  'local n = 0 for _, p in ipairs(ctx.pairs) do n = n + 1 end return n' 'ctx.pairs[1].symbol' 'type(state)' \
  'th.book("XMR/USD"):mid() > 0' 'th.position("XMR/USD").qty' 'x = 5' 'x * 2' | ro)
[ "$OUT" = $'false\ntrue\n"market_maker"\n2\n2\n"XMR/USD"\n"table"\ntrue\n0\n10' ] || fail "read-only reads: got '$OUT'"
# The strategy still quotes, unharmed by every attempt above.
OUT=$(printf '%s\n' 'th.risk.status().halted' '#th.orders.open() > 0' 'state.hijacked' | full)
[ "$OUT" = $'false\ntrue\nnil' ] || fail "after the read-only session: '$OUT'"
pass "read-only REPL reads th, state, ctx and books; nothing it tried changed the host"

# The read-only socket is read-only whatever the client asks (the hello is not trusted).
OUT=$(printf '%s\n' 'type(ffi), type(os)' | timeout 10 "$TH_BIN" repl "$RO_SOCK")
[ "$OUT" = '"nil"	"nil"' ] || fail "full hello on the read-only socket: '$OUT'"
python3 - "$RO_SOCK" >"$T/raw.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
def frame():
    h = b""
    while len(h) < 5: h += s.recv(5 - len(h))
    n = int.from_bytes(h[1:5], "big"); d = b""
    while len(d) < n: d += s.recv(n - len(d))
    return h[0], d.decode()
s.sendall(b"TH-REPL 2 full\ntype(ffi)\n")
print(frame(), frame())
PY
[ "$(cat "$T/raw.out")" = "(0, 'read-only') (0, '\"nil\"\\n')" ] || fail "raw client asking for full on the read-only socket: $(cat "$T/raw.out")"
pass "repl.readonly_socket grants read-only to a client that asks for full access"

# The full REPL is the operator console; os.exit by any path stops the host gracefully.
OUT=$(printf '%s\n' 'type(require("ffi").C), type(io.popen)' 'os.exit == _G.os.exit and os.exit == require("os").exit' | full)
[ "$OUT" = $'"userdata"\t"function"\ntrue' ] || fail "full REPL: '$OUT'"
live=$(echo '#th.orders.open()' | full)
[ "$live" -gt 0 ] || fail "no live orders before os.exit"
OUT=$(echo '_G.os.exit(7)' | full)
grep -q 'error: os.exit(7): the host is stopping gracefully' <<<"$OUT" || fail "os.exit answer: '$OUT'"
wait_exit 10
[ "$HOST_RC" = 7 ] || fail "host exited $HOST_RC after os.exit(7), want 7"
grep -q "os.exit called from Lua: stopping gracefully.*status=7" "$T/host.log" || fail "os.exit not logged"
grep -q 'every order is cancelled' "$T/host.log" || fail "orders not cancelled on os.exit"
grep -q 'order flow closed.*live_orders=0' "$T/host.log" || fail "journal not closed with no live orders"
[ ! -e "$SOCK" ] && [ ! -e "$RO_SOCK" ] || fail "socket files left after os.exit"
pass "_G.os.exit(7) from the full REPL: $live orders cancelled, journal closed, exit status 7"
