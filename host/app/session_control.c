/* session_control.c — what an operator asks of the running session through the API, on the
 * session itself: its status, statistics and the health of what it is connected to (JSON), and
 * start, stop, reload and settlement. Also the once-a-second control timer: per-pair drawdowns,
 * the periodic status event, a settlement waiting for a quiet moment.
 *
 * What start and settlement mean for a host that runs one session per process:
 *   - POST /sessions/start starts the session this process was configured with when it was told
 *     to wait (session.start = "api": the journal is recovered and reconciled, the API and REPL
 *     answer, but on_start, ticks and market data wait). A running or stopping session answers
 *     409: another config is another process.
 *   - POST /settlement/trigger settles the running session: once no order is waiting for its
 *     acknowledgement, the venue is asked again for every trade since the last fill and for the
 *     open orders (the reconciliation a restart runs: missed fills counted once, strays resolved),
 *     the strategy's on_settle(state, ctx) runs (where it places take-profits it wants), leftovers
 *     are cancelled when asked, and the summary (positions, PnL, fees) is written beside the
 *     journal and published on the event stream when the venue has answered. */
#include "session_impl.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/book.h"
#include "../core/clock.h"
#include "../core/json_out.h"
#include "../core/log.h"
#include "tradehost.h"

#define CONTROL_TICK_MS 1000

static void put_kv_num(FILE *f, const char *k, double v) { fprintf(f, ",\"%s\":", k); th_json_put_num(f, v); }
static void put_kv_str(FILE *f, const char *k, const char *v) { fprintf(f, ",\"%s\":", k); th_json_put_str(f, v); }

static const char *state_name(const session *s)
{
    if (s->stopping || s->stop_asked) return "stopping";
    if (s->held) return "configured";
    return s->started ? "running" : "starting";
}

/* A pair worth listing: configured and enabled, or traded. */
static bool pair_listed(const session *s, int32_t i)
{
    if (s->mf.wanted && i < s->mf.nwanted && s->mf.wanted[i]) return true;
    return s->tr.active && i < s->tr.flow.pf.n && s->tr.flow.pf.v[i].fills > 0;
}

static const th_instruments *instruments(const session *s)
{
    if (s->tr.active) return s->tr.flow.ins;
    return s->mf.active ? &s->mf.feed.instruments : NULL;
}

/* ---- /health: venues, books, stores ---- */

