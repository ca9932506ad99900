/* api.c — the loopback HTTP API (see api.h for the endpoints and why it runs on the loop).
 *
 * libwebsockets does the HTTP (it will carry the event stream's websocket too); this file only
 * routes a request to an answer. Each answer is built whole in the request callback (they are
 * small and the state they read must not move under them), then written when lws says the socket
 * is writable. The bearer token is compared in constant time and never logged. */
#include <uv.h> /* before libwebsockets.h: its libuv glue needs uv's types */

#include "api.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fd_budget.h"
#include "../core/clock.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../net/lws_loop.h"

/* Limits against a hostile or broken local client: any local process can connect, and the API
 * shares the trading loop, so no client may hold more than a bounded share of it.
 *   - every connection costs a descriptor and, while its request is read, a header table:
 *     at most API_MAX_CONNECTIONS (fewer when ulimit -n is low: API_FD_RESERVE stay for the
 *     journal, the REPL and the venues); further connections wait in the kernel's backlog until
 *     one is cut;
 *   - a connection that has not sent a whole request within API_IDLE_S, or sits idle that long
 *     between requests, or whose request takes longer (a trickled header, a body that never
 *     comes), is cut;
 *   - headers over API_HEADER_MAX bytes, or a body over API_BODY_MAX (no endpoint takes one),
 *     drop the connection. */
#define API_MAX_CONNECTIONS 1024
#define API_FD_RESERVE 256
#define API_HEADER_MAX 4096
#define API_BODY_MAX 4096
#define API_IDLE_S 5

typedef struct api_req {
    unsigned char *body; /* LWS_PRE bytes of headroom, then the body */
    size_t body_n;
    size_t body_in;      /* request body bytes received (and dropped) */
    bool close_after;    /* the request announced a body: close once answered, never drain it */
    int status;
    const char *ctype;
} api_req;

static th_api *g_api; /* lws protocol callbacks get no user pointer of ours per vhost here */

/* The answer, copied after LWS_PRE bytes of headroom (lws_write needs it). */
static int answer(api_req *r, int status, const char *ctype, const char *text, size_t n)
{
    free(r->body);
    r->body = malloc(LWS_PRE + n + 1);
    if (!r->body) return -1;
    memcpy(r->body + LWS_PRE, text, n);
    r->body_n = n;
    r->status = status;
    r->ctype = ctype;
    return 0;
}

static int answer_json(api_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int answer_json(api_req *r, int status, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof buf) n = snprintf(buf, sizeof buf, "{\"error\":\"answer too long\"}");
    return answer(r, status, "application/json", buf, (size_t)n);
}

/* JSON string body: the reason texts are ours, but escape anyway (a reason may come from a user). */
static void json_str(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    for (; *s && k + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { out[k++] = '\\'; out[k++] = (char)c; }
        else if (c < 0x20) k += (size_t)snprintf(out + k, cap - k, "\\u%04x", c);
        else out[k++] = (char)c;
    }
    out[k] = 0;
}

static bool token_ok(struct lws *wsi)
{
    if (!g_api->token[0]) return false;
    char h[320];
    if (lws_hdr_copy(wsi, h, sizeof h, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0) return false;
    if (strncmp(h, "Bearer ", 7) != 0) return false;
    const char *given = h + 7;
    size_t a = strlen(given), b = strlen(g_api->token);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < b; i++) diff |= (unsigned)(unsigned char)given[i < a ? i : 0] ^ (unsigned char)g_api->token[i];
    return diff == 0;
}

static int risk_json(api_req *r)
{
    th_view_risk v;
    if (g_api->view.risk(g_api->view.ctx, &v) != 0) return answer_json(r, 503, "{\"error\":\"no order flow in this session\"}");
    char refusals[2048] = "", reason[300];
    size_t k = 0;
    for (int32_t i = 0; i < v.nrefusals; i++) {
        k += (size_t)snprintf(refusals + k, sizeof refusals - k, "%s\"%s\":%.0f", k ? "," : "", v.refusals[i].reason,
                              v.refusals[i].count);
        if (k >= sizeof refusals) break;
    }
    json_str(reason, sizeof reason, v.halt_reason);
    return answer_json(r, 200,
                       "{\"halted\":%s,\"halt_code\":\"%s\",\"halt_reason\":\"%s\",\"breaker_open\":%s,"
                       "\"consecutive_errors\":%d,\"refusals\":{%s}}",
                       v.halted ? "true" : "false", v.halt_code, reason, v.breaker_open ? "true" : "false",
                       v.consecutive_errors, refusals);
}

/* Healthy means the process runs *and* its strategy does: a faulted strategy (a callback raised,
 * callbacks stopped) makes "ok" false (503) and is listed with its callback and error. */
