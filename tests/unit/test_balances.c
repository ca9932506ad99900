/* test_balances.c — the balance store (core/balances.c) and the venue parsers that fill it
 * (connectors/kraken_balances.c): exact decimal text in, exact money out at the asset's decimals;
 * the scale grows (exactly) and never shrinks; past 24 decimals a figure is rounded and counted;
 * bad text is refused with a message naming the asset and the store is unchanged; real
 * magnitudes (BTC at 8-10 decimals, a meme coin with 1e12 units); Kraken's BalanceEx (REST ids
 * to v2 names, hold_trade as held), its `balances` snapshot (the spot wallet) and ledger updates;
 * an asset a full answer leaves out holds nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/connectors/kraken_balances.h"
#include "../../host/core/balances.h"
#include "../../host/core/json.h"
#include "../../host/include/tradehost.h"

static const char *fmt(th_money m, int32_t scale)
{
    static char b[4][64];
    static int k;
    char *o = b[k++ & 3];
    th_money_format_short(m, scale, o, 64);
    return o;
}

static void test_parse(void **st)
{
    (void)st;
    const char *err = NULL;
    th_money m;
    int32_t sc = 0;
    assert_int_equal(th_balance_parse("1.50000000", 10, &m, &sc, &err), 0);
    assert_int_equal(sc, 8); /* the decimals written, trailing zeros included: the asset's */
    assert_true(m == 150000000);
    sc = 10;
    assert_int_equal(th_balance_parse("2", 1, &m, &sc, &err), 0);
    assert_int_equal(sc, 10);
    assert_true(m == (th_money)20000000000LL);
    sc = 0;
    assert_int_equal(th_balance_parse("1.5e-05", 7, &m, &sc, &err), 0); /* a JSON number in exponent form */
    assert_int_equal(sc, 6);
    assert_true(m == 15);
    sc = 0;
    assert_int_equal(th_balance_parse("-0.25", 5, &m, &sc, &err), 0);
    assert_true(m == -25);
    /* 1e12 units of a meme coin at 8 decimals, and 10^29 units at the 24-decimal cap */
    sc = 0;
    assert_int_equal(th_balance_parse("1000000000000.00000001", 22, &m, &sc, &err), 0);
    assert_string_equal(fmt(m, sc), "1000000000000.00000001");
    /* past 24 decimals: rounded half away from zero, and said so (1) */
    sc = 0;
    assert_int_equal(th_balance_parse("0.0000000000000000000000015", 27, &m, &sc, &err), 1);
    assert_int_equal(sc, 24);
    assert_true(m == 2);
    /* refusals name what was wrong */
    sc = 0;
    assert_int_equal(th_balance_parse("abc", 3, &m, &sc, &err), -1);
    assert_string_equal(err, "a balance that is not a number");
    assert_int_equal(th_balance_parse("1.5x", 4, &m, &sc, &err), -1);
    assert_int_equal(th_balance_parse("", 0, &m, &sc, &err), -1);
    assert_int_equal(th_balance_parse("1e", 2, &m, &sc, &err), -1);
    assert_int_equal(th_balance_parse("123456789012345678901234567890123456789", 39, &m, &sc, &err), -1);
    assert_string_equal(err, "a balance with more than 38 significant digits");
    sc = 24;
    assert_int_equal(th_balance_parse("1e20", 4, &m, &sc, &err), -1); /* 10^44 units */
    assert_string_equal(err, "a balance too large to hold");
}

static void test_store(void **st)
{
    (void)st;
    th_balances b;
    th_balances_init(&b);
    const char *err = NULL;
    assert_false(b.known);
    assert_null(th_balances_find(&b, "BTC"));
    /* BTC at 10 decimals (Kraken's), held by an open sell */
    assert_int_equal(th_balances_set_text(&b, "BTC", "2.5000000000", 12, "0.1234567800", 12, 100, &err), 0);
    const th_balance *x = th_balances_find(&b, "BTC");
    assert_non_null(x);
    assert_int_equal(x->scale, 10);
    assert_string_equal(fmt(x->total, x->scale), "2.5");
    assert_string_equal(fmt(th_balance_available(x), x->scale), "2.37654322");
    /* a finer figure raises the scale exactly: the held keeps its value */
    assert_int_equal(th_balances_set_text(&b, "BTC", "2.49999999999999999999", 22, NULL, 0, 200, &err), 0);
    x = th_balances_find(&b, "BTC");
    assert_int_equal(x->scale, 20);
    assert_string_equal(fmt(x->total, x->scale), "2.49999999999999999999");
    assert_string_equal(fmt(x->held, x->scale), "0.12345678");
    assert_true(x->ts_ns == 200);
    /* a coarser one later does not lower it */
    assert_int_equal(th_balances_set_text(&b, "BTC", "3", 1, "0", 1, 300, &err), 0);
    x = th_balances_find(&b, "BTC");
    assert_int_equal(x->scale, 20);
    assert_string_equal(fmt(x->total, x->scale), "3");
    assert_true(x->held == 0);
    /* a refusal names the asset and changes nothing */
    uint64_t updates = b.updates;
    assert_int_equal(th_balances_set_text(&b, "BTC", "3.x", 3, NULL, 0, 400, &err), -1);
    assert_string_equal(err, "BTC: a balance that is not a number");
    assert_string_equal(fmt(th_balances_find(&b, "BTC")->total, 20), "3");
    assert_true(b.updates == updates);
    assert_true(b.refused == 1);
    assert_int_equal(th_balances_set_text(&b, "A_NAME_TOO_LONG_", "1", 1, NULL, 0, 400, &err), -1);
    /* a meme coin: 1e9 units and a fraction, available after 4e8 held */
    assert_int_equal(th_balances_set_text(&b, "MEME", "1000000000.12345678", 19, "400000000", 9, 500, &err), 0);
    x = th_balances_find(&b, "MEME");
    assert_string_equal(fmt(th_balance_available(x), x->scale), "600000000.12345678");
    /* setting what is already there is no update */
    updates = b.updates;
    assert_int_equal(th_balances_set_text(&b, "MEME", "1000000000.12345678", 19, NULL, 0, 600, &err), 0);
    assert_true(b.updates == updates);
    th_balances_mark_known(&b, "kraken", 700);
    assert_true(b.known);
    assert_string_equal(b.source, "kraken");
    th_balances_forget(&b);
    assert_false(b.known);
    assert_null(th_balances_find(&b, "MEME"));
    th_balances_free(&b);
}

