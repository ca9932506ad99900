/* feed.h — market data for one venue: instruments, per-symbol books, trades and tickers, and the
 * venue-specific frame parsers that maintain them.
 *
 * A feed takes raw frames (from a websocket or a recording) and REST bodies (depth snapshots) and
 * applies them exactly as the venue's documented rules say: Kraken v2 checksums, Kraken Futures
 * per-product seq, Binance U/u (spot) and pu (USD-M) synchronisation with a REST snapshot. A frame
 * that does not parse, a checksum mismatch or a sequence gap puts only that symbol's book into
 * RESYNCING with a logged reason; other books are untouched and the process never aborts. Each
 * health transition is reported to the sink, which is how strategies and risk gates learn of it.
 * No socket code here: connectors and `replay` feed it. */
#ifndef TH_FEED_H
#define TH_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/book.h"
#include "../core/instrument.h"
#include "../core/json.h"
#include "instrument_file.h"

typedef struct th_trade_ev {
    int64_t price, qty; /* instrument units */
    int32_t side;       /* TH_BID: buyer was the taker ("buy"); TH_ASK: seller */
    int64_t ts_ns;
} th_trade_ev;

typedef struct th_ticker_ev {
    int64_t bid, ask, last; /* instrument price units; 0 when absent */
    int64_t ts_ns;
} th_ticker_ev;

typedef struct th_feed_symbol {
    th_book book;
    int32_t instrument;
    bool dirty;               /* changed since the consumer last looked (conflation) */
    uint64_t frames, checksum_ok, checksum_failed, gaps, resyncs, parse_errors, skipped;
    uint64_t trades;
    th_trade_ev last_trade;
    th_ticker_ev ticker;
    /* Binance local-book sync */
    bool synced;
    int64_t snapshot_id;
    char *pending;            /* diffs buffered before the snapshot, NUL-separated frames */
    size_t pending_len, pending_cap;
    uint64_t pending_dropped;
} th_feed_symbol;

struct th_feed;
typedef struct th_feed_sink {
    void *ctx;
    void (*on_health)(void *ctx, struct th_feed *f, int32_t sym, int32_t old_health, int32_t new_health,
                      const char *reason);
    void (*on_trade)(void *ctx, struct th_feed *f, int32_t sym, const th_trade_ev *t);
} th_feed_sink;

typedef struct th_feed {
    th_venue_id venue;
    th_instruments instruments;
    th_feed_symbol **sym;     /* by instrument index; NULL until first seen */
    int32_t sym_cap;
    int32_t depth;            /* subscribed book depth (Kraken: 1000); 0 = unbounded */
    th_json json;
    th_feed_sink sink;
    int64_t now_ns;           /* receive time of the frame being handled */
    bool no_fast_path;        /* tests: force the generic jsmn path (cross-checks the fast one) */
    uint64_t frames, ignored, errors, unknown_symbol;
    char last_error[256];
} th_feed;

int th_feed_init(th_feed *f, th_venue_id venue, int32_t depth);
void th_feed_free(th_feed *f);

/* A websocket frame. Returns 0 when handled or ignored by design, -1 when it was malformed or
 * broke a book (see last_error; the affected book, if known, is already in RESYNCING). */
int th_feed_frame(th_feed *f, const char *frame, size_t len, int64_t recv_ns);
/* A REST body (e.g. a Binance depth snapshot). url may be NULL when unknown; the symbol is then
 * taken from the URL's symbol= parameter, or `symbol_hint`, or the feed's only book. */
int th_feed_rest(th_feed *f, const char *url, size_t url_len, const char *body, size_t len, const char *symbol_hint);

/* The symbol slot for an instrument index, created on first use (NULL on allocation failure). */
th_feed_symbol *th_feed_symbol_at(th_feed *f, int32_t idx);
/* Put a book into a health state, counting resyncs and telling the sink. */
void th_feed_set_health(th_feed *f, int32_t idx, int32_t health, const char *reason);
/* Mark books with no update for stale_ns as STALE (they recover on their next update). */
void th_feed_check_stale(th_feed *f, int64_t now_ns, int64_t stale_ns);

/* Per-venue parsers (host/venues/). */
int th_kraken_frame(th_feed *f, const char *frame, size_t len);
bool th_kraken_fast_frame(th_feed *f, const char *frame, size_t len, int *rc);
int th_kraken_futures_frame(th_feed *f, const char *frame, size_t len);
int th_binance_frame(th_feed *f, const char *frame, size_t len);
int th_binance_snapshot(th_feed *f, int32_t idx, const char *body, size_t len);
int th_binance_frame_text(th_feed *f, const char *frame, size_t len);

/* Helpers shared by the parsers. */
/* Instrument index for a symbol token; an unknown symbol is counted and reported (-1). */
int32_t th_feed_lookup(th_feed *f, int tok);
/* The same for a symbol given as text (e.g. after mapping a venue's older naming). */
int32_t th_feed_lookup_name(th_feed *f, const char *name, size_t len);
int th_feed_dec(th_feed *f, int tok, int scale, int64_t *out);
int th_feed_error(th_feed *f, int32_t idx, const char *reason);
/* Apply one level from its wire text: exact decimals, price > 0, qty >= 0 (0 deletes). The one
 * level rule every parser uses. Returns 0, or -1 for a malformed level or allocation failure. */
int th_feed_set_level(th_book *b, int side, const char *px, size_t px_len, const char *qty, size_t qty_len);
/* The same, from price and qty tokens in f->json. */
int th_feed_set_level_tok(th_feed *f, th_book *b, int side, int price_tok, int qty_tok);
/* A frame changed this book: count it, stamp it with the frame's time, mark it for dispatch. */
static inline void th_feed_book_updated(th_feed *f, th_feed_symbol *s)
{
    s->book.updates++;
    s->book.last_update_ns = f->now_ns;
    s->dirty = true;
}
/* Record a trade print (price/qty tokens in f->json; side TH_BID when the buyer took). */
int th_feed_trade(th_feed *f, int32_t idx, int price_tok, int qty_tok, int side);

#endif