static int health_json(api_req *r)
{
    th_view_health h;
    g_api->view.health(g_api->view.ctx, &h);
    char faults[1536] = "", cb[80], err[700];
    size_t k = 0;
    th_view_fault f;
    int n = 0;
    for (; g_api->view.fault(g_api->view.ctx, n, &f) == 0 && k < sizeof faults; n++) {
        json_str(cb, sizeof cb, f.strategy);
        json_str(err, sizeof err, f.error);
        k += (size_t)snprintf(faults + k, sizeof faults - k, "%s{\"strategy\":\"%s\",\"callback\":\"%s\",\"error\":\"%s\","
                              "\"orders_cancelled\":%d}", n ? "," : "", cb, f.callback, err, f.orders_cancelled);
    }
    if (k >= sizeof faults) snprintf(faults, sizeof faults, "{\"error\":\"%d faults, too long to list\"}", n);
    return answer_json(r, n ? 503 : 200,
                       "{\"ok\":%s,\"version\":\"%s\",\"mode\":\"%s\",\"pid\":%d,\"faults\":[%s],\"order_flow\":%s,"
                       "\"halted\":%s}",
                       n ? "false" : "true", h.version, h.mode, h.pid, faults, h.order_flow ? "true" : "false",
                       h.halted ? "true" : "false");
}

/* Every refusal is counted (api_refused_total) but logged at most once a second, with how many
 * went unlogged: any local process can send them, and a log line each would let it fill the disk
 * (3,000 refusals took 0.4 s and 320 kB of log before). */
static void refused_log(const char *uri)
{
    static int64_t last_ns;
    static uint64_t unlogged;
    th_metric_inc(g_api->m_refused);
    int64_t now = th_mono_ns();
    if (last_ns && now - last_ns < 1000000000LL) { unlogged++; return; }
    th_logf(TH_LOG_WARN, "api: refused a change without a valid token", "uri=%s unlogged_since_last=%llu", uri,
            (unsigned long long)unlogged);
    last_ns = now;
    unlogged = 0;
}

static int route(struct lws *wsi, api_req *r, const char *uri, bool post)
{
    th_metric_inc(g_api->m_requests);
    if (!post && strcmp(uri, "/health") == 0) return health_json(r);
    if (!post && strcmp(uri, "/metrics") == 0) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f) return answer_json(r, 500, "{\"error\":\"out of memory\"}");
        g_api->view.metrics(g_api->view.ctx, f);
        fclose(f);
        int rc = answer(r, 200, "text/plain; version=0.0.4", buf, n);
        free(buf);
        return rc;
    }
    if (!post && strcmp(uri, "/risk") == 0) return risk_json(r);
    if (post && (strcmp(uri, "/risk/kill") == 0 || strcmp(uri, "/risk/rearm") == 0)) {
        if (!g_api->token[0]) {
            return answer_json(r, 403, "{\"error\":\"changes through the API need api.token_env in the config\"}");
        }
        if (!token_ok(wsi)) {
            refused_log(uri);
            return answer_json(r, 401, "{\"error\":\"missing or wrong bearer token\"}");
        }
        if (strcmp(uri, "/risk/kill") == 0) {
            char arg[160], why[200];
            const char *given = lws_get_urlarg_by_name(wsi, "reason=", arg, sizeof arg);
            snprintf(why, sizeof why, "api: %s", given && *given ? given : "kill switch");
            if (g_api->view.kill(g_api->view.ctx, why) != 0) return answer_json(r, 503, "{\"error\":\"no order flow in this session\"}");
            return risk_json(r);
        }
        const char *err;
        if (g_api->view.rearm(g_api->view.ctx, &err) != 0) return answer_json(r, 409, "{\"error\":\"%s\"}", err);
        th_logf(TH_LOG_WARN, "api: kill switch re-armed", NULL);
        return risk_json(r);
    }
    return answer_json(r, 404, "{\"error\":\"no such endpoint\",\"endpoints\":[\"GET /health\",\"GET /metrics\","
                                "\"GET /risk\",\"POST /risk/kill\",\"POST /risk/rearm\"]}");
}

