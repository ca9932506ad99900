/* trading.c — the order side's life: open (instruments, paper venue, flow, journal, recovery),
 * one commit-and-send step per loop turn, ticks, marks, cancel-all and close (see trading.h).
 * Its settings come from trading_config.c and its journal file from trading_journal.c; this file
 * only puts them together in the order that keeps money safe. */
#include "trading.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "paths.h"
#include "trading_config.h"

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

int th_trading_top(th_trading *t, int32_t ins, int64_t *bid, int64_t *ask, int32_t *health)
{
    return market_top(t, ins, bid, ask, health);
}

/* ---- instruments ---- */

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
    th_trading_cfg_pair_limits(&t->flow, t->lua, from);
    th_trading_cfg_rates(&t->flow, t->lua, t->currency, from);
    t->nins_config = t->flow.ins->n;
    th_logf(TH_LOG_INFO, "instruments grew: the order side follows", "from=%d to=%d", from, t->flow.ins->n);
}

int32_t th_trading_find_symbol(th_trading *t, const char *symbol)
{
    int32_t i = symbol ? th_instruments_find(t->flow.ins, symbol, strlen(symbol)) : -1;
    if (i >= t->nins_config) th_trading_sync_instruments(t);
    return i < t->flow.nins ? i : -1;
}

/* Without market data, the instruments orders may name come from venue.instruments alone (on the
 * feed's venue, or the venue's own). *ins NULL: none configured, so no order side. */
static int load_own_instruments(th_trading *t, th_lua *lua, const char *venue, const char *path, const th_instruments **ins,
                                const char **err)
{
    static char msg[1400];
    *ins = NULL;
    if (!path) return 0;
    th_venue_id vid = TH_VENUE_KRAKEN;
    char feed_name[32];
    th_venue_parse(th_lua_cfg_string(lua, "venue.feed", feed_name, sizeof feed_name) ? feed_name : venue, &vid);
    th_instruments_init(&t->own, vid == TH_VENUE_SIM ? TH_VENUE_KRAKEN : vid);
    t->own_loaded = true;
    char w[1200];
    if (th_path_check_readable(path, w, sizeof w) != 0) {
        snprintf(msg, sizeof msg, "venue.instruments: %s", w);
        *err = msg;
        return -1;
    }
    if (th_instruments_load_file(&t->own, path, err) <= 0) return -1;
    *ins = &t->own;
    return 0;
}

static const th_book *market_book(void *ctx, int32_t ins)
{
    th_trading *t = ctx;
    if (!t->feed || ins < 0 || ins >= t->feed->sym_cap || !t->feed->sym[ins]) return NULL;
    return &t->feed->sym[ins]->book;
}

/* Paper (and backtest) orders go to the sim's matching engine in-process (paper_venue.c), whatever
 * the market data venue; only a live run goes to the venue's own connector (session.c
 * session_mode has the rule). */
static int order_venue(th_trading *t, th_lua *lua, const char *venue, bool paper, uint64_t seed, const th_instruments *ins,
                       uv_loop_t *loop, th_venue *out, const char **err)
{
    *out = (th_venue){0};
    if (!paper && th_trading_venue_supported(venue)) return th_trading_venue_open(&t->lv, lua, loop, venue, ins, out, err);
    if (!paper) {
        th_logf(TH_LOG_WARN, "no order connector for this venue yet: orders will be refused (no_venue); venue.paper = true or --paper fills them on paper", "venue=%s", venue);
        return 0;
    }
    th_paper_cfg pc;
    memset(&pc, 0, sizeof pc);
    th_trading_cfg_paper(lua, seed, &pc);
    pc.instruments = ins;
    pc.book_depth = t->feed ? t->feed->depth : 0;
    pc.book = market_book;
    pc.book_ctx = t;
    static char msg[256];
    if (th_paper_venue_open(&t->pv, &pc, err) != 0) {
        snprintf(msg, sizeof msg, "paper venue: %s", *err);
        *err = msg;
        return -1;
    }
    t->have_pv = true;
    th_logf(TH_LOG_INFO, "paper venue: the sim's matching engine", "maker_bps=%g taker_bps=%g queue=%s latency=%s order_ms=%g feed_ms=%g seed=%llu",
            pc.maker_bps, pc.taker_bps,
            pc.queue_model == TH_SIM_QUEUE_PESSIMISTIC ? "pessimistic" : pc.queue_model == TH_SIM_QUEUE_OPTIMISTIC ? "optimistic" : "proportional",
            th_paper_latency_dist_name(pc.latency.dist), (double)pc.latency.order_ns / 1e6, (double)pc.latency.feed_ns / 1e6,
            (unsigned long long)seed);
    *out = th_paper_venue_as_venue(&t->pv);
    return 0;
}

