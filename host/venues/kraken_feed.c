/* kraken_feed.c — Kraken spot WebSocket v2 public channels: book, trade, ticker, instrument; and
 * v1 trade frames (older recordings, e.g. the bundled trades recording, are v1).
 *
 * Book rules (docs.kraken.com, "book" and "checksum" v2): a snapshot replaces the book; an update
 * applies each level (qty 0 deletes), then the book is truncated to the subscribed depth, then the
 * CRC32 of the top 10 levels must equal the frame's `checksum`. A mismatch means our book is wrong:
 * the symbol goes to RESYNCING and ignores updates until the next snapshot (a live connector
 * resubscribes). Prices and quantities go text -> integer units without floating point. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"
#include "../feed/venue_feed.h"

/* Decimals in a number's text ("0.043020" -> 6). */
static int32_t text_decimals(const th_json *j, int t)
{
    const char *p = th_json_ptr(j, t);
    size_t n = th_json_len(j, t);
    const char *dot = memchr(p, '.', n);
    return dot ? (int32_t)(n - (size_t)(dot - p) - 1) : 0;
}

/* Apply an array of {"price":..,"qty":..} levels; a snapshot also learns the wire's decimals.
 * Returns 0 or -1 (bad level). */
static int apply_levels(th_feed *f, th_book *b, int arr, int side, bool snapshot)
{
    const th_json *j = &f->json;
    if (arr < 0) return 0;
    if (j->tok[arr].type != TH_JSON_ARRAY) return -1;
    int i = arr + 1;
    for (int k = 0; k < j->tok[arr].size; k++) {
        if (j->tok[i].type != TH_JSON_OBJECT) return -1;
        int pt = -1, qt = -1;
        /* levels are small objects: scan keys directly instead of two lookups */
        int t = i + 1;
        for (int q = 0; q < j->tok[i].size; q++) {
            if (th_json_eq(j, t, "price")) pt = t + 1;
            else if (th_json_eq(j, t, "qty")) qt = t + 1;
            t = th_json_skip(j, t + 1);
        }
        if (th_feed_set_level_tok(f, b, side, pt, qt) != 0) return -1;
        if (snapshot) {
            int32_t pd = text_decimals(j, pt), qd = text_decimals(j, qt);
            if (pd > b->wire_price_dec && pd <= 18) b->wire_price_dec = pd;
            if (qd > b->wire_qty_dec && qd <= 18) b->wire_qty_dec = qd;
        }
        i = t;
    }
    return 0;
}

static int handle_book(th_feed *f, int data, bool snapshot)
{
    const th_json *j = &f->json;
    int rc = 0;
    int e = data + 1;
    for (int k = 0; k < j->tok[data].size; k++, e = th_json_skip(j, e)) {
        int32_t idx = th_feed_lookup(f, th_json_get(j, e, "symbol"));
        if (idx < 0) { rc = -1; continue; }
        th_feed_symbol *s = th_feed_symbol_at(f, idx);
        if (!s) return th_feed_error(f, idx, "out of memory");
        s->frames++;
        th_book *b = &s->book;
        if (!snapshot && (b->health == TH_BOOK_RESYNCING || b->health == TH_BOOK_EMPTY)) { s->skipped++; continue; }
        if (snapshot) {
            th_book_clear(b);
            b->wire_price_dec = b->price_dec;
            b->wire_qty_dec = b->qty_dec;
        }
        if (apply_levels(f, b, th_json_get(j, e, "bids"), TH_BID, snapshot) ||
            apply_levels(f, b, th_json_get(j, e, "asks"), TH_ASK, snapshot)) {
            rc = th_feed_error(f, idx, "malformed book level");
            continue;
        }
        th_book_truncate(b);
        th_feed_book_updated(f, s);
        uint64_t want;
        int ct = th_json_get(j, e, "checksum");
        if (ct < 0 || th_json_u64(j, ct, &want) != 0) { rc = th_feed_error(f, idx, "book frame without a checksum"); continue; }
        if (th_book_kraken_crc32(b) != (uint32_t)want) {
            s->checksum_failed++;
            rc = th_feed_error(f, idx, "checksum mismatch");
            continue;
        }
        s->checksum_ok++;
        if (b->health != TH_BOOK_OK) th_feed_set_health(f, idx, TH_BOOK_OK, snapshot ? "snapshot" : "update");
    }
    return rc;
}

