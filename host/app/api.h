/* api.h — the host's HTTP API on loopback (api.listen), served by libwebsockets on the session's
 * own libuv loop (no thread: a request is answered between two loop callbacks, like a strategy
 * callback, so it sees a consistent state).
 *
 *   GET  /health       {"ok":true,"halted":false,...}
 *   GET  /metrics      Prometheus text: every registered metric, refusals by gate and reason included
 *   GET  /risk         the kill switch, the breaker and refusal counts, as JSON
 *   POST /risk/kill    pull the kill switch (?reason=...): every open order cancelled, new refused
 *   POST /risk/rearm   re-arm after a kill
 * POSTs change things and need "Authorization: Bearer <token>", the token read from the environment
 * variable named by api.token_env (never from the config, never logged). Without api.token_env
 * they are refused (403). The listener binds a loopback address only (the config refuses others).
 * What the endpoints read and change comes through the view the session hands th_api_open
 * (session_view.h): the API knows nothing else of the session. */
#ifndef TH_API_H
#define TH_API_H

#include <stdbool.h>
#include <uv.h>

#include "session_view.h"

typedef struct th_api {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    int port;               /* the bound port (api.listen may say 0: any free port) */
    int max_connections;    /* from the descriptor limit (api.c: the limits and why) */
    char token[256];        /* empty: POSTs refused */
    bool open;
    int32_t m_requests, m_refused;
    th_session_view view;   /* all the API knows of the session (session_view.h) */
} th_api;

/* listen: "127.0.0.1:8080", "[::1]:8080" or "localhost:0"; token_env: NULL or a variable name;
 * view: what the endpoints read and change (copied). */
int th_api_open(th_api *a, uv_loop_t *loop, const char *listen, const char *token_env, const th_session_view *view,
                const char **err);
/* Inside the loop: starts closing (the loop then drains). */
void th_api_close(th_api *a);
/* After the loop has returned: frees what is left. */
void th_api_free(th_api *a);

#endif
