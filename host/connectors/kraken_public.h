/* kraken_public.h — Kraken spot WS v2 public market data, live: the connection (net/ws_client.c),
 * the subscriptions (book at the depth kraken_feed keeps, trade, ticker, instrument) for the
 * configured pairs, and every frame received handed to the feed (th_feed_frame: the same parser
 * and book rules a recording goes through, checksums included).
 *
 * Book health follows the connection: when it is lost every subscribed book goes RESYNCING
 * ("disconnected"), so quoting pauses (the strategy hears on_book_health, the gates refuse), and
 * after the reconnect (the one back-off) the subscriptions are sent again; each book is ok again
 * with its new snapshot. A book that fails its checksum (or a gap shows as one) is resubscribed
 * on its own, at most once a second, since Kraken sends a snapshot only on subscribe. */
#ifndef TH_KRAKEN_PUBLIC_H
#define TH_KRAKEN_PUBLIC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../feed/feed.h"
#include "../net/ws_client.h"

#define TH_KRAKEN_PUBLIC_URL "wss://ws.kraken.com/v2"

typedef struct th_kraken_public {
    th_ws_client ws;
    th_feed *feed;
    char (*symbols)[32];        /* the configured pairs, v2 names */
    int64_t *resub_ns;          /* per symbol: when its book was last resubscribed (monotonic) */
    bool broken;                /* a book is (or may still be) resyncing: look again on the next frames */
    int32_t nsymbols;
    int32_t depth;
    int64_t req_id;
    bool open;
    uint64_t frames, frame_errors, resubscribes, refusals;
    int32_t errors_logged;
} th_kraken_public;

/* Connect to url (NULL: Kraken's) for the given pairs. 0, or -1 with a message in why. */
int th_kraken_public_open(th_kraken_public *k, uv_loop_t *loop, const char *url, th_feed *feed, const char *const *symbols,
                          int32_t n, char *why, size_t cap);
void th_kraken_public_close(th_kraken_public *k);
void th_kraken_public_free(th_kraken_public *k);

#endif
