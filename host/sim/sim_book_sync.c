/* sim_book_sync.c — the engine's book brought up to a recorded one (see sim_book_sync.h). */
#include "sim_book_sync.h"

#include <stdbool.h>
#include <stdlib.h>

static bool push(th_sim_book_sync *s, int side, int64_t price, int64_t qty)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        th_sim_level_change *c = realloc(s->chg, sizeof *c * cap);
        if (!c) return false;
        s->chg = c;
        s->cap = cap;
    }
    s->chg[s->n++] = (th_sim_level_change){side, price, qty};
    return true;
}

static inline bool better(int side, int64_t a, int64_t b) { return side == TH_BID ? a > b : a < b; }

int th_sim_book_sync_apply(th_sim_engine *e, th_sim_book_sync *s, int32_t ins, const th_book *f, int64_t ts_ns)
{
    const th_book *b = th_sim_market_book(e, ins);
    s->n = 0;
    for (int side = 0; side < 2; side++) {
        int32_t i = 0, j = 0;
        int64_t fp = 0, fq = 0, ep = 0, eq = 0;
        bool hf = th_book_level(f, side, 0, &fp, &fq) == 0, he = b && th_book_level(b, side, 0, &ep, &eq) == 0;
        while (hf || he) {
            bool ok;
            if (hf && he && fp == ep) {
                ok = fq == eq || push(s, side, fp, fq);
                hf = th_book_level(f, side, ++i, &fp, &fq) == 0;
                he = th_book_level(b, side, ++j, &ep, &eq) == 0;
            } else if (hf && (!he || better(side, fp, ep))) {
                ok = push(s, side, fp, fq);
                hf = th_book_level(f, side, ++i, &fp, &fq) == 0;
            } else {
                ok = push(s, side, ep, 0);
                he = th_book_level(b, side, ++j, &ep, &eq) == 0;
            }
            if (!ok) return -1;
        }
    }
    for (size_t k = 0; k < s->n; k++) th_sim_market_level(e, ins, s->chg[k].side, s->chg[k].price, s->chg[k].qty, ts_ns);
    return (int)s->n;
}

void th_sim_book_sync_free(th_sim_book_sync *s)
{
    free(s->chg);
    s->chg = NULL;
    s->n = s->cap = 0;
}
