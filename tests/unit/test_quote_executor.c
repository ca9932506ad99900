/* test_quote_executor.c — target quotes to the fewest actions: keep within tolerance, cancel and
 * place outside it, never place behind a pending order, wait behind a pending cancel, amend where
 * the venue can. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/core/quote_executor.h"
#include "../../host/include/tradehost.h"

static th_tracker T;
static th_exec_cfg CFG = {.price_tol_ticks = 2, .price_tol_bps = 0, .size_tol = 0.1, .amend = false};

static int setup(void **st) { (void)st; return th_tracker_init(&T, "x"); }
static int teardown(void **st) { (void)st; th_tracker_free(&T); return 0; }

static int32_t open_order(int32_t side, int64_t px, int64_t qty)
{
    int32_t i = th_tracker_create(&T, 3, side, px, qty, "", 0);
    char ex[16];
    snprintf(ex, sizeof ex, "E%d", i);
    th_tracker_on_ack(&T, T.v[i].cl_id, ex, 0);
    return i;
}

static int count(const th_exec_action *a, int32_t n, int32_t kind)
{
    int c = 0;
    for (int32_t i = 0; i < n; i++) c += a[i].kind == kind;
    return c;
}

static void empty_book_places_everything(void **st)
{
    (void)st;
    th_quote q[4] = {{TH_BID, 0, 1000, 5, "b1"}, {TH_BID, 0, 990, 5, "b2"}, {TH_ASK, 0, 1010, 5, "a1"}, {TH_ASK, 0, 1020, 5, "a2"}};
    th_exec_action a[16];
    int32_t n = th_exec_diff(&T, 3, q, 4, &CFG, a, 16);
    assert_int_equal(n, 4);
    assert_int_equal(count(a, n, TH_EXEC_PLACE), 4);
}

static void small_moves_keep_orders(void **st)
{
    (void)st;
    int32_t b = open_order(TH_BID, 1000, 5), s = open_order(TH_ASK, 1010, 5);
    th_quote q[2] = {{TH_BID, 0, 1002, 5, ""}, {TH_ASK, 0, 1009, 5, ""}}; /* within 2 ticks; same size */
    th_exec_action a[16];
    int32_t n = th_exec_diff(&T, 3, q, 2, &CFG, a, 16);
    assert_int_equal(n, 2);
    assert_int_equal(count(a, n, TH_EXEC_KEEP), 2);
    assert_int_equal(a[0].order, b);
    assert_int_equal(a[1].order, s);
    /* a 10% size change is within tolerance; 20% is not */
    q[0].qty = 5;
    q[1].qty = 6;
    n = th_exec_diff(&T, 3, q, 2, &CFG, a, 16);
    assert_int_equal(count(a, n, TH_EXEC_KEEP), 1);
    assert_int_equal(count(a, n, TH_EXEC_CANCEL), 1);
    assert_int_equal(count(a, n, TH_EXEC_PLACE), 1);
}

static void moved_quotes_cancel_and_place_or_amend(void **st)
{
    (void)st;
    open_order(TH_BID, 1000, 5);
    open_order(TH_BID, 990, 5);
    th_quote q[2] = {{TH_BID, 0, 1000, 5, ""}, {TH_BID, 0, 980, 5, ""}};
    th_exec_action a[16];
    int32_t n = th_exec_diff(&T, 3, q, 2, &CFG, a, 16);
    assert_int_equal(count(a, n, TH_EXEC_KEEP), 1);
    assert_int_equal(count(a, n, TH_EXEC_CANCEL), 1);
    assert_int_equal(count(a, n, TH_EXEC_PLACE), 1);
    th_exec_cfg am = CFG;
    am.amend = true;
    n = th_exec_diff(&T, 3, q, 2, &am, a, 16);
    assert_int_equal(n, 2);
    assert_int_equal(count(a, n, TH_EXEC_KEEP), 1);
    assert_int_equal(count(a, n, TH_EXEC_AMEND), 1);
    /* fewer targets than orders: the rest is cancelled; no targets: everything */
    n = th_exec_diff(&T, 3, q, 1, &CFG, a, 16);
    assert_int_equal(count(a, n, TH_EXEC_CANCEL), 1);
    n = th_exec_diff(&T, 3, q, 0, &CFG, a, 16);
    assert_int_equal(n, 2);
    assert_int_equal(count(a, n, TH_EXEC_CANCEL), 2);
}

