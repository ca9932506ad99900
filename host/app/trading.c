/* trading.c — the session's order side and the order FFI (see trading.h). */
#include "trading.h"

#include <dirent.h>
#include <errno.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "../core/journal_dir.h"
#include "../core/ffi_guard.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "paths.h"
#include "session.h"

static th_trading *g_trading; /* one per process, like the session */

th_trading *th_trading_current(void) { return g_trading && g_trading->active ? g_trading : NULL; }

/* ---- market view for the gates (book units converted to the instrument's price units) ---- */

static int64_t rescale(int64_t v, int32_t from, int32_t to, bool up)
{
    while (from < to) { v *= 10; from++; }
    while (from > to) {
        int64_t q = v / 10;
        if (up && q * 10 != v) q++;
        v = q;
        from--;
    }
    return v;
}

static int market_top(void *ctx, int32_t ins, int64_t *bid, int64_t *ask, int32_t *health)
{
    th_trading *t = ctx;
    *bid = *ask = 0;
    *health = TH_BOOK_EMPTY;
    if (!t->feed || ins < 0 || ins >= t->feed->sym_cap || !t->feed->sym[ins]) return -1;
    const th_book *b = &t->feed->sym[ins]->book;
    int32_t dec = t->flow.ins->v[ins].price_dec;
    int64_t p, q;
    if (th_book_level(b, TH_BID, 0, &p, &q) == 0) *bid = rescale(p, b->price_dec, dec, false);
    if (th_book_level(b, TH_ASK, 0, &p, &q) == 0) *ask = rescale(p, b->price_dec, dec, true);
    *health = b->health;
    return 0;
}

/* ---- journal files: <dir>/<UTC yyyymmddTHHMMSS>-<ms>-<pid>.thj, so names sort by start time
 * (the directory's lock, choice and failure marker: journal_dir.h) ---- */

static void base36(uint64_t v, char *out)
{
    char tmp[16];
    int n = 0;
    do { tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]; v /= 36; } while (v);
    while (n) *out++ = tmp[--n];
    *out = 0;
}

/* ---- config ---- */

static double pct(th_lua *lua, const char *key, double dflt) { return th_lua_cfg_number(lua, key, dflt * 100) / 100; }

static void pair_limit(th_lua *lua, const char *key, int pair, double dflt_human, int32_t dec, int64_t *out)
{
    char path[64];
    snprintf(path, sizeof path, "pairs.%d.%s", pair + 1, key);
    double v = th_lua_cfg_number(lua, path, dflt_human);
    if (v > 0) th_dec_from_double(v, dec, out);
}

static void load_limits(th_lua *lua, th_flow_cfg *c)
{
    th_risk_limits *l = &c->risk;
    l->budget = th_lua_cfg_number(lua, "risk.budget", 0);
    l->max_notional = th_lua_cfg_number(lua, "risk.max_order_notional", 0);
    l->min_notional = th_lua_cfg_number(lua, "risk.min_order_notional", 0);
    l->max_total_exposure_pct = pct(lua, "risk.max_exposure_pct", 0.80);
    l->max_position_pct = pct(lua, "risk.max_position_pct", 0.15);
    l->max_pair_pct = pct(lua, "risk.max_pair_pct", 0.20);
    l->daily_loss_cap = th_lua_cfg_number(lua, "risk.daily_loss_cap", 0);
    l->max_drawdown = pct(lua, "risk.max_drawdown_pct", 0) * l->budget;
    l->breaker_errors = (int32_t)th_lua_cfg_number(lua, "risk.breaker_errors", 5);
    l->breaker_cooldown_ns = (int64_t)(th_lua_cfg_number(lua, "risk.breaker_cooldown_s", 30) * 1e9);
    l->pair_default.band_bps = pct(lua, "risk.price_band_pct", 0.05) * 1e4;
    l->pair_default.layering_bps = pct(lua, "risk.anti_layering_pct", 0.001) * 1e4;
    l->pair_default.max_open_orders = (int32_t)th_lua_cfg_number(lua, "risk.max_open_orders", 0);
    c->pending_timeout_ns = (int64_t)(th_lua_cfg_number(lua, "risk.pending_timeout_s", 10) * 1e9);
    char buf[32];
    c->adopt_unknown = !(th_lua_cfg_string(lua, "risk.unknown_orders", buf, sizeof buf) && strcmp(buf, "cancel") == 0);
    int hh, mm; /* "HH:MM", checked by the config schema */
    if (th_lua_cfg_string(lua, "risk.day_start_utc", buf, sizeof buf) && sscanf(buf, "%d:%d", &hh, &mm) == 2 && hh >= 0 &&
        hh < 24 && mm >= 0 && mm < 60)
        c->day_offset_ns = ((int64_t)hh * 3600 + mm * 60) * 1000000000LL;
    c->keep_done_ns = (int64_t)(th_lua_cfg_number(lua, "session.keep_done_s", 300) * 1e9);
    c->keep_done_max = (int32_t)th_lua_cfg_number(lua, "session.keep_done_max", 10000);
    c->venue_rate = th_lua_cfg_number(lua, "risk.orders_per_s", 10);
    c->venue_cap = th_lua_cfg_number(lua, "risk.orders_burst", 50);
    c->exec.price_tol_bps = th_lua_cfg_number(lua, "quotes.price_tolerance_bps", 2);
    c->exec.size_tol = pct(lua, "quotes.size_tolerance_pct", 0.10);
    c->exec.amend = th_lua_cfg_bool(lua, "quotes.amend", true);
}

/* Per-pair limits in instrument units, for instruments [from, n): the global default, overridden
 * by the pair's own keys. Run again for instruments an instrument update adds. */
