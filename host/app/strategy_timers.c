/* strategy_timers.c — wakes the loop for a strategy's timers (see strategy_timers.h). */
#include "strategy_timers.h"

#include <stdint.h>

#include "../core/clock.h"

static void arm(th_strategy_timers *t);

static void on_timer(uv_timer_t *h)
{
    th_strategy_timers *t = h->data;
    if (t->stopped) return;
    if (t->sync_clock) t->sync_clock(t->sync_ctx);
    th_strategy_timers_run(t->lua, t->strat);
    arm(t); /* nothing fired (the clock had not quite reached it) or the due time moved */
}

static void arm(th_strategy_timers *t)
{
    if (!t->open || t->stopped || t->poll_only) return;
    int64_t due = t->strat->timer_due_ns;
    if (due == INT64_MAX || th_strategy_group_faulted(t->strat)) { uv_timer_stop(&t->timer); return; }
    if (t->sync_clock) t->sync_clock(t->sync_ctx);
    double wait_ns = (double)(due - th_clock_ns()) / t->speed;
    /* rounded up: a wake-up before the due time would find nothing due and spin */
    uint64_t ms = wait_ns > 0 ? (uint64_t)((wait_ns + 999999.0) / 1e6) : 0;
    uv_timer_start(&t->timer, on_timer, ms, 0);
}

static void on_due_changed(void *ctx, th_strategy *s)
{
    (void)s;
    arm(ctx);
}

void th_strategy_timers_open(th_strategy_timers *t, uv_loop_t *loop, th_lua *lua, th_strategy *strat, double speed,
                             bool poll_only, void (*sync_clock)(void *), void *sync_ctx)
{
    t->lua = lua;
    t->strat = strat;
    t->speed = speed > 0 ? speed : 1;
    t->poll_only = poll_only;
    t->sync_clock = sync_clock;
    t->sync_ctx = sync_ctx;
    t->stopped = false;
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    t->open = true;
    strat->on_timers = on_due_changed;
    strat->on_timers_ctx = t;
    arm(t);
}

void th_strategy_timers_stop(th_strategy_timers *t)
{
    if (!t->open || t->stopped) return;
    t->stopped = true;
    t->strat->on_timers = NULL;
    uv_timer_stop(&t->timer);
    if (!uv_is_closing((uv_handle_t *)&t->timer)) uv_close((uv_handle_t *)&t->timer, NULL);
}

void th_strategy_timers_run_until(th_strategy_timers *t, int64_t until)
{
    /* each run moves the due time past the clock (an every is rescheduled, an after removed), and
     * a faulted strategy runs nothing: the loop ends either way */
    while (t->open && !t->stopped && !th_strategy_group_faulted(t->strat) && t->strat->timer_due_ns <= until) {
        if (t->strat->timer_due_ns > th_clock_ns()) th_clock_advance_to(t->strat->timer_due_ns);
        if (th_strategy_timers_run(t->lua, t->strat) != 0) break;
    }
}