static void never_places_behind_a_pending_order(void **st)
{
    (void)st;
    int32_t p = th_tracker_create(&T, 3, TH_BID, 1000, 5, "", 0); /* PENDING_CREATE */
    th_quote q[1] = {{TH_BID, 0, 1001, 5, ""}};
    th_exec_action a[8];
    int32_t n = th_exec_diff(&T, 3, q, 1, &CFG, a, 8);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].kind, TH_EXEC_KEEP);
    assert_int_equal(a[0].order, p);
    /* amend never targets an order that is not OPEN */
    th_exec_cfg am = CFG;
    am.amend = true;
    q[0].price = 900;
    n = th_exec_diff(&T, 3, q, 1, &am, a, 8);
    assert_int_equal(count(a, n, TH_EXEC_AMEND), 0);
    assert_int_equal(count(a, n, TH_EXEC_CANCEL), 1);
    assert_int_equal(count(a, n, TH_EXEC_PLACE), 1);
}

static void waits_behind_a_pending_cancel(void **st)
{
    (void)st;
    int32_t o = open_order(TH_ASK, 1010, 5);
    th_tracker_request_cancel(&T, o, 1);
    th_quote q[1] = {{TH_ASK, 0, 1011, 8, ""}};
    th_exec_action a[8];
    int32_t n = th_exec_diff(&T, 3, q, 1, &CFG, a, 8);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].kind, TH_EXEC_WAIT); /* leaving orders are not cancelled twice either */
    q[0].price = 1030;                          /* a different level: place */
    n = th_exec_diff(&T, 3, q, 1, &CFG, a, 8);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].kind, TH_EXEC_PLACE);
    th_tracker_on_cancelled(&T, o, 2);
    q[0].price = 1011;
    n = th_exec_diff(&T, 3, q, 1, &CFG, a, 8);
    assert_int_equal(a[0].kind, TH_EXEC_PLACE);
}

static void partial_fills_count_as_remaining_size(void **st)
{
    (void)st;
    int32_t o = open_order(TH_BID, 1000, 10);
    th_tracker_on_fill(&T, o, "t1", 6, 1000, 1);
    th_quote q[1] = {{TH_BID, 0, 1000, 10, ""}};
    th_exec_action a[8];
    int32_t n = th_exec_diff(&T, 3, q, 1, &CFG, a, 8);
    assert_int_equal(count(a, n, TH_EXEC_CANCEL), 1); /* 4 left of a 10 target: refresh */
    assert_int_equal(count(a, n, TH_EXEC_PLACE), 1);
    q[0].qty = 4;
    n = th_exec_diff(&T, 3, q, 1, &CFG, a, 8);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].kind, TH_EXEC_KEEP);
}

static void bps_tolerance_and_limits(void **st)
{
    (void)st;
    open_order(TH_BID, 100000, 5);
    th_exec_cfg c = CFG;
    c.price_tol_ticks = 0;
    c.price_tol_bps = 5; /* 50 units at 100000 */
    th_quote q[1] = {{TH_BID, 0, 100040, 5, ""}};
    th_exec_action a[8];
    assert_int_equal(th_exec_diff(&T, 3, q, 1, &c, a, 8), 1);
    assert_int_equal(a[0].kind, TH_EXEC_KEEP);
    q[0].price = 100060;
    assert_int_equal(th_exec_diff(&T, 3, q, 1, &c, a, 8), 2);
    assert_int_equal(th_exec_diff(&T, 3, q, 1, &c, a, 1), -1); /* out array too small */
    assert_int_equal(th_exec_diff(&T, 3, q, TH_QUOTES_MAX + 1, &c, a, 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(empty_book_places_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(small_moves_keep_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(moved_quotes_cancel_and_place_or_amend, setup, teardown),
        cmocka_unit_test_setup_teardown(never_places_behind_a_pending_order, setup, teardown),
        cmocka_unit_test_setup_teardown(waits_behind_a_pending_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_fills_count_as_remaining_size, setup, teardown),
        cmocka_unit_test_setup_teardown(bps_tolerance_and_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
