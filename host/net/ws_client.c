/* ws_client.c — one outgoing websocket on the loop, reconnected with the back-off (see ws_client.h). */
#include <uv.h> /* before libwebsockets.h */

#include "ws_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "lws_loop.h"

#define WS_BACKOFF_BASE_NS 250000000LL   /* first retry within 0.125..0.25 s */
#define WS_BACKOFF_MAX_NS 30000000000LL  /* never more than 30 s apart */

_Static_assert(TH_WS_CONNECT_TIMEOUT_MS < TH_LWS_CLIENT_LWS_TIMEOUT_S * 1000 / 2, "the watchdog must end a connect well before lws times it out");

static void schedule_retry(th_ws_client *c);

static void q_clear(th_ws_client *c)
{
    for (int32_t i = 0; i < c->q_n; i++) free(c->q[(c->q_head + i) % c->q_cap].buf);
    c->q_head = c->q_n = 0;
}

/* The connection is gone (failed to open, closed by either side, or dropped by us). */
static void lost(th_ws_client *c, const char *why)
{
    bool was = c->connected;
    if (c->timers_open) uv_timer_stop(&c->connect_timer);
    c->wsi = NULL;
    c->connected = c->connecting = c->drop_asked = false;
    c->rx_n = 0;
    q_clear(c);
    if (!c->want_open) return;
    c->losses++;
    th_logf(TH_LOG_WARN, was ? "websocket lost" : "websocket connect failed", "name=%s url=%s://%s:%d%s why=\"%s\"", c->name,
            c->url.scheme, c->url.host, c->url.port, c->url.path, why);
    if (c->h.on_lost) c->h.on_lost(c->h.ctx, why);
    schedule_retry(c);
}

static int rx_append(th_ws_client *c, const void *in, size_t len)
{
    if (c->rx_n + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 64 * 1024;
        while (c->rx_n + len + 1 > cap) cap *= 2;
        char *r = realloc(c->rx, cap);
        if (!r) return -1;
        c->rx = r;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_n, in, len);
    c->rx_n += len;
    c->rx[c->rx_n] = 0;
    return 0;
}

int th_ws_client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    th_ws_client *c = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!c) return -1;
        c->wsi = wsi;
        c->connected = true;
        c->connecting = false;
        c->connects++;
        c->ping_due = false;
        uv_timer_stop(&c->connect_timer);
        c->last_rx_ns = th_mono_ns();
        th_backoff_success(&c->bo);
        th_logf(TH_LOG_INFO, "websocket connected", "name=%s url=%s://%s:%d%s connects=%llu", c->name, c->url.scheme, c->url.host,
                c->url.port, c->url.path, (unsigned long long)c->connects);
        if (c->tap) {
            char u[700];
            int n = snprintf(u, sizeof u, "%s://%s:%d%s", c->url.scheme, c->url.host, c->url.port, c->url.path);
            c->tap(c->tap_ctx, TH_WS_TAP_OPEN, u, n > 0 && (size_t)n < sizeof u ? (size_t)n : strlen(u));
        }
        if (c->want_open && c->h.on_open) c->h.on_open(c->h.ctx);
        if (c->q_n) lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!c || c->wsi != wsi) return 0;
        c->last_rx_ns = th_mono_ns();
        if (rx_append(c, in, len) != 0) return -1; /* out of memory: drop the connection, resync */
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            size_t n = c->rx_n;
            c->rx_n = 0;
            c->frames_in++;
            if (c->tap) c->tap(c->tap_ctx, TH_WS_TAP_FRAME, c->rx, n);
            if (c->want_open && c->h.on_frame) c->h.on_frame(c->h.ctx, c->rx, n);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!c || c->wsi != wsi) return 0;
        if (c->drop_asked || !c->want_open) return -1; /* closes: CLIENT_CLOSED follows */
        if (c->ping_due) { /* a control frame: the pong proves the connection (venues that send nothing when quiet) */
            unsigned char pb[LWS_PRE + 4];
            c->ping_due = false;
            if (lws_write(wsi, pb + LWS_PRE, 0, LWS_WRITE_PING) < 0) return -1;
            if (c->q_n) lws_callback_on_writable(wsi);
            return 0;
        }
        if (!c->q_n) return 0;
        th_ws_msg *m = &c->q[c->q_head];
        /* before the write: a client's lws_write masks the payload in place */
        if (c->tap) c->tap(c->tap_ctx, TH_WS_TAP_SENT, (const char *)m->buf + LWS_PRE, m->n);
        int w = lws_write(wsi, m->buf + LWS_PRE, m->n, LWS_WRITE_TEXT);
        free(m->buf);
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_n--;
        if (w < (int)0) return -1;
        c->frames_out++;
        if (c->q_n) lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (c && c->wsi == wsi) c->last_rx_ns = th_mono_ns();
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c && (c->wsi == wsi || c->connecting)) lost(c, in && len ? (const char *)in : "connection error");
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c && c->wsi == wsi) lost(c, c->drop_asked ? "dropped by us" : "closed");
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (c && c->wsi == wsi) lost(c, "destroyed");
        return 0;
    default:
        return 0;
    }
}

