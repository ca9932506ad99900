/* binance_feed.c — Binance spot and USD-M futures market streams: depthUpdate diffs kept in sync
 * with a REST depth snapshot, bookTicker, aggTrade/trade.
 *
 * Local book rules (Binance docs, "How to manage a local order book correctly"):
 *   spot:  drop events with u <= lastUpdateId; the first applied event has U <= lastUpdateId+1 <= u;
 *          each later event has U == previous u + 1.
 *   USD-M: drop events with u < lastUpdateId; the first applied event has U <= lastUpdateId <= u;
 *          each later event has pu == previous u.
 * Diffs that arrive before the snapshot are buffered (as the docs say to) and replayed through the
 * same rules when it arrives. A broken rule is a gap: the book goes RESYNCING and diffs are buffered
 * again until a new snapshot. Quantities are absolute; "0.00000000" deletes the level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../feed/venue_feed.h"

#define PENDING_MAX (8u << 20)

/* [["price","qty"], ...] */
static int apply_pairs(th_feed *f, th_book *b, int arr, int side)
{
    const th_json *j = &f->json;
    if (arr < 0) return 0;
    if (j->tok[arr].type != TH_JSON_ARRAY) return -1;
    int i = arr + 1;
    for (int k = 0; k < j->tok[arr].size; k++, i = th_json_skip(j, i)) {
        if (j->tok[i].type != TH_JSON_ARRAY || j->tok[i].size < 2) return -1;
        if (th_feed_set_level_tok(f, b, side, i + 1, i + 2) != 0) return -1;
    }
    return 0;
}

static void buffer_frame(th_feed_symbol *s, const char *frame, size_t len)
{
    if (s->pending_len + len + 1 > PENDING_MAX) { /* bounded: the snapshot will then show a gap */
        s->pending_dropped++;
        s->pending_len = 0;
        return;
    }
    if (s->pending_len + len + 1 > s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap : 1 << 14;
        while (cap < s->pending_len + len + 1) cap *= 2;
        char *p = realloc(s->pending, cap);
        if (!p) { s->pending_dropped++; return; }
        s->pending = p;
        s->pending_cap = cap;
    }
    memcpy(s->pending + s->pending_len, frame, len);
    s->pending[s->pending_len + len] = 0;
    s->pending_len += len + 1;
}

/* A broken sequence rule: the frame is refused with the rule and the numbers that broke it (the
 * caller logs last_error; before, a gap left it empty). */
static int gap(th_feed *f, int32_t idx, th_feed_symbol *s, const char *why, int64_t U, int64_t u, int64_t pu)
{
    if (pu >= 0)
        snprintf(f->last_error, sizeof f->last_error, "%s: %s (U=%lld u=%lld pu=%lld, book at %lld)", f->instruments.v[idx].symbol,
                 why, (long long)U, (long long)u, (long long)pu, (long long)s->book.seq);
    else
        snprintf(f->last_error, sizeof f->last_error, "%s: %s (U=%lld u=%lld, book at %lld)", f->instruments.v[idx].symbol, why,
                 (long long)U, (long long)u, (long long)s->book.seq);
    s->gaps++;
    s->synced = false;
    s->snapshot_id = 0;
    th_feed_set_health(f, idx, TH_BOOK_GAPPED, why);
    th_feed_set_health(f, idx, TH_BOOK_RESYNCING, why);
    th_feed_count_error(f, why);
    return -1;
}

