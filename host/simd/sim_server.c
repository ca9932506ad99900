/* sim_server.c — libwebsockets on the loop: HTTP requests and websockets for the sim (see
 * sim_server.h). One lws protocol serves both on each listener: ccxt and most clients send no
 * websocket subprotocol, so the upgrade lands on the vhost's first protocol anyway. */
#include <uv.h> /* before libwebsockets.h: its libuv glue needs uv's types */

#include "sim_server.h"
#include "sim_front.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fd_budget.h"
#include "../core/clock.h"
#include "../core/log.h"
#include "../net/lws_loop.h"

_Static_assert(SIM_BUF_HEAD >= LWS_PRE, "sim_buf headroom must hold the lws frame header");

#define SIM_IDLE_S 10        /* a request that has not arrived whole within this is cut */
#define SIM_KEEPALIVE_S 60   /* idle keep-alive HTTP connections (ccxt keeps its sockets) */
#define SIM_MAX_CONNECTIONS 1024
#define SIM_FD_RESERVE 64
#define SIM_HTTP_CHUNK (32u << 10)
#define SIM_WRITES_PER_CALLBACK 64

typedef struct http_state {
    struct lws *wsi;          /* NULL once the connection closed */
    sim_server *srv;
    sim_http_req req;
    sim_http_resp resp;
    size_t body_cap, sent;
    bool headers_sent, answered, in_use, too_big, close_after;
    bool timer_on, timer_init;
    uv_timer_t timer;         /* a delayed answer (latency fault) */
} http_state;

typedef struct conn_pss {
    sim_ws *ws;
    http_state *h;
} conn_pss;

typedef struct sim_delayed {
    uint64_t conn;
    int port;
    int64_t due_mono;
    sim_frame *f;
} sim_delayed;

sim_frame *sim_frame_new(const char *text, size_t n)
{
    sim_frame *f = malloc(sizeof *f + SIM_BUF_HEAD + n + 1);
    if (!f) return NULL;
    f->refs = 1;
    f->cls = SIMF_OTHER;
    f->sym = -1;
    f->len = n;
    memcpy(f->buf + SIM_BUF_HEAD, text, n);
    f->buf[SIM_BUF_HEAD + n] = 0;
    return f;
}

void sim_frame_unref(sim_frame *f)
{
    if (f && --f->refs == 0) free(f);
}

/* ---- HTTP ---- */

static void http_reset(http_state *h)
{
    free(h->req.body);
    sim_buf_free(&h->resp.body);
    memset(&h->req, 0, sizeof h->req);
    memset(&h->resp, 0, sizeof h->resp);
    h->body_cap = h->sent = 0;
    h->headers_sent = h->answered = h->too_big = h->close_after = false;
}

static void timer_closed(uv_handle_t *t)
{
    http_state *h = t->data;
    free(h);
}

/* The connection is gone (or the state is no longer needed): free now, or once the timer closes. */
static void http_release(http_state *h)
{
    http_reset(h);
    h->wsi = NULL;
    if (h->timer_init) {
        uv_timer_stop(&h->timer);
        uv_close((uv_handle_t *)&h->timer, timer_closed);
    } else {
        free(h);
    }
}

static void delayed_answer(uv_timer_t *t)
{
    http_state *h = t->data;
    h->timer_on = false;
    if (h->wsi) lws_callback_on_writable(h->wsi);
}

static void hdr_custom(struct lws *wsi, const char *name, char *out, size_t cap)
{
    out[0] = 0;
    int n = lws_hdr_custom_length(wsi, name, (int)strlen(name));
    if (n <= 0 || (size_t)n >= cap) return;
    if (lws_hdr_custom_copy(wsi, out, (int)cap, name, (int)strlen(name)) < 0) out[0] = 0;
}

/* The upgrade request's path and arguments, for venues whose stream URLs name the streams. */
static void ws_target(struct lws *wsi, sim_ws *ws)
{
    int n = lws_hdr_copy(wsi, ws->target, sizeof ws->target, WSI_TOKEN_GET_URI);
    size_t k = n > 0 ? (size_t)n : 0;
    ws->target[k] = 0;
    char frag[512];
    for (int i = 0; k + 2 < sizeof ws->target; i++) {
        int m = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (m < 0) break;
        k += (size_t)snprintf(ws->target + k, sizeof ws->target - k, "%s%s", i ? "&" : "?", frag);
    }
    if (k >= sizeof ws->target) ws->target[sizeof ws->target - 1] = 0;
}

