/* lws_loop.c — libwebsockets contexts and vhosts on the session's uv loop (see lws_loop.h). */
#include <uv.h> /* before libwebsockets.h: its libuv glue needs uv's types */

#include "lws_loop.h"

#include <stdio.h>
#include <string.h>

#include "../core/log.h"

static char g_who[32] = "libwebsockets";

static void lws_to_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    th_logf(level == LLL_ERR ? TH_LOG_ERROR : TH_LOG_WARN, g_who, "said=\"%.*s\"", (int)n, line);
}

void th_lws_log_to(const char *who)
{
    snprintf(g_who, sizeof g_who, "%s", who);
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log);
}

static struct lws_context *context_on_loop(uv_loop_t *loop, unsigned fd_limit, unsigned short header_pool, unsigned header_data,
                                          unsigned timeout_s)
{
    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof ci);
    void *loops[1] = {loop};
    ci.timeout_secs = timeout_s; /* 0: lws's default */
    ci.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    ci.foreign_loops = loops; /* copied by lws during create */
    ci.port = CONTEXT_PORT_NO_LISTEN;
    ci.fd_limit_per_thread = fd_limit;
    if (header_pool) ci.max_http_header_pool = header_pool;
    if (header_data) ci.max_http_header_data = header_data;
    return lws_create_context(&ci);
}

struct lws_context *th_lws_context_on_loop(uv_loop_t *loop, unsigned fd_limit, unsigned short header_pool, unsigned header_data)
{
    return context_on_loop(loop, fd_limit, header_pool, header_data, 0);
}

struct lws_vhost *th_lws_listen(struct lws_context *ctx, const char *name, const char *host, int port,
                                const struct lws_protocols *protocols, void *user, int idle_s, int keepalive_s)
{
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.vhost_name = name;
    vi.port = port;
    vi.iface = host;
    vi.protocols = protocols;
    vi.user = user;
    vi.timeout_secs_ah_idle = idle_s;
    vi.timeout_secs = idle_s;
    vi.keepalive_timeout = keepalive_s;
    vi.options = strcmp(host, "::1") == 0 ? LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE : 0;
    return lws_create_vhost(ctx, &vi);
}

/* ---- the client context ---- */

/* The client protocol's callback lives in ws_client.c; every client connection names it. */
extern int th_ws_client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

static const struct lws_protocols CLIENT_PROTOCOLS[] = {
    {"th-client", th_ws_client_callback, 0, 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static struct lws_context *g_client_ctx;
static struct lws_vhost *g_client_vh;
static bool g_client_closing;

struct lws_vhost *th_lws_client_vhost(uv_loop_t *loop, const char **err)
{
    if (g_client_vh) return g_client_vh;
    if (g_client_closing) { *err = "the client context is closing"; return NULL; }
    if (!g_client_ctx) {
        th_lws_log_to("net: libwebsockets");
        /* a few connections per venue: public, private, and one being replaced */
        /* lws's own connect timeouts (the context's timeout_secs, the vhost's connect_timeout_secs)
         * are set well past ws_client.c's watchdog, which always ends a hanging connect first:
         * lws 4.1.6's timeout path closes the socket but never its uv_poll_t, which leaks */
        g_client_ctx = context_on_loop(loop, 64, 8, 0, TH_LWS_CLIENT_LWS_TIMEOUT_S);
        if (!g_client_ctx) { *err = "libwebsockets: cannot create the client context (is libwebsockets-evlib-uv installed?)"; return NULL; }
    }
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.vhost_name = "th-client";
    vi.port = CONTEXT_PORT_NO_LISTEN;
    vi.protocols = CLIENT_PROTOCOLS;
    /* TLS for clients; with no CA file lws loads the system's default verify paths, and
     * verification stays on (no LCCSCF_ALLOW_* flag is ever set by ws_client.c). */
    vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    vi.connect_timeout_secs = vi.timeout_secs = TH_LWS_CLIENT_LWS_TIMEOUT_S;
    g_client_vh = lws_create_vhost(g_client_ctx, &vi);
    if (!g_client_vh) { *err = "libwebsockets: cannot create the client vhost (TLS init?)"; return NULL; }
    return g_client_vh;
}

struct lws_context *th_lws_client_context(void) { return g_client_ctx; }

void th_lws_client_close(void)
{
    if (!g_client_ctx || g_client_closing) return;
    g_client_closing = true;
    lws_context_destroy(g_client_ctx); /* inside the loop this only starts closing */
}

void th_lws_client_free(void)
{
    if (g_client_ctx) lws_context_destroy(g_client_ctx);
    g_client_ctx = NULL;
    g_client_vh = NULL;
    g_client_closing = false;
}