/* ev: the depthUpdate object token in f->json. */
static int handle_depth(th_feed *f, int ev, const char *frame, size_t len)
{
    const th_json *j = &f->json;
    int32_t idx = th_feed_lookup(f, th_json_get(j, ev, "s"));
    if (idx < 0) return -1;
    th_feed_symbol *s = th_feed_symbol_at(f, idx);
    if (!s) return th_feed_error(f, idx, "out of memory");
    s->frames++;
    int64_t U, u, pu = -1;
    if (th_json_i64(j, th_json_get(j, ev, "U"), &U) || th_json_i64(j, th_json_get(j, ev, "u"), &u))
        return th_feed_error(f, idx, "depthUpdate without U/u");
    bool usdm = f->venue == TH_VENUE_BINANCE_USDM;
    if (usdm && th_json_i64(j, th_json_get(j, ev, "pu"), &pu)) return th_feed_error(f, idx, "USD-M depthUpdate without pu");
    /* update ids are positive and U <= u; anything else is not a Binance diff (pu is -1 only on
     * USD-M's first event after a reconnect, which the straddle rule handles) */
    if (U <= 0 || u < U || (usdm && pu < -1)) {
        s->synced = false; /* as for a malformed level: resync from a new snapshot */
        s->snapshot_id = 0;
        return th_feed_error(f, idx, "depthUpdate with an invalid U, u or pu (ids are positive, U <= u)");
    }
    if (s->snapshot_id == 0) { buffer_frame(s, frame, len); s->skipped++; return 0; }
    th_book *b = &s->book;
    if (!s->synced) {
        int64_t id = s->snapshot_id;
        if (usdm ? u < id : u <= id) { s->skipped++; return 0; } /* older than the snapshot */
        bool ok = usdm ? (U <= id && id <= u) : (U <= id + 1 && id + 1 <= u);
        if (!ok) return gap(f, idx, s, "first diff does not straddle the snapshot", U, u, usdm ? pu : -1);
    } else {
        bool ok = usdm ? (pu == b->seq) : (U == b->seq + 1);
        if (!ok) return gap(f, idx, s, usdm ? "pu != previous u" : "U != previous u + 1", U, u, usdm ? pu : -1);
    }
    if (apply_pairs(f, b, th_json_get(j, ev, "b"), TH_BID) || apply_pairs(f, b, th_json_get(j, ev, "a"), TH_ASK)) {
        s->synced = false;
        s->snapshot_id = 0;
        return th_feed_error(f, idx, "malformed depth level");
    }
    s->synced = true;
    b->seq = u;
    th_feed_book_updated(f, s);
    if (b->health != TH_BOOK_OK) th_feed_set_health(f, idx, TH_BOOK_OK, "synchronised with snapshot");
    return 0;
}

static int frame_text(th_feed *f, const char *frame, size_t len);

/* {"lastUpdateId":..,"bids":[..],"asks":[..]} (USD-M adds "E" and "T"): a REST depth snapshot,
 * whether recorded with its URL or as a bare line between the stream frames. */
static bool is_snapshot(const th_feed *f)
{
    const th_json *j = &f->json;
    return j->tok[0].type == TH_JSON_OBJECT && th_json_get(j, 0, "lastUpdateId") >= 0 && th_json_get(j, 0, "bids") >= 0 &&
           th_json_get(j, 0, "asks") >= 0;
}

/* The tokenised snapshot body in f->json (body/len: its text, unused). */
static int snapshot(th_feed *f, int32_t idx, const char *body, size_t len)
{
    (void)body; (void)len;
    th_feed_symbol *s = th_feed_symbol_at(f, idx);
    if (!s) return th_feed_error(f, idx, "out of memory");
    const th_json *j = &f->json;
    int64_t id;
    if (th_json_i64(j, th_json_get(j, 0, "lastUpdateId"), &id) != 0 || id <= 0)
        return th_feed_error(f, idx, "depth snapshot without lastUpdateId");
    th_book *b = &s->book;
    th_book_clear(b);
    if (apply_pairs(f, b, th_json_get(j, 0, "bids"), TH_BID) || apply_pairs(f, b, th_json_get(j, 0, "asks"), TH_ASK))
        return th_feed_error(f, idx, "malformed snapshot level");
    s->snapshot_id = id;
    s->synced = false;
    b->seq = id;
    b->last_update_ns = f->now_ns;
    /* Replay what was buffered, in order, through the same rules. The buffer is detached first so
     * that a gap during the replay re-buffers into a fresh one. */
    char *pend = s->pending;
    size_t plen = s->pending_len;
    s->pending = NULL;
    s->pending_len = s->pending_cap = 0;
    int out = 0;
    for (size_t off = 0; off < plen;) {
        size_t n = strlen(pend + off);
        s->frames--; /* counted when buffered */
        if (frame_text(f, pend + off, n) != 0) out = -1;
        off += n + 1;
    }
    free(pend);
    /* Until a diff straddles the snapshot the book is not trusted; it stays in its current
     * (EMPTY or RESYNCING) state rather than counting another resync. */
    return out;
}

