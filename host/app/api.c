/* api.c — the loopback HTTP API: the listener, the one lws callback, tokens and limits (see api.h
 * for the endpoints and why it runs on the loop; api_routes.c answers them, api_events.c serves
 * the /events websocket).
 *
 * libwebsockets does the HTTP and the websocket. Each answer is built whole when the request is
 * complete (they are small and the state they read must not move under them), then written when
 * lws says the socket is writable. The bearer token is compared in constant time and never
 * logged. */
#include <uv.h> /* before libwebsockets.h: its libuv glue needs uv's types */

#include "api.h"
#include "api_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/fd_budget.h"
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
 *   - headers over API_HEADER_MAX bytes drop the connection; a body over API_BODY_MAX (4 KiB:
 *     the largest JSON body an endpoint takes is a few dozen bytes) is answered 413 and the
 *     connection closed, never read further;
 *   - /events clients are bounded by api_events.c (count, queue, incoming messages). */
#define API_MAX_CONNECTIONS 1024
#define API_FD_RESERVE 256
#define API_HEADER_MAX 4096
#define API_IDLE_S 5

struct th_api *g_api;

/* The answer, copied after LWS_PRE bytes of headroom (lws_write needs it). */
int api_answer(api_req *r, int status, const char *ctype, const char *text, size_t n)
{
    free(r->body);
    r->body = malloc(LWS_PRE + n + 1);
    if (!r->body) return -1;
    memcpy(r->body + LWS_PRE, text, n);
    r->body_n = n;
    r->status = status;
    r->ctype = ctype;
    r->routed = true;
    if (status >= 400 && status != 401 && status != 503) th_metric_inc(g_api->m_bad_requests);
    return 0;
}

int api_answer_json(api_req *r, int status, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof buf) n = snprintf(buf, sizeof buf, "{\"error\":\"answer too long\"}");
    return api_answer(r, status, "application/json", buf, (size_t)n);
}

int api_answer_stream(api_req *r, int status, char **buf, size_t *n, FILE *f)
{
    fclose(f); /* sets *buf and *n */
    int rc = api_answer(r, status, "application/json", *buf ? *buf : "", *buf ? *n : 0);
    free(*buf);
    *buf = NULL;
    return rc;
}

bool api_token_ok(struct lws *wsi)
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

/* Every refusal is counted (api_refused_total) but logged at most once a second, with how many
 * went unlogged: any local process can send them, and a log line each would let it fill the disk
 * (3,000 refusals took 0.4 s and 320 kB of log before). */
void api_refused_log(const char *uri)
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

/* Deferred answers. lws reads nothing more of a connection once its request is in, so a client
 * that hangs up while its answer is awaited would be seen only when the answer is written: every
 * API_DEFER_CHECK_MS each waiting connection's socket is peeked instead, and at its end the view
 * forgets the request (nothing is sent for it) and lws closes the connection. */
#define API_DEFER_CHECK_MS 100

void api_undefer(api_req *r)
{
    if (!r->deferred) return;
    r->deferred = false;
    for (api_req **p = &g_api->deferred; *p; p = &(*p)->next_deferred)
        if (*p == r) { *p = r->next_deferred; break; }
    r->next_deferred = NULL;
    if (!g_api->deferred) uv_timer_stop(&g_api->defer_timer);
}

