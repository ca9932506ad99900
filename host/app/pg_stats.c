/* pg_stats.c — the API's performance statistics read from the PostgreSQL history, deferred (see
 * pg_stats.h for why it has its own connection and how long a request waits). */
#include "pg_stats.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "report_pg.h"

#define TICK_MS 50

/* Answer and forget q[i] (its slot stays until it is removed). */
static void answer(th_pg_stats *s, th_pg_stats_req *q, int status, const char *json)
{
    (void)s;
    if (!q->token) return;
    void *tok = q->token;
    q->token = NULL;
    q->reply(tok, status, json, strlen(json));
}

/* A JSON error body; the reason is ours or libpq's (one line: quotes and backslashes escaped). */
static void answer_error(th_pg_stats *s, th_pg_stats_req *q, int status, const char *fmt, const char *what)
{
    char esc[300], msg[600];
    size_t k = 0;
    for (const char *c = what ? what : ""; *c && k + 3 < sizeof esc; c++) {
        if (*c == '"' || *c == '\\') esc[k++] = '\\';
        esc[k++] = (unsigned char)*c < 0x20 ? ' ' : (unsigned char)*c >= 0x7f ? '?' : *c; /* valid JSON whatever came */
    }
    esc[k] = 0;
    char text[400];
    snprintf(text, sizeof text, fmt, esc);
    snprintf(msg, sizeof msg, "{\"error\":\"%s\",\"source\":\"postgres\"%s}", text,
             status == 503 ? ",\"detail\":\"the figures of this process: GET /performance/stats?source=process\"" : "");
    answer(s, q, status, msg);
}

static void pop_front(th_pg_stats *s)
{
    memmove(s->q, s->q + 1, (size_t)(s->n - 1) * sizeof *s->q);
    s->n--;
}

/* The queries of `tradehost report --session` with the name as a literal (it is checked to hold
 * only [A-Za-z0-9._:-], so it needs no quoting), one JSON document in one row. */
static char *build_sql(const char *session, int64_t timeout_ms)
{
    const char *parts[3] = {TH_PG_SESSIONS_SQL, TH_PG_PAIRS_SQL, TH_PG_PNL_SQL};
    char *sub[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        size_t cap = strlen(parts[i]) + 8 * (strlen(session) + 2) + 1, k = 0;
        if (!(sub[i] = malloc(cap))) goto oom;
        for (const char *c = parts[i]; *c; c++) {
            if (c[0] == '$' && c[1] == '1') {
                k += (size_t)snprintf(sub[i] + k, cap - k, "'%s'", session);
                c++;
            } else sub[i][k++] = *c;
        }
        sub[i][k] = 0;
    }
    char *sql = NULL;
    if (asprintf(&sql,
                 "SET statement_timeout = %lld;\n"
                 "WITH ss(journal, strategy, venue, mode, started, ended, records) AS (%s),\n"
                 "pr(symbol, quote, fills, volume, fees, bought, sold, orders, orders_filled, fill_ratio, position, realised, drawdown) AS (%s),\n"
                 "pn(currency, total, realised, unrealised, fees, max_drawdown, snapshots) AS (%s)\n"
                 "SELECT (SELECT count(*) FROM ss), json_build_object('session', '%s', 'source', 'postgres',\n"
                 "  'journals', coalesce((SELECT json_agg(row_to_json(ss)) FROM ss), '[]'::json),\n"
                 "  'pairs', coalesce((SELECT json_agg(row_to_json(pr)) FROM pr), '[]'::json),\n"
                 "  'portfolio', (SELECT row_to_json(pn) FROM pn))::text",
                 (long long)timeout_ms, sub[0], sub[1], sub[2], session) < 0)
        sql = NULL;
    for (int i = 0; i < 3; i++) free(sub[i]);
    return sql;
oom:
    for (int i = 0; i < 3; i++) free(sub[i]);
    return NULL;
}

static void pump(th_pg_stats *s);

