/* kraken_futures_public.h — Kraken Futures WebSocket v1 public market data, live: one connection,
 * `book`, `trade` and `ticker` subscribed for the configured products, and every frame handed to
 * the feed (th_feed_frame: venues/kraken_futures_feed.c, the same book rules a recording goes
 * through: book_snapshot, then deltas with seq strictly +1).
 *
 * Market data only: the session's lead market (venue.lead), read by strategies, never traded.
 * When the connection is lost every book goes RESYNCING ("disconnected") and the subscriptions are
 * sent again after the reconnect (the one back-off); each book is ok with its new snapshot. A book
 * whose seq broke (a gap) is unsubscribed and subscribed again on its own, at most once a second,
 * since Kraken Futures sends a snapshot only on subscribe. Quiet connections are pinged
 * (ws_client.c). */
#ifndef TH_KRAKEN_FUTURES_PUBLIC_H
#define TH_KRAKEN_FUTURES_PUBLIC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../feed/feed.h"
#include "../net/ws_client.h"

#define TH_KRAKEN_FUTURES_PUBLIC_URL "wss://futures.kraken.com/ws/v1"

typedef struct th_kraken_futures_public {
    th_ws_client ws;
    th_feed *feed;
    char (*products)[32];       /* the configured product ids, as the feeds spell them (PI_XBTUSD) */
    int64_t *resub_ns;          /* per product: when its book was last resubscribed (monotonic) */
    int32_t nproducts;
    bool open;
    uint64_t frames, frame_errors, resubscribes, refusals;
    int32_t errors_logged;
} th_kraken_futures_public;

/* Connect to url (NULL: Kraken Futures') for the given products. 0, or -1 with a message in why. */
int th_kraken_futures_public_open(th_kraken_futures_public *k, uv_loop_t *loop, const char *url, th_feed *feed,
                                  const char *const *products, int32_t n, char *why, size_t cap);
void th_kraken_futures_public_close(th_kraken_futures_public *k);
void th_kraken_futures_public_free(th_kraken_futures_public *k);

#endif
