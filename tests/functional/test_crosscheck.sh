#!/usr/bin/env bash
# tradehost's books (jsmn / fast path, exact integers) equal an independent Lua reference (lua-cjson,
# doubles) at the end of every bundled recording, for all four venues, level by level.
. "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data"
compare() { # compare NAME REFERENCE.json REPLAY.json
  luajit "$TH_HOME/tests/functional/compare_books.lua" "$2" "$3" > "$T/$1.cmp" || { cat "$T/$1.cmp"; fail "$1 differs from the reference"; }
  pass "$1: $(cat "$T/$1.cmp")"
}
luajit "$TH_HOME/tests/functional/reference_books.lua" kraken "$D/kraken/book-5pairs-2021-04-17.v2.txt" > "$T/k.ref"
"$TH_BIN" replay "$D/kraken/book-5pairs-2021-04-17.v2.txt" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" --json > "$T/k.json" 2>/dev/null
compare kraken "$T/k.ref" "$T/k.json"
luajit "$TH_HOME/tests/functional/reference_books.lua" kraken-futures "$D/kraken-futures/futures-ws-v1-2021-07-22.rec" > "$T/f.ref"
"$TH_BIN" replay "$D/kraken-futures/futures-ws-v1-2021-07-22.rec" --venue kraken-futures --instruments "$D/kraken-futures/instruments-2021-07-22.rec" --json > "$T/f.json" 2>/dev/null
compare kraken-futures "$T/f.ref" "$T/f.json"
luajit "$TH_HOME/tests/functional/reference_books.lua" binance "$D/binance/spot-ws-2021-10-12.rec" "$D/binance/spot-depth-snapshots-2021-10-12.rec" > "$T/b.ref"
"$TH_BIN" replay "$D/binance/spot-ws-2021-10-12.rec" --venue binance --instruments "$D/binance/spot-exchangeInfo-2021-10-12.rec" --snapshots "$D/binance/spot-depth-snapshots-2021-10-12.rec" --json > "$T/b.json" 2>/dev/null
compare binance "$T/b.ref" "$T/b.json"
luajit "$TH_HOME/tests/functional/reference_books.lua" binance-usdm "$D/binance/usdm-ws-2021-07-22.rec" "$D/binance/usdm-depth-snapshots-2021-07-22.rec" > "$T/u.ref"
"$TH_BIN" replay "$D/binance/usdm-ws-2021-07-22.rec" --venue binance-usdm --instruments "$D/binance/usdm-exchangeInfo-2021-07-22.rec" --snapshots "$D/binance/usdm-depth-snapshots-2021-07-22.rec" --json > "$T/u.json" 2>/dev/null
compare binance-usdm "$T/u.ref" "$T/u.json"