static int ctl_links(void *ctx, FILE *f)
{
    session *s = ctx;
    int bad = 0;
    char venue[32] = "", feed[32] = "";
    th_lua_cfg_string(&s->lua, "venue.name", venue, sizeof venue);
    if (!th_lua_cfg_string(&s->lua, "venue.feed", feed, sizeof feed)) snprintf(feed, sizeof feed, "%s", venue);
    bool live = s->mf.active && s->mf.live, md_ok = true;
    const char *md = !s->mf.active ? "none" : s->held ? "waiting_for_start" : s->mf.done ? "ended" : "replaying";
    if (live) {
        const th_ws_client *ws = s->mf.feed.venue == TH_VENUE_BINANCE ? &s->mf.bp.ws : &s->mf.kp.ws;
        md = ws->connected ? "connected" : ws->connecting ? "connecting" : "disconnected";
        md_ok = ws->connected;
        if (s->mf.fetching) md = "fetching_instruments"; /* nothing else has started yet */
        bad += !md_ok;
    }
    fputs("\"venues\":[{\"name\":", f);
    th_json_put_str(f, feed);
    fputs(",\"role\":\"market_data\",\"source\":", f);
    th_json_put_str(f, live ? "websocket" : s->mf.active ? "recording" : "none");
    fputs(",\"state\":", f);
    th_json_put_str(f, md);
    if (s->mf.fetching) put_kv_str(f, "reason", s->mf.fx.why[0] ? s->mf.fx.why : "waiting for the venue's answer");
    fprintf(f, ",\"ok\":%s}", md_ok ? "true" : "false");
    bad += th_session_lead_health_venue(&s->mf, f);
    if (s->tr.active) {
        bool ok = s->tr.have_pv;
        bad += !ok;
        fputs(",{\"name\":", f);
        th_json_put_str(f, s->tr.have_pv ? "paper" : venue);
        fputs(",\"role\":\"orders\",\"state\":", f);
        th_json_put_str(f, s->tr.have_pv ? "connected" : "no_connector");
        fprintf(f, ",\"ok\":%s,\"recovering\":%s}", ok ? "true" : "false", th_flow_recovering(&s->tr.flow) ? "true" : "false");
    }
    fputs("],\"books\":[", f);
    const th_instruments *ins = s->mf.active ? &s->mf.feed.instruments : NULL;
    int n = 0;
    int64_t now = th_clock_ns();
    for (int32_t i = 0; ins && i < ins->n; i++) {
        if (!(s->mf.wanted && i < s->mf.nwanted && s->mf.wanted[i])) continue;
        const th_feed_symbol *fs = i < s->mf.feed.sym_cap ? s->mf.feed.sym[i] : NULL;
        int32_t health = fs ? fs->book.health : TH_BOOK_EMPTY;
        bool ok = health == TH_BOOK_OK;
        bad += !ok && !s->held;
        fprintf(f, "%s{\"symbol\":", n++ ? "," : "");
        th_json_put_str(f, ins->v[i].symbol);
        put_kv_str(f, "health", th_book_health_name(health));
        put_kv_str(f, "reason", fs && fs->book.reason ? fs->book.reason : (fs ? "" : "no data yet"));
        put_kv_num(f, "age_s", fs && fs->book.last_update_ns ? (double)(now - fs->book.last_update_ns) / 1e9 : -1);
        bool paused;
        int prio = th_session_dispatch_pair(&s->mf, i, &paused);
        fprintf(f, ",\"priority\":%d,\"paused\":%s,\"ok\":%s}", prio, paused ? "true" : "false", ok ? "true" : "false");
    }
    bad += th_session_lead_health_books(&s->mf, f, &n);
    fputs("],\"stores\":[", f);
    bool jfail = s->tr.active && th_trading_journal_failed(&s->tr);
    bad += jfail;
    fputs("{\"name\":\"journal\",\"state\":", f);
    th_json_put_str(f, !s->tr.active ? "none" : jfail ? "failed" : s->tr.jn.open ? "ok" : "none");
    put_kv_str(f, "path", s->tr.active && s->tr.jn.open ? s->tr.jn.path : "");
    fprintf(f, ",\"ok\":%s}", jfail ? "false" : "true");
    bad += th_pg_history_health(&s->ph, f);
    bad += th_redis_mirror_health(&s->rm, f);
    bad += th_redis_lease_health(&s->rl, f);
    fputc(']', f);
    if (s->mf.active) bad += th_session_dispatch_health(&s->mf, f); /* overload: degraded */
    return bad;
}

/* ---- status and statistics ---- */

static void pnl_members(FILE *f)
{
    th_pnl_view p;
    const char *err;
    if (th_pnl_get(&p, &err) != 0) return;
    fputs(",\"pnl\":{\"currency\":", f);
    th_json_put_str(f, p.currency);
    put_kv_num(f, "total", p.total);
    put_kv_num(f, "realised", p.realised);
    put_kv_num(f, "unrealised", p.unrealised);
    put_kv_num(f, "fees", p.fees);
    put_kv_num(f, "day", p.day);
    put_kv_num(f, "peak", p.peak);
    put_kv_num(f, "drawdown", p.drawdown);
    put_kv_num(f, "exposure", p.exposure);
    put_kv_num(f, "open_notional", p.open_notional);
    fputc('}', f);
}

