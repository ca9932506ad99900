/* sim_book_sync.c — the engine's book brought up to a recorded one (see sim_book_sync.h). */
#include "sim_book_sync.h"

#include <stdlib.h>
#include <string.h>

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

/* Whole sides, best first. */
static bool diff_all(th_sim_book_sync *s, const th_book *f, const th_book *b)
{
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
            if (!ok) return false;
        }
    }
    return true;
}

/* Index of the last key <= k in the side (keys ascending, best last), or start - 1. */
static int32_t last_at_most(const th_book_side *sd, int64_t k)
{
    int32_t lo = sd->start, hi = sd->end; /* first index with key > k */
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (sd->key[mid] <= k) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
}

/* The levels with keys in [lo, hi] of one side, best (highest key) first: as diff_all walks them. */
static bool diff_range(th_sim_book_sync *s, int side, const th_book_side *fs, const th_book_side *es, int64_t lo, int64_t hi)
{
    int32_t i = last_at_most(fs, hi), j = last_at_most(es, hi);
    for (;;) {
        bool hf = i >= fs->start && fs->key[i] >= lo, he = j >= es->start && es->key[j] >= lo;
        if (!hf && !he) return true;
        bool ok;
        if (hf && he && fs->key[i] == es->key[j]) {
            ok = fs->qty[i] == es->qty[j] || push(s, side, side == TH_BID ? fs->key[i] : -fs->key[i], fs->qty[i]);
            i--, j--;
        } else if (hf && (!he || fs->key[i] > es->key[j])) {
            ok = push(s, side, side == TH_BID ? fs->key[i] : -fs->key[i], fs->qty[i]);
            i--;
        } else {
            ok = push(s, side, side == TH_BID ? es->key[j] : -es->key[j], 0);
            j--;
        }
        if (!ok) return false;
    }
}

/* Levels inside the key ranges either book logged since the follower's seqs, side by side, the
 * ranges merged and walked best first. */
static bool diff_logged(th_sim_book_sync *s, const th_book *f, const th_book *b, const th_sim_book_follow *fw)
{
    th_book_chg rg[2 * TH_BOOK_CHG_RING];
    for (int side = 0; side < 2; side++) {
        int32_t n = 0;
        for (int w = 0; w < 2; w++) {
            const th_book *x = w ? b : f;
            for (uint64_t q = w ? fw->eng_seq : fw->rec_seq; q < x->chg_seq; q++) {
                const th_book_chg *c = th_book_change_at(x, q);
                if (c->side != side) continue;
                /* insertion by hi, highest first (a handful per record) */
                int32_t k = n++;
                while (k > 0 && rg[k - 1].hi < c->hi) { rg[k] = rg[k - 1]; k--; }
                rg[k] = *c;
            }
        }
        for (int32_t k = 0; k < n;) {
            int64_t lo = rg[k].lo, hi = rg[k].hi;
            for (k++; k < n && rg[k].hi >= lo; k++)
                if (rg[k].lo < lo) lo = rg[k].lo;
            if (!diff_range(s, side, &f->side[side], &b->side[side], lo, hi)) return false;
        }
    }
    return true;
}

static th_sim_book_follow *follow_at(th_sim_book_sync *s, int32_t ins)
{
    if (ins < 0) return NULL;
    if (ins >= s->nfw) {
        int32_t n = ins + 16;
        th_sim_book_follow *v = realloc(s->fw, sizeof *v * (size_t)n);
        if (!v) return NULL;
        memset(v + s->nfw, 0, sizeof *v * (size_t)(n - s->nfw));
        s->fw = v;
        s->nfw = n;
    }
    return &s->fw[ins];
}

int th_sim_book_sync_apply(th_sim_engine *e, th_sim_book_sync *s, int32_t ins, const th_book *f, int64_t ts_ns)
{
    const th_book *b = th_sim_market_book(e, ins);
    th_sim_book_follow *fw = follow_at(s, ins);
    s->n = 0;
    bool ranged = fw && fw->valid && b && fw->recorded == f && th_book_changes_since(f, fw->rec_seq) && th_book_changes_since(b, fw->eng_seq);
    if (fw) fw->valid = false;
    if (!(ranged ? diff_logged(s, f, b, fw) : diff_all(s, f, b))) return -1;
    if (ranged) s->ranged++; else s->full++;
    uint64_t eng_before = b ? b->chg_seq : 0;
    for (size_t k = 0; k < s->n; k++) th_sim_market_level(e, ins, s->chg[k].side, s->chg[k].price, s->chg[k].qty, ts_ns);
    if (fw && b) {
        /* Equal now, except where this apply changed the engine's book beyond what was asked (its
         * truncation): from eng_before on, the next sync looks there too. Every change asked for
         * changes the engine's book (it differs there), a no-op only where a truncation before it
         * dropped the level; fewer log entries than changes: the engine refused them (called from
         * inside its own callback), and the next sync compares whole sides. */
        fw->recorded = f;
        fw->rec_seq = f->chg_seq;
        fw->eng_seq = eng_before;
        fw->valid = b->chg_seq - eng_before >= s->n;
    }
    return (int)s->n;
}

void th_sim_book_sync_free(th_sim_book_sync *s)
{
    free(s->chg);
    free(s->fw);
    s->chg = NULL;
    s->fw = NULL;
    s->n = s->cap = 0;
    s->nfw = 0;
}
