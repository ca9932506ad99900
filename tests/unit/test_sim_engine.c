/* test_sim_engine.c — the sim's matching engine by hand-computed cases: a resting order's queue
 * position consumed by recorded trades, maker fill and fee, cancel releasing the hold; a taker
 * walking the book, consumed liquidity hidden from the next taker until the recording updates the
 * level; IOC and market remainders; post-only, funds, size, cost, tick and lot refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_check.h"

static sim_rec rec;

static void btc_book(th_sim_engine *e)
{
    th_sim_market_level(e, INS_BTC, TH_BID, BTC_PX(999900), 2 * ONE_BTC, 1);
    th_sim_market_level(e, INS_BTC, TH_ASK, BTC_PX(1000000), 150000000, 1);
    th_sim_market_level(e, INS_BTC, TH_ASK, BTC_PX(1000100), 3 * ONE_BTC, 1);
}

/* Buy 0.5 BTC at 99990.0 behind 2 BTC: a 1.2 trade moves it to 0.8 from the front, the level's
 * shrink by 1.2 is that trade (not cancels), a 1.0 trade fills 0.2 at 99990.0 as maker (fee 16 bps
 * of 19998 = 31.9968), and the cancel releases the rest of the hold. */
static void resting_order_queue_and_maker_fill(void **st)
{
    (void)st;
    memset(&rec, 0, sizeof rec);
    th_sim_engine *e = sim_new(TH_SIM_QUEUE_OPTIMISTIC, TH_SIM_RATE_NONE, &rec, 7);
    assert_non_null(e);
    int32_t a = sim_account(e, "alice", "100000", NULL);
    btc_book(e);
    uint64_t id = 0;
    th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = BTC_PX(999900),
                          .qty = ONE_BTC / 2, .cl_ord_id = "my-1", .userref = 42};
    assert_int_equal(th_sim_place(e, a, &r, 10, &id), TH_SIM_OK);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.ev[0].kind, TH_SIM_EV_NEW);
    assert_int_equal(rec.ord[0].userref, 42);
    assert_string_equal(rec.ord[0].cl_ord_id, "my-1");
    const th_sim_order *o = th_sim_order_find(e, id);
    assert_non_null(o);
    assert_int_equal(o->ahead, 2 * ONE_BTC);
    /* 0.5 x 99990 = 49995, the taker fee 26 bps on it = 129.987, and 2 units of rounding room */
    assert_money(sim_reserved(e, a, "USD"), "50124.98700000000000000002");
    assert_money(sim_total(e, a, "USD"), "100000");

    th_sim_market_trade(e, INS_BTC, BTC_PX(999900), 120000000, TH_SIM_SELL, 20);
    assert_int_equal(rec.n, 1);
    assert_int_equal(o->ahead, 80000000);
    /* the recording shows the level after the trade: explained by it, so even the optimistic
     * model moves nothing */
    th_sim_market_level(e, INS_BTC, TH_BID, BTC_PX(999900), 80000000, 21);
    assert_int_equal(o->ahead, 80000000);

    th_sim_market_trade(e, INS_BTC, BTC_PX(999900), ONE_BTC, TH_SIM_SELL, 30);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.ev[1].kind, TH_SIM_EV_FILL);
    assert_true(rec.tr[1].maker);
    assert_int_equal(rec.tr[1].price, BTC_PX(999900));
    assert_int_equal(rec.tr[1].qty, 20000000);
    assert_money(rec.tr[1].fee, "31.9968");
    assert_int_equal(rec.ord[1].filled, 20000000);
    assert_int_equal(rec.ord[1].status, TH_SIM_ST_OPEN);
    assert_money(sim_total(e, a, "USD"), "79970.0032");
    assert_money(sim_total(e, a, "BTC"), "0.2");
    assert_money(sim_reserved(e, a, "USD"), "30094.99020000000000000002");
    assert_int_equal(o->ahead, 0);

    assert_int_equal(th_sim_cancel_cl(e, a, "my-1", 40), TH_SIM_OK);
    assert_int_equal(rec.n, 3);
    assert_int_equal(rec.ev[2].kind, TH_SIM_EV_CANCELED);
    assert_int_equal(rec.ord[2].cancel_reason, TH_SIM_CANCEL_USER);
    assert_money(sim_reserved(e, a, "USD"), "0");
    assert_money(sim_total(e, a, "USD"), "79970.0032");
    assert_int_equal(th_sim_cancel(e, a, id, 41), TH_SIM_REJ_UNKNOWN_ORDER);
    assert_money(th_sim_fees_collected(e, th_sim_asset_find(e, "USD")), "31.9968");
    assert_int_equal(th_sim_open_orders(e, a, -1, NULL, 0), 0);
    assert_int_equal(th_sim_trade_count(e), 1);
    th_sim_engine_free(e);
}

