/* test_dispatch_prio.c — the turn's on_book order by priority, the budget's deferrals, the
 * starvation bound, and overload mode's pause and resume with hysteresis (host/core/dispatch_prio.c).
 * Time is simulated: each on_book "costs" a given number of ns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/core/dispatch_prio.h"

#define US 1000LL
#define MS 1000000LL

/* One turn over every configured pair (all changed), each run costing cost_ns; ran[i] counts the
 * on_book calls, order[] gets the run order. Returns the end-of-turn action. */
static th_prio_action turn(th_prio *p, int64_t *now, int64_t cost_ns, int *ran, int32_t *order, int *nrun)
{
    th_prio_begin(p, *now);
    for (int32_t i = 0; i < p->npair; i++) th_prio_add(p, i);
    th_prio_plan(p);
    if (nrun) *nrun = 0;
    for (int32_t k = 0; k < p->nplan; k++) {
        int32_t i = p->plan[k];
        if (!th_prio_may_run(p, i, *now)) continue;
        *now += cost_ns;
        if (ran) ran[i]++;
        if (order && nrun) order[(*nrun)++] = i;
    }
    return th_prio_end(p, *now);
}

static void setup(th_prio *p, const int *levels, int n, int64_t budget, int32_t max_wait, int32_t over_turns, int64_t calm)
{
    th_prio_init(p, budget, max_wait, over_turns, calm);
    assert_int_equal(th_prio_resize(p, n), 0);
    for (int i = 0; i < n; i++) th_prio_set_level(p, i, levels[i]);
    th_prio_reconfigured(p);
}

static void higher_priorities_run_first(void **st)
{
    (void)st;
    th_prio p;
    const int lv[6] = {4, 2, 1, 3, 1, 2};
    setup(&p, lv, 6, 0, 10, 5, 100 * MS);
    int64_t now = 1;
    int32_t order[6];
    int n;
    assert_int_equal(turn(&p, &now, 10 * US, NULL, order, &n), TH_PRIO_NONE);
    assert_int_equal(n, 6); /* no budget: all run */
    const int32_t want[6] = {2, 4, 1, 5, 3, 0};
    for (int k = 0; k < 6; k++) assert_int_equal(order[k], want[k]);
    th_prio_free(&p);
}

static void over_budget_defers_lower_priorities_and_never_priority_1(void **st)
{
    (void)st;
    th_prio p;
    int lv[10];
    for (int i = 0; i < 10; i++) lv[i] = i < 2 ? 1 : 4;
    setup(&p, lv, 10, 30 * US, 100, 1000, 100 * MS);
    int64_t now = 1;
    int ran[10] = {0};
    turn(&p, &now, 20 * US, ran, NULL, NULL);
    /* 2 x p1 (40 us: over budget) run; every p4 deferred */
    assert_int_equal(ran[0], 1);
    assert_int_equal(ran[1], 1);
    for (int i = 2; i < 10; i++) assert_int_equal(ran[i], 0);
    assert_int_equal(p.deferred[4], 8);
    assert_int_equal(p.deferred[1], 0);
    assert_true(th_prio_backlog(&p));
    th_prio_free(&p);
}

static void starvation_is_bounded_by_max_wait(void **st)
{
    (void)st;
    th_prio p;
    int lv[6] = {1, 1, 1, 3, 3, 3};
    setup(&p, lv, 6, 25 * US, 4, 1000, 100 * MS);
    int64_t now = 1;
    int ran[6] = {0};
    int longest[6] = {0}, gap[6] = {0};
    for (int t = 0; t < 100; t++) {
        int before[6];
        for (int i = 0; i < 6; i++) before[i] = ran[i];
        turn(&p, &now, 10 * US, ran, NULL, NULL); /* 3 x p1 = 30 us: over budget every turn */
        for (int i = 0; i < 6; i++) {
            gap[i] = ran[i] > before[i] ? 0 : gap[i] + 1;
            if (gap[i] > longest[i]) longest[i] = gap[i];
        }
    }
    for (int i = 0; i < 3; i++) assert_int_equal(ran[i], 100); /* every turn */
    for (int i = 3; i < 6; i++) {
        assert_true(ran[i] >= 100 / 5);  /* runs every 5th turn at least */
        assert_true(longest[i] <= 4);    /* never more than max_wait turns late */
    }
    assert_true(p.forced > 0);
    th_prio_free(&p);
}

static void a_deferred_pair_goes_before_fresh_ones_of_its_level(void **st)
{
    (void)st;
    th_prio p;
    int lv[4] = {1, 3, 3, 3};
    setup(&p, lv, 4, 25 * US, 100, 1000, 100 * MS);
    int64_t now = 1;
    int32_t order[4];
    int n;
    turn(&p, &now, 20 * US, NULL, order, &n); /* p1 20 us, then pair 1 (now 20 < 25) runs, 2 and 3 deferred */
    assert_int_equal(n, 2);
    assert_int_equal(order[1], 1);
    turn(&p, &now, 20 * US, NULL, order, &n);
    assert_int_equal(order[1], 2); /* the ones that waited come first */
    turn(&p, &now, 20 * US, NULL, order, &n);
    assert_int_equal(order[1], 3);
    th_prio_free(&p);
}

