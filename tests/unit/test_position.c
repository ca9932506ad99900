/* test_position.c — positions and PnL: exact arithmetic on opens, partial closes, flips and shorts,
 * fees, marks, per-day reset, portfolio totals in the report currency, real magnitudes (BTC at
 * 100,000 and 1,000,000 with 8 + 8 decimals, a meme coin at 0.00000123 with size 10^9, notionals
 * up to 10^9 quote units), and the invariant `realised - cost == cash flow` over long random
 * sequences drawn across those magnitudes, checked against an independent 128-bit sum and a long
 * double one (so that an invariant holding only modulo 2^64 fails). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../host/core/position.h"
#include "../../host/include/tradehost.h"
#include "money_check.h"

#define DAY 86400000000000LL

static void long_then_partial_close_then_flip(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 2);
    th_portfolio_set_unit(&p, 0, 3, 1.0); /* price 1 decimal, qty 2 decimals */
    th_portfolio_fill(&p, 0, TH_BID, 300, 1000, 5, 1);  /* buy 3.00 @ 100.0 */
    th_portfolio_fill(&p, 0, TH_BID, 100, 1040, 2, 2);  /* buy 1.00 @ 104.0 -> avg 101.0 */
    th_position *x = &p.v[0];
    assert_int_equal(x->qty, 400);
    assert_int_equal(th_position_avg_entry(x), 1010);
    th_portfolio_fill(&p, 0, TH_ASK, 200, 1100, 3, 3);  /* sell 2.00 @ 110.0: +9.0 * 2 */
    assert_int_equal(x->qty, 200);
    assert_money_equal(x->realised, 200 * (1100 - 1010));
    assert_int_equal(th_position_avg_entry(x), 1010);
    th_portfolio_fill(&p, 0, TH_ASK, 500, 1000, 4, 4);  /* sell 5.00 @ 100.0: close 2 (-1.0 each), open short 3 */
    assert_int_equal(x->qty, -300);
    assert_money_equal(x->realised, 200 * 90 + 200 * (1000 - 1010));
    assert_int_equal(th_position_avg_entry(x), 1000);
    assert_money_equal(x->fees, 14);
    th_portfolio_mark(&p, 0, 950, 5);                  /* short 3 from 100 marked at 95: +15.0 */
    assert_money_equal(th_position_unrealised(x), 300 * 50);
    th_portfolio_recompute(&p, 5);
    double expect = (double)(x->realised + 300 * 50 - 14) / 1000.0;
    assert_true(p.total_pnl > expect - 1e-9 && p.total_pnl < expect + 1e-9);
    assert_true(p.total_exposure > 300 * 950 / 1000.0 - 1e-9 && p.total_exposure < 300 * 950 / 1000.0 + 1e-9);
    th_portfolio_fill(&p, 0, TH_BID, 300, 950, 0, 6);  /* cover: flat, cost exactly 0 */
    assert_int_equal(x->qty, 0);
    assert_money_equal(x->cost, 0);
    th_portfolio_free(&p);
}

static void rounding_residue_is_realised_at_flat(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 1);
    th_portfolio_fill(&p, 0, TH_BID, 3, 10, 0, 1);
    th_portfolio_fill(&p, 0, TH_BID, 3, 11, 0, 1);  /* cost 63 over 6: avg 10.5 */
    th_portfolio_fill(&p, 0, TH_ASK, 1, 11, 0, 1);  /* closed cost 63/6 = 10 (int) */
    th_portfolio_fill(&p, 0, TH_ASK, 5, 11, 0, 1);
    assert_int_equal(p.v[0].qty, 0);
    assert_money_equal(p.v[0].cost, 0);
    assert_money_equal(p.v[0].realised, 66 - 63); /* exactly the cash flow */
    th_portfolio_free(&p);
}

