/* sim_front.c — the sim's listening sockets and each new connection's first request line (see
 * sim_front.h): a clean one goes to libwebsockets with the bytes read; one that libwebsockets
 * would drop is answered here, through the venue, and the connection closed. */
#include <uv.h> /* before libwebsockets.h */

#include "sim_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/log.h"

#define FRONT_IDLE_MS 10000 /* a first request line not in within this is cut (as SIM_IDLE_S) */
#define FRONT_DRAIN_MS 1000 /* after an answer: read what the client still sends, then close */
#define FRONT_REPEEK_MS 5   /* a request line coming in pieces: look again after this */

typedef struct sim_front_listener {
    sim_server *srv;
    sim_port which;
    int fd;
    uv_poll_t poll;
} sim_front_listener;

typedef struct sim_front_conn {
    sim_server *srv;
    sim_port which;
    int fd;
    int handles;        /* uv handles not yet closed; freed at 0 */
    bool draining;
    int64_t deadline_ns; /* monotonic: the first request line must be in by then */
    uv_poll_t poll;
    uv_timer_t timer;
    struct sim_front_conn *prev, *next;
    size_t n;
    char buf[SIM_HTTP_HEADER_MAX]; /* the connection's first bytes (a request line fits lws's header space) */
} sim_front_conn;

static void handle_closed(uv_handle_t *h)
{
    sim_front_conn *c = h->data;
    if (--c->handles == 0) free(c);
}

/* Unlink and close the handles; the fd too unless libwebsockets took it. */
static void conn_end(sim_front_conn *c, bool close_fd)
{
    sim_server *s = c->srv;
    if (c->prev) c->prev->next = c->next;
    else s->front_conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->front_n--;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, handle_closed); /* stops epoll watching the fd now */
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, handle_closed);
    if (close_fd) close(c->fd);
}

static void conn_timeout(uv_timer_t *t) { conn_end(t->data, true); }

/* What libwebsockets refuses in a request line: a %-escape that is not two hex digits, a byte that
 * decodes to NUL or a control byte, a NUL sent raw. */
static bool line_is_clean(const char *line, size_t n)
{
    if (memchr(line, 0, n)) return false;
    const char *sp = memchr(line, ' ', n);
    if (!sp) return true; /* not HTTP: libwebsockets says so */
    const char *t = sp + 1, *end = line + n;
    const char *sp2 = memchr(t, ' ', (size_t)(end - t));
    if (sp2) end = sp2;
    for (const char *p = t; p < end; p++) {
        if (*p != '%') continue;
        if (end - p < 3) return false;
        char h[3] = {p[1], p[2], 0}, *e;
        long v = strtol(h, &e, 16);
        if (*e || h[0] == '-' || h[0] == '+' || h[0] == ' ') return false;
        if (v < 0x20 || v == 0x7f) return false;
        p += 2;
    }
    return true;
}

static const char *status_text(int st)
{
    switch (st) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    default: return "Error";
    }
}