static void load_pair_limits(th_trading *t, th_lua *lua, int32_t from)
{
    const th_instruments *ins = t->flow.ins;
    int n = th_lua_cfg_pair_count(lua);
    double max_size = th_lua_cfg_number(lua, "risk.max_order_size", 0), max_pos = th_lua_cfg_number(lua, "risk.max_position", 0);
    for (int32_t i = from; i < ins->n; i++) {
        th_pair_limits *pl = th_risk_pair(&t->flow.risk, i);
        if (!pl) continue;
        if (max_size > 0) th_dec_from_double(max_size, ins->v[i].qty_dec, &pl->max_order_qty);
        if (max_pos > 0) th_dec_from_double(max_pos, ins->v[i].qty_dec, &pl->max_position);
    }
    for (int p = 0; p < n; p++) {
        char sym[64];
        bool enabled;
        if (!th_lua_cfg_pair_symbol(lua, p, sym, sizeof sym, &enabled)) continue;
        int32_t i = th_instruments_find(ins, sym, strlen(sym));
        if (i < from) continue;
        th_pair_limits *pl = th_risk_pair(&t->flow.risk, i);
        if (!pl) continue;
        pair_limit(lua, "max_order_size", p, 0, ins->v[i].qty_dec, &pl->max_order_qty);
        pair_limit(lua, "min_order_size", p, 0, ins->v[i].qty_dec, &pl->min_order_qty);
        pair_limit(lua, "max_position", p, 0, ins->v[i].qty_dec, &pl->max_position);
        char path[64];
        snprintf(path, sizeof path, "pairs.%d.max_open_orders", p + 1);
        pl->max_open_orders = (int32_t)th_lua_cfg_number(lua, path, pl->max_open_orders);
    }
}

/* Portfolio totals in one currency: each quote currency's rate from risk.rates (1 for the report
 * currency itself; a missing rate is 1 with a warning, never silently wrong twice). For the quote
 * currencies of instruments [from, n) the flow has no rate for yet. */
static void load_rates(th_trading *t, th_lua *lua, int32_t from)
{
    const th_instruments *ins = t->flow.ins;
    for (int32_t i = from; i < ins->n; i++) {
        const char *q = ins->v[i].quote;
        if (!q[0] || strcmp(q, t->currency) == 0 || th_flow_has_rate(&t->flow, q)) continue;
        char path[64];
        snprintf(path, sizeof path, "risk.rates.%s", q);
        double rate = th_lua_cfg_number(lua, path, 0);
        if (rate <= 0) {
            rate = 1;
            if (t->flow.cfg.risk.budget > 0)
                th_logf(TH_LOG_WARN, "no rate for a quote currency: counted 1:1 in portfolio totals", "currency=%s report=%s key=%s", q,
                        t->currency, path);
        }
        th_flow_set_rate(&t->flow, q, rate);
    }
}

/* The registry grew (an instrument update added pairs): the flow's arrays grow, and the new
 * instruments get the config's limits and rates as if they had been there at start. */
void th_trading_sync_instruments(th_trading *t)
{
    if (!t->active || t->flow.ins->n <= t->nins_config) return;
    int32_t from = t->nins_config;
    if (th_flow_grow(&t->flow, th_clock_ns()) != 0) {
        th_logf(TH_LOG_ERROR, "instruments grew but the order side could not: orders on the new ones are refused", "instruments=%d",
                t->flow.ins->n);
        return;
    }
    load_pair_limits(t, t->lua, from);
    load_rates(t, t->lua, from);
    t->nins_config = t->flow.ins->n;
    th_logf(TH_LOG_INFO, "instruments grew: the order side follows", "from=%d to=%d", from, t->flow.ins->n);
}

/* What a resumed paper account carries: every position and its fees, and the kill switch. */
static void log_resumed(th_trading *t)
{
    const th_flow *f = &t->flow;
    for (int32_t i = 0; i < f->pf.n && i < f->ins->n; i++) {
        const th_position *p = &f->pf.v[i];
        if (!p->qty && !p->fills && p->fees == 0 && p->realised == 0) continue;
        th_logf(TH_LOG_INFO, "resumed position", "symbol=%s qty=%.*f fees=%.8g realised=%.8g fills=%lld", f->ins->v[i].symbol,
                (int)f->ins->v[i].qty_dec, th_dec_to_double(p->qty, f->ins->v[i].qty_dec), th_money_to_double(p->fees, p->scale),
                th_money_to_double(p->realised, p->scale), (long long)p->fills);
    }
    if (f->risk.halted)
        th_logf(TH_LOG_WARN, "resumed a halted paper account: orders are refused until th.risk.rearm()", "reason=\"%s\"",
                f->risk.halt_reason);
}

