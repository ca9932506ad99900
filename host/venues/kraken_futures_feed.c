/* kraken_futures_feed.c — Kraken Futures WebSocket v1 public feeds: book_snapshot/book, ticker and
 * ticker_lite, trade/trade_snapshot.
 *
 * Book rules: `book_snapshot` replaces the book and sets seq; every `book` delta carries the
 * product's next seq (strictly +1). A delta whose seq is not last+1 is a gap: the book is GAPPED
 * and then RESYNCING until a new snapshot (a live connector resubscribes). Deltas carry absolute
 * quantities per price (qty 0 deletes). Product ids are upper-case here and lower-case in the REST
 * instruments: lookups are case-insensitive. */
#include <stdio.h>
#include <string.h>

#include "../feed/venue_feed.h"

static int apply_levels(th_feed *f, th_book *b, int arr, int side)
{
    const th_json *j = &f->json;
    if (arr < 0) return 0;
    if (j->tok[arr].type != TH_JSON_ARRAY) return -1;
    int i = arr + 1;
    for (int k = 0; k < j->tok[arr].size; k++, i = th_json_skip(j, i))
        if (th_feed_set_level_tok(f, b, side, th_json_get(j, i, "price"), th_json_get(j, i, "qty")) != 0) return -1;
    return 0;
}

static th_feed_symbol *symbol_of(th_feed *f, int32_t *idx_out)
{
    int32_t idx = th_feed_lookup(f, th_json_get(&f->json, 0, "product_id"));
    *idx_out = idx;
    if (idx < 0) return NULL;
    return th_feed_symbol_at(f, idx);
}

static int handle_trade(th_feed *f, int32_t idx, int obj)
{
    const th_json *j = &f->json;
    return th_feed_trade(f, idx, th_json_get(j, obj, "price"), th_json_get(j, obj, "qty"),
                         th_json_eq(j, th_json_get(j, obj, "side"), "sell") ? TH_ASK : TH_BID);
}

static int futures_frame(th_feed *f, const char *frame, size_t len)
{
    (void)frame; (void)len;
    const th_json *j = &f->json;
    int feed = th_json_get(j, 0, "feed");
    if (feed < 0 || th_json_get(j, 0, "event") >= 0) { th_feed_ignore(f, "event (subscribed, info, heartbeat)"); return 0; }
    int32_t idx;
    if (th_json_eq(j, feed, "book")) {
        th_feed_symbol *s = symbol_of(f, &idx);
        if (!s) return idx < 0 ? -1 : th_feed_error(f, idx, "out of memory");
        s->frames++;
        th_book *b = &s->book;
        int64_t seq;
        if (th_json_i64(j, th_json_get(j, 0, "seq"), &seq) != 0) return th_feed_error(f, idx, "book delta without seq");
        if (b->health == TH_BOOK_RESYNCING || b->health == TH_BOOK_EMPTY) { s->skipped++; return 0; }
        if (seq != b->seq + 1) {
            snprintf(f->last_error, sizeof f->last_error, "%s: seq gap (delta seq %lld after %lld)", f->instruments.v[idx].symbol,
                     (long long)seq, (long long)b->seq);
            s->gaps++;
            th_feed_set_health(f, idx, TH_BOOK_GAPPED, "seq gap");
            th_feed_set_health(f, idx, TH_BOOK_RESYNCING, "seq gap");
            th_feed_count_error(f, "seq gap");
            return -1;
        }
        int side = th_json_eq(j, th_json_get(j, 0, "side"), "sell") ? TH_ASK : TH_BID;
        if (th_feed_set_level_tok(f, b, side, th_json_get(j, 0, "price"), th_json_get(j, 0, "qty")) != 0)
            return th_feed_error(f, idx, "malformed book delta");
        b->seq = seq;
        th_feed_book_updated(f, s);
        if (b->health != TH_BOOK_OK) th_feed_set_health(f, idx, TH_BOOK_OK, "delta");
        return 0;
    }
    if (th_json_eq(j, feed, "book_snapshot")) {
        th_feed_symbol *s = symbol_of(f, &idx);
        if (!s) return idx < 0 ? -1 : th_feed_error(f, idx, "out of memory");
        s->frames++;
        th_book *b = &s->book;
        int64_t seq;
        if (th_json_i64(j, th_json_get(j, 0, "seq"), &seq) != 0) return th_feed_error(f, idx, "snapshot without seq");
        th_book_clear(b);
        if (apply_levels(f, b, th_json_get(j, 0, "bids"), TH_BID) || apply_levels(f, b, th_json_get(j, 0, "asks"), TH_ASK))
            return th_feed_error(f, idx, "malformed snapshot level");
        b->seq = seq;
        th_feed_book_updated(f, s);
        th_feed_set_health(f, idx, TH_BOOK_OK, "snapshot");
        return 0;
    }
    if (th_json_eq(j, feed, "trade")) {
        th_feed_symbol *s = symbol_of(f, &idx);
        return s ? handle_trade(f, idx, 0) : -1;
    }
    if (th_json_eq(j, feed, "trade_snapshot")) {
        th_feed_symbol *s = symbol_of(f, &idx);
        if (!s) return -1;
        int arr = th_json_get(j, 0, "trades");
        if (arr < 0 || j->tok[arr].type != TH_JSON_ARRAY) return th_feed_error(f, -1, "trade_snapshot without trades");
        /* newest first on the wire: only the newest becomes last_trade */
        if (j->tok[arr].size > 0) handle_trade(f, idx, arr + 1);
        return 0;
    }
    if (th_json_eq(j, feed, "ticker") || th_json_eq(j, feed, "ticker_lite")) {
        th_feed_symbol *s = symbol_of(f, &idx);
        if (!s) return -1;
        th_ticker_ev t = {.ts_ns = f->now_ns};
        th_feed_dec(f, th_json_get(j, 0, "bid"), s->book.price_dec, &t.bid);
        th_feed_dec(f, th_json_get(j, 0, "ask"), s->book.price_dec, &t.ask);
        th_feed_dec(f, th_json_get(j, 0, "last"), s->book.price_dec, &t.last);
        s->ticker = t;
        s->dirty = true;
        return 0;
    }
    th_feed_ignore(f, "feed not used");
    return 0;
}

const th_venue_feed_ops th_kraken_futures_feed_ops = {
    .name = "kraken-futures",
    .frame = futures_frame,
};