static int handle_event(th_feed *f, int ev, const char *frame, size_t len)
{
    const th_json *j = &f->json;
    int e = th_json_get(j, ev, "e");
    if (th_json_eq(j, e, "depthUpdate")) return handle_depth(f, ev, frame, len);
    if (th_json_eq(j, e, "aggTrade") || th_json_eq(j, e, "trade")) {
        int32_t idx = th_feed_lookup(f, th_json_get(j, ev, "s"));
        th_feed_symbol *s = idx >= 0 ? th_feed_symbol_at(f, idx) : NULL;
        if (!s) return -1;
        /* m: buyer is the maker, so the seller was the taker */
        return th_feed_trade(f, idx, th_json_get(j, ev, "p"), th_json_get(j, ev, "q"),
                             th_json_eq(j, th_json_get(j, ev, "m"), "true") ? TH_ASK : TH_BID);
    }
    if (e < 0 || th_json_eq(j, e, "bookTicker")) { /* spot bookTicker has no "e" */
        int bt = th_json_get(j, ev, "b"), at = th_json_get(j, ev, "a");
        int32_t idx = th_feed_lookup(f, th_json_get(j, ev, "s"));
        th_feed_symbol *s = idx >= 0 ? th_feed_symbol_at(f, idx) : NULL;
        if (!s) return -1; /* counted by the lookup: no symbol, or not in the instrument data */
        if (bt < 0 || at < 0) { th_feed_ignore(f, "bookTicker without b/a"); return 0; }
        th_feed_dec(f, bt, s->book.price_dec, &s->ticker.bid);
        th_feed_dec(f, at, s->book.price_dec, &s->ticker.ask);
        s->ticker.ts_ns = f->now_ns;
        s->dirty = true;
        return 0;
    }
    th_feed_ignore(f, e >= 0 ? "event type not used (kline and others)" : "frame of no known shape");
    return 0;
}

static int binance_frame(th_feed *f, const char *frame, size_t len)
{
    const th_json *j = &f->json;
    if (j->tok[0].type != TH_JSON_OBJECT) { th_feed_ignore(f, "frame is not a JSON object"); return 0; }
    if (th_json_get(j, 0, "result") >= 0 && th_json_get(j, 0, "id") >= 0) { th_feed_ignore(f, "subscription reply"); return 0; }
    int data = th_json_get(j, 0, "data");
    int ev = data >= 0 ? data : 0; /* combined stream wraps the event in {"stream","data"} */
    if (j->tok[ev].type != TH_JSON_OBJECT) { th_feed_ignore(f, "stream data is not an object"); return 0; }
    return handle_event(f, ev, frame, len);
}

/* Re-tokenise and handle (used for buffered frames). */
static int frame_text(th_feed *f, const char *frame, size_t len)
{
    int rc = th_json_parse(&f->json, frame, len);
    if (rc < 0) return th_feed_error(f, -1, th_json_strerror(rc));
    return binance_frame(f, frame, len);
}

/* Stream names in a URL (".../stream?streams=btcusdt@depth@100ms/ethusdt@trade", "/ws/btcusdt@depth")
 * or a SUBSCRIBE frame ({"method":"SUBSCRIBE","params":["btcusdt@depth@100ms",...]}): each
 * "<symbol>@" names a symbol, lower case on the wire. */
static int subscription_symbols(th_feed *f, const char *text, size_t len, int32_t *out, int cap)
{
    int n = 0;
    for (size_t i = 0; i < len && n < cap; i++) {
        if (text[i] != '@') continue;
        size_t b = i;
        while (b > 0 && ((text[b - 1] >= 'a' && text[b - 1] <= 'z') || (text[b - 1] >= '0' && text[b - 1] <= '9') ||
                         (text[b - 1] >= 'A' && text[b - 1] <= 'Z')))
            b--;
        if (b == i || i - b > 32) continue;
        char sym[33];
        for (size_t k = b; k < i; k++) sym[k - b] = (char)(text[k] >= 'a' && text[k] <= 'z' ? text[k] - 32 : text[k]);
        int32_t idx = th_instruments_find(&f->instruments, sym, i - b);
        if (idx < 0) continue;
        bool dup = false;
        for (int k = 0; k < n; k++) dup |= out[k] == idx;
        if (!dup) out[n++] = idx;
    }
    return n;
}

const th_venue_feed_ops th_binance_feed_ops = {
    .name = "binance",
    .frame = binance_frame,
    .is_snapshot = is_snapshot,
    .snapshot = snapshot,
    .subscription_symbols = subscription_symbols,
};

const th_venue_feed_ops th_binance_usdm_feed_ops = {
    .name = "binance-usdm",
    .frame = binance_frame,
    .is_snapshot = is_snapshot,
    .snapshot = snapshot,
    .subscription_symbols = subscription_symbols,
};
