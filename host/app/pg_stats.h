/* pg_stats.h — GET /performance/stats answered from the PostgreSQL history (storage.postgres):
 * this session's statistics, or a past session's (?session=ID), the figures `tradehost report
 * --session ID` prints (the same queries, app/report_pg.h).
 *
 * Why its own connection and a queue: the loop never waits for PostgreSQL. A request is asked
 * here and the API's answer waits (the HTTP request stays open) until PostgreSQL has answered;
 * meanwhile the loop trades. The reads have their own connection (net/pg_uv.h), so a slow report
 * never holds back the history's batches, and one query is out at a time, the others wait in a
 * short queue. Each request waits at most storage.postgres.query_timeout_ms (default 3000, at
 * most 4000: under the API's 5 s idle cut), then is answered 503 with the reason; PostgreSQL down
 * (or not answering a query for that long) is answered 503 at once, naming why. A client that
 * hangs up first is forgotten (th_pg_stats_cancel): the answer, when it comes, goes nowhere. */
#ifndef TH_PG_STATS_H
#define TH_PG_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../net/pg_uv.h"
#include "session_view.h"

#define TH_PG_STATS_QUEUE 16

typedef struct th_pg_stats_req {
    void *token;           /* the API's request; NULL once it hung up or was answered */
    th_view_reply_fn reply;
    char session[64];
    int64_t deadline_ns;
} th_pg_stats_req;

typedef struct th_pg_stats {
    bool active, closed;
    th_pg pg;
    uv_timer_t timer;      /* the waiting requests' deadlines */
    bool timer_open;
    th_pg_stats_req q[TH_PG_STATS_QUEUE]; /* q[0] is out when in_flight */
    int n;
    bool in_flight;
    int64_t sent_ns;
    int64_t timeout_ms;
    char self[64];         /* this session's name: the default */
    int32_t m_ok, m_unavailable, m_timeout, m_cancelled;
} th_pg_stats;

/* After the history (same conninfo_env, connect_timeout_ms): connects when storage.postgres is
 * configured, else leaves s->active false. 0, or -1 (the history has checked the conninfo already). */
int th_pg_stats_open(th_pg_stats *s, uv_loop_t *loop, const char *conninfo_env, int64_t connect_timeout_ms,
                     int64_t query_timeout_ms, const char *self);
/* The view entry: 1 when not configured (the caller answers from the process), else 0 and
 * reply(token, ...) is called once, now or later (unless cancelled first). session NULL or "":
 * this session. */
int th_pg_stats_ask(th_pg_stats *s, const char *session, th_view_reply_fn reply, void *token);
/* The client of token hung up: its answer is dropped. */
void th_pg_stats_cancel(th_pg_stats *s, void *token);
/* Every waiting request answered 503 (the host stops), the connection closed. */
void th_pg_stats_close(th_pg_stats *s);

#endif