static int handle_trades(th_feed *f, int data)
{
    const th_json *j = &f->json;
    int e = data + 1;
    for (int k = 0; k < j->tok[data].size; k++, e = th_json_skip(j, e)) {
        int32_t idx = th_feed_lookup(f, th_json_get(j, e, "symbol"));
        if (idx < 0) continue;
        th_feed_symbol *s = th_feed_symbol_at(f, idx);
        if (!s) return th_feed_error(f, idx, "out of memory");
        s->frames++;
        th_feed_trade(f, idx, th_json_get(j, e, "price"), th_json_get(j, e, "qty"),
                      th_json_eq(j, th_json_get(j, e, "side"), "sell") ? TH_ASK : TH_BID);
    }
    return 0;
}

/* Kraken spot WS v1 trade frames (docs.kraken.com, WebSocket v1 "trade"):
 *   [channelID, [["price","volume","time","side","orderType","misc"], ...], "trade", "XMR/USD"]
 * side "b" or "s" is the taker's. v1 names Bitcoin XBT and Dogecoin XDG where v2, and so our
 * instrument data, say BTC and DOGE: "KSM/XBT" is KSM/BTC. Other v1 channels are ignored. */
static int v1_symbol(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL; /* replaces a whole 3-letter asset name */
        if (n - i >= 3 && (i == 0 || p[i - 1] == '/') && (i + 3 == n || p[i + 3] == '/')) {
            if (memcmp(p + i, "XBT", 3) == 0) rep = "BTC";
            else if (memcmp(p + i, "XDG", 3) == 0) rep = "DOGE";
        }
        if (rep) {
            size_t rn = strlen(rep);
            if (o + rn >= cap) return -1;
            memcpy(out + o, rep, rn);
            o += rn;
            i += 2;
        } else {
            if (o + 1 >= cap) return -1;
            out[o++] = p[i];
        }
    }
    return (int)o;
}

static int handle_v1_frame(th_feed *f)
{
    const th_json *j = &f->json;
    if (j->tok[0].size != 4) { th_feed_ignore(f, "v1 frame that is not a channel message"); return 0; }
    int trades = th_json_skip(j, 1), name = th_json_skip(j, trades), pair = th_json_skip(j, name);
    if (pair >= j->n || !th_json_eq(j, name, "trade")) { th_feed_ignore(f, "v1 channel not used (book, ticker)"); return 0; }
    if (j->tok[trades].type != TH_JSON_ARRAY || j->tok[pair].type != TH_JSON_STRING)
        return th_feed_error(f, -1, "v1 trade frame: expected [id, [trades], \"trade\", \"pair\"]");
    char sym[64];
    int sn = v1_symbol(th_json_ptr(j, pair), th_json_len(j, pair), sym, sizeof sym);
    if (sn < 0) return th_feed_error(f, -1, "v1 trade frame: pair name too long");
    int32_t idx = th_feed_lookup_name(f, sym, (size_t)sn);
    if (idx < 0) return 0;
    th_feed_symbol *s = th_feed_symbol_at(f, idx);
    if (!s) return th_feed_error(f, idx, "out of memory");
    s->frames++;
    int rc = 0, t = trades + 1;
    for (int k = 0; k < j->tok[trades].size; k++, t = th_json_skip(j, t)) {
        if (j->tok[t].type != TH_JSON_ARRAY || j->tok[t].size < 4) { rc = th_feed_error(f, idx, "malformed v1 trade"); continue; }
        int px = t + 1, qty = th_json_skip(j, px), time = th_json_skip(j, qty), side = th_json_skip(j, time);
        if (!th_json_eq(j, side, "b") && !th_json_eq(j, side, "s")) { rc = th_feed_error(f, idx, "v1 trade side is not b or s"); continue; }
        if (th_feed_trade(f, idx, px, qty, th_json_eq(j, side, "s") ? TH_ASK : TH_BID) != 0) rc = -1;
    }
    return rc;
}

