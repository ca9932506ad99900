/* test_risk.c — every risk gate refuses with its own reason code, in the documented order, and is
 * counted; exposure gates let a reducing order through; the kill switch, loss caps and the
 * circuit breaker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/core/risk.h"

static th_instrument INS;
static th_tracker TRK;
static th_portfolio PF;
static th_risk R;

/* XBT/USD-like: price 1 decimal (tick 0.1 -> 1 unit, but tick 5 units here to test increments),
 * qty 4 decimals, lot 10 units, minimum 0.0100, minimum cost 5.00 (notional units 10^-5). */
static int setup(void **st)
{
    (void)st;
    memset(&INS, 0, sizeof INS);
    strcpy(INS.symbol, "XBT/USD");
    INS.price_dec = 1;
    INS.qty_dec = 4;
    INS.tick = 5;
    INS.lot = 10;
    INS.min_qty = 100;
    INS.min_cost = 500000; /* 5.00000 */
    INS.online = true;
    th_tracker_init(&TRK, "t");
    th_portfolio_init(&PF, 1);
    th_portfolio_set_unit(&PF, 0, 5, 1.0);
    th_risk_limits lim;
    th_risk_defaults(&lim);
    lim.budget = 100000;         /* USD */
    lim.max_notional = 20000;
    lim.min_notional = 10;
    lim.pair_default.max_order_qty = 100000;   /* 10 BTC */
    lim.pair_default.min_order_qty = 200;      /* 0.02 */
    lim.pair_default.max_position = 30000;     /* 3 BTC */
    lim.pair_default.max_open_orders = 3;
    lim.pair_default.band_bps = 100;
    lim.daily_loss_cap = 1000;
    lim.max_drawdown = 2000;
    lim.breaker_errors = 3;
    lim.breaker_cooldown_ns = 1000;
    th_risk_init(&R, &lim, 1);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    th_tracker_free(&TRK);
    th_portfolio_free(&PF);
    th_risk_free(&R);
    return 0;
}

/* A valid buy of 0.1 BTC at 50000.0 with the book 49990.0 / 50010.0. */
static th_risk_ctx ctx(void)
{
    th_risk_ctx c;
    memset(&c, 0, sizeof c);
    c.ins = &INS;
    c.ins_idx = 0;
    c.side = TH_BID;
    c.price = 500000;
    c.qty = 1000;
    c.best_bid = 499900;
    c.best_ask = 500100;
    c.book_health = TH_BOOK_OK;
    c.tracker = &TRK;
    c.exclude = -1;
    c.portfolio = &PF;
    return c;
}

#define REFUSES(expr_set, reason)                                                  \
    do {                                                                           \
        th_risk_ctx c = ctx();                                                     \
        expr_set;                                                                  \
        uint64_t before = R.refusals[reason];                                      \
        assert_int_equal(th_risk_check(&R, &c), reason);                           \
        assert_int_equal(R.refusals[reason], before + 1);                          \
    } while (0)

static void valid_order_passes(void **st)
{
    (void)st;
    th_risk_ctx c = ctx();
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
}

static void order_gates(void **st)
{
    (void)st;
    REFUSES(c.ins = NULL, TH_RISK_UNKNOWN_SYMBOL);
    REFUSES(c.qty = 0, TH_RISK_BAD_ORDER);
    REFUSES(c.price = -5, TH_RISK_BAD_ORDER);
    REFUSES(c.side = 7, TH_RISK_BAD_ORDER);
    INS.online = false;
    REFUSES((void)0, TH_RISK_INSTRUMENT_OFFLINE);
    INS.online = true;
    REFUSES(c.price = 500003, TH_RISK_NOT_ON_TICK);
    REFUSES(c.qty = 1005, TH_RISK_NOT_ON_LOT);
    REFUSES(c.qty = 90, TH_RISK_BELOW_EXCHANGE_MIN_QTY);
    REFUSES((c.qty = 100, c.price = 400), TH_RISK_BELOW_EXCHANGE_MIN_COST); /* 0.01 * 40.0 = 0.40 < 5 */
    REFUSES(c.qty = 150, TH_RISK_SIZE_TOO_SMALL);
    REFUSES(c.qty = 100010, TH_RISK_SIZE_TOO_LARGE);
    REFUSES((c.qty = 200, c.price = 4000, c.best_bid = 3995, c.best_ask = 4005), TH_RISK_NOTIONAL_TOO_SMALL); /* 0.02 * 400 = 8 */
    REFUSES(c.qty = 5000, TH_RISK_NOTIONAL_TOO_LARGE); /* 0.5 * 50000 = 25000 */
}