/* The venue answers the request whose line libwebsockets would drop; the connection then closes. */
static void refuse(sim_front_conn *c, size_t line_n, bool too_long)
{
    sim_server *s = c->srv;
    static sim_http_req req; /* one at a time, on the loop; it is large */
    memset(&req, 0, sizeof req);
    const char *line = c->buf, *end = c->buf + line_n;
    const char *sp = memchr(line, ' ', line_n);
    size_t mlen = sp ? (size_t)(sp - line) : line_n;
    req.method = mlen == 3 && !memcmp(line, "GET", 3)      ? "GET"
                 : mlen == 4 && !memcmp(line, "POST", 4)   ? "POST"
                 : mlen == 6 && !memcmp(line, "DELETE", 6) ? "DELETE"
                 : mlen == 3 && !memcmp(line, "PUT", 3)    ? "PUT"
                                                           : "OTHER";
    const char *t = sp ? sp + 1 : end;
    const char *tend = memchr(t, ' ', (size_t)(end - t));
    if (!tend) tend = end;
    while (tend > t && (tend[-1] == '\r' || tend[-1] == '\n')) tend--;
    const char *q = memchr(t, '?', (size_t)(tend - t));
    const char *pend = q ? q : tend;
    snprintf(req.path, sizeof req.path, "%.*s", (int)((size_t)(pend - t) < sizeof req.path ? (size_t)(pend - t) : sizeof req.path - 1), t);
    if (q) {
        /* as sent (still %-encoded): the venue's parameter checks decode it and name the field */
        size_t qn = (size_t)(tend - q - 1);
        req.query_need = qn;
        if (qn >= sizeof req.query) too_long = true;
        else memcpy(req.query, q + 1, qn);
    }
    req.port = c->which;
    req.query_too_long = too_long;
    req.uri_refused = !too_long;
    if (too_long && req.query_need < sizeof req.query) req.query_need = sizeof req.query; /* the line never ended */
    sim_http_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.status = 200;
    sim_buf_init(&resp.body);
    s->http_requests++;
    s->ops.http(s->ops.ctx, &req, &resp);
    sim_buf wire;
    sim_buf_init(&wire);
    sim_buf_printf(&wire, "HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %zu\r\ncache-control: no-store\r\nconnection: close\r\n",
                   resp.status, status_text(resp.status), resp.ctype ? resp.ctype : "application/json", resp.body.n);
    for (int i = 0; i < 2; i++)
        if (resp.hdr[i].name) sim_buf_printf(&wire, "%s %s\r\n", resp.hdr[i].name, resp.hdr[i].value);
    sim_buf_puts(&wire, "\r\n");
    sim_buf_put(&wire, sim_buf_text(&resp.body), resp.body.n);
    th_logf(TH_LOG_INFO, "sim: a request libwebsockets would drop, answered by the venue", "status=%d why=%s path=\"%.60s\"", resp.status,
            too_long ? "request line too long" : "URI decodes to a control byte or holds a bad %-escape", req.path);
    /* a few hundred bytes on a fresh loopback socket: one send; if it cannot take them, the client
     * has stopped reading and loses the answer */
    if (!wire.oom && send(c->fd, sim_buf_text(&wire), wire.n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        th_logf(TH_LOG_DEBUG, "sim: answer not sent", "errno=%d", errno);
    sim_buf_free(&wire);
    sim_buf_free(&resp.body);
    /* closing with the rest of the request unread would reset the connection, and the client could
     * lose the answer: end our side, read to the client's end (or a second), then close */
    shutdown(c->fd, SHUT_WR);
    c->draining = true;
    uv_timer_start(&c->timer, conn_timeout, FRONT_DRAIN_MS, 0);
}

static void conn_readable(uv_poll_t *p, int status, int events);

/* The client has sent part of a line: look again shortly (the bytes stay in the socket, so a
 * readable poll would fire without pause). */
static void conn_repeek(uv_timer_t *t)
{
    sim_front_conn *c = t->data;
    int64_t left_ms = (c->deadline_ns - th_mono_ns()) / 1000000;
    if (left_ms <= 0) { conn_end(c, true); return; }
    uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, conn_readable);
    uv_timer_start(&c->timer, conn_timeout, (uint64_t)left_ms, 0); /* if nothing more comes */
}

static void conn_readable(uv_poll_t *p, int status, int events)
{
    sim_front_conn *c = p->data;
    if (status < 0) { conn_end(c, true); return; }
    if (c->draining) {
        char junk[4096];
        ssize_t r = recv(c->fd, junk, sizeof junk, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) conn_end(c, true);
        return;
    }
    /* peek: the bytes stay for libwebsockets to read as from any accepted socket (its adopt-with-
     * buffer path spins on a request whose body came in the same buffer, lws 4.1.6) */
    ssize_t r = recv(c->fd, c->buf, sizeof c->buf, MSG_PEEK);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { conn_end(c, true); return; }
    if (r < 0) return;
    c->n = (size_t)r;
    const char *nl = memchr(c->buf, '\n', c->n);
    if (!nl) {
        if (c->n == sizeof c->buf) { refuse(c, c->n, true); return; } /* libwebsockets would drop it: no room for the line */
        if (events & UV_DISCONNECT) { conn_end(c, true); return; } /* the client is gone without ending a line */
        uv_poll_stop(&c->poll);
        uv_timer_start(&c->timer, conn_repeek, FRONT_REPEEK_MS, 0);
        return;
    }
    size_t line_n = (size_t)(nl - c->buf) + 1;
    if (!line_is_clean(c->buf, line_n)) { refuse(c, line_n, false); return; }
    sim_server *s = c->srv;
    int fd = c->fd;
    sim_port which = c->which;
    conn_end(c, false);
    struct lws *wsi = lws_adopt_socket_vhost(s->vh[which], fd); /* on failure lws closes the fd */
    if (wsi) lws_set_opaque_user_data(wsi, (void *)(uintptr_t)(which + 1));
    else th_logf(TH_LOG_WARN, "sim: libwebsockets refused a connection", "port=%d", s->port[which]);
}

sim_port sim_wsi_port(struct lws *wsi)
{
    return (uintptr_t)lws_get_opaque_user_data(wsi) == SIM_PORT_PRIVATE + 1 ? SIM_PORT_PRIVATE : SIM_PORT_PUBLIC;
}

static void listener_readable(uv_poll_t *p, int status, int events)
{
    (void)events;
    sim_front_listener *l = p->data;
    sim_server *s = l->srv;
    if (status < 0) return;
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return; /* EAGAIN, or out of descriptors: the next readable event tries again */
        sim_front_conn *c = s->front_n < s->front_cap ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            th_logf(TH_LOG_WARN, "sim: connection refused", "why=\"%s\" pending=%d", s->front_n < s->front_cap ? "out of memory" : "too many connections",
                    s->front_n);
            close(fd);
            continue;
        }
        c->srv = s;
        c->which = l->which;
        c->fd = fd;
        c->handles = 2;
        uv_poll_init(s->loop, &c->poll, fd);
        uv_timer_init(s->loop, &c->timer);
        c->poll.data = c->timer.data = c;
        c->next = s->front_conns;
        if (c->next) c->next->prev = c;
        s->front_conns = c;
        s->front_n++;
        c->deadline_ns = th_mono_ns() + (int64_t)FRONT_IDLE_MS * 1000000;
        uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, conn_readable);
        uv_timer_start(&c->timer, conn_timeout, FRONT_IDLE_MS, 0); /* a client that sends nothing */
    }
}

