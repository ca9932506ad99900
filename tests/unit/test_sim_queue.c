/* test_sim_queue.c — the queue-position model by hand-computed cases: each model's reading of an
 * unexplained shrink, our own orders queued behind each other, trade-through and crossing fills,
 * consumed liquidity refilled only by the recording, amend keeping or losing priority, cancel_all
 * and the dead-man switch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_check.h"

static sim_rec rec;
#define P100 BTC_PX(1000000) /* 100000.0 */
#define S 1000000000LL

static th_sim_engine *fresh(th_sim_queue_model qm, int32_t *a)
{
    memset(&rec, 0, sizeof rec);
    th_sim_engine *e = sim_new(qm, TH_SIM_RATE_NONE, &rec, 11);
    *a = sim_account(e, "alice", "10000000", "100");
    return e;
}

static uint64_t buy(th_sim_engine *e, int32_t a, int64_t px, int64_t qty, int64_t ts)
{
    uint64_t id = 0;
    th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = px, .qty = qty};
    assert_int_equal(th_sim_place(e, a, &r, ts, &id), TH_SIM_OK);
    return id;
}

static uint64_t sell(th_sim_engine *e, int32_t a, int64_t px, int64_t qty, int64_t ts)
{
    uint64_t id = 0;
    th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_SELL, .type = TH_SIM_LIMIT, .price = px, .qty = qty};
    assert_int_equal(th_sim_place(e, a, &r, ts, &id), TH_SIM_OK);
    return id;
}

/* Bid level 10 BTC; we join behind it (ahead 10); it grows to 16 (6 behind us), then shrinks to 12
 * with no trade: 4 cancelled. Pessimistic: all 4 behind (ahead 10); optimistic: all ahead (6);
 * proportional: 4 x 10/16 = 2.5 of them ahead (ahead 7.5). Then a 9 BTC trade at the level:
 * pessimistic leaves 1 ahead and fills nothing; optimistic fills 3; proportional fills 1.5. */
static void run_model(th_sim_queue_model qm, int64_t ahead_after_cancel, int64_t filled_after_trade)
{
    int32_t a;
    th_sim_engine *e = fresh(qm, &a);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 10 * ONE_BTC, 1);
    th_sim_market_level(e, INS_BTC, TH_ASK, P100 + 10000000, 10 * ONE_BTC, 1);
    uint64_t id = buy(e, a, P100, 5 * ONE_BTC, 2);
    const th_sim_order *o = th_sim_order_find(e, id);
    assert_int_equal(o->ahead, 10 * ONE_BTC);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 16 * ONE_BTC, 3);
    assert_int_equal(o->ahead, 10 * ONE_BTC);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 12 * ONE_BTC, 4);
    assert_int_equal(o->ahead, ahead_after_cancel);
    th_sim_market_trade(e, INS_BTC, P100, 9 * ONE_BTC, TH_SIM_SELL, 5);
    assert_int_equal(o->filled, filled_after_trade);
    assert_int_equal(o->ahead, ahead_after_cancel > 9 * ONE_BTC ? ahead_after_cancel - 9 * ONE_BTC : 0);
    /* the recording then shows the level 9 smaller: the trade, not cancels: nothing moves */
    int64_t before = o->ahead;
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 3 * ONE_BTC, 6);
    assert_int_equal(o->ahead, before);
    th_sim_engine_free(e);
}

static void pessimistic_model(void **st) { (void)st; run_model(TH_SIM_QUEUE_PESSIMISTIC, 10 * ONE_BTC, 0); }
static void optimistic_model(void **st) { (void)st; run_model(TH_SIM_QUEUE_OPTIMISTIC, 6 * ONE_BTC, 3 * ONE_BTC); }
static void proportional_model(void **st) { (void)st; run_model(TH_SIM_QUEUE_PROPORTIONAL, 750000000, 150000000); }

/* A shrink with nothing behind us must be ahead of us, whatever the model: joined behind 10, the
 * level falls to 6 with no trade: 6 ahead even for the pessimist. */