static int handle_ticker(th_feed *f, int data)
{
    const th_json *j = &f->json;
    int e = data + 1;
    for (int k = 0; k < j->tok[data].size; k++, e = th_json_skip(j, e)) {
        int32_t idx = th_feed_lookup(f, th_json_get(j, e, "symbol"));
        if (idx < 0) continue;
        th_feed_symbol *s = th_feed_symbol_at(f, idx);
        if (!s) return -1;
        th_ticker_ev t = {.ts_ns = f->now_ns};
        th_feed_dec(f, th_json_get(j, e, "bid"), s->book.price_dec, &t.bid);
        th_feed_dec(f, th_json_get(j, e, "ask"), s->book.price_dec, &t.ask);
        th_feed_dec(f, th_json_get(j, e, "last"), s->book.price_dec, &t.last);
        s->ticker = t;
        s->dirty = true;
    }
    return 0;
}

/* ---- Fast path for book frames ----
 * Kraken v2 sends one shape for book frames, byte for byte:
 *   {"channel":"book","type":"update","data":[{"symbol":"S","bids":[{"price":N,"qty":N},...],
 *    "asks":[...],"checksum":N,"timestamp":"T"}]}
 * and the same with "type":"snapshot" (up to 1,000 levels a side; the timestamp optional).
 * Tokenising that generically costs more than everything else per frame, so this scanner checks
 * the exact shape and collects the number texts. It accepts nothing else: any other byte (a
 * space, another key order, an escape) returns "not mine" before the book is touched and the
 * generic jsmn path handles the frame. Levels are converted to book units as they are read, into
 * the frame's own array for an update and a heap array for a snapshot (up to 4,096 a side), and
 * applied only once the whole frame has been checked. Both paths are cross-checked on all recorded
 * data and fuzzed against each other (tests/unit/test_feed.c, tests/fuzz/fuzz_feed.c). */

#define FAST_MAX_LEVELS 64    /* per side of an update: collected */
#define FAST_MAX_SNAPSHOT 4096 /* per side of a snapshot (Kraken sends 1,000 at most) */

typedef struct fast_num { const char *p; uint32_t n; } fast_num;
/* A level converted to book units; bad: th_feed_set_level would refuse it. */
typedef struct fast_lv { int64_t px, qty; int16_t pd, qd; bool bad; } fast_lv; /* pd, qd: decimals of the text */
typedef struct fast_frame {
    bool snapshot;
    int32_t idx;              /* the instrument */
    int32_t price_dec, qty_dec;
    int nlev[2];
    fast_lv *lv[2];           /* each side's levels: upd[] for an update, snap (heap) for a snapshot */
    fast_lv upd[2][FAST_MAX_LEVELS];
    fast_lv *snap;            /* a snapshot's levels, bids then asks; freed by the caller */
    int snap_n, snap_cap;
    fast_num checksum;
} fast_frame;

/* The literal at *s: compared eight bytes at a time (n is a constant at every use, so this unrolls
 * into a few loads; a memcmp call per literal cost more than the compare). */