static void price_gates(void **st)
{
    (void)st;
    REFUSES(c.book_health = TH_BOOK_STALE, TH_RISK_BOOK_NOT_OK);
    REFUSES(c.book_health = TH_BOOK_CHECKSUM_FAILED, TH_RISK_BOOK_NOT_OK);
    REFUSES(c.best_ask = 0, TH_RISK_NO_REFERENCE_PRICE);
    REFUSES(c.price = 506000, TH_RISK_PRICE_BAND); /* 1.2% above mid, band 1% */
    REFUSES((c.post_only = true, c.price = 500100), TH_RISK_POST_ONLY_CROSS);
    REFUSES((c.post_only = true, c.side = TH_ASK, c.price = 499900), TH_RISK_POST_ONLY_CROSS);
    /* an oracle replaces the mid as the reference */
    th_risk_ctx c = ctx();
    c.oracle = 520000;
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_PRICE_BAND);
    c.price = 520000;
    c.best_bid = c.best_ask = 0;
    c.book_health = TH_BOOK_EMPTY;
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
}

static void pair_gates(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&TRK, 0, TH_BID, 500000, 1000, "", 1);
    (void)a;
    REFUSES(c.price = 499800, TH_RISK_LAYERING); /* 4 bps from our own bid; default 10 bps */
    th_risk_ctx ok = ctx();
    ok.price = 499000;                           /* 20 bps away */
    assert_int_equal(th_risk_check(&R, &ok), TH_RISK_OK);
    ok.side = TH_ASK;                            /* the other side is not layering */
    ok.price = 500100;
    assert_int_equal(th_risk_check(&R, &ok), TH_RISK_OK);
    th_tracker_create(&TRK, 0, TH_BID, 499000, 1000, "", 1);
    th_tracker_create(&TRK, 0, TH_ASK, 501000, 1000, "", 1);
    REFUSES(c.price = 495000, TH_RISK_MAX_OPEN_ORDERS);
    /* the amended order itself does not count against layering */
    th_risk_ctx am = ctx();
    am.exclude = a;
    am.price = 499900;
    R.pair[0].max_open_orders = 0;
    assert_int_equal(th_risk_check(&R, &am), TH_RISK_OK);
    /* position limit: 3 BTC incl. open bids (0.2 open) */
    th_portfolio_fill(&PF, 0, TH_BID, 28000, 500000, 0, 1);
    R.lim.budget = 0; /* isolate the qty limit from the exposure gates */
    REFUSES((c.price = 497000, c.qty = 1000), TH_RISK_POSITION_LIMIT);
    /* a reducing sell is never refused by the position or exposure limits */
    th_risk_ctx sell = ctx();
    sell.side = TH_ASK;
    sell.price = 502000;
    sell.qty = 3000;
    R.lim.budget = 100000;
    assert_int_equal(th_risk_check(&R, &sell), TH_RISK_OK);
}

