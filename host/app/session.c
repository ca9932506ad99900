/* session.c — the host session loop (see session.h).
 *
 * Ordering that matters for money: on SIGTERM/SIGINT the strategies' on_stop runs first (they may
 * want to log or persist), then every open order is cancelled and the journal flushed (the safety
 * core registers those steps), then handles close and the loop drains. SIGHUP reloads strategies
 * between two loop callbacks, never inside one, so a strategy never sees half-swapped code. */
#include "session.h"

#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "../core/clock.h"
#include "../core/hostinfo.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../feed/feed.h"
#include "../feed/market.h"
#include "../feed/ingest.h"
#include "../feed/venue_feed.h"
#include "../lua/lua_budget.h"
#include "../lua/lua_host.h"
#include "api.h"
#include "paths.h"
#include "repl.h"
#include "shutdown.h"
#include "trading.h"
#include "trading_events.h"

#define HEALTH_QUEUE 1024

typedef struct health_ev {
    int32_t sym, health;
    const char *reason;
} health_ev;

/* Market data replayed from a recording (the sim venue's feed; later also live connectors), read
 * through the one ingestion path that replay uses (feed/ingest.c); this file owns the pacing. */
typedef struct session_feed {
    bool active, done;
    th_feed feed;
    th_ingest in;            /* the recording and venue.snapshots, in receive-time order */
    int64_t next_ts;         /* receive time of what comes next */
    bool have_next;
    bool full_pace;          /* backtest: as fast as possible on the virtual clock */
    double speed;
    int64_t first_ts, start_mono;
    int64_t stale_ns;
    bool *wanted;            /* by instrument index (nwanted of them): a configured, enabled pair */
    int32_t nwanted;
    bool wanted_logged;      /* start-up done: later changes are instrument updates */
    char instruments_path[256];
    health_ev hq[HEALTH_QUEUE];
    int hq_n;
    uint64_t hq_dropped, book_events;
    uv_timer_t timer;
    uv_idle_t idle;
    int64_t next_vtick;      /* backtest: next virtual on_tick */
    int64_t due_mono;        /* recorded pace: when the next record is due (monotonic) */
    th_hist lag_ns;          /* how late records were applied: what a busy loop costs market data */
    bool lag_reported;
} session_feed;

typedef struct session {
    uv_loop_t loop;
    uv_signal_t sig_hup, sig_usr1; /* SIGTERM, SIGINT: shutdown.c (they must work when the loop is stuck) */
    uv_timer_t tick_timer, stop_timer, drain_timer;
    uv_check_t turn_check;     /* end of every loop turn: journal commit, then orders out */
    int64_t drain_deadline;
    th_trading tr;
    th_lua lua;
    th_strategy strat;
    bool strategy_loaded;
    bool fault_keep;           /* strategy.on_fault = "keep": a faulted strategy's orders stay */
    bool started;     /* on_start ran: on_stop is owed */
    bool stopping;
    uint64_t ticks;
    int32_t m_ticks, m_book_events, m_frames;
    double tick_ms;
    session_feed mf;
    th_repl repl;              /* repl.socket: Lua inside this host for `tradehost repl` */
    th_repl repl_ro;           /* repl.readonly_socket: the same, every client read-only */
    uv_timer_t exit_timer;     /* os.exit from Lua: the graceful stop, after the current callback */
    int exit_status;           /* os.exit's status; -1: none asked */
    th_api api;                /* api.listen: HTTP on loopback */
} session;

/* Recorded pace: how late market data was applied (timer wake-ups, and whatever held the loop). */
static void feed_lag_report(session_feed *m)
{
    if (!m->lag_ns.count || m->lag_reported) return;
    m->lag_reported = true;
    th_logf(TH_LOG_INFO, "market data lag", "wakeups=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f", (unsigned long long)m->lag_ns.count,
            th_hist_quantile(&m->lag_ns, 0.5) / 1e3, th_hist_quantile(&m->lag_ns, 0.99) / 1e3, (double)m->lag_ns.max / 1e3);
}

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h)) uv_close(h, NULL);
}