/* The watchdog: an opening still not established after TH_WS_CONNECT_TIMEOUT_MS is killed here,
 * synchronously through lws's ordinary close (which closes the uv_poll_t with the socket), before
 * lws's own connect timeout could run its leaking path. The wsi is forgotten first, so that the
 * callbacks of its close are not taken for the next connection's; then the one back-off. */
static void on_connect_timeout(uv_timer_t *t)
{
    th_ws_client *c = t->data;
    if (!c->connecting || c->connected) return;
    struct lws *w = c->wsi;
    c->wsi = NULL;
    c->connecting = false;
    c->connect_timeouts++;
    if (w) lws_set_timeout(w, PENDING_TIMEOUT_AWAITING_CONNECT_RESPONSE, LWS_TO_KILL_SYNC);
    char why[96];
    snprintf(why, sizeof why, "not connected within %d ms: the attempt is ended and retried", TH_WS_CONNECT_TIMEOUT_MS);
    lost(c, why);
}

static void connect_now(th_ws_client *c)
{
    const char *err = NULL;
    struct lws_vhost *vh = th_lws_client_vhost(c->loop, &err);
    if (!vh) { lost(c, err); return; }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = th_lws_client_context();
    ci.vhost = vh;
    ci.address = c->url.host;
    ci.port = c->url.port;
    ci.path = c->url.path;
    ci.host = c->url.host;
    ci.origin = c->url.host;
    ci.ssl_connection = c->url.tls ? LCCSCF_USE_SSL : 0; /* never LCCSCF_ALLOW_*: certificates verified */
    ci.local_protocol_name = "th-client";
    ci.userdata = c;
    ci.pwsi = &c->wsi;
    c->connecting = true;
    c->drop_asked = false;
    uv_timer_start(&c->connect_timer, on_connect_timeout, TH_WS_CONNECT_TIMEOUT_MS, 0);
    struct lws *w = lws_client_connect_via_info(&ci);
    if (!w && c->connecting) lost(c, "cannot start the connection");
}

static void on_retry(uv_timer_t *t)
{
    th_ws_client *c = t->data;
    if (c->want_open && !c->wsi && !c->connecting) connect_now(c);
}

static void schedule_retry(th_ws_client *c)
{
    if (!c->timers_open) return;
    int64_t now = th_mono_ns();
    int64_t until = th_backoff_fail(&c->bo, now, 0);
    int64_t ms = (until - now) / 1000000;
    uv_timer_start(&c->retry_timer, on_retry, ms > 0 ? (uint64_t)ms : 0, 0);
}

/* A venue that sends nothing for idle_ns (not even a heartbeat, nor a pong to our ping) has lost
 * us: start again. A connection quiet for a third of that gets a ping, so a venue that sends no
 * heartbeats (Binance's streams when the market is quiet) is not taken for dead. */
