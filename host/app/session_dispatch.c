/* session_dispatch.c — a batch's market events to the strategies: on_book_health in order, then
 * one on_book per changed pair, by priority within the turn's budget, and overload mode (see
 * session_dispatch.h; what runs when: core/dispatch_prio.c).
 *
 * A deferred pair keeps its book's dirty flag, so its next on_book (next turn) carries the latest
 * book: conflated, never lost. While pairs wait, an idle handle keeps the loop turning (a live
 * loop would otherwise sleep until the next frame). A paused level's pairs have their orders
 * cancelled through the order flow (journaled, confirmed by the venue like any cancel), get no
 * on_book, and may not place orders or set quotes from any strategy callback (order_ffi.c) until
 * they resume; then each gets an on_book with its current book. */

#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "session_feed.h"
#include "tradehost.h"

static th_session_feed *g_feed; /* one session per process: the order entry points and th.status() ask */

void th_session_dispatch_metrics(th_session_feed *m)
{
    th_session_dispatch *d = &m->disp;
    const char *e;
    th_metric_register("dispatch_overload_active", TH_METRIC_GAUGE, &d->m_overload, &e);
    th_metric_register("dispatch_paused_pairs", TH_METRIC_GAUGE, &d->m_paused, &e);
    th_metric_register("dispatch_overload_enters_total", TH_METRIC_COUNTER, &d->m_enters, &e);
    th_metric_register("dispatch_overload_exits_total", TH_METRIC_COUNTER, &d->m_exits, &e);
    th_metric_register("dispatch_forced_total", TH_METRIC_COUNTER, &d->m_forced, &e);
    for (int l = 1; l <= TH_PRIO_LEVELS; l++) {
        char name[96];
        snprintf(name, sizeof name, "dispatch_deferred_total{priority=\"%d\"}", l);
        th_metric_register(name, TH_METRIC_COUNTER, &d->m_deferred[l], &e);
        snprintf(name, sizeof name, "dispatch_paused_skips_total{priority=\"%d\"}", l);
        th_metric_register(name, TH_METRIC_COUNTER, &d->m_skipped[l], &e);
        snprintf(name, sizeof name, "dispatch_delay_ns{priority=\"%d\"}", l);
        th_metric_register(name, TH_METRIC_HISTOGRAM, &d->m_delay[l], &e);
    }
}

/* Each configured pair's priority (the config resolved pair over instance over 2), 0 for others. */
static int levels_sync(th_session_feed *m)
{
    th_session_dispatch *d = &m->disp;
    int32_t n = m->nwanted;
    if (th_prio_resize(&d->prio, n) != 0) return -1;
    if (n > d->nsince) {
        int64_t *s = realloc(d->since, sizeof *s * (size_t)n);
        if (!s) return -1;
        memset(s + d->nsince, 0, sizeof *s * (size_t)(n - d->nsince));
        d->since = s;
        d->nsince = n;
    }
    for (int32_t i = 0; i < d->prio.npair; i++) th_prio_set_level(&d->prio, i, 0);
    int npairs = th_lua_cfg_pair_count(m->lua);
    for (int k = 0; k < npairs; k++) {
        char sym[64], key[48];
        bool enabled;
        if (!th_lua_cfg_pair_symbol(m->lua, k, sym, sizeof sym, &enabled) || !enabled) continue;
        int32_t idx = th_instruments_find(&m->feed.instruments, sym, strlen(sym));
        if (idx < 0 || idx >= n || !m->wanted[idx]) continue;
        snprintf(key, sizeof key, "pairs.%d.priority", k + 1);
        th_prio_set_level(&d->prio, idx, (int)th_lua_cfg_number(m->lua, key, TH_PRIO_DEFAULT));
    }
    th_prio_reconfigured(&d->prio);
    return 0;
}

static void settings(th_session_feed *m)
{
    th_session_dispatch *d = &m->disp;
    double budget_us = th_lua_cfg_number(m->lua, "session.turn_budget_us", 5000);
    d->timed = !m->full_pace && budget_us > 0;
    d->prio.budget_ns = d->timed ? (int64_t)(budget_us * 1e3) : 0;
    d->prio.max_wait = (int32_t)th_lua_cfg_number(m->lua, "session.max_defer_turns", 10);
    d->prio.overload_turns = (int32_t)th_lua_cfg_number(m->lua, "session.overload_turns", 5);
    d->prio.calm_ns = (int64_t)(th_lua_cfg_number(m->lua, "session.overload_calm_ms", 2000) * 1e6);
}