static void finish_stop(session *s)
{
    uv_timer_stop(&s->drain_timer);
    close_handle((uv_handle_t *)&s->drain_timer);
    close_handle((uv_handle_t *)&s->turn_check);
    close_handle((uv_handle_t *)&s->stop_timer);
    th_shutdown_close();
    close_handle((uv_handle_t *)&s->sig_hup);
    close_handle((uv_handle_t *)&s->sig_usr1);
    th_repl_close(&s->repl);
    th_repl_close(&s->repl_ro);
    close_handle((uv_handle_t *)&s->exit_timer);
    th_api_close(&s->api);
}

/* Graceful stop: wait (up to 5 s) for the venue to confirm every cancel before closing. */
static void on_drain(uv_timer_t *t)
{
    session *s = t->data;
    th_trading_turn(&s->tr);
    th_flow_events_clear(&s->tr.flow);
    int32_t live = s->tr.active ? s->tr.flow.trk.nlive : 0;
    if (live == 0 || th_mono_ns() > s->drain_deadline) {
        if (live) th_logf(TH_LOG_ERROR, "stopped with orders still live at the venue", "live_orders=%d", live);
        else th_logf(TH_LOG_INFO, "every order is cancelled", NULL);
        finish_stop(s);
    }
}

static void session_stop(session *s, const char *why)
{
    if (s->stopping) return;
    s->stopping = true;
    th_logf(TH_LOG_INFO, "stopping", "reason=%s ticks=%llu", why, (unsigned long long)s->ticks);
    if (s->started) th_strategy_call(&s->lua, &s->strat, "on_stop", 0);
    uv_timer_stop(&s->tick_timer);
    close_handle((uv_handle_t *)&s->tick_timer);
    if (s->mf.active) {
        feed_lag_report(&s->mf);
        close_handle((uv_handle_t *)&s->mf.timer);
        close_handle((uv_handle_t *)&s->mf.idle);
    }
    int32_t live = th_trading_cancel_all(&s->tr);
    if (live > 0 && s->drain_timer.loop) {
        th_logf(TH_LOG_INFO, "cancelling every open order before exit", "live_orders=%d", live);
        s->drain_deadline = th_mono_ns() + 5000000000LL;
        uv_timer_start(&s->drain_timer, on_drain, 0, 20);
        return;
    }
    finish_stop(s);
}

/* After every loop turn: commit the journal and send, let the venue answer, tell the strategy. */
static void on_turn(uv_check_t *h)
{
    session *s = h->data;
    if (!s->tr.active || s->stopping) return;
    th_trading_turn(&s->tr);
    th_trading_dispatch(&s->tr, &s->lua, &s->strat);
    th_trading_turn(&s->tr);
    th_trading_end_turn(&s->tr);
}

static void dispatch_tick(session *s)
{
    s->ticks++;
    th_metric_inc(s->m_ticks);
    lua_pushnumber(s->lua.L, (lua_Number)th_clock_ns());
    th_strategy_call(&s->lua, &s->strat, "on_tick", 1);
}

/* Recorded pace: the session's clock is the recording's, scaled: first frame time plus elapsed
 * wall time times speed, so strategies, stale checks and (later) risk windows all see recorded
 * time, exactly as in a backtest. */
static void feed_clock_sync(session *s)
{
    session_feed *m = &s->mf;
    if (m->active && !m->full_pace && m->start_mono)
        th_clock_advance_to(m->first_ts + (int64_t)((double)(th_mono_ns() - m->start_mono) * m->speed));
}

static void dispatch_market(session *s);

static void on_tick(uv_timer_t *t)
{
    session *s = t->data;
    feed_clock_sync(s);
    /* A feed that went silent (recording ended, connection about to drop) sends no more frames, so
     * the health transitions the stale check finds are delivered here, like any other event: the
     * strategy must hear of them to pull its quotes. */
    if (s->mf.active && s->mf.stale_ns > 0) {
        th_feed_check_stale(&s->mf.feed, th_clock_ns(), s->mf.stale_ns);
        if (s->mf.hq_n) dispatch_market(s);
    }
    th_trading_tick(&s->tr);
    dispatch_tick(s);
}

/* ---- market data ---- */