static void report_currency_rates_and_day_reset(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 2);
    th_portfolio_set_unit(&p, 0, 0, 1.0);
    th_portfolio_set_unit(&p, 1, 0, 2.0); /* quoted in a currency worth 2 report units */
    th_portfolio_fill(&p, 0, TH_BID, 10, 100, 0, DAY + 1);
    th_portfolio_fill(&p, 1, TH_BID, 10, 100, 0, DAY + 1);
    th_portfolio_mark(&p, 0, 90, DAY + 2);
    th_portfolio_mark(&p, 1, 90, DAY + 2);
    th_portfolio_recompute(&p, DAY + 3);
    assert_true(p.total_pnl > -300.0001 && p.total_pnl < -299.9999);  /* -100 + -200 */
    assert_true(p.total_exposure > 2699.999 && p.total_exposure < 2700.001);
    assert_true(th_portfolio_day_pnl(&p) < -299.9);
    assert_true(th_portfolio_drawdown(&p) > 299.9);
    th_portfolio_recompute(&p, 2 * DAY + 1); /* next UTC day: day PnL starts again */
    assert_true(th_portfolio_day_pnl(&p) > -1e-9 && th_portfolio_day_pnl(&p) < 1e-9);
    th_portfolio_fill(&p, 0, TH_ASK, 10, 90, 0, 2 * DAY + 2);
    assert_money_equal(p.v[0].day_realised, -100);
    assert_money_equal(p.v[0].realised, -100);
    th_portfolio_free(&p);
}

#define E8 100000000LL

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol; }

/* 1 BTC bought at 100,000 and marked at 99,000 is -1,000 USDT; at 1,000,000 marked 990,000 it is
 * -10,000. With int64 money (10^-16 USDT units, ~922 USDT of range) the first read +844.67. */
static void btc_at_8_plus_8_decimals(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 2);
    th_portfolio_set_unit(&p, 0, 16, 1.0);
    th_portfolio_set_unit(&p, 1, 16, 1.0);
    th_portfolio_fill(&p, 0, TH_BID, 1 * E8, 100000 * E8, 0, 1);
    th_portfolio_mark(&p, 0, 99000 * E8, 2);
    th_money want = -th_money_mul(1000 * E8, E8);                 /* -1,000 at 10^-16 */
    assert_money_equal(th_position_unrealised(&p.v[0]), want);
    assert_true(th_money_to_double(th_position_unrealised(&p.v[0]), 16) == -1000.0);
    assert_true(near(p.total_pnl, -1000, 1e-9));                  /* incremental total */
    th_portfolio_recompute(&p, 3);
    assert_true(near(p.total_pnl, -1000, 1e-9));
    assert_true(near(p.total_exposure, 99000, 1e-9));
    th_portfolio_fill(&p, 1, TH_BID, 1 * E8, 1000000 * E8, 0, 4);
    th_portfolio_mark(&p, 1, 990000 * E8, 5);
    assert_true(th_money_to_double(th_position_unrealised(&p.v[1]), 16) == -10000.0);
    th_portfolio_recompute(&p, 6);
    assert_true(near(p.total_pnl, -11000, 1e-9));
    /* sell the million-dollar coin at 1,000,001: realised +1, exactly */
    th_portfolio_fill(&p, 1, TH_ASK, 1 * E8, 1000001 * E8, 0, 7);
    assert_money_equal(p.v[1].realised, th_money_mul(E8, E8));
    assert_money_equal(p.v[1].cost, 0);
    th_portfolio_free(&p);
}

/* 0.01 BTC at 100,000: the average entry is 100,000 (int64 money gave a negative one). */
static void small_btc_buy_average_entry(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 1);
    th_portfolio_set_unit(&p, 0, 16, 1.0);
    th_portfolio_fill(&p, 0, TH_BID, E8 / 100, 100000 * E8, 0, 1);
    assert_int_equal(th_position_avg_entry(&p.v[0]), 100000 * E8);
    th_portfolio_fill(&p, 0, TH_BID, E8 / 100, 102000 * E8, 0, 1);  /* avg 101,000 */
    assert_int_equal(th_position_avg_entry(&p.v[0]), 101000 * E8);
    /* 1,000 BTC at 1,000,000 more: a 10^9 USDT notional, average still exact */
    th_portfolio_fill(&p, 0, TH_BID, 1000 * E8, 1000000 * E8, 0, 1);
    th_money cost = th_money_mul(E8 / 100, 100000 * E8) + th_money_mul(E8 / 100, 102000 * E8) + th_money_mul(1000 * E8, 1000000 * E8);
    assert_money_equal(p.v[0].cost, cost);
    assert_true(near(th_money_to_double(p.v[0].cost, 16), 1000000000.0 + 2020.0, 1e-6));
    assert_int_equal(th_position_avg_entry(&p.v[0]), (int64_t)(cost / p.v[0].qty));
    th_portfolio_free(&p);
}

