/* lws_loop.h — libwebsockets on the session's libuv loop: the one place that knows how to make an
 * lws context run on a foreign uv loop, a loopback listening vhost, and the process's client
 * context that every outgoing websocket (ws_client.c) shares.
 *
 * Why one file: the API (host/app/api.c), the sim's server (host/simd/sim_server.c) and the
 * venue connectors all put lws on the same loop, and the rules for doing so are easy to get
 * wrong (docs/../shared infra pitfalls): the LIBUV option with the loop as a foreign loop,
 * explicit vhosts, a descriptor table sized to what we allow (else lws sizes it from ulimit -n),
 * a client vhost with its own SSL global init, and a two-step teardown (a destroy inside the
 * loop only starts closing; the second, after uv_run has returned, frees). Include <uv.h> first. */
#ifndef TH_LWS_LOOP_H
#define TH_LWS_LOOP_H

#include <stdbool.h>
#include <uv.h>

#include <libwebsockets.h>

/* Route lws's errors and warnings to our log under `who` (process-wide: lws has one emitter). */
void th_lws_log_to(const char *who);

/* A context on `loop` with no listener of its own (vhosts are made explicitly), its descriptor
 * table sized to fd_limit, header_pool header tables of header_data bytes (0: lws's defaults).
 * NULL on failure (the usual cause: libwebsockets-evlib-uv not installed). */
struct lws_context *th_lws_context_on_loop(uv_loop_t *loop, unsigned fd_limit, unsigned short header_pool,
                                           unsigned header_data);

/* A listening vhost on a loopback host (127.0.0.1 or ::1, v6-only for ::1), port 0 for a free one;
 * every idle timeout is idle_s, keep-alive keepalive_s. NULL if it cannot listen. */
struct lws_vhost *th_lws_listen(struct lws_context *ctx, const char *name, const char *host, int port,
                                const struct lws_protocols *protocols, void *user, int idle_s, int keepalive_s);

/* lws's own timeouts on client connections, in seconds: twice ws_client.c's connect watchdog
 * (TH_WS_CONNECT_TIMEOUT_MS), so that lws never times a connect out itself (its 4.1.6 timeout path
 * leaks the connection's uv_poll_t; the watchdog's close does not). */
#define TH_LWS_CLIENT_LWS_TIMEOUT_S 30

/* The process's client vhost (one context for every outgoing websocket), made on first use on
 * `loop`: TLS initialised for clients, certificates verified against the system store. NULL with
 * *err on failure. */
struct lws_vhost *th_lws_client_vhost(uv_loop_t *loop, const char **err);
/* The context the client vhost lives in (NULL before th_lws_client_vhost). */
struct lws_context *th_lws_client_context(void);
/* Start closing the client context (inside the loop), then free it after uv_run has returned. */
void th_lws_client_close(void);
void th_lws_client_free(void);

#endif