/* Buy 0.9 IOC at 100005.0 takes 0.9 of the 1.5 at 100000.0 (taker, 26 bps of 90000 = 234); the
 * next account sees only 0.6 there, takes it and its remaining 0.4 expires; after the recording
 * restates the level, all 1.5 is visible again. */
static void taker_walks_and_consumes_liquidity(void **st)
{
    (void)st;
    memset(&rec, 0, sizeof rec);
    th_sim_engine *e = sim_new(TH_SIM_QUEUE_PESSIMISTIC, TH_SIM_RATE_NONE, &rec, 7);
    int32_t b = sim_account(e, "bob", "100000", NULL), c = sim_account(e, "carol", "200000", NULL);
    btc_book(e);
    uint64_t id = 0;
    th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .tif = TH_SIM_IOC,
                          .price = BTC_PX(1000050), .qty = 90000000};
    assert_int_equal(th_sim_place(e, b, &r, 10, &id), TH_SIM_OK);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.ev[1].kind, TH_SIM_EV_FILL);
    assert_false(rec.tr[1].maker);
    assert_int_equal(rec.tr[1].price, BTC_PX(1000000));
    assert_money(rec.tr[1].fee, "234");
    assert_int_equal(rec.ord[1].status, TH_SIM_ST_FILLED);
    assert_money(sim_total(e, b, "USD"), "9766");
    assert_money(sim_total(e, b, "BTC"), "0.9");
    assert_money(sim_reserved(e, b, "USD"), "0");
    assert_int_equal(th_sim_market_available(e, INS_BTC, TH_ASK, BTC_PX(1000000)), 60000000);
    /* what the venue publishes is still the recording */
    int64_t p, q;
    assert_int_equal(th_book_level(th_sim_market_book(e, INS_BTC), TH_ASK, 0, &p, &q), 0);
    assert_int_equal(q, 150000000);

    r.price = BTC_PX(1000000);
    r.qty = ONE_BTC;
    assert_int_equal(th_sim_place(e, c, &r, 11, &id), TH_SIM_OK);
    assert_int_equal(rec.n, 5);
    assert_int_equal(rec.ev[3].kind, TH_SIM_EV_FILL);
    assert_int_equal(rec.tr[3].qty, 60000000);
    assert_int_equal(rec.ev[4].kind, TH_SIM_EV_CANCELED);
    assert_int_equal(rec.ord[4].cancel_reason, TH_SIM_CANCEL_IOC);
    assert_int_equal(rec.ord[4].filled, 60000000);
    /* 0.6 x 100000 = 60000 + 156 fee */
    assert_money(sim_total(e, c, "USD"), "139844");
    assert_money(sim_reserved(e, c, "USD"), "0");
    assert_int_equal(th_sim_market_available(e, INS_BTC, TH_ASK, BTC_PX(1000000)), 0);

    th_sim_market_level(e, INS_BTC, TH_ASK, BTC_PX(1000000), 150000000, 12);
    assert_int_equal(th_sim_market_available(e, INS_BTC, TH_ASK, BTC_PX(1000000)), 150000000);

    /* a market sell of 0.9 walks the bids: 0.9 at 99990.0 = 89991, fee 233.9766 */
    th_sim_order_req s = {.ins = INS_BTC, .side = TH_SIM_SELL, .type = TH_SIM_MARKET, .qty = 90000000};
    assert_int_equal(th_sim_place(e, b, &s, 13, &id), TH_SIM_OK);
    assert_money(sim_total(e, b, "BTC"), "0");
    assert_money(sim_total(e, b, "USD"), "99523.0234");
    th_sim_engine_free(e);
}

