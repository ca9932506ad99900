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

/* Why frames were counted as errors or ignored: one entry per reason class (the reason text
 * without symbol or numbers; last_error has the detail), so a user can tell why a book is empty. */
#define TH_FEED_REASONS 48
typedef struct th_feed_reason {
    char text[96];
    bool ignored;             /* an ignored frame class (by design), not an error */
    uint64_t count;
} th_feed_reason;

/* Symbols a recording has shown (at most TH_FEED_CANDIDATES kept; n counts every distinct one up
 * to the cap): a REST snapshot body with no URL beside it belongs to the one symbol. */
#define TH_FEED_CANDIDATES 8
typedef struct th_feed_symset {
    int32_t idx[TH_FEED_CANDIDATES];
    int n;
    bool more;                /* there were more than TH_FEED_CANDIDATES */
} th_feed_symset;

struct th_venue_feed_ops;

typedef struct th_feed {
    th_venue_id venue;
    const struct th_venue_feed_ops *ops; /* this venue's parsers (host/venues/venue_table.c) */
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
    th_feed_reason reasons[TH_FEED_REASONS];
    int nreasons;
    int last_reason;          /* the entry the latest frame or body counted, -1 if none */
    int32_t last_seen;        /* cache for th_feed_seen: the last symbol a frame named */
    th_feed_symset seen;      /* symbols frames have named */
    th_feed_symset subscribed;/* symbols the recorded subscriptions (URLs, sent frames) name */
    const char *symbol_hint;  /* the symbol of snapshot bodies that name none (replay --symbol) */
    /* The Kraken book fast path's recent symbol texts (up to 23 bytes: three words, the masks
     * keep the text's bytes) and what th_instruments_find gave for each while instruments.gen was
     * gen - 1 (0: empty), tried before the find. */
    struct { uint64_t w[3], m[3]; uint32_t gen; int32_t idx; uint32_t len; } fast_sym[8];
    uint32_t fast_sym_next;
    /* `tradehost record`: every REST body a live connector gives th_feed_rest, with its URL, as
     * given (a replay of the recording gives the feed the same call); NULL: none */
    void (*rest_tap)(void *ctx, const char *url, size_t url_len, const char *body, size_t len);
    void *rest_tap_ctx;
    int32_t inferred;         /* a URL-less snapshot went to the only symbol seen then (-1: none) */
} th_feed;

int th_feed_init(th_feed *f, th_venue_id venue, int32_t depth);
void th_feed_free(th_feed *f);

/* A websocket frame. Returns 0 when handled or ignored by design, -1 when it was malformed or
 * broke a book (see last_error; the affected book, if known, is already in RESYNCING). */
int th_feed_frame(th_feed *f, const char *frame, size_t len, int64_t recv_ns);
/* A REST body (e.g. a Binance depth snapshot). url may be NULL when unknown; the symbol is then
 * taken from the URL's symbol= parameter, or `symbol_hint`, or the recording's one symbol (the one
 * its subscriptions name, else the one its frames name; with several, the error names them). */
int th_feed_rest(th_feed *f, const char *url, size_t url_len, const char *body, size_t len, const char *symbol_hint);
/* A recorded subscription (a connection URL or a frame the client sent): notes the symbols it
 * names, which is what an inline snapshot without a URL belongs to. */
void th_feed_subscription(th_feed *f, const char *text, size_t len);

/* Count a frame as an error / as ignored by design, under its reason class (static or copied). */
void th_feed_count_error(th_feed *f, const char *reason);
void th_feed_ignore(th_feed *f, const char *reason);
/* Note a symbol that a frame named (inline snapshots belong to the one symbol). */
void th_feed_seen_slow(th_feed *f, int32_t idx);
static inline void th_feed_seen(th_feed *f, int32_t idx)
{
    if (idx != f->last_seen) th_feed_seen_slow(f, idx);
}

/* The symbol slot for an instrument index, created on first use (NULL on allocation failure). */
th_feed_symbol *th_feed_symbol_at(th_feed *f, int32_t idx);
/* Put a book into a health state, counting resyncs and telling the sink. */
void th_feed_set_health(th_feed *f, int32_t idx, int32_t health, const char *reason);
/* Mark books with no update for stale_ns as STALE (they recover on their next update). */
void th_feed_check_stale(th_feed *f, int64_t now_ns, int64_t stale_ns);

/* Kraken's strict scanner for book updates (exported for the cross-check test and the fuzzer). */
bool th_kraken_fast_frame(th_feed *f, const char *frame, size_t len, int *rc);

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