static void shrink_below_our_position(void **st)
{
    (void)st;
    int32_t a;
    th_sim_engine *e = fresh(TH_SIM_QUEUE_PESSIMISTIC, &a);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 10 * ONE_BTC, 1);
    uint64_t id = buy(e, a, P100, ONE_BTC, 2);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 6 * ONE_BTC, 3);
    assert_int_equal(th_sim_order_find(e, id)->ahead, 6 * ONE_BTC);
    th_sim_engine_free(e);
}

/* Two of our orders at one level: A (2 BTC) then B (3 BTC), both behind 10. A 13 BTC trade
 * reaches 3 past the 10: A takes 2 (all of it), B the 1 left; then 4 more fill B's 2 of 3 ... */
static void our_orders_queue_behind_each_other(void **st)
{
    (void)st;
    int32_t a;
    th_sim_engine *e = fresh(TH_SIM_QUEUE_PESSIMISTIC, &a);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 10 * ONE_BTC, 1);
    uint64_t ida = buy(e, a, P100, 2 * ONE_BTC, 2), idb = buy(e, a, P100, 3 * ONE_BTC, 3);
    th_sim_market_trade(e, INS_BTC, P100, 13 * ONE_BTC, TH_SIM_SELL, 4);
    const th_sim_order *oa = th_sim_order_find(e, ida), *ob = th_sim_order_find(e, idb);
    assert_int_equal(oa->status, TH_SIM_ST_FILLED);
    assert_int_equal(oa->filled, 2 * ONE_BTC);
    assert_int_equal(ob->filled, 1 * ONE_BTC);
    assert_int_equal(ob->ahead, 0);
    /* a trade at the level on the other side (an aggressive buy lifting asks) is not ours */
    th_sim_market_trade(e, INS_BTC, P100, 5 * ONE_BTC, TH_SIM_BUY, 5);
    assert_int_equal(ob->filled, 1 * ONE_BTC);
    th_sim_market_trade(e, INS_BTC, P100, ONE_BTC / 2, TH_SIM_SELL, 6);
    assert_int_equal(ob->filled, 150000000);
    th_sim_engine_free(e);
}

/* A recorded buy at 100010.0 went through our ask at 100000.0 (however small): it would have met
 * us first, so our whole 0.7 fills at our price, as maker. */
static void trade_through_fills_fully(void **st)
{
    (void)st;
    int32_t a;
    th_sim_engine *e = fresh(TH_SIM_QUEUE_PESSIMISTIC, &a);
    th_sim_market_level(e, INS_BTC, TH_ASK, P100, 50 * ONE_BTC, 1);
    uint64_t id = sell(e, a, P100, 70000000, 2);
    th_sim_market_trade(e, INS_BTC, P100 + 100000000, 10000, TH_SIM_BUY, 3);
    const th_sim_order *o = th_sim_order_find(e, id);
    assert_int_equal(o->status, TH_SIM_ST_FILLED);
    assert_int_equal(rec.ev[rec.n - 1].kind, TH_SIM_EV_FILL);
    assert_int_equal(rec.tr[rec.n - 1].price, P100);
    assert_true(rec.tr[rec.n - 1].maker);
    /* 0.7 x 100000 = 70000 less 16 bps (112) */
    assert_money(sim_total(e, a, "USD"), "10069888");
    assert_money(sim_total(e, a, "BTC"), "99.3");
    th_sim_engine_free(e);
}

/* Our bid at 100000.0 for 0.5; an ask appears at 99999.9 for 0.3: it crossed us, we fill 0.3 at
 * our price as maker and that liquidity is consumed; the same level restated at 0.5 is fresh
 * liquidity (the recording says so) and fills our last 0.2. */