static void portfolio_gates(void **st)
{
    (void)st;
    R.pair[0].max_position = 0;
    R.lim.max_notional = 0;
    th_portfolio_fill(&PF, 0, TH_BID, 20000, 500000, 0, 1); /* 2 BTC = 100k... of a 100k budget */
    th_portfolio_mark(&PF, 0, 500000, 1);
    /* per position 15% of 100k = 15k: already at 100k, buying more is refused */
    REFUSES((void)0, TH_RISK_EXPOSURE_POSITION);
    R.lim.max_position_pct = 10;  /* loosen to reach the pair gate */
    REFUSES((void)0, TH_RISK_EXPOSURE_PAIR);
    R.lim.max_pair_pct = 10;
    REFUSES((void)0, TH_RISK_EXPOSURE_TOTAL);
    R.lim.max_total_exposure_pct = 10;
    th_risk_ctx c = ctx();
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
}

static void kill_switch_and_loss_caps(void **st)
{
    (void)st;
    assert_true(th_risk_halt(&R, 0, "operator"));
    assert_false(th_risk_halt(&R, 0, "again"));            /* idempotent, first reason stays */
    assert_string_equal(R.halt_reason, "operator");
    REFUSES((void)0, TH_RISK_HALTED);
    REFUSES(c.ins = NULL, TH_RISK_HALTED);                   /* halted answers before anything else */
    th_risk_resume(&R);
    th_risk_ctx c = ctx();
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);

    th_portfolio_fill(&PF, 0, TH_BID, 1000, 500000, 0, 1);  /* 0.1 BTC @ 50000 */
    th_portfolio_mark(&PF, 0, 450000, 2);                   /* -500 */
    assert_false(th_risk_check_portfolio(&R, &PF));
    th_portfolio_mark(&PF, 0, 390000, 3);                   /* -1100 > cap 1000 */
    assert_true(th_risk_check_portfolio(&R, &PF));
    assert_int_equal(R.halt_code, TH_RISK_DAILY_LOSS);
    REFUSES((void)0, TH_RISK_DAILY_LOSS);
    th_risk_resume(&R);
    R.lim.daily_loss_cap = 0;
    th_portfolio_mark(&PF, 0, 500000 + 100000, 4);          /* peak +1000 */
    th_portfolio_mark(&PF, 0, 300000, 5);                   /* -2000: drawdown 3000 */
    assert_true(th_risk_check_portfolio(&R, &PF));
    assert_int_equal(R.halt_code, TH_RISK_DRAWDOWN);
    REFUSES((void)0, TH_RISK_DRAWDOWN);
}

/* A reference at or below zero must not switch the gates off: with -1 the band saw a negative
 * distance and the exposure gates a negative price, and a buy 20% through the market at 4.8 times
 * the per-position exposure cap went through. */
static void non_positive_reference_is_no_reference(void **st)
{
    (void)st;
    R.pair[0].max_position = 0;
    R.pair[0].max_order_qty = 0;
    R.lim.max_notional = 0;
    th_risk_ctx c = ctx();
    c.price = 600000;       /* 60,000.0: 20% above the 50,000 mid */
    c.qty = 12000;          /* 1.2 BTC = 72,000 of a 15,000 per-position cap */
    c.oracle = -10;         /* th.risk.set_reference("XBT/USD", -1) */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_NO_REFERENCE_PRICE);
    c.oracle = 0;           /* no oracle: the mid, and the band refuses */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_PRICE_BAND);
    c.oracle = 600000;      /* a real oracle there: the exposure gate refuses */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_EXPOSURE_POSITION);
    c.oracle = 0;           /* a book whose mid is not positive is no reference either */
    c.best_bid = -3;
    c.best_ask = 1;
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_NO_REFERENCE_PRICE);
}

/* A loss of exactly the cap halts (the cap is reached, not only passed), and one unit less does
 * not. The money converts exactly (1,000.00000 at 10^-5 is 100,000,000 units). */
