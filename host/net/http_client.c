/* http_client.c — libcurl multi on the uv loop (see http_client.h). */
#include "http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/log.h"
#include "url.h"

typedef struct http_req {
    th_http *h;
    struct http_req *prev, *next; /* the requests in flight (abandoned on close) */
    CURL *easy;
    struct curl_slist *headers;
    char *body;            /* the request body (curl does not copy POSTFIELDS) */
    char *resp;
    size_t resp_n, resp_cap;
    char hdr[1024];        /* the answer's headers a caller may ask for (th_http_header), "name: value\n" */
    size_t hdr_n;
    th_http_done done;
    void *ctx;
    uint64_t tag;
    char errbuf[CURL_ERROR_SIZE];
} http_req;

/* One per socket curl watches. */
typedef struct http_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    th_http *h;
    struct http_sock *prev, *next; /* every watched socket: any curl leaves at cleanup is closed by us */
} http_sock;

static void sock_unlink(http_sock *s)
{
    th_http *h = s->h;
    if (s->prev) s->prev->next = s->next;
    else if (h->socks == s) h->socks = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static void req_unlink(http_req *r)
{
    th_http *h = r->h;
    if (r->prev) r->prev->next = r->next;
    else if (h->reqs == r) h->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void req_free(http_req *r)
{
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r->resp);
    free(r);
}

static void drain_done(th_http *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *e = m->easy_handle;
        http_req *r = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(h->multi, e);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(e);
        req_unlink(r);
        h->inflight--;
        if (rc != CURLE_OK) h->failures++;
        const char *err = rc == CURLE_OK ? NULL : (r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
        h->cur_hdr = r->hdr;
        r->done(r->ctx, r->tag, rc == CURLE_OK ? (int)status : 0, r->resp ? r->resp : "", r->resp_n, err);
        h->cur_hdr = NULL;
        req_free(r);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    http_sock *s = p->data;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    int running;
    th_http *h = s->h;
    curl_multi_socket_action(h->multi, s->fd, flags, &running);
    drain_done(h);
}

static void on_timeout(uv_timer_t *t)
{
    th_http *h = t->data;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain_done(h);
}

static int timer_cb(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    th_http *h = userp;
    if (!h->open) return 0;
    if (ms < 0) uv_timer_stop(&h->timer);
    else uv_timer_start(&h->timer, on_timeout, (uint64_t)ms, 0); /* 0: on the next loop turn, never from inside curl */
    return 0;
}

static void sock_closed(uv_handle_t *hd) { free(hd->data); }

static int socket_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)e;
    th_http *h = userp;
    http_sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            sock_unlink(s);
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, sock_closed);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) return -1;
        s->fd = fd;
        s->h = h;
        if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) { free(s); return -1; }
        s->poll.data = s;
        s->next = h->socks;
        if (h->socks) h->socks->prev = s;
        h->socks = s;
        curl_multi_assign(h->multi, fd, s);
    }
    int ev = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *userp)
{
    http_req *r = userp;
    size_t len = size * n;
    if (r->resp_n + len + 1 > r->resp_cap) {
        size_t cap = r->resp_cap ? r->resp_cap : 4096;
        while (r->resp_n + len + 1 > cap) cap *= 2;
        if (cap > 64u << 20) return 0; /* a 64 MiB answer is not a venue's: fail the request */
        char *b = realloc(r->resp, cap);
        if (!b) return 0;
        r->resp = b;
        r->resp_cap = cap;
    }
    memcpy(r->resp + r->resp_n, p, len);
    r->resp_n += len;
    r->resp[r->resp_n] = 0;
    return len;
}

/* Only the headers a venue's limits are read from are kept (bounded: a venue's answer, not an
 * attacker's, but a proxy could send many). */
