/* feed.c — venue-independent feed state (see feed.h). */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"

/* Token capacity: a Kraken depth-1000 snapshot has ~10k tokens; Binance 1000-level REST ~4k. */
#define TH_FEED_TOKENS (1 << 16)

int th_feed_init(th_feed *f, th_venue_id venue, int32_t depth)
{
    memset(f, 0, sizeof *f);
    f->venue = venue;
    f->depth = depth;
    th_instruments_init(&f->instruments, venue);
    return th_json_init(&f->json, TH_FEED_TOKENS);
}

void th_feed_free(th_feed *f)
{
    for (int32_t i = 0; i < f->sym_cap; i++) {
        if (!f->sym[i]) continue;
        th_book_free(&f->sym[i]->book);
        free(f->sym[i]->pending);
        free(f->sym[i]);
    }
    free(f->sym);
    th_json_free(&f->json);
    th_instruments_free(&f->instruments);
    memset(f, 0, sizeof *f);
}

th_feed_symbol *th_feed_symbol_at(th_feed *f, int32_t idx)
{
    if (idx < 0 || idx >= f->instruments.n) return NULL;
    if (idx >= f->sym_cap) {
        int32_t cap = f->instruments.n;
        th_feed_symbol **s = realloc(f->sym, sizeof *s * (size_t)cap);
        if (!s) return NULL;
        memset(s + f->sym_cap, 0, sizeof *s * (size_t)(cap - f->sym_cap));
        f->sym = s;
        f->sym_cap = cap;
    }
    if (!f->sym[idx]) {
        th_feed_symbol *s = calloc(1, sizeof *s);
        if (!s) return NULL;
        const th_instrument *ins = &f->instruments.v[idx];
        if (th_book_init(&s->book, f->depth, ins->price_dec, ins->qty_dec) != 0) { free(s); return NULL; }
        s->instrument = idx;
        f->sym[idx] = s;
    }
    return f->sym[idx];
}

void th_feed_set_health(th_feed *f, int32_t idx, int32_t health, const char *reason)
{
    th_feed_symbol *s = th_feed_symbol_at(f, idx);
    if (!s) return;
    int32_t old = s->book.health;
    if (!th_book_set_health(&s->book, health, reason)) return;
    if (health == TH_BOOK_RESYNCING) s->resyncs++;
    s->dirty = true;
    if (f->sink.on_health) f->sink.on_health(f->sink.ctx, f, idx, old, health, reason);
}

void th_feed_check_stale(th_feed *f, int64_t now_ns, int64_t stale_ns)
{
    for (int32_t i = 0; i < f->sym_cap; i++) {
        th_feed_symbol *s = f->sym[i];
        if (s && s->book.health == TH_BOOK_OK && now_ns - s->book.last_update_ns > stale_ns)
            th_feed_set_health(f, i, TH_BOOK_STALE, "no update within the stale interval");
    }
}

int th_feed_dec(th_feed *f, int tok, int scale, int64_t *out)
{
    if (tok < 0) return -1;
    return th_dec_parse(th_json_ptr(&f->json, tok), th_json_len(&f->json, tok), scale, out) == 0 ? 0 : -1;
}

int32_t th_feed_lookup(th_feed *f, int tok)
{
    if (tok < 0) {
        snprintf(f->last_error, sizeof f->last_error, "frame names no symbol");
        f->errors++;
        return -1;
    }
    return th_feed_lookup_name(f, th_json_ptr(&f->json, tok), th_json_len(&f->json, tok));
}

int32_t th_feed_lookup_name(th_feed *f, const char *name, size_t len)
{
    int32_t idx = th_instruments_find(&f->instruments, name, len);
    if (idx < 0) {
        f->unknown_symbol++;
        snprintf(f->last_error, sizeof f->last_error, "unknown symbol %.*s (not in the instrument data)", (int)len, name);
    }
    return idx;
}

int th_feed_error(th_feed *f, int32_t idx, const char *reason)
{
    f->errors++;
    if (idx >= 0) {
        snprintf(f->last_error, sizeof f->last_error, "%s: %s", f->instruments.v[idx].symbol, reason);
        th_feed_symbol *s = th_feed_symbol_at(f, idx);
        if (s) s->parse_errors++;
        th_feed_set_health(f, idx, TH_BOOK_RESYNCING, reason);
    } else {
        snprintf(f->last_error, sizeof f->last_error, "%s", reason);
    }
    return -1;
}