static int on_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    api_req *r = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        if (!r) return -1;
        bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
        char uri[128];
        snprintf(uri, sizeof uri, "%.*s", (int)(len < sizeof uri ? len : sizeof uri - 1), in ? (const char *)in : "");
        /* No endpoint takes a body. Once answered, lws would drain an announced body to keep the
         * connection alive (a client could stream gigabytes, whatever API_BODY_MAX says, when the
         * answer goes out before the body arrives), so such a connection closes after its answer. */
        r->close_after = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
                         lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
        if (!post && !get) answer_json(r, 405, "{\"error\":\"GET or POST only\"}");
        else if (route(wsi, r, uri, post) != 0) return -1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
        /* no endpoint takes a body (the kill reason is a query argument): drop it, bounded */
        if (!r) return -1;
        r->body_in += len;
        return r->body_in > API_BODY_MAX ? -1 : 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!r || !r->body) return -1;
        unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype, r->body_n, &p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)"no-store", 8, &p, end) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        if (lws_write(wsi, r->body + LWS_PRE, r->body_n, LWS_WRITE_HTTP_FINAL) != (int)r->body_n) return -1;
        free(r->body);
        r->body = NULL;
        if (r->close_after) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        /* No endpoint speaks websocket or HTTP/2 (yet), and an upgraded connection would leave the
         * HTTP idle and request timeouts behind: a local process could hold /health dark with a
         * thousand of them. Hang up on every upgrade (websocket, h2c). */
        return -1;
    case LWS_CALLBACK_CLOSED_HTTP:
        /* lws also closes connections it never bound to a request (connect then close, an idle
         * timeout, a header it refused): those have no per-request memory. */
        if (r) {
            free(r->body);
            r->body = NULL;
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols PROTOCOLS[] = {
    {"http", on_http, sizeof(api_req), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int th_api_open(th_api *a, uv_loop_t *loop, const char *listen, const char *token_env, const th_session_view *view,
                const char **err)
{
    static char msg[256];
    memset(a, 0, sizeof *a);
    a->view = *view;
    char host[64];
    int port = -1;
    if (sscanf(listen, "[%63[^]]]:%d", host, &port) != 2 && sscanf(listen, "%63[^:]:%d", host, &port) != 2) {
        *err = "api.listen: expected host:port";
        return -1;
    }
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0) { *err = "api.listen: loopback addresses only"; return -1; }
    if (port < 0 || port > 65535) { *err = "api.listen: port out of range"; return -1; }
    if (token_env && *token_env) {
        const char *tok = getenv(token_env);
        if (!tok || !*tok) {
            snprintf(msg, sizeof msg, "api.token_env: the environment variable %s is not set or empty", token_env);
            *err = msg;
            return -1;
        }
        if (strlen(tok) >= sizeof a->token) { *err = "api.token_env: the token is longer than 255 bytes"; return -1; }
        snprintf(a->token, sizeof a->token, "%s", tok);
    }
    const char *e2;
    th_metric_register("api_requests_total", TH_METRIC_COUNTER, &a->m_requests, &e2);
    th_metric_register("api_refused_total", TH_METRIC_COUNTER, &a->m_refused, &e2);
    th_lws_log_to("api: libwebsockets");
    g_api = a;
    a->max_connections = th_fd_connection_cap(API_MAX_CONNECTIONS, API_FD_RESERVE);
    /* Sized to the cap (else lws sizes its tables from ulimit -n); a header table for every
     * connection, so no connection waits for one behind idle ones. + the listener and lws's own. */
    a->ctx = th_lws_context_on_loop(loop, (unsigned)a->max_connections + 4, (unsigned short)a->max_connections, API_HEADER_MAX);
    if (!a->ctx) { *err = "libwebsockets: cannot create the context (is libwebsockets-evlib-uv installed?)"; return -1; }
    a->open = true;

    a->vh = th_lws_listen(a->ctx, "api", host, port, PROTOCOLS, NULL, API_IDLE_S, API_IDLE_S);
    if (!a->vh) {
        snprintf(msg, sizeof msg, "api.listen %s: cannot listen (port in use?)", listen);
        *err = msg;
        th_api_close(a); /* the caller's loop finishes the close; th_api_free after it */
        return -1;
    }
    a->port = lws_get_vhost_listen_port(a->vh);
    th_logf(TH_LOG_INFO, "api: listening", "address=%s port=%d changes=%s max_connections=%d idle_s=%d", host, a->port,
            a->token[0] ? "token" : "refused (no api.token_env)", a->max_connections, API_IDLE_S);
    if (a->max_connections < 512)
        th_logf(TH_LOG_WARN, "api: few connections allowed by the descriptor limit (raise ulimit -n)",
                "max_connections=%d nofile_reserve=%d", a->max_connections, API_FD_RESERVE);
    return 0;
}

void th_api_close(th_api *a)
{
    if (!a->open || !a->ctx) return;
    lws_context_destroy(a->ctx); /* inside the loop this only starts closing */
    a->open = false;
}

void th_api_free(th_api *a)
{
    if (a->ctx) lws_context_destroy(a->ctx);
    a->ctx = NULL;
    memset(a->token, 0, sizeof a->token);
    if (g_api == a) g_api = NULL;
}