static void on_done(void *ctx, bool ok, const char *error, const PGresult *rows)
{
    th_pg_stats *s = ctx;
    if (!s->in_flight || s->n == 0) return;
    s->in_flight = false;
    th_pg_stats_req *q = &s->q[0];
    if (!q->token) {
        /* hung up or timed out meanwhile: the answer goes nowhere */
    } else if (!ok) {
        th_metric_inc(s->m_unavailable);
        answer_error(s, q, 503, "PostgreSQL: the query failed: %s", error ? error : "?");
    } else if (!rows || PQntuples(rows) != 1) {
        th_metric_inc(s->m_unavailable);
        answer_error(s, q, 503, "PostgreSQL: %s", "no answer to the statistics' query");
    } else if (strcmp(PQgetvalue(rows, 0, 0), "0") == 0) {
        char body[200];
        snprintf(body, sizeof body, "{\"error\":\"no session %s in the PostgreSQL history\",\"source\":\"postgres\"}", q->session);
        answer(s, q, 404, body);
    } else {
        th_metric_inc(s->m_ok);
        const char *doc = PQgetvalue(rows, 0, 1);
        void *tok = q->token;
        q->token = NULL;
        q->reply(tok, 200, doc, (size_t)PQgetlength(rows, 0, 1));
    }
    pop_front(s);
    pump(s);
}

/* PostgreSQL is not there: every waiting request (none is out) is answered 503 with the reason. */
static void fail_waiting(th_pg_stats *s, const char *why)
{
    for (int i = s->in_flight ? 1 : 0; i < s->n; i++) {
        th_metric_inc(s->m_unavailable);
        answer_error(s, &s->q[i], 503, "PostgreSQL is unavailable: %s", why);
    }
    s->n = s->in_flight ? 1 : 0;
}

/* Send the next waiting request when nothing is out. */
static void pump(th_pg_stats *s)
{
    while (!s->in_flight && s->n > 0) {
        th_pg_stats_req *q = &s->q[0];
        if (!q->token) { pop_front(s); continue; }
        if (!s->pg.connected) { fail_waiting(s, s->pg.last_error[0] ? s->pg.last_error : "not connected"); return; }
        char *sql = build_sql(q->session, s->timeout_ms);
        if (!sql) { answer_error(s, q, 500, "%s", "out of memory"); pop_front(s); continue; }
        s->in_flight = true;
        s->sent_ns = th_mono_ns();
        int rc = th_pg_query(&s->pg, sql, on_done, s);
        free(sql);
        if (rc != 0) {
            s->in_flight = false;
            fail_waiting(s, s->pg.last_error[0] ? s->pg.last_error : "the query could not be sent");
            return;
        }
    }
}

static void on_tick(uv_timer_t *t)
{
    th_pg_stats *s = t->data;
    int64_t now = th_mono_ns();
    for (int i = 0; i < s->n; i++) {
        th_pg_stats_req *q = &s->q[i];
        if (!q->token || now < q->deadline_ns) continue;
        th_metric_inc(s->m_timeout);
        char why[160];
        snprintf(why, sizeof why, "PostgreSQL did not answer within %lld ms", (long long)s->timeout_ms);
        answer_error(s, q, 503, "%s", why);
    }
    /* the answered ones leave the queue, except the one out (its done removes it) */
    int k = 0;
    for (int i = 0; i < s->n; i++)
        if (s->q[i].token || (i == 0 && s->in_flight)) s->q[k++] = s->q[i];
    s->n = k;
    if (s->n == 0) uv_timer_stop(&s->timer);
}

static void on_state(void *ctx, bool connected, const char *why)
{
    th_pg_stats *s = ctx;
    if (!connected) fail_waiting(s, why);
}

static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len >= 64) return false;
    for (const char *c = n; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
              *c == ':' || *c == '-'))
            return false;
    return true;
}