int th_feed_set_level(th_book *b, int side, const char *px, size_t px_len, const char *qty, size_t qty_len)
{
    int64_t p, q;
    if (th_dec_parse(px, px_len, b->price_dec, &p) || th_dec_parse(qty, qty_len, b->qty_dec, &q) || p <= 0 || q < 0)
        return -1;
    return th_book_set(b, side, p, q) < 0 ? -1 : 0;
}

int th_feed_set_level_tok(th_feed *f, th_book *b, int side, int price_tok, int qty_tok)
{
    if (price_tok < 0 || qty_tok < 0) return -1;
    const th_json *j = &f->json;
    return th_feed_set_level(b, side, th_json_ptr(j, price_tok), th_json_len(j, price_tok), th_json_ptr(j, qty_tok),
                             th_json_len(j, qty_tok));
}

int th_feed_trade(th_feed *f, int32_t idx, int price_tok, int qty_tok, int side)
{
    th_feed_symbol *s = th_feed_symbol_at(f, idx);
    if (!s) return -1;
    th_trade_ev t = {.ts_ns = f->now_ns, .side = side};
    if (th_feed_dec(f, price_tok, s->book.price_dec, &t.price) || th_feed_dec(f, qty_tok, s->book.qty_dec, &t.qty)) {
        /* a bad trade print is counted; it does not make the book wrong */
        f->errors++;
        s->parse_errors++;
        snprintf(f->last_error, sizeof f->last_error, "%s: malformed trade", f->instruments.v[idx].symbol);
        return -1;
    }
    s->trades++;
    s->last_trade = t;
    s->dirty = true;
    if (f->sink.on_trade) f->sink.on_trade(f->sink.ctx, f, idx, &t);
    return 0;
}

int th_feed_frame(th_feed *f, const char *frame, size_t len, int64_t recv_ns)
{
    f->frames++;
    f->now_ns = recv_ns;
    int rc;
    if ((f->venue == TH_VENUE_KRAKEN || f->venue == TH_VENUE_SIM) && th_kraken_fast_frame(f, frame, len, &rc)) return rc;
    rc = th_json_parse(&f->json, frame, len);
    if (rc < 0) return th_feed_error(f, -1, th_json_strerror(rc));
    if (f->json.tok[0].type != TH_JSON_OBJECT && f->json.tok[0].type != TH_JSON_ARRAY)
        return th_feed_error(f, -1, "frame is not a JSON object");
    switch (f->venue) {
    case TH_VENUE_KRAKEN: case TH_VENUE_SIM: return th_kraken_frame(f, frame, len);
    case TH_VENUE_KRAKEN_FUTURES: return th_kraken_futures_frame(f, frame, len);
    case TH_VENUE_BINANCE: case TH_VENUE_BINANCE_USDM: return th_binance_frame(f, frame, len);
    default: return th_feed_error(f, -1, "unknown venue");
    }
}

static int32_t symbol_from_url(th_feed *f, const char *url, size_t n)
{
    for (size_t i = 0; url && i + 7 <= n; i++) {
        if (memcmp(url + i, "symbol=", 7) == 0) {
            size_t s = i + 7, e = s;
            while (e < n && url[e] != '&') e++;
            return th_instruments_find(&f->instruments, url + s, e - s);
        }
    }
    return -1;
}

int th_feed_rest(th_feed *f, const char *url, size_t url_len, const char *body, size_t len, const char *symbol_hint)
{
    int32_t idx = symbol_from_url(f, url, url_len);
    if (idx < 0 && symbol_hint) idx = th_instruments_find(&f->instruments, symbol_hint, strlen(symbol_hint));
    if (idx < 0) {
        /* a snapshot body does not name its symbol: in a one-symbol feed it belongs to that symbol */
        int32_t only = -1, seen = 0;
        for (int32_t i = 0; i < f->sym_cap; i++) if (f->sym[i]) { only = i; seen++; }
        if (seen == 1) idx = only;
    }
    if (idx < 0) { f->errors++; snprintf(f->last_error, sizeof f->last_error, "REST snapshot for an unknown symbol"); return -1; }
    if (f->venue != TH_VENUE_BINANCE && f->venue != TH_VENUE_BINANCE_USDM) { f->ignored++; return 0; }
    return th_binance_snapshot(f, idx, body, len);
}