static inline bool lit(const char **s, const char *end, const char *text, size_t n)
{
    if ((size_t)(end - *s) < n) return false;
    const char *p = *s;
    if (n >= 8) {
        uint64_t a, b;
        size_t k = 0;
        for (; k + 8 <= n; k += 8) {
            memcpy(&a, p + k, 8);
            memcpy(&b, text + k, 8);
            if (a != b) return false;
        }
        if (k < n) { /* the last eight, overlapping the chunk before */
            memcpy(&a, p + n - 8, 8);
            memcpy(&b, text + n - 8, 8);
            if (a != b) return false;
        }
    } else if (n >= 4) {
        uint32_t a, b, c, d;
        memcpy(&a, p, 4);
        memcpy(&b, text, 4);
        memcpy(&c, p + n - 4, 4);
        memcpy(&d, text + n - 4, 4);
        if (a != b || c != d) return false;
    } else {
        for (size_t k = 0; k < n; k++)
            if (p[k] != text[k]) return false;
    }
    *s += n;
    return true;
}
#define LIT(s, e, t) lit(&(s), (e), (t), sizeof(t) - 1)

/* Bytes a JSON number's text may hold (the decimal parser judges the text itself). */
static const bool NUMCH[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['.'] = 1, ['-'] = 1, ['+'] = 1, ['e'] = 1, ['E'] = 1,
};

static inline bool number(const char **s, const char *end, fast_num *out)
{
    const char *p = *s;
    while (p < end && NUMCH[(unsigned char)*p]) p++;
    if (p == *s) return false;
    out->p = *s;
    out->n = (uint32_t)(p - *s);
    *s = p;
    return true;
}

/* A number's text at *sp (as `number` reads it) converted at `scale` in the same walk, with the
 * result th_dec_parse would give: the common text (digits and one point, at most 19 characters)
 * is converted here exactly as th_dec_parse's own fast path does; anything else is handed to
 * th_dec_parse. *decimals: digits after the first point. Returns false if there is no number. */
static bool dec_number_general(const char **sp, const char *end, int scale, int64_t *out, int *rc, int32_t *decimals)
{
    const char *s = *sp, *p = s;
    uint64_t v = 0;
    int frac = -1;
    bool plain = true;
    for (; p < end; p++) {
        unsigned dg = (unsigned)(unsigned char)*p - '0';
        if (dg <= 9) { v = v * 10 + dg; frac += frac >= 0; }
        else if (*p == '.' && frac < 0) frac = 0;
        else if (NUMCH[(unsigned char)*p]) plain = false;
        else break;
    }
    size_t n = (size_t)(p - s);
    if (n == 0) return false;
    *sp = p;
    if (plain && n <= 19 && n > (size_t)(frac >= 0) && scale >= 0 && scale <= TH_DEC_MAX_SCALE) {
        int f = frac < 0 ? 0 : frac;
        *decimals = f;
        *rc = TH_DEC_OK;
        if (f <= scale) {
            uint64_t m = (uint64_t)th_dec_pow10_table[scale - f];
            if (v > (uint64_t)INT64_MAX / m) { *rc = TH_DEC_ERANGE; return true; }
            v *= m;
        } else {
            uint64_t m = (uint64_t)th_dec_pow10_table[f - scale];
            if (v % m) { *rc = TH_DEC_EINEXACT; return true; }
            v /= m;
            if (v > (uint64_t)INT64_MAX) { *rc = TH_DEC_ERANGE; return true; }
        }
        *out = (int64_t)v;
        return true;
    }
    const char *dot = memchr(s, '.', n);
    *decimals = dot ? (int32_t)(n - (size_t)(dot - s) - 1) : 0;
    *rc = th_dec_parse(s, n, scale, out);
    return true;
}

/* Ends dec_number: the text s..p read as v with f decimals (digits and at most one point, at most 19
 * characters, checked by the caller) converted at `scale`. Anything else after the text that a
 * number may hold (an exponent, a sign, a second point) goes to dec_number_general. */
