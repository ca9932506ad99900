/* pg_history.h — the session's history written into PostgreSQL (storage.postgres), tables in
 * docs/ops.md "PostgreSQL history" (app/pg_schema.c): sessions, orders, order_events, fills,
 * position_snapshots, pnl_snapshots, risk_events, settlement_records.
 *
 * Like the Redis mirror (redis_mirror.h) it is a projection of the journal, the source of truth:
 * each loop turn it reads the records the journal gained (core/journal_tail.c), replays them into a
 * shadow order flow (th_flow_apply, the recovery path), and turns them into rows: one order event
 * per record that touches an order (with the order's whole state after it), a fill per fill, a
 * position snapshot per fill, a risk event per kill and re-arm. Rows are keyed by the journal
 * (its file stem) and the record's ordinal in it, so writing a row again changes nothing
 * (ON CONFLICT DO NOTHING); `orders` holds each order's latest state, derived in SQL from the
 * batch's order events.
 *
 * Off the hot path: one query at a time. While it is out, the journal grows and the next batch
 * takes everything that came meanwhile (at most TH_PG_BATCH_RECORDS records), as multi-row INSERTs
 * in one query string, which PostgreSQL runs as one transaction, together with the session row's
 * `records` (how far the history has got). So a batch is all in or all out, and after an outage
 * (PostgreSQL stopped, the connection lost) the writer reconnects with back-off, reads `records`
 * back, rebuilds its shadow from the journal's start and writes everything after that point:
 * nothing lost, nothing duplicated, whichever side of the commit the connection died on. The PnL
 * snapshots (live marks, once a second, not in the journal) wait in memory while PostgreSQL is
 * down (the newest hour of them). The conninfo comes from the environment and is never logged. */
#ifndef TH_PG_HISTORY_H
#define TH_PG_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "../core/journal_tail.h"
#include "../core/metrics.h"
#include "../core/order_flow.h"
#include "../net/pg_uv.h"
#include "pg_rows.h"
#include "session_feed.h"
#include "trading.h"
#include "tradehost.h"

#define TH_PG_BATCH_RECORDS 1024  /* per turn: ~1-2 ms of SQL text at most (a catch-up never holds the loop long) */
#define TH_PG_PNL_RING 3600

typedef enum th_pg_phase { TH_PG_DOWN, TH_PG_MIGRATING, TH_PG_REGISTERING, TH_PG_WRITING } th_pg_phase;

typedef struct th_pg_history {
    bool active;                 /* storage.postgres configured and opened */
    bool closing, closed;
    th_pg_phase phase;
    bool caught_up;              /* the history holds the whole journal since (re)connecting */
    bool in_flight;              /* a query is out */
    th_pg pg;
    uv_check_t turn;
    uv_timer_t tick;             /* once a second: the PnL snapshot; retries after a failed batch */
    uv_timer_t stop_timer;       /* the graceful stop's deadline */
    th_journal_tail tail;
    th_flow shadow;
    bool shadow_open;
    th_flow_cfg cfg;
    th_trading *tr;
    th_session_feed *mf;
    char journal[512], jkey[128];       /* the journal's path; its stem, the rows' key */
    char session[64], strategy[64], venue[32], mode[16];
    char env[128];               /* storage.postgres.conninfo_env (the name, not the value) */
    int64_t committed;           /* records of this journal the database holds */
    int64_t seq;                 /* records read into the shadow since the rewind */
    int64_t batch_to;            /* the batch out ends at this record */
    int32_t batch_pnl;           /* PnL snapshots in the batch out */
    uint64_t batch_rows;
    int64_t retry_at_ns;         /* a failed batch: the next try (after a rewind) */
    th_pg_rows b;                /* the batch being built */
    th_pg_pnl *pnl;              /* ring of snapshots not yet written */
    int32_t pnl_head, pnl_n;
    uint64_t pnl_dropped;
    int schema_version;
    uint64_t cfg_stop_ms;        /* storage.postgres.stop_timeout_ms */
    int64_t catchup_start_ns;
    uint64_t rows, batches, errors, catchups, records;
    int32_t m_rows, m_batches, m_errors, m_connected, m_catchups;
    th_hist turn_ns;             /* time on the loop per turn that built a batch */
    char last_error[256];
} th_pg_history;

/* storage.postgres (conninfo_env, connect_timeout_ms): 0 with h->active false when not configured;
 * 0 and connecting; -1 with *err (a bad setting, the variable unset). After the order side is open. */
int th_pg_history_open(th_pg_history *h, uv_loop_t *loop, th_lua *lua, th_trading *tr, th_session_feed *mf,
                       const char *session_id, const char *mode, const char **err);
/* The store's entry for /health ({"name":"postgres",...}); returns 1 when it is unhealthy. */
int th_pg_history_health(th_pg_history *h, FILE *f);
/* The graceful stop: what the journal holds by now is written (and the settlement rows), waiting
 * for the last commit up to storage.postgres.stop_timeout_ms, then the connection closes. */
void th_pg_history_close(th_pg_history *h);
/* After the loop has returned. */
void th_pg_history_free(th_pg_history *h);

#endif
