/* sim_market.c — the matching engine (host/sim) inside the sim process: created with the accounts,
 * and fed the market as it replays (each changed book through th_sim_book_sync_apply, the one
 * mechanism the paper venue uses too).
 * The how and why of that comparison is in host/sim/sim_book_sync.h. */
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "simd.h"

static void on_event(void *ctx, const th_sim_event *ev)
{
    simd *s = ctx;
    if (s->venue->order_event) s->venue->order_event(s, ev);
}

void simd_engine_book(simd *s, int32_t sym)
{
    if (!s->engine) return;
    if (th_sim_book_sync_apply(s->engine, &s->sync, sym, &s->feed.sym[sym]->book, simd_now_ns(s)) < 0)
        th_logf(TH_LOG_ERROR, "sim: out of memory feeding the engine", "symbol=%d", sym);
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
        /* ids are a bijection of seed + sequence: 2^40 apart per reset, a new engine's ids are new */
        .seed = s->opt.seed + ((uint64_t)s->resets << 40),
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
    th_sim_book_sync_free(&s->sync);
}

int simd_engine_reset(simd *s, const char **err)
{
    if (s->venue->market_only) return 0; /* no accounts to reset */
    if (s->engine) {
        s->orders_before += (uint64_t)th_sim_order_count(s->engine);
        s->trades_before += (uint64_t)th_sim_trade_count(s->engine);
        th_sim_engine_free(s->engine);
    }
    s->resets++;
    s->engine = NULL;
    if (s->venue->reset) s->venue->reset(s);
    return simd_engine_open(s, err);
}