static inline __attribute__((always_inline)) bool dec_finish(const char **sp, const char *end, const char *s, const char *p, uint64_t v,
                                                             int f, int scale, int64_t *out, int *rc, int32_t *decimals)
{
    if ((p < end && NUMCH[(unsigned char)*p]) || scale < 0 || scale > TH_DEC_MAX_SCALE)
        return dec_number_general(sp, end, scale, out, rc, decimals);
    (void)s;
    *sp = p;
    *decimals = f;
    *rc = TH_DEC_OK;
    if (f <= scale) {
        uint64_t m = (uint64_t)th_dec_pow10_table[scale - f];
        if (v > (uint64_t)INT64_MAX / m) { *rc = TH_DEC_ERANGE; return true; }
        v *= m;
    } else {
        uint64_t m = (uint64_t)th_dec_pow10_table[f - scale];
        if (v % m) { *rc = TH_DEC_EINEXACT; return true; }
        v /= m;
        if (v > (uint64_t)INT64_MAX) { *rc = TH_DEC_ERANGE; return true; }
    }
    *out = (int64_t)v;
    return true;
}

#if TH_DEC_SWAR
/* Per byte of c: the high bit set where the byte is not '0'-'9' (no carry crosses bytes). */
static inline uint64_t nondigit_bytes(uint64_t c)
{
    uint64_t t = c ^ 0x3030303030303030u; /* digits: 0-9 */
    return (((t & 0x7F7F7F7F7F7F7F7Fu) + 0x7676767676767676u) | t) & 0x8080808080808080u;
}
/* The value of the first k (1-8) bytes of c, all digits: moved to the end of eight digits behind
 * leading zeros. */
static inline uint64_t first_digits_value(uint64_t c, int k)
{
    if (k < 8) c = (c << (8 * (8 - k))) | (0x3030303030303030u >> (8 * k));
    return th_dec_eight_value(c);
}
#endif

/* The same result as dec_number_general, faster for the shape Kraken sends (digits, a point, the
 * instrument's decimals: "354.15000000"). With 16 bytes at hand, 1-7 digits, a point and 1-8
 * digits are read as two words (where the digits end found for all bytes at once: no loop and no
 * branch per digit); otherwise the digits are read one at a time, the fraction's eight at a time.
 * Any other text (a sign, an exponent, no digit before the point, a second point, more than 19
 * characters) goes to dec_number_general from its start. */
static inline __attribute__((always_inline)) bool dec_number(const char **sp, const char *end, int scale, int64_t *out, int *rc, int32_t *decimals)
{
    const char *s = *sp, *p = s;
    uint64_t v = 0;
    unsigned dg;
#if TH_DEC_SWAR
    if (end - s >= 16) {
        uint64_t w, w2, m;
        memcpy(&w, s, 8);
        m = nondigit_bytes(w);
        int k = m ? __builtin_ctzll(m) >> 3 : 8; /* digits before the point */
        if (k > 0 && k < 8 && s[k] == '.') {
            memcpy(&w2, s + k + 1, 8);
            m = nondigit_bytes(w2);
            int f = m ? __builtin_ctzll(m) >> 3 : 8;
            p = s + k + 1 + f;
            if (f > 0 && (f < 8 || p == end || (unsigned)(unsigned char)*p - '0' > 9)) /* else more digits: read below */
                return dec_finish(sp, end, s, p, first_digits_value(w, k) * (uint64_t)th_dec_pow10_table[f] + first_digits_value(w2, f),
                                  f, scale, out, rc, decimals);
            p = s;
        }
    }
#endif
    while (p < end && (dg = (unsigned)(unsigned char)*p - '0') <= 9) { v = v * 10 + dg; p++; }
    if (p == s) return dec_number_general(sp, end, scale, out, rc, decimals);
    int f = 0;
    if (p < end && *p == '.') {
        const char *q = ++p;
        uint64_t c;
#if TH_DEC_SWAR
        /* within 19 characters: the value cannot wrap before the length check below */
        while (end - p >= 8 && p + 8 - s <= 19 && (memcpy(&c, p, 8), th_dec_eight_digits(c))) { v = v * 100000000u + th_dec_eight_value(c); p += 8; }
#else
        (void)c;
#endif
        while (p < end && (dg = (unsigned)(unsigned char)*p - '0') <= 9) { v = v * 10 + dg; p++; }
        f = (int)(p - q);
        if (f == 0) return dec_number_general(sp, end, scale, out, rc, decimals);
    }
    if (p - s > 19) return dec_number_general(sp, end, scale, out, rc, decimals);
    return dec_finish(sp, end, s, p, v, f, scale, out, rc, decimals);
}