static int parse(th_json *j, const char *s)
{
    int rc = th_json_parse(j, s, strlen(s));
    assert_true(rc > 0);
    return rc;
}

static void test_kraken(void **st)
{
    (void)st;
    th_json j;
    assert_int_equal(th_json_init(&j, 4096), 0);
    th_balances b;
    th_balances_init(&b);
    /* REST BalanceEx: ids to v2 names, hold_trade as held */
    parse(&j, "{\"XXBT\":{\"balance\":\"2.5000000000\",\"hold_trade\":\"0.0100000000\"},"
              "\"ZUSD\":{\"balance\":\"100000.0000\",\"hold_trade\":\"1234.5678\"},"
              "\"MEME\":{\"balance\":\"1000000000\",\"hold_trade\":\"0\"}}");
    assert_int_equal(th_kraken_balances_rest(&b, &j, 0, true, 1), 3);
    assert_true(b.known);
    const th_balance *x = th_balances_find(&b, "BTC");
    assert_non_null(x);
    assert_int_equal(x->scale, 10);
    assert_string_equal(fmt(th_balance_available(x), x->scale), "2.49");
    x = th_balances_find(&b, "USD");
    assert_string_equal(fmt(th_balance_available(x), x->scale), "98765.4322");
    assert_null(th_balances_find(&b, "XXBT"));
    /* the channel's snapshot: the spot wallet's balance (earn apart); MEME not named: 0 */
    parse(&j, "{\"channel\":\"balances\",\"type\":\"snapshot\",\"data\":[{\"asset\":\"BTC\",\"asset_class\":\"currency\","
              "\"balance\":3.5,\"wallets\":[{\"type\":\"earn\",\"id\":\"flex\",\"balance\":1.0},"
              "{\"type\":\"spot\",\"id\":\"main\",\"balance\":2.5}]},"
              "{\"asset\":\"USD\",\"balance\":100000,\"wallets\":[{\"type\":\"spot\",\"id\":\"main\",\"balance\":100000}]}],"
              "\"sequence\":1}");
    assert_int_equal(th_kraken_balances_ws(&b, &j, 2), 1);
    assert_string_equal(fmt(th_balances_find(&b, "BTC")->total, 10), "2.5");
    assert_true(th_balances_find(&b, "MEME")->total == 0);
    /* a buy of 0.01 BTC at 100000.1 with a 2.600026 USD fee: the ledger's balances after */
    parse(&j, "{\"channel\":\"balances\",\"type\":\"update\",\"data\":["
              "{\"ledger_id\":\"L1\",\"type\":\"trade\",\"asset\":\"USD\",\"wallet_type\":\"spot\",\"amount\":-1000.001,"
              "\"fee\":2.600026,\"balance\":98997.398974},"
              "{\"ledger_id\":\"L2\",\"type\":\"trade\",\"asset\":\"BTC\",\"wallet_type\":\"spot\",\"amount\":0.01,"
              "\"fee\":0,\"balance\":2.51},"
              "{\"ledger_id\":\"L3\",\"type\":\"earn\",\"asset\":\"BTC\",\"wallet_type\":\"earn\",\"amount\":1,\"balance\":9}]}");
    assert_int_equal(th_kraken_balances_ws(&b, &j, 3), 0);
    x = th_balances_find(&b, "USD");
    assert_string_equal(fmt(x->total, x->scale), "98997.398974");
    assert_string_equal(fmt(th_balances_find(&b, "BTC")->total, 10), "2.51");
    /* BalanceEx for holds only while the channel owns the totals */
    parse(&j, "{\"XXBT\":{\"balance\":\"2.5100000000\",\"hold_trade\":\"0\"},\"ZUSD\":{\"balance\":\"98997.3989\",\"hold_trade\":\"0\"}}");
    assert_int_equal(th_kraken_balances_rest(&b, &j, 0, false, 4), 2);
    x = th_balances_find(&b, "USD");
    assert_string_equal(fmt(x->total, x->scale), "98997.398974"); /* not the REST answer's 4 decimals */
    assert_true(x->held == 0);
    /* not an object: refused */
    parse(&j, "[1,2]");
    assert_int_equal(th_kraken_balances_rest(&b, &j, 0, true, 5), -1);
    parse(&j, "{\"channel\":\"balances\",\"type\":\"other\",\"data\":[]}");
    assert_int_equal(th_kraken_balances_ws(&b, &j, 5), -1);
    th_balances_free(&b);
    th_json_free(&j);
}