int th_trading_open(th_trading *t, th_lua *lua, const char *home, const char *config_path, const char *mode, bool resume,
                    th_feed *feed, const char **err)
{
    (void)home;
    (void)config_path; /* paths arrive absolute: th.config resolved them beside the config */
    static char msg[1400];
    memset(t, 0, sizeof *t);
    g_trading = t;
    t->feed = feed;
    char venue[32] = "", buf[512];
    th_lua_cfg_string(lua, "venue.name", venue, sizeof venue);
    const th_instruments *ins = feed ? &feed->instruments : NULL;
    if (!ins) {
        if (!th_lua_cfg_string(lua, "venue.instruments", buf, sizeof buf)) return 0; /* no instruments: no orders */
        th_venue_id vid = TH_VENUE_KRAKEN;
        char feed_name[32];
        th_venue_parse(th_lua_cfg_string(lua, "venue.feed", feed_name, sizeof feed_name) ? feed_name : venue, &vid);
        th_instruments_init(&t->own, vid == TH_VENUE_SIM ? TH_VENUE_KRAKEN : vid);
        t->own_loaded = true;
        char w[1200];
        if (th_path_check_readable(buf, w, sizeof w) != 0) {
            snprintf(msg, sizeof msg, "venue.instruments: %s", w);
            *err = msg;
            return -1;
        }
        if (th_instruments_load_file(&t->own, buf, err) <= 0) return -1;
        ins = &t->own;
    }
    th_flow_cfg c;
    th_flow_defaults(&c);
    load_limits(lua, &c);
    char id_prefix[8];
    if (!th_lua_cfg_string(lua, "session.id_prefix", id_prefix, sizeof id_prefix)) snprintf(id_prefix, sizeof id_prefix, "th");
    /* Wall time, not the session clock: ids and journal names must differ across restarts even
     * when a paper session replays the same recorded hours. */
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    char b36[16];
    base36((uint64_t)wall_ms, b36);
    snprintf(c.prefix, sizeof c.prefix, "%s%s", id_prefix, b36);
    th_venue v = {0};
    /* Paper (and backtest) fills against the in-process venue whatever the market data venue; only
     * a live run goes to the venue's own connector (session.c session_mode has the rule). */
    bool paper = strcmp(mode, "run") != 0;
    if (paper) {
        th_test_venue_init(&t->tv);
        t->have_tv = true;
        t->tv.fee_bps = th_lua_cfg_number(lua, "venue.fee_bps", 16);
        t->tv.market_top = market_top;
        t->tv.market_ctx = t;
        t->tv.market_ins = ins;
        v = th_test_venue_as_venue(&t->tv);
    } else {
        th_logf(TH_LOG_WARN, "no order connector for this venue yet: orders will be refused (no_venue); venue.paper = true or --paper fills them on paper", "venue=%s", venue);
    }
    /* journal */
    char dir[512], fsync_mode[16];
    if (!th_lua_cfg_string(lua, "storage.fsync", fsync_mode, sizeof fsync_mode)) snprintf(fsync_mode, sizeof fsync_mode, "turn");
    if (strcmp(mode, "backtest") == 0) {
        if (th_flow_init(&t->flow, &c, ins, v, NULL, th_clock_ns(), err) != 0) return -1;
        th_flow_set_market(&t->flow, market_top, t);
        if (t->have_tv) t->tv.ev = th_flow_venue_events(&t->flow);
        t->lua = lua;
        snprintf(t->currency, sizeof t->currency, "USD");
        th_lua_cfg_string(lua, "risk.currency", t->currency, sizeof t->currency);
        load_pair_limits(t, lua, 0);
        load_rates(t, lua, 0);
        t->nins_config = ins->n;
        t->active = true;
        t->ready = true;
        th_logf(TH_LOG_INFO, "order flow ready (backtest: no journal, no recovery)", "venue=%s prefix=%s", venue, c.prefix);
        return 0;
    }
    /* th.config sets it (default var/journal/<strategy> beside the config), always absolute. */
    if (!th_lua_cfg_string(lua, "storage.journal_dir", dir, sizeof dir)) { *err = "storage.journal_dir: not set"; return -1; }
    char w[1200];
    if (th_path_mkdirs(dir, w, sizeof w) != 0) {
        snprintf(msg, sizeof msg, "storage.journal_dir: %s", w);
        *err = msg;
        return -1;
    }
    /* One host per journal directory, before anything in it is read: a second host would recover
     * the first one's journal, adopt its live orders and trade them too. */
    static char lock_err[700];
    if (th_jdir_lock(dir, &t->lock_fd, lock_err, sizeof lock_err) != 0) { *err = lock_err; return -1; }
    t->have_lock = true;
    int stale = th_jdir_clean(dir);
    if (stale) th_logf(TH_LOG_WARN, "removed journals of start-ups that never finished opening them", "dir=%s files=%d", dir, stale);
    char prev[600];
    bool have_prev = th_jdir_newest(dir, prev, sizeof prev) == 0;
    /* A paper account starts fresh unless --resume: a second paper run must not inherit the first
     * one's exposure, fees and kill switch without being asked to. A live run always recovers. */
    if (paper && resume && !have_prev) {
        snprintf(msg, sizeof msg, "--resume: no paper journal to resume in %s", dir);
        *err = msg;
        return -1;
    }
    if (paper && !resume && have_prev) {
        th_logf(TH_LOG_INFO, "fresh paper account: the previous paper run is not resumed (--resume continues it)",
                "previous=%s", prev);
        have_prev = false;
    }
    time_t now_s = wall.tv_sec;
    struct tm tmv;
    gmtime_r(&now_s, &tmv);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tmv);
    snprintf(t->journal_path, sizeof t->journal_path, "%s/%s-%03d-%d.thj", dir, stamp, (int)(wall_ms % 1000), (int)getpid());
    if (th_flow_init(&t->flow, &c, ins, v, NULL, th_clock_ns(), err) != 0) return -1;
    th_flow_set_market(&t->flow, market_top, t);
    if (t->have_tv) t->tv.ev = th_flow_venue_events(&t->flow);
    t->lua = lua;
    snprintf(t->currency, sizeof t->currency, "USD");
    th_lua_cfg_string(lua, "risk.currency", t->currency, sizeof t->currency);
    load_pair_limits(t, lua, 0);
    load_rates(t, lua, 0);
    t->nins_config = ins->n;
    t->active = true;
    if (have_prev) {
        th_journal_scan scan;
        static char why[700];
        if (th_flow_recover(&t->flow, prev, &scan, err) != 0) {
            if (scan.corrupt)
                snprintf(why, sizeof why, "journal %s: %s (damaged record at byte %llu, valid records again from byte %llu): "
                         "refusing to start on a state that is not known; restore the file or recover by hand", prev, *err,
                         (unsigned long long)scan.bad_offset, (unsigned long long)scan.next_good);
            else snprintf(why, sizeof why, "journal %s: %s (at byte %llu)", prev, *err, (unsigned long long)scan.bad_offset);
            *err = why;
            return -1;
        }
        /* The previous session ended on a journal failure: what it did after the failure never
         * reached the journal (its kill switch included), so start halted until re-armed. */
        char failed_why[400];
        bool prev_failed = th_jdir_failed(prev, failed_why, sizeof failed_why);
        if (prev_failed) th_risk_halt(&t->flow.risk, TH_RISK_HALTED, "the previous session ended on a journal failure");
        th_logf(TH_LOG_INFO, "recovered from the journal", "file=%s records=%llu torn_tail=%s live_orders=%d halted=%s%s", prev,
                (unsigned long long)scan.records, scan.torn_tail ? "yes" : "no", t->flow.trk.nlive, t->flow.risk.halted ? "yes" : "no",
                paper ? " account=paper (resumed: --resume)" : "");
        if (paper) log_resumed(t);
        if (prev_failed)
            th_logf(TH_LOG_ERROR, "the previous session ended on a journal failure: starting halted until re-armed", "file=%s error=\"%s\"",
                    prev, failed_why);
    }
    /* The new journal becomes the one to recover from only once its opening snapshot is durable
     * (journal.h, th_journal_create): a start-up that fails here leaves the previous one newest. */
    if (th_journal_create(&t->jr, t->journal_path, strcmp(fsync_mode, "never") != 0, err) != 0) return -1;
    t->jr.commit_each = strcmp(fsync_mode, "always") == 0;
    t->flow.jr = &t->jr;
    th_flow_journal_begin(&t->flow, th_clock_ns());
    const char *cerr;
    if (t->flow.failed || th_journal_publish(&t->jr, &cerr) != 0) {
        static char why[800];
        snprintf(why, sizeof why, "the new journal's opening snapshot is not durable, so the previous journal stays the one "
                 "to recover from: %s", t->flow.failed ? t->flow.last_error : cerr);
        *err = why;
        th_journal_discard(&t->jr);
        t->flow.jr = NULL;
        return -1;
    }
    t->have_journal = true;
    if (have_prev || !t->have_tv) th_flow_reconcile(&t->flow, th_clock_ns());
    th_logf(TH_LOG_INFO, "order flow ready", "venue=%s journal=%s fsync=%s prefix=%s budget=%.2f", venue, t->journal_path, fsync_mode,
            c.prefix, c.risk.budget);
    t->ready = true;
    return 0;
}