/* A meme coin at 0.00000123 (8 price decimals) with size 10^9 (2 qty decimals): a 1,230 USDT
 * position; a move to 0.00000124 is +10; fees of 0.1% on it are 1.23. */
static void meme_coin_at_a_billion(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 1);
    th_portfolio_set_unit(&p, 0, 10, 1.0);
    int64_t size = 1000000000LL * 100; /* 10^9 at 2 decimals */
    th_money fee = th_money_mul(size, 123) / 1000;
    th_portfolio_fill(&p, 0, TH_BID, size, 123, fee, 1);
    assert_true(near(th_money_to_double(p.v[0].cost, 10), 1230, 1e-9));
    assert_true(near(th_money_to_double(p.v[0].fees, 10), 1.23, 1e-12));
    th_portfolio_mark(&p, 0, 124, 2);
    assert_true(near(th_money_to_double(th_position_unrealised(&p.v[0]), 10), 10, 1e-12));
    assert_true(near(p.total_pnl, 10 - 1.23, 1e-9));
    th_portfolio_fill(&p, 0, TH_ASK, size / 3, 125, 0, 3);             /* a third, not a round share */
    th_portfolio_fill(&p, 0, TH_ASK, size - size / 3, 125, 0, 4);
    assert_money_equal(p.v[0].cost, 0);
    assert_money_equal(p.v[0].realised, th_money_mul(size, 2));       /* 0.00000002 x 10^9 = 20 */
    th_portfolio_free(&p);
}

/* A fill that carries a fee moves total_pnl by -fee at once, before any recompute (the per-fill
 * loss check reads that incremental total). */
static void fee_lowers_total_pnl_before_recompute(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 1);
    th_portfolio_set_unit(&p, 0, 16, 1.0);
    th_money fee = th_money_mul(100 * E8, E8);                          /* 100 USDT */
    th_portfolio_fill(&p, 0, TH_BID, 1 * E8, 100000 * E8, fee, 1);     /* marked at the fill price */
    assert_true(near(p.total_pnl, -100, 1e-9));
    assert_true(near(th_portfolio_day_pnl(&p), -100, 1e-9));
    th_portfolio_fill(&p, 0, TH_ASK, 1 * E8, 100000 * E8, fee, 2);
    assert_true(near(p.total_pnl, -200, 1e-9));
    th_portfolio_free(&p);
}

/* Draw prices and sizes across the real ranges: each step picks one of three instruments (BTC at
 * 100,000 and at 1,000,000 with 8 + 8 decimals, a meme coin at 0.00000123 with 8 + 2), a price
 * within +-10% of its level and a size from one unit to 1,000 BTC / 10^9 coins, log-uniform. The
 * position must equal an independent sum of the fills: 128-bit cash flow, and the same in long
 * double (which cannot wrap), for every step. */
typedef struct regime { int64_t level, max_qty; int32_t scale; } regime;
static const regime REGIMES[3] = {
    {100000 * E8, 1000 * E8, 16}, {1000000 * E8, 1000 * E8, 16}, {123, 1000000000LL * 100, 10},
};

static uint64_t RNG = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    RNG ^= RNG << 13;
    RNG ^= RNG >> 7;
    RNG ^= RNG << 17;
    return RNG;
}

static int64_t log_uniform(int64_t max)
{
    int64_t m = 1 + (int64_t)(rnd() % 9);
    int64_t v = m;
    int64_t steps = (int64_t)(rnd() % 13);
    for (int64_t i = 0; i < steps && v <= max / 10; i++) v *= 10;
    return v > max ? max : v;
}

