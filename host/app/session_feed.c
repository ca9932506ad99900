/* session_feed.c — a session's market data, paced on its loop (see session_feed.h). */
#include "session_feed.h"

#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../connectors/tick_probe.h"
#include "../core/log.h"
#include "../feed/market.h"
#include "../feed/venue_feed.h"
#include "../net/url.h"
#include "paths.h"

void th_session_feed_metrics(th_session_feed *m)
{
    const char *e;
    th_metric_register("market_book_events", TH_METRIC_COUNTER, &m->m_book_events, &e);
    th_metric_register("market_records", TH_METRIC_COUNTER, &m->m_frames, &e);
    th_session_dispatch_metrics(m);
}

/* Recorded pace: how late market data was applied (timer wake-ups, and whatever held the loop). */
static void lag_report(th_session_feed *m)
{
    if (!m->lag_ns.count || m->lag_reported) return;
    m->lag_reported = true;
    th_logf(TH_LOG_INFO, "market data lag", "wakeups=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f", (unsigned long long)m->lag_ns.count,
            th_hist_quantile(&m->lag_ns, 0.5) / 1e3, th_hist_quantile(&m->lag_ns, 0.99) / 1e3, (double)m->lag_ns.max / 1e3);
}

/* Recorded pace: the session's clock is the recording's, scaled: first frame time plus elapsed
 * wall time times speed, so strategies, stale checks and (later) risk windows all see recorded
 * time, exactly as in a backtest. */
void th_session_feed_clock_sync(th_session_feed *m)
{
    if (m->live) return; /* live: the real clock */
    if (m->active && !m->full_pace && m->start_mono)
        th_clock_advance_to(m->first_ts + (int64_t)((double)(th_mono_ns() - m->start_mono) * m->speed));
}

/* ---- market events to the strategy ---- */

static void on_health(void *ctx, th_feed *f, int32_t sym, int32_t old_h, int32_t new_h, const char *reason)
{
    th_session_feed *m = ctx;
    (void)old_h;
    th_logf(new_h == TH_BOOK_OK ? TH_LOG_DEBUG : TH_LOG_WARN, "book health", "symbol=%s health=%s reason=\"%s\"",
            f->instruments.v[sym].symbol, th_book_health_name(new_h), reason);
    /* Parsers never call Lua: the event waits for the end of this batch. */
    if (m->hq_n == TH_SESSION_HEALTH_QUEUE) { m->hq_dropped++; return; }
    m->hq[m->hq_n++] = (th_health_ev){sym, new_h, reason};
}

/* A recorded trade: the paper venue's resting orders may fill on it. */
static void on_trade(void *ctx, th_feed *f, int32_t sym, const th_trade_ev *t)
{
    th_session_feed *m = ctx;
    th_trading_market_trade(m->tr, sym, t->price, t->qty, t->side, f->now_ns);
}

/* The configured, enabled pairs by instrument index, sized to the registry. Run at start and
 * again whenever the registry has grown (an instrument update added pairs): a configured pair
 * whose instrument data only arrives then starts getting market events, and the order side grows
 * its own per-instrument arrays with it (th_trading_sync_instruments). */
