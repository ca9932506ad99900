/* feed.c — venue-independent feed state (see feed.h). */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"
#include "venue_feed.h"

/* Token capacity: a Kraken depth-1000 snapshot has ~10k tokens; Binance 1000-level REST ~4k. */
#define TH_FEED_TOKENS (1 << 16)

int th_feed_init(th_feed *f, th_venue_id venue, int32_t depth)
{
    memset(f, 0, sizeof *f);
    f->venue = venue;
    f->ops = th_venue_feed_ops_for(venue);
    f->depth = depth;
    f->last_reason = -1;
    f->last_seen = -1;
    f->inferred = -1;
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
        th_feed_count_error(f, "frame names no symbol");
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
        /* not an error of the feed: the instrument data chosen does not cover every recorded pair */
        th_feed_ignore(f, "symbol not in the instrument data");
        return idx;
    }
    th_feed_seen(f, idx);
    return idx;
}

static int reason_slot(th_feed *f, const char *reason, bool ignored)
{
    if (f->last_reason >= 0 && f->reasons[f->last_reason].ignored == ignored && strcmp(f->reasons[f->last_reason].text, reason) == 0)
        return f->last_reason;
    for (int i = 0; i < f->nreasons; i++)
        if (f->reasons[i].ignored == ignored && strcmp(f->reasons[i].text, reason) == 0) return i;
    if (f->nreasons == TH_FEED_REASONS) {
        /* full: the last slot collects the rest, so every count still adds up */
        th_feed_reason *r = &f->reasons[TH_FEED_REASONS - 1];
        snprintf(r->text, sizeof r->text, "other reasons");
        return TH_FEED_REASONS - 1;
    }
    th_feed_reason *r = &f->reasons[f->nreasons];
    snprintf(r->text, sizeof r->text, "%s", reason);
    r->ignored = ignored;
    r->count = 0;
    return f->nreasons++;
}

void th_feed_count_error(th_feed *f, const char *reason)
{
    f->errors++;
    f->last_reason = reason_slot(f, reason, false);
    f->reasons[f->last_reason].count++;
}

void th_feed_ignore(th_feed *f, const char *reason)
{
    f->ignored++;
    f->last_reason = reason_slot(f, reason, true);
    f->reasons[f->last_reason].count++;
}

/* true when idx is new to the set */
static bool symset_add(th_feed_symset *s, int32_t idx)
{
    for (int i = 0; i < s->n; i++)
        if (s->idx[i] == idx) return false;
    if (s->n < TH_FEED_CANDIDATES) s->idx[s->n++] = idx;
    else s->more = true;
    return true;
}

void th_feed_seen_slow(th_feed *f, int32_t idx)
{
    f->last_seen = idx;
    if (!symset_add(&f->seen, idx) || f->inferred < 0 || f->subscribed.n) return;
    /* A URL-less snapshot was given to the one symbol the recording had shown; now it shows
     * another, so that guess may have been wrong: say so once (the Binance sync rules will still
     * refuse a snapshot whose ids do not fit the diffs). */
    snprintf(f->last_error, sizeof f->last_error,
             "a REST snapshot without a URL was applied to %s, the only symbol the recording had shown; %s appears later "
             "(record snapshots with their URL, or replay with --symbol)",
             f->instruments.v[f->inferred].symbol, f->instruments.v[idx].symbol);
    f->inferred = -1;
    th_feed_count_error(f, "REST snapshot without a URL in a recording of several symbols");
}

void th_feed_subscription(th_feed *f, const char *text, size_t len)
{
    if (!f->ops || !f->ops->subscription_symbols || !text) return;
    int32_t v[64];
    int n = f->ops->subscription_symbols(f, text, len, v, 64);
    for (int i = 0; i < n; i++) symset_add(&f->subscribed, v[i]);
    if (n == 64) f->subscribed.more = true;
}