/* The flow, wired to the books and the paper venue, with the config's limits and rates. */
static int flow_start(th_trading *t, th_lua *lua, const th_flow_cfg *c, const th_instruments *ins, th_venue v, const char **err)
{
    if (th_flow_init(&t->flow, c, ins, v, NULL, th_clock_ns(), err) != 0) return -1;
    th_flow_set_market(&t->flow, market_top, t);
    if (t->have_pv) t->pv.ev = th_flow_venue_events(&t->flow);
    t->lv.bal = &t->bal;
    /* a live venue's balances gate places once known (paper: the engine refuses by itself) */
    if (t->lv.open) t->flow.bal = &t->bal;
    th_trading_venue_wire(&t->lv, &t->flow);
    t->lua = lua;
    th_trading_cfg_currency(lua, t->currency, sizeof t->currency);
    th_trading_cfg_pair_limits(&t->flow, lua, 0);
    th_trading_cfg_rates(&t->flow, lua, t->currency, 0);
    t->nins_config = ins->n;
    t->active = true;
    return 0;
}

int th_trading_open(th_trading *t, th_lua *lua, const th_trading_opts *o, const char **err)
{
    memset(t, 0, sizeof *t);
    g_trading = t;
    t->feed = o->feed;
    char venue[32] = "";
    th_lua_cfg_string(lua, "venue.name", venue, sizeof venue);
    const th_instruments *ins = o->feed ? &o->feed->instruments : NULL;
    if (!ins) {
        if (load_own_instruments(t, lua, venue, o->instruments_path, &ins, err) != 0) return -1;
        if (!ins) return 0; /* no instruments: no orders */
    }
    th_flow_cfg c;
    th_flow_defaults(&c);
    th_trading_cfg_flow(lua, &c);
    /* Wall time, not the session clock: ids and journal names must differ across restarts even
     * when a paper session replays the same recorded hours. */
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    bool backtest = strcmp(o->mode, "backtest") == 0;
    /* A backtest's ids come from the recording's start, so the same run gives the same ids. */
    int64_t id_ms = backtest ? th_clock_ns() / 1000000 : (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    th_trading_cfg_id_prefix(lua, id_ms, c.prefix, sizeof c.prefix);
    bool paper = strcmp(o->mode, "run") != 0;
    if (!paper) th_trading_venue_rates(lua, venue, &c);
    th_venue v;
    if (order_venue(t, lua, venue, paper, o->seed, ins, o->loop, &v, err) != 0) return -1;
    char fsync_mode[16];
    th_trading_cfg_fsync(lua, fsync_mode, sizeof fsync_mode);
    if (backtest && o->keep_journal) snprintf(fsync_mode, sizeof fsync_mode, "never"); /* nothing to recover */
    if (backtest && !o->keep_journal) {
        if (flow_start(t, lua, &c, ins, v, err) != 0) return -1;
        t->ready = true;
        th_logf(TH_LOG_INFO, "order flow ready (backtest: no journal, no recovery)", "venue=%s prefix=%s", venue, c.prefix);
        return 0;
    }
    if (!o->journal_dir) { *err = "storage.journal_dir: not set"; return -1; }
    char prev[600];
    bool have_prev;
    if (th_trading_journal_prepare(&t->jn, o->journal_dir, paper, o->resume, prev, sizeof prev, &have_prev, err) != 0) return -1;
    if (backtest) have_prev = false; /* a backtest never inherits a previous run */
    th_trading_journal_name(&t->jn, o->journal_dir, &wall);
    if (flow_start(t, lua, &c, ins, v, err) != 0) return -1;
    if (have_prev && th_trading_journal_recover(&t->flow, prev, paper, err) != 0) return -1;
    if (th_trading_journal_create(&t->jn, &t->flow, fsync_mode, err) != 0) return -1;
    if (have_prev || !t->have_pv) th_flow_reconcile(&t->flow, th_clock_ns());
    th_logf(TH_LOG_INFO, "order flow ready", "venue=%s journal=%s fsync=%s prefix=%s budget=%.2f", venue, t->jn.path, fsync_mode,
            c.prefix, c.risk.budget);
    t->ready = true;
    return 0;
}

/* ---- the running order side ---- */

void th_trading_use_loop(th_trading *t, uv_loop_t *loop)
{
    const char *e;
    th_hist_reset(&t->stall_ns);
    th_metric_register("journal_commit_stall_ns", TH_METRIC_HISTOGRAM, &t->m_stall, &e);
    if (!t->active || !t->jn.open || !t->jn.jr.sync || t->jn.jr.commit_each) return;
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

static void note_journal_failure(th_trading *t)
{
    if (t->active) th_trading_journal_note_failure(&t->jn, &t->flow);
}

/* Nothing to journal or send, no venue request or answer due, no failure to note: the turn would
 * do nothing (most turns of a backtest, one per batch of records, are such). */
static bool turn_idle(const th_trading *t, int64_t now)
{
    const th_flow *f = &t->flow;
    return !t->async_commit && !f->nout && !f->commit_out && !f->failed && !(f->jr && th_journal_pending(f->jr)) &&
           (!t->have_pv || th_paper_venue_next_due(&t->pv) > now);
}

void th_trading_turn(th_trading *t)
{
    if (!t->active) return;
    int64_t now = th_clock_ns();
    if (turn_idle(t, now)) return;
    bool records = t->jn.open && th_journal_pending(&t->jn.jr);
    int64_t t0 = records ? th_mono_ns() : 0;
    commit_step(t, now);
    if (t->have_pv) th_paper_venue_pump(&t->pv, now);
    commit_step(t, now);
    if (records) {
        int64_t took = th_mono_ns() - t0;
        th_hist_record(&t->stall_ns, (uint64_t)took);
        th_metric_observe(t->m_stall, took);
    }
    note_journal_failure(t);
}

bool th_trading_journal_settled(th_trading *t)
{
    if (!t->active || !t->jn.open) return true;
    bool busy = t->async_commit && th_committer_busy(&t->cm);
    if (!busy && !th_journal_pending(&t->jn.jr)) return true;
    if (!busy) commit_step(t, th_clock_ns());
    return false;
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

/* ---- the market, for the paper venue ---- */

void th_trading_market_before(th_trading *t, int64_t ts_ns)
{
    /* requests that reached the venue before this record meet the book as it stood */
    if (t->have_pv) th_paper_venue_advance(&t->pv, ts_ns - 1);
}

void th_trading_market_trade(th_trading *t, int32_t ins, int64_t price, int64_t qty, int32_t aggressor, int64_t ts_ns)
{
    if (t->have_pv) th_paper_venue_market_trade(&t->pv, ins, price, qty, aggressor, ts_ns);
}

void th_trading_market_after(th_trading *t, int64_t ts_ns)
{
    if (t->have_pv) th_paper_venue_market_books(&t->pv, ts_ns);
}

int64_t th_trading_next_due(const th_trading *t) { return t->have_pv ? th_paper_venue_next_due(&t->pv) : INT64_MAX; }

int32_t th_trading_cancel_all(th_trading *t)
{
    /* A start that failed part-way (a recovery refused on a damaged journal, a new journal that
     * could not be made durable) holds orders it half-read and no journal to write cancels to:
     * it touches nothing at the venue. */
    if (!t->active || !t->ready) return 0;
    th_flow_cancel_all(&t->flow, -1, th_clock_ns());
    return t->flow.trk.nlive;
}

int32_t th_trading_stop(th_trading *t)
{
    if (!t->active || !t->ready) return 0; /* as th_trading_cancel_all */
    return th_flow_stop(&t->flow, th_clock_ns());
}

int64_t th_trading_drain_estimate_ns(th_trading *t) { return t->active ? th_flow_drain_estimate_ns(&t->flow, th_clock_ns()) : 0; }

int32_t th_trading_log_live(th_trading *t, const char *msg) { return t->active ? th_flow_log_live(&t->flow, msg) : 0; }

/* ---- a config reload ---- */

void th_trading_reconfigure(th_trading *t)
{
    if (!t->active) return;
    th_flow_cfg c;
    th_flow_defaults(&c);
    th_trading_cfg_flow(t->lua, &c);
    th_flow_reconfigure(&t->flow, &c, th_clock_ns());
    th_trading_cfg_pair_limits(&t->flow, t->lua, 0);
    th_trading_cfg_rates_update(&t->flow, t->lua, t->currency);
    /* the paper venue's fees, queue model and latency are its account's for the whole session (as
     * at a venue): a reload does not change them */
}

int32_t th_trading_cancel_pair(th_trading *t, int32_t ins)
{
    if (!t->active || !t->ready || ins < 0) return 0;
    return th_flow_cancel_all(&t->flow, ins, th_clock_ns());
}

/* ---- close ---- */

static void log_commit_stalls(const th_trading *t)
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
}

void th_trading_close_venue(th_trading *t) { th_trading_venue_close(&t->lv); }

void th_trading_close(th_trading *t)
{
    log_commit_stalls(t);
    if (t->active) th_trading_journal_end(&t->jn, &t->flow);
    if (t->active) th_flow_free(&t->flow);
    th_trading_journal_release(&t->jn);
    if (t->have_pv) th_paper_venue_close(&t->pv);
    th_trading_venue_free(&t->lv);
    if (t->own_loaded) th_instruments_free(&t->own);
    th_balances_free(&t->bal);
    free(t->events);
    t->events = NULL;
    t->events_cap = 0;
    t->active = false;
    g_trading = NULL;
}
