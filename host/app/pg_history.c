/* pg_history.c — the journal projected into PostgreSQL, one batch at a time (see pg_history.h for
 * the tables' keys and why a projection of the journal). */
#include "pg_history.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/clock.h"
#include "../core/json_out.h"
#include "../core/log.h"
#include "pg_rows.h"
#include "pg_schema.h"

static void pump(th_pg_history *h);



static int on_record(void *ctx, const th_jrec *r)
{
    th_pg_history *h = ctx;
    th_flow *sh = &h->shadow;
    th_flow_apply(sh, r); /* the recovery path; an error there is the host's too (it refused to start) */
    h->seq++;
    h->records++;
    if (h->seq <= h->committed) return 0; /* in the database already: the shadow only */
    th_pg_rows_record(&h->b, sh, r, h->seq);
    return 0;
}

/* ---- queries ---- */

static int shadow_open(th_pg_history *h)
{
    const char *err = NULL;
    if (h->shadow_open) th_flow_free(&h->shadow);
    h->shadow_open = false;
    if (th_flow_init(&h->shadow, &h->cfg, h->tr->flow.ins, (th_venue){0}, NULL, 0, &err) != 0) {
        th_logf(TH_LOG_ERROR, "postgres: cannot build the shadow state", "error=\"%s\"", err);
        return -1;
    }
    for (int32_t i = 0; i < h->tr->flow.nrates; i++) th_flow_set_rate(&h->shadow, h->tr->flow.rates[i].currency, h->tr->flow.rates[i].rate);
    h->shadow_open = true;
    return 0;
}

/* From the journal's first record again; rows only after what the database holds. */
static void rewind_all(th_pg_history *h)
{
    th_journal_tail_rewind(&h->tail);
    th_pg_rows_reset(&h->b);
    h->seq = 0;
    h->caught_up = false;
    h->catchup_start_ns = th_mono_ns();
    if (shadow_open(h) != 0) h->retry_at_ns = th_mono_ns() + 1000000000LL;
}

static void set_error(th_pg_history *h, const char *what, const char *error)
{
    h->errors++;
    th_metric_inc(h->m_errors);
    snprintf(h->last_error, sizeof h->last_error, "%s: %s", what, error ? error : "?");
}

static void send_query(th_pg_history *h, const char *sql, th_pg_done_fn done)
{
    h->in_flight = true; /* before: a send that fails calls done at once */
    if (th_pg_query(&h->pg, sql, done, h) != 0) h->in_flight = false;
}

static void send_register(th_pg_history *h);

static void on_migrated(void *ctx, bool ok, const char *error, const PGresult *rows)
{
    th_pg_history *h = ctx;
    h->in_flight = false;
    if (!ok) {
        set_error(h, "migrations", error);
        if (h->pg.connected) {
            th_logf(TH_LOG_ERROR, "postgres: the schema migrations failed: retrying in 5 s", "error=\"%s\"", error ? error : "?");
            h->retry_at_ns = th_mono_ns() + 5000000000LL;
        }
        return;
    }
    h->schema_version = rows && PQntuples(rows) > 0 ? atoi(PQgetvalue(rows, 0, 0)) : 0;
    if (h->schema_version > TH_PG_SCHEMA_VERSION)
        th_logf(TH_LOG_WARN, "postgres: the database's schema is newer than this host's (writing the tables it knows)",
                "database=%d host=%d", h->schema_version, TH_PG_SCHEMA_VERSION);
    else th_logf(TH_LOG_INFO, "postgres: schema ready", "version=%d", h->schema_version);
    h->phase = TH_PG_REGISTERING;
    send_register(h);
}

static void on_registered(void *ctx, bool ok, const char *error, const PGresult *rows)
{
    th_pg_history *h = ctx;
    h->in_flight = false;
    if (!ok || !rows || PQntuples(rows) < 1) {
        set_error(h, "session row", ok ? "no row" : error);
        if (h->pg.connected) {
            th_logf(TH_LOG_ERROR, "postgres: cannot write the session row: retrying in 5 s", "error=\"%s\"", h->last_error);
            h->retry_at_ns = th_mono_ns() + 5000000000LL;
        }
        return;
    }
    h->committed = atoll(PQgetvalue(rows, 0, 0));
    h->catchups++;
    th_metric_inc(h->m_catchups);
    rewind_all(h);
    h->phase = TH_PG_WRITING;
    th_logf(TH_LOG_INFO, "postgres: writing: catching up from the journal", "journal=%s already_written=%lld catchups=%llu", h->jkey,
            (long long)h->committed, (unsigned long long)h->catchups);
    pump(h);
}

