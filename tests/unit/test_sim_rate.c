/* test_sim_rate.c — Kraken's per-pair trading rate counter: each tier's threshold and decay, the
 * add/amend/cancel costs by order age, refusals that add nothing, and the engine charging it per
 * account and pair (cancel-all charged but never refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/sim/kraken_rate_counter.h"
#include "sim_check.h"

#define S 1000000000LL
#define MS 1000000LL

/* 125 adds fill Intermediate's counter; the 126th is refused and adds nothing; after 1 s it has
 * decayed by 2.34 (to 122.66): two more fit, the third would reach 125.66. */
static void tiers_threshold_and_decay(void **st)
{
    (void)st;
    th_kraken_rate_counter c;
    th_kraken_rate_init(&c, TH_KRAKEN_TIER_INTERMEDIATE, 0);
    for (int i = 0; i < 125; i++) assert_true(th_kraken_rate_charge(&c, th_kraken_rate_add_cost(), false, 0));
    assert_false(th_kraken_rate_charge(&c, 1, false, 0));
    assert_float_equal(th_kraken_rate_level(&c, 0), 125, 1e-9);
    assert_float_equal(th_kraken_rate_level(&c, S), 122.66, 1e-9);
    assert_true(th_kraken_rate_charge(&c, 1, false, S));
    assert_true(th_kraken_rate_charge(&c, 1, false, S));
    assert_false(th_kraken_rate_charge(&c, 1, false, S));
    /* forced (cancel-all): charged past the threshold, then it decays from there */
    assert_true(th_kraken_rate_charge(&c, 10, true, S));
    assert_float_equal(th_kraken_rate_level(&c, S), 134.66, 1e-9);
    assert_float_equal(th_kraken_rate_level(&c, 1000 * S), 0, 1e-9);

    double t, d;
    assert_int_equal(th_kraken_tier_limits(TH_KRAKEN_TIER_STARTER, &t, &d), 0);
    assert_true(t == 60 && d == 1);
    assert_int_equal(th_kraken_tier_limits(TH_KRAKEN_TIER_PRO, &t, &d), 0);
    assert_true(t == 180 && d == 3.75);
    assert_int_equal(th_kraken_tier_limits(3, &t, &d), -1);
    assert_int_equal(th_kraken_tier_parse("Pro"), TH_KRAKEN_TIER_PRO);
    assert_int_equal(th_kraken_tier_parse("gold"), -1);
    th_kraken_rate_init(&c, TH_KRAKEN_TIER_STARTER, 0);
    for (int i = 0; i < 60; i++) assert_true(th_kraken_rate_charge(&c, 1, false, 0));
    assert_false(th_kraken_rate_charge(&c, 1, false, 0));
}

/* Kraken's table: cancel +8/+6/+5/+4/+2/+1 under 5/10/15/45/90/300 s, nothing after; amend +1 and
 * +3/+2/+1 under 5/10/15 s. The edges: 4.999 s is under 5, 5 s is not. */
static void costs_by_age(void **st)
{
    (void)st;
    int64_t ages[] = {0, 4999 * MS, 5 * S, 9999 * MS, 10 * S, 14 * S, 15 * S, 44 * S, 45 * S, 89 * S, 90 * S, 299 * S, 300 * S};
    double cancel[] = {8, 8, 6, 6, 5, 5, 4, 4, 2, 2, 1, 1, 0};
    double amend[] = {4, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1};
    for (size_t i = 0; i < sizeof ages / sizeof *ages; i++) {
        assert_true(th_kraken_rate_cancel_cost(ages[i]) == cancel[i]);
        assert_true(th_kraken_rate_amend_cost(ages[i]) == amend[i]);
    }
    assert_true(th_kraken_rate_add_cost() == 1);
}

static sim_rec rec;

/* A Pro account (180, -3.75/s) through the engine: 180 adds at t=0, the 181st refused as
 * rate_limited (and charged nothing). At 2 s the counter is 172.5: a cancel of a 2-s-old order
 * (+8) would make 180.5, refused; at 2.2 s (171.75) it fits (179.75). An amend then (+1 +3) is
 * refused; at 10 s (150.5) an amend of a 10-s-old order (+1 +1) fits: 152.5. cancel_all at 10 s
 * cancels 179: 178 x 5 (10 s old) + 8 (the one just amended) = 898, and is not refused (1050.5). Another pair's
 * counter is untouched. */
