/* http_client.h — HTTP requests on the session's loop: libcurl's multi interface driven by libuv
 * (one uv_poll per socket curl asks to watch, one uv timer for curl's timeouts), no thread. The
 * shape is curl's docs/examples/multi-uv.c.
 *
 * Venue-neutral: a connector builds the URL, headers and body (and signs them), and gets back the
 * status and the body, or a transport error (connect refused, timeout, TLS) as text. http:// only
 * to loopback; https:// verifies the certificate and the host name (url.h). A request is answered
 * exactly once, from a loop callback, never from inside th_http_request; th_http_close answers
 * every request still in flight with status -1 (abandoned: the caller frees what it holds and acts
 * on nothing). */
#ifndef TH_HTTP_CLIENT_H
#define TH_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* status: the HTTP status (0 on a transport error, -1 abandoned at close; err set for both); body
 * NUL-terminated. */
typedef void (*th_http_done)(void *ctx, uint64_t tag, int status, const char *body, size_t len, const char *err);

typedef struct th_http {
    uv_loop_t *loop;
    void *multi;          /* CURLM */
    struct http_req *reqs;
    struct http_sock *socks;
    uv_timer_t timer;
    const char *cur_hdr;  /* during a done callback: the answer's kept headers */
    bool open;
    int32_t inflight;
    uint64_t requests, failures;
} th_http;

int th_http_open(th_http *h, uv_loop_t *loop, const char **err);
/* Start a request (method "GET" or "POST"); headers are "Name: value" lines (copied). 0, or -1
 * with a message in why (a bad URL, plain text to a non-loopback host, out of memory). */
int th_http_request(th_http *h, const char *method, const char *url, const char *const *headers, int nheaders, const char *body,
                    size_t body_len, long timeout_ms, th_http_done done, void *ctx, uint64_t tag, char *why, size_t cap);
/* In a done callback only: the answer's header `name` (case-insensitive; only Retry-After and
 * X-MBX-* are kept, the ones venues put their limits in) into out. false when absent. */
bool th_http_header(const th_http *h, const char *name, char *out, size_t cap);
/* Abandon every request in flight (no answers) and close the handles on the loop. */
void th_http_close(th_http *h);

#endif
