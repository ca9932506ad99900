# futures_lead_lib.sh — the scaffolding of the live Kraken Futures lead tests (sourced after lib.sh,
# sim_lib.sh and kraken_live_lib.sh): a second sim serving Kraken Futures from the bundled recording,
# held until POST /_sim/resume, and the paper session on Kraken spot that takes it as its lead.
FUT_PID=""
FD="$TH_HOME/tests/data/kraken-futures"
fut() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/fut.json" "$1"; }
# start_fut_sim: the Futures sim (--paused), its endpoints line in $T/fut.json, FUT_CONTROL its control URL
start_fut_sim() {
  "$TH_BIN" sim --venue kraken-futures --data "$FD/futures-ws-v1-2021-07-22.rec" --instruments "$FD/instruments-2021-07-22.rec" \
    --speed 1 --paused >"$T/fut.json" 2>"$T/fut.log" &
  FUT_PID=$!
  local i=0
  until grep -q '}' "$T/fut.json" 2>/dev/null; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "no endpoints line from the futures sim"; done
  FUT_CONTROL="$(fut rest)/_sim"
}
# lead_config TICK_MS BUDGET_MS: $T/cfg.lua, a paper session on the spot sim quoting nothing (the
# live_lead_books strategy dumps the lead books to $T/lead.json) with both Futures products as its lead
lead_config() {
  cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "kraken", paper = true, instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_public)", ws_private = "$(ep ws_private)" },
            stale_ms = 3600000,
            lead = { feed = "kraken-futures", instruments = "$FD/instruments-2021-07-22.rec",
                     endpoints = { ws_public = "$(fut ws_public)" }, symbols = { "pi_ethusd", "fi_xbtusd_210924" } } },
  strategy = { name = "live_lead_books", module = "$TH_HOME/tests/functional/live_lead_books.lua", tick_ms = $1, budget_ms = $2,
               params = { out = "$T/lead.json", lead = { "pi_ethusd", "fi_xbtusd_210924" } } },
  pairs = { { symbol = "XMR/USD" } },
  storage = { journal_dir = "$T/j" },
  api = { listen = "127.0.0.1:0" },
}
CFG
}
