/* timeline.c — the session's sampled timeline (see timeline.h for the format and why it is a
 * file of its own). Reads the books through the order side's market view and the flow's
 * positions; writes through a stdio buffer. */
#include "timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"

void th_timeline_our_quotes(const th_trading *t, int32_t ins, int64_t *bid, int64_t *ask)
{
    *bid = *ask = 0;
    int32_t n = 0;
    const th_live *v = th_tracker_live(&t->flow.trk, ins, &n);
    for (int32_t i = 0; i < n; i++) {
        if (v[i].rest <= 0) continue;
        if (v[i].side == TH_BID) { if (!*bid || v[i].price > *bid) *bid = v[i].price; }
        else if (!*ask || v[i].price < *ask) *ask = v[i].price;
    }
}

int th_timeline_open(th_timeline *tl, const char *stem, th_trading *t, th_lua *lua, double interval_ms, uint64_t max_samples,
                     const char **err)
{
    static char msg[800];
    memset(tl, 0, sizeof *tl);
    if (!t->active) { *err = "no order side"; return -1; }
    int npairs = th_lua_cfg_pair_count(lua);
    tl->ins = calloc((size_t)(npairs > 0 ? npairs : 1), sizeof *tl->ins);
    if (!tl->ins) { *err = "out of memory"; return -1; }
    for (int k = 0; k < npairs; k++) {
        char sym[64];
        bool enabled = true;
        if (!th_lua_cfg_pair_symbol(lua, k, sym, sizeof sym, &enabled) || !enabled) continue;
        int32_t i = th_trading_find_symbol(t, sym);
        if (i >= 0) tl->ins[tl->n++] = i;
    }
    snprintf(tl->path, sizeof tl->path, "%s.timeline", stem);
    tl->f = fopen(tl->path, "w");
    if (!tl->f) {
        snprintf(msg, sizeof msg, "%s: cannot create: %s", tl->path, strerror(errno));
        *err = msg;
        free(tl->ins);
        tl->ins = NULL;
        return -1;
    }
    setvbuf(tl->f, tl->buf, _IOFBF, sizeof tl->buf);
    tl->interval_ns = (int64_t)(interval_ms * 1e6);
    if (tl->interval_ns < 1000000) tl->interval_ns = 1000000;
    tl->budget = max_samples ? max_samples : 1;
    fprintf(tl->f, "# tradehost timeline 1\nc %s\n", t->currency[0] ? t->currency : "-");
    for (int32_t k = 0; k < tl->n; k++) {
        const th_instrument *x = &t->flow.ins->v[tl->ins[k]];
        fprintf(tl->f, "i %d %s %d %d %s %.17g\n", k, x->symbol, x->price_dec, x->qty_dec, x->quote[0] ? x->quote : "-",
                t->flow.pf.v[tl->ins[k]].rate);
    }
    tl->next_ns = th_clock_ns();
    return 0;
}

static void sample(th_timeline *tl, th_trading *t, int64_t now)
{
    for (int32_t k = 0; k < tl->n; k++) {
        int32_t ins = tl->ins[k];
        int64_t bid = 0, ask = 0, ob, oa;
        int32_t health = TH_BOOK_EMPTY;
        th_trading_top(t, ins, &bid, &ask, &health);
        th_timeline_our_quotes(t, ins, &ob, &oa);
        const th_position *p = &t->flow.pf.v[ins];
        char pnl[64];
        if (th_money_format(th_position_pnl(p), 0, pnl, sizeof pnl) < 0) snprintf(pnl, sizeof pnl, "0");
        fprintf(tl->f, "s %lld %d %s %lld %lld %lld %lld %lld %s\n", (long long)now, k, th_book_health_name(health), (long long)bid,
                (long long)ask, (long long)ob, (long long)oa, (long long)p->qty, pnl);
    }
    tl->samples++;
    tl->last_ns = now;
}

void th_timeline_turn(th_timeline *tl, th_trading *t)
{
    if (!tl->f || !t->active) return;
    int64_t now = th_clock_ns();
    if (now < tl->next_ns) return;
    sample(tl, t, now);
    if (tl->samples >= tl->budget) { /* bounded: sparser from here on */
        tl->interval_ns *= 2;
        tl->budget += tl->budget / 2 + 1;
    }
    tl->next_ns = now + tl->interval_ns;
}

void th_timeline_close(th_timeline *tl, th_trading *t)
{
    if (tl->f && t->active) {
        int64_t now = th_clock_ns();
        if (!tl->samples || now != tl->last_ns) sample(tl, t, now);
        for (int32_t r = 1; r < TH_RISK_REASON_COUNT; r++)
            if (t->flow.risk.refusals[r]) fprintf(tl->f, "r %s %llu\n", th_risk_reason(r), (unsigned long long)t->flow.risk.refusals[r]);
        for (int32_t k = 0; k < tl->n; k++) /* the same per pair (a refusal for no known pair is in the total only) */
            for (int32_t r = 1; r < TH_RISK_REASON_COUNT; r++) {
                uint64_t n = th_risk_pair_refusals(&t->flow.risk, tl->ins[k], r);
                if (n) fprintf(tl->f, "R %d %s %llu\n", k, th_risk_reason(r), (unsigned long long)n);
            }
        fprintf(tl->f, "e %lld\n", (long long)now);
    }
    if (tl->f && fclose(tl->f) != 0) th_logf(TH_LOG_WARN, "timeline: write failed", "path=%s error=%s", tl->path, strerror(errno));
    tl->f = NULL;
    free(tl->ins);
    tl->ins = NULL;
}