static void on_idle_check(uv_timer_t *t)
{
    th_ws_client *c = t->data;
    if (!c->connected || c->idle_ns <= 0) return;
    int64_t quiet = th_mono_ns() - c->last_rx_ns;
    if (quiet > c->idle_ns) { th_ws_drop(c, "no data within the idle limit"); return; }
    if (quiet > c->idle_ns / 3 && c->wsi && !c->drop_asked && !c->ping_due) {
        c->ping_due = true;
        lws_callback_on_writable(c->wsi);
    }
}

int th_ws_open(th_ws_client *c, uv_loop_t *loop, const char *name, const char *url, const th_ws_handlers *h, double idle_ms,
               char *why, size_t cap)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    if (th_url_parse(url, &c->url, why, cap) != 0) return -1;
    if (strcmp(c->url.scheme, "ws") != 0 && strcmp(c->url.scheme, "wss") != 0) {
        snprintf(why, cap, "%s: a websocket URL must be ws:// or wss://", url);
        return -1;
    }
    c->loop = loop;
    c->h = *h;
    c->idle_ns = (int64_t)(idle_ms * 1e6);
    th_backoff_init(&c->bo, WS_BACKOFF_BASE_NS, WS_BACKOFF_MAX_NS, (uint64_t)th_mono_ns() ^ (uint64_t)(uintptr_t)c);
    uv_timer_init(loop, &c->retry_timer);
    uv_timer_init(loop, &c->idle_timer);
    uv_timer_init(loop, &c->connect_timer);
    c->retry_timer.data = c->idle_timer.data = c->connect_timer.data = c;
    c->timers_open = true;
    c->want_open = true;
    if (c->idle_ns > 0) uv_timer_start(&c->idle_timer, on_idle_check, 500, 500);
    connect_now(c);
    return 0;
}

int th_ws_send(th_ws_client *c, const char *text, size_t len)
{
    if (!c->connected || !c->wsi || c->drop_asked) return -1;
    if (c->q_n == c->q_cap) {
        int32_t ncap = c->q_cap ? c->q_cap * 2 : 64;
        th_ws_msg *q = malloc(sizeof *q * (size_t)ncap);
        if (!q) return -1;
        for (int32_t i = 0; i < c->q_n; i++) q[i] = c->q[(c->q_head + i) % c->q_cap];
        free(c->q);
        c->q = q;
        c->q_head = 0;
        c->q_cap = ncap;
    }
    unsigned char *b = malloc(LWS_PRE + len + 1);
    if (!b) return -1;
    memcpy(b + LWS_PRE, text, len);
    c->q[(c->q_head + c->q_n) % c->q_cap] = (th_ws_msg){b, len};
    c->q_n++;
    lws_callback_on_writable(c->wsi);
    return 0;
}

void th_ws_drop(th_ws_client *c, const char *why)
{
    if (!c->wsi || c->drop_asked) return;
    th_logf(TH_LOG_WARN, "websocket: dropping the connection", "name=%s why=\"%s\"", c->name, why);
    c->drop_asked = true;
    lws_callback_on_writable(c->wsi); /* the writable callback returns -1: lws closes it */
}

void th_ws_set_tap(th_ws_client *c, th_ws_tap_fn fn, void *ctx)
{
    c->tap = fn;
    c->tap_ctx = ctx;
}

void th_ws_close(th_ws_client *c)
{
    if (!c->timers_open) return;
    c->want_open = false;
    c->timers_open = false;
    uv_timer_stop(&c->retry_timer);
    uv_timer_stop(&c->idle_timer);
    uv_timer_stop(&c->connect_timer);
    uv_close((uv_handle_t *)&c->retry_timer, NULL);
    uv_close((uv_handle_t *)&c->idle_timer, NULL);
    uv_close((uv_handle_t *)&c->connect_timer, NULL);
    if (c->wsi) lws_callback_on_writable(c->wsi); /* closes it (want_open is false) */
}

void th_ws_free(th_ws_client *c)
{
    q_clear(c);
    free(c->q);
    free(c->rx);
    c->q = NULL;
    c->rx = NULL;
    c->q_cap = 0;
    c->rx_cap = 0;
}