static void loss_exactly_at_the_cap_halts(void **st)
{
    (void)st;
    th_portfolio_fill(&PF, 0, TH_BID, 1000, 500000, 0, 1);  /* 0.1 BTC @ 50000.0 */
    th_portfolio_mark(&PF, 0, 400001, 2);                   /* -999.99 */
    assert_true(th_portfolio_day_pnl(&PF) == -999.99);
    assert_false(th_risk_check_portfolio(&R, &PF));
    th_portfolio_mark(&PF, 0, 400000, 3);                   /* -1000.00: exactly the cap */
    assert_true(th_portfolio_day_pnl(&PF) == -1000.0);
    assert_true(th_risk_check_portfolio(&R, &PF));
    assert_int_equal(R.halt_code, TH_RISK_DAILY_LOSS);
    /* the same after an exact recompute */
    th_risk_resume(&R);
    th_portfolio_recompute(&PF, 4);
    assert_true(th_portfolio_day_pnl(&PF) == -1000.0);
    assert_true(th_risk_check_portfolio(&R, &PF));
    /* drawdown: exactly the cap from the peak halts too */
    th_risk_resume(&R);
    R.lim.daily_loss_cap = 0;
    th_portfolio_mark(&PF, 0, 500000, 5);                   /* back to 0: peak 0 */
    th_portfolio_mark(&PF, 0, 300000, 6);                   /* -2000: drawdown exactly 2000 */
    assert_true(th_portfolio_drawdown(&PF) == 2000.0);
    assert_true(th_risk_check_portfolio(&R, &PF));
    assert_int_equal(R.halt_code, TH_RISK_DRAWDOWN);
}

/* BTC at 100,000 with 8 + 8 decimals: 1 BTC marked at 99,000 is a 1,000 loss and trips a 500 cap
 * (int64 money read it as a gain of 844.67); the exposure gates see 100,000, not a wrapped value. */
static void loss_cap_and_exposure_at_8_plus_8_decimals(void **st)
{
    (void)st;
    th_instrument btc = INS;
    btc.price_dec = 8;
    btc.qty_dec = 8;
    btc.tick = btc.lot = 1;
    btc.min_qty = 1;
    btc.min_cost = 0;
    th_portfolio_set_unit(&PF, 0, 16, 1.0);
    R.lim.daily_loss_cap = 500;
    R.lim.max_notional = 0;
    R.lim.min_notional = 0;
    R.lim.budget = 1000000;
    R.pair[0].max_position = 0;
    R.pair[0].max_order_qty = 0;
    R.pair[0].min_order_qty = 0;
    const int64_t E8 = 100000000;
    th_portfolio_fill(&PF, 0, TH_BID, E8, 100000 * E8, 0, 1);
    th_portfolio_mark(&PF, 0, 99000 * E8, 2);
    assert_true(th_portfolio_day_pnl(&PF) == -1000.0);
    assert_true(th_risk_check_portfolio(&R, &PF));
    th_risk_resume(&R);
    R.lim.daily_loss_cap = 0;
    th_risk_ctx c = ctx();
    c.ins = &btc;
    c.price = 99000 * E8;
    c.qty = E8;             /* 2 BTC after: 198,000 > 15% of 1,000,000 */
    c.best_bid = 98990 * E8;
    c.best_ask = 99010 * E8;
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_EXPOSURE_POSITION);
    c.qty = E8 / 2;         /* 1.5 BTC after: 148,500 */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
    R.lim.max_notional = 40000;
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_NOTIONAL_TOO_LARGE); /* 49,500 */
}

/* A strategy instance with risk_share 0.25 of a 1,000,000 budget (80 % total): its pairs'
 * positions and live orders together stay within 200,000, at BTC 100,000 with 8+8 decimals. The
 * cap itself is allowed, one satoshi past it is not; a pair of no group, a share of 1 and a
 * reducing order are not held to it. */
