/* session_dispatch.h — a batch's market events to the strategies, by priority within the loop
 * turn's budget, and overload mode (session_dispatch.c; the plan itself: core/dispatch_prio.c).
 *
 * Config (docs/config.md "Priorities and overload"): `priority` 1..4 per pair, per instance
 * (strategies[i].priority) or for the single strategy (strategy.priority), the pair's winning;
 * default 2. session.turn_budget_us (default 5000; 0: no budget), session.max_defer_turns (10),
 * session.overload_turns (5), session.overload_calm_ms (2000). A backtest has no budget: its
 * results never depend on how fast the machine ran it. */
#ifndef TH_SESSION_DISPATCH_H
#define TH_SESSION_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "../core/dispatch_prio.h"

typedef struct th_session_dispatch {
    th_prio prio;
    bool timed;              /* a budget applies (not a backtest, turn_budget_us > 0) */
    int64_t *since;          /* per instrument: when its pending on_book was first due (mono ns; 0: none) */
    int32_t nsince;
    uv_idle_t backlog;       /* keeps the loop turning while pairs wait (not at full pace) */
    bool backlog_open, backlog_on;
    int32_t paused_pairs;
    /* metrics */
    int32_t m_overload, m_paused, m_enters, m_exits, m_forced;
    int32_t m_deferred[TH_PRIO_LEVELS + 1], m_skipped[TH_PRIO_LEVELS + 1], m_delay[TH_PRIO_LEVELS + 1];
    uint64_t seen_deferred[TH_PRIO_LEVELS + 1], seen_skipped[TH_PRIO_LEVELS + 1], seen_enters, seen_exits, seen_forced;
} th_session_dispatch;

struct th_session_feed;
/* The metrics, with the feed's (registration order is the metrics text's order). */
void th_session_dispatch_metrics(struct th_session_feed *m);
/* After the feed opened: settings and the pairs' priorities from the config; the backlog handle. */
int th_session_dispatch_open(struct th_session_feed *m, uv_loop_t *loop);
/* A config reload: the settings and priorities again; overload mode ends (paused pairs resume). */
void th_session_dispatch_reconfigure(struct th_session_feed *m);
/* The batch's events: health first, then on_book for the changed pairs by priority. */
void th_session_dispatch_batch(struct th_session_feed *m);
void th_session_dispatch_stop(struct th_session_feed *m);
void th_session_dispatch_close(struct th_session_feed *m);
/* /health: ,"dispatch":{...}; returns 1 in overload mode (the host is degraded), else 0. */
int th_session_dispatch_health(const struct th_session_feed *m, FILE *f);
/* The pair's priority (0: not configured) and whether it is paused now. */
int th_session_dispatch_pair(const struct th_session_feed *m, int32_t ins, bool *paused);
/* The session's pair ins is paused by overload mode (false with no session): the order entry
 * points refuse a strategy's orders and quotes on it. */
bool th_dispatch_pair_paused(int32_t ins);

#endif