/* One level at *sp converted to book units, judged as th_feed_set_level judges it. */
static inline bool dec_level(const char **sp, const char *end, const fast_frame *fr, fast_lv *lv)
{
    const char *s = *sp;
    int rp, rq;
    int32_t pd, qd;
    if (!LIT(s, end, "{\"price\":") || !dec_number(&s, end, fr->price_dec, &lv->px, &rp, &pd) || !LIT(s, end, ",\"qty\":") ||
        !dec_number(&s, end, fr->qty_dec, &lv->qty, &rq, &qd) || !LIT(s, end, "}"))
        return false;
    lv->bad = rp != TH_DEC_OK || rq != TH_DEC_OK || lv->px <= 0 || lv->qty < 0;
    lv->pd = (int16_t)(pd > 1000 ? 1000 : pd);
    lv->qd = (int16_t)(qd > 1000 ? 1000 : qd);
    *sp = s;
    return true;
}

/* A levels array from after its '[' to after its ']', converted and collected. */
static bool fast_levels(const char **sp, const char *end, fast_frame *fr, int side)
{
    const char *s = *sp;
    int n = 0, max = fr->snapshot ? FAST_MAX_SNAPSHOT : FAST_MAX_LEVELS;
    fr->lv[side] = fr->upd[side]; /* a snapshot's are set once the whole frame is read (realloc) */
    if (s < end && *s == ']') { *sp = s + 1; fr->nlev[side] = 0; return true; }
    for (;;) {
        if (n == max) return false;
        if (fr->snapshot && fr->snap_n == fr->snap_cap) {
            int cap = fr->snap_cap ? fr->snap_cap * 2 : 1024;
            fast_lv *v = realloc(fr->snap, sizeof *v * (size_t)cap);
            if (!v) return false; /* declined: the generic path reports it */
            fr->snap = v;
            fr->snap_cap = cap;
        }
        if (!dec_level(&s, end, fr, fr->snapshot ? &fr->snap[fr->snap_n] : &fr->lv[side][n])) return false;
        if (fr->snapshot) fr->snap_n++;
        n++;
        if (s < end && *s == ',') { s++; continue; }
        if (s < end && *s == ']') { s++; break; }
        return false;
    }
    fr->nlev[side] = n;
    *sp = s;
    return true;
}


/* The instrument a frame's symbol text names, from the feed's recent texts (no hashing, no
 * per-byte scan for the closing quote) or else th_instruments_find, whose answer is kept. *sp moves
 * to the closing quote; -2: no closing quote or an escape (not a frame for the fast path). */
static int32_t fast_symbol(th_feed *f, const char **sp, const char *end)
{
    const char *s = *sp;
    uint32_t gen = f->instruments.gen + 1;
    if (end - s > 24) {
        uint64_t a[3];
        memcpy(a, s, sizeof a); /* the text's three words, compared with each cached one's */
        for (int k = 0; k < 8; k++) {
            const __typeof__(f->fast_sym[0]) *e = &f->fast_sym[k];
            if (e->gen == gen && !(((a[0] ^ e->w[0]) & e->m[0]) | ((a[1] ^ e->w[1]) & e->m[1]) | ((a[2] ^ e->w[2]) & e->m[2])) &&
                s[e->len] == '"') {
                *sp = s + e->len;
                return e->idx;
            }
        }
    }
    const char *sym = s;
    while (s < end && *s != '"' && *s != '\\') s++;
    if (s == end || *s != '"') return -2;
    *sp = s;
    size_t n = (size_t)(s - sym);
    int32_t idx = th_instruments_find(&f->instruments, sym, n);
    if (n < sizeof f->fast_sym[0].w) {
        __typeof__(f->fast_sym[0]) *e = &f->fast_sym[f->fast_sym_next++ % 8];
        char text[sizeof e->w] = {0}, mask[sizeof e->m] = {0};
        memcpy(text, sym, n);
        memset(mask, 0xff, n);
        memcpy(e->w, text, sizeof text);
        memcpy(e->m, mask, sizeof mask);
        e->len = (uint32_t)n;
        e->idx = idx;
        e->gen = gen;
    }
    return idx;
}