static void listener_closed(uv_handle_t *h) { free(h->data); }

int sim_front_listen(sim_server *s, sim_port which, const char *host, int port, const char **err)
{
    static char msg[200];
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        sl = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        sl = sizeof *a6;
    } else {
        snprintf(msg, sizeof msg, "listen address %s is not a numeric IPv4 or IPv6 address", host);
        *err = msg;
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, SOMAXCONN) != 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        snprintf(msg, sizeof msg, "cannot listen on %s port %d: %s", host, port, strerror(errno));
        if (fd >= 0) close(fd);
        *err = msg;
        return -1;
    }
    sim_front_listener *l = calloc(1, sizeof *l);
    if (!l) { close(fd); *err = "out of memory"; return -1; }
    l->srv = s;
    l->which = which;
    l->fd = fd;
    uv_poll_init(s->loop, &l->poll, fd);
    l->poll.data = l;
    uv_poll_start(&l->poll, UV_READABLE, listener_readable);
    s->front[which] = l;
    s->port[which] = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
    return 0;
}

void sim_front_close(sim_server *s)
{
    for (int i = 0; i < 2; i++) {
        sim_front_listener *l = s->front[i];
        if (!l) continue;
        uv_poll_stop(&l->poll);
        uv_close((uv_handle_t *)&l->poll, listener_closed);
        close(l->fd);
        s->front[i] = NULL;
    }
    while (s->front_conns) conn_end(s->front_conns, true);
}