int th_session_feed_wanted_sync(th_session_feed *m)
{
    int32_t n = m->feed.instruments.n, old = m->nwanted;
    if (m->wanted && n <= old) return 0;
    bool *w = realloc(m->wanted, sizeof *w * (size_t)(n > 0 ? n : 1));
    if (!w) return -1;
    memset(w + old, 0, sizeof *w * (size_t)((n > 0 ? n : 1) - old));
    m->wanted = w;
    m->nwanted = n;
    int npairs = th_lua_cfg_pair_count(m->lua);
    for (int i = 0; i < npairs; i++) {
        char sym[64];
        bool enabled;
        if (!th_lua_cfg_pair_symbol(m->lua, i, sym, sizeof sym, &enabled) || !enabled) continue;
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
    th_trading_sync_instruments(m->tr);
    return 0;
}

/* A config reload: the configured pairs again, from the start (pairs leave as well as come), and
 * venue.stale_ms. A pair that joins gets an on_book at the next batch, from the book the feed has
 * kept all along (the feed keeps every instrument's book, configured or not). */
void th_session_feed_reconfigure(th_session_feed *m)
{
    if (!m->active) return;
    m->stale_ns = (int64_t)(th_lua_cfg_number(m->lua, "venue.stale_ms", 5000) * 1e6);
    bool *was = malloc(sizeof *was * (size_t)(m->nwanted > 0 ? m->nwanted : 1));
    if (!was) { th_logf(TH_LOG_ERROR, "out of memory re-reading the pairs: the pair list is unchanged", NULL); return; }
    int32_t n = m->nwanted;
    memcpy(was, m->wanted, sizeof *was * (size_t)n);
    memset(m->wanted, 0, sizeof *m->wanted * (size_t)n);
    int npairs = th_lua_cfg_pair_count(m->lua);
    for (int i = 0; i < npairs; i++) {
        char sym[64];
        bool enabled;
        if (!th_lua_cfg_pair_symbol(m->lua, i, sym, sizeof sym, &enabled) || !enabled) continue;
        int32_t idx = th_instruments_find(&m->feed.instruments, sym, strlen(sym));
        if (idx < 0 || idx >= n) {
            th_logf(TH_LOG_ERROR, "pair has no instrument data: it gets no market events until an instrument update adds it",
                    "symbol=%s instruments=%s", sym, m->instruments_path);
            continue;
        }
        m->wanted[idx] = true;
        th_feed_symbol *fs = th_feed_symbol_at(&m->feed, idx);
        if (fs && !was[idx]) fs->dirty = true; /* its first on_book comes with the next batch */
        if (m->live && !was[idx]) /* the connector subscribes the pairs it is opened with */
            th_logf(TH_LOG_WARN, "pair added by a reload: live market data subscribes at start, so it has no book until a restart",
                    "symbol=%s", sym);
    }
    free(was);
    th_session_dispatch_reconfigure(m);
}

/* After a batch of frames: the pair table follows the registry, then the events
 * (session_dispatch.c: health in order, then on_book per changed pair by priority). */
static void dispatch_market(th_session_feed *m)
{
    if (th_session_feed_wanted_sync(m) != 0) th_logf(TH_LOG_ERROR, "out of memory growing the pair table", NULL);
    th_session_dispatch_batch(m);
}

void th_session_feed_check_stale(th_session_feed *m)
{
    if (!m->active || m->stale_ns <= 0) return;
    th_feed_check_stale(&m->feed, th_clock_ns(), m->stale_ns);
    if (m->have_lead) th_feed_check_stale(&m->lead, th_clock_ns(), m->stale_ns); /* marks them dirty: on_lead */
    if (m->hq_n || m->have_lead) dispatch_market(m);
}

/* ---- pacing ---- */

/* Apply what comes next (a frame, an inline REST body, or a snapshot from venue.snapshots). */
static void apply_next(th_session_feed *m)
{
    if (m->src < 0) { /* the lead: only its own books change (the paper venue never trades on it) */
        th_clock_advance_to(m->next_ts);
        th_metric_inc(m->m_frames);
        th_ingest_step(&m->lead_in);
        return;
    }
    th_trading_market_before(m->tr, m->next_ts);
    th_clock_advance_to(m->next_ts);
    th_metric_inc(m->m_frames);
    th_ingest_step(m->src == 0 ? &m->in : &m->extra[m->src - 1]);
    th_trading_market_after(m->tr, m->next_ts);
}

static bool read_next(th_session_feed *m)
{
    /* several recordings: the one whose next record was received first (ties: the earlier --data) */
    m->have_next = th_ingest_peek(&m->in, &m->next_ts);
    m->src = 0;
    for (int k = 0; k < m->nextra; k++) {
        int64_t ts;
        if (th_ingest_peek(&m->extra[k], &ts) && (!m->have_next || ts < m->next_ts)) {
            m->have_next = true;
            m->next_ts = ts;
            m->src = k + 1;
        }
    }
    /* the lead's record when it was received before (ties: the traded recordings first); the
     * session ends with the traded recordings, whatever is left of the lead */
    int64_t ts;
    if (m->have_lead && m->have_next && th_ingest_peek(&m->lead_in, &ts) && ts < m->next_ts) {
        m->next_ts = ts;
        m->src = -1;
    }
    return m->have_next;
}

static void finished(th_session_feed *m)
{
    m->done = true;
    th_logf(TH_LOG_INFO, "recording finished", "frames=%llu book_events=%llu errors=%llu ignored=%llu", (unsigned long long)m->feed.frames,
            (unsigned long long)m->book_events, (unsigned long long)m->feed.errors, (unsigned long long)m->feed.ignored);
    th_ingest_log_reasons(&m->in);
    for (int k = 0; k < m->nextra; k++) th_ingest_log_reasons(&m->extra[k]);
    if (m->have_lead) th_session_lead_finished(m);
    lag_report(m);
    if (m->full_pace) m->ended(m->ctx);
}

/* Recorded pace: apply everything due by now (scaled by speed), then sleep until the next record. */
static void on_timer(uv_timer_t *t)
{
    th_session_feed *m = t->data;
    if (m->stopping) return;
    th_session_feed_clock_sync(m);
    if (m->due_mono) {
        int64_t lag = th_mono_ns() - m->due_mono;
        th_hist_record(&m->lag_ns, (uint64_t)(lag > 0 ? lag : 0));
        m->due_mono = 0;
    }
    int64_t elapsed = (int64_t)((double)(th_mono_ns() - m->start_mono) * m->speed);
    int n = 0;
    while (m->have_next && m->next_ts - m->first_ts <= elapsed && n < 4096) {
        apply_next(m);
        read_next(m);
        n++;
    }
    dispatch_market(m);
    if (!m->have_next) { finished(m); return; }
    m->due_mono = th_ingest_due(m->next_ts, m->first_ts, m->start_mono, m->speed);
    int64_t due_ns = m->due_mono - th_mono_ns();
    /* Rounded up: a timer rounded down to 0 ms would spin the loop until the record is due. */
    uv_timer_start(&m->timer, on_timer, due_ns > 0 ? (uint64_t)((due_ns + 999999) / 1000000) : 0, 0);
}

/* Full pace (backtest): the recording drives the virtual clock, one loop turn at a time, as a
 * live loop would have met it. The next thing to happen is one of: a tick of recorded time, an
 * answer or request of the paper venue falling due (its latency), or the next record. Records
 * received within one loop turn (turn_ns: venue.latency.turn_ms) are one batch, like the frames a
 * live loop reads in one turn; then the batch's market events go to the strategy and the turn's
 * orders go out (the session's turn hook), before the next batch. So a strategy sees the same
 * sequence of events as at recorded pace (docs/guide.md, "Backtests"). Up to 4096 turns per idle
 * callback, so signals and the REPL still get the loop. */
static void full_pace_turns(th_session_feed *m)
{
    int64_t tick_ns = (int64_t)(m->tick_ms * 1e6);
    /* --from: the books are built from the start (a snapshot may be long before), silently */
    for (; m->from_ns && m->have_next && m->next_ts < m->from_ns && !m->stopping; m->warmup_records++) {
        apply_next(m);
        read_next(m);
    }
    if (m->to_ns && m->have_next && m->next_ts > m->to_ns) m->have_next = false; /* --to: the end */
    for (int turns = 0; turns < 4096 && m->have_next && !m->stopping; turns++) {
        int64_t next = m->next_ts, due = m->next_due ? m->next_due(m->ctx) : INT64_MAX;
        if (m->next_vtick && m->next_vtick <= next && m->next_vtick <= due) {
            int64_t t = m->next_vtick;
            m->next_vtick += tick_ns;
            if (m->before_record) m->before_record(m->ctx, t);
            th_clock_advance_to(t);
            m->tick(m->ctx);
            m->turn(m->ctx);
            continue;
        }
        if (due < next) {
            if (m->before_record) m->before_record(m->ctx, due);
            th_clock_advance_to(due);
            m->turn(m->ctx);
            continue;
        }
        if (m->before_record) m->before_record(m->ctx, next);
        int64_t end = next + m->turn_ns;
        do {
            apply_next(m);
            read_next(m);
        } while (m->have_next && m->next_ts <= end && (!m->next_vtick || m->next_ts < m->next_vtick));
        if (m->to_ns && m->have_next && m->next_ts > m->to_ns) m->have_next = false;
        if (m->next_vtick == 0) m->next_vtick = next + tick_ns;
        dispatch_market(m);
        m->turn(m->ctx);
    }
}

static void on_idle(uv_idle_t *h)
{
    th_session_feed *m = h->data;
    if (m->stopping) { uv_idle_stop(h); return; }
    full_pace_turns(m);
    if (!m->have_next) { uv_idle_stop(h); finished(m); }
}

/* ---- open, start, stop, close ---- */

/* The recording, its instruments and snapshots, each checked readable first so a wrong path is
 * named as such. */
static int open_sources(th_session_feed *m, const char *recording, const char **err)
{
    char ipath[1024];
    if (!th_lua_cfg_string(m->lua, "venue.instruments", ipath, sizeof ipath)) { *err = "venue.instruments is required with venue.recording"; return -1; }
    static char why[1300];
    char w[1200];
    if (th_path_check_readable(ipath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.instruments: %s", w); *err = why; return -1; }
    if (th_path_check_readable(recording, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.recording: %s", w); *err = why; return -1; }
    if (th_instruments_load_file(&m->feed.instruments, ipath, err) <= 0) return -1;
    if (th_ingest_open(&m->in, &m->feed, recording, "session", err) != 0) return -1;
    char spath[1024];
    if (th_lua_cfg_string(m->lua, "venue.snapshots", spath, sizeof spath)) {
        if (th_path_check_readable(spath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.snapshots: %s", w); *err = why; return -1; }
        if (th_ingest_add_snapshots(&m->in, spath, err) != 0) { snprintf(why, sizeof why, "venue.snapshots: %s", *err); *err = why; return -1; }
    }
    for (int k = 0; k < m->ndata; k++) { /* backtest --data beyond the first: merged by receive time */
        if (th_path_check_readable(m->data[k], w, sizeof w) != 0) { snprintf(why, sizeof why, "--data: %s", w); *err = why; return -1; }
        if (th_ingest_open(&m->extra[m->nextra++], &m->feed, m->data[k], "session", err) != 0) return -1;
    }
    for (int k = 1; !m->data_given; k++) { /* venue.data: the same, from the config */
        char key[32], path[1024];
        snprintf(key, sizeof key, "venue.data.%d", k);
        if (!th_lua_cfg_string(m->lua, key, path, sizeof path)) break;
        if (m->nextra == TH_SESSION_MAX_DATA) { snprintf(why, sizeof why, "venue.data: at most %d recordings", TH_SESSION_MAX_DATA); *err = why; return -1; }
        if (th_path_check_readable(path, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.data[%d]: %s", k, w); *err = why; return -1; }
        if (th_ingest_open(&m->extra[m->nextra++], &m->feed, path, "session", err) != 0) return -1;
    }
    snprintf(m->instruments_path, sizeof m->instruments_path, "%s", ipath);
    return 0;
}

/* Live market data: the feed's instruments from venue.instruments, or (none given) from the venue
 * before start (session_instruments.c); the websocket opened at start. */
static int open_live(th_session_feed *m, uv_loop_t *loop, th_venue_id venue, const char **err)
{
    static char why[1300];
    char ipath[1024] = "", w[1200];
    m->fetch_instruments = !th_lua_cfg_string(m->lua, "venue.instruments", ipath, sizeof ipath);
    if (!m->fetch_instruments && th_path_check_readable(ipath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.instruments: %s", w); *err = why; return -1; }
    char url[512];
    th_url u;
    if (th_lua_cfg_string(m->lua, "venue.endpoints.ws_public", url, sizeof url) && th_url_parse(url, &u, w, sizeof w) != 0) {
        snprintf(why, sizeof why, "venue.endpoints.ws_public: %s", w);
        *err = why;
        return -1;
    }
    if (th_feed_init(&m->feed, venue, th_venue_feed_ops_for(venue)->depth) != 0) { *err = "out of memory"; return -1; }
    m->active = m->live = true;
    m->loop = loop;
    m->feed.sink.ctx = m;
    m->feed.sink.on_health = on_health;
    m->feed.sink.on_trade = on_trade;
    if (!m->fetch_instruments && th_instruments_load_file(&m->feed.instruments, ipath, err) <= 0) return -1;
    snprintf(m->instruments_path, sizeof m->instruments_path, "%s", m->fetch_instruments ? "(fetched from the venue)" : ipath);
    if (!m->fetch_instruments && th_session_feed_wanted_sync(m) != 0) { *err = "out of memory"; return -1; }
    th_market_add(&m->feed);
    m->speed = 1;
    m->stale_ns = (int64_t)(th_lua_cfg_number(m->lua, "venue.stale_ms", 5000) * 1e6);
    th_logf(TH_LOG_INFO, "market data live from the venue", "feed=%s instruments=%d", th_venue_name(venue), m->feed.instruments.n);
    if (th_session_dispatch_open(m, loop) != 0) { *err = "out of memory"; return -1; }
    return th_session_lead_open_live(m, err);
}

static void start_live(th_session_feed *m)
{
    char url[512];
    bool have_url = th_lua_cfg_string(m->lua, "venue.endpoints.ws_public", url, sizeof url);
    int n = th_lua_cfg_pair_count(m->lua), k = 0;
    char (*names)[64] = calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    const char **syms = calloc((size_t)(n > 0 ? n : 1), sizeof *syms);
    for (int i = 0; names && syms && i < n; i++) {
        bool enabled;
        if (th_lua_cfg_pair_symbol(m->lua, i, names[k], sizeof names[k], &enabled) && enabled) { syms[k] = names[k]; k++; }
    }
    char why[1024], rest[512];
    bool have_rest = th_lua_cfg_string(m->lua, "venue.endpoints.rest", rest, sizeof rest);
    int rc = -1;
    if (names && syms)
        rc = m->feed.venue == TH_VENUE_BINANCE
                 ? th_binance_public_open(&m->bp, m->loop, have_url ? url : NULL, have_rest ? rest : NULL, &m->feed, syms, k, why, sizeof why)
                 : th_kraken_public_open(&m->kp, m->loop, have_url ? url : NULL, &m->feed, syms, k, why, sizeof why);
    if (rc != 0)
        th_logf(TH_LOG_ERROR, "live market data: cannot start", "why=\"%s\"", names && syms ? why : "out of memory");
    free(names);
    free(syms);
}

void th_session_feed_live_turn(th_session_feed *m)
{
    if (!m->live || m->stopping) return;
    th_trading_market_after(m->tr, th_clock_ns()); /* a paper session's engine follows the live books */
    th_tick_probe_dispatch();
    dispatch_market(m);
}

int th_session_feed_open(th_session_feed *m, uv_loop_t *loop, bool virtual_clock, const char **err)
{
    char buf[1024], venue_name[64];
    if (!th_lua_cfg_string(m->lua, "venue.recording", buf, sizeof buf)) {
        if (!th_lua_cfg_string(m->lua, "venue.feed", venue_name, sizeof venue_name))
            th_lua_cfg_string(m->lua, "venue.name", venue_name, sizeof venue_name);
        th_venue_id v;
        /* Public connectors: Kraken spot and Binance spot. A backtest never goes live. */
        char lead[8];
        if (th_lua_cfg_string(m->lua, "venue.lead.recording", lead, sizeof lead)) /* a lead is a recording beside a recording */
            th_logf(TH_LOG_WARN, "venue.lead is read only beside venue.recording: no lead market in this session", NULL);
        if (virtual_clock || th_venue_parse(venue_name, &v) != 0 || (v != TH_VENUE_KRAKEN && v != TH_VENUE_BINANCE)) return 0;
        return open_live(m, loop, v, err);
    }
    if (!th_lua_cfg_string(m->lua, "venue.feed", venue_name, sizeof venue_name))
        th_lua_cfg_string(m->lua, "venue.name", venue_name, sizeof venue_name);
    th_venue_id venue;
    if (th_venue_parse(venue_name, &venue) != 0 || venue == TH_VENUE_SIM) venue = TH_VENUE_KRAKEN;
    if (th_feed_init(&m->feed, venue, th_venue_feed_ops_for(venue)->depth) != 0) { *err = "out of memory"; return -1; }
    m->active = true;
    m->feed.sink.ctx = m;
    m->feed.sink.on_health = on_health;
    m->feed.sink.on_trade = on_trade;
    if (open_sources(m, buf, err) != 0) return -1;
    if (th_session_feed_wanted_sync(m) != 0) { *err = "out of memory"; return -1; }
    th_market_add(&m->feed);
    char pace[16];
    th_lua_cfg_string(m->lua, "venue.pace", pace, sizeof pace);
    m->full_pace = virtual_clock || strcmp(pace, "full") == 0;
    m->speed = th_lua_cfg_number(m->lua, "venue.speed", 1);
    m->stale_ns = (int64_t)(th_lua_cfg_number(m->lua, "venue.stale_ms", 5000) * 1e6);
    m->turn_ns = (int64_t)(th_lua_cfg_number(m->lua, "venue.latency.turn_ms", 1) * 1e6);
    uv_timer_init(loop, &m->timer);
    uv_idle_init(loop, &m->idle);
    m->timer.data = m->idle.data = m;
    read_next(m);
    int64_t traded_first = m->next_ts; /* --from/--to +S count from the traded recordings' start */
    if (th_session_lead_open(m, err) != 0) return -1;
    if (read_next(m)) {
        m->first_ts = m->next_ts;
        if (m->from_rel) m->from_ns += traded_first;
        if (m->to_rel) m->to_ns += traded_first;
        th_clock_use_virtual(m->first_ts);
    }
    if (th_session_dispatch_open(m, loop) != 0) { *err = "out of memory"; return -1; }
    th_logf(TH_LOG_INFO, "market data from recording", "feed=%s file=%s snapshots=%zu instruments=%d pace=%s speed=%g",
            th_venue_name(venue), buf, m->in.nsnap, m->feed.instruments.n, m->full_pace ? "full" : "recorded", m->speed);
    return 0;
}

void th_session_feed_start(th_session_feed *m, double tick_ms)
{
    if (!m->active) return;
    if (m->live) { start_live(m); th_session_lead_start_live(m); return; }
    m->tick_ms = tick_ms;
    m->start_mono = th_mono_ns();
    m->start_cpu = th_cpu_ns();
    th_hist_reset(&m->lag_ns);
    if (m->full_pace) uv_idle_start(&m->idle, on_idle);
    else uv_timer_start(&m->timer, on_timer, 0, 0);
}

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h)) uv_close(h, NULL);
}

void th_session_feed_stop(th_session_feed *m)
{
    m->stopping = true;
    if (!m->active) return;
    th_session_dispatch_stop(m);
    if (m->live) {
        th_session_lead_stop_live(m);
        if (m->feed.venue == TH_VENUE_BINANCE) th_binance_public_close(&m->bp);
        else th_kraken_public_close(&m->kp);
        return;
    }
    lag_report(m);
    close_handle((uv_handle_t *)&m->timer);
    close_handle((uv_handle_t *)&m->idle);
}

void th_session_feed_close(th_session_feed *m)
{
    if (!m->active) return;
    if (m->fetch_instruments) th_instrument_fetch_free(&m->fx);
    if (m->live && m->feed.venue == TH_VENUE_BINANCE) th_binance_public_free(&m->bp);
    else if (m->live) th_kraken_public_free(&m->kp);
    th_market_remove(&m->feed);
    th_ingest_close(&m->in);
    th_session_lead_close(m);
    for (int k = 0; k < m->nextra; k++) th_ingest_close(&m->extra[k]);
    th_feed_free(&m->feed);
    th_session_dispatch_close(m);
    free(m->wanted);
    m->active = false;
}
