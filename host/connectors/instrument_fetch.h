/* instrument_fetch.h — a live session's (or `tradehost record`'s) instruments fetched from the
 * venue at start, when no instrument file is given: the registry the feed, the order side and the
 * recorder then share, filled on the loop before anything else starts.
 *
 * Where from, per venue, in the names the market data uses:
 *   - Kraken spot: the WS v2 `instrument` channel's snapshot on the public endpoint (the same
 *     channel, names and parser as the updates the public connection keeps receiving; REST
 *     AssetPairs names pairs by the older ids, XBT/USD for BTC/USD).
 *   - Binance spot: REST GET /api/v3/exchangeInfo?symbols=[...] (weight 20, counted by
 *     binance_rest.c like every other call, 429/418 and Retry-After honoured).
 * A failure (refused connect, 5xx, timeout, a body that does not parse, a configured pair missing
 * from the answer) is logged with its reason and retried after the one back-off
 * (core/rate_limit.h th_backoff: 0.5 s doubling to 30 s, jittered); `why` keeps the last reason. */
#ifndef TH_INSTRUMENT_FETCH_H
#define TH_INSTRUMENT_FETCH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../core/instrument.h"
#include "../core/rate_limit.h"
#include "../net/ws_client.h"
#include "binance_rest.h"

typedef struct th_instrument_fetch {
    th_venue_id venue;
    th_instruments *out;
    char (*symbols)[32];      /* the pairs that must be in the answer */
    int32_t nsymbols;
    th_ws_client ws;          /* Kraken */
    th_binance_rest rest;     /* Binance */
    uv_timer_t timer;         /* Binance: the retry after the back-off */
    th_backoff bo;
    bool ws_open, rest_open, timer_open, in_flight;
    bool done;                /* the instruments are in */
    int32_t attempts, loaded;
    char why[256];            /* the last failure, for the log and the caller */
} th_instrument_fetch;

/* Start fetching (ws_url / rest_url NULL: the venue's own). 0, or -1 with a message in why (a bad
 * URL, an unsupported venue). */
int th_instrument_fetch_start(th_instrument_fetch *f, uv_loop_t *loop, th_venue_id venue, const char *ws_url, const char *rest_url,
                              th_instruments *out, const char *const *symbols, int32_t n, char *why, size_t cap);
/* Stop (outside any of its callbacks: the caller's loop step); the handles close on the loop. */
void th_instrument_fetch_close(th_instrument_fetch *f);
/* After the loop has drained. */
void th_instrument_fetch_free(th_instrument_fetch *f);

#endif