static bool fast_scan(th_feed *f, const char *s, size_t len, fast_frame *fr)
{
    const char *end = s + len;
    if (!LIT(s, end, "{\"channel\":\"book\",\"type\":\"")) return false;
    if (LIT(s, end, "update")) fr->snapshot = false;
    else if (LIT(s, end, "snapshot")) fr->snapshot = true;
    else return false;
    if (!LIT(s, end, "\",\"data\":[{\"symbol\":\"")) return false;
    /* The instrument's precision converts the levels as they are read. An unknown symbol is
     * declined (the generic path reports it). */
    fr->idx = fast_symbol(f, &s, end);
    if (fr->idx < 0) return false;
    const th_book *b = fr->idx < f->sym_cap && f->sym[fr->idx] ? &f->sym[fr->idx]->book : NULL;
    fr->price_dec = b ? b->price_dec : f->instruments.v[fr->idx].price_dec;
    fr->qty_dec = b ? b->qty_dec : f->instruments.v[fr->idx].qty_dec;
    s++;
    if (!LIT(s, end, ",\"bids\":[") || !fast_levels(&s, end, fr, TH_BID)) return false;
    if (!LIT(s, end, ",\"asks\":[") || !fast_levels(&s, end, fr, TH_ASK)) return false;
    if (fr->snapshot) {
        fr->lv[TH_BID] = fr->snap;
        fr->lv[TH_ASK] = fr->snap + fr->nlev[TH_BID];
    }
    if (!LIT(s, end, ",\"checksum\":") || !number(&s, end, &fr->checksum)) return false;
    if (LIT(s, end, ",\"timestamp\":\"")) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        if (!q || memchr(s, '\\', (size_t)(q - s))) return false;
        s = q + 1;
    } else if (!fr->snapshot) {
        return false;
    }
    return LIT(s, end, "}]}") && s == end;
}

/* A checked snapshot's levels applied as the generic path does: the book cleared, bids then asks,
 * the wire's decimals learnt from each level's text. */
static int fast_snapshot_levels(th_book *b, const fast_frame *fr)
{
    th_book_clear(b);
    b->wire_price_dec = b->price_dec;
    b->wire_qty_dec = b->qty_dec;
    for (int side = 0; side < 2; side++) {
        for (int k = 0; k < fr->nlev[side]; k++) {
            const fast_lv *lv = &fr->lv[side][k];
            if (lv->bad || th_book_set_worse(b, side, lv->px, lv->qty) < 0) return -1;
            if (lv->pd > b->wire_price_dec && lv->pd <= 18) b->wire_price_dec = lv->pd;
            if (lv->qd > b->wire_qty_dec && lv->qd <= 18) b->wire_qty_dec = lv->qd;
        }
    }
    return 0;
}