void th_trading_use_loop(th_trading *t, uv_loop_t *loop)
{
    const char *e;
    th_hist_reset(&t->stall_ns);
    th_metric_register("journal_commit_stall_ns", TH_METRIC_HISTOGRAM, &t->m_stall, &e);
    if (!t->active || !t->have_journal || !t->jr.sync || t->jr.commit_each) return;
    const char *on_loop = getenv("TH_JOURNAL_COMMIT_ON_LOOP");
    if (on_loop && strcmp(on_loop, "1") == 0) {
        th_logf(TH_LOG_WARN, "journal commits run on the loop thread (TH_JOURNAL_COMMIT_ON_LOOP)", NULL);
        return;
    }
    th_committer_init(&t->cm, loop, &t->flow);
    t->async_commit = true;
}

/* One commit-and-send step: on the pool when async (the outbox waits for its batch), else here. */
static void commit_step(th_trading *t, int64_t now)
{
    if (t->async_commit) th_committer_kick(&t->cm);
    else th_flow_flush(&t->flow, now);
}

/* The first time the journal is seen failed: leave the marker the next start looks for (the
 * journal itself may take no more writes, so its kill record may never reach the disk). */
static void note_journal_failure(th_trading *t)
{
    if (t->failure_marked || !t->active || !t->have_journal || !t->flow.failed) return;
    t->failure_marked = true;
    if (th_jdir_mark_failed(t->journal_path, t->flow.last_error) != 0)
        th_logf(TH_LOG_ERROR, "cannot write the journal failure marker: the next start will not know to start halted",
                "journal=%s", t->journal_path);
    th_logf(TH_LOG_ERROR, "the journal failed: halted; this session will exit non-zero and the next start halted",
            "journal=%s error=\"%s\"", t->journal_path, t->flow.last_error);
}

void th_trading_turn(th_trading *t)
{
    if (!t->active) return;
    int64_t now = th_clock_ns();
    bool records = t->have_journal && th_journal_pending(&t->jr);
    int64_t t0 = records ? th_mono_ns() : 0;
    commit_step(t, now);
    if (t->have_tv) th_test_venue_pump(&t->tv);
    commit_step(t, now);
    if (records) {
        int64_t took = th_mono_ns() - t0;
        th_hist_record(&t->stall_ns, (uint64_t)took);
        th_metric_observe(t->m_stall, took);
    }
    note_journal_failure(t);
}

void th_trading_end_turn(th_trading *t)
{
    if (t->active) th_flow_end_turn(&t->flow, th_clock_ns());
}

void th_trading_tick(th_trading *t)
{
    if (t->active) th_flow_tick(&t->flow, th_clock_ns());
    note_journal_failure(t); /* an async commit's failure lands between turns */
}

void th_trading_mark(th_trading *t, int32_t ins)
{
    if (!t->active) return;
    int64_t bid, ask;
    int32_t health;
    if (market_top(t, ins, &bid, &ask, &health) == 0 && bid && ask) th_flow_mark(&t->flow, ins, (bid + ask) / 2, th_clock_ns());
}

int32_t th_trading_cancel_all(th_trading *t)
{
    /* A start that failed part-way (a recovery refused on a damaged journal, a new journal that
     * could not be made durable) holds orders it half-read and no journal to write cancels to:
     * it touches nothing at the venue. */
    if (!t->active || !t->ready) return 0;
    th_flow_cancel_all(&t->flow, -1, th_clock_ns());
    return t->flow.trk.nlive;
}

void th_trading_close(th_trading *t)
{
    if (t->stall_ns.count)
        th_logf(TH_LOG_INFO, "loop stall in the journal commit step", "turns=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f commit=%s",
                (unsigned long long)t->stall_ns.count, th_hist_quantile(&t->stall_ns, 0.5) / 1e3,
                th_hist_quantile(&t->stall_ns, 0.99) / 1e3, (double)t->stall_ns.max / 1e3,
                t->async_commit ? "thread_pool" : "loop");
    if (t->cm.batches)
        th_logf(TH_LOG_INFO, "journal writes off the loop", "batches=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f",
                (unsigned long long)t->cm.batches, th_hist_quantile(&t->cm.write_ns, 0.5) / 1e3,
                th_hist_quantile(&t->cm.write_ns, 0.99) / 1e3, (double)t->cm.write_ns.max / 1e3);
    if (t->active && t->have_journal) {
        th_flow_journal_close(&t->flow, th_clock_ns());
        th_logf(TH_LOG_INFO, "order flow closed", "journal=%s records=%llu commits=%llu live_orders=%d fills=%llu", t->journal_path,
                (unsigned long long)t->jr.records, (unsigned long long)t->jr.commits, t->flow.trk.nlive,
                (unsigned long long)t->flow.st.fills);
        note_journal_failure(t); /* also when the closing commit is the one that fails */
    }
    if (t->active) th_flow_free(&t->flow);
    if (t->have_journal) th_journal_close(&t->jr);
    if (t->have_lock) th_jdir_unlock(t->lock_fd);
    t->have_lock = false;
    if (t->have_tv) th_test_venue_free(&t->tv);
    if (t->own_loaded) th_instruments_free(&t->own);
    free(t->events);
    t->events = NULL;
    t->events_cap = 0;
    t->active = false;
    g_trading = NULL;
}

