/* pg_uv.h — one PostgreSQL connection on the session's libuv loop (libpq async), kept open:
 * PQconnectStart + PQconnectPoll driven by a uv_poll on the connection's socket, a connect timeout,
 * reconnect after a loss with the one back-off (core/rate_limit.h th_backoff), and one query at a
 * time sent with PQsendQuery (a query string may hold several statements: one round trip).
 *
 * Why this shape: nothing here may block the loop that trades. libpq's blocking calls (PQexec,
 * PQconnectdb) are never used; the socket is watched and libpq is only asked to read or write when
 * it can. PQsocket() can change during the connect (a second address, SSL negotiation): the poll
 * is re-made on each change. The poll handles live on the heap, so a poll being closed (uv_close
 * is asynchronous) never shares memory with its successor. The conninfo may hold a password: it is
 * kept in memory only and never logged (the log says database, host and port once connected).
 * A host name in the conninfo is resolved by PQconnectStart with a blocking lookup: use a socket
 * directory (host=/path) or hostaddr= (docs/ops.md). */
#ifndef TH_PG_UV_H
#define TH_PG_UV_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../core/rate_limit.h"

struct pg_conn;
struct pg_result;

/* connected: the connection is up, or went down (why says how). */
typedef void (*th_pg_state_fn)(void *ctx, bool connected, const char *why);
/* A query's end: ok false when a statement failed or the connection was lost (error says which);
 * rows is the last result that returned rows (NULL when none), valid during the call only. */
typedef void (*th_pg_done_fn)(void *ctx, bool ok, const char *error, const struct pg_result *rows);

typedef struct th_pg {
    uv_loop_t *loop;
    char *conninfo;                /* heap; never logged */
    struct pg_conn *conn;
    uv_poll_t *poll;               /* heap (see the header comment) */
    int poll_fd, poll_events;
    bool want_open;                /* reconnect after a loss (false once closing) */
    bool connecting, connected;
    bool busy;                     /* a query is in flight */
    bool timers_open;
    uv_timer_t retry_timer, connect_timer;
    th_backoff bo;
    int64_t connect_timeout_ms;
    th_pg_state_fn on_state;
    void *ctx;
    th_pg_done_fn done;
    void *done_ctx;
    struct pg_result *rows;        /* the query's last result with rows */
    char query_error[256];
    uint64_t connects, losses, timeouts, queries;
    char last_error[256];
    char where[160];               /* "db@host:port", for logs and /health (no password) */
} th_pg;

/* Start connecting (the result comes through on_state). 0, or -1 with *err. */
int th_pg_open(th_pg *p, uv_loop_t *loop, const char *conninfo, int64_t connect_timeout_ms, th_pg_state_fn on_state, void *ctx,
               const char **err);
/* Send a query (one or several statements); done is called once with its outcome. -1 when not
 * connected or a query is already in flight (nothing is sent). */
int th_pg_query(th_pg *p, const char *sql, th_pg_done_fn done, void *ctx);
/* Stop now: no reconnect, the connection and the timers close (a query in flight is abandoned:
 * the caller waits for its done before closing when it matters). */
void th_pg_close(th_pg *p);

#endif
