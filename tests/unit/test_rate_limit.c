/* test_rate_limit.c — the token bucket (generic, Kraken's decaying counter, Binance weights) and the
 * back-off (exponential, jittered, Retry-After honoured). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/core/rate_limit.h"

#define S 1000000000LL

static void bucket_refuses_when_empty_and_refills_at_rate(void **st)
{
    (void)st;
    th_bucket b;
    th_bucket_init(&b, 3, 1, 0); /* 3 tokens, 1 per second */
    assert_true(th_bucket_take(&b, 1, 0));
    assert_true(th_bucket_take(&b, 2, 0));
    assert_false(th_bucket_take(&b, 1, 0));
    assert_int_equal(th_bucket_wait_ns(&b, 1, 0), S + 1);
    assert_false(th_bucket_take(&b, 1, S / 2));
    assert_true(th_bucket_take(&b, 1, S));
    assert_int_equal(th_bucket_wait_ns(&b, 4, S), -1); /* never fits */
    /* refill is capped */
    assert_true(th_bucket_level(&b, 100 * S) <= 3.0);
    /* a clock stepping back mints nothing */
    assert_true(th_bucket_take(&b, 3, 100 * S));
    assert_false(th_bucket_take(&b, 1, 50 * S));
}

static void kraken_counter_model(void **st)
{
    (void)st;
    /* Starter tier: threshold 60, decay 1/s. Add +1; cancel of a 2 s old order +8. */
    th_bucket b;
    th_bucket_init(&b, 60, 1, 0);
    int placed = 0;
    while (th_bucket_take(&b, 1, 0)) {
        th_bucket_charge(&b, th_kraken_cancel_cost(2 * S), 0);
        placed++;
    }
    assert_int_equal(placed, 7); /* 7 * 9 = 63 > 60: the 7th goes out and pushes the counter over */
    assert_true(th_bucket_level(&b, 0) < 0);
    assert_true(th_kraken_cancel_cost(4 * S) == 8 && th_kraken_cancel_cost(5 * S) == 6 && th_kraken_cancel_cost(14 * S) == 5);
    assert_true(th_kraken_cancel_cost(44 * S) == 4 && th_kraken_cancel_cost(89 * S) == 2 && th_kraken_cancel_cost(299 * S) == 1);
    assert_true(th_kraken_cancel_cost(300 * S) == 0);
    assert_true(th_kraken_amend_cost(1 * S) == 3 && th_kraken_amend_cost(9 * S) == 2 && th_kraken_amend_cost(14 * S) == 1 &&
                th_kraken_amend_cost(15 * S) == 0);
}

static void kraken_rest_counter(void **st)
{
    (void)st;
    double cap, decay;
    assert_int_equal(th_kraken_rest_limits(0, &cap, &decay), 0);
    assert_true(cap == 15 && decay == 0.33);
    assert_int_equal(th_kraken_rest_limits(2, &cap, &decay), 0);
    assert_true(cap == 20 && decay == 1);
    assert_int_equal(th_kraken_rest_limits(3, &cap, &decay), -1);
    assert_true(th_kraken_rest_cost("BalanceEx") == 1 && th_kraken_rest_cost("OpenOrders") == 1 && th_kraken_rest_cost("QueryOrders") == 1);
    assert_true(th_kraken_rest_cost("TradesHistory") == 2 && th_kraken_rest_cost("Ledgers") == 2);
    assert_true(th_kraken_rest_cost("AddOrder") == 0 && th_kraken_rest_cost("CancelOrder") == 0);
    /* starter: reconciliations (OpenOrders 1 + TradesHistory 2 + BalanceEx 1) fill it after three
     * and a part; then a point comes back every ~3 s */
    th_bucket b;
    th_kraken_rest_limits(0, &cap, &decay);
    th_bucket_init(&b, cap, decay, 0);
    int n = 0;
    while (th_bucket_take(&b, 1, 0) && th_bucket_take(&b, 2, 0) && th_bucket_take(&b, 1, 0)) n++;
    assert_int_equal(n, 3); /* 3 x 4 = 12, then the 4th's OpenOrders and TradesHistory: 15, its BalanceEx waits */
    assert_false(th_bucket_take(&b, 1, 0));
    assert_false(th_bucket_take(&b, 2, 3 * S + S / 10)); /* 1.02 points back */
    assert_true(th_bucket_take(&b, 2, 6 * S + S / 10));
}

static void binance_weights(void **st)
{
    (void)st;
    /* REQUEST_WEIGHT 6000 per minute: openOrders (all symbols) weighs 80. */
    th_bucket w;
    th_bucket_init(&w, 6000, 100, 0);
    int n = 0;
    while (th_bucket_take(&w, 80, 0)) n++;
    assert_int_equal(n, 75);
    assert_int_equal(th_bucket_wait_ns(&w, 80, 0), (int64_t)(80.0 / 100 * 1e9) + 1);
}

static void backoff_grows_with_jitter_and_honours_retry_after(void **st)
{
    (void)st;
    th_backoff b;
    th_backoff_init(&b, S, 60 * S, 42);
    int64_t prev_cap = 0;
    for (int i = 0; i < 10; i++) {
        int64_t now = (int64_t)i * 1000 * S;
        int64_t until = th_backoff_fail(&b, now, 0);
        int64_t d = S << i;
        if (d > 60 * S) d = 60 * S;
        assert_true(until - now >= d / 2 && until - now <= d);
        assert_true(th_backoff_blocked(&b, now));
        assert_false(th_backoff_blocked(&b, until));
        prev_cap = d;
    }
    assert_int_equal(prev_cap, 60 * S);
    th_backoff_success(&b);
    int64_t until = th_backoff_fail(&b, 1000000 * S, 30 * S);
    assert_true(until - 1000000 * S >= 30 * S); /* Retry-After wins over a short first delay */
    th_backoff_success(&b);
    until = th_backoff_fail(&b, 2000000 * S, 0);
    assert_true(until - 2000000 * S <= S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_refuses_when_empty_and_refills_at_rate),
        cmocka_unit_test(kraken_counter_model),
        cmocka_unit_test(kraken_rest_counter),
        cmocka_unit_test(binance_weights),
        cmocka_unit_test(backoff_grows_with_jitter_and_honours_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