static void random_fills_keep_cash_invariant(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 3);
    for (int k = 0; k < 3; k++) th_portfolio_set_unit(&p, k, REGIMES[k].scale, 1.0);
    th_money cash[3] = {0, 0, 0}, fees[3] = {0, 0, 0};
    long double lcash[3] = {0, 0, 0}, gross[3] = {0, 0, 0};
    int64_t qty[3] = {0, 0, 0};
    double biggest = 0;
    for (int i = 0; i < 300000; i++) {
        int k = (int)(rnd() % 3);
        const regime *g = &REGIMES[k];
        int side = (int)(rnd() % 2);
        int64_t q = log_uniform(g->max_qty);
        int64_t px = g->level - g->level / 10 + (int64_t)(rnd() % (uint64_t)(g->level / 5 + 1));
        if (px <= 0) px = 1;
        th_money fee = (th_money)(rnd() % 1000) * th_money_mul(q, px) / 1000000; /* up to 0.1% */
        th_portfolio_fill(&p, k, side, q, px, fee, i);
        th_money flow = (th_money)q * px;
        cash[k] += side == TH_BID ? -flow : flow;
        lcash[k] += (side == TH_BID ? -1.0L : 1.0L) * (long double)q * (long double)px;
        gross[k] += (long double)q * (long double)px;
        fees[k] += fee;
        qty[k] += side == TH_BID ? q : -q;
        const th_position *x = &p.v[k];
        assert_int_equal(x->qty, qty[k]);
        if (x->realised - x->cost != cash[k]) {
            char a[64], b[64];
            th_money_format(x->realised - x->cost, 0, a, sizeof a);
            th_money_format(cash[k], 0, b, sizeof b);
            fail_msg("step %d instrument %d: realised - cost %s != cash %s", i, k, a, b);
        }
        long double l = (long double)(x->realised - x->cost);
        /* long double rounding accumulates with the gross flow, far below one 2^64 wrap */
        if (fabsl(l - lcash[k]) > 1e-15L * gross[k] + 1) fail_msg("step %d: cash differs from the long double sum", i);
        assert_money_equal(x->fees, fees[k]);
        /* the average entry lies within the range of prices drawn (truncation: one unit below) */
        if (x->qty) {
            int64_t avg = th_position_avg_entry(x);
            if (avg < g->level - g->level / 10 - 1 || avg > g->level + g->level / 10 + 1)
                fail_msg("step %d: average entry %lld outside the prices drawn", i, (long long)avg);
        }
        double mag = fabs(th_position_report(&p.v[k], cash[k]));
        if (mag > biggest) biggest = mag;
    }
    /* and the magnitudes were real: cash flows well beyond int64 money (922 USDT at 8 + 8) */
    assert_true(biggest > 1e6);
    for (int k = 0; k < 3; k++) assert_true(1e-15L * gross[k] < 0x1p64L / 100); /* the tolerance would see a wrap */
    for (int k = 0; k < 3; k++) {
        th_portfolio_mark(&p, k, REGIMES[k].level, 1000000);
        long double un = (long double)qty[k] * (long double)REGIMES[k].level - (long double)p.v[k].cost;
        long double got = (long double)th_position_unrealised(&p.v[k]);
        if (fabsl(got - un) > 1e-12L * fabsl(un) + 1) fail_msg("instrument %d: unrealised differs from long double", k);
    }
    th_portfolio_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_then_partial_close_then_flip),
        cmocka_unit_test(rounding_residue_is_realised_at_flat),
        cmocka_unit_test(report_currency_rates_and_day_reset),
        cmocka_unit_test(btc_at_8_plus_8_decimals),
        cmocka_unit_test(small_btc_buy_average_entry),
        cmocka_unit_test(meme_coin_at_a_billion),
        cmocka_unit_test(fee_lowers_total_pnl_before_recompute),
        cmocka_unit_test(random_fills_keep_cash_invariant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
