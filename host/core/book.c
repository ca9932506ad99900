/* book.c — L2 book (see book.h for the layout and why). */
#include "book.h"

#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "decimal.h"

static const char *const HEALTH_NAMES[] = {"empty", "ok", "stale", "gapped", "checksum_failed", "resyncing"};

const char *th_book_health_name(int32_t h) { return (h >= 0 && h <= TH_BOOK_RESYNCING) ? HEALTH_NAMES[h] : "?"; }

static int side_alloc(th_book_side *s, int32_t cap)
{
    int64_t *k = malloc(sizeof *k * (size_t)cap), *q = malloc(sizeof *q * (size_t)cap);
    if (!k || !q) { free(k); free(q); return -1; }
    s->key = k;
    s->qty = q;
    s->cap = cap;
    s->start = s->end = cap / 2; /* room to grow both ways */
    return 0;
}

int th_book_init(th_book *b, int32_t depth, int32_t price_dec, int32_t qty_dec)
{
    memset(b, 0, sizeof *b);
    b->depth = depth;
    b->price_dec = price_dec;
    b->qty_dec = qty_dec;
    b->wire_price_dec = price_dec;
    b->wire_qty_dec = qty_dec;
    b->health = TH_BOOK_EMPTY;
    b->reason = "awaiting snapshot";
    int32_t cap = depth > 0 ? depth * 2 + 64 : 2048;
    if (side_alloc(&b->side[0], cap) || side_alloc(&b->side[1], cap)) { th_book_free(b); return -1; }
    return 0;
}

void th_book_free(th_book *b)
{
    for (int i = 0; i < 2; i++) { free(b->side[i].key); free(b->side[i].qty); b->side[i].key = b->side[i].qty = NULL; }
}

static inline void chg_log(th_book *b, int side, int64_t lo, int64_t hi)
{
    th_book_chg *c = &b->chg[b->chg_seq++ % TH_BOOK_CHG_RING];
    c->side = side;
    c->lo = lo;
    c->hi = hi;
}

void th_book_clear(th_book *b)
{
    b->chg_clear_seq = ++b->chg_seq; /* followers from before compare the whole book */
    for (int i = 0; i < 2; i++) {
        b->side[i].start = b->side[i].end = b->side[i].cap / 2;
        b->crc_text[i].n = 0;
        b->crc_text[i].off[0] = 0;
        b->crc_changed[i] = true;
    }
}

static const char DIGITS2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v (an int64 value, >= 0, so at most 19 digits) written at o, two at a time
 * from a table; returns the end. The digit count comes first so the digits go straight to their
 * place (no temporary and no variable-size copy). */
static inline char *put_u64(char *o, uint64_t v)
{
    /* digits from the bit length: 1233/4096 ~ log10(2), then one comparison corrects it */
    int n = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;
    if (n < 19 && v >= (uint64_t)th_dec_pow10_table[n]) n++;
    if (n == 0) n = 1;
    char *e = o + n, *t = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--t = DIGITS2[d + 1];
        *--t = DIGITS2[d];
    }
    if (v >= 10) { *--t = DIGITS2[v * 2 + 1]; *--t = DIGITS2[v * 2]; }
    else *--t = (char)('0' + v);
    return e;
}

/* v in the wire's decimals: its digits, then `zeros` zeros (the wire's decimals past ours). Written,
 * not multiplied: 999,999,999.1 at 11 wire decimals is past int64 (UBSan caught the product).
 * zeros < 0 (decimals no text can show): "0", which fails the checksum and resyncs the book. */
static inline char *put_scaled(char *o, uint64_t v, int32_t zeros)
{
    if (zeros < 0) v = 0;
    o = put_u64(o, v);
    if (v && zeros > 0) {
        memset(o, '0', (size_t)zeros);
        o += zeros;
    }
    return o;
}

/* A level's checksum text: its price digits then its qty digits, in the wire's decimals. */
static inline char *level_text(const th_book *b, char *o, int side, int32_t i)
{
    const th_book_side *s = &b->side[side];
    int64_t px = side == TH_BID ? s->key[i] : -s->key[i];
    o = put_scaled(o, (uint64_t)px, b->crc_text_zeros[0]);
    return put_scaled(o, (uint64_t)s->qty[i], b->crc_text_zeros[1]);
}

/* The side's text again from its top 10 levels. */
static void text_rebuild(th_book *b, int side)
{
    const th_book_side *s = &b->side[side];
    th_crc_side *t = &b->crc_text[side];
    char *o = t->txt;
    int32_t n = 0;
    for (int32_t i = s->end - 1; i >= s->start && n < 10; i--, n++) {
        t->off[n] = (uint16_t)(o - t->txt);
        o = level_text(b, o, side, i);
    }
    t->off[n] = (uint16_t)(o - t->txt);
    t->n = n;
    b->crc_changed[side] = true;
}

/* The book's side has just changed at rank r (< 10) from the top: `del` ranks of the text from r
 * on are gone (0 or 1: a level changed or deleted) and `add` ranks are new there (0 or 1: a level
 * changed or inserted), formatted from the book as it is now. Then the text is cut to 10 ranks,
 * or, after a delete, the level that moved up into the 10th rank is appended. */