static void refusals(void **st)
{
    (void)st;
    memset(&rec, 0, sizeof rec);
    th_sim_engine *e = sim_new(TH_SIM_QUEUE_PESSIMISTIC, TH_SIM_RATE_NONE, &rec, 7);
    int32_t a = sim_account(e, "dave", "1000", "0.001");
    btc_book(e);
    uint64_t id = 0;
    th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = BTC_PX(1000000),
                          .qty = 10000, .post_only = true};
    assert_int_equal(th_sim_place(e, a, &r, 1, &id), TH_SIM_REJ_POST_ONLY_WOULD_CROSS);
    assert_int_equal(rec.ev[0].kind, TH_SIM_EV_REJECTED);
    assert_int_equal(rec.ev[0].reject, TH_SIM_REJ_POST_ONLY_WOULD_CROSS);
    r.price = BTC_PX(999999);
    assert_int_equal(th_sim_place(e, a, &r, 1, &id), TH_SIM_OK);
    r.post_only = false;
    r.qty = 9999;
    assert_int_equal(th_sim_place(e, a, &r, 1, &id), TH_SIM_REJ_BELOW_MIN_SIZE);
    r.qty = ONE_BTC / 100; /* 0.01 x 99999.9 = 999.999 USD: plus fee, more than 1000 - the open order */
    assert_int_equal(th_sim_place(e, a, &r, 1, &id), TH_SIM_REJ_INSUFFICIENT_FUNDS);
    r.qty = 10000;
    r.price = BTC_PX(999999) + 5000000; /* 99999.95: not on the 0.1 tick */
    assert_int_equal(th_sim_place(e, a, &r, 1, &id), TH_SIM_REJ_BAD_TICK);
    r.price = BTC_PX(10000); /* 0.0001 x 1000.0 = 0.1 USD < 0.5 */
    assert_int_equal(th_sim_place(e, a, &r, 1, &id), TH_SIM_REJ_BELOW_MIN_COST);
    r.ins = 7;
    assert_int_equal(th_sim_place(e, a, &r, 1, &id), TH_SIM_REJ_UNKNOWN_SYMBOL);
    th_sim_order_req m = {.ins = INS_MEME, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = 12300, .qty = 100050};
    assert_int_equal(th_sim_place(e, a, &m, 1, &id), TH_SIM_REJ_BAD_LOT);
    m.type = TH_SIM_MARKET;
    m.qty = 100000;
    assert_int_equal(th_sim_place(e, a, &m, 1, &id), TH_SIM_REJ_NO_LIQUIDITY);
    /* sell more BTC than held */
    th_sim_order_req s = {.ins = INS_BTC, .side = TH_SIM_SELL, .type = TH_SIM_LIMIT, .price = BTC_PX(1000100), .qty = 100001};
    assert_int_equal(th_sim_place(e, a, &s, 1, &id), TH_SIM_REJ_INSUFFICIENT_FUNDS);
    s.qty = 100000;
    assert_int_equal(th_sim_place(e, a, &s, 1, &id), TH_SIM_OK);
    /* a duplicate client id among open orders */
    s.cl_ord_id = "x";
    s.qty = 0;
    assert_int_equal(th_sim_place(e, a, &s, 1, &id), TH_SIM_REJ_BAD_LOT);
    const th_sim_account_stats *as = th_sim_account_stats_get(e, a);
    assert_int_equal(as->placed, 2);
    assert_int_equal(as->rejected, 10);
    th_sim_engine_free(e);
}

/* Open orders come oldest first across instruments, an amend that lost priority included, and a
 * cap smaller than the count gives the oldest; the count is the whole. */
static void open_orders_oldest_first(void **st)
{
    (void)st;
    th_sim_engine *e = sim_new(TH_SIM_QUEUE_PESSIMISTIC, TH_SIM_RATE_NONE, NULL, 7);
    int32_t a = sim_account(e, "erin", "1000000", NULL), b = sim_account(e, "frank", "1000000", NULL);
    uint64_t ids[4], other;
    th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = BTC_PX(900000), .qty = ONE_BTC};
    th_sim_order_req m = {.ins = INS_MEME, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = 12300, .qty = 100000};
    assert_int_equal(th_sim_place(e, a, &r, 1, &ids[0]), TH_SIM_OK);
    assert_int_equal(th_sim_place(e, a, &m, 2, &ids[1]), TH_SIM_OK);
    assert_int_equal(th_sim_place(e, b, &r, 3, &other), TH_SIM_OK);
    assert_int_equal(th_sim_place(e, a, &r, 4, &ids[2]), TH_SIM_OK);
    assert_int_equal(th_sim_place(e, a, &m, 5, &ids[3]), TH_SIM_OK);
    assert_int_equal(th_sim_amend(e, a, ids[0], 0, BTC_PX(900010), -1, 6), TH_SIM_OK);
    const th_sim_order *out[4];
    assert_int_equal(th_sim_open_orders(e, a, -1, out, 4), 4);
    for (int i = 0; i < 4; i++) assert_true(out[i]->id == ids[i]);
    assert_int_equal(th_sim_open_orders(e, a, -1, out, 2), 4);
    assert_true(out[0]->id == ids[0] && out[1]->id == ids[1]);
    assert_int_equal(th_sim_open_orders(e, a, INS_MEME, out, 4), 2);
    assert_true(out[0]->id == ids[1] && out[1]->id == ids[3]);
    assert_int_equal(th_sim_open_orders(e, b, -1, out, 4), 1);
    assert_true(out[0]->id == other);
    th_sim_engine_free(e);
}

