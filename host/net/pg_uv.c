/* pg_uv.c — a PostgreSQL connection on the loop: libpq's async connect and queries driven by a
 * uv_poll (see pg_uv.h for why). */
#include "pg_uv.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"

static void on_poll(uv_poll_t *h, int status, int events);
static void start_connect(th_pg *p);

static void poll_closed(uv_handle_t *h) { free(h); }

static void poll_drop(th_pg *p)
{
    if (!p->poll) return;
    uv_close((uv_handle_t *)p->poll, poll_closed); /* removes the fd from the loop now */
    p->poll = NULL;
    p->poll_fd = -1;
    p->poll_events = 0;
}

/* Watch the connection's socket for events (re-made when the socket changed). */
static int poll_set(th_pg *p, int events)
{
    int fd = PQsocket(p->conn);
    if (fd < 0) return -1;
    if (p->poll && p->poll_fd != fd) poll_drop(p);
    if (!p->poll) {
        p->poll = malloc(sizeof *p->poll);
        if (!p->poll || uv_poll_init(p->loop, p->poll, fd) != 0) {
            free(p->poll);
            p->poll = NULL;
            return -1;
        }
        p->poll->data = p;
        p->poll_fd = fd;
        p->poll_events = 0;
    }
    if (p->poll_events != events) {
        uv_poll_start(p->poll, events, on_poll);
        p->poll_events = events;
    }
    return 0;
}

static void on_retry(uv_timer_t *t) { start_connect(t->data); }

static void finish_query(th_pg *p, bool ok, const char *error)
{
    if (!p->busy) return;
    p->busy = false;
    th_pg_done_fn done = p->done;
    p->done = NULL;
    if (done) done(p->done_ctx, ok, error, p->rows);
    if (p->rows) PQclear(p->rows);
    p->rows = NULL;
}

/* The connection failed or was lost: close it, tell the owner, retry after the back-off. */
static void lost(th_pg *p, const char *why)
{
    snprintf(p->last_error, sizeof p->last_error, "%s", why && *why ? why : "connection lost");
    /* libpq's messages end with a newline: one line for the log */
    for (char *c = p->last_error; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    size_t n = strlen(p->last_error);
    while (n && p->last_error[n - 1] == ' ') p->last_error[--n] = 0;
    bool was_up = p->connected;
    poll_drop(p);
    if (p->conn) PQfinish(p->conn);
    p->conn = NULL;
    p->connecting = p->connected = false;
    if (p->timers_open) uv_timer_stop(&p->connect_timer);
    finish_query(p, false, p->last_error);
    if (was_up) p->losses++;
    if (p->on_state) p->on_state(p->ctx, false, p->last_error);
    if (!p->want_open) return;
    int64_t now = th_mono_ns(), until = th_backoff_fail(&p->bo, now, 0);
    uint64_t ms = (uint64_t)((until - now) / 1000000);
    th_logf(TH_LOG_WARN, "postgres: connection lost: reconnecting", "where=\"%s\" why=\"%s\" retry_ms=%llu", p->where,
            p->last_error, (unsigned long long)ms);
    uv_timer_start(&p->retry_timer, on_retry, ms, 0);
}

static void set_where(th_pg *p)
{
    const char *db = PQdb(p->conn), *host = PQhost(p->conn), *port = PQport(p->conn);
    snprintf(p->where, sizeof p->where, "%s@%s:%s", db ? db : "?", host && *host ? host : "?", port && *port ? port : "?");
}

static void connect_step(th_pg *p)
{
    PostgresPollingStatusType st = PQconnectPoll(p->conn);
    if (st == PGRES_POLLING_FAILED) {
        lost(p, PQerrorMessage(p->conn));
        return;
    }
    if (st == PGRES_POLLING_OK) {
        uv_timer_stop(&p->connect_timer);
        if (PQsetnonblocking(p->conn, 1) != 0) {
            lost(p, "cannot set the connection non-blocking");
            return;
        }
        p->connecting = false;
        p->connected = true;
        p->connects++;
        th_backoff_success(&p->bo);
        set_where(p);
        if (poll_set(p, UV_READABLE) != 0) {
            lost(p, "cannot watch the connection's socket");
            return;
        }
        th_logf(TH_LOG_INFO, "postgres: connected", "where=\"%s\" server_version=%d connects=%llu", p->where, PQserverVersion(p->conn),
                (unsigned long long)p->connects);
        if (p->on_state) p->on_state(p->ctx, true, "");
        return;
    }
    if (poll_set(p, st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE) != 0) lost(p, "cannot watch the connection's socket");
}

/* Results as they arrive: the query ends when PQgetResult says NULL. */
static void read_results(th_pg *p)
{
    while (p->conn && !PQisBusy(p->conn)) {
        PGresult *r = PQgetResult(p->conn);
        if (!r) {
            bool ok = p->query_error[0] == 0;
            finish_query(p, ok, ok ? NULL : p->query_error);
            return;
        }
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_TUPLES_OK) {
            if (p->rows) PQclear(p->rows);
            p->rows = r;
            continue;
        }
        if (s != PGRES_COMMAND_OK && s != PGRES_EMPTY_QUERY && !p->query_error[0]) {
            snprintf(p->query_error, sizeof p->query_error, "%s", PQresultErrorMessage(r));
            for (char *c = p->query_error; *c; c++)
                if (*c == '\n') *c = ' ';
        }
        PQclear(r);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    th_pg *p = h->data;
    if (!p || p->poll != h || !p->conn) return;
    /* a poll error is handed to libpq as readable and writable: it finds the error itself */
    if (status < 0) events = UV_READABLE | UV_WRITABLE;
    if (p->connecting) {
        connect_step(p);
        return;
    }
    if (events & UV_WRITABLE) {
        int f = PQflush(p->conn);
        if (f < 0) {
            lost(p, PQerrorMessage(p->conn));
            return;
        }
        if (f == 0 && poll_set(p, UV_READABLE) != 0) {
            lost(p, "cannot watch the connection's socket");
            return;
        }
    }
    if (events & UV_READABLE) {
        if (!PQconsumeInput(p->conn) || PQstatus(p->conn) == CONNECTION_BAD) {
            lost(p, PQerrorMessage(p->conn));
            return;
        }
        if (p->busy) read_results(p);
        else {
            /* nothing asked: a server's message (a notice, a shutdown's FATAL); results are dropped */
            PGresult *r;
            while (p->conn && !PQisBusy(p->conn) && (r = PQgetResult(p->conn)) != NULL) PQclear(r);
        }
        if (p->conn && PQstatus(p->conn) == CONNECTION_BAD) lost(p, PQerrorMessage(p->conn));
    }
}

static void on_connect_timeout(uv_timer_t *t)
{
    th_pg *p = t->data;
    if (!p->connecting) return;
    p->timeouts++;
    char why[96];
    snprintf(why, sizeof why, "connect timed out after %lld ms", (long long)p->connect_timeout_ms);
    lost(p, why);
}

/* Notices (warnings the server sends) go to the log, not to stderr raw. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    char m[256];
    snprintf(m, sizeof m, "%s", message);
    for (char *c = m; *c; c++)
        if (*c == '\n' || *c == '"') *c = ' ';
    th_logf(TH_LOG_DEBUG, "postgres: notice", "text=\"%s\"", m);
}

static void start_connect(th_pg *p)
{
    if (!p->want_open || p->conn) return;
    p->conn = PQconnectStart(p->conninfo);
    if (!p->conn) {
        lost(p, "out of memory");
        return;
    }
    if (PQstatus(p->conn) == CONNECTION_BAD) {
        lost(p, PQerrorMessage(p->conn));
        return;
    }
    PQsetNoticeProcessor(p->conn, on_notice, p);
    p->connecting = true;
    uv_timer_start(&p->connect_timer, on_connect_timeout, (uint64_t)p->connect_timeout_ms, 0);
    /* the first wait is for the socket to become writable (the connect completing) */
    if (poll_set(p, UV_WRITABLE) != 0) lost(p, "cannot watch the connection's socket");
}

