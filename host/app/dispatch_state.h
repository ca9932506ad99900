/* dispatch_state.h — the session's dispatch state: the priority plan (core/dispatch_prio.c), the
 * backlog handle and the metrics of session_dispatch.c, whose functions session_feed.h declares
 * (a header of its own so that session_feed.h and session_dispatch.c include no cycle).
 *
 * Config (docs/config.md "Priorities and overload"): `priority` 1..4 per pair, per instance
 * (strategies[i].priority) or for the single strategy (strategy.priority), the pair's winning;
 * default 2. session.turn_budget_us (default 5000; 0: no budget), session.max_defer_turns (10),
 * session.overload_turns (5), session.overload_calm_ms (2000). A backtest has no budget: its
 * results never depend on how fast the machine ran it. */
#ifndef TH_DISPATCH_STATE_H
#define TH_DISPATCH_STATE_H

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

#endif