static void status_members(FILE *f, void *arg)
{
    session *s = arg;
    char venue[32] = "";
    th_lua_cfg_string(&s->lua, "venue.name", venue, sizeof venue);
    put_kv_str(f, "state", state_name(s));
    put_kv_str(f, "mode", s->mode ? s->mode : "");
    put_kv_str(f, "strategy", s->strat.name);
    put_kv_str(f, "venue", venue);
    fprintf(f, ",\"pid\":%d,\"started_ns\":%lld", (int)getpid(), (long long)s->started_ns);
    put_kv_num(f, "uptime_s", s->started_mono ? (double)(th_mono_ns() - s->started_mono) / 1e9 : 0);
    put_kv_num(f, "duration_s", s->duration_s);
    fprintf(f, ",\"pairs\":%d,\"ticks\":%llu", th_lua_cfg_pair_count(&s->lua), (unsigned long long)s->ticks);
    if (s->tr.active) {
        const th_flow *fl = &s->tr.flow;
        fprintf(f, ",\"live_orders\":%d,\"fills\":%llu,\"orders_placed\":%llu,\"halted\":%s,\"recovering\":%s", fl->trk.nlive,
                (unsigned long long)fl->st.fills, (unsigned long long)fl->st.placed, fl->risk.halted ? "true" : "false",
                th_flow_recovering(fl) ? "true" : "false");
        put_kv_str(f, "journal", s->tr.jn.open ? s->tr.jn.path : "");
    }
    fprintf(f, ",\"faulted\":%s,\"reloads\":%llu,\"reload_failures\":%llu", s->strat.faulted ? "true" : "false",
            (unsigned long long)s->strat.reloads, (unsigned long long)s->strat.reload_failures);
    fprintf(f, ",\"settlement\":{\"state\":\"%s\"", s->settle_state);
    put_kv_str(f, "file", s->settle_file);
    fputc('}', f);
    pnl_members(f);
    fputc('}', f);
}

static void ctl_status(void *ctx, FILE *f)
{
    session *s = ctx;
    fputs("{\"session\":", f);
    th_json_put_str(f, s->id);
    status_members(f, s);
}

static void ctl_performance(void *ctx, FILE *f)
{
    session *s = ctx;
    th_session_events_marks(&s->ev, &s->tr);
    fputs("{\"session\":", f);
    th_json_put_str(f, s->id);
    put_kv_str(f, "source", "order tracker and positions of this process (account figures since the journal began; "
                            "orders, fill ratio, notional volume and drawdown since this process started)");
    pnl_members(f);
    fputs(",\"pairs\":[", f);
    const th_instruments *ins = instruments(s);
    double vol = 0, fees = 0;
    int64_t done = 0, filled = 0, fills = 0;
    int n = 0;
    for (int32_t i = 0; s->tr.active && ins && i < ins->n && i < s->tr.flow.pf.n; i++) {
        if (!pair_listed(s, i)) continue;
        th_position_view p;
        const char *err;
        if (th_position_get(ins->v[i].symbol, &p, &err) != 0) continue;
        th_pair_activity a = th_session_events_pair(&s->ev, i);
        double pnl = p.realised + p.unrealised - p.fees;
        fprintf(f, "%s{\"symbol\":", n++ ? "," : "");
        th_json_put_str(f, ins->v[i].symbol);
        put_kv_str(f, "quote", ins->v[i].quote);
        put_kv_num(f, "position", p.qty);
        put_kv_num(f, "avg_entry", p.avg_entry);
        put_kv_num(f, "mark", p.mark);
        put_kv_num(f, "realised", p.realised);
        put_kv_num(f, "unrealised", p.unrealised);
        put_kv_num(f, "fees", p.fees);
        put_kv_num(f, "pnl", pnl);
        put_kv_num(f, "volume_base", p.bought + p.sold);
        put_kv_num(f, "volume_quote", a.volume_quote);
        fprintf(f, ",\"fills\":%lld,\"session_fills\":%lld,\"orders_done\":%lld,\"orders_filled\":%lld", (long long)p.fills,
                (long long)a.session_fills, (long long)a.orders_done, (long long)a.orders_filled);
        put_kv_num(f, "fill_ratio", a.orders_done ? (double)a.orders_filled / (double)a.orders_done : 0);
        put_kv_num(f, "qty_fill_ratio", a.qty_ordered > 0 ? a.qty_filled / a.qty_ordered : 0);
        put_kv_num(f, "drawdown", a.have_peak ? a.pnl_peak - pnl : 0);
        put_kv_num(f, "max_drawdown", a.max_drawdown);
        fputc('}', f);
        vol += a.volume_quote;
        fees += p.fees;
        done += a.orders_done;
        filled += a.orders_filled;
        fills += p.fills;
    }
    fprintf(f, "],\"totals\":{\"fills\":%lld,\"orders_done\":%lld,\"orders_filled\":%lld", (long long)fills, (long long)done,
            (long long)filled);
    put_kv_num(f, "fill_ratio", done ? (double)filled / (double)done : 0);
    put_kv_num(f, "volume_quote", vol);
    put_kv_num(f, "fees", fees);
    fputs("}}", f);
}

