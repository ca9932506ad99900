/* session_turn.c — the session's loop turn and ticks, the same for every pace: after each loop
 * turn (and, in a backtest, after each batch of records) the orders go out and the venue's answers
 * come in; a tick runs the stale check, the order side's timeouts and on_tick. The market data's
 * full-pace hooks point here (see session_turn.h). Apart from session.c, which owns start-up and
 * the stop, so each stays one concept and under 500 lines. */
#include "session_turn.h"

#include <lua.h>

#include "../core/clock.h"
#include "../connectors/tick_probe.h"
#include "../core/metrics.h"
#include "trading_events.h"

/* After every loop turn: commit the journal and send, let the venue answer, tell the strategy. */
static void turn(session *s)
{
    if (!s->tr.active || s->stopping) return;
    th_trading_turn(&s->tr);
    /* Held for POST /sessions/start: the strategy hears nothing before on_start (its events wait). */
    if (s->started) {
        th_trading_dispatch(&s->tr, &s->lua, &s->strat);
        th_session_events_turn(&s->ev, &s->tr, th_clock_ns());
    }
    th_trading_turn(&s->tr);
    th_trading_end_turn(&s->tr);
    th_session_report_turn(&s->report, &s->tr);
}

void th_session_on_turn(uv_check_t *h)
{
    session *s = h->data;
    th_session_feed_live_turn(&s->mf); /* live frames of this turn: on_book before the orders go out */
    turn(s);
    th_tick_probe_turn_end(); /* orders sent later react to no frame tick_probe.c can name */
}

static void dispatch_tick(session *s)
{
    s->ticks++;
    th_metric_inc(s->m_ticks);
    lua_pushnumber(s->lua.L, (lua_Number)th_clock_ns());
    th_strategy_call(&s->lua, &s->strat, "on_tick", 1);
}

/* A tick: the same at recorded pace (a loop timer) and in a backtest (recorded time). */
static void tick(session *s)
{
    /* A feed that went silent (recording ended, connection about to drop) sends no more frames, so
     * the health transitions the stale check finds are delivered here, like any other event: the
     * strategy must hear of them to pull its quotes. */
    th_session_feed_check_stale(&s->mf);
    th_trading_tick(&s->tr);
    dispatch_tick(s);
}

void th_session_on_tick(uv_timer_t *t)
{
    session *s = t->data;
    th_session_feed_clock_sync(&s->mf);
    tick(s);
}

/* The feed's hooks at full pace. */
static void feed_tick(void *ctx) { tick(ctx); }
static void feed_turn(void *ctx) { turn(ctx); }
static int64_t feed_next_due(void *ctx) { return th_trading_next_due(&((session *)ctx)->tr); }
static void feed_ended(void *ctx) { th_session_stop(ctx, "end of recording"); }
/* Full pace: the timers due before the next record run first, at their own recorded time. */
static void feed_before_record(void *ctx, int64_t ts) { th_strategy_timers_run_until(&((session *)ctx)->timers, ts); }


void th_session_feed_hooks(session *s)
{
    s->mf.tick = feed_tick;
    s->mf.turn = feed_turn;
    s->mf.next_due = feed_next_due;
    s->mf.ended = feed_ended;
    s->mf.before_record = feed_before_record;
}
