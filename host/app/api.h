/* api.h — the host's HTTP API on loopback (api.listen), served by libwebsockets on the session's
 * own libuv loop (no thread: a request is answered between two loop callbacks, like a strategy
 * callback, so it sees a consistent state). docs/ops.md "The HTTP API" has every endpoint with
 * examples.
 *
 *   GET  /health              process, strategy, venues, books and stores
 *   GET  /metrics             Prometheus text: every registered metric
 *   GET  /risk                the kill switch, the breaker and refusal counts
 *   GET  /sessions/status     the session: state, mode, orders, fills, PnL, settlement
 *   GET  /performance/stats   per session and per pair: PnL, fees, volume, fills, fill ratio, drawdown
 *                             (from the PostgreSQL history when configured: a deferred answer)
 *   GET  /events              websocket: fills, orders, risk events, reloads, periodic status
 *   POST /risk/kill           pull the kill switch (?reason=... or {"reason": ...})
 *   POST /risk/rearm          re-arm after a kill
 *   POST /sessions/start      start a session held by session.start = "api" ({"duration_s": N})
 *   POST /sessions/stop       the graceful stop SIGTERM runs
 *   POST /reload              the strategy's code and config, as SIGHUP
 *   POST /settlement/trigger  reconcile, on_settle, cancel leftovers ({"cancel_leftovers": true}), summary
 * POSTs change things and need "Authorization: Bearer <token>", the token read from the environment
 * variable api.token_env names or from the file api.token_file names (mode 0600 or stricter: a
 * file others can read is refused); never from the config, never logged. Without either, changes
 * are refused (403). The listener binds a loopback address only (the config refuses others).
 * What the endpoints read and change comes through the view the session hands th_api_open
 * (session_view.h): the API knows nothing else of the session. */
#ifndef TH_API_H
#define TH_API_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "session_view.h"

typedef struct api_ev_client api_ev_client;

typedef struct th_api {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    int port;               /* the bound port (api.listen may say 0: any free port) */
    int max_connections;    /* from the descriptor limit (api.c: the limits and why) */
    char token[256];        /* empty: POSTs refused */
    bool open;
    int32_t m_requests, m_refused, m_bad_requests;
    th_session_view view;   /* all the API knows of the session (session_view.h) */
    /* /events (api_events.c) */
    api_ev_client *clients; /* connected event-stream clients */
    int nclients;
    size_t client_buffer;   /* unsent bytes a client may have queued before it is dropped */
    int32_t m_ev_clients, m_ev_sent, m_ev_drop_slow, m_ev_drop_big, m_ev_refused;
    /* requests whose answer comes later (api.c: deferred answers) */
    struct api_req *deferred;
    uv_timer_t defer_timer;
} th_api;

/* listen: "127.0.0.1:8080", "[::1]:8080" or "localhost:0"; token_env, token_file: NULL or a
 * variable name / a path (at most one of them is expected; the file wins); view: what the
 * endpoints read and change (copied). */
int th_api_open(th_api *a, uv_loop_t *loop, const char *listen, const char *token_env, const char *token_file,
                const th_session_view *view, const char **err);
/* api.events_buffer_kb: how much a slow /events client may have queued (default 256 KiB). */
void th_api_events_limit(th_api *a, size_t bytes);
/* An event for the /events clients (a th_event_sink_fn: ctx is the th_api). Never blocks: each
 * client has a bounded queue, and a client whose queue is full is dropped, counted. */
void th_api_publish(void *ctx, const char *type, const char *json, size_t n);
/* Inside the loop: starts closing (the loop then drains). */
void th_api_close(th_api *a);
/* After the loop has returned: frees what is left. */
void th_api_free(th_api *a);

#endif