int th_pg_open(th_pg *p, uv_loop_t *loop, const char *conninfo, int64_t connect_timeout_ms, th_pg_state_fn on_state, void *ctx,
               const char **err)
{
    memset(p, 0, sizeof *p);
    p->poll_fd = -1;
    /* validated here (no connection): a typo in the conninfo is a start-up error naming the fault */
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        static char msg[300];
        snprintf(msg, sizeof msg, "the conninfo does not parse: %s", perr ? perr : "out of memory");
        for (char *c = msg; *c; c++)
            if (*c == '\n') *c = ' ';
        PQfreemem(perr);
        *err = msg;
        return -1;
    }
    PQconninfoFree(opts);
    p->conninfo = strdup(conninfo);
    if (!p->conninfo) {
        *err = "out of memory";
        return -1;
    }
    p->loop = loop;
    p->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 2000;
    p->on_state = on_state;
    p->ctx = ctx;
    snprintf(p->where, sizeof p->where, "not connected yet");
    th_backoff_init(&p->bo, 100000000LL, 5000000000LL, (uint64_t)th_mono_ns()); /* 0.1 s doubling to 5 s */
    uv_timer_init(loop, &p->retry_timer);
    uv_timer_init(loop, &p->connect_timer);
    p->retry_timer.data = p->connect_timer.data = p;
    p->timers_open = true;
    p->want_open = true;
    start_connect(p);
    return 0;
}

int th_pg_query(th_pg *p, const char *sql, th_pg_done_fn done, void *ctx)
{
    if (!p->connected || p->busy || !p->conn) return -1;
    if (!PQsendQuery(p->conn, sql)) {
        lost(p, PQerrorMessage(p->conn));
        return -1;
    }
    p->busy = true;
    p->done = done;
    p->done_ctx = ctx;
    p->query_error[0] = 0;
    p->queries++;
    int f = PQflush(p->conn); /* 1: more to write when the socket drains */
    if (f < 0) {
        lost(p, PQerrorMessage(p->conn));
        return 0; /* done was called (lost) */
    }
    if (poll_set(p, f == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0) lost(p, "cannot watch the connection's socket");
    return 0;
}

void th_pg_close(th_pg *p)
{
    p->want_open = false;
    poll_drop(p);
    if (p->conn) PQfinish(p->conn);
    p->conn = NULL;
    p->connecting = p->connected = false;
    p->busy = false;
    p->done = NULL;
    if (p->rows) PQclear(p->rows);
    p->rows = NULL;
    if (p->timers_open) {
        uv_close((uv_handle_t *)&p->retry_timer, NULL);
        uv_close((uv_handle_t *)&p->connect_timer, NULL);
        p->timers_open = false;
    }
    if (p->conninfo) {
        /* it may hold a password: not left in freed memory */
        memset(p->conninfo, 0, strlen(p->conninfo));
        free(p->conninfo);
    }
    p->conninfo = NULL;
}