int th_session_dispatch_open(th_session_feed *m, uv_loop_t *loop)
{
    th_session_dispatch *d = &m->disp;
    th_prio_init(&d->prio, 0, 10, 5, 0);
    settings(m);
    if (levels_sync(m) != 0) return -1;
    if (!m->full_pace) {
        uv_idle_init(loop, &d->backlog);
        d->backlog.data = m;
        d->backlog_open = true;
    }
    g_feed = m;
    return 0;
}

static void resume_level(th_session_feed *m, int level, const char *why);

void th_session_dispatch_reconfigure(th_session_feed *m)
{
    th_session_dispatch *d = &m->disp;
    if (!d->prio.pair) return;
    settings(m);
    /* overload mode starts over under the new settings: the paused levels resume first */
    for (int l = 1; l <= TH_PRIO_LEVELS; l++)
        if (d->prio.paused >> l & 1) resume_level(m, l, "config reload");
    d->prio.paused = 0;
    d->prio.npause_order = 0;
    if (d->prio.overload) { d->prio.overload = false; d->prio.exits++; }
    if (levels_sync(m) != 0) th_logf(TH_LOG_ERROR, "out of memory re-reading the pairs' priorities", NULL);
}

/* ---- pause and resume ---- */

static void pause_level(th_session_feed *m, int level)
{
    th_session_dispatch *d = &m->disp;
    int32_t cancelled = 0, pairs = 0;
    char first[256] = "";
    size_t used = 0;
    for (int32_t i = 0; i < d->prio.npair; i++) {
        if (d->prio.pair[i].level != level) continue;
        pairs++;
        cancelled += th_trading_cancel_pair(m->tr, i); /* quotes pulled through the order flow */
        d->since[i] = 0; /* waited stays: after the resume the pairs that waited longest go first */
        if (used < sizeof first - 64)
            used += (size_t)snprintf(first + used, sizeof first - used, "%s%s", used ? "," : "", m->feed.instruments.v[i].symbol);
    }
    d->paused_pairs += pairs;
    th_logf(TH_LOG_WARN, "overload: lowest priority paused (quotes pulled, no on_book until the loop catches up)",
            "priority=%d pairs=%d orders_cancelled=%d reason=\"deferrals in %d turns in a row, the last turn's on_book took %.0f us, budget %.0f us\" "
            "symbols=%s%s",
            level, pairs, cancelled, d->prio.overload_turns, (double)d->prio.work_ns / 1e3, (double)d->prio.budget_ns / 1e3, first,
            pairs > 0 && used >= sizeof first - 64 ? ",..." : "");
}

static void resume_level(th_session_feed *m, int level, const char *why)
{
    th_session_dispatch *d = &m->disp;
    int32_t pairs = 0;
    for (int32_t i = 0; i < d->prio.npair; i++) {
        if (d->prio.pair[i].level != level) continue;
        pairs++;
        th_feed_symbol *fs = i < m->feed.sym_cap ? m->feed.sym[i] : NULL;
        if (fs) fs->dirty = true; /* its on_book with the current book, next batch */
    }
    d->paused_pairs -= pairs;
    if (d->paused_pairs < 0) d->paused_pairs = 0;
    th_logf(TH_LOG_WARN, "overload: priority resumed (on_book with the current book, quoting again)", "priority=%d pairs=%d reason=\"%s\"",
            level, pairs, why);
}

/* ---- the turn ---- */