static void read_request(struct lws *wsi, http_state *h, const char *uri, size_t len)
{
    sim_http_req *r = &h->req;
    snprintf(r->path, sizeof r->path, "%.*s", (int)(len < sizeof r->path ? len : sizeof r->path - 1), uri ? uri : "");
    r->method = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0     ? "POST"
                : lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0    ? "GET"
                : lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0 ? "DELETE"
                : lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0    ? "PUT"
                                                                      : "OTHER";
    /* lws hands the arguments %-decoded, one fragment per '&'; encode each again so that a value
     * holding '&' or '%' cannot split or change when a handler decodes it, and refuse (never cut)
     * a query that does not fit: a cut one loses its later parameters (timestamp, signature) */
    static char frag[SIM_HTTP_HEADER_MAX + 1]; /* a fragment is at most lws's header space */
    size_t k = 0, need = 0;
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) break;
        if (i) need++;
        if (i && need < sizeof r->query) r->query[k++] = '&';
        for (int j = 0; j < n; j++) {
            unsigned char c = (unsigned char)frag[j];
            bool enc = c == '%' || c == '&' || c == '+' || c <= ' ' || c >= 0x7f;
            need += enc ? 3 : 1;
            if (need >= sizeof r->query) continue;
            if (enc) k += (size_t)snprintf(r->query + k, sizeof r->query - k, "%%%02X", c);
            else r->query[k++] = (char)c;
        }
    }
    r->query[k < sizeof r->query ? k : sizeof r->query - 1] = 0;
    r->query_need = need;
    r->query_too_long = need >= sizeof r->query;
    hdr_custom(wsi, "api-key:", r->api_key, sizeof r->api_key);
    if (!r->api_key[0]) hdr_custom(wsi, "x-mbx-apikey:", r->api_key, sizeof r->api_key);
    hdr_custom(wsi, "api-sign:", r->api_sign, sizeof r->api_sign);
    if (lws_hdr_copy(wsi, r->content_type, sizeof r->content_type, WSI_TOKEN_HTTP_CONTENT_TYPE) < 0) r->content_type[0] = 0;
}

static void dispatch(struct lws *wsi, http_state *h)
{
    sim_server *s = h->srv;
    s->http_requests++;
    h->resp.status = 200;
    sim_buf_init(&h->resp.body);
    if (h->too_big) {
        h->resp.status = 413;
        sim_buf_puts(&h->resp.body, "{\"error\":[\"EGeneral:Invalid arguments:body too large\"]}");
        h->close_after = true;
    } else {
        s->ops.http(s->ops.ctx, &h->req, &h->resp);
    }
    h->answered = true;
    if (h->resp.never) {
        /* the request is swallowed: the client's own timeout ends it (or the idle cut) */
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 120);
        return;
    }
    if (h->resp.delay_ms > 0) {
        if (!h->timer_init) {
            uv_timer_init(s->loop, &h->timer);
            h->timer.data = h;
            h->timer_init = true;
        }
        h->timer_on = true;
        uv_timer_start(&h->timer, delayed_answer, (uint64_t)h->resp.delay_ms, 0);
        return;
    }
    lws_callback_on_writable(wsi);
}