static void text_splice(th_book *b, int side, int32_t r, int32_t del, int32_t add)
{
    const th_book_side *s = &b->side[side];
    th_crc_side *t = &b->crc_text[side];
    char seg[80];
    int32_t seglen = add ? (int32_t)(level_text(b, seg, side, s->end - 1 - r) - seg) : 0;
    int32_t a = t->off[r], z = t->off[r + del], end = t->off[t->n];
    int32_t delta = seglen - (z - a);
    memmove(t->txt + a + seglen, t->txt + z, (size_t)(end - z));
    memcpy(t->txt + a, seg, (size_t)seglen);
    int32_t n = t->n - del + add;
    if (add != del) memmove(&t->off[r + add], &t->off[r + del], sizeof t->off[0] * (size_t)(t->n - r - del + 1));
    for (int32_t k = r + add; k <= n; k++) t->off[k] = (uint16_t)(t->off[k] + delta);
    t->n = n;
    if (t->n > 10) t->n = 10;
    int32_t count = s->end - s->start;
    while (t->n < 10 && t->n < count) { /* the level now 10th from the top */
        char *o = level_text(b, t->txt + t->off[t->n], side, s->end - 1 - t->n);
        t->off[++t->n] = (uint16_t)(o - t->txt);
    }
    b->crc_changed[side] = true;
}

