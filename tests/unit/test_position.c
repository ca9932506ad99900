/* test_position.c — positions and PnL: exact arithmetic on opens, partial closes, flips and shorts,
 * fees, marks, per-day reset, portfolio totals in the report currency, and the invariant
 * `realised - cost == cash flow` over a long random sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../host/core/position.h"
#include "../../host/include/tradehost.h"

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
    assert_int_equal(x->realised, 200 * (1100 - 1010));
    assert_int_equal(th_position_avg_entry(x), 1010);
    th_portfolio_fill(&p, 0, TH_ASK, 500, 1000, 4, 4);  /* sell 5.00 @ 100.0: close 2 (-1.0 each), open short 3 */
    assert_int_equal(x->qty, -300);
    assert_int_equal(x->realised, 200 * 90 + 200 * (1000 - 1010));
    assert_int_equal(th_position_avg_entry(x), 1000);
    assert_int_equal(x->fees, 14);
    th_portfolio_mark(&p, 0, 950, 5);                  /* short 3 from 100 marked at 95: +15.0 */
    assert_int_equal(th_position_unrealised(x), 300 * 50);
    th_portfolio_recompute(&p, 5);
    double expect = (double)(x->realised + 300 * 50 - 14) / 1000.0;
    assert_true(p.total_pnl > expect - 1e-9 && p.total_pnl < expect + 1e-9);
    assert_true(p.total_exposure > 300 * 950 / 1000.0 - 1e-9 && p.total_exposure < 300 * 950 / 1000.0 + 1e-9);
    th_portfolio_fill(&p, 0, TH_BID, 300, 950, 0, 6);  /* cover: flat, cost exactly 0 */
    assert_int_equal(x->qty, 0);
    assert_int_equal(x->cost, 0);
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
    assert_int_equal(p.v[0].cost, 0);
    assert_int_equal(p.v[0].realised, 66 - 63); /* exactly the cash flow */
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
    assert_int_equal(p.v[0].day_realised, -100);
    assert_int_equal(p.v[0].realised, -100);
    th_portfolio_free(&p);
}

static void random_fills_keep_cash_invariant(void **st)
{
    (void)st;
    th_portfolio p;
    th_portfolio_init(&p, 1);
    srand(7);
    int64_t cash = 0, qty = 0;
    for (int i = 0; i < 200000; i++) {
        int side = rand() % 2;
        int64_t q = 1 + rand() % 1000, px = 9000 + rand() % 2000;
        th_portfolio_fill(&p, 0, side, q, px, 0, i);
        cash += side == TH_BID ? -q * px : q * px;
        qty += side == TH_BID ? q : -q;
        assert_int_equal(p.v[0].qty, qty);
        if (p.v[0].realised - p.v[0].cost != cash) fail_msg("step %d: realised - cost != cash", i);
    }
    th_portfolio_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_then_partial_close_then_flip),
        cmocka_unit_test(rounding_residue_is_realised_at_flat),
        cmocka_unit_test(report_currency_rates_and_day_reset),
        cmocka_unit_test(random_fills_keep_cash_invariant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