int th_feed_error(th_feed *f, int32_t idx, const char *reason)
{
    th_feed_count_error(f, reason);
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
        th_feed_count_error(f, "malformed trade");
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

static int rest_parsed(th_feed *f, const char *url, size_t url_len, const char *body, size_t len, const char *symbol_hint);

int th_feed_frame(th_feed *f, const char *frame, size_t len, int64_t recv_ns)
{
    f->frames++;
    f->now_ns = recv_ns;
    f->last_reason = -1;
    const th_venue_feed_ops *ops = f->ops;
    if (!ops) return th_feed_error(f, -1, "no parser for this venue");
    int rc;
    if (ops->fast_frame && ops->fast_frame(f, frame, len, &rc)) return rc;
    rc = th_json_parse(&f->json, frame, len);
    if (rc < 0) return th_feed_error(f, -1, th_json_strerror(rc));
    if (f->json.tok[0].type != TH_JSON_OBJECT && f->json.tok[0].type != TH_JSON_ARRAY)
        return th_feed_error(f, -1, "frame is not a JSON object");
    /* A REST snapshot body recorded on its own line between the stream frames is recognised by
     * its shape, not by where it sits. */
    if (ops->is_snapshot && ops->is_snapshot(f)) return rest_parsed(f, NULL, 0, frame, len, f->symbol_hint);
    return ops->frame(f, frame, len);
}

/* Returns the index, or -1 when symbol= names nothing; *named says whether the URL had one. */
static int32_t symbol_from_url(th_feed *f, const char *url, size_t n, bool *named)
{
    *named = false;
    for (size_t i = 0; url && i + 7 <= n; i++) {
        if (memcmp(url + i, "symbol=", 7) == 0) {
            size_t s = i + 7, e = s;
            while (e < n && url[e] != '&') e++;
            *named = true;
            int32_t idx = th_instruments_find(&f->instruments, url + s, e - s);
            if (idx < 0)
                snprintf(f->last_error, sizeof f->last_error, "REST snapshot for %.*s, which is not in the instrument data",
                         (int)(e - s), url + s);
            return idx;
        }
    }
    return -1;
}

/* The recording's one symbol for a body that names none: the one its subscriptions name, else the
 * one its frames have named. Several (or none): -1 with last_error naming the candidates. */
static int32_t one_symbol(th_feed *f)
{
    const th_feed_symset *set = f->subscribed.n ? &f->subscribed : &f->seen;
    if (set->n == 1 && !set->more) return set->idx[0];
    if (set->n == 0) {
        snprintf(f->last_error, sizeof f->last_error,
                 "REST snapshot names no symbol and no frame or subscription has named one yet (record it with its URL, or replay with --symbol)");
        return -1;
    }
    int o = snprintf(f->last_error, sizeof f->last_error, "REST snapshot names no symbol and the recording %s %d%s symbols (",
                     set == &f->subscribed ? "subscribes to" : "has frames for", set->n, set->more ? "+" : "");
    for (int i = 0; i < set->n && o > 0 && (size_t)o < sizeof f->last_error; i++)
        o += snprintf(f->last_error + o, sizeof f->last_error - (size_t)o, "%s%s", i ? ", " : "", f->instruments.v[set->idx[i]].symbol);
    if (o > 0 && (size_t)o < sizeof f->last_error)
        snprintf(f->last_error + o, sizeof f->last_error - (size_t)o, "): record it with its URL, or replay with --symbol");
    return -1;
}

/* A REST body already tokenised in f->json. */
static int rest_parsed(th_feed *f, const char *url, size_t url_len, const char *body, size_t len, const char *symbol_hint)
{
    const th_venue_feed_ops *ops = f->ops;
    if (!ops || !ops->snapshot) { th_feed_ignore(f, "REST body for a venue without REST snapshots"); return 0; }
    if (!ops->is_snapshot || !ops->is_snapshot(f)) { th_feed_ignore(f, "REST body that is not a depth snapshot"); return 0; }
    bool named;
    int32_t idx = symbol_from_url(f, url, url_len, &named);
    if (idx < 0 && named) { th_feed_count_error(f, "REST snapshot for a symbol not in the instrument data"); return -1; }
    if (idx < 0 && symbol_hint) {
        idx = th_instruments_find(&f->instruments, symbol_hint, strlen(symbol_hint));
        if (idx < 0) {
            snprintf(f->last_error, sizeof f->last_error, "--symbol %s is not in the instrument data", symbol_hint);
            th_feed_count_error(f, "REST snapshot for a symbol not in the instrument data");
            return -1;
        }
    }
    if (idx < 0) {
        if ((idx = one_symbol(f)) < 0) {
            th_feed_count_error(f, "REST snapshot names no symbol and the recording has no one symbol");
            return -1;
        }
        if (!f->subscribed.n && !f->seen.more) f->inferred = idx;
    }
    return ops->snapshot(f, idx, body, len);
}

int th_feed_rest(th_feed *f, const char *url, size_t url_len, const char *body, size_t len, const char *symbol_hint)
{
    f->last_reason = -1;
    if (f->rest_tap) f->rest_tap(f->rest_tap_ctx, url, url_len, body, len);
    int rc = th_json_parse(&f->json, body, len);
    if (rc < 0) return th_feed_error(f, -1, th_json_strerror(rc));
    return rest_parsed(f, url, url_len, body, len, symbol_hint);
}