static void send_register(th_pg_history *h)
{
    char *sql = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&sql, &n);
    if (!f) return;
    fputs("SET standard_conforming_strings = on;\nINSERT INTO sessions (journal, session_id, strategy, venue, mode, pairs, "
          "journal_path, host_pid) VALUES (", f);
    th_pg_sql_str(f, h->jkey); fputc(',', f); th_pg_sql_str(f, h->session); fputc(',', f); th_pg_sql_str(f, h->strategy); fputc(',', f); th_pg_sql_str(f, h->venue);
    fputc(',', f); th_pg_sql_str(f, h->mode); fputc(',', f);
    /* the pairs traded, as a JSON array */
    char *pairs = NULL;
    size_t pn = 0;
    FILE *pf = open_memstream(&pairs, &pn);
    if (pf) {
        fputc('[', pf);
        const th_instruments *ins = h->tr->flow.ins;
        int32_t np = 0;
        for (int32_t i = 0; h->mf && h->mf->wanted && i < h->mf->nwanted && i < ins->n; i++)
            if (h->mf->wanted[i]) fprintf(pf, "%s\"%s\"", np++ ? "," : "", ins->v[i].symbol);
        fputc(']', pf);
        fclose(pf);
        th_pg_sql_str(f, pairs);
        free(pairs);
    } else th_pg_sql_str(f, "[]");
    fputc(',', f); th_pg_sql_str(f, h->journal); fprintf(f, ",%d)\n", (int)uv_os_getpid());
    fputs("ON CONFLICT (journal) DO UPDATE SET host_pid = EXCLUDED.host_pid, updated_at = now();\nSELECT records FROM sessions WHERE journal = ", f);
    th_pg_sql_str(f, h->jkey);
    fputs(";\n", f);
    fclose(f);
    send_query(h, sql, on_registered);
    free(sql);
}

static void on_state(void *ctx, bool connected, const char *why)
{
    th_pg_history *h = ctx;
    th_metric_set(h->m_connected, connected ? 1 : 0);
    if (!connected) {
        if (h->phase != TH_PG_DOWN)
            th_logf(TH_LOG_WARN, "postgres: down: journal only until it returns (then back-filled from the journal)", "why=\"%s\"", why);
        h->phase = TH_PG_DOWN;
        h->caught_up = false;
        h->in_flight = false;
        h->retry_at_ns = 0;
        th_pg_rows_reset(&h->b);
        if (h->closing && !h->closed) {
            th_logf(TH_LOG_WARN, "postgres: stopping while down: the rest stays in the journal", "unwritten_from_record=%lld",
                    (long long)h->committed + 1);
            th_pg_history_close(h);
        }
        return;
    }
    h->phase = TH_PG_MIGRATING;
    h->retry_at_ns = 0;
    send_query(h, th_pg_schema_migrate_sql(), on_migrated);
}

static void on_batch(void *ctx, bool ok, const char *error, const PGresult *rows)
{
    (void)rows;
    th_pg_history *h = ctx;
    h->in_flight = false;
    if (ok) {
        h->committed = h->batch_to;
        h->rows += h->batch_rows;
        h->batches++;
        th_metric_add(h->m_rows, (double)h->batch_rows);
        th_metric_inc(h->m_batches);
        h->pnl_head = (h->pnl_head + h->batch_pnl) % TH_PG_PNL_RING;
        h->pnl_n -= h->batch_pnl;
        h->batch_pnl = 0;
        pump(h); /* what came meanwhile, at once */
        return;
    }
    set_error(h, "batch", error);
    h->batch_pnl = 0;
    if (!h->pg.connected) return; /* on_state follows: the back-fill after the reconnect */
    /* a statement refused with the connection up: rows made again from the journal in a second */
    th_logf(TH_LOG_ERROR, "postgres: a batch was refused: rewriting it from the journal in 1 s", "error=\"%s\"", error ? error : "?");
    h->retry_at_ns = th_mono_ns() + 1000000000LL;
}