/* Retention: 3 resting orders, then 100 placed and cancelled and 20 IOC takers (20 fills) with
 * max_closed_orders 10 and max_trades 5: after a tick 13 orders remain (the 3 open and the newest
 * 10 closed) and 5 trades; the dropped orders are no longer found, the kept ones are, and the
 * open ones still match (their queue lists were re-indexed). */
static void retention_keeps_open_and_newest(void **st)
{
    (void)st;
    memset(&rec, 0, sizeof rec);
    th_instruments ins;
    sim_instruments(&ins);
    th_sim_config cfg = {.instruments = &ins, .seed = 5, .on_event = sim_on_event, .ctx = &rec,
                         .max_closed_orders = 10, .max_trades = 5};
    const char *err;
    th_sim_engine *e = th_sim_engine_new(&cfg, &err);
    th_instruments_free(&ins);
    int32_t a = sim_account(e, "gina", "100000000", "100");
    btc_book(e);
    uint64_t open[3], first = 0, last = 0, id;
    for (int i = 0; i < 3; i++) {
        th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_SELL, .type = TH_SIM_LIMIT, .price = BTC_PX(1000200 + i), .qty = ONE_BTC};
        assert_int_equal(th_sim_place(e, a, &r, 1, &open[i]), TH_SIM_OK);
    }
    for (int i = 0; i < 100; i++) {
        th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = BTC_PX(990000), .qty = ONE_BTC};
        assert_int_equal(th_sim_place(e, a, &r, 2, &id), TH_SIM_OK);
        assert_int_equal(th_sim_cancel(e, a, id, 2), TH_SIM_OK);
        if (!first) first = id;
    }
    for (int i = 0; i < 20; i++) {
        th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .tif = TH_SIM_IOC,
                              .price = BTC_PX(1000000), .qty = 10000};
        assert_int_equal(th_sim_place(e, a, &r, 3, &last), TH_SIM_OK);
    }
    assert_int_equal(th_sim_order_count(e), 123);
    assert_int_equal(th_sim_trade_count(e), 20);
    th_sim_tick(e, 4);
    assert_int_equal(th_sim_order_count(e), 13);
    assert_int_equal(th_sim_trade_count(e), 5);
    assert_true(th_sim_trade_at(e, 4)->order_id == last);
    assert_null(th_sim_order_find(e, first));
    assert_non_null(th_sim_order_find(e, last));
    for (int i = 0; i < 3; i++) assert_int_equal(th_sim_order_find(e, open[i])->status, TH_SIM_ST_OPEN);
    assert_true(th_sim_order_at(e, 0)->id == open[0]);
    /* a trade through all three asks fills them: they are still in their instrument's open list */
    th_sim_market_trade(e, INS_BTC, BTC_PX(1000300), 10000, TH_SIM_BUY, 5);
    for (int i = 0; i < 3; i++) assert_int_equal(th_sim_order_find(e, open[i])->status, TH_SIM_ST_FILLED);
    assert_int_equal(th_sim_open_orders(e, a, -1, NULL, 0), 0);
    /* under twice the limit nothing more is dropped */
    th_sim_tick(e, 6);
    assert_int_equal(th_sim_order_count(e), 13);
    th_sim_engine_free(e);
}

static void kraken_ids(void **st)
{
    (void)st;
    char a[20], b[20];
    th_sim_format_kraken_id('O', 1, a);
    th_sim_format_kraken_id('O', 2, b);
    assert_int_equal(strlen(a), 19);
    assert_int_equal(a[0], 'O');
    assert_int_equal(a[6], '-');
    assert_int_equal(a[12], '-');
    assert_string_not_equal(a, b);
    for (int i = 1; i < 19; i++)
        if (i != 6 && i != 12) assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", a[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resting_order_queue_and_maker_fill),
        cmocka_unit_test(taker_walks_and_consumes_liquidity),
        cmocka_unit_test(refusals),
        cmocka_unit_test(open_orders_oldest_first),
        cmocka_unit_test(retention_keeps_open_and_newest),
        cmocka_unit_test(kraken_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
