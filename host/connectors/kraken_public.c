/* kraken_public.c — Kraken spot WS v2 public data into the feed, kept subscribed (see
 * kraken_public.h). */
#include "kraken_public.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../feed/venue_feed.h"
#include "tick_probe.h"

#define RESUB_MIN_NS 1000000000LL
#define IDLE_MS 10000 /* Kraken sends a heartbeat every second to a subscribed connection */

static void send_text(th_kraken_public *k, const char *text, size_t n)
{
    if (th_ws_send(&k->ws, text, n) != 0) th_logf(TH_LOG_WARN, "kraken public: not connected, request not sent", NULL);
}

/* {"method":M,"params":{"channel":C,"symbol":[...](,"depth":D)},"req_id":N} for the given symbols. */
static void subscribe(th_kraken_public *k, const char *method, const char *channel, int32_t only, bool with_depth)
{
    size_t cap = 256 + (size_t)k->nsymbols * 40;
    char *b = malloc(cap);
    if (!b) return;
    int n = snprintf(b, cap, "{\"method\":\"%s\",\"params\":{\"channel\":\"%s\",\"symbol\":[", method, channel);
    for (int32_t i = 0; i < k->nsymbols; i++) {
        if (only >= 0 && i != only) continue;
        n += snprintf(b + n, cap - (size_t)n, "%s\"%s\"", b[n - 1] == '[' ? "" : ",", k->symbols[i]);
    }
    n += snprintf(b + n, cap - (size_t)n, "]");
    if (with_depth) n += snprintf(b + n, cap - (size_t)n, ",\"depth\":%d", k->depth);
    n += snprintf(b + n, cap - (size_t)n, "},\"req_id\":%lld}", (long long)++k->req_id);
    send_text(k, b, (size_t)n);
    free(b);
}

static void on_open(void *ctx)
{
    th_kraken_public *k = ctx;
    subscribe(k, "subscribe", "instrument", -1, false);
    subscribe(k, "subscribe", "book", -1, true);
    subscribe(k, "subscribe", "trade", -1, false);
    subscribe(k, "subscribe", "ticker", -1, false);
}

static int32_t sym_index(th_kraken_public *k, int32_t i)
{
    return th_instruments_find(&k->feed->instruments, k->symbols[i], strlen(k->symbols[i]));
}

/* The connection is gone: no book can be trusted until its new snapshot. */
static void on_lost(void *ctx, const char *why)
{
    th_kraken_public *k = ctx;
    (void)why;
    for (int32_t i = 0; i < k->nsymbols; i++) {
        int32_t idx = sym_index(k, i);
        if (idx >= 0) th_feed_set_health(k->feed, idx, TH_BOOK_RESYNCING, "disconnected: resubscribing after the reconnect");
    }
}

/* Books that broke (checksum, malformed levels) get a new snapshot by resubscribing, at most once
 * a second each. Until every book is ok again this runs on every frame (the heartbeats included),
 * not only on the next error: a book whose second error came within the second, or whose new
 * snapshot was itself lost or cut, sends no further error, and would otherwise stay resyncing
 * (quoting on it paused) for ever. */
static void resync_broken(th_kraken_public *k)
{
    int64_t now = th_mono_ns();
    k->broken = false;
    for (int32_t i = 0; i < k->nsymbols; i++) {
        int32_t idx = sym_index(k, i);
        if (idx < 0 || idx >= k->feed->sym_cap || !k->feed->sym[idx]) continue;
        if (k->feed->sym[idx]->book.health != TH_BOOK_RESYNCING) continue;
        k->broken = true;
        if (now - k->resub_ns[i] < RESUB_MIN_NS) continue;
        k->resub_ns[i] = now;
        k->resubscribes++;
        th_logf(TH_LOG_WARN, "kraken public: resubscribing a broken book for a new snapshot", "symbol=%s", k->symbols[i]);
        subscribe(k, "unsubscribe", "book", i, true);
        subscribe(k, "subscribe", "book", i, true);
    }
}

/* Answers to our requests ({"method":...}): a refused subscription is logged with Kraken's text. */
static void on_answer(th_kraken_public *k, const char *text, size_t len)
{
    if (!memmem(text, len, "\"success\":false", 15)) return;
    k->refusals++;
    th_logf(TH_LOG_ERROR, "kraken public: request refused", "answer=%.*s", (int)(len > 400 ? 400 : len), text);
}

static void on_frame(void *ctx, const char *text, size_t len)
{
    th_kraken_public *k = ctx;
    k->frames++;
    if (len > 10 && memcmp(text, "{\"method\"", 9) == 0) { on_answer(k, text, len); return; }
    th_tick_probe_frame(th_tick_probe_now());
    int rc = th_feed_frame(k->feed, text, len, th_clock_ns());
    if (rc == 0) {
        if (k->broken) resync_broken(k);
        return;
    }
    k->frame_errors++;
    if (k->errors_logged < 20) {
        k->errors_logged++;
        th_logf(TH_LOG_WARN, "kraken public: frame refused by the feed", "error=\"%s\" logged=%d/20", k->feed->last_error,
                k->errors_logged);
    }
    resync_broken(k);
}

int th_kraken_public_open(th_kraken_public *k, uv_loop_t *loop, const char *url, th_feed *feed, const char *const *symbols,
                          int32_t n, char *why, size_t cap)
{
    memset(k, 0, sizeof *k);
    k->feed = feed;
    k->depth = feed->ops && feed->ops->depth ? feed->ops->depth : 1000;
    k->symbols = calloc((size_t)(n > 0 ? n : 1), sizeof *k->symbols);
    k->resub_ns = calloc((size_t)(n > 0 ? n : 1), sizeof *k->resub_ns);
    if (!k->symbols || !k->resub_ns) { snprintf(why, cap, "out of memory"); return -1; }
    for (int32_t i = 0; i < n; i++) snprintf(k->symbols[i], sizeof k->symbols[i], "%s", symbols[i]);
    k->nsymbols = n;
    th_ws_handlers h = {k, on_open, on_frame, on_lost};
    if (th_ws_open(&k->ws, loop, "kraken-public", url ? url : TH_KRAKEN_PUBLIC_URL, &h, IDLE_MS, why, cap) != 0) return -1;
    k->open = true;
    th_logf(TH_LOG_INFO, "kraken public: market data live", "url=%s pairs=%d depth=%d", url ? url : TH_KRAKEN_PUBLIC_URL, n, k->depth);
    return 0;
}

void th_kraken_public_close(th_kraken_public *k)
{
    if (!k->open) return;
    k->open = false;
    th_ws_close(&k->ws);
    th_logf(TH_LOG_INFO, "kraken public: closed", "frames=%llu frame_errors=%llu resubscribes=%llu connects=%llu",
            (unsigned long long)k->frames, (unsigned long long)k->frame_errors, (unsigned long long)k->resubscribes,
            (unsigned long long)k->ws.connects);
}

void th_kraken_public_free(th_kraken_public *k)
{
    th_ws_free(&k->ws);
    free(k->symbols);
    free(k->resub_ns);
    k->symbols = NULL;
    k->resub_ns = NULL;
}