static void sync_metrics(th_session_dispatch *d)
{
    th_prio *p = &d->prio;
    th_metric_set(d->m_overload, p->overload ? 1 : 0);
    th_metric_set(d->m_paused, d->paused_pairs);
    for (int l = 1; l <= TH_PRIO_LEVELS; l++) {
        if (p->deferred[l] != d->seen_deferred[l]) th_metric_add(d->m_deferred[l], (double)(p->deferred[l] - d->seen_deferred[l]));
        if (p->skipped[l] != d->seen_skipped[l]) th_metric_add(d->m_skipped[l], (double)(p->skipped[l] - d->seen_skipped[l]));
        d->seen_deferred[l] = p->deferred[l];
        d->seen_skipped[l] = p->skipped[l];
    }
    if (p->enters != d->seen_enters) th_metric_add(d->m_enters, (double)(p->enters - d->seen_enters));
    if (p->exits != d->seen_exits) th_metric_add(d->m_exits, (double)(p->exits - d->seen_exits));
    if (p->forced != d->seen_forced) th_metric_add(d->m_forced, (double)(p->forced - d->seen_forced));
    d->seen_enters = p->enters, d->seen_exits = p->exits, d->seen_forced = p->forced;
}

static void on_backlog(uv_idle_t *h)
{
    th_session_feed *m = h->data;
    /* live: the session's check handle dispatches each turn; the idle only keeps the loop from
     * sleeping. Recorded pace: the timer dispatches only when a record is due, so this does. */
    if (!m->live && !m->stopping) th_session_dispatch_batch(m);
}

static void backlog_keep(th_session_dispatch *d, bool on)
{
    if (!d->backlog_open || on == d->backlog_on) return;
    d->backlog_on = on;
    if (on) uv_idle_start(&d->backlog, on_backlog);
    else uv_idle_stop(&d->backlog);
}

static void on_book(th_session_feed *m, int32_t i)
{
    th_trading_mark(m->tr, i);
    m->book_events++;
    th_metric_inc(m->m_book_events);
    th_strategy_call_symbol(m->lua, m->strat, "on_book", i, m->feed.instruments.v[i].symbol);
}

void th_session_dispatch_batch(th_session_feed *m)
{
    lua_State *L = m->lua->L;
    for (int i = 0; i < m->hq_n; i++) {
        th_health_ev *e = &m->hq[i];
        if (!th_session_feed_wanted(m, e->sym)) continue;
        lua_pushstring(L, m->feed.instruments.v[e->sym].symbol);
        lua_pushstring(L, th_book_health_name(e->health));
        lua_pushstring(L, e->reason ? e->reason : "");
        th_strategy_call(m->lua, m->strat, "on_book_health", 3);
    }
    m->hq_n = 0;
    th_session_dispatch *d = &m->disp;
    th_prio *p = &d->prio;
    if (p->npair < m->nwanted && levels_sync(m) != 0) th_logf(TH_LOG_ERROR, "out of memory growing the priority table", NULL);
    int64_t t0 = d->timed ? th_mono_ns() : 0;
    th_prio_begin(p, t0);
    for (int32_t i = 0; i < m->feed.sym_cap; i++) {
        th_feed_symbol *fs = m->feed.sym[i];
        if (!fs || !fs->dirty) continue;
        if (!th_session_feed_wanted(m, i) || i >= p->npair) { fs->dirty = false; continue; }
        if (!th_prio_add(p, i)) { fs->dirty = false; continue; } /* paused: its resume brings an on_book */
        if (d->timed && !d->since[i]) d->since[i] = t0;
    }
    th_prio_plan(p);
    for (int32_t k = 0; k < p->nplan; k++) {
        int32_t i = p->plan[k];
        int64_t now = d->timed ? th_mono_ns() : 0;
        if (!th_prio_may_run(p, i, now)) continue; /* stays dirty: next turn, with the latest book */
        m->feed.sym[i]->dirty = false;
        if (d->timed) {
            th_metric_observe(d->m_delay[p->pair[i].level], now - d->since[i]);
            d->since[i] = 0;
        }
        on_book(m, i);
    }
    th_prio_action a = th_prio_end(p, d->timed ? th_mono_ns() : 0);
    if (a == TH_PRIO_PAUSE) pause_level(m, p->action_level);
    else if (a == TH_PRIO_RESUME) resume_level(m, p->action_level, "the loop caught up: no deferral and under half the budget for overload_calm_ms");
    if (p->enters != d->seen_enters && !p->paused)
        th_logf(TH_LOG_WARN, "overload: the loop is behind and no priority can be paused (one level left running)",
                "budget_us=%.0f work_us=%.0f", (double)p->budget_ns / 1e3, (double)p->work_ns / 1e3);
    if (p->exits != d->seen_exits) th_logf(TH_LOG_WARN, "overload: ended, every priority dispatched again", NULL);
    sync_metrics(d);
    backlog_keep(d, th_prio_backlog(p) || a == TH_PRIO_RESUME);
    if (m->have_lead) th_session_lead_dispatch(m); /* the lead's changed books, after the pairs' */
}