static size_t on_header(char *p, size_t size, size_t n, void *userp)
{
    http_req *r = userp;
    size_t len = size * n;
    bool keep = (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) || (len > 6 && strncasecmp(p, "x-mbx-", 6) == 0);
    if (keep && r->hdr_n + len + 1 < sizeof r->hdr) {
        memcpy(r->hdr + r->hdr_n, p, len);
        r->hdr_n += len;
        r->hdr[r->hdr_n] = 0;
    }
    return len;
}

bool th_http_header(const th_http *h, const char *name, char *out, size_t cap)
{
    if (!h->cur_hdr || !cap) return false;
    size_t nl = strlen(name);
    for (const char *p = h->cur_hdr; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (*v == ' ') v++;
            size_t vl = (size_t)(p + len - v);
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ')) vl--;
            snprintf(out, cap, "%.*s", (int)vl, v);
            return true;
        }
        if (!eol) break;
        p = eol + 1;
    }
    return false;
}

int th_http_open(th_http *h, uv_loop_t *loop, const char **err)
{
    memset(h, 0, sizeof *h);
    static bool global;
    if (!global) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) { *err = "libcurl: global init failed"; return -1; }
        global = true;
    }
    h->multi = curl_multi_init();
    if (!h->multi) { *err = "libcurl: cannot create the multi handle"; return -1; }
    h->loop = loop;
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    h->open = true;
    return 0;
}

int th_http_request(th_http *h, const char *method, const char *url, const char *const *headers, int nheaders, const char *body,
                    size_t body_len, long timeout_ms, th_http_done done, void *ctx, uint64_t tag, char *why, size_t cap)
{
    if (!h->open) { snprintf(why, cap, "http client closed"); return -1; }
    th_url u;
    if (th_url_parse(url, &u, why, cap) != 0) return -1;
    if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0) { snprintf(why, cap, "%s: not http:// or https://", url); return -1; }
    http_req *r = calloc(1, sizeof *r);
    if (!r) { snprintf(why, cap, "out of memory"); return -1; }
    r->h = h;
    r->done = done;
    r->ctx = ctx;
    r->tag = tag;
    r->easy = curl_easy_init();
    if (!r->easy) { req_free(r); snprintf(why, cap, "libcurl: cannot create a handle"); return -1; }
    for (int i = 0; i < nheaders; i++) {
        struct curl_slist *l = curl_slist_append(r->headers, headers[i]);
        if (!l) { curl_easy_cleanup(r->easy); req_free(r); snprintf(why, cap, "out of memory"); return -1; }
        r->headers = l;
    }
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tradehost");
    if (r->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (strcmp(method, "POST") == 0) {
        r->body = malloc(body_len + 1);
        if (!r->body) { curl_easy_cleanup(e); req_free(r); snprintf(why, cap, "out of memory"); return -1; }
        memcpy(r->body, body ? body : "", body_len);
        r->body[body_len] = 0;
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) { curl_easy_cleanup(e); req_free(r); snprintf(why, cap, "libcurl: cannot add the request"); return -1; }
    r->next = h->reqs;
    if (h->reqs) ((http_req *)h->reqs)->prev = r;
    h->reqs = r;
    h->inflight++;
    h->requests++;
    return 0;
}

static void timer_closed(uv_handle_t *hd) { (void)hd; }

void th_http_close(th_http *h)
{
    if (!h->open) return;
    h->open = false;
    /* Abandon what is in flight: every easy handle removed (its sockets' polls close through
     * socket_cb's REMOVE) and freed without an answer. */
    while (h->reqs) {
        http_req *r = h->reqs;
        req_unlink(r);
        curl_multi_remove_handle(h->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->done(r->ctx, r->tag, -1, "", 0, "abandoned: the client is closing"); /* lets the caller free its context */
        req_free(r);
    }
    h->inflight = 0;
    curl_multi_cleanup(h->multi); /* closes cached connections: their polls go through socket_cb */
    h->multi = NULL;
    while (h->socks) {
        http_sock *s = h->socks;
        sock_unlink(s);
        uv_poll_stop(&s->poll);
        uv_close((uv_handle_t *)&s->poll, sock_closed);
    }
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, timer_closed);
}