/* ---- start, stop, reload ---- */

static int ctl_start(void *ctx, double duration_s, const char **err)
{
    session *s = ctx;
    if (s->stopping) { *err = "the session is stopping"; return -1; }
    if (!s->held) {
        *err = "the session is already running (one session per process: another config is another tradehost)";
        return -1;
    }
    if (duration_s > 0) s->duration_s = duration_s;
    th_logf(TH_LOG_INFO, "POST /sessions/start: starting the session", "session=%s duration_s=%g", s->id, s->duration_s);
    th_session_begin(s);
    return 0;
}

static void on_ctl_stop(uv_timer_t *t) { th_session_stop(t->data, "POST /sessions/stop"); }

static int ctl_stop(void *ctx, bool check, const char **err)
{
    session *s = ctx;
    if (s->stopping || s->stop_asked || !s->ctl_timer.loop || uv_is_closing((uv_handle_t *)&s->ctl_timer)) {
        *err = "the session is already stopping";
        return -1;
    }
    if (check) return 0;
    s->stop_asked = true;
    uv_timer_start(&s->ctl_timer, on_ctl_stop, 0, 0); /* never inside an lws callback */
    return 0;
}

/* SIGHUP and POST /reload: the one reload (th_session_reload, session_reload.c), and the event
 * stream hears of it. */
int th_session_reload_told(session *s, const char *source, char *msg, size_t cap)
{
    int rc = th_session_reload(msg, cap);
    th_session_events_reload(&s->ev, source, rc == 0, msg, th_clock_ns());
    return rc;
}

static int ctl_reload(void *ctx, char *msg, size_t cap) { return th_session_reload_told(ctx, "api", msg, cap); }

static int ctl_shadow(void *ctx, const char *op, int max_diffs, char *msg, size_t cap)
{
    (void)ctx;
    return th_session_shadow(op, max_diffs, msg, cap);
}

/* ---- settlement ---- */

static bool orders_in_flight(const th_flow *f)
{
    for (int32_t i = 0; i < f->trk.n; i++)
        if (f->trk.v[i].state == TH_ORD_PENDING_CREATE) return true;
    return false;
}

static void settle_members(FILE *f, void *arg)
{
    session *s = arg;
    fprintf(f, ",\"cancelled\":%d,\"reconciled\":true,\"recon_resends\":%llu", s->settle_cancelled,
            (unsigned long long)s->tr.flow.st.recon_resends);
    pnl_members(f);
    fputs(",\"positions\":[", f);
    const th_instruments *ins = instruments(s);
    int n = 0;
    for (int32_t i = 0; ins && i < ins->n && i < s->tr.flow.pf.n; i++) {
        if (s->tr.flow.pf.v[i].fills == 0 && s->tr.flow.pf.v[i].qty == 0) continue;
        th_position_view p;
        const char *err;
        if (th_position_get(ins->v[i].symbol, &p, &err) != 0) continue;
        fprintf(f, "%s{\"symbol\":", n++ ? "," : "");
        th_json_put_str(f, ins->v[i].symbol);
        put_kv_num(f, "position", p.qty);
        put_kv_num(f, "avg_entry", p.avg_entry);
        put_kv_num(f, "realised", p.realised);
        put_kv_num(f, "unrealised", p.unrealised);
        put_kv_num(f, "fees", p.fees);
        fprintf(f, ",\"fills\":%lld}", (long long)p.fills);
    }
    fputs("]}", f);
}

