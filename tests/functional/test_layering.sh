#!/usr/bin/env bash
# The layers of host/ (docs/architecture.md): the core is plain C that reaches up into nothing —
# no feed, venue, app or Lua code, no libuv, LuaJIT or libwebsockets. A test, so that a shortcut
# across the layers fails CI instead of waiting for a review. Also checks the objects: no core
# object calls a th_ function defined above the core.
source "$(dirname "$0")/lib.sh"
cd "$TH_HOME"

bad=$(grep -nE '#include *"\.\./(feed|venues|app|lua)/|#include *<(uv|lua|luajit|lauxlib|lualib|libwebsockets)[^>]*\.h>' host/core/*.c host/core/*.h || true)
[ -z "$bad" ] || fail "host/core includes a higher layer or a loop/Lua library:
$bad"
pass "host/core includes nothing from feed, venues, app or lua, nor libuv/LuaJIT/libwebsockets"

# host/sim (the sim's matching engine) sits on the core only: the wire protocols and the server
# that use it live above it.
bad=$(grep -nE '#include *"\.\./(feed|venues|app|lua)/|#include *<(uv|lua|luajit|lauxlib|lualib|libwebsockets)[^>]*\.h>' host/sim/*.c host/sim/*.h || true)
[ -z "$bad" ] || fail "host/sim includes a higher layer or a loop/Lua library:
$bad"
pass "host/sim includes only the core, nor libuv/LuaJIT/libwebsockets"

# Every th_ symbol the core's objects use must be defined by the core's objects: a th_ symbol
# defined only elsewhere (feed, venues, app, lua) is a call up across the layers.
objs=$(ls "$TH_BUILD"/CMakeFiles/thcore_obj.dir/host/core/*.o)
[ -n "$objs" ] || fail "no core objects under $TH_BUILD"
nm -u $objs | awk '$1 == "U" && $2 ~ /^th_/ { print $2 }' | sort -u >"$T/used"
nm --defined-only $objs | awk 'NF == 3 && $3 ~ /^th_/ { print $3 }' | sort -u >"$T/defined"
up=$(comm -23 "$T/used" "$T/defined")
[ -z "$up" ] || fail "the core calls th_ functions defined outside it: $up"
pass "every th_ function the core calls is defined in the core ($(wc -l <"$T/used") used, $(wc -l <"$T/defined") defined)"

# host/net (the socket adapters: lws and curl on the loop) sits on the core only: no feed, venue,
# connector, app or Lua code, so a second venue's connector reuses it as it is.
bad=$(grep -nE '#include *"\.\./(feed|venues|connectors|app|lua|simd)/|#include *<(lua|luajit|lauxlib|lualib)[^>]*\.h>' host/net/*.c host/net/*.h || true)
[ -z "$bad" ] || fail "host/net includes a higher layer or Lua:
$bad"
pass "host/net includes only the core (and the loop and socket libraries)"

# host/app: modules with one job each (docs/architecture.md, "host/app"). A module is a file name
# without its extension (trading.c + trading.h); it depends on every host/app header its .c or .h
# includes. The graph must be acyclic: a cycle (session -> trading -> session) means neither side
# can be read, tested or changed alone.
app_edges() {
  local f mod inc
  for f in host/app/*.c host/app/*.h; do
    mod=$(basename "${f%.*}")
    for inc in $(sed -nE 's/^#include *"([a-z_]+)\.h".*/\1/p' "$f"); do
      [ -f "host/app/$inc.h" ] && [ "$inc" != "$mod" ] && echo "$mod $inc"
    done
  done | sort -u
}
app_edges >"$T/app_edges"
[ -s "$T/app_edges" ] || fail "no #include edges found among host/app files"
tsort "$T/app_edges" >/dev/null 2>"$T/tsort.err" || fail "host/app modules include each other in a cycle:
$(cat "$T/tsort.err")
edges (module -> header it includes):
$(cat "$T/app_edges")"
pass "host/app modules include each other without a cycle ($(wc -l <"$T/app_edges") edges)"