static void feed_on_health(void *ctx, th_feed *f, int32_t sym, int32_t old_h, int32_t new_h, const char *reason)
{
    session *s = ctx;
    (void)old_h;
    th_logf(new_h == TH_BOOK_OK ? TH_LOG_DEBUG : TH_LOG_WARN, "book health", "symbol=%s health=%s reason=\"%s\"",
            f->instruments.v[sym].symbol, th_book_health_name(new_h), reason);
    /* Parsers never call Lua: the event waits for the end of this batch. */
    if (s->mf.hq_n == HEALTH_QUEUE) { s->mf.hq_dropped++; return; }
    s->mf.hq[s->mf.hq_n++] = (health_ev){sym, new_h, reason};
}

static bool is_wanted(const session_feed *m, int32_t i) { return i >= 0 && i < m->nwanted && m->wanted[i]; }

/* The configured, enabled pairs by instrument index, sized to the registry. Run at start and
 * again whenever the registry has grown (an instrument update added pairs): a configured pair
 * whose instrument data only arrives then starts getting market events, and the order side grows
 * its own per-instrument arrays with it (th_trading_sync_instruments). */
static int wanted_sync(session *s)
{
    session_feed *m = &s->mf;
    int32_t n = m->feed.instruments.n, old = m->nwanted;
    if (m->wanted && n <= old) return 0;
    bool *w = realloc(m->wanted, sizeof *w * (size_t)(n > 0 ? n : 1));
    if (!w) return -1;
    memset(w + old, 0, sizeof *w * (size_t)((n > 0 ? n : 1) - old));
    m->wanted = w;
    m->nwanted = n;
    int npairs = th_lua_cfg_pair_count(&s->lua);
    for (int i = 0; i < npairs; i++) {
        char sym[64];
        bool enabled;
        if (!th_lua_cfg_pair_symbol(&s->lua, i, sym, sizeof sym, &enabled) || !enabled) continue;
        int32_t idx = th_instruments_find(&m->feed.instruments, sym, strlen(sym));
        if (idx < 0) {
            if (!m->wanted_logged)
                th_logf(TH_LOG_ERROR, "pair has no instrument data: it gets no market events until an instrument update adds it",
                        "symbol=%s instruments=%s", sym, m->instruments_path);
            continue;
        }
        if (idx < old) continue;
        m->wanted[idx] = true;
        th_feed_symbol_at(&m->feed, idx);
        if (m->wanted_logged) th_logf(TH_LOG_INFO, "pair added by an instrument update: it gets market events", "symbol=%s", sym);
    }
    m->wanted_logged = true;
    th_trading_sync_instruments(&s->tr);
    return 0;
}

/* After a batch of frames: health events in order, then one on_book per changed wanted pair. */
static void dispatch_market(session *s)
{
    session_feed *m = &s->mf;
    lua_State *L = s->lua.L;
    if (wanted_sync(s) != 0) th_logf(TH_LOG_ERROR, "out of memory growing the pair table", NULL);
    for (int i = 0; i < m->hq_n; i++) {
        health_ev *e = &m->hq[i];
        if (!is_wanted(m, e->sym)) continue;
        lua_pushstring(L, m->feed.instruments.v[e->sym].symbol);
        lua_pushstring(L, th_book_health_name(e->health));
        lua_pushstring(L, e->reason ? e->reason : "");
        th_strategy_call(&s->lua, &s->strat, "on_book_health", 3);
    }
    m->hq_n = 0;
    for (int32_t i = 0; i < m->feed.sym_cap; i++) {
        th_feed_symbol *fs = m->feed.sym[i];
        if (!fs || !fs->dirty) continue;
        fs->dirty = false;
        if (!is_wanted(m, i)) continue;
        th_trading_mark(&s->tr, i);
        m->book_events++;
        th_metric_inc(s->m_book_events);
        lua_pushstring(L, m->feed.instruments.v[i].symbol);
        th_strategy_call(&s->lua, &s->strat, "on_book", 1);
    }
}

/* Apply what comes next (a frame, an inline REST body, or a snapshot from venue.snapshots). */
static void feed_apply(session *s)
{
    session_feed *m = &s->mf;
    th_clock_advance_to(m->next_ts);
    th_metric_inc(s->m_frames);
    th_ingest_step(&m->in);
}