/* The venue has answered: the summary goes to its file (0600, beside the journal) and the stream. */
static void settle_finish(session *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (f) {
        fputs("{\"type\":\"settlement\",\"session\":", f);
        th_json_put_str(f, s->id);
        fprintf(f, ",\"ts\":%lld", (long long)th_clock_ns());
        settle_members(f, s);
        fclose(f);
        int fd = s->settle_file[0] ? open(s->settle_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
        if (fd >= 0) {
            ssize_t w = write(fd, buf, n);
            if (w != (ssize_t)n || fsync(fd) != 0) th_logf(TH_LOG_ERROR, "settlement: cannot write the summary", "file=%s", s->settle_file);
            close(fd);
        }
        free(buf);
    }
    snprintf(s->settle_state, sizeof s->settle_state, "done");
    th_logf(TH_LOG_INFO, "settlement done: summary written", "session=%s file=%s cancelled=%d", s->id, s->settle_file,
            s->settle_cancelled);
    th_session_events_publish(&s->ev, "settlement", th_clock_ns(), settle_members, s);
}

/* Waiting for a quiet moment (no order awaiting its ack: the venue's open orders then match
 * ours), then reconciling; once the venue has answered, the leftovers are cancelled (when asked)
 * and the summary written. The cancels wait for the venue's answer on purpose: sent while the
 * open-orders request is out, the answer (made before they arrived) lists those orders open, and
 * reconciliation re-sends a cancel for each, which the venue refuses as unknown (and Kraken
 * charges to the pair's rate counter). */
static void settle_step(session *s)
{
    th_flow *f = &s->tr.flow;
    if (strcmp(s->settle_state, "waiting") == 0 && !orders_in_flight(f)) {
        snprintf(s->settle_state, sizeof s->settle_state, "reconciling");
        th_flow_reconcile(f, th_clock_ns());
        if (s->started) th_strategy_call(&s->lua, &s->strat, "on_settle", 0);
        return;
    }
    if (strcmp(s->settle_state, "reconciling") == 0 && !th_flow_recovering(f)) {
        if (s->settle_cancel) s->settle_cancelled = th_trading_cancel_all(&s->tr);
        settle_finish(s);
    }
}

static int ctl_settle(void *ctx, bool cancel_leftovers, FILE *f, bool *conflict, const char **err)
{
    session *s = ctx;
    *conflict = true;
    if (!s->tr.active) { *err = "this session has no order side to settle"; return -1; }
    if (s->stopping) { *err = "the session is stopping (a graceful stop settles by cancelling everything)"; return -1; }
    if (strcmp(s->settle_state, "waiting") == 0 || strcmp(s->settle_state, "reconciling") == 0 || th_flow_recovering(&s->tr.flow)) {
        *err = "a settlement or reconciliation is already running";
        return -1;
    }
    *conflict = false;
    s->settle_cancel = cancel_leftovers;
    s->settle_cancelled = 0;
    snprintf(s->settle_state, sizeof s->settle_state, "waiting");
    char stem[512];
    snprintf(stem, sizeof stem, "%s", s->tr.jn.path);
    size_t k = strlen(stem);
    if (k > 4 && strcmp(stem + k - 4, ".thj") == 0) stem[k - 4] = 0;
    snprintf(s->settle_file, sizeof s->settle_file, "%s.settlement.json", stem);
    th_logf(TH_LOG_INFO, "settlement triggered", "session=%s cancel_leftovers=%s", s->id, cancel_leftovers ? "true" : "false");
    settle_step(s);
    fputs("{\"session\":", f);
    th_json_put_str(f, s->id);
    put_kv_str(f, "state", s->settle_state);
    put_kv_str(f, "file", s->settle_file);
    fprintf(f, ",\"cancel_leftovers\":%s,\"cancelled\":%d}", cancel_leftovers ? "true" : "false", s->settle_cancelled);
    return 0;
}

/* ---- the control timer ---- */

static void on_control(uv_timer_t *t)
{
    session *s = t->data;
    th_session_events_marks(&s->ev, &s->tr);
    if (s->settle_state[0] && s->tr.active) settle_step(s);
    int64_t now = th_mono_ns();
    if (s->status_every_ns > 0 && now >= s->next_status_ns) {
        s->next_status_ns = now + s->status_every_ns;
        th_session_events_publish(&s->ev, "status", th_clock_ns(), status_members, s);
    }
}

static int ctl_performance_pg(void *ctx, const char *session_id, th_view_reply_fn reply, void *token)
{
    return th_pg_stats_ask(&((session *)ctx)->ps, session_id, reply, token);
}

static void ctl_performance_cancel(void *ctx, void *token) { th_pg_stats_cancel(&((session *)ctx)->ps, token); }

int th_session_stores_open(session *s, const char *mode)
{
    char name[64] = "";
    if (!th_lua_cfg_string(&s->lua, "session.name", name, sizeof name) || !name[0]) {
        const char *base = s->tr.active && s->tr.jn.path[0] ? strrchr(s->tr.jn.path, '/') : NULL;
        snprintf(name, sizeof name, "session-%s", base ? base + 1 : "none");
        char *dot = strstr(name, ".thj");
        if (dot) *dot = 0;
    }
    snprintf(s->id, sizeof s->id, "%s", name);
    snprintf(s->ev.session, sizeof s->ev.session, "%s", s->id);
    const char *err = NULL;
    if (th_redis_mirror_open(&s->rm, &s->loop, &s->lua, &s->tr, &s->mf, s->id, mode, &err) != 0) {
        fprintf(stderr, "tradehost: %s\n", err);
        return -1;
    }
    if (th_pg_history_open(&s->ph, &s->loop, &s->lua, &s->tr, &s->mf, s->id, mode, &err) != 0) {
        fprintf(stderr, "tradehost: %s\n", err);
        return -1;
    }
    char listen[64];
    bool api = th_lua_cfg_string(&s->lua, "api.listen", listen, sizeof listen); /* the reads' connection serves the API only */
    if (s->ph.active && api && th_pg_stats_open(&s->ps, &s->loop, s->ph.env, (int64_t)th_lua_cfg_number(&s->lua, "storage.postgres.connect_timeout_ms", 2000),
                                         (int64_t)th_lua_cfg_number(&s->lua, "storage.postgres.query_timeout_ms", 3000), s->id) != 0)
        return -1;
    if (th_redis_lease_open(&s->rl, &s->loop, &s->lua, &s->tr, &s->mf, &err) != 0) {
        fprintf(stderr, "tradehost: %s\n", err);
        return -1;
    }
    /* Say what keeps the session's state, so a configured store that does nothing never goes unnoticed. */
    char redis[96] = "off", pg[160] = "off"; /* off bare, a store quoted */
    if (s->rm.active) snprintf(redis, sizeof redis, "%s:%d (mirror of the journal)", s->rm.r.host, s->rm.r.port);
    if (s->ph.active) snprintf(pg, sizeof pg, "\"conninfo from $%s (history of the journal)\"", s->ph.env);
    th_logf(TH_LOG_INFO, "stores", "journal=%s redis=\"%s\" postgres=%s", s->tr.active && s->tr.jn.open ? s->tr.jn.path : "none",
            redis, pg);
    return 0;
}

void th_session_control_open(session *s)
{
    s->status_every_ns = (int64_t)(th_lua_cfg_number(&s->lua, "api.status_every_s", 5) * 1e9);
    uv_timer_init(&s->loop, &s->ctl_timer);
    uv_timer_init(&s->loop, &s->control_timer);
    s->ctl_timer.data = s->control_timer.data = s;
    uint64_t every_ms = (uint64_t)(s->status_every_ns / 1000000);
    if (every_ms < 1) every_ms = 1;
    if (every_ms > CONTROL_TICK_MS) every_ms = CONTROL_TICK_MS; /* at least once a second */
    uv_timer_start(&s->control_timer, on_control, every_ms, every_ms);
}

void th_session_control_close(session *s)
{
    th_redis_lease_close(&s->rl); /* after the drain: the pairs' orders are gone */
    th_redis_mirror_close(&s->rm);
    th_pg_history_close(&s->ph);
    th_pg_stats_close(&s->ps); /* waiting API requests answered 503 before the API closes */
    if (s->control_timer.loop && !uv_is_closing((uv_handle_t *)&s->control_timer)) uv_close((uv_handle_t *)&s->control_timer, NULL);
    if (s->ctl_timer.loop && !uv_is_closing((uv_handle_t *)&s->ctl_timer)) uv_close((uv_handle_t *)&s->ctl_timer, NULL);
}

th_session_view th_session_control_view(session *s)
{
    th_session_view v = th_session_view_make();
    v.ctx = s;
    v.links = ctl_links;
    v.status = ctl_status;
    v.performance = ctl_performance;
    v.performance_pg = ctl_performance_pg;
    v.performance_cancel = ctl_performance_cancel;
    v.start = ctl_start;
    v.stop = ctl_stop;
    v.reload = ctl_reload;
    v.shadow = ctl_shadow;
    v.settle = ctl_settle;
    return v;
}
