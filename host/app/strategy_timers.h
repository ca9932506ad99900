/* strategy_timers.h — wakes the loop for a strategy's timers (th.every, th.after).
 *
 * Timers are on the host clock. Live, that is wall time; on a recording at recorded pace it is
 * recorded time advancing `speed` times faster than wall time, so a timer due in 1 s of host time
 * is a wall wait of 1/speed s; in a backtest (full pace) host time moves only with the records, so
 * the session polls after each record instead of waiting. Lua keeps the timers (th/timers.lua);
 * this module only knows when the next one is due (th_strategy.timer_due_ns). */
#ifndef TH_STRATEGY_TIMERS_H
#define TH_STRATEGY_TIMERS_H

#include <stdbool.h>
#include <uv.h>

#include "../lua/lua_host.h"

typedef struct th_strategy_timers {
    uv_timer_t timer;
    th_lua *lua;
    th_strategy *strat;
    double speed;                /* host time per wall time (1 live) */
    bool poll_only;              /* full pace: th_strategy_timers_poll after each record, no uv timer */
    bool open, stopped;
    void (*sync_clock)(void *ctx); /* bring the host clock to now before reading it (recorded pace) */
    void *sync_ctx;
} th_strategy_timers;

void th_strategy_timers_open(th_strategy_timers *t, uv_loop_t *loop, th_lua *lua, th_strategy *strat, double speed,
                             bool poll_only, void (*sync_clock)(void *), void *sync_ctx);
/* Runs the timers due at the host clock's now (one comparison when none is). */
static inline void th_strategy_timers_poll(th_strategy_timers *t, int64_t now)
{
    if (t->open && !t->stopped && th_strategy_timers_due(t->strat, now)) th_strategy_timers_run(t->lua, t->strat);
}
/* Full pace: the timers due before the next record at `until` run first, each at its own due time
 * (the virtual clock is moved to it), so a backtest fires them at exact recorded times. */
void th_strategy_timers_run_until(th_strategy_timers *t, int64_t until);
/* Stop: no timer runs after on_stop. Closes the handle. */
void th_strategy_timers_stop(th_strategy_timers *t);

#endif