/* A checked frame: false (declined) or true with *rc. */
static bool fast_apply(th_feed *f, const fast_frame *fr, int *rc)
{
    /* Anything the generic path would treat differently is declined before any state changes:
     * an unknown symbol (reported there; fast_scan declined it) or a checksum that is not a plain
     * integer. */
    uint64_t want = 0;
    if (fr->checksum.n > 10) return false;
    for (uint32_t k = 0; k < fr->checksum.n; k++) {
        unsigned d = (unsigned)(unsigned char)fr->checksum.p[k] - '0';
        if (d > 9) return false;
        want = want * 10 + d;
    }
    int32_t idx = fr->idx;
    th_feed_symbol *s = th_feed_symbol_at(f, idx);
    if (!s) { *rc = th_feed_error(f, idx, "out of memory"); return true; }
    s->frames++;
    th_book *b = &s->book;
    if (fr->snapshot) {
        if (fast_snapshot_levels(b, fr)) { *rc = th_feed_error(f, idx, "malformed book level"); return true; }
    } else {
        if (b->health == TH_BOOK_RESYNCING || b->health == TH_BOOK_EMPTY) { s->skipped++; *rc = 0; return true; }
        for (int side = 0; side < 2; side++)
            for (int k = 0; k < fr->nlev[side]; k++) {
                const fast_lv *lv = &fr->lv[side][k];
                if (lv->bad || th_book_set(b, side, lv->px, lv->qty) < 0) {
                    *rc = th_feed_error(f, idx, "malformed book level");
                    return true;
                }
            }
    }
    th_book_truncate(b);
    th_feed_book_updated(f, s);
    if (th_book_kraken_crc32(b) != (uint32_t)want) {
        s->checksum_failed++;
        *rc = th_feed_error(f, idx, "checksum mismatch");
        return true;
    }
    s->checksum_ok++;
    if (b->health != TH_BOOK_OK) th_feed_set_health(f, idx, TH_BOOK_OK, fr->snapshot ? "snapshot" : "update");
    *rc = 0;
    return true;
}

/* Returns true when the frame was handled here (*rc set); false: use the generic path. */
bool th_kraken_fast_frame(th_feed *f, const char *frame, size_t len, int *rc)
{
    fast_frame fr;
    fr.snap = NULL;
    fr.snap_n = fr.snap_cap = 0;
    bool mine = !f->no_fast_path && fast_scan(f, frame, len, &fr);
    if (mine) mine = fast_apply(f, &fr, rc);
    free(fr.snap);
    return mine;
}

static int kraken_frame(th_feed *f, const char *frame, size_t len)
{
    const th_json *j = &f->json;
    if (j->n > 0 && j->tok[0].type == TH_JSON_ARRAY) return handle_v1_frame(f);
    int ch = th_json_get(j, 0, "channel");
    if (ch < 0) { th_feed_ignore(f, "method response (subscribe, ...)"); return 0; }
    int data = th_json_get(j, 0, "data");
    if (th_json_eq(j, ch, "book")) {
        if (data < 0 || j->tok[data].type != TH_JSON_ARRAY) return th_feed_error(f, -1, "book frame without a data array");
        int type = th_json_get(j, 0, "type");
        return handle_book(f, data, th_json_eq(j, type, "snapshot"));
    }
    if (th_json_eq(j, ch, "trade")) {
        if (data < 0 || j->tok[data].type != TH_JSON_ARRAY) return th_feed_error(f, -1, "trade frame without a data array");
        return handle_trades(f, data);
    }
    if (th_json_eq(j, ch, "ticker")) {
        if (data < 0 || j->tok[data].type != TH_JSON_ARRAY) return th_feed_error(f, -1, "ticker frame without a data array");
        return handle_ticker(f, data);
    }
    if (th_json_eq(j, ch, "instrument")) {
        const char *err;
        int n = th_instruments_load_json(&f->instruments, frame, len, &err);
        /* reload re-tokenised into a private parser; ours is untouched */
        return n < 0 ? th_feed_error(f, -1, err) : 0;
    }
    th_feed_ignore(f, "channel not used (heartbeat, status)");
    return 0;
}

const th_venue_feed_ops th_kraken_feed_ops = {
    .name = "kraken",
    .depth = 1000,
    .fast_frame = th_kraken_fast_frame,
    .frame = kraken_frame,
};
