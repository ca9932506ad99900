#!/usr/bin/env bash
# test_sim_kraken_private.sh — trading against `tradehost sim --venue kraken` with npm's ccxt and a
# raw websocket client (tests/ccxt/kraken_private.js says what it proves); then the accounts file's
# errors, and the generated account (no --accounts) printed in the endpoints line and usable.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
D="$TH_HOME/tests/data/kraken"
VEC="$TH_HOME/tests/data/vectors/signing.json"
SECRET_A=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kraken_spot_rest_api_sign"]["secret"])' "$VEC")
SECRET_B=$(python3 -c 'import base64; print(base64.b64encode(bytes(range(64))).decode())')
cat >"$T/accounts.json" <<JSON
{"accounts":[
  {"key":"key-A","secret":"$SECRET_A","balances":{"USD":"100000","XMR":"50","EUR":"1000"},"fees":{"maker_bps":16,"taker_bps":26}},
  {"key":"key-B","secret":"$SECRET_B","balances":{"ZUSD":"500"},"fees":{"maker_bps":0,"taker_bps":10},"tier":"pro"}
]}
JSON

start_sim --data "$D/book-5pairs-2021-04-17.v2.txt" --instruments "$D/instrument-5pairs.v2.json" --pace full --accounts "$T/accounts.json"
node "$TH_HOME/tests/ccxt/kraken_private.js" "$T/endpoints.json" "$T/accounts.json" "$VEC" || fail "ccxt private test"
stop_sim
pass "SIGTERM: exit 0, no sanitizer report"

# an accounts file with a fault: exit 2 naming the account and field
bad_accounts() { # bad_accounts JSON EXPECTED_TEXT
  printf '%s' "$1" >"$T/bad.json"
  set +e; "$TH_BIN" sim --venue kraken --data "$D/book-5pairs-2021-04-17.v2.txt" --instruments "$D/instrument-5pairs.v2.json" \
    --accounts "$T/bad.json" >"$T/out" 2>"$T/err"; rc=$?; set -e
  [ $rc = 2 ] || fail "accounts $1: exit $rc, expected 2"
  grep -qF -- "$2" "$T/err" || fail "accounts $1: expected '$2' in: $(cat "$T/err")"
}
bad_accounts '{"accounts":[{"key":"k","secret":"not base64!"}]}' 'accounts[0]: "secret": Kraken secrets are base64'
bad_accounts '{"accounts":[{"secret":"AAAA"}]}' 'accounts[0]: "key"'
bad_accounts '{"accounts":[{"key":"k","secret":"AAAA"},{"key":"k","secret":"AAAA"}]}' 'accounts[1]: "key" used by an earlier account'
bad_accounts '{"accounts":[{"key":"k","secret":"AAAA","balances":{"USD":"-5"}}]}' 'balance USD=-5'
bad_accounts '{"accounts":[{"key":"k","secret":"AAAA","fees":{"maker_bps":"x"}}]}' '"fees"'
bad_accounts '{"nope":1}' 'expected {"accounts"'
pass "bad accounts files: exit 2 naming the account and field"

# no --accounts: one generated account (repeatable for a --seed), its key and secret in the line
start_sim --data "$D/book-5pairs-2021-04-17.v2.txt" --instruments "$D/instrument-5pairs.v2.json" --pace full --seed 7
node -e '
  const { krakenClient, check } = require(process.argv[1] + "/tests/ccxt/sim_lib.js");
  const ep = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
  (async () => {
    check(/^sim-[0-9a-f]{16}$/.test(ep.key) && Buffer.from(ep.secret, "base64").length === 64, "generated key and a 64-byte base64 secret");
    const ex = await krakenClient(ep, { apiKey: ep.key, secret: ep.secret });
    const b = await ex.fetchBalance();
    check(b.USD.total === 1000000 && b.XMR.total === 1000000 && b.BTC.total === 1000000, "1,000,000 of every asset");
    await ex.close();
  })().catch((e) => { console.error("FAIL: " + e); process.exit(1); });' "$TH_HOME" "$T/endpoints.json" || fail "generated account"
KEY1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$T/endpoints.json")
stop_sim
start_sim --data "$D/book-5pairs-2021-04-17.v2.txt" --instruments "$D/instrument-5pairs.v2.json" --pace full --seed 7
KEY2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$T/endpoints.json")
stop_sim
[ "$KEY1" = "$KEY2" ] || fail "the same --seed gave keys $KEY1 and $KEY2"
pass "no --accounts: a generated account ($KEY1, the same for the same --seed) holding 1,000,000 of every asset"
