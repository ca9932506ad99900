#!/usr/bin/env bash
# Binance fees paid in BNB (the account's fee asset differs from the pair's quote): the host records
# each such fee as charged, in BNB — the FILL journal record's text, the journal's "fees_other"
# totals — and never converts it into the quote silently (the position's quote fees stay 0).
# Real sockets, the sim on the bundled Binance recording, an account paying fees in BNB at
# 1 BNB = 600 USDT: the probe buys 40 NKNUSDT and sells 40 across the spread (taker, 26 bps).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

python3 - "$T/accounts.json" <<'PY'
import json, os, sys
acc = {"key": "bnb-payer", "secret": os.urandom(24).hex(), "balances": {"USDT": "100000", "NKN": "100000", "BNB": "10"},
       "fees": {"maker_bps": 10, "taker_bps": 26}, "fee_asset": {"asset": "BNB", "prices": {"USDT": "600"}}}
json.dump({"accounts": [acc]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".env", "w").write("export BINANCE_KEY=%s BINANCE_SECRET=%s\n" % (acc["key"], acc["secret"]))
PY
start_sim_venue binance --data "$BN_DATA/spot-ws-2021-10-12.rec" --snapshots "$BN_DATA/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$BN_INS" --accounts "$T/accounts.json" --speed 1 --paused
source "$T/accounts.json.env"
bn_probe_config "b buy 0.3600 40; s sell 0.3400 40"
sim_post resume
start_session "$T/cfg.lua"
swait "binance private: user data subscribed" 10
swait "probe fill" 20 2
swait "fee charged in another asset than the quote" 5 2
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
"$TH_BIN" journal "$T/j" --json >"$T/journal.json" || fail "tradehost journal --json failed"
sim_state >"$T/state.json"
python3 - "$T/journal.json" "$T/state.json" <<'PY' || fail "the BNB fees are not recorded as charged"
import json, sys
from decimal import Decimal
j = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))["accounts"][0]
trades = [t for t in a["trades"] if t["symbol"] == "NKNUSDT"]
assets = {t["fee_asset"] for t in trades}
if len(trades) < 2 or assets != {"BNB"}: print("the sim charged:", [(t["fee"], t["fee_asset"]) for t in trades]); sys.exit(1)
sim_bnb = sum(Decimal(t["fee"]) for t in trades)
mine = j["fees_other"].get("BNB")
print("sim: %d fills, fees %s BNB | host: %s" % (len(trades), sim_bnb, mine))
if not mine or Decimal(mine["amount"]) != sim_bnb or mine["fills"] != len(trades): sys.exit(1)
p = j["positions"]["NKNUSDT"]
if Decimal(p["fees"]) != 0 or p["fills"] != len(trades): print("position:", p, "(a BNB fee converted into USDT?)"); sys.exit(1)
PY
pass "fees charged in BNB recorded in BNB ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fees_other"])' "$T/journal.json")), the quote fees 0"
stop_sim