int th_pg_stats_ask(th_pg_stats *s, const char *session, th_view_reply_fn reply, void *token)
{
    if (!s->active) return 1;
    th_pg_stats_req r = {.token = token, .reply = reply};
    const char *name = session && *session ? session : s->self;
    if (!name_ok(name)) {
        char given[64];
        snprintf(given, sizeof given, "%s", name);
        answer_error(s, &r, 400, "?session=%s: a session name is 1 to 63 characters of A-Z a-z 0-9 . _ : -", given);
        return 0;
    }
    snprintf(r.session, sizeof r.session, "%s", name);
    int64_t now = th_mono_ns();
    if (s->closed) { answer_error(s, &r, 503, "%s", "the host is stopping"); return 0; }
    if (!s->pg.connected) {
        th_metric_inc(s->m_unavailable);
        answer_error(s, &r, 503, "PostgreSQL is unavailable: %s", s->pg.last_error[0] ? s->pg.last_error : "not connected yet");
        return 0;
    }
    if (s->in_flight && now - s->sent_ns > s->timeout_ms * 1000000LL) {
        /* frozen or far behind: no use queueing behind it */
        char why[160];
        snprintf(why, sizeof why, "a query has been waiting for an answer for %lld ms", (long long)((now - s->sent_ns) / 1000000));
        th_metric_inc(s->m_unavailable);
        answer_error(s, &r, 503, "PostgreSQL is not answering: %s", why);
        return 0;
    }
    if (s->n >= TH_PG_STATS_QUEUE) {
        th_metric_inc(s->m_unavailable);
        answer_error(s, &r, 503, "%s", "busy: 16 requests wait for PostgreSQL already");
        return 0;
    }
    r.deadline_ns = now + s->timeout_ms * 1000000LL;
    s->q[s->n++] = r;
    if (!uv_is_active((uv_handle_t *)&s->timer)) uv_timer_start(&s->timer, on_tick, TICK_MS, TICK_MS);
    pump(s);
    return 0;
}

void th_pg_stats_cancel(th_pg_stats *s, void *token)
{
    for (int i = 0; i < s->n; i++)
        if (s->q[i].token == token) {
            s->q[i].token = NULL;
            th_metric_inc(s->m_cancelled);
        }
}

int th_pg_stats_open(th_pg_stats *s, uv_loop_t *loop, const char *conninfo_env, int64_t connect_timeout_ms,
                     int64_t query_timeout_ms, const char *self)
{
    memset(s, 0, sizeof *s);
    const char *conninfo = conninfo_env && *conninfo_env ? getenv(conninfo_env) : NULL;
    if (!conninfo || !*conninfo) return 0;
    snprintf(s->self, sizeof s->self, "%s", self);
    s->timeout_ms = query_timeout_ms < 100 ? 100 : query_timeout_ms > 4000 ? 4000 : query_timeout_ms;
    const char *err;
    if (th_pg_open(&s->pg, loop, conninfo, connect_timeout_ms, on_state, s, &err) != 0) {
        th_logf(TH_LOG_ERROR, "postgres: the statistics' connection cannot open", "why=\"%s\"", err);
        return -1;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    s->timer_open = true;
    s->active = true;
    const char *e2;
    th_metric_register("api_postgres_reads_total{result=\"ok\"}", TH_METRIC_COUNTER, &s->m_ok, &e2);
    th_metric_register("api_postgres_reads_total{result=\"unavailable\"}", TH_METRIC_COUNTER, &s->m_unavailable, &e2);
    th_metric_register("api_postgres_reads_total{result=\"timeout\"}", TH_METRIC_COUNTER, &s->m_timeout, &e2);
    th_metric_register("api_postgres_reads_total{result=\"client_gone\"}", TH_METRIC_COUNTER, &s->m_cancelled, &e2);
    return 0;
}

void th_pg_stats_close(th_pg_stats *s)
{
    if (!s->active || s->closed) return;
    s->closed = true;
    for (int i = 0; i < s->n; i++) answer_error(s, &s->q[i], 503, "%s", "the host is stopping");
    s->n = 0;
    s->in_flight = false;
    th_pg_close(&s->pg); /* a query out is abandoned: its done is never called */
    if (s->timer_open) uv_close((uv_handle_t *)&s->timer, NULL);
    s->timer_open = false;
}