static void overload_pauses_the_lowest_then_resumes_after_calm(void **st)
{
    (void)st;
    th_prio p;
    int lv[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    setup(&p, lv, 8, 50 * US, 100, 3, 10 * MS);
    int64_t now = 1;
    th_prio_action a[3];
    for (int t = 0; t < 3; t++) a[t] = turn(&p, &now, 20 * US, NULL, NULL, NULL);
    assert_int_equal(a[0], TH_PRIO_NONE);
    assert_int_equal(a[1], TH_PRIO_NONE);
    assert_int_equal(a[2], TH_PRIO_PAUSE);
    assert_int_equal(p.action_level, 4);
    assert_true(p.overload);
    assert_int_equal(p.enters, 1);
    assert_true(th_prio_is_paused(&p, 6) && th_prio_is_paused(&p, 7) && !th_prio_is_paused(&p, 4));
    uint64_t skipped = p.skipped[4];
    turn(&p, &now, 20 * US, NULL, NULL, NULL);
    assert_int_equal(p.skipped[4], skipped + 2); /* changed, no on_book */
    /* still behind: level 3 next after 3 more turns; level 2 stays (priority 1 runs beside it) */
    for (int t = 0; t < 2; t++) assert_int_equal(turn(&p, &now, 20 * US, NULL, NULL, NULL), TH_PRIO_PAUSE - (t < 1));
    assert_int_equal(p.action_level, 3);
    for (int t = 0; t < 6; t++) turn(&p, &now, 20 * US, NULL, NULL, NULL);
    assert_int_equal(p.action_level, 2);
    assert_true(th_prio_is_paused(&p, 2));
    for (int t = 0; t < 6; t++) assert_int_equal(turn(&p, &now, 20 * US, NULL, NULL, NULL), TH_PRIO_NONE); /* p1 never */
    assert_false(th_prio_is_paused(&p, 0));
    /* calm: the loop caught up (8 pairs at 2 us: under half the budget); resume one level per calm period */
    int resumed[3], nres = 0;
    for (int t = 0; t < 100 && nres < 3; t++) {
        now += 1 * MS;
        if (turn(&p, &now, 2 * US, NULL, NULL, NULL) == TH_PRIO_RESUME) resumed[nres++] = p.action_level;
    }
    assert_int_equal(nres, 3);
    assert_int_equal(resumed[0], 2); /* the most recently paused first */
    assert_int_equal(resumed[1], 3);
    assert_int_equal(resumed[2], 4);
    assert_false(p.overload);
    assert_int_equal(p.exits, 1);
    th_prio_free(&p);
}

/* Hysteresis: a turn between half the budget and the budget, or one with deferrals, restarts the
 * calm period; the levels come back most recent first, one per calm period, then overload ends. */
static void resume_needs_a_whole_calm_period(void **st)
{
    (void)st;
    th_prio p;
    int lv[6] = {1, 2, 3, 3, 4, 4};
    setup(&p, lv, 6, 100 * US, 100, 2, 10 * MS);
    int64_t now = 1;
    /* cost 40 us: p1 40, p2 80, p3 120 -> deferrals */
    while (p.npause_order < 2) turn(&p, &now, 40 * US, NULL, NULL, NULL);
    assert_int_equal(p.pause_order[0], 4);
    assert_int_equal(p.pause_order[1], 3);
    /* 2 pairs x 30 us = 60 us > half the budget: not calm, however long */
    for (int t = 0; t < 50; t++) { now += MS; assert_int_equal(turn(&p, &now, 30 * US, NULL, NULL, NULL), TH_PRIO_NONE); }
    /* calm turns (2 x 10 us): 9 ms of calm is not enough */
    turn(&p, &now, 10 * US, NULL, NULL, NULL);
    now += 9 * MS;
    assert_int_equal(turn(&p, &now, 10 * US, NULL, NULL, NULL), TH_PRIO_NONE);
    now += 2 * MS;
    assert_int_equal(turn(&p, &now, 10 * US, NULL, NULL, NULL), TH_PRIO_RESUME);
    assert_int_equal(p.action_level, 3); /* the most recently paused first */
    assert_true(p.overload);
    now += 5 * MS;
    assert_int_equal(turn(&p, &now, 10 * US, NULL, NULL, NULL), TH_PRIO_NONE);
    now += 6 * MS;
    assert_int_equal(turn(&p, &now, 10 * US, NULL, NULL, NULL), TH_PRIO_RESUME);
    assert_int_equal(p.action_level, 4);
    assert_false(p.overload);
    assert_int_equal(p.exits, 1);
    assert_int_equal(p.enters, 1);
    th_prio_free(&p);
}

/* One level only: overload is entered (and counted) but nothing is paused; calm ends it. */
static void one_level_is_never_paused(void **st)
{
    (void)st;
    th_prio p;
    int lv[4] = {2, 2, 2, 2};
    setup(&p, lv, 4, 30 * US, 100, 2, 10 * MS);
    int64_t now = 1;
    for (int t = 0; t < 10; t++) assert_int_equal(turn(&p, &now, 20 * US, NULL, NULL, NULL), TH_PRIO_NONE);
    assert_true(p.overload);
    assert_int_equal(p.paused, 0);
    for (int t = 0; t < 20; t++) { now += MS; th_prio_begin(&p, now); th_prio_end(&p, now); } /* idle turns */
    assert_false(p.overload);
    assert_int_equal(p.exits, 1);
    th_prio_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(higher_priorities_run_first),
        cmocka_unit_test(over_budget_defers_lower_priorities_and_never_priority_1),
        cmocka_unit_test(starvation_is_bounded_by_max_wait),
        cmocka_unit_test(a_deferred_pair_goes_before_fresh_ones_of_its_level),
        cmocka_unit_test(overload_pauses_the_lowest_then_resumes_after_calm),
        cmocka_unit_test(resume_needs_a_whole_calm_period),
        cmocka_unit_test(one_level_is_never_paused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
