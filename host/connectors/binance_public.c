/* binance_public.c — Binance spot streams and depth snapshots into the feed (see
 * binance_public.h). */
#include "binance_public.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "tick_probe.h"

#define IDLE_MS 30000              /* quiet streams are pinged after 10 s (ws_client.c); no pong in 30 s: dead */
#define REFETCH_NS 500000000LL
#define FIRST_FETCH_NS 200000000LL /* after connecting: let the diffs start buffering first (Binance's recipe) */

static int32_t sym_index(th_binance_public *b, int32_t i)
{
    return th_instruments_find(&b->feed->instruments, b->symbols[i], strlen(b->symbols[i]));
}

/* Forget the book's sync: the next diffs buffer until a new snapshot. */
static void unsync(th_binance_public *b, int32_t idx, const char *why)
{
    th_feed_symbol *s = th_feed_symbol_at(b->feed, idx);
    if (!s) return;
    s->synced = false;
    s->snapshot_id = 0;
    s->pending_len = 0;
    th_feed_set_health(b->feed, idx, TH_BOOK_RESYNCING, why);
}

static void on_open(void *ctx)
{
    th_binance_public *b = ctx;
    b->opened_ns = th_mono_ns();
    for (int32_t i = 0; i < b->nsymbols; i++) {
        int32_t idx = sym_index(b, i);
        if (idx >= 0) unsync(b, idx, "connected: waiting for a depth snapshot");
        b->fetch_ns[i] = 0;
    }
}

static void on_lost(void *ctx, const char *why)
{
    th_binance_public *b = ctx;
    (void)why;
    for (int32_t i = 0; i < b->nsymbols; i++) {
        int32_t idx = sym_index(b, i);
        if (idx >= 0) unsync(b, idx, "disconnected: resyncing after the reconnect");
    }
}

static void on_depth(void *ctx, uint64_t tag, int status, const char *body, size_t len, const char *err)
{
    th_binance_public *b = ctx;
    int32_t i = (int32_t)tag;
    if (i < 0 || i >= b->nsymbols) return;
    b->fetching[i] = false;
    if (!b->open) return;
    if (err || status != 200) { b->snapshot_errors++; return; } /* logged by binance_rest; the timer asks again */
    int32_t idx = sym_index(b, i);
    th_feed_symbol *s = idx >= 0 ? th_feed_symbol_at(b->feed, idx) : NULL;
    /* a snapshot asked for before a reconnect belongs to the old connection's diffs */
    if (!s || !b->ws.connected || b->fetch_ns[i] < b->opened_ns) return;
    /* the sim before its replay starts: no image yet (Binance's ids are never 0); asked again */
    if (memmem(body, len, "\"lastUpdateId\":0,", 16)) return;
    char url[400]; /* the whole URL: `tradehost record` writes it beside the body (the feed reads symbol=) */
    int un = snprintf(url, sizeof url, "%s/api/v3/depth?symbol=%s&limit=%d", b->rest.base, b->symbols[i], b->limit);
    if (un < 0 || (size_t)un >= sizeof url) un = (int)strlen(url);
    b->feed->now_ns = th_clock_ns();
    b->snapshots++;
    if (th_feed_rest(b->feed, url, (size_t)un, body, len, NULL) != 0) {
        b->snapshot_errors++;
        th_logf(TH_LOG_WARN, "binance public: depth snapshot refused by the feed", "symbol=%s error=\"%s\"", b->symbols[i], b->feed->last_error);
    }
}

/* Books without a snapshot get one (their diffs are buffering meanwhile). */
static void fetch_due(th_binance_public *b)
{
    int64_t now = th_mono_ns();
    if (!b->ws.connected || now - b->opened_ns < FIRST_FETCH_NS) return;
    for (int32_t i = 0; i < b->nsymbols; i++) {
        int32_t idx = sym_index(b, i);
        if (idx < 0 || b->fetching[i] || now - b->fetch_ns[i] < REFETCH_NS) continue;
        th_feed_symbol *s = th_feed_symbol_at(b->feed, idx);
        if (!s || s->snapshot_id != 0) continue;
        char q[96];
        snprintf(q, sizeof q, "symbol=%s&limit=%d", b->symbols[i], b->limit);
        b->fetch_ns[i] = now;
        /* weight: Binance's for limit 101-500 is 5, 501-1000 10, 1001-5000 50 (the sim counts as its docs say) */
        int w = b->limit <= 100 ? 5 : b->limit <= 500 ? 25 : b->limit <= 1000 ? 50 : 250;
        if (th_binance_rest_get(&b->rest, "/api/v3/depth", q, w, false, on_depth, b, (uint64_t)i) == 0) b->fetching[i] = true;
    }
}

