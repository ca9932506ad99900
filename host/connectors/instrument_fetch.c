/* instrument_fetch.c — instruments from the venue at start (see instrument_fetch.h). */
#include "instrument_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "kraken_public.h"

#define BACKOFF_BASE_NS 500000000LL
#define BACKOFF_MAX_NS 30000000000LL
#define IDLE_MS 10000
#define EXCHANGE_INFO_WEIGHT 20 /* Binance's weight for exchangeInfo, with or without symbols= */

/* The answer is in the registry: every configured pair too, or it is a failure (a pair the venue
 * does not list would otherwise only show up later as a pair without market data). */
static bool all_present(th_instrument_fetch *f, char *missing, size_t cap)
{
    for (int32_t i = 0; i < f->nsymbols; i++)
        if (th_instruments_find(f->out, f->symbols[i], strlen(f->symbols[i])) < 0) {
            snprintf(missing, cap, "%s", f->symbols[i]);
            return false;
        }
    return true;
}

static void failed(th_instrument_fetch *f, const char *why)
{
    f->attempts++;
    snprintf(f->why, sizeof f->why, "%s", why);
    int64_t until = th_backoff_fail(&f->bo, th_mono_ns(), 0);
    int64_t wait_ms = (until - th_mono_ns()) / 1000000;
    th_logf(TH_LOG_WARN, "instruments: fetch from the venue failed, retrying after the back-off (market data and orders wait)",
            "venue=%s attempt=%d why=\"%s\" retry_in_ms=%lld", th_venue_name(f->venue), f->attempts, why, (long long)wait_ms);
}

static void succeeded(th_instrument_fetch *f, int n)
{
    f->done = true;
    f->loaded = n;
    th_backoff_success(&f->bo);
    th_logf(TH_LOG_INFO, "instruments: fetched from the venue", "venue=%s instruments=%d attempts=%d", th_venue_name(f->venue), n,
            f->attempts + 1);
}

/* A parsed answer: the registry takes it, then every configured pair must be in it. */
static void take(th_instrument_fetch *f, const char *body, size_t len)
{
    const char *err = NULL;
    int n = th_instruments_load_json(f->out, body, len, &err);
    char why[200], missing[40];
    if (n <= 0) {
        snprintf(why, sizeof why, "the answer does not parse: %s", n < 0 && err ? err : "no instruments in it");
        failed(f, why);
        return;
    }
    if (!all_present(f, missing, sizeof missing)) {
        snprintf(why, sizeof why, "the venue lists no instrument %s", missing);
        failed(f, why);
        return;
    }
    succeeded(f, n);
}

/* ---- Kraken: the v2 `instrument` channel's snapshot ----
 * An unusable snapshot is asked for again on the same connection (unsubscribe, subscribe) after the
 * back-off: dropping the connection instead would reconnect at once (the websocket's own back-off
 * starts over after every successful connect). A lost connection is the websocket's to reopen. */

static void kr_subscribe(th_instrument_fetch *f, bool again)
{
    static const char unsub[] = "{\"method\":\"unsubscribe\",\"params\":{\"channel\":\"instrument\"},\"req_id\":2}";
    static const char sub[] = "{\"method\":\"subscribe\",\"params\":{\"channel\":\"instrument\"},\"req_id\":1}";
    if (again) th_ws_send(&f->ws, unsub, sizeof unsub - 1);
    if (th_ws_send(&f->ws, sub, sizeof sub - 1) == 0) f->in_flight = true;
}

static void kr_on_open(void *ctx) { kr_subscribe(ctx, false); }

static void kr_on_frame(void *ctx, const char *text, size_t len)
{
    th_instrument_fetch *f = ctx;
    if (f->done) return;
    if (memmem(text, len, "\"success\":false", 15)) {
        char why[200];
        snprintf(why, sizeof why, "subscription refused: %.*s", (int)(len > 120 ? 120 : len), text);
        f->in_flight = false;
        failed(f, why);
        return;
    }
    if (!memmem(text, len, "\"channel\":\"instrument\"", 22) || !memmem(text, len, "\"type\":\"snapshot\"", 17)) return;
    f->in_flight = false;
    take(f, text, len);
}

static void kr_on_lost(void *ctx, const char *why)
{
    th_instrument_fetch *f = ctx;
    f->in_flight = false;
    if (f->done) return;
    snprintf(f->why, sizeof f->why, "connection lost: %s", why && *why ? why : "?");
    th_logf(TH_LOG_WARN, "instruments: connection lost before the snapshot, reconnecting after the back-off (market data and orders wait)",
            "venue=kraken why=\"%s\"", f->why);
}

static void kr_tick(th_instrument_fetch *f)
{
    if (f->done || f->in_flight || !f->ws.connected || th_backoff_blocked(&f->bo, th_mono_ns())) return;
    kr_subscribe(f, true);
}

