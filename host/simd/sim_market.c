/* sim_market.c — the matching engine (host/sim) inside the sim process: created with the accounts,
 * and fed the market as it replays.
 *
 * The engine keeps its own copy of each recorded book (it remembers consumed liquidity and queue
 * positions per level). The feed's parsers apply frames to the feed's books, so after each record
 * the two books are compared level by level, best first, and the engine gets every level that
 * differs, as the venue would have shown it: a new or changed quantity, or 0 for a level gone.
 * That is O(levels) per changed book and needs no hook inside the parsers; a snapshot, a
 * truncation and an update all come out as the levels they changed. The changes are collected
 * first and applied after (applying them moves the ranks being compared). */
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "simd.h"

typedef struct simd_level_change {
    int32_t side;
    int64_t price, qty;
} simd_level_change;

static void on_event(void *ctx, const th_sim_event *ev)
{
    simd *s = ctx;
    if (s->venue->order_event) s->venue->order_event(s, ev);
}

static bool push(simd *s, int side, int64_t price, int64_t qty)
{
    if (s->nchg == s->chg_cap) {
        size_t cap = s->chg_cap ? s->chg_cap * 2 : 256;
        simd_level_change *c = realloc(s->chg, sizeof *c * cap);
        if (!c) return false;
        s->chg = c;
        s->chg_cap = cap;
    }
    s->chg[s->nchg++] = (simd_level_change){side, price, qty};
    return true;
}

static inline bool better(int side, int64_t a, int64_t b) { return side == TH_BID ? a > b : a < b; }

void simd_engine_book(simd *s, int32_t sym)
{
    if (!s->engine) return;
    const th_book *f = &s->feed.sym[sym]->book, *e = th_sim_market_book(s->engine, sym);
    s->nchg = 0;
    for (int side = 0; side < 2; side++) {
        int32_t i = 0, j = 0;
        int64_t fp = 0, fq = 0, ep = 0, eq = 0;
        bool hf = th_book_level(f, side, 0, &fp, &fq) == 0, he = e && th_book_level(e, side, 0, &ep, &eq) == 0;
        while (hf || he) {
            bool ok;
            if (hf && he && fp == ep) {
                ok = fq == eq || push(s, side, fp, fq);
                hf = th_book_level(f, side, ++i, &fp, &fq) == 0;
                he = th_book_level(e, side, ++j, &ep, &eq) == 0;
            } else if (hf && (!he || better(side, fp, ep))) {
                ok = push(s, side, fp, fq);
                hf = th_book_level(f, side, ++i, &fp, &fq) == 0;
            } else {
                ok = push(s, side, ep, 0);
                he = th_book_level(e, side, ++j, &ep, &eq) == 0;
            }
            if (!ok) { th_logf(TH_LOG_ERROR, "sim: out of memory feeding the engine", "symbol=%d", sym); return; }
        }
    }
    int64_t ts = simd_now_ns(s);
    for (size_t k = 0; k < s->nchg; k++) th_sim_market_level(s->engine, sym, s->chg[k].side, s->chg[k].price, s->chg[k].qty, ts);
}

void simd_engine_trade(simd *s, int32_t sym, const th_trade_ev *t)
{
    if (!s->engine) return;
    th_sim_market_trade(s->engine, sym, t->price, t->qty, t->side == TH_BID ? TH_SIM_BUY : TH_SIM_SELL, simd_now_ns(s));
}

int simd_engine_open(simd *s, const char **err)
{
    th_sim_config cfg = {
        .instruments = &s->feed.instruments,
        .queue_model = TH_SIM_QUEUE_PROPORTIONAL,
        .rate_model = s->opt.no_rate_limit ? TH_SIM_RATE_NONE : s->venue->rate_model,
        .seed = s->opt.seed,
        .book_depth = s->feed.depth,
        .on_event = on_event,
        .ctx = s,
    };
    s->engine = th_sim_engine_new(&cfg, err);
    if (!s->engine) return -1;
    if (simd_accounts_apply(s, err) != 0) return -1;
    for (int32_t i = 0; i < s->feed.sym_cap; i++)
        if (s->feed.sym[i] && s->feed.sym[i]->book.health == TH_BOOK_OK) simd_engine_book(s, i);
    return 0;
}

void simd_engine_close(simd *s)
{
    if (s->engine) th_sim_engine_free(s->engine);
    s->engine = NULL;
    free(s->chg);
    s->chg = NULL;
    s->nchg = s->chg_cap = 0;
}

int simd_engine_reset(simd *s, const char **err)
{
    if (s->venue->market_only) return 0; /* no accounts to reset */
    if (s->engine) th_sim_engine_free(s->engine);
    s->engine = NULL;
    if (s->venue->reset) s->venue->reset(s);
    return simd_engine_open(s, err);
}