static void instance_share_of_the_budget(void **st)
{
    (void)st;
    th_instrument btc = INS;
    btc.price_dec = btc.qty_dec = 8;
    btc.tick = btc.lot = btc.min_qty = 1;
    btc.min_cost = 0;
    th_portfolio_set_unit(&PF, 0, 16, 1.0);
    R.lim.max_notional = R.lim.min_notional = 0;
    R.lim.budget = 1000000;
    R.lim.max_position_pct = R.lim.max_pair_pct = 10; /* wide open: the share binds */
    R.pair[0].max_position = R.pair[0].max_order_qty = R.pair[0].min_order_qty = 0;
    R.pair[0].band_bps = 0;
    R.pair[0].group = 1;
    R.pair[0].share = 0.25;
    const int64_t E8 = 100000000;
    th_risk_ctx c = ctx();
    c.ins = &btc;
    c.price = 100000 * E8;
    c.best_bid = 99990 * E8;
    c.best_ask = 100010 * E8;
    c.group_exposure = 150000; /* its other pairs and orders */
    c.qty = E8 / 2;            /* 50,000: 200,000 in all, the cap */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
    c.qty = E8 / 2 + 1;
    uint64_t before = R.refusals[TH_RISK_EXPOSURE_SHARE];
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_EXPOSURE_SHARE);
    assert_int_equal(R.refusals[TH_RISK_EXPOSURE_SHARE], before + 1);
    assert_int_equal(th_risk_pair_refusals(&R, 0, TH_RISK_EXPOSURE_SHARE), 1);
    assert_string_equal(th_risk_reason(TH_RISK_EXPOSURE_SHARE), "exposure_share");
    R.pair[0].share = 1;       /* the whole budget: the host-wide total only (800,000) */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
    R.pair[0].share = 0.25;
    R.pair[0].group = 0;       /* no instance group */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
    R.pair[0].group = 1;
    th_portfolio_fill(&PF, 0, TH_BID, 3 * E8, 100000 * E8, 0, 1); /* long 3 BTC: selling reduces */
    th_portfolio_mark(&PF, 0, 100000 * E8, 1);
    c.group_exposure = 300000;
    c.side = TH_ASK;
    c.price = 100010 * E8;
    c.qty = E8;
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
    c.side = TH_BID;
    c.price = 100000 * E8;
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_EXPOSURE_SHARE);
}

static void circuit_breaker(void **st)
{
    (void)st;
    assert_false(th_risk_venue_error(&R, 10));
    th_risk_venue_ok(&R);                                   /* a success resets the run */
    assert_false(th_risk_venue_error(&R, 10));
    assert_false(th_risk_venue_error(&R, 10));
    assert_true(th_risk_venue_error(&R, 10));
    assert_true(th_risk_breaker_open(&R, 500));
    REFUSES(c.now_ns = 500, TH_RISK_BREAKER_OPEN);
    th_risk_ctx c = ctx();
    c.now_ns = 1010;                                        /* cool-down over */
    assert_int_equal(th_risk_check(&R, &c), TH_RISK_OK);
}

static void reason_names_cover_every_code(void **st)
{
    (void)st;
    for (int i = 0; i < TH_RISK_REASON_COUNT; i++) {
        const char *n = th_risk_reason(i);
        assert_non_null(n);
        assert_string_not_equal(n, "unknown_reason");
        for (int j = 0; j < i; j++) assert_string_not_equal(n, th_risk_reason(j));
    }
    assert_string_equal(th_risk_reason(TH_RISK_REASON_COUNT), "unknown_reason");
    assert_string_equal(th_risk_reason(TH_RISK_LAYERING), "layering");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(valid_order_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(order_gates, setup, teardown),
        cmocka_unit_test_setup_teardown(price_gates, setup, teardown),
        cmocka_unit_test_setup_teardown(pair_gates, setup, teardown),
        cmocka_unit_test_setup_teardown(portfolio_gates, setup, teardown),
        cmocka_unit_test_setup_teardown(kill_switch_and_loss_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(circuit_breaker, setup, teardown),
        cmocka_unit_test_setup_teardown(non_positive_reference_is_no_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(loss_exactly_at_the_cap_halts, setup, teardown),
        cmocka_unit_test_setup_teardown(loss_cap_and_exposure_at_8_plus_8_decimals, setup, teardown),
        cmocka_unit_test_setup_teardown(instance_share_of_the_budget, setup, teardown),
        cmocka_unit_test(reason_names_cover_every_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