static void crossing_level_fills_at_our_price(void **st)
{
    (void)st;
    int32_t a;
    th_sim_engine *e = fresh(TH_SIM_QUEUE_PESSIMISTIC, &a);
    th_sim_market_level(e, INS_BTC, TH_BID, P100 - 10000000, ONE_BTC, 1);
    th_sim_market_level(e, INS_BTC, TH_ASK, P100 + 10000000, ONE_BTC, 1);
    uint64_t id = buy(e, a, P100, ONE_BTC / 2, 2);
    const th_sim_order *o = th_sim_order_find(e, id);
    assert_int_equal(o->filled, 0);
    th_sim_market_level(e, INS_BTC, TH_ASK, P100 - 10000000, 30000000, 3);
    assert_int_equal(o->filled, 30000000);
    assert_int_equal(rec.tr[rec.n - 1].price, P100);
    assert_true(rec.tr[rec.n - 1].maker);
    assert_int_equal(th_sim_market_available(e, INS_BTC, TH_ASK, P100 - 10000000), 0);
    /* a post-only buy at 99999.9 would not cross what is left for us to take (nothing there) */
    th_sim_order_req po = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .post_only = true,
                           .price = P100 - 10000000, .qty = 10000};
    uint64_t pid;
    assert_int_equal(th_sim_place(e, a, &po, 4, &pid), TH_SIM_OK);
    th_sim_market_level(e, INS_BTC, TH_ASK, P100 - 10000000, ONE_BTC / 2, 5);
    assert_int_equal(o->status, TH_SIM_ST_FILLED);
    assert_int_equal(o->filled, ONE_BTC / 2);
    /* the best-priced bid filled first: 0.2 of the 0.5 went to it, then our 99999.9 post-only bid */
    assert_int_equal(th_sim_order_find(e, pid)->filled, 10000);
    assert_int_equal(th_sim_market_available(e, INS_BTC, TH_ASK, P100 - 10000000), 50000000 - 20000000 - 10000);
    th_sim_engine_free(e);
}

/* Amend: a smaller size at the same price keeps the place; a larger size or a new price goes to
 * the back (behind everything visible now). */
static void amend_priority(void **st)
{
    (void)st;
    int32_t a;
    th_sim_engine *e = fresh(TH_SIM_QUEUE_PESSIMISTIC, &a);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 10 * ONE_BTC, 1);
    uint64_t id = buy(e, a, P100, 2 * ONE_BTC, 2);
    const th_sim_order *o = th_sim_order_find(e, id);
    th_sim_market_trade(e, INS_BTC, P100, 4 * ONE_BTC, TH_SIM_SELL, 3);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 9 * ONE_BTC, 4); /* 4 traded, 3 joined behind */
    assert_int_equal(o->ahead, 6 * ONE_BTC);
    th_money held = o->reserved;
    assert_int_equal(th_sim_amend(e, a, id, ONE_BTC, 0, -1, 5), TH_SIM_OK);
    assert_int_equal(rec.ev[rec.n - 1].kind, TH_SIM_EV_AMENDED);
    assert_int_equal(rec.ev[rec.n - 1].old_qty, 2 * ONE_BTC);
    assert_int_equal(o->ahead, 6 * ONE_BTC);
    assert_true(o->reserved < held);
    assert_true(sim_reserved(e, a, "USD") == o->reserved);
    assert_int_equal(th_sim_amend(e, a, id, 3 * ONE_BTC, 0, -1, 6), TH_SIM_OK);
    assert_int_equal(o->ahead, 9 * ONE_BTC);
    th_sim_market_level(e, INS_BTC, TH_BID, P100 - 10000000, 7 * ONE_BTC, 7);
    assert_int_equal(th_sim_amend(e, a, id, 0, P100 - 10000000, -1, 8), TH_SIM_OK);
    assert_int_equal(o->ahead, 7 * ONE_BTC);
    assert_int_equal(o->price, P100 - 10000000);
    /* an amend to a size at or below what filled, or off the tick, is refused and changes nothing */
    assert_int_equal(th_sim_amend(e, a, id, 0, P100 - 5000000, -1, 9), TH_SIM_REJ_BAD_TICK);
    assert_int_equal(th_sim_amend(e, a, 12345, ONE_BTC, 0, -1, 9), TH_SIM_REJ_UNKNOWN_ORDER);
    /* post-only amend into the ask is refused */
    th_sim_market_level(e, INS_BTC, TH_ASK, P100 + 10000000, ONE_BTC, 10);
    assert_int_equal(th_sim_amend(e, a, id, 0, P100 + 10000000, 1, 11), TH_SIM_REJ_POST_ONLY_WOULD_CROSS);
    assert_int_equal(o->price, P100 - 10000000);
    /* without post-only the amended order crosses and takes the ask: 1 BTC as taker */
    assert_int_equal(th_sim_amend(e, a, id, 0, P100 + 10000000, 0, 12), TH_SIM_OK);
    assert_int_equal(o->filled, ONE_BTC);
    assert_false(rec.tr[rec.n - 1].maker);
    assert_int_equal(o->status, TH_SIM_ST_OPEN);
    th_sim_engine_free(e);
}