static void on_defer_check(uv_timer_t *t)
{
    (void)t;
    for (api_req *r = g_api->deferred, *next; r; r = next) {
        next = r->next_deferred;
        char c;
        int fd = (int)lws_get_socket_fd(r->wsi);
        ssize_t n = fd < 0 ? 0 : recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) continue;
        if (g_api->view.performance_cancel) g_api->view.performance_cancel(g_api->view.ctx, r);
        api_undefer(r);
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

void api_defer(api_req *r, struct lws *wsi)
{
    r->wsi = wsi;
    r->deferred = true;
    r->next_deferred = g_api->deferred;
    g_api->deferred = r;
    if (!uv_is_active((uv_handle_t *)&g_api->defer_timer))
        uv_timer_start(&g_api->defer_timer, on_defer_check, API_DEFER_CHECK_MS, API_DEFER_CHECK_MS);
}

static void upgrade_uri(struct lws *wsi, char *uri, size_t cap)
{
    uri[0] = 0;
    if (lws_hdr_copy(wsi, uri, (int)cap, WSI_TOKEN_GET_URI) <= 0) uri[0] = 0;
}

static int on_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    api_req *r = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        if (!r) return -1;
        th_metric_inc(g_api->m_requests);
        r->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
        snprintf(r->uri, sizeof r->uri, "%.*s", (int)(len < sizeof r->uri ? len : sizeof r->uri - 1), in ? (const char *)in : "");
        bool has_len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
        bool chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
        /* Once answered, lws would drain an announced body to keep the connection alive (a client
         * could stream gigabytes, whatever API_BODY_MAX says, when the answer goes out before the
         * body arrives), so a connection that announced a body closes after its answer. */
        r->close_after = has_len || chunked;
        char cl[24] = "";
        if (has_len) lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH);
        long long clen = has_len ? strtoll(cl, NULL, 10) : 0;
        if (!r->post && !get) api_answer_json(r, 405, "{\"error\":\"GET or POST only\"}");
        else if (chunked && r->post) api_answer_json(r, 411, "{\"error\":\"a request body needs a Content-Length (no chunked bodies)\"}");
        else if (clen > API_BODY_MAX) api_answer_json(r, 413, "{\"error\":\"request body of %lld bytes: the limit is %d\"}", clen, API_BODY_MAX);
        else if (r->post && clen > 0) {
            /* answered when the body is complete; a refusal that needs no body goes out at once */
            r->awaiting_body = true;
            if (api_route(wsi, r) != 0) return -1;
            if (!r->routed) return 0;
        } else if (api_route(wsi, r) != 0) return -1;
        if (r->routed) lws_callback_on_writable(wsi); /* else deferred: asked for when the answer comes */
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (!r) return -1;
        r->body_in += len;
        /* answered already (a refusal, 413): the rest is dropped while the answer goes out (the
         * connection closes after it); a client that streams on past 1 MiB is cut at once */
        if (r->routed) return r->body_in > (1u << 20) ? -1 : 0;
        if (r->body_in > API_BODY_MAX) {
            api_answer_json(r, 413, "{\"error\":\"request body over %d bytes\"}", API_BODY_MAX);
            lws_callback_on_writable(wsi);
            return 0;
        }
        if (!r->in && !(r->in = malloc(API_BODY_MAX + 1))) return -1;
        memcpy(r->in + r->in_n, in, len);
        r->in_n += len;
        r->in[r->in_n] = 0;
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!r) return -1;
        r->awaiting_body = false;
        if (!r->routed && api_route(wsi, r) != 0) return -1;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (r && r->deferred && !r->body) return 0; /* the answer is not there yet */
        if (!r || !r->body) return -1;
        unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype, r->body_n, &p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)"no-store", 8, &p, end) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        if (lws_write(wsi, r->body + LWS_PRE, r->body_n, LWS_WRITE_HTTP_FINAL) != (int)r->body_n) return -1;
        free(r->body);
        r->body = NULL;
        if (r->after == API_AFTER_STOP) {
            /* the answer is with the kernel: now the stop (the session defers it out of lws) */
            const char *err;
            r->after = API_AFTER_NONE;
            g_api->view.stop(g_api->view.ctx, false, &err);
        }
        free(r->in);
        r->in = NULL;
        r->in_n = r->body_in = 0;
        r->routed = r->authed = r->awaiting_body = false;
        if (r->close_after) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        /* Only a websocket on /events. Any other upgrade (h2c, a websocket elsewhere) is hung up
         * on: it would leave the HTTP idle and request timeouts behind, and a local process could
         * hold /health dark with a thousand of them. */
        char uri[64];
        upgrade_uri(wsi, uri, sizeof uri);
        if (!in || strcmp((const char *)in, "websocket") != 0 || strcmp(uri, "/events") != 0) return -1;
        return api_events_room() ? 0 : -1;
    }
    case LWS_CALLBACK_ESTABLISHED:
        return r ? api_events_established(wsi, r) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return r ? api_events_writeable(wsi, r) : -1;
    case LWS_CALLBACK_RECEIVE:
        return r ? api_events_receive(wsi, r, in, len) : -1;
    case LWS_CALLBACK_CLOSED:
        if (r) api_events_closed(r);
        return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        /* lws also closes connections it never bound to a request (connect then close, an idle
         * timeout, a header it refused): those have no per-request memory. */
        if (r) {
            /* a deferred answer still to come goes nowhere now */
            if (r->deferred && g_api->view.performance_cancel) g_api->view.performance_cancel(g_api->view.ctx, r);
            api_undefer(r);
            free(r->body);
            free(r->in);
            r->body = NULL;
            r->in = NULL;
            api_events_closed(r);
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

/* The token from a file: mode 0600 or stricter (a token others can read is no secret), one line. */
static int token_from_file(th_api *a, const char *path, char *msg, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) { snprintf(msg, cap, "api.token_file %s: %s", path, strerror(errno)); return -1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(msg, cap, "api.token_file %s: not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(msg, cap, "api.token_file %s: readable by group or others (mode %04o): chmod 600 it", path,
                 (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    char buf[sizeof a->token + 2];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) { snprintf(msg, cap, "api.token_file %s: %s", path, strerror(errno)); return -1; }
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
    if (n == 0) { snprintf(msg, cap, "api.token_file %s: the file is empty", path); return -1; }
    if ((size_t)n >= sizeof a->token || strchr(buf, '\n')) {
        snprintf(msg, cap, "api.token_file %s: expected one line of at most 255 bytes", path);
        return -1;
    }
    snprintf(a->token, sizeof a->token, "%s", buf);
    memset(buf, 0, sizeof buf);
    return 0;
}

static void register_metrics(th_api *a)
{
    const char *e2;
    th_metric_register("api_requests_total", TH_METRIC_COUNTER, &a->m_requests, &e2);
    th_metric_register("api_refused_total", TH_METRIC_COUNTER, &a->m_refused, &e2);
    th_metric_register("api_bad_requests_total", TH_METRIC_COUNTER, &a->m_bad_requests, &e2);
    th_metric_register("api_events_clients", TH_METRIC_GAUGE, &a->m_ev_clients, &e2);
    th_metric_register("api_events_sent_total", TH_METRIC_COUNTER, &a->m_ev_sent, &e2);
    th_metric_register("api_events_dropped_total{reason=\"slow_reader\"}", TH_METRIC_COUNTER, &a->m_ev_drop_slow, &e2);
    th_metric_register("api_events_dropped_total{reason=\"oversize\"}", TH_METRIC_COUNTER, &a->m_ev_drop_big, &e2);
    th_metric_register("api_events_dropped_total{reason=\"too_many_clients\"}", TH_METRIC_COUNTER, &a->m_ev_refused, &e2);
}

int th_api_open(th_api *a, uv_loop_t *loop, const char *listen, const char *token_env, const char *token_file,
                const th_session_view *view, const char **err)
{
    static char msg[600];
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
    if (token_file && *token_file) {
        if (token_from_file(a, token_file, msg, sizeof msg) != 0) { *err = msg; return -1; }
    } else if (token_env && *token_env) {
        const char *tok = getenv(token_env);
        if (!tok || !*tok) {
            snprintf(msg, sizeof msg, "api.token_env: the environment variable %s is not set or empty", token_env);
            *err = msg;
            return -1;
        }
        if (strlen(tok) >= sizeof a->token) { *err = "api.token_env: the token is longer than 255 bytes"; return -1; }
        snprintf(a->token, sizeof a->token, "%s", tok);
    }
    register_metrics(a);
    th_api_events_limit(a, 0);
    th_lws_log_to("api: libwebsockets");
    g_api = a;
    a->max_connections = th_fd_connection_cap(API_MAX_CONNECTIONS, API_FD_RESERVE);
    /* Sized to the cap (else lws sizes its tables from ulimit -n); a header table for every
     * connection, so no connection waits for one behind idle ones. + the listener and lws's own. */
    a->ctx = th_lws_context_on_loop(loop, (unsigned)a->max_connections + 4, (unsigned short)a->max_connections, API_HEADER_MAX);
    if (!a->ctx) { *err = "libwebsockets: cannot create the context (is libwebsockets-evlib-uv installed?)"; return -1; }
    uv_timer_init(loop, &a->defer_timer);
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
            !a->token[0] ? "refused (no api.token_env or api.token_file)" : token_file && *token_file ? "token_file" : "token",
            a->max_connections, API_IDLE_S);
    if (a->max_connections < 512)
        th_logf(TH_LOG_WARN, "api: few connections allowed by the descriptor limit (raise ulimit -n)",
                "max_connections=%d nofile_reserve=%d", a->max_connections, API_FD_RESERVE);
    return 0;
}

void th_api_close(th_api *a)
{
    if (!a->open || !a->ctx) return;
    a->open = false;
    uv_close((uv_handle_t *)&a->defer_timer, NULL);
    lws_context_destroy(a->ctx); /* inside the loop this only starts closing */
}

void th_api_free(th_api *a)
{
    if (a->ctx) lws_context_destroy(a->ctx);
    a->ctx = NULL;
    memset(a->token, 0, sizeof a->token);
    if (g_api == a) g_api = NULL;
}
