/* ws_client.h — one outgoing websocket on the session's loop (libwebsockets client), kept open:
 * connect, send text frames, whole frames in (fragments reassembled), and after any loss a
 * reconnect after the one back-off (core/rate_limit.h th_backoff: exponential, full jitter).
 *
 * The adapter knows nothing of venues: a connector gives it a URL and three handlers, and on
 * every (re)connect subscribes again itself. A connection silent for idle_ms (no frame at all:
 * venues send heartbeats) is taken for dead and replaced. Frames queued for a connection that is
 * lost are dropped with it (their fate is unknown: the connector's caller resolves that by
 * query, never by sending again). An opening (TCP, TLS, the upgrade) that has not completed
 * within TH_WS_CONNECT_TIMEOUT_MS is ended by us and retried after the back-off: lws 4.1.6's own
 * connect timeout leaks the connection's uv_poll_t, so it must never be the one that fires
 * (lws_loop.h sets it further out). ws:// only to loopback (url.h). Handlers run from lws
 * callbacks on the loop: they may send, but must not close the client. */
#ifndef TH_WS_CLIENT_H
#define TH_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../core/rate_limit.h"
#include "url.h"

/* How long one opening may take before the watchdog ends it (a venue's TLS handshake from far away
 * takes well under a second; a SYN dropped by a full accept queue is retried by the kernel for
 * two minutes). Must stay below TH_LWS_CLIENT_LWS_TIMEOUT_S. */
#define TH_WS_CONNECT_TIMEOUT_MS 10000

typedef struct th_ws_handlers {
    void *ctx;
    void (*on_open)(void *ctx);                                  /* connected (again): subscribe */
    void (*on_frame)(void *ctx, const char *text, size_t len);   /* one whole frame */
    void (*on_lost)(void *ctx, const char *why);                 /* lost or failed; a retry is scheduled */
} th_ws_handlers;

/* What a tap sees (th_ws_set_tap): the connection opened (text: its URL), a whole frame received
 * (every one, the connector's answers and heartbeats too, and those arriving while closing), a
 * text frame written. */
typedef enum th_ws_tap_kind { TH_WS_TAP_OPEN = 0, TH_WS_TAP_FRAME = 1, TH_WS_TAP_SENT = 2 } th_ws_tap_kind;
typedef void (*th_ws_tap_fn)(void *ctx, th_ws_tap_kind kind, const char *text, size_t len);

typedef struct th_ws_msg {
    unsigned char *buf;  /* LWS_PRE bytes of headroom, then the text */
    size_t n;
} th_ws_msg;

typedef struct th_ws_client {
    char name[32];       /* for the log: "kraken public" */
    th_url url;
    th_ws_handlers h;
    uv_loop_t *loop;
    struct lws *wsi;
    bool want_open;      /* reconnect after a loss (false once closing) */
    bool connected;
    bool connecting;
    bool drop_asked;
    bool ping_due;       /* a websocket ping goes out at the next writable callback */
    bool timers_open;
    uv_timer_t retry_timer, idle_timer, connect_timer;
    th_backoff bo;
    int64_t idle_ns, last_rx_ns;
    char *rx;
    size_t rx_n, rx_cap;
    th_ws_msg *q;
    int32_t q_head, q_n, q_cap;
    uint64_t connects, losses, frames_in, frames_out;
    uint64_t connect_timeouts; /* openings the watchdog ended */
    th_ws_tap_fn tap;    /* `tradehost record`: every frame in and out, raw (NULL: none) */
    void *tap_ctx;
} th_ws_client;

/* Start connecting to url (ws:// or wss://). 0, or -1 with a message in why (a bad URL, plain
 * text to a non-loopback host, no lws). idle_ms 0: no silence check. */
int th_ws_open(th_ws_client *c, uv_loop_t *loop, const char *name, const char *url, const th_ws_handlers *h, double idle_ms,
               char *why, size_t cap);
/* Queue one text frame; -1 when not connected (nothing is queued). */
int th_ws_send(th_ws_client *c, const char *text, size_t len);
/* Drop the connection now (as if lost: on_lost, then a reconnect after the back-off). */
void th_ws_drop(th_ws_client *c, const char *why);
/* Sees every frame of the connection from now on (after th_ws_open, which clears it). */
void th_ws_set_tap(th_ws_client *c, th_ws_tap_fn fn, void *ctx);
/* Stop for good: no reconnect, no more handler calls; the timers close on the loop. */
void th_ws_close(th_ws_client *c);
/* After the loop has drained (the lws client context destroyed): buffers freed. */
void th_ws_free(th_ws_client *c);

#endif