static void send_settlement(th_pg_history *h);

/* Read what the journal gained and send it as one batch (when nothing is out). */
static void pump(th_pg_history *h)
{
    if (h->closed || h->phase != TH_PG_WRITING || h->in_flight || !h->shadow_open) return;
    int64_t t0 = th_mono_ns();
    if (h->retry_at_ns) {
        if (t0 < h->retry_at_ns) return;
        h->retry_at_ns = 0;
        rewind_all(h);
        if (!h->shadow_open) return;
    }
    if (th_flow_grow(&h->shadow, 0) != 0) return; /* instruments added while running */
    int n = th_journal_tail_read(&h->tail, TH_PG_BATCH_RECORDS, on_record, h);
    if (n < 0) {
        th_logf(TH_LOG_ERROR, "postgres: cannot read the journal", "journal=%s", h->journal);
        return;
    }
    /* PnL snapshots waiting (at most 1000 a batch) */
    int32_t np = h->pnl_n < 1000 ? h->pnl_n : 1000;
    uint64_t nrows = th_pg_rows_count(&h->b) + (uint64_t)np;
    if (h->seq <= h->committed && np == 0) {
        th_pg_rows_reset(&h->b);
        if (n == 0 && !h->caught_up) {
            h->caught_up = true;
            th_logf(TH_LOG_INFO, "postgres: caught up from the journal", "records=%lld rows=%llu ms=%.1f", (long long)h->committed,
                    (unsigned long long)h->rows, (double)(th_mono_ns() - h->catchup_start_ns) / 1e6);
        }
        /* the stop: once the drain's last records are in the file (a commit may still be out) */
        if (n == 0 && h->closing && th_trading_journal_settled(h->tr)) send_settlement(h);
        return;
    }
    char *sql = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sql, &len);
    if (!f) return;
    th_pg_rows_sql(&h->b, f, h->committed, h->seq);
    th_pg_rows_pnl_sql(&h->b, f, h->pnl, TH_PG_PNL_RING, h->pnl_head, np);
    fprintf(f, "UPDATE sessions SET records = GREATEST(records, %lld), updated_at = now() WHERE journal = ", (long long)h->seq);
    th_pg_sql_str(f, h->jkey);
    fputs(";\n", f);
    fclose(f);
    h->batch_to = h->seq > h->committed ? h->seq : h->committed;
    h->batch_rows = nrows;
    h->batch_pnl = np;
    th_pg_rows_reset(&h->b);
    send_query(h, sql, on_batch);
    free(sql);
    th_hist_record(&h->turn_ns, (uint64_t)(th_mono_ns() - t0));
}

static void on_turn(uv_check_t *c) { pump(c->data); }

static void on_tick(uv_timer_t *t)
{
    th_pg_history *h = t->data;
    if (h->closing) return;
    th_pnl_view v;
    const char *err;
    if (th_pnl_get(&v, &err) == 0) {
        if (h->pnl_n == TH_PG_PNL_RING) { /* the oldest goes: an hour of PostgreSQL down */
            h->pnl_head = (h->pnl_head + 1) % TH_PG_PNL_RING;
            h->pnl_n--;
            h->pnl_dropped++;
        }
        th_pg_pnl *s = &h->pnl[(h->pnl_head + h->pnl_n) % TH_PG_PNL_RING];
        s->ts_ns = th_clock_ns();
        s->v = v;
        h->pnl_n++;
    }
    /* a refused query is retried here, once its wait is over */
    if (!h->pg.connected || h->in_flight || !h->retry_at_ns || th_mono_ns() < h->retry_at_ns) return;
    if (h->phase == TH_PG_MIGRATING) {
        h->retry_at_ns = 0;
        send_query(h, th_pg_schema_migrate_sql(), on_migrated);
    } else if (h->phase == TH_PG_REGISTERING) {
        h->retry_at_ns = 0;
        send_register(h);
    }
}

/* ---- the stop ---- */

static void closed_cb(uv_handle_t *x) { (void)x; }