/* cancel_all counts and cancels (optionally one instrument); the dead-man switch fires at its
 * deadline, not before, and only for its account. */
static void cancel_all_and_dead_man(void **st)
{
    (void)st;
    int32_t a;
    th_sim_engine *e = fresh(TH_SIM_QUEUE_PESSIMISTIC, &a);
    int32_t b = sim_account(e, "bob", "1000", NULL);
    th_sim_market_level(e, INS_BTC, TH_BID, P100, 10 * ONE_BTC, 1);
    buy(e, a, P100, ONE_BTC, 2);
    buy(e, a, P100 - 10000000, ONE_BTC, 2);
    sell(e, a, P100 + 10000000, ONE_BTC, 2);
    th_sim_order_req m = {.ins = INS_MEME, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = 12300, .qty = 100000000000LL};
    uint64_t mid;
    assert_int_equal(th_sim_place(e, a, &m, 2, &mid), TH_SIM_OK); /* 1e9 MEME at 0.00000123 = 1230 USD */
    /* (100000 + 99999.9) x 1.0026 for the BTC bids, 1230 x 1.0026 for the MEME one, 2 units each */
    assert_money(sim_reserved(e, a, "USD"), "201753.09774000000000000006");
    assert_money(sim_reserved(e, a, "BTC"), "1");
    uint64_t bid = buy(e, b, P100, 10000, 2);
    int32_t n = 0;
    assert_int_equal(th_sim_cancel_all(e, a, INS_MEME, 3, &n), TH_SIM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(th_sim_open_orders(e, a, -1, NULL, 0), 3);
    th_sim_dead_man(e, a, 10 * S);
    th_sim_tick(e, 10 * S - 1);
    assert_int_equal(th_sim_open_orders(e, a, -1, NULL, 0), 3);
    int before = rec.n;
    th_sim_tick(e, 10 * S);
    assert_int_equal(th_sim_open_orders(e, a, -1, NULL, 0), 0);
    assert_int_equal(rec.n - before, 3);
    for (int i = before; i < rec.n; i++) {
        assert_int_equal(rec.ev[i].kind, TH_SIM_EV_CANCELED);
        assert_int_equal(rec.ord[i].cancel_reason, TH_SIM_CANCEL_DEAD_MAN);
    }
    assert_money(sim_reserved(e, a, "USD"), "0");
    assert_money(sim_reserved(e, a, "BTC"), "0");
    assert_int_equal(th_sim_order_find(e, bid)->status, TH_SIM_ST_OPEN);
    assert_int_equal(th_sim_account_stats_get(e, a)->dead_man_ns, 0);
    /* disarmed: nothing fires */
    th_sim_dead_man(e, b, 20 * S);
    th_sim_dead_man(e, b, 0);
    th_sim_tick(e, 30 * S);
    assert_int_equal(th_sim_order_find(e, bid)->status, TH_SIM_ST_OPEN);
    th_sim_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pessimistic_model),
        cmocka_unit_test(optimistic_model),
        cmocka_unit_test(proportional_model),
        cmocka_unit_test(shrink_below_our_position),
        cmocka_unit_test(our_orders_queue_behind_each_other),
        cmocka_unit_test(trade_through_fills_fully),
        cmocka_unit_test(crossing_level_fills_at_our_price),
        cmocka_unit_test(amend_priority),
        cmocka_unit_test(cancel_all_and_dead_man),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
