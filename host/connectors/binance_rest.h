/* binance_rest.h — Binance spot REST on the loop, and the one place Binance's limits are kept:
 *
 *   - request weight: a bucket of the minute's limit (6,000) refilling over the minute
 *     (core/rate_limit.h); each call takes its endpoint's weight first, and every answer's
 *     X-MBX-USED-WEIGHT-1M sets the bucket to what the venue says is left (the venue counts every
 *     client of the IP, we only ours);
 *   - 429 (over a limit) and 418 (banned): the one back-off (th_backoff) armed with the answer's
 *     Retry-After; no call, REST or WebSocket API order, goes out before it ends
 *     (th_binance_rest_blocked). The WebSocket API's 429 (error.data.retryAfter) arms the same one.
 *
 * Signed calls: HMAC-SHA256 over the query string, hex (th_binance_sign: the WebSocket API signs
 * its sorted params with it too); the key goes in X-MBX-APIKEY. Key and secret are held here only
 * and never logged. Answers: the HTTP status and body (a transport failure as status 0 with err). */
#ifndef TH_BINANCE_REST_H
#define TH_BINANCE_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../core/rate_limit.h"
#include "../net/http_client.h"

#define TH_BINANCE_REST_URL "https://api.binance.com"
#define TH_BINANCE_WEIGHT_PER_MIN 6000

typedef void (*th_binance_rest_done)(void *ctx, uint64_t tag, int status, const char *body, size_t len, const char *err);

typedef struct th_binance_rest {
    th_http http;
    bool http_open;
    char base[256];
    char key[128], secret[128];
    th_bucket weight;
    th_backoff bo;
    int64_t used_weight;            /* the venue's last X-MBX-USED-WEIGHT-1M */
    long timeout_ms;
    uint64_t calls, errors, limited, held;
} th_binance_rest;

/* key/secret NULL: public calls only. */
int th_binance_rest_open(th_binance_rest *r, uv_loop_t *loop, const char *base_url, const char *key, const char *secret, char *why,
                         size_t cap);
/* GET base+path?query; signed: timestamp (and recvWindow) appended, then the signature. 0, or -1
 * when it was not started: the back-off or the weight holds it (th_binance_rest_blocked says
 * until when) or a local failure; nothing is answered then. */
int th_binance_rest_get(th_binance_rest *r, const char *path, const char *query, int weight, bool sign, th_binance_rest_done done,
                        void *ctx, uint64_t tag);
/* True while a 429/418 back-off runs (no request of any kind to Binance). */
bool th_binance_rest_blocked(const th_binance_rest *r);
/* A limit answer from anywhere (REST 429/418, WS API 429): arm the back-off. */
void th_binance_rest_limited(th_binance_rest *r, int status, int64_t retry_after_ns, const char *what);
/* hex(HMAC-SHA256(secret, text)) into out (65 bytes). */
int th_binance_sign(const char *secret, const char *text, size_t n, char *out, size_t cap);
void th_binance_rest_close(th_binance_rest *r);
void th_binance_rest_free(th_binance_rest *r);

#endif