static void finish(th_pg_history *h)
{
    if (h->closed) return;
    h->closed = true;
    if (h->turn_ns.count)
        th_logf(TH_LOG_INFO, "postgres: history time on the loop", "batches=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f rows=%llu records=%lld",
                (unsigned long long)h->batches, (double)th_hist_quantile(&h->turn_ns, 0.5) / 1e3,
                (double)th_hist_quantile(&h->turn_ns, 0.99) / 1e3, (double)h->turn_ns.max / 1e3, (unsigned long long)h->rows,
                (long long)h->committed);
    th_pg_close(&h->pg);
    uv_close((uv_handle_t *)&h->turn, closed_cb);
    uv_close((uv_handle_t *)&h->tick, closed_cb);
    uv_close((uv_handle_t *)&h->stop_timer, closed_cb);
}

static void on_settled(void *ctx, bool ok, const char *error, const PGresult *rows)
{
    (void)rows;
    th_pg_history *h = ctx;
    h->in_flight = false;
    if (!ok) set_error(h, "settlement", error);
    else th_logf(TH_LOG_INFO, "postgres: session written", "journal=%s records=%lld rows=%llu", h->jkey, (long long)h->committed,
                 (unsigned long long)h->rows);
    finish(h);
}

/* The stop's last query: per pair the position as the journal has it, and the session's end. */
static void send_settlement(th_pg_history *h)
{
    char *sql = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sql, &len);
    if (!f) {
        finish(h);
        return;
    }
    th_pg_rows_settlement_sql(&h->b, f, &h->shadow, h->seq, th_clock_ns());
    fclose(f);
    send_query(h, sql, on_settled);
    free(sql);
    if (!h->in_flight) finish(h);
}

static void on_stop_timeout(uv_timer_t *t)
{
    th_pg_history *h = t->data;
    th_logf(TH_LOG_WARN, "postgres: the stop's deadline passed: the rest stays in the journal", "written_records=%lld read_records=%lld",
            (long long)h->committed, (long long)h->seq);
    finish(h);
}

void th_pg_history_close(th_pg_history *h)
{
    if (!h->active || h->closed) return;
    if (!h->closing) {
        h->closing = true;
        uv_timer_start(&h->stop_timer, on_stop_timeout, h->cfg_stop_ms, 0);
    }
    if (h->phase != TH_PG_WRITING) {
        finish(h);
        return;
    }
    pump(h); /* the check keeps pumping until the journal is all written, then the settlement */
}

/* ---- open, health, free ---- */

int th_pg_history_health(th_pg_history *h, FILE *f)
{
    if (!h->active && !h->closed) return 0;
    struct stat st;
    long long lag = h->tail.fd >= 0 && fstat(h->tail.fd, &st) == 0 ? (long long)st.st_size - (long long)h->tail.off : -1;
    const char *state = h->phase == TH_PG_DOWN ? (h->pg.connects ? "down" : "connecting")
                        : h->phase != TH_PG_WRITING ? "migrating"
                        : h->caught_up ? "ok" : "catching_up";
    bool ok = h->phase == TH_PG_WRITING;
    fputs(",{\"name\":\"postgres\",\"state\":", f);
    th_json_put_str(f, state);
    fprintf(f, ",\"ok\":%s,\"where\":", ok ? "true" : "false");
    th_json_put_str(f, h->pg.where);
    fprintf(f, ",\"schema_version\":%d,\"journal_bytes_behind\":%lld,\"records_written\":%lld,\"rows\":%llu,\"batches\":%llu,"
            "\"errors\":%llu,\"catchups\":%llu,\"pnl_waiting\":%d",
            h->schema_version, lag, (long long)h->committed, (unsigned long long)h->rows, (unsigned long long)h->batches,
            (unsigned long long)h->errors, (unsigned long long)h->catchups, (int)h->pnl_n);
    fputs(",\"detail\":", f);
    th_json_put_str(f, ok ? "" : h->pg.last_error[0] ? h->pg.last_error : h->last_error[0] ? h->last_error : "not connected yet");
    fputc('}', f);
    return ok ? 0 : 1;
}