/* ---- events to the strategy ---- */

static double px_h(const th_flow *f, const th_order *o, int64_t v) { return th_dec_to_double(v, f->ins->v[o->instrument].price_dec); }
static double qty_h(const th_flow *f, const th_order *o, int64_t v) { return th_dec_to_double(v, f->ins->v[o->instrument].qty_dec); }

static void push_order(lua_State *L, const th_flow *f, const th_order *o)
{
    lua_createtable(L, 0, 12);
    lua_pushstring(L, o->cl_id); lua_setfield(L, -2, "id");
    lua_pushstring(L, o->ex_id); lua_setfield(L, -2, "venue_id");
    lua_pushstring(L, f->ins->v[o->instrument].symbol); lua_setfield(L, -2, "symbol");
    lua_pushstring(L, o->side == TH_BID ? "buy" : "sell"); lua_setfield(L, -2, "side");
    lua_pushnumber(L, px_h(f, o, o->price)); lua_setfield(L, -2, "price");
    lua_pushnumber(L, qty_h(f, o, o->qty)); lua_setfield(L, -2, "size");
    lua_pushnumber(L, qty_h(f, o, o->filled)); lua_setfield(L, -2, "filled");
    lua_pushstring(L, th_ord_state_name(o->state)); lua_setfield(L, -2, "state");
    lua_pushstring(L, th_done_reason_name(o->done_reason)); lua_setfield(L, -2, "reason");
    lua_pushstring(L, o->tag); lua_setfield(L, -2, "tag");
    lua_pushboolean(L, (o->flags & TH_ORD_ADOPTED) != 0); lua_setfield(L, -2, "adopted");
}

void th_trading_dispatch(th_trading *t, th_lua *lua, th_strategy *strat)
{
    if (!t->active || !t->flow.nev) return;
    th_flow *f = &t->flow;
    lua_State *L = lua->L;
    int32_t n = th_flow_events_take(f, &t->events, &t->events_cap);
    const th_flow_event *evs = t->events;
    for (int32_t i = 0; i < n; i++) {
        const th_order *o = &f->trk.v[evs[i].order];
        if (evs[i].kind == TH_FLOW_EV_FILL) {
            lua_createtable(L, 0, 8);
            lua_pushstring(L, o->cl_id); lua_setfield(L, -2, "id");
            lua_pushstring(L, f->ins->v[o->instrument].symbol); lua_setfield(L, -2, "symbol");
            lua_pushstring(L, o->side == TH_BID ? "buy" : "sell"); lua_setfield(L, -2, "side");
            lua_pushnumber(L, px_h(f, o, evs[i].price)); lua_setfield(L, -2, "price");
            lua_pushnumber(L, qty_h(f, o, evs[i].qty)); lua_setfield(L, -2, "size");
            int32_t scale = f->ins->v[o->instrument].price_dec + f->ins->v[o->instrument].qty_dec;
            lua_pushnumber(L, th_money_to_double(evs[i].fee, scale)); lua_setfield(L, -2, "fee");
            lua_pushstring(L, o->tag); lua_setfield(L, -2, "tag");
            th_strategy_call(lua, strat, "on_fill", 1);
        } else {
            push_order(L, f, o);
            th_strategy_call(lua, strat, "on_order", 1);
        }
    }
}

/* ---- FFI (tradehost.h) ---- */

static const char *const NO_FLOW = "no order flow in this session (the config has no instruments for orders)";

/* An instrument the order side covers: if the registry grew since the last sync (a strategy
 * callback can run before the session's), the flow grows first, so no per-instrument array is
 * ever indexed past its end. */
static int32_t find_symbol(th_trading *t, const char *symbol)
{
    int32_t i = symbol ? th_instruments_find(t->flow.ins, symbol, strlen(symbol)) : -1;
    if (i >= t->nins_config) th_trading_sync_instruments(t);
    return i < t->flow.nins ? i : -1;
}

int th_risk_reason_name(int32_t reason, const char **name)
{
    if (!name) return -1;
    *name = th_risk_reason(reason);
    return reason >= 0 && reason < TH_RISK_REASON_COUNT ? 0 : -1;
}

int th_risk_refusals_get(double *counts, int32_t n)
{
    if (!counts || n < 0) return -1;
    th_trading *t = th_trading_current();
    for (int32_t i = 0; i < n && i < TH_RISK_REASON_COUNT; i++) counts[i] = t ? (double)t->flow.risk.refusals[i] : 0;
    return t ? 0 : -1;
}

int th_risk_status_get(th_risk_view *out)
{
    if (!out) return -1;
    memset(out, 0, sizeof *out);
    th_trading *t = th_trading_current();
    if (!t) return -1;
    const th_risk *r = &t->flow.risk;
    int64_t now = th_clock_ns();
    out->halted = r->halted;
    out->halt_code = r->halt_code;
    out->breaker_open = th_risk_breaker_open(r, now);
    out->consecutive_errors = r->consecutive_errors;
    out->breaker_until_ns = r->breaker_until_ns;
    out->backoff_until_ns = t->flow.backoff.until_ns;
    for (int i = 1; i < TH_RISK_REASON_COUNT; i++) out->refusals_total += (double)r->refusals[i];
    snprintf(out->halt_reason, sizeof out->halt_reason, "%s", r->halt_reason);
    return 0;
}