static void engine_charges_per_account_and_pair(void **st)
{
    (void)st;
    memset(&rec, 0, sizeof rec);
    th_sim_engine *e = sim_new(TH_SIM_QUEUE_PESSIMISTIC, TH_SIM_RATE_KRAKEN, &rec, 3);
    const char *err = NULL;
    th_sim_account_spec spec = {.key = "pro", .maker_ppm = 1600, .taker_ppm = 2600, .rate_tier = TH_KRAKEN_TIER_PRO};
    int32_t a = th_sim_account_add(e, &spec, &err);
    assert_true(a >= 0);
    assert_int_equal(th_sim_balance_set(e, a, "USD", "100000", &err), 0);
    th_sim_market_level(e, INS_BTC, TH_BID, BTC_PX(999900), ONE_BTC, 0);
    th_sim_market_level(e, INS_BTC, TH_ASK, BTC_PX(1000000), ONE_BTC, 0);
    uint64_t ids[180], id;
    th_sim_order_req r = {.ins = INS_BTC, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .post_only = true,
                          .price = BTC_PX(500000), .qty = 10000};
    for (int i = 0; i < 180; i++) assert_int_equal(th_sim_place(e, a, &r, 0, &ids[i]), TH_SIM_OK);
    assert_int_equal(th_sim_place(e, a, &r, 0, &id), TH_SIM_REJ_RATE_LIMITED);
    assert_int_equal(rec.ev[rec.n - 1].kind, TH_SIM_EV_REJECTED);
    assert_int_equal(rec.ev[rec.n - 1].reject, TH_SIM_REJ_RATE_LIMITED);
    assert_float_equal(th_sim_rate_level(e, a, INS_BTC, 0), 180, 1e-9);
    assert_int_equal(th_sim_cancel(e, a, ids[0], 2 * S), TH_SIM_REJ_RATE_LIMITED);
    assert_int_equal(th_sim_order_find(e, ids[0])->status, TH_SIM_ST_OPEN);
    assert_int_equal(th_sim_cancel(e, a, ids[0], 2200 * MS), TH_SIM_OK);
    assert_float_equal(th_sim_rate_level(e, a, INS_BTC, 2200 * MS), 179.75, 1e-9);
    assert_int_equal(th_sim_amend(e, a, ids[1], 20000, 0, -1, 2200 * MS), TH_SIM_REJ_RATE_LIMITED);
    assert_int_equal(th_sim_order_find(e, ids[1])->qty, 10000);
    assert_int_equal(th_sim_amend(e, a, ids[1], 20000, 0, -1, 10 * S), TH_SIM_OK);
    assert_float_equal(th_sim_rate_level(e, a, INS_BTC, 10 * S), 152.5, 1e-9);
    /* another pair has its own counter */
    th_sim_market_level(e, INS_MEME, TH_ASK, 12400, 100000000, 10 * S);
    th_sim_order_req m = {.ins = INS_MEME, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = 12300, .qty = 100000};
    assert_int_equal(th_sim_place(e, a, &m, 10 * S, &id), TH_SIM_OK);
    assert_float_equal(th_sim_rate_level(e, a, INS_MEME, 10 * S), 1, 1e-9);
    int32_t n = 0;
    assert_int_equal(th_sim_cancel_all(e, a, INS_BTC, 10 * S, &n), TH_SIM_OK);
    assert_int_equal(n, 179);
    assert_float_equal(th_sim_rate_level(e, a, INS_BTC, 10 * S), 152.5 + 178 * 5 + 8, 1e-9);
    assert_int_equal(th_sim_place(e, a, &r, 10 * S, &id), TH_SIM_REJ_RATE_LIMITED);
    /* and it decays back: (1050.5 - 179) / 3.75 = 232.4 s later one more add fits */
    assert_int_equal(th_sim_place(e, a, &r, 10 * S + 232 * S, &id), TH_SIM_REJ_RATE_LIMITED);
    assert_int_equal(th_sim_place(e, a, &r, 10 * S + 233 * S, &id), TH_SIM_OK);
    th_sim_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tiers_threshold_and_decay),
        cmocka_unit_test(costs_by_age),
        cmocka_unit_test(engine_charges_per_account_and_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