int th_pg_history_open(th_pg_history *h, uv_loop_t *loop, th_lua *lua, th_trading *tr, th_session_feed *mf,
                       const char *session_id, const char *mode, const char **err)
{
    static char msg[400];
    memset(h, 0, sizeof *h);
    h->tail.fd = -1;
    char env[128];
    if (!th_lua_cfg_string(lua, "storage.postgres.conninfo_env", env, sizeof env)) return 0;
    if (!tr->active || !tr->jn.open) {
        *err = "storage.postgres writes the journal's history: this session keeps none (a backtest)";
        return -1;
    }
    const char *conninfo = getenv(env);
    if (!conninfo || !*conninfo) {
        snprintf(msg, sizeof msg, "storage.postgres.conninfo_env: the environment variable %s is not set or empty", env);
        *err = msg;
        return -1;
    }
    h->tr = tr;
    h->mf = mf;
    h->b.jkey = h->jkey;
    h->b.session = h->session;
    h->cfg = tr->flow.cfg;
    snprintf(h->env, sizeof h->env, "%s", env);
    snprintf(h->journal, sizeof h->journal, "%s", tr->jn.path);
    const char *base = strrchr(h->journal, '/');
    snprintf(h->jkey, sizeof h->jkey, "%s", base ? base + 1 : h->journal);
    char *dot = strstr(h->jkey, ".thj");
    if (dot) *dot = 0;
    snprintf(h->session, sizeof h->session, "%s", session_id);
    snprintf(h->mode, sizeof h->mode, "%s", mode);
    char name[64] = "", feed[32] = "";
    th_lua_cfg_string(lua, "strategy.name", name, sizeof name);
    if (!th_lua_cfg_string(lua, "venue.feed", feed, sizeof feed)) th_lua_cfg_string(lua, "venue.name", feed, sizeof feed);
    snprintf(h->strategy, sizeof h->strategy, "%s", th_lua_cfg_pair_count(lua) > 1 ? "multi" : name);
    snprintf(h->venue, sizeof h->venue, "%s", feed);
    h->cfg_stop_ms = (uint64_t)th_lua_cfg_number(lua, "storage.postgres.stop_timeout_ms", 3000);
    h->pnl = calloc(TH_PG_PNL_RING, sizeof *h->pnl);
    if (!h->pnl) {
        *err = "out of memory";
        return -1;
    }
    const char *e2;
    if (th_journal_tail_open(&h->tail, h->journal, &e2) != 0) {
        snprintf(msg, sizeof msg, "storage.postgres: cannot read the journal %s: %s", h->journal, e2);
        *err = msg;
        free(h->pnl);
        h->pnl = NULL;
        return -1;
    }
    int64_t timeout_ms = (int64_t)th_lua_cfg_number(lua, "storage.postgres.connect_timeout_ms", 2000);
    if (th_pg_open(&h->pg, loop, conninfo, timeout_ms, on_state, h, &e2) != 0) {
        /* the parser's message names the fault, never the value (it may hold a password) */
        snprintf(msg, sizeof msg, "storage.postgres: the connection string in %s: %s", env, e2);
        *err = msg;
        th_journal_tail_close(&h->tail);
        free(h->pnl);
        h->pnl = NULL;
        return -1;
    }
    th_metric_register("postgres_rows_total", TH_METRIC_COUNTER, &h->m_rows, &e2);
    th_metric_register("postgres_batches_total", TH_METRIC_COUNTER, &h->m_batches, &e2);
    th_metric_register("postgres_errors_total", TH_METRIC_COUNTER, &h->m_errors, &e2);
    th_metric_register("postgres_connected", TH_METRIC_GAUGE, &h->m_connected, &e2);
    th_metric_register("postgres_catchups_total", TH_METRIC_COUNTER, &h->m_catchups, &e2);
    uv_check_init(loop, &h->turn);
    h->turn.data = h;
    uv_check_start(&h->turn, on_turn);
    uv_timer_init(loop, &h->tick);
    h->tick.data = h;
    uv_timer_start(&h->tick, on_tick, 1000, 1000);
    uv_timer_init(loop, &h->stop_timer);
    h->stop_timer.data = h;
    h->active = true;
    th_logf(TH_LOG_INFO, "postgres: history on", "conninfo_env=%s journal=%s session=%s schema_version=%d", env, h->jkey, h->session,
            TH_PG_SCHEMA_VERSION);
    return 0;
}

void th_pg_history_free(th_pg_history *h)
{
    th_pg_rows_reset(&h->b);
    th_journal_tail_close(&h->tail);
    if (h->shadow_open) th_flow_free(&h->shadow);
    h->shadow_open = false;
    free(h->pnl);
    h->pnl = NULL;
}