# The order side is built from what the session hands it (th_trading_opts): no trading file
# includes the session, nor the control surfaces the session owns.
trading_files=$(ls host/app/trading*.[ch] host/app/*_ffi.c host/app/journal_cmd.[ch])
bad=$(grep -nE '#include *"(session|api|repl)\.h"' $trading_files || true)
[ -z "$bad" ] || fail "an order-side file includes the session or its control surfaces:
$bad"
pass "no order-side file (trading*, *_ffi.c, journal_cmd) includes session.h, api.h or repl.h"

# The control surfaces see the session through one narrow interface. The API includes, of host/app,
# only its own header and session_view.h (not session.h, trading.h, tradehost.h: the FFI is the
# strategies' surface, not the API's); the REPL only its own header (it reaches the session through
# the Lua it evaluates, like a strategy). And their objects call nothing above the core but the
# Lua runtime (the REPL): whatever else they do goes through the view's function table.
app_includes() { sed -nE 's/^#include *"([^"]+)".*/\1/p' "$1" | grep -vE '^\.\./(core|lua|net)/' | sort -u | tr '\n' ' '; }
only_includes() { # FILE ALLOWED_REGEX: FILE's host/app includes outside ALLOWED_REGEX
  app_includes "$1" | tr ' ' '\n' | grep -vxE "$2|" || true
}
for f in host/app/api*.c host/app/api*.h; do
  extra=$(only_includes "$f" 'api\.h|api_impl\.h|session_view\.h')
  [ -z "$extra" ] || fail "$f includes more of the session than session_view.h: $extra"
done
grep -q '#include "session_view.h"' host/app/api.h || fail "api.h does not take the session's view (session_view.h)"
for f in host/app/repl.c host/app/repl.h; do
  extra=$(only_includes "$f" 'repl\.h')
  [ -z "$extra" ] || fail "$f includes session or order-side headers: $extra"
done
pass "api.c sees the session only through session_view.h; repl.c through nothing but Lua"
app_objs="$TH_BUILD/CMakeFiles/tradehost.dir/host/app"
lua_objs=$(ls "$TH_BUILD"/CMakeFiles/tradehost.dir/host/lua/*.o)
net_objs=$(ls "$TH_BUILD"/CMakeFiles/tradehost.dir/host/net/*.o)
# the API may use the loop adapters (host/net: lws on the loop), which sit on the core only
{ cat "$T/defined"; nm --defined-only $net_objs | awk 'NF == 3 && $3 ~ /^th_/ { print $3 }'; } | sort -u >"$T/defined.net"; mv "$T/defined.net" "$T/defined"
nm --defined-only $lua_objs | awk 'NF == 3 && $3 ~ /^th_/ { print $3 }' | sort -u >"$T/lua_defined"
# The API is three objects (api.c, api_routes.c, api_events.c): each may call the others and the core.
nm --defined-only "$app_objs"/api*.c.o | awk 'NF == 3 && $3 ~ /^th_/ { print $3 }' | sort -u "$T/defined" - >"$T/api.allowed"
for o in api api_routes api_events repl; do
  nm -u "$app_objs/$o.c.o" | awk '$1 == "U" && $2 ~ /^th_/ { print $2 }' | sort -u >"$T/$o.used"
  allowed="$T/api.allowed"
  [ "$o" = repl ] && { sort -u "$T/defined" "$T/lua_defined" >"$T/repl.allowed"; allowed="$T/repl.allowed"; }
  up=$(comm -23 "$T/$o.used" "$allowed")
  [ -z "$up" ] || fail "$o.c calls th_ functions of the session or the order side directly: $up"
done
pass "the API's and the REPL's objects call no session or order-side function (the API: core only)"

# Small files: no file in host/app over 500 lines. Why 500: a file that size is read whole in one
# sitting, top to bottom; past it, in this codebase, a file has always held a second concept
# (trading.c at 972 lines held five). A file that grows past it is split by concept, not trimmed.
LIMIT=500
long=$(wc -l host/app/*.c host/app/*.h | awk -v max=$LIMIT '$2 != "total" && $1 > max { print $2 " (" $1 " lines)" }')
[ -z "$long" ] || fail "host/app files over $LIMIT lines (split them by concept):
$long"
pass "every host/app file is at most $LIMIT lines (longest: $(wc -l host/app/*.c host/app/*.h | grep -v total | sort -n | tail -1 | awk '{print $2, $1}'))"
