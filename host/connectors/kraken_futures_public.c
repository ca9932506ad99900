/* kraken_futures_public.c — Kraken Futures WS v1 public data into the feed, kept subscribed (see
 * kraken_futures_public.h). */
#include "kraken_futures_public.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"

#define RESUB_MIN_NS 1000000000LL
#define IDLE_MS 30000 /* no heartbeat feed subscribed: a quiet connection is pinged after 10 s */

/* {"event":E,"feed":F,"product_ids":[...]} for every product, or only one (only >= 0). */
static void subscribe(th_kraken_futures_public *k, const char *event, const char *feed, int32_t only)
{
    size_t cap = 128 + (size_t)k->nproducts * 40;
    char *b = malloc(cap);
    if (!b) return;
    int n = snprintf(b, cap, "{\"event\":\"%s\",\"feed\":\"%s\",\"product_ids\":[", event, feed);
    for (int32_t i = 0; i < k->nproducts; i++) {
        if (only >= 0 && i != only) continue;
        n += snprintf(b + n, cap - (size_t)n, "%s\"%s\"", b[n - 1] == '[' ? "" : ",", k->products[i]);
    }
    n += snprintf(b + n, cap - (size_t)n, "]}");
    if (th_ws_send(&k->ws, b, (size_t)n) != 0) th_logf(TH_LOG_WARN, "kraken futures public: not connected, request not sent", NULL);
    free(b);
}

static void on_open(void *ctx)
{
    th_kraken_futures_public *k = ctx;
    subscribe(k, "subscribe", "book", -1);
    subscribe(k, "subscribe", "trade", -1);
    subscribe(k, "subscribe", "ticker", -1);
}

static int32_t product_index(th_kraken_futures_public *k, int32_t i)
{
    return th_instruments_find(&k->feed->instruments, k->products[i], strlen(k->products[i]));
}

static void on_lost(void *ctx, const char *why)
{
    th_kraken_futures_public *k = ctx;
    (void)why;
    for (int32_t i = 0; i < k->nproducts; i++) {
        int32_t idx = product_index(k, i);
        if (idx >= 0) th_feed_set_health(k->feed, idx, TH_BOOK_RESYNCING, "disconnected: resubscribing after the reconnect");
    }
}

/* Books whose seq broke get a new snapshot by resubscribing. */
static void resync_broken(th_kraken_futures_public *k)
{
    int64_t now = th_mono_ns();
    for (int32_t i = 0; i < k->nproducts; i++) {
        int32_t idx = product_index(k, i);
        if (idx < 0 || idx >= k->feed->sym_cap || !k->feed->sym[idx]) continue;
        if (k->feed->sym[idx]->book.health != TH_BOOK_RESYNCING || now - k->resub_ns[i] < RESUB_MIN_NS) continue;
        k->resub_ns[i] = now;
        k->resubscribes++;
        th_logf(TH_LOG_WARN, "kraken futures public: resubscribing a broken book for a new snapshot", "product=%s", k->products[i]);
        subscribe(k, "unsubscribe", "book", i);
        subscribe(k, "subscribe", "book", i);
    }
}

static void on_frame(void *ctx, const char *text, size_t len)
{
    th_kraken_futures_public *k = ctx;
    k->frames++;
    if (len > 9 && memcmp(text, "{\"event\"", 8) == 0) {
        if (memmem(text, len, "\"event\":\"error\"", 15) || memmem(text, len, "\"event\":\"alert\"", 15)) {
            k->refusals++;
            th_logf(TH_LOG_ERROR, "kraken futures public: request refused", "answer=%.*s", (int)(len > 400 ? 400 : len), text);
        }
        return;
    }
    int rc = th_feed_frame(k->feed, text, len, th_clock_ns());
    if (rc == 0) return;
    k->frame_errors++;
    if (k->errors_logged < 20) {
        k->errors_logged++;
        th_logf(TH_LOG_WARN, "kraken futures public: frame refused by the feed", "error=\"%s\" logged=%d/20", k->feed->last_error,
                k->errors_logged);
    }
    resync_broken(k);
}

int th_kraken_futures_public_open(th_kraken_futures_public *k, uv_loop_t *loop, const char *url, th_feed *feed,
                                  const char *const *products, int32_t n, char *why, size_t cap)
{
    memset(k, 0, sizeof *k);
    k->feed = feed;
    k->products = calloc((size_t)(n > 0 ? n : 1), sizeof *k->products);
    k->resub_ns = calloc((size_t)(n > 0 ? n : 1), sizeof *k->resub_ns);
    if (!k->products || !k->resub_ns) { snprintf(why, cap, "out of memory"); return -1; }
    for (int32_t i = 0; i < n; i++) snprintf(k->products[i], sizeof k->products[i], "%s", products[i]);
    k->nproducts = n;
    th_ws_handlers h = {k, on_open, on_frame, on_lost};
    const char *u = url ? url : TH_KRAKEN_FUTURES_PUBLIC_URL;
    if (th_ws_open(&k->ws, loop, "kraken-futures-public", u, &h, IDLE_MS, why, cap) != 0) return -1;
    k->open = true;
    th_logf(TH_LOG_INFO, "kraken futures public: market data live", "url=%s products=%d", u, n);
    return 0;
}

void th_kraken_futures_public_close(th_kraken_futures_public *k)
{
    if (!k->open) return;
    k->open = false;
    th_ws_close(&k->ws);
    th_logf(TH_LOG_INFO, "kraken futures public: closed", "frames=%llu frame_errors=%llu resubscribes=%llu connects=%llu",
            (unsigned long long)k->frames, (unsigned long long)k->frame_errors, (unsigned long long)k->resubscribes,
            (unsigned long long)k->ws.connects);
}

void th_kraken_futures_public_free(th_kraken_futures_public *k)
{
    th_ws_free(&k->ws);
    free(k->products);
    free(k->resub_ns);
    k->products = NULL;
    k->resub_ns = NULL;
}