/* First index in [start, end) whose key >= key; galloping down from the best end first. */
static inline int32_t lower_bound(const th_book_side *s, int64_t key)
{
    int32_t lo = s->start, hi = s->end, i = hi - 1, step = 1;
    /* worse than the whole side: a snapshot's levels arrive best first, each one a new worst */
    if (lo == hi || key < s->key[lo]) return lo;
    while (i >= lo && s->key[i] > key) { hi = i; i -= step; step <<= 1; }
    if (i > lo) lo = i;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (s->key[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static int recenter(th_book_side *s)
{
    int32_t n = s->end - s->start;
    if (n + 2 > s->cap / 2) { /* grow */
        int32_t cap = s->cap * 2;
        int64_t *k = malloc(sizeof *k * (size_t)cap), *q = malloc(sizeof *q * (size_t)cap);
        if (!k || !q) { free(k); free(q); return -1; }
        int32_t ns = (cap - n) / 2;
        memcpy(k + ns, s->key + s->start, sizeof *k * (size_t)n);
        memcpy(q + ns, s->qty + s->start, sizeof *q * (size_t)n);
        free(s->key); free(s->qty);
        s->key = k; s->qty = q; s->cap = cap;
        s->start = ns; s->end = ns + n;
        return 0;
    }
    int32_t ns = (s->cap - n) / 2;
    memmove(s->key + ns, s->key + s->start, sizeof *s->key * (size_t)n);
    memmove(s->qty + ns, s->qty + s->start, sizeof *s->qty * (size_t)n);
    s->start = ns;
    s->end = ns + n;
    return 0;
}

int th_book_set(th_book *b, int side, int64_t price, int64_t qty)
{
    th_book_side *s = &b->side[side];
    int64_t key = side == TH_BID ? price : -price;
    int32_t p = lower_bound(s, key);
    bool found = p < s->end && s->key[p] == key;
    /* rank from the top of the level being changed (or of the insertion point) */
    int32_t rank = s->end - p - (found ? 1 : 0);
    bool text = b->crc_track && rank < 10;
    if (found) {
        if (qty > 0) {
            if (s->qty[p] == qty) return 0;
            s->qty[p] = qty;
            if (text) text_splice(b, side, rank, 1, 1);
            chg_log(b, side, key, key);
            return 1;
        }
        /* delete: close the gap from the shorter side */
        if (s->end - p - 1 <= p - s->start) {
            memmove(s->key + p, s->key + p + 1, sizeof *s->key * (size_t)(s->end - p - 1));
            memmove(s->qty + p, s->qty + p + 1, sizeof *s->qty * (size_t)(s->end - p - 1));
            s->end--;
        } else {
            memmove(s->key + s->start + 1, s->key + s->start, sizeof *s->key * (size_t)(p - s->start));
            memmove(s->qty + s->start + 1, s->qty + s->start, sizeof *s->qty * (size_t)(p - s->start));
            s->start++;
        }
        if (text) text_splice(b, side, rank, 1, 0);
        chg_log(b, side, key, key);
        return 1;
    }
    if (qty <= 0) return 0;
    bool right_cheaper = s->end - p <= p - s->start;
    if ((right_cheaper && s->end == s->cap) || (!right_cheaper && s->start == 0)) {
        /* out of room on the cheap side: re-centre (amortised O(1): at most once per cap/2 inserts) */
        int32_t off = p - s->start;
        if (recenter(s) != 0) return -1;
        p = s->start + off;
    }
    if (right_cheaper) {
        memmove(s->key + p + 1, s->key + p, sizeof *s->key * (size_t)(s->end - p));
        memmove(s->qty + p + 1, s->qty + p, sizeof *s->qty * (size_t)(s->end - p));
        s->end++;
    } else {
        memmove(s->key + s->start - 1, s->key + s->start, sizeof *s->key * (size_t)(p - s->start));
        memmove(s->qty + s->start - 1, s->qty + s->start, sizeof *s->qty * (size_t)(p - s->start));
        s->start--;
        p--;
    }
    s->key[p] = key;
    s->qty[p] = qty;
    if (text) text_splice(b, side, rank, 0, 1);
    chg_log(b, side, key, key);
    return 1;
}

void th_book_truncate(th_book *b)
{
    if (b->depth <= 0) return;
    for (int i = 0; i < 2; i++) {
        th_book_side *s = &b->side[i];
        if (s->end - s->start > b->depth) {
            chg_log(b, i, s->key[s->start], s->key[s->end - b->depth - 1]); /* the worst levels, dropped */
            s->start = s->end - b->depth;
            if (b->crc_text[i].n > b->depth) { /* ranks from depth on are gone */
                b->crc_text[i].n = b->depth;
                b->crc_changed[i] = true;
            }
        }
    }
}

/* 0..18 zeros (the range th_dec_pow10 had); -1 outside it */
static int32_t crc_zeros(int32_t d) { return d >= 0 && d <= 18 ? d : -1; }

uint32_t th_book_kraken_crc32(th_book *b)
{
    int32_t pz = crc_zeros(b->wire_price_dec - b->price_dec), qz = crc_zeros(b->wire_qty_dec - b->qty_dec);
    if (!b->crc_track || b->crc_text_zeros[0] != pz || b->crc_text_zeros[1] != qz) {
        b->crc_text_zeros[0] = pz; /* texts in other units (or none yet): made again */
        b->crc_text_zeros[1] = qz;
        b->crc_track = true;
        text_rebuild(b, TH_ASK);
        text_rebuild(b, TH_BID);
    }
    if (b->crc_changed[TH_ASK]) {
        const th_crc_side *a = &b->crc_text[TH_ASK];
        b->crc_ask = th_crc32(a->txt, a->off[a->n]);
    } else if (!b->crc_changed[TH_BID]) {
        return b->crc_cache;
    }
    const th_crc_side *bid = &b->crc_text[TH_BID];
    b->crc_cache = th_crc32_continue(b->crc_ask, bid->txt, bid->off[bid->n]);
    b->crc_changed[TH_ASK] = b->crc_changed[TH_BID] = false;
    return b->crc_cache;
}

bool th_book_set_health(th_book *b, int32_t health, const char *reason)
{
    if (b->health == health) return false;
    b->health = health;
    b->reason = reason;
    return true;
}

int th_book_vwap(const th_book *b, int side, double qty, double *vwap, double *filled)
{
    int64_t want;
    if (th_dec_from_double(qty, b->qty_dec, &want) != 0 || want <= 0) return -1;
    const th_book_side *s = &b->side[side];
    __int128 notional = 0;
    int64_t got = 0;
    for (int32_t i = s->end - 1; i >= s->start && got < want; i--) {
        int64_t take = s->qty[i] < want - got ? s->qty[i] : want - got;
        int64_t px = side == TH_BID ? s->key[i] : -s->key[i];
        notional += (__int128)px * take;
        got += take;
    }
    if (got == 0) return -1;
    *vwap = (double)notional / (double)got / (double)th_dec_pow10(b->price_dec);
    *filled = th_dec_to_double(got, b->qty_dec);
    return 0;
}

int th_book_depth_within(const th_book *b, int side, double bps, double *qty)
{
    const th_book_side *s = &b->side[side];
    if (s->end == s->start || bps < 0) return -1;
    int64_t best = s->key[s->end - 1];
    /* key distance from best, in price units; keys of worse levels are lower on both sides */
    double limit = (double)(side == TH_BID ? best : -best) * bps / 1e4;
    int64_t total = 0;
    for (int32_t i = s->end - 1; i >= s->start; i--) {
        if ((double)(best - s->key[i]) > limit) break;
        total += s->qty[i];
    }
    *qty = th_dec_to_double(total, b->qty_dec);
    return 0;
}

int th_book_microprice(const th_book *b, double *out)
{
    int64_t bp, bq, ap, aq;
    if (th_book_level(b, TH_BID, 0, &bp, &bq) || th_book_level(b, TH_ASK, 0, &ap, &aq)) return -1;
    double p = ((double)bp * (double)aq + (double)ap * (double)bq) / ((double)aq + (double)bq);
    *out = p / (double)th_dec_pow10(b->price_dec);
    return 0;
}

int th_book_imbalance(const th_book *b, int32_t levels, double *out)
{
    int64_t sum[2] = {0, 0};
    for (int side = 0; side < 2; side++) {
        const th_book_side *s = &b->side[side];
        for (int32_t i = s->end - 1, n = 0; i >= s->start && n < levels; i--, n++) sum[side] += s->qty[i];
    }
    if (sum[0] + sum[1] == 0) return -1;
    *out = (double)(sum[0] - sum[1]) / (double)(sum[0] + sum[1]);
    return 0;
}