void th_session_dispatch_stop(th_session_feed *m)
{
    th_session_dispatch *d = &m->disp;
    if (d->backlog_open && !uv_is_closing((uv_handle_t *)&d->backlog)) uv_close((uv_handle_t *)&d->backlog, NULL);
    d->backlog_open = false; /* a dispatch after the stop (a last stale check) starts no handle */
}

void th_session_dispatch_close(th_session_feed *m)
{
    th_session_dispatch *d = &m->disp;
    th_prio_free(&d->prio);
    free(d->since);
    d->since = NULL;
    d->nsince = 0;
    if (g_feed == m) g_feed = NULL;
}

/* ---- what others ask ---- */

int th_session_dispatch_pair(const th_session_feed *m, int32_t ins, bool *paused)
{
    const th_prio *p = &m->disp.prio;
    *paused = th_prio_is_paused(p, ins);
    return ins >= 0 && ins < p->npair ? p->pair[ins].level : 0;
}

bool th_dispatch_pair_paused(int32_t ins) { return g_feed && th_prio_is_paused(&g_feed->disp.prio, ins); }

int th_session_dispatch_health(const th_session_feed *m, FILE *f)
{
    const th_prio *p = &m->disp.prio;
    fprintf(f, ",\"dispatch\":{\"overload\":%s,\"paused_priorities\":[", p->overload ? "true" : "false");
    for (int l = 1, n = 0; l <= TH_PRIO_LEVELS; l++)
        if (p->paused >> l & 1) fprintf(f, "%s%d", n++ ? "," : "", l);
    fprintf(f, "],\"paused_pairs\":%d,\"turn_budget_us\":%.0f,\"overload_enters\":%llu,\"overload_exits\":%llu,\"deferred\":{",
            m->disp.paused_pairs, (double)p->budget_ns / 1e3, (unsigned long long)p->enters, (unsigned long long)p->exits);
    for (int l = 1; l <= TH_PRIO_LEVELS; l++) fprintf(f, "%s\"%d\":%llu", l > 1 ? "," : "", l, (unsigned long long)p->deferred[l]);
    fputs("}}", f);
    return p->overload ? 1 : 0;
}

/* th.dispatch() and th.status()'s priority fields (tradehost.h). */
int th_dispatch_status_get(th_dispatch_view *out)
{
    if (!out) return -1;
    memset(out, 0, sizeof *out);
    if (!g_feed) return -1;
    const th_prio *p = &g_feed->disp.prio;
    out->overload = p->overload;
    out->paused_levels = p->paused;
    out->paused_pairs = g_feed->disp.paused_pairs;
    out->turn_budget_us = (double)p->budget_ns / 1e3;
    out->enters = p->enters;
    out->exits = p->exits;
    out->turns = p->turns;
    out->over_budget_turns = p->over_budget_turns;
    out->forced = p->forced;
    for (int l = 1; l <= TH_PRIO_LEVELS; l++) {
        out->dispatched[l] = p->dispatched[l];
        out->deferred[l] = p->deferred[l];
        out->skipped[l] = p->skipped[l];
        out->changed[l] = p->changed[l];
    }
    return 0;
}

int th_dispatch_pair_get(const char *symbol, int32_t *priority, int32_t *paused)
{
    if (!symbol || !priority || !paused || !g_feed) return -1;
    int32_t i = th_instruments_find(&g_feed->feed.instruments, symbol, strlen(symbol));
    bool pz;
    *priority = i >= 0 ? th_session_dispatch_pair(g_feed, i, &pz) : 0;
    *paused = i >= 0 && pz;
    return *priority ? 0 : -1;
}