/* ---- Binance: REST exchangeInfo ---- */

static void bn_on_answer(void *ctx, uint64_t tag, int status, const char *body, size_t len, const char *err)
{
    th_instrument_fetch *f = ctx;
    (void)tag;
    f->in_flight = false;
    if (status < 0 || f->done) return; /* abandoned at close */
    char why[200];
    if (err || status != 200) {
        if (err) snprintf(why, sizeof why, "GET /api/v3/exchangeInfo: %s", err);
        else snprintf(why, sizeof why, "GET /api/v3/exchangeInfo: HTTP %d: %.100s", status, body ? body : "");
        failed(f, why);
    } else {
        take(f, body, len);
    }
}

static void bn_ask(th_instrument_fetch *f)
{
    if (f->done || f->in_flight) return;
    if (th_backoff_blocked(&f->bo, th_mono_ns()) || th_binance_rest_blocked(&f->rest)) return;
    /* symbols=["A","B"] URL-encoded: only the configured pairs (the whole list is megabytes) */
    char q[1100];
    int n = snprintf(q, sizeof q, "symbols=%%5B");
    for (int32_t i = 0; i < f->nsymbols && n < (int)sizeof q - 64; i++)
        n += snprintf(q + n, sizeof q - (size_t)n, "%s%%22%s%%22", i ? "%2C" : "", f->symbols[i]);
    snprintf(q + n, sizeof q - (size_t)n, "%%5D");
    if (th_binance_rest_get(&f->rest, "/api/v3/exchangeInfo", f->nsymbols ? q : "", EXCHANGE_INFO_WEIGHT, false, bn_on_answer, f, 0) == 0)
        f->in_flight = true;
}

static void on_timer(uv_timer_t *t)
{
    th_instrument_fetch *f = t->data;
    if (f->venue == TH_VENUE_BINANCE) bn_ask(f);
    else kr_tick(f);
}

/* ---- start, close ---- */

int th_instrument_fetch_start(th_instrument_fetch *f, uv_loop_t *loop, th_venue_id venue, const char *ws_url, const char *rest_url,
                              th_instruments *out, const char *const *symbols, int32_t n, char *why, size_t cap)
{
    memset(f, 0, sizeof *f);
    f->venue = venue;
    f->out = out;
    th_backoff_init(&f->bo, BACKOFF_BASE_NS, BACKOFF_MAX_NS, (uint64_t)th_mono_ns());
    f->symbols = calloc((size_t)(n > 0 ? n : 1), sizeof *f->symbols);
    if (!f->symbols) { snprintf(why, cap, "out of memory"); return -1; }
    for (int32_t i = 0; i < n; i++) snprintf(f->symbols[i], sizeof f->symbols[i], "%s", symbols[i]);
    f->nsymbols = n;
    if (venue == TH_VENUE_KRAKEN) {
        th_ws_handlers h = {f, kr_on_open, kr_on_frame, kr_on_lost};
        if (th_ws_open(&f->ws, loop, "kraken-instruments", ws_url ? ws_url : TH_KRAKEN_PUBLIC_URL, &h, IDLE_MS, why, cap) != 0) return -1;
        f->ws_open = true;
    } else if (venue == TH_VENUE_BINANCE) {
        if (th_binance_rest_open(&f->rest, loop, rest_url, NULL, NULL, why, cap) != 0) return -1;
        f->rest_open = true;
    } else {
        snprintf(why, cap, "instruments cannot be fetched from %s: give venue.instruments", th_venue_name(venue));
        return -1;
    }
    uv_timer_init(loop, &f->timer);
    f->timer.data = f;
    f->timer_open = true;
    uv_timer_start(&f->timer, on_timer, 0, 100); /* asks now (Binance), then again once the back-off has passed */
    th_logf(TH_LOG_INFO, "instruments: fetching from the venue (no instrument file given); market data and orders wait for them",
            "venue=%s pairs=%d", th_venue_name(venue), n);
    return 0;
}

void th_instrument_fetch_close(th_instrument_fetch *f)
{
    if (f->ws_open) th_ws_close(&f->ws);
    if (f->rest_open) th_binance_rest_close(&f->rest);
    if (f->timer_open) {
        uv_timer_stop(&f->timer);
        uv_close((uv_handle_t *)&f->timer, NULL);
    }
    f->timer_open = false;
}

void th_instrument_fetch_free(th_instrument_fetch *f)
{
    if (f->ws_open) th_ws_free(&f->ws);
    if (f->rest_open) th_binance_rest_free(&f->rest);
    f->ws_open = f->rest_open = false;
    free(f->symbols);
    f->symbols = NULL;
}