static int http_write(struct lws *wsi, http_state *h)
{
    if (!h->answered || h->timer_on || h->resp.never) return 0;
    sim_http_resp *r = &h->resp;
    if (!h->headers_sent) {
        unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype ? r->ctype : "application/json", r->body.n, &p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)"no-store", 8, &p, end) ||
            (r->hdr[0].name && lws_add_http_header_by_name(wsi, (const unsigned char *)r->hdr[0].name, (const unsigned char *)r->hdr[0].value,
                                                           (int)strlen(r->hdr[0].value), &p, end)) ||
            (r->hdr[1].name && lws_add_http_header_by_name(wsi, (const unsigned char *)r->hdr[1].name, (const unsigned char *)r->hdr[1].value,
                                                           (int)strlen(r->hdr[1].value), &p, end)) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        h->headers_sent = true;
        if (r->body.n) { lws_callback_on_writable(wsi); return 0; }
    }
    if (h->sent < r->body.n) {
        size_t n = r->body.n - h->sent;
        if (n > SIM_HTTP_CHUNK) n = SIM_HTTP_CHUNK;
        bool last = h->sent + n == r->body.n;
        /* the text sits in a sim_buf with SIM_BUF_HEAD of headroom: lws may use LWS_PRE before the
         * pointer, which for a later chunk is body text already sent */
        unsigned char *at = (unsigned char *)sim_buf_text(&r->body) + h->sent;
        if (lws_write(wsi, at, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n) return -1;
        h->sent += n;
        if (!last) { lws_callback_on_writable(wsi); return 0; }
    }
    bool close = h->close_after;
    http_reset(h);
    if (close) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- websockets ---- */

static void ws_unlink(sim_ws *ws)
{
    sim_server *s = ws->srv;
    if (ws->prev) ws->prev->next = ws->next;
    else if (s->conns[ws->port] == ws) s->conns[ws->port] = ws->next;
    if (ws->next) ws->next->prev = ws->prev;
    ws->prev = ws->next = NULL;
}

static void ws_free(sim_ws *ws)
{
    sim_frame_unref(ws->held);
    for (size_t i = 0; i < ws->qlen; i++) sim_frame_unref(ws->q[(ws->qhead + i) % ws->qcap]);
    free(ws->q);
    free(ws->rx);
    free(ws);
}

void sim_ws_close(sim_ws *ws, const char *why)
{
    if (!ws || ws->closing || ws->dead) return;
    ws->closing = true;
    th_logf(TH_LOG_INFO, "sim: closing a websocket", "conn=%llu why=\"%s\"", (unsigned long long)ws->id, why);
    lws_callback_on_writable(ws->wsi);
}

/* Queue a frame, no questions asked. */
static void enqueue(sim_ws *ws, sim_frame *f)
{
    if (!ws || !f || ws->closing || ws->dead) return;
    if (ws->qbytes + f->len > SIM_WS_MAX_QUEUE) {
        ws->srv->ws_cut_slow++;
        th_logf(TH_LOG_WARN, "sim: a websocket client does not read; cut", "conn=%llu queued_bytes=%zu queued_frames=%zu",
                (unsigned long long)ws->id, ws->qbytes, ws->qlen);
        sim_ws_close(ws, "client does not read");
        return;
    }
    if (ws->qlen == ws->qcap) {
        size_t cap = ws->qcap ? ws->qcap * 2 : 64;
        sim_frame **q = malloc(sizeof *q * cap);
        if (!q) { sim_ws_close(ws, "out of memory"); return; }
        for (size_t i = 0; i < ws->qlen; i++) q[i] = ws->q[(ws->qhead + i) % ws->qcap];
        free(ws->q);
        ws->q = q;
        ws->qcap = cap;
        ws->qhead = 0;
    }
    f->refs++;
    ws->q[(ws->qhead + ws->qlen++) % ws->qcap] = f;
    ws->qbytes += f->len;
    if (ws->qlen == 1) lws_callback_on_writable(ws->wsi);
}

static sim_ws *find_conn(sim_server *s, int port, uint64_t id)
{
    for (sim_ws *ws = s->conns[port]; ws; ws = ws->next)
        if (ws->id == id) return ws;
    return NULL;
}

static void delay_fire(uv_timer_t *t)
{
    sim_server *s = t->data;
    s->delay_timer_on = false;
    int64_t now = th_mono_ns();
    size_t k = 0;
    for (size_t i = 0; i < s->ndelayed; i++) {
        sim_delayed *d = &s->delayed[i];
        if (d->due_mono <= now) {
            sim_ws *ws = find_conn(s, d->port, d->conn); /* it may have closed meanwhile */
            if (ws) enqueue(ws, d->f);
            sim_frame_unref(d->f);
        } else {
            s->delayed[k++] = *d;
        }
    }
    s->ndelayed = k;
    if (k && s->open) {
        int64_t next = s->delayed[0].due_mono;
        for (size_t i = 1; i < k; i++) if (s->delayed[i].due_mono < next) next = s->delayed[i].due_mono;
        uv_timer_start(&s->delay_timer, delay_fire, (uint64_t)((next - now + 999999) / 1000000), 0);
        s->delay_timer_on = true;
    }
}

static void delay(sim_ws *ws, sim_frame *f, int64_t ms)
{
    sim_server *s = ws->srv;
    if (s->ndelayed == s->delayed_cap) {
        size_t cap = s->delayed_cap ? s->delayed_cap * 2 : 64;
        sim_delayed *d = realloc(s->delayed, sizeof *d * cap);
        if (!d) return;
        s->delayed = d;
        s->delayed_cap = cap;
    }
    f->refs++;
    s->delayed[s->ndelayed++] = (sim_delayed){ws->id, ws->port, th_mono_ns() + ms * 1000000LL, f};
    if (!s->delay_timer_on) {
        uv_timer_start(&s->delay_timer, delay_fire, (uint64_t)ms, 0);
        s->delay_timer_on = true;
    }
}

/* A copy of f's text, changed: its first half (MALFORM), or its checksum off by one. */
static sim_frame *altered(const sim_frame *f, sim_out_action a)
{
    const char *t = (const char *)f->buf + SIM_BUF_HEAD;
    sim_frame *g = NULL;
    if (a == SIM_OUT_MALFORM) {
        g = sim_frame_new(t, f->len / 2 ? f->len / 2 : 1);
    } else {
        const char *c = strstr(t, "\"checksum\":");
        g = sim_frame_new(t, f->len);
        if (g && c) {
            char *d = (char *)g->buf + SIM_BUF_HEAD + (c - t) + 11;
            /* change the last digit: still a number, never the right one */
            while (*d >= '0' && *d <= '9') d++;
            d--;
            *d = *d == '9' ? '8' : (char)(*d + 1);
        }
    }
    if (g) { g->cls = f->cls; g->sym = f->sym; }
    return g;
}

void sim_ws_send(sim_ws *ws, sim_frame *f)
{
    if (!ws || !f || ws->closing || ws->dead) return;
    sim_server *s = ws->srv;
    int64_t ms = 0;
    sim_out_action a = s->ops.ws_out ? s->ops.ws_out(s->ops.ctx, ws, f, &ms) : SIM_OUT_SEND;
    switch (a) {
    case SIM_OUT_DROP: return;
    case SIM_OUT_DELAY: delay(ws, f, ms); return;
    case SIM_OUT_HOLD:
        if (!ws->held) { f->refs++; ws->held = f; return; }
        break;
    case SIM_OUT_MALFORM:
    case SIM_OUT_BAD_CHECKSUM: {
        sim_frame *g = altered(f, a);
        if (g) { enqueue(ws, g); sim_frame_unref(g); }
        goto held;
    }
    case SIM_OUT_DUPLICATE: enqueue(ws, f); break;
    default: break;
    }
    enqueue(ws, f);
held:
    if (ws->held) {
        sim_frame *h = ws->held;
        ws->held = NULL;
        enqueue(ws, h);
        sim_frame_unref(h);
    }
}

int sim_server_disconnect(sim_server *s, int port, int max, const char *why)
{
    int n = 0;
    for (int p = 0; p < 2; p++) {
        if (port >= 0 && p != port) continue;
        for (sim_ws *ws = s->conns[p]; ws && (max < 0 || n < max); ws = ws->next) {
            if (ws->closing || ws->dead) continue;
            sim_ws_close(ws, why);
            n++;
        }
    }
    return n;
}

void sim_ws_send_tagged(sim_ws *ws, const sim_buf *b, int cls, int32_t sym)
{
    if (b->oom) return;
    sim_frame *f = sim_frame_of(b);
    if (!f) return;
    f->cls = (int16_t)cls;
    f->sym = sym;
    sim_ws_send(ws, f);
    sim_frame_unref(f);
}

void sim_ws_ping(sim_ws *ws)
{
    if (!ws || ws->closing || ws->dead) return;
    ws->ping_due = true;
    lws_callback_on_writable(ws->wsi);
}

void sim_ws_send_buf(sim_ws *ws, const sim_buf *b) { sim_ws_send_tagged(ws, b, SIMF_OTHER, -1); }

static int ws_write(struct lws *wsi, sim_ws *ws)
{
    if (ws->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (ws->ping_due) {
        unsigned char ping[LWS_PRE + 8];
        memcpy(ping + LWS_PRE, "sim", 3);
        if (lws_write(wsi, ping + LWS_PRE, 3, LWS_WRITE_PING) < 3) return -1;
        ws->ping_due = false;
        ws->ping_sent_ns = th_mono_ns();
        /* one control frame per writable callback; the queued frames go on the next */
        if (ws->qlen) lws_callback_on_writable(wsi);
        return 0;
    }
    for (int k = 0; k < SIM_WRITES_PER_CALLBACK && ws->qlen; k++) {
        sim_frame *f = ws->q[ws->qhead];
        if (lws_write(wsi, f->buf + SIM_BUF_HEAD, f->len, LWS_WRITE_TEXT) < (int)f->len) return -1;
        ws->qhead = (ws->qhead + 1) % ws->qcap;
        ws->qlen--;
        ws->qbytes -= f->len;
        ws->frames_sent++;
        ws->srv->ws_frames_out++;
        sim_frame_unref(f);
        if (lws_send_pipe_choked(wsi)) break;
    }
    ws->last_sent_ns = th_mono_ns();
    if (ws->qlen) lws_callback_on_writable(wsi);
    return 0;
}

static int ws_receive(sim_ws *ws, struct lws *wsi, const char *in, size_t len)
{
    if (!ws->rx_too_big && len && in) {
        if (ws->rx_n + len > SIM_WS_MAX_MESSAGE) {
            ws->rx_too_big = true;
        } else {
            if (ws->rx_n + len + 1 > ws->rx_cap) {
                size_t cap = ws->rx_cap ? ws->rx_cap : 1024;
                while (cap < ws->rx_n + len + 1) cap *= 2;
                char *p = realloc(ws->rx, cap);
                if (!p) return -1;
                ws->rx = p;
                ws->rx_cap = cap;
            }
            memcpy(ws->rx + ws->rx_n, in, len);
            ws->rx_n += len;
            ws->rx[ws->rx_n] = 0;
        }
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return 0;
    if (ws->rx_too_big) {
        th_logf(TH_LOG_WARN, "sim: websocket message too large; closing", "conn=%llu max=%u", (unsigned long long)ws->id,
                SIM_WS_MAX_MESSAGE);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    ws->srv->ws_messages_in++;
    size_t n = ws->rx_n;
    ws->rx_n = 0;
    if (!ws->closing) ws->srv->ops.ws_message(ws->srv->ops.ctx, ws, ws->rx, n);
    return 0;
}

static int on_event(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    conn_pss *pss = user;
    struct lws_vhost *vh = lws_get_vhost(wsi);
    sim_server *s = vh ? lws_get_vhost_user(vh) : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        if (!pss || !s) return -1;
        if (!pss->h) {
            pss->h = calloc(1, sizeof *pss->h);
            if (!pss->h) return -1;
            pss->h->srv = s;
        }
        http_state *h = pss->h;
        h->wsi = wsi;
        http_reset(h);
        read_request(wsi, h, in, len);
        h->req.port = sim_wsi_port(wsi);
        bool has_body = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
                        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
        char cl[32] = "";
        if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && strcmp(cl, "0") == 0) has_body = false;
        if (!has_body) dispatch(wsi, h);
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY: {
        if (!pss || !pss->h) return -1;
        http_state *h = pss->h;
        if (h->too_big || !len || !in) return 0;
        if (h->req.body_n + len > SIM_HTTP_MAX_BODY) {
            h->too_big = true;
            return 0;
        }
        if (h->req.body_n + len + 1 > h->body_cap) {
            size_t cap = h->body_cap ? h->body_cap * 2 : 1024;
            while (cap < h->req.body_n + len + 1) cap *= 2;
            char *p = realloc(h->req.body, cap);
            if (!p) return -1;
            h->req.body = p;
            h->body_cap = cap;
        }
        memcpy(h->req.body + h->req.body_n, in, len);
        h->req.body_n += len;
        h->req.body[h->req.body_n] = 0;
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!pss || !pss->h) return -1;
        if (!pss->h->answered) dispatch(wsi, pss->h);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!pss || !pss->h) return -1;
        return http_write(wsi, pss->h);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* a keep-alive transaction ended: lws frees the pss */
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss && pss->h) {
            http_release(pss->h);
            pss->h = NULL;
        }
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        /* websocket on /v2 only (the exchanges' paths); no h2c */
        char uri[64] = "";
        if (!in || strcmp((const char *)in, "websocket") != 0) return -1;
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0) return -1;
        if (strcmp(uri, "/v2") != 0 && strcmp(uri, "/v2/") != 0 && strcmp(uri, "/ws") != 0 && strncmp(uri, "/ws/", 4) != 0 &&
            strncmp(uri, "/stream", 7) != 0 && strncmp(uri, "/ws-api", 7) != 0)
            return -1;
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        if (!pss || !s) return -1;
        if (pss->h) { http_release(pss->h); pss->h = NULL; }
        sim_ws *ws = calloc(1, sizeof *ws);
        if (!ws) return -1;
        ws->wsi = wsi;
        ws->srv = s;
        ws->port = sim_wsi_port(wsi);
        ws->id = ++s->next_id;
        ws_target(wsi, ws);
        ws->last_sent_ns = ws->opened_ns = th_mono_ns();
        ws->next = s->conns[ws->port];
        if (ws->next) ws->next->prev = ws;
        s->conns[ws->port] = ws;
        pss->ws = ws;
        s->ops.ws_open(s->ops.ctx, ws);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (!pss || !pss->ws) return -1;
        return ws_receive(pss->ws, wsi, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        if (pss && pss->ws) pss->ws->pong_ns = th_mono_ns();
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss || !pss->ws) return -1;
        return ws_write(wsi, pss->ws);
    case LWS_CALLBACK_CLOSED:
        if (pss && pss->ws) {
            sim_ws *ws = pss->ws;
            ws->dead = true;
            /* what this connection was sent, for a test to compare with what its client got */
            th_logf(TH_LOG_INFO, "sim: websocket closed", "conn=%llu target=%s frames_sent=%llu", (unsigned long long)ws->id,
                    ws->target, (unsigned long long)ws->frames_sent);
            if (s) s->ops.ws_close(s->ops.ctx, ws);
            ws_unlink(ws);
            ws_free(ws);
            pss->ws = NULL;
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols PROTOCOLS[] = {
    {"sim", on_event, sizeof(conn_pss), 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* A vhost that listens on nothing: sim_front.c accepts the connections and adopts them into it. */
static struct lws_vhost *vhost(sim_server *s, const char *name, const char *host)
{
    return th_lws_listen(s->ctx, name, host, CONTEXT_PORT_NO_LISTEN_SERVER, PROTOCOLS, s, SIM_IDLE_S, SIM_KEEPALIVE_S);
}

int sim_server_open(sim_server *s, uv_loop_t *loop, const char *host, int port_public, int port_private,
                    const sim_server_ops *ops, const char **err)
{
    static char msg[256];
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->ops = *ops;
    th_lws_log_to("sim: libwebsockets");
    int cap = th_fd_connection_cap(SIM_MAX_CONNECTIONS, SIM_FD_RESERVE);
    s->ctx = th_lws_context_on_loop(loop, (unsigned)cap + 8, (unsigned short)cap, SIM_HTTP_HEADER_MAX);
    if (!s->ctx) { *err = "libwebsockets: cannot create the context (is libwebsockets-evlib-uv installed?)"; return -1; }
    s->open = true;
    s->front_cap = cap;
    s->vh[SIM_PORT_PUBLIC] = vhost(s, "sim-public", host);
    s->vh[SIM_PORT_PRIVATE] = s->vh[SIM_PORT_PUBLIC] ? vhost(s, "sim-private", host) : NULL;
    if (!s->vh[SIM_PORT_PUBLIC] || !s->vh[SIM_PORT_PRIVATE]) {
        *err = "libwebsockets: cannot create the vhosts";
        sim_server_close(s);
        return -1;
    }
    if (sim_front_listen(s, SIM_PORT_PUBLIC, host, port_public, err) != 0 || sim_front_listen(s, SIM_PORT_PRIVATE, host, port_private, err) != 0) {
        snprintf(msg, sizeof msg, "%s (ports %d and %d in use?)", *err, port_public, port_private);
        *err = msg;
        sim_server_close(s);
        return -1;
    }
    uv_timer_init(loop, &s->delay_timer);
    s->delay_timer.data = s;
    return 0;
}

void sim_server_close(sim_server *s)
{
    if (!s->open || !s->ctx) return;
    sim_front_close(s);
    if (s->delay_timer.loop) {
        uv_timer_stop(&s->delay_timer);
        uv_close((uv_handle_t *)&s->delay_timer, NULL);
    }
    lws_context_destroy(s->ctx); /* inside the loop this only starts closing */
    s->open = false;
}

void sim_server_free(sim_server *s)
{
    for (size_t i = 0; i < s->ndelayed; i++) sim_frame_unref(s->delayed[i].f);
    free(s->delayed);
    s->delayed = NULL;
    s->ndelayed = 0;
    if (s->ctx) lws_context_destroy(s->ctx);
    s->ctx = NULL;
}
