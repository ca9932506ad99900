/* session_events.h — what happens in the session, as JSON documents for the operator's event
 * stream (GET /events on the API) and the stores that mirror the session: each fill, each order
 * change, each halt / re-arm / breaker trip, each reload (SIGHUP or the API), and a periodic
 * status. Also the per-pair activity the statistics need and the tracker does not keep: orders
 * finished and how many of them filled, quantity ordered and filled, notional traded, and the
 * pair's PnL peak and worst drawdown.
 *
 * Why its own file: the strategy hears of the same events as Lua tables (trading_events.c); the
 * operator's surfaces need them as text, fanned out to several sinks that must never hold up the
 * loop (each sink bounds itself: api_events.c drops a client that does not read). The events are
 * taken once per turn, right after the strategy's dispatch, from the batch it just saw. */
#ifndef TH_SESSION_EVENTS_H
#define TH_SESSION_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trading.h"

#define TH_EVENT_SINKS 4

/* One JSON document (no newline); json is valid only during the call. */
typedef void (*th_event_sink_fn)(void *ctx, const char *type, const char *json, size_t n);

typedef struct th_pair_activity {
    int64_t orders_done, orders_filled; /* finished orders, and those with any fill */
    double qty_ordered, qty_filled;     /* of the finished orders, base units */
    double volume_quote;                /* price * size of every fill seen this session */
    int64_t session_fills;              /* fills seen this session */
    double pnl_peak, max_drawdown;      /* the pair's PnL (realised + unrealised - fees) */
    bool have_peak;
} th_pair_activity;

typedef struct th_session_events {
    th_pair_activity *pair;             /* by instrument index */
    int32_t npair;
    struct { th_event_sink_fn fn; void *ctx; } sink[TH_EVENT_SINKS];
    int nsink;
    bool halted_told;
    uint64_t breaker_told;
    char session[64];
    uint64_t published;
    char *buf;                          /* open_memstream's buffer, while a document is written */
    size_t buf_n;
} th_session_events;

void th_session_events_init(th_session_events *e, const char *session_id);
void th_session_events_free(th_session_events *e);
int th_session_events_sink(th_session_events *e, th_event_sink_fn fn, void *ctx);
/* After the strategy's dispatch: this turn's fills and order changes, and risk transitions. */
void th_session_events_turn(th_session_events *e, th_trading *t, int64_t now_ns);
/* A reload's outcome (source: "SIGHUP", "api"). */
void th_session_events_reload(th_session_events *e, const char *source, bool ok, const char *error, int64_t now_ns);
/* Any other document (the periodic status, a settlement): written by fill(f, arg) after
 * {"type":TYPE,"session":...,"ts":NS, — fill writes the rest of the members and the closing }. */
void th_session_events_publish(th_session_events *e, const char *type, int64_t now_ns, void (*fill)(FILE *f, void *arg),
                               void *arg);
/* Per-pair peaks and drawdowns from the current marks (once a second). */
void th_session_events_marks(th_session_events *e, th_trading *t);
/* The pair's activity; a zeroed one for a pair not seen. */
th_pair_activity th_session_events_pair(const th_session_events *e, int32_t ins);

#endif
