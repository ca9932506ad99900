/* api_events.c — the /events websocket: every event the session publishes (session_events.c:
 * fills, order changes, risk events, reloads, the periodic status, settlements) goes to every
 * connected client as one text message each, in order.
 *
 * It shares the trading loop, so nothing a client does may hold the loop or grow the host
 * without bound:
 *   - each client has a queue of messages not yet written; a client that does not read lets it
 *     grow, and once it would pass api.events_buffer_kb (default 256 KiB) the client is dropped
 *     (close 1008 "too slow"), counted in api_events_dropped_total{reason="slow_reader"}. The
 *     socket's kernel send buffer is set to the same size, so the kernel does not hide megabytes
 *     more. Publishing is an append per client, never a write: the loop never waits on a socket;
 *   - at most API_EV_CLIENTS clients at once; an upgrade past that is hung up on, counted;
 *   - a client sends nothing but control frames: a data message over API_EV_IN_MAX bytes (a huge
 *     frame, or fragments that add up) closes it (1009), counted with reason="oversize"; smaller
 *     ones are ignored. Frames that are not websocket at all make lws close the connection. */
#include <uv.h> /* before libwebsockets.h */

#include "api.h"
#include "api_impl.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../core/log.h"
#include "../core/metrics.h"

#define API_EV_CLIENTS 16
#define API_EV_BUFFER_DEFAULT (256 * 1024)
#define API_EV_IN_MAX 4096

typedef struct api_ev_msg {
    struct api_ev_msg *next;
    size_t n;
    unsigned char data[]; /* LWS_PRE bytes of headroom, then the text */
} api_ev_msg;

struct api_ev_client {
    struct api_ev_client *next;
    struct lws *wsi;
    api_ev_msg *head, *tail;
    size_t queued;        /* bytes of text queued */
    size_t in_msg;        /* bytes of the data message being received */
    bool dropped;         /* closing: nothing more is queued */
};

void th_api_events_limit(th_api *a, size_t bytes) { a->client_buffer = bytes ? bytes : API_EV_BUFFER_DEFAULT; }

bool api_events_room(void)
{
    if (g_api->nclients < API_EV_CLIENTS) return true;
    th_metric_inc(g_api->m_ev_refused);
    return false;
}

static void queue_free(api_ev_client *c)
{
    for (api_ev_msg *m = c->head, *nx; m; m = nx) {
        nx = m->next;
        free(m);
    }
    c->head = c->tail = NULL;
    c->queued = 0;
}

static int enqueue(api_ev_client *c, const char *text, size_t n)
{
    api_ev_msg *m = malloc(sizeof *m + LWS_PRE + n);
    if (!m) return -1;
    m->next = NULL;
    m->n = n;
    memcpy(m->data + LWS_PRE, text, n);
    if (c->tail) c->tail->next = m;
    else c->head = m;
    c->tail = m;
    c->queued += n;
    return 0;
}

/* Close a client from outside its callbacks: lws closes it on its next service (never here). */
static void drop(api_ev_client *c, int32_t metric, enum lws_close_status code, const char *why)
{
    if (c->dropped) return;
    c->dropped = true;
    queue_free(c);
    th_metric_inc(metric);
    th_logf(TH_LOG_WARN, "api: /events client dropped", "reason=\"%s\"", why);
    lws_close_reason(c->wsi, code, (unsigned char *)why, strlen(why));
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void th_api_publish(void *ctx, const char *type, const char *json, size_t n)
{
    (void)type;
    th_api *a = ctx;
    if (!a->open) return;
    for (api_ev_client *c = a->clients; c; c = c->next) {
        if (c->dropped) continue;
        if (c->queued + n > a->client_buffer) {
            drop(c, a->m_ev_drop_slow, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too slow: unread events over api.events_buffer_kb");
            continue;
        }
        if (enqueue(c, json, n) != 0) {
            drop(c, a->m_ev_drop_slow, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
            continue;
        }
        lws_callback_on_writable(c->wsi);
    }
}

int api_events_established(struct lws *wsi, api_req *r)
{
    api_ev_client *c = calloc(1, sizeof *c);
    if (!c) return -1;
    c->wsi = wsi;
    c->next = g_api->clients;
    g_api->clients = c;
    g_api->nclients++;
    r->ev = c;
    th_metric_set(g_api->m_ev_clients, g_api->nclients);
    int fd = lws_get_socket_fd(wsi), sz = (int)g_api->client_buffer;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    /* The first message: the session's status, so a client knows where it stands. */
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return -1;
    fputs("{\"type\":\"hello\",\"status\":", f);
    if (g_api->view.status) g_api->view.status(g_api->view.ctx, f);
    else fputs("null", f);
    fputc('}', f);
    fclose(f);
    int rc = enqueue(c, buf, n);
    free(buf);
    lws_callback_on_writable(wsi);
    return rc;
}

int api_events_writeable(struct lws *wsi, api_req *r)
{
    api_ev_client *c = r->ev;
    if (!c || c->dropped) return -1;
    api_ev_msg *m = c->head;
    if (!m) return 0;
    if (lws_write(wsi, m->data + LWS_PRE, m->n, LWS_WRITE_TEXT) < (int)m->n) return -1;
    th_metric_inc(g_api->m_ev_sent);
    c->head = m->next;
    if (!c->head) c->tail = NULL;
    c->queued -= m->n;
    free(m);
    if (c->head) lws_callback_on_writable(wsi);
    return 0;
}

int api_events_receive(struct lws *wsi, api_req *r, const void *in, size_t len)
{
    (void)in;
    api_ev_client *c = r->ev;
    if (!c) return -1;
    c->in_msg += len;
    if (c->in_msg > API_EV_IN_MAX) {
        th_metric_inc(g_api->m_ev_drop_big);
        th_logf(TH_LOG_WARN, "api: /events client dropped", "reason=\"a message over 4096 bytes\"");
        /* hung up on at once, no closing handshake: that would read (and drop) whatever the
         * client streams until the close is acknowledged or times out */
        return -1;
    }
    if (lws_is_final_fragment(wsi)) c->in_msg = 0;
    return 0;
}

void api_events_closed(api_req *r)
{
    api_ev_client *c = r->ev;
    if (!c) return;
    r->ev = NULL;
    for (api_ev_client **p = &g_api->clients; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    g_api->nclients--;
    th_metric_set(g_api->m_ev_clients, g_api->nclients);
    queue_free(c);
    free(c);
}