static void on_timer(uv_timer_t *t) { fetch_due(t->data); }

static void on_frame(void *ctx, const char *text, size_t len)
{
    th_binance_public *b = ctx;
    b->frames++;
    th_tick_probe_frame(th_tick_probe_now());
    int rc = th_feed_frame(b->feed, text, len, th_clock_ns());
    if (rc != 0) {
        b->frame_errors++;
        if (b->errors_logged < 20) {
            b->errors_logged++;
            th_logf(TH_LOG_WARN, "binance public: frame refused by the feed", "error=\"%s\" logged=%d/20", b->feed->last_error,
                    b->errors_logged);
        }
    }
    fetch_due(b); /* a gap just now: its snapshot at once (rate-limited per book) */
}

int th_binance_public_open(th_binance_public *b, uv_loop_t *loop, const char *ws_url, const char *rest_url, th_feed *feed,
                           const char *const *symbols, int32_t n, char *why, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->feed = feed;
    b->limit = 1000;
    size_t m = (size_t)(n > 0 ? n : 1);
    b->symbols = calloc(m, sizeof *b->symbols);
    b->fetch_ns = calloc(m, sizeof *b->fetch_ns);
    b->fetching = calloc(m, sizeof *b->fetching);
    if (!b->symbols || !b->fetch_ns || !b->fetching) { snprintf(why, cap, "out of memory"); return -1; }
    const char *base = ws_url ? ws_url : TH_BINANCE_STREAM_URL;
    size_t ucap = strlen(base) + 32 + (size_t)n * 120;
    char *url = malloc(ucap);
    if (!url) { snprintf(why, cap, "out of memory"); return -1; }
    size_t un = (size_t)snprintf(url, ucap, "%s%s", base, strchr(base, '?') ? "&streams=" : "?streams=");
    for (int32_t i = 0; i < n; i++) {
        snprintf(b->symbols[i], sizeof b->symbols[i], "%s", symbols[i]);
        char lower[32];
        size_t k = 0;
        for (; symbols[i][k] && k < sizeof lower - 1; k++) lower[k] = (char)(symbols[i][k] >= 'A' && symbols[i][k] <= 'Z' ? symbols[i][k] + 32 : symbols[i][k]);
        lower[k] = 0;
        un += (size_t)snprintf(url + un, ucap - un, "%s%s@depth@100ms/%s@trade/%s@bookTicker", i ? "/" : "", lower, lower, lower);
    }
    b->nsymbols = n;
    int rc = th_binance_rest_open(&b->rest, loop, rest_url, NULL, NULL, why, cap);
    if (rc == 0) {
        th_ws_handlers h = {b, on_open, on_frame, on_lost};
        rc = th_ws_open(&b->ws, loop, "binance-public", url, &h, IDLE_MS, why, cap);
    }
    if (rc != 0) { free(url); th_binance_rest_close(&b->rest); return -1; }
    b->open = true;
    uv_timer_init(loop, &b->timer);
    b->timer.data = b;
    b->timer_open = true;
    uv_timer_start(&b->timer, on_timer, 100, 100);
    th_logf(TH_LOG_INFO, "binance public: market data live", "url=%s rest=%s pairs=%d depth_limit=%d", base, b->rest.base, n, b->limit);
    free(url);
    return 0;
}

void th_binance_public_close(th_binance_public *b)
{
    if (!b->open) return;
    b->open = false;
    th_ws_close(&b->ws);
    th_binance_rest_close(&b->rest);
    if (b->timer_open) {
        uv_timer_stop(&b->timer);
        uv_close((uv_handle_t *)&b->timer, NULL);
        b->timer_open = false;
    }
    th_logf(TH_LOG_INFO, "binance public: closed", "frames=%llu frame_errors=%llu snapshots=%llu snapshot_errors=%llu connects=%llu",
            (unsigned long long)b->frames, (unsigned long long)b->frame_errors, (unsigned long long)b->snapshots,
            (unsigned long long)b->snapshot_errors, (unsigned long long)b->ws.connects);
}

void th_binance_public_free(th_binance_public *b)
{
    th_ws_free(&b->ws);
    th_binance_rest_free(&b->rest);
    free(b->symbols);
    free(b->fetch_ns);
    free(b->fetching);
    b->symbols = NULL;
    b->fetch_ns = NULL;
    b->fetching = NULL;
}