/* The balance gate at real magnitudes: BTC/USD at 100,000.0 with 8 qty decimals against USD at 4
 * decimals, and a meme coin with 1e9 units at 0.00000123 against 9-decimal figures. */
static void test_gate(void **st)
{
    (void)st;
    th_instrument btc, meme;
    memset(&btc, 0, sizeof btc);
    snprintf(btc.base, sizeof btc.base, "BTC");
    snprintf(btc.quote, sizeof btc.quote, "USD");
    btc.price_dec = 1;
    btc.qty_dec = 8;
    memset(&meme, 0, sizeof meme);
    snprintf(meme.base, sizeof meme.base, "MEME");
    snprintf(meme.quote, sizeof meme.quote, "USDT");
    meme.price_dec = 8;
    meme.qty_dec = 0;
    th_balances b;
    th_balances_init(&b);
    const char *err;
    /* unknown: the gate lets everything through (the venue decides, as before) */
    assert_int_equal(th_balances_gate(&b, &btc, TH_BID, 1000000, 100000000), TH_RISK_OK);
    assert_int_equal(th_balances_gate(NULL, &btc, TH_BID, 1000000, 100000000), TH_RISK_OK);
    assert_int_equal(th_balances_set_text(&b, "USD", "100000.0000", 11, "0.0001", 6, 1, &err), 0);
    assert_int_equal(th_balances_set_text(&b, "BTC", "0.5000000000", 12, "0.1", 3, 1, &err), 0);
    assert_int_equal(th_balances_set_text(&b, "USDT", "1230.000000000", 14, "0", 1, 1, &err), 0);
    assert_int_equal(th_balances_set_text(&b, "MEME", "1000000000", 10, "0", 1, 1, &err), 0);
    th_balances_mark_known(&b, "test", 1);
    /* 1 BTC at 100,000.0 costs 100,000 USD: 99,999.9999 available -> refused by one unit */
    assert_int_equal(th_balances_gate(&b, &btc, TH_BID, 1000000, 100000000), TH_RISK_INSUFFICIENT_BALANCE);
    /* 0.99999999 BTC costs 99,999.999 USD: fits */
    assert_int_equal(th_balances_gate(&b, &btc, TH_BID, 1000000, 99999999), TH_RISK_OK);
    /* a sell of 0.4 BTC with 0.4 available fits; 0.40000001 does not */
    assert_int_equal(th_balances_gate(&b, &btc, TH_ASK, 1000000, 40000000), TH_RISK_OK);
    assert_int_equal(th_balances_gate(&b, &btc, TH_ASK, 1000000, 40000001), TH_RISK_INSUFFICIENT_BALANCE);
    /* 1e9 MEME at 0.00000123 costs 1230 USDT exactly: fits; one more unit does not */
    assert_int_equal(th_balances_gate(&b, &meme, TH_BID, 123, 1000000000), TH_RISK_OK);
    assert_int_equal(th_balances_gate(&b, &meme, TH_BID, 123, 1000000001), TH_RISK_INSUFFICIENT_BALANCE);
    assert_int_equal(th_balances_gate(&b, &meme, TH_ASK, 123, 1000000000), TH_RISK_OK);
    assert_int_equal(th_balances_gate(&b, &meme, TH_ASK, 123, 1000000001), TH_RISK_INSUFFICIENT_BALANCE);
    /* an asset the known account does not name holds nothing */
    th_instrument eth = btc;
    snprintf(eth.base, sizeof eth.base, "ETH");
    assert_int_equal(th_balances_gate(&b, &eth, TH_ASK, 1000000, 1), TH_RISK_INSUFFICIENT_BALANCE);
    /* an instrument without base/quote: the venue decides */
    th_instrument bare = btc;
    bare.base[0] = 0;
    assert_int_equal(th_balances_gate(&b, &bare, TH_ASK, 1000000, 1), TH_RISK_OK);
    th_balances_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_kraken),
        cmocka_unit_test(test_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
