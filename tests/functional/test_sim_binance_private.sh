#!/usr/bin/env bash
# test_sim_binance_private.sh — trading against `tradehost sim --venue binance` over signed REST
# with npm's ccxt (tests/ccxt/binance_private.js says what it proves); then a clean SIGTERM; then an
# accounts file with a plain-text secret.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
D="$TH_HOME/tests/data/binance"
start_sim_venue binance --data "$D/spot-ws-2021-10-12.rec" --snapshots "$D/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$D/spot-exchangeInfo-2021-10-12.rec" --pace full
for i in $(seq 100); do curl -sf "$EP_CONTROL/state" | grep -q '"data_ended":true' && break; sleep 0.1; done
node "$TH_HOME/tests/ccxt/binance_private.js" "$T/endpoints.json" || fail "ccxt private test"
stop_sim
pass "SIGTERM: exit 0, no sanitizer report"

# --accounts: a Binance secret is plain text (not base64); the account trades with it
cat >"$T/accounts.json" <<'JSON'
{"accounts":[{"key":"bn-key-A","secret":"plain text secret, not base64!","balances":{"USDT":"250","NKN":"7"},"fees":{"maker_bps":10,"taker_bps":10}}]}
JSON
start_sim_venue binance --data "$D/spot-ws-2021-10-12.rec" --snapshots "$D/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$D/spot-exchangeInfo-2021-10-12.rec" --pace full --accounts "$T/accounts.json"
node -e '
  const { check } = require(process.argv[1] + "/tests/ccxt/sim_lib.js");
  const { binanceClient } = require(process.argv[1] + "/tests/ccxt/binance_lib.js");
  const ep = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
  (async () => {
    check(ep.key === undefined, "with --accounts no generated key is printed");
    const ex = await binanceClient(ep, { apiKey: "bn-key-A", secret: "plain text secret, not base64!" });
    const b = await ex.fetchBalance();
    check(b.USDT.free === 250 && b.NKN.free === 7, `the file'"'"'s balances: ${JSON.stringify([b.USDT, b.NKN])}`);
    await ex.close();
  })().catch((e) => { console.error("FAIL: " + e); process.exit(1); });' "$TH_HOME" "$T/endpoints.json" || fail "accounts file"
stop_sim
pass "--accounts with a plain-text Binance secret: signed calls accepted, the file's balances"