static bool feed_read(session_feed *m)
{
    m->have_next = th_ingest_peek(&m->in, &m->next_ts);
    return m->have_next;
}

static void feed_finished(session *s)
{
    session_feed *m = &s->mf;
    m->done = true;
    th_logf(TH_LOG_INFO, "recording finished", "frames=%llu book_events=%llu errors=%llu ignored=%llu", (unsigned long long)m->feed.frames,
            (unsigned long long)m->book_events, (unsigned long long)m->feed.errors, (unsigned long long)m->feed.ignored);
    th_ingest_log_reasons(&m->in);
    feed_lag_report(m);
    if (m->full_pace) session_stop(s, "end of recording");
}

/* Recorded pace: apply everything due by now (scaled by speed), then sleep until the next record. */
static void on_feed_timer(uv_timer_t *t)
{
    session *s = t->data;
    session_feed *m = &s->mf;
    if (s->stopping) return;
    feed_clock_sync(s);
    if (m->due_mono) {
        int64_t lag = th_mono_ns() - m->due_mono;
        th_hist_record(&m->lag_ns, (uint64_t)(lag > 0 ? lag : 0));
        m->due_mono = 0;
    }
    int64_t elapsed = (int64_t)((double)(th_mono_ns() - m->start_mono) * m->speed);
    int n = 0;
    while (m->have_next && m->next_ts - m->first_ts <= elapsed && n < 4096) {
        feed_apply(s);
        feed_read(m);
        n++;
    }
    dispatch_market(s);
    if (!m->have_next) { feed_finished(s); return; }
    m->due_mono = th_ingest_due(m->next_ts, m->first_ts, m->start_mono, m->speed);
    int64_t due_ns = m->due_mono - th_mono_ns();
    /* Rounded up: a timer rounded down to 0 ms would spin the loop until the record is due. */
    uv_timer_start(&m->timer, on_feed_timer, due_ns > 0 ? (uint64_t)((due_ns + 999999) / 1000000) : 0, 0);
}

/* Full pace (backtest): a batch per loop turn; on_tick fires on virtual time. */
static void on_feed_idle(uv_idle_t *h)
{
    session *s = h->data;
    session_feed *m = &s->mf;
    if (s->stopping) { uv_idle_stop(h); return; }
    for (int n = 0; n < 512 && m->have_next; n++) {
        int64_t ts = m->next_ts;
        feed_apply(s);
        if (m->next_vtick == 0) m->next_vtick = ts + (int64_t)(s->tick_ms * 1e6);
        feed_read(m);
        int64_t now = th_clock_ns();
        while (m->next_vtick && now >= m->next_vtick) {
            dispatch_market(s);
            dispatch_tick(s);
            m->next_vtick += (int64_t)(s->tick_ms * 1e6);
        }
    }
    dispatch_market(s);
    if (!m->have_next) { uv_idle_stop(h); feed_finished(s); }
}

