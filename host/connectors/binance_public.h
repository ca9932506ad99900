/* binance_public.h — Binance spot public market data, live: one combined-stream connection
 * (<sym>@depth@100ms, @trade, @bookTicker for the configured pairs, named in the URL so every
 * reconnect subscribes again by itself) and the REST depth snapshots the book sync needs. Every
 * frame and every snapshot goes to the feed (th_feed_frame / th_feed_rest): the one Binance sync
 * (venues/binance_feed.c: buffer diffs, snapshot, drop u <= lastUpdateId, chain U == u + 1) that
 * recordings go through too; nothing here applies a level.
 *
 * A book needs a snapshot when the feed has none for it (start, after a reconnect, after a gap or a
 * first diff that does not straddle the snapshot: the feed then drops the snapshot and buffers
 * again); it is fetched at most every 500 ms per book, and never while the 429/418 back-off runs
 * (binance_rest.c: weight header and Retry-After). When the connection is lost every book goes
 * RESYNCING ("disconnected") with its diffs and snapshot dropped, so quoting pauses until the new
 * connection's diffs and a new snapshot agree. */
#ifndef TH_BINANCE_PUBLIC_H
#define TH_BINANCE_PUBLIC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../feed/feed.h"
#include "../net/ws_client.h"
#include "binance_rest.h"

#define TH_BINANCE_STREAM_URL "wss://stream.binance.com:9443/stream"

typedef struct th_binance_public {
    th_ws_client ws;
    th_binance_rest rest;
    uv_timer_t timer;
    bool open, timer_open;
    th_feed *feed;
    char (*symbols)[32];        /* the configured pairs, Binance names (upper case) */
    int64_t *fetch_ns;          /* per symbol: when its snapshot was last asked for (monotonic) */
    bool *fetching;             /* per symbol: a snapshot request in flight */
    int32_t nsymbols;
    int32_t limit;              /* depth snapshot levels */
    int64_t opened_ns;          /* this connection's start */
    uint64_t frames, frame_errors, snapshots, snapshot_errors;
    int32_t errors_logged;
} th_binance_public;

/* ws_url: the stream base ("wss://stream.binance.com:9443/stream"; NULL: Binance's), rest_url
 * NULL: Binance's. 0, or -1 with a message in why. */
int th_binance_public_open(th_binance_public *b, uv_loop_t *loop, const char *ws_url, const char *rest_url, th_feed *feed,
                           const char *const *symbols, int32_t n, char *why, size_t cap);
void th_binance_public_close(th_binance_public *b);
void th_binance_public_free(th_binance_public *b);

#endif