int th_risk_kill(const char *reason)
{
    th_trading *t = th_trading_current();
    if (!t) return -1;
    th_flow_kill(&t->flow, TH_RISK_HALTED, reason && *reason ? reason : "kill switch from Lua", th_clock_ns());
    return 0;
}

int th_risk_rearm(const char **err)
{
    TH_FFI_ERR(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = NO_FLOW; return -1; }
    th_flow_rearm(&t->flow, th_clock_ns());
    return 0;
}

int th_risk_set_oracle(const char *symbol, double price, const char **err)
{
    TH_FFI_ERR(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t i = find_symbol(t, symbol);
    if (i < 0) { *err = "unknown symbol"; return -1; }
    /* 0 clears it (the band goes back to the book's mid); anything else must be a usable price:
     * a negative or non-finite one would switch the band and exposure gates off */
    if (price == 0) {
        if (th_flow_set_oracle(&t->flow, i, 0) != 0) { *err = "unknown symbol"; return -1; }
        return 0;
    }
    if (!(price > 0) || price == HUGE_VAL) { *err = "reference price must be a positive finite number (0 clears it)"; return -1; }
    int64_t v = 0;
    if (th_dec_from_double(price, t->flow.ins->v[i].price_dec, &v) != 0) { *err = "reference price is out of range for the instrument"; return -1; }
    if (v <= 0) { *err = "reference price rounds to 0 at the instrument's price decimals"; return -1; }
    if (th_flow_set_oracle(&t->flow, i, v) != 0) { *err = "unknown symbol"; return -1; }
    return 0;
}

int th_order_place(const th_order_req *req, char *cl_id_out, int32_t *reason_out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(reason_out);
    *reason_out = TH_RISK_BAD_ORDER;
    TH_FFI_NOT_NULL(req);
    TH_FFI_NOT_NULL(cl_id_out);
    TH_FFI_SIDE(req->side);
    th_trading *t = th_trading_current();
    *reason_out = TH_RISK_NO_VENUE;
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t i = find_symbol(t, req->symbol);
    int64_t price = 0, qty = 0;
    if (i >= 0) {
        const th_instrument *ins = &t->flow.ins->v[i];
        if (th_dec_from_double(req->price, ins->price_dec, &price) != 0 || th_dec_from_double(req->qty, ins->qty_dec, &qty) != 0) {
            *reason_out = TH_RISK_BAD_ORDER; /* NaN, inf or out of range: counted like every refusal */
            th_risk_count(&t->flow.risk, TH_RISK_BAD_ORDER);
            *err = th_risk_reason(TH_RISK_BAD_ORDER);
            return -1;
        }
    }
    int32_t idx = -1;
    int32_t reason = th_flow_place(&t->flow, i, req->side, price, qty, (req->flags & TH_ORDER_POST_ONLY) != 0,
                                   req->tag ? req->tag : "", th_clock_ns(), &idx);
    *reason_out = reason;
    if (reason != TH_RISK_OK) { *err = th_risk_reason(reason); return -1; }
    snprintf(cl_id_out, TH_CLID_MAX, "%s", t->flow.trk.v[idx].cl_id);
    return 0;
}

int th_order_cancel(const char *cl_id, const char **err)
{
    TH_FFI_ERR(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t idx = th_tracker_find_cl(&t->flow.trk, cl_id ? cl_id : "");
    if (idx < 0) { *err = "unknown order"; return -1; }
    int32_t rc = th_flow_cancel(&t->flow, idx, th_clock_ns());
    if (rc == TH_TRK_DUPLICATE) { *err = "cancel already pending"; return -1; }
    if (rc < 0) { *err = "order is already done"; return -1; }
    return 0;
}

int th_order_cancel_all(const char *symbol, int32_t *n_out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(n_out);
    th_trading *t = th_trading_current();
    *n_out = 0;
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t i = -1;
    if (symbol && *symbol && (i = find_symbol(t, symbol)) < 0) { *err = "unknown symbol"; return -1; }
    *n_out = th_flow_cancel_all(&t->flow, i, th_clock_ns());
    return 0;
}

static void fill_view(const th_flow *f, const th_order *o, th_order_view *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->cl_id, sizeof v->cl_id, "%s", o->cl_id);
    snprintf(v->ex_id, sizeof v->ex_id, "%s", o->ex_id);
    snprintf(v->symbol, sizeof v->symbol, "%s", f->ins->v[o->instrument].symbol);
    snprintf(v->tag, sizeof v->tag, "%s", o->tag);
    v->price = px_h(f, o, o->price);
    v->qty = qty_h(f, o, o->qty);
    v->filled = qty_h(f, o, o->filled);
    /* notional_filled is price units times qty units: per qty unit it is a price in price units */
    v->avg_fill_price = o->filled ? (double)o->notional_filled / (double)o->filled /
                                        (double)th_dec_pow10(f->ins->v[o->instrument].price_dec)
                                  : 0;
    v->side = o->side;
    v->state = o->state;
    v->done_reason = o->done_reason;
    v->flags = (int32_t)o->flags;
    v->created_ns = o->created_ns;
    v->state_ns = o->state_ns;
}

int th_order_get(const char *cl_id, th_order_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    th_trading *t = th_trading_current();
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t idx = th_tracker_find_cl(&t->flow.trk, cl_id ? cl_id : "");
    if (idx < 0) { *err = "unknown order"; return -1; }
    fill_view(&t->flow, &t->flow.trk.v[idx], out);
    return 0;
}

int th_orders_open(const char *symbol, th_order_view *out, int32_t max, int32_t *n_out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(n_out);
    *n_out = 0;
    TH_FFI_CHECK(max >= 0, "max must be >= 0");
    TH_FFI_CHECK(out != NULL || max == 0, "out is NULL");
    th_trading *t = th_trading_current();
    *n_out = 0;
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t lo = 0, hi = t->flow.trk.ins_cap;
    if (symbol && *symbol) {
        int32_t i = find_symbol(t, symbol);
        if (i < 0) { *err = "unknown symbol"; return -1; }
        lo = i;
        hi = i + 1;
    }
    int32_t n = 0;
    for (int32_t i = lo; i < hi; i++) {
        int32_t nl;
        const th_live *lv = th_tracker_live(&t->flow.trk, i, &nl);
        for (int32_t k = 0; k < nl; k++) {
            if (n < max) fill_view(&t->flow, &t->flow.trk.v[lv[k].idx], &out[n]);
            n++;
        }
    }
    *n_out = n;
    if (n > max) { *err = "more open orders than the buffer holds"; return -1; }
    return 0;
}

int th_quotes_set(const char *symbol, const th_quote_target *targets, int32_t n, th_quote_result *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    TH_FFI_CHECK(n >= 0 && n <= TH_QUOTES_MAX, "too many quote targets (max 32 per pair)");
    TH_FFI_CHECK(targets != NULL || n == 0, "targets is NULL");
    th_trading *t = th_trading_current();
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t i = find_symbol(t, symbol);
    if (i < 0) { *err = "unknown symbol"; return -1; }
    if (n < 0 || n > TH_QUOTES_MAX) { *err = "too many quote targets (max 32 per pair)"; return -1; }
    const th_instrument *ins = &t->flow.ins->v[i];
    th_quote q[TH_QUOTES_MAX];
    int32_t m = 0;
    for (int32_t k = 0; k < n; k++) {
        const th_quote_target *x = &targets[k];
        if (x->side != TH_BID && x->side != TH_ASK) { *err = "quote side must be buy or sell"; return -1; }
        int64_t px, qty;
        /* human prices round to the tick on the passive side, sizes down to the lot */
        if (th_dec_from_double(x->price, ins->price_dec + 3, &px) != 0 || th_dec_from_double(x->qty, ins->qty_dec + 3, &qty) != 0) {
            *err = "quote price or size is not a finite number";
            return -1;
        }
        int64_t tick = ins->tick > 0 ? ins->tick * 1000 : 1000, lot = ins->lot > 0 ? ins->lot * 1000 : 1000;
        px = x->side == TH_BID ? px / tick * tick : (px + tick - 1) / tick * tick;
        qty = qty / lot * lot;
        if (px <= 0 || qty <= 0) { out->refused++; if (!out->first_refusal) out->first_refusal = TH_RISK_BAD_ORDER; continue; }
        q[m] = (th_quote){x->side, 0, px / 1000, qty / 1000, {0}};
        memcpy(q[m].tag, x->tag, sizeof q[m].tag - 1);
        m++;
    }
    th_quotes_outcome r;
    if (th_flow_quotes(&t->flow, i, q, m, th_clock_ns(), &r) != 0) { *err = "too many live orders on this pair"; return -1; }
    out->kept = r.kept;
    out->placed = r.placed;
    out->cancelled = r.cancelled;
    out->replaced = r.replaced;
    out->refused += r.refused;
    out->waiting = r.waiting;
    if (!out->first_refusal) out->first_refusal = r.first_refusal;
    return 0;
}

int th_position_get(const char *symbol, th_position_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    th_trading *t = th_trading_current();
    if (!t) { *err = NO_FLOW; return -1; }
    int32_t i = find_symbol(t, symbol);
    if (i < 0) { *err = "unknown symbol"; return -1; }
    const th_position *p = &t->flow.pf.v[i];
    const th_instrument *ins = &t->flow.ins->v[i];
    int32_t scale = ins->price_dec + ins->qty_dec;
    out->qty = th_dec_to_double(p->qty, ins->qty_dec);
    out->avg_entry = th_dec_to_double(th_position_avg_entry(p), ins->price_dec);
    out->mark = th_dec_to_double(p->mark, ins->price_dec);
    out->realised = th_money_to_double(p->realised, scale);
    out->unrealised = th_money_to_double(th_position_unrealised(p), scale);
    out->fees = th_money_to_double(p->fees, scale);
    out->day_realised = th_money_to_double(p->day_realised, scale);
    out->day_fees = th_money_to_double(p->day_fees, scale);
    out->bought = th_dec_to_double(p->bought, ins->qty_dec);
    out->sold = th_dec_to_double(p->sold, ins->qty_dec);
    out->fills = p->fills;
    return 0;
}

int th_pnl_get(th_pnl_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    th_trading *t = th_trading_current();
    if (!t) { *err = NO_FLOW; return -1; }
    const th_portfolio *pf = &t->flow.pf;
    for (int32_t i = 0; i < pf->n; i++) {
        const th_position *p = &pf->v[i];
        out->realised += th_position_report(p, p->realised);
        out->unrealised += th_position_report(p, th_position_unrealised(p));
        out->fees += th_position_report(p, p->fees);
    }
    out->total = out->realised + out->unrealised - out->fees;
    out->day = th_portfolio_day_pnl(pf);
    out->peak = pf->peak_pnl;
    out->drawdown = th_portfolio_drawdown(pf);
    out->exposure = pf->total_exposure;
    out->open_notional = t->flow.open_notional;
    snprintf(out->currency, sizeof out->currency, "%s", t->currency);
    return 0;
}

/* ---- `tradehost journal` ---- */

typedef struct journal_symbols {
    th_instruments reg;
    int32_t version;               /* the journal's format version (its session record) */
} journal_symbols;

/* Symbols and their decimals as the journal records them (version 2 on: records naming a symbol
 * carry its decimals), so that the report needs no instrument file. */
static int collect_symbols(void *ctx, const th_jrec *r)
{
    journal_symbols *js = ctx;
    if (r->type == TH_J_SESSION) js->version = r->code;
    if (!r->symbol[0]) return 0;
    int32_t i = th_instruments_find(&js->reg, r->symbol, strlen(r->symbol));
    if (i < 0) {
        th_instrument x;
        memset(&x, 0, sizeof x);
        snprintf(x.symbol, sizeof x.symbol, "%s", r->symbol);
        x.online = true;
        i = th_instruments_put(&js->reg, &x);
        if (i < 0) return -1;
    }
    if (r->price_dec || r->qty_dec) {
        js->reg.v[i].price_dec = r->price_dec;
        js->reg.v[i].qty_dec = r->qty_dec;
    }
    return 0;
}

/* Exact decimal text of an instrument or money value at a scale, trailing zeros dropped. */
static const char *dec_text(char *buf, size_t cap, th_money v, int32_t scale)
{
    if (th_money_format_short(v, scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

int th_journal_cmd(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (!path) path = argv[i];
        else { fprintf(stderr, "tradehost journal: unexpected argument %s\n", argv[i]); return 2; }
    }
    if (!path) { fprintf(stderr, "usage: tradehost journal FILE|DIR [--json]\n"); return 2; }
    char file[600];
    struct stat sb;
    if (stat(path, &sb) != 0) {
        size_t n = strlen(path);
        if (errno == ENOENT)
            fprintf(stderr, "tradehost journal: %s: no such %s (a host writes its journals to storage.journal_dir, by default"
                            " var/journal/<strategy> beside its config)\n",
                    path, n > 4 && strcmp(path + n - 4, ".thj") == 0 ? "file" : "directory");
        else fprintf(stderr, "tradehost journal: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (th_jdir_newest(path, file, sizeof file) != 0) { fprintf(stderr, "tradehost journal: %s: no .thj file\n", path); return 1; }
    } else snprintf(file, sizeof file, "%s", path);
    th_log_set_level(TH_LOG_ERROR);
    /* Positions and orders are in instrument units; the journal names each symbol's decimals. */
    journal_symbols js = {.version = 0};
    th_instruments *reg = &js.reg;
    th_instruments_init(reg, TH_VENUE_SIM);
    th_journal_scan scan;
    const char *err = NULL;
    if (th_journal_read(file, collect_symbols, &js, &scan, &err) != 0) {
        if (scan.corrupt)
            fprintf(stderr, "tradehost journal: %s: %s (damaged record at byte %llu after %llu good records, valid records again from byte %llu)\n",
                    file, err, (unsigned long long)scan.bad_offset, (unsigned long long)scan.records, (unsigned long long)scan.next_good);
        else fprintf(stderr, "tradehost journal: %s: %s (at byte %llu)\n", file, err, (unsigned long long)scan.bad_offset);
        th_instruments_free(reg);
        return 1;
    }
    th_flow_cfg c;
    th_flow_defaults(&c);
    th_flow f;
    int rc = 0;
    char a[64], b[64], d[64], e[64];
    if (th_flow_init(&f, &c, reg, (th_venue){0}, NULL, 0, &err) != 0 || th_flow_recover(&f, file, &scan, &err) != 0) {
        fprintf(stderr, "tradehost journal: %s: %s\n", file, err);
        rc = 1;
    } else if (json) {
        /* integers in instrument units (exact, for tools); decimals per symbol to convert them */
        printf("{\"file\": ");
        json_str(file);
        printf(", \"version\": %d, \"records\": %llu, \"torn_tail\": %s, \"halted\": %s, \"halt_reason\": ", js.version,
               (unsigned long long)scan.records, scan.torn_tail ? "true" : "false", f.risk.halted ? "true" : "false");
        json_str(f.risk.halt_reason);
        printf(", \"orders\": {");
        for (int32_t i = 0, k = 0; i < f.trk.n; i++) {
            const th_order *o = &f.trk.v[i];
            if (o->state == TH_ORD_RETIRED) continue;
            printf("%s\n  ", k++ ? "," : "");
            json_str(o->cl_id);
            printf(": {\"symbol\": ");
            json_str(reg->v[o->instrument].symbol);
            printf(", \"side\": \"%s\", \"state\": \"%s\", \"reason\": \"%s\", \"price\": %lld, \"qty\": %lld, \"filled\": %lld, "
                   "\"adopted\": %s}",
                   o->side == TH_BID ? "buy" : "sell", th_ord_state_name(o->state), th_done_reason_name(o->done_reason),
                   (long long)o->price, (long long)o->qty, (long long)o->filled, (o->flags & TH_ORD_ADOPTED) ? "true" : "false");
        }
        printf("},\n \"positions\": {");
        int k = 0;
        for (int32_t i = 0; i < reg->n; i++) {
            const th_position *p = &f.pf.v[i];
            printf("%s\n  ", k++ ? "," : "");
            json_str(reg->v[i].symbol);
            printf(": {\"qty\": %lld, \"cost\": %s, \"realised\": %s, \"fees\": %s, \"fills\": %lld, \"price_dec\": %d, \"qty_dec\": %d}",
                   (long long)p->qty, dec_text(a, sizeof a, p->cost, 0), dec_text(b, sizeof b, p->realised, 0),
                   dec_text(d, sizeof d, p->fees, 0), (long long)p->fills, reg->v[i].price_dec, reg->v[i].qty_dec);
        }
        printf("}}\n");
    } else {
        printf("%s: %llu records%s; %d orders, %d live; halted: %s\n", file, (unsigned long long)scan.records,
               scan.torn_tail ? " (torn last record ignored)" : "", f.trk.n, f.trk.nlive, f.risk.halted ? f.risk.halt_reason : "no");
        for (int32_t i = 0; i < reg->n; i++) {
            const th_position *p = &f.pf.v[i];
            const th_instrument *ins = &reg->v[i];
            int32_t scale = ins->price_dec + ins->qty_dec;
            printf("  %-12s position %s  avg entry %s  realised %s  fees %s (quote currency)", ins->symbol, dec_text(a, sizeof a, p->qty, ins->qty_dec),
                   dec_text(b, sizeof b, th_position_avg_entry(p), ins->price_dec), dec_text(d, sizeof d, p->realised, scale),
                   dec_text(e, sizeof e, p->fees, scale));
            printf("\n");
        }
        if (js.version < 2)
            printf("  (journal format version %d records no decimals: figures are in instrument units)\n", js.version);
    }
    th_flow_free(&f);
    th_instruments_free(reg);
    return rc;
}