static int feed_open(session *s, const th_session_opts *o, const char **err)
{
    session_feed *m = &s->mf;
    char buf[1024], venue_name[64];
    if (!th_lua_cfg_string(&s->lua, "venue.recording", buf, sizeof buf)) return 0; /* no market data source yet */
    if (!th_lua_cfg_string(&s->lua, "venue.feed", venue_name, sizeof venue_name))
        th_lua_cfg_string(&s->lua, "venue.name", venue_name, sizeof venue_name);
    th_venue_id venue;
    if (th_venue_parse(venue_name, &venue) != 0 || venue == TH_VENUE_SIM) venue = TH_VENUE_KRAKEN;
    if (th_feed_init(&m->feed, venue, th_venue_feed_ops_for(venue)->depth) != 0) { *err = "out of memory"; return -1; }
    m->active = true;
    m->feed.sink.ctx = s;
    m->feed.sink.on_health = feed_on_health;
    char ipath[1024];
    if (!th_lua_cfg_string(&s->lua, "venue.instruments", ipath, sizeof ipath)) { *err = "venue.instruments is required with venue.recording"; return -1; }
    static char why[1300];
    char w[1200];
    if (th_path_check_readable(ipath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.instruments: %s", w); *err = why; return -1; }
    if (th_path_check_readable(buf, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.recording: %s", w); *err = why; return -1; }
    if (th_instruments_load_file(&m->feed.instruments, ipath, err) <= 0) return -1;
    if (th_ingest_open(&m->in, &m->feed, buf, "session", err) != 0) return -1;
    char spath[1024];
    if (th_lua_cfg_string(&s->lua, "venue.snapshots", spath, sizeof spath)) {
        if (th_path_check_readable(spath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.snapshots: %s", w); *err = why; return -1; }
        if (th_ingest_add_snapshots(&m->in, spath, err) != 0) { snprintf(why, sizeof why, "venue.snapshots: %s", *err); *err = why; return -1; }
    }
    snprintf(m->instruments_path, sizeof m->instruments_path, "%s", ipath);
    if (wanted_sync(s) != 0) { *err = "out of memory"; return -1; }
    th_market_add(&m->feed);
    char pace[16];
    th_lua_cfg_string(&s->lua, "venue.pace", pace, sizeof pace);
    m->full_pace = o->virtual_clock || strcmp(pace, "full") == 0;
    m->speed = th_lua_cfg_number(&s->lua, "venue.speed", 1);
    m->stale_ns = (int64_t)(th_lua_cfg_number(&s->lua, "venue.stale_ms", 5000) * 1e6);
    uv_timer_init(&s->loop, &m->timer);
    uv_idle_init(&s->loop, &m->idle);
    m->timer.data = m->idle.data = s;
    if (feed_read(m)) {
        m->first_ts = m->next_ts;
        th_clock_use_virtual(m->first_ts);
    }
    th_logf(TH_LOG_INFO, "market data from recording", "feed=%s file=%s snapshots=%zu instruments=%d pace=%s speed=%g",
            th_venue_name(venue), buf, m->in.nsnap, m->feed.instruments.n, m->full_pace ? "full" : "recorded", m->speed);
    return 0;
}

static void feed_start(session *s)
{
    session_feed *m = &s->mf;
    if (!m->active) return;
    m->start_mono = th_mono_ns();
    th_hist_reset(&m->lag_ns);
    if (m->full_pace) uv_idle_start(&m->idle, on_feed_idle);
    else uv_timer_start(&m->timer, on_feed_timer, 0, 0);
}

static void feed_close(session *s)
{
    session_feed *m = &s->mf;
    if (!m->active) return;
    th_market_remove(&m->feed);
    th_ingest_close(&m->in);
    th_feed_free(&m->feed);
    free(m->wanted);
    m->active = false;
}

static void on_stop_timer(uv_timer_t *t) { session_stop(t->data, "duration"); }

/* A callback raised (lua_host.c has logged it and stopped the callbacks). Nobody manages the
 * strategy's orders now, so by default they are cancelled (strategy.on_fault = "cancel"); "keep"
 * leaves them resting for an operator who would rather fix and reload. One strategy per host, so
 * "its orders" are every live order. */
static void strategy_faulted(void *ctx, th_strategy *st)
{
    session *s = ctx;
    if (!s->tr.active) return;
    int32_t live = s->tr.flow.trk.nlive;
    if (s->fault_keep) {
        th_logf(TH_LOG_WARN, "strategy faulted: its orders are kept (strategy.on_fault = keep)", "strategy=%s callback=%s live_orders=%d",
                st->name, st->fault_callback, live);
        return;
    }
    th_trading_cancel_all(&s->tr);
    st->fault_orders_cancelled = live;
    th_logf(TH_LOG_ERROR, "strategy faulted: cancelling its orders", "strategy=%s callback=%s live_orders=%d", st->name,
            st->fault_callback, live);
}

static void on_exit_timer(uv_timer_t *t) { session_stop(t->data, "os.exit from Lua"); }

/* os.exit from a strategy or the REPL (lua_budget.c routes it here): the same graceful stop as
 * SIGTERM, started once the Lua that asked has returned, and the process exits with its status. */
static void on_lua_exit(void *ctx, int status)
{
    session *s = ctx;
    th_logf(TH_LOG_WARN, "os.exit called from Lua: stopping gracefully", "status=%d", status);
    if (s->exit_status < 0) s->exit_status = status;
    if (s->exit_timer.loop && !uv_is_closing((uv_handle_t *)&s->exit_timer)) uv_timer_start(&s->exit_timer, on_exit_timer, 0, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
    session *s = h->data;
    if (signum == SIGUSR1) {
        th_logf(TH_LOG_WARN, "SIGUSR1: kill switch", NULL);
        if (s->tr.active) th_flow_kill(&s->tr.flow, TH_RISK_HALTED, "SIGUSR1", th_clock_ns());
        return;
    }
    if (signum == SIGHUP) {
        th_logf(TH_LOG_INFO, "SIGHUP: reloading strategy", "strategy=%s", s->strat.name);
        th_strategy_reload(&s->lua, &s->strat);
        return;
    }
}

/* The first SIGTERM/SIGINT, run on the loop (shutdown.c). */
static void on_stop_signal(void *ctx, int signum) { session_stop(ctx, signum == SIGINT ? "SIGINT" : "SIGTERM"); }

static int start_signal(session *s, uv_signal_t *h, int signum)
{
    uv_signal_init(&s->loop, h);
    h->data = s;
    return uv_signal_start(h, on_signal, signum);
}

/* One rule for where orders fill: a backtest, `--paper`, `venue.paper = true` and the `sim` venue
 * all fill against the in-process paper venue, whatever venue the market data comes from; only
 * `run` on a real venue without paper sends orders to that venue. */
static const char *session_mode(session *s, const th_session_opts *o)
{
    if (strcmp(o->mode, "run") != 0) return o->mode;
    char venue[32] = "";
    th_lua_cfg_string(&s->lua, "venue.name", venue, sizeof venue);
    return th_lua_cfg_bool(&s->lua, "venue.paper", false) || strcmp(venue, "sim") == 0 ? "paper" : "run";
}

int th_session_run(const th_session_opts *o)
{
    static session S; /* one session per process; static keeps handles off the stack */
    session *s = &S;
    memset(s, 0, sizeof *s);
    const char *err = NULL;
    int code = 0;

    if (o->virtual_clock) th_clock_use_virtual(0);
    const char *e2;
    th_metric_register("session_ticks", TH_METRIC_COUNTER, &s->m_ticks, &e2);
    th_metric_register("market_book_events", TH_METRIC_COUNTER, &s->m_book_events, &e2);
    th_metric_register("market_records", TH_METRIC_COUNTER, &s->m_frames, &e2);

    if (th_lua_open(&s->lua, o->home, &err) != 0) {
        fprintf(stderr, "tradehost: cannot start the Lua runtime: %s\n", err);
        th_lua_close(&s->lua);
        return 2;
    }
    char why[1200] = "", config_dir[1024];
    if (th_path_check_readable(o->config_path, why, sizeof why) != 0 ||
        th_path_config_dir(o->config_path, config_dir, sizeof config_dir, why, sizeof why) != 0) {
        fprintf(stderr, "tradehost: config %s: %s\n", o->config_path, why);
        th_lua_close(&s->lua);
        return 2;
    }
    if (th_lua_load_config(&s->lua, o->config_path, config_dir, &err) != 0) {
        fprintf(stderr, "tradehost: invalid config: %s\n", err);
        th_lua_close(&s->lua);
        return 2;
    }
    const char *mode = session_mode(s, o);
    th_hostinfo_set_mode(mode);
    char buf[1024];
    int level;
    if (o->log_level) snprintf(buf, sizeof buf, "%s", o->log_level);
    else th_lua_cfg_string(&s->lua, "log.level", buf, sizeof buf);
    if (th_log_level_parse(buf, &level) == 0) th_log_set_level(level);
    if (th_lua_cfg_string(&s->lua, "log.file", buf, sizeof buf) &&
        (th_path_mkparent(buf, why, sizeof why) != 0 || th_log_open_file(buf, &err) != 0)) {
        fprintf(stderr, "tradehost: log.file %s: %s\n", buf, why[0] ? why : err);
        th_lua_close(&s->lua);
        return 2;
    }
    if (th_strategy_load(&s->lua, &s->strat, &err) != 0) {
        fprintf(stderr, "tradehost: cannot load strategy: %s\n", err);
        th_strategy_release(&s->lua, &s->strat);
        th_lua_close(&s->lua);
        th_log_close();
        return 2;
    }
    s->strategy_loaded = true;
    char on_fault[16] = "cancel";
    th_lua_cfg_string(&s->lua, "strategy.on_fault", on_fault, sizeof on_fault);
    s->fault_keep = strcmp(on_fault, "keep") == 0;
    s->strat.on_fault = strategy_faulted;
    s->strat.on_fault_ctx = s;

    uv_loop_init(&s->loop);
    if (feed_open(s, o, &err) != 0) {
        fprintf(stderr, "tradehost: market data: %s\n", err);
        code = 2;
        goto teardown;
    }
    double stop_timeout_s = th_lua_cfg_number(&s->lua, "session.stop_timeout_s", 10);
    if (th_shutdown_open(&s->loop, stop_timeout_s, on_stop_signal, s) != 0) {
        fprintf(stderr, "tradehost: cannot install the SIGTERM/SIGINT handlers\n");
        code = 2;
        goto teardown;
    }
    start_signal(s, &s->sig_hup, SIGHUP);
    start_signal(s, &s->sig_usr1, SIGUSR1);
    uv_timer_init(&s->loop, &s->tick_timer);
    uv_timer_init(&s->loop, &s->stop_timer);
    uv_timer_init(&s->loop, &s->drain_timer);
    uv_timer_init(&s->loop, &s->exit_timer);
    uv_check_init(&s->loop, &s->turn_check);
    s->tick_timer.data = s->stop_timer.data = s->drain_timer.data = s->turn_check.data = s->exit_timer.data = s;
    s->exit_status = -1;
    th_budget_on_exit(on_lua_exit, s);
    if (o->resume && strcmp(mode, "paper") != 0) {
        fprintf(stderr, "tradehost: --resume continues a paper account; a %s session %s\n", mode,
                strcmp(mode, "backtest") == 0 ? "never inherits a previous run" : "always recovers from its journal");
        code = 2;
        goto teardown;
    }
    why[0] = 0;
    /* The control surfaces bind before the order side opens: everything that can fail at start-up
     * fails before the journal directory is touched (a failed start recovers nothing, reconciles
     * nothing and writes no journal). They serve nothing until the loop runs. */
    if (th_lua_cfg_string(&s->lua, "repl.socket", buf, sizeof buf) &&
        (th_path_mkparent(buf, why, sizeof why) != 0 || th_repl_open(&s->repl, &s->loop, buf, &s->lua, &s->strat, false, &err) != 0)) {
        fprintf(stderr, "tradehost: repl.socket %s: %s\n", buf, why[0] ? why : err);
        code = 2;
        goto teardown;
    }
    why[0] = 0;
    if (th_lua_cfg_string(&s->lua, "repl.readonly_socket", buf, sizeof buf) &&
        (th_path_mkparent(buf, why, sizeof why) != 0 || th_repl_open(&s->repl_ro, &s->loop, buf, &s->lua, &s->strat, true, &err) != 0)) {
        fprintf(stderr, "tradehost: repl.readonly_socket %s: %s\n", buf, why[0] ? why : err);
        code = 2;
        goto teardown;
    }
    if (th_lua_cfg_string(&s->lua, "api.listen", buf, sizeof buf)) {
        char token_env[128];
        bool have_env = th_lua_cfg_string(&s->lua, "api.token_env", token_env, sizeof token_env);
        if (th_api_open(&s->api, &s->loop, buf, have_env ? token_env : NULL, &err) != 0) {
            fprintf(stderr, "tradehost: %s\n", err);
            code = 2;
            goto teardown;
        }
    }
    /* The order side gets the paths it needs here, absolute (th.config resolved them). */
    char journal_dir[512], instruments[512];
    th_trading_opts to = {
        .mode = mode,
        .resume = o->resume,
        .journal_dir = th_lua_cfg_string(&s->lua, "storage.journal_dir", journal_dir, sizeof journal_dir) ? journal_dir : NULL,
        .instruments_path = th_lua_cfg_string(&s->lua, "venue.instruments", instruments, sizeof instruments) ? instruments : NULL,
        .feed = s->mf.active ? &s->mf.feed : NULL,
    };
    if (th_trading_open(&s->tr, &s->lua, &to, &err) != 0) {
        fprintf(stderr, "tradehost: orders: %s\n", err);
        code = 2;
        goto teardown;
    }
    th_trading_use_loop(&s->tr, &s->loop);
    uv_check_start(&s->turn_check, on_turn);

    double tick_ms = th_lua_cfg_number(&s->lua, "strategy.tick_ms", 1000);
    s->tick_ms = tick_ms;
    double duration = o->duration_s > 0 ? o->duration_s : th_lua_cfg_number(&s->lua, "session.duration_s", 0);
    char venue[32] = "", feed[32] = "";
    th_lua_cfg_string(&s->lua, "venue.name", venue, sizeof venue);
    if (!th_lua_cfg_string(&s->lua, "venue.feed", feed, sizeof feed)) snprintf(feed, sizeof feed, "%s", venue);
    th_logf(TH_LOG_INFO, "session starting", "mode=%s venue=%s feed=%s fills=%s strategy=%s pairs=%d tick_ms=%.0f pid=%d", mode,
            venue, s->mf.active ? feed : "none", strcmp(mode, "run") == 0 ? "venue" : "paper", s->strat.name,
            th_lua_cfg_pair_count(&s->lua), tick_ms, (int)uv_os_getpid());

    s->started = true;
    th_strategy_call(&s->lua, &s->strat, "on_start", 0);
    /* On a virtual clock, ticks follow recorded time (on_feed_idle); otherwise a real timer. */
    if (!(s->mf.active && s->mf.full_pace)) uv_timer_start(&s->tick_timer, on_tick, (uint64_t)tick_ms, (uint64_t)tick_ms);
    feed_start(s);
    if (duration > 0) uv_timer_start(&s->stop_timer, on_stop_timer, (uint64_t)(duration * 1000), 0);

    uv_run(&s->loop, UV_RUN_DEFAULT);

    th_logf(TH_LOG_INFO, "session stopped", "ticks=%llu strategy_errors=%llu reloads=%llu reload_failures=%llu",
            (unsigned long long)s->ticks, (unsigned long long)s->strat.errors,
            (unsigned long long)s->strat.reloads, (unsigned long long)s->strat.reload_failures);
    /* The exit status says how the session ended (docs/ops.md, "Exit status"). */
    if (s->strat.faulted) {
        code = TH_EXIT_STRATEGY_FAULTED;
        th_logf(TH_LOG_ERROR, "session ended with a faulted strategy", "strategy=%s callback=%s exit=%d", s->strat.name,
                s->strat.fault_callback, code);
    }
teardown:
    if (code != 0) session_stop(s, "start-up failed");
    uv_run(&s->loop, UV_RUN_DEFAULT); /* let close callbacks run */
    th_api_free(&s->api);             /* lws: the second destroy, after the loop has drained */
    th_trading_close(&s->tr);
    if (th_trading_journal_failed(&s->tr) && (code == TH_EXIT_OK || code == TH_EXIT_STRATEGY_FAULTED)) {
        /* trading stopped because the journal could not be written: the graver of the two endings */
        code = TH_EXIT_JOURNAL_FAILED;
        th_logf(TH_LOG_ERROR, "the session ended on a journal failure", "exit=%d", code);
    }
    if (uv_loop_close(&s->loop) != 0) {
        th_logf(TH_LOG_ERROR, "loop closed with live handles", NULL);
        code = 1;
    }
    feed_close(s);
    th_budget_on_exit(NULL, NULL);
    if (code == 0 && s->exit_status >= 0) code = s->exit_status;
    th_strategy_release(&s->lua, &s->strat);
    th_lua_close(&s->lua);
    th_shutdown_disarm(); /* stopped: a late watchdog must not turn this exit into a forced one */
    th_log_close();
    return code;
}
