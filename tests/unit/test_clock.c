/* test_clock.c — virtual clock only moves forward and only when driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "../../host/core/clock.h"

static void virtual_clock_is_driven_and_monotonic(void **st)
{
    (void)st;
    th_clock_use_virtual(1000);
    assert_true(th_clock_is_virtual());
    assert_int_equal(th_clock_ns(), 1000);
    th_clock_advance_to(5000);
    assert_int_equal(th_clock_ns(), 5000);
    th_clock_advance_to(4000); /* a late frame must not move time back */
    assert_int_equal(th_clock_ns(), 5000);
    int64_t ns; int32_t virt;
    assert_int_equal(th_clock_now(&ns, &virt), 0);
    assert_int_equal(ns, 5000);
    assert_int_equal(virt, 1);
    th_clock_use_real();
    assert_false(th_clock_is_virtual());
    assert_true(th_clock_ns() > 1600000000LL * 1000000000LL); /* after 2020 */
    int64_t a = th_mono_ns(), b = th_mono_ns();
    assert_true(b >= a);
}

/* Ticks measure what CLOCK_MONOTONIC measures: a span read both ways agrees to within the
 * pairing of the reads (a preemption between them on a loaded machine can add a few ms, so three
 * tries), and ticks never go back. */
static void ticks_convert_to_monotonic_ns(void **st)
{
    (void)st;
    th_ticks_init();
    th_ticks_init(); /* idempotent */
    for (int i = 0; i < 3; i++) {
        int64_t m0 = th_mono_ns(), t0 = th_ticks();
        struct timespec nap = {0, 50000000};
        nanosleep(&nap, NULL);
        int64_t t1 = th_ticks(), m1 = th_mono_ns();
        assert_true(t1 >= t0);
        int64_t ticks_ns = th_ticks_to_ns(t1 - t0), mono = m1 - m0;
        assert_true(ticks_ns >= 49000000);
        /* the tick span lies inside the monotonic one, up to the rate's error (< 1e-4) */
        assert_true(ticks_ns <= mono + mono / 10000);
        if (mono - ticks_ns < 2000000) return; /* agreed to within 2 ms over 50 ms */
    }
    fail_msg("ticks and CLOCK_MONOTONIC disagreed by more than 2 ms over 50 ms three times");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(virtual_clock_is_driven_and_monotonic),
                                       cmocka_unit_test(ticks_convert_to_monotonic_ns)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
