/* test_clock.c — virtual clock only moves forward and only when driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(virtual_clock_is_driven_and_monotonic)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
