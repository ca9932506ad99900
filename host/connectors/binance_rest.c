/* binance_rest.c — Binance REST calls on the loop, weight and back-off (see binance_rest.h). */
#include "binance_rest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../net/url.h"

#define BACKOFF_BASE_NS 500000000LL
#define BACKOFF_MAX_NS 120000000000LL

typedef struct rest_call {
    th_binance_rest *r;
    th_binance_rest_done done;
    void *ctx;
    uint64_t tag;
    char path[48];
} rest_call;

int th_binance_sign(const char *secret, const char *text, size_t n, char *out, size_t cap)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    if (cap < 65 || !HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text, n, mac, &ml) || ml != 32) return -1;
    static const char hx[] = "0123456789abcdef";
    for (unsigned int i = 0; i < ml; i++) {
        out[2 * i] = hx[mac[i] >> 4];
        out[2 * i + 1] = hx[mac[i] & 15];
    }
    out[64] = 0;
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

int th_binance_rest_open(th_binance_rest *r, uv_loop_t *loop, const char *base_url, const char *key, const char *secret, char *why,
                         size_t cap)
{
    memset(r, 0, sizeof *r);
    const char *err = NULL;
    if ((key && strlen(key) >= sizeof r->key) || (secret && strlen(secret) >= sizeof r->secret)) {
        snprintf(why, cap, "the API key or secret is too long");
        return -1;
    }
    snprintf(r->base, sizeof r->base, "%s", base_url ? base_url : TH_BINANCE_REST_URL);
    size_t bl = strlen(r->base);
    while (bl && r->base[bl - 1] == '/') r->base[--bl] = 0;
    th_url u;
    if (th_url_parse(r->base, &u, why, cap) != 0) return -1;
    if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0) {
        snprintf(why, cap, "%s: the REST endpoint must be http:// or https://", r->base);
        return -1;
    }
    snprintf(r->key, sizeof r->key, "%s", key ? key : "");
    snprintf(r->secret, sizeof r->secret, "%s", secret ? secret : "");
    int64_t now = th_mono_ns();
    th_bucket_init(&r->weight, TH_BINANCE_WEIGHT_PER_MIN, TH_BINANCE_WEIGHT_PER_MIN / 60.0, now);
    th_backoff_init(&r->bo, BACKOFF_BASE_NS, BACKOFF_MAX_NS, (uint64_t)now ^ (uint64_t)(uintptr_t)r);
    if (th_http_open(&r->http, loop, &err) != 0) { snprintf(why, cap, "%s", err); return -1; }
    r->http_open = true;
    r->timeout_ms = 10000;
    return 0;
}

bool th_binance_rest_blocked(const th_binance_rest *r) { return th_backoff_blocked(&r->bo, th_mono_ns()); }

void th_binance_rest_limited(th_binance_rest *r, int status, int64_t retry_after_ns, const char *what)
{
    int64_t now = th_mono_ns();
    int64_t until = th_backoff_fail(&r->bo, now, retry_after_ns);
    r->limited++;
    th_logf(status == 418 ? TH_LOG_ERROR : TH_LOG_WARN, "binance: rate limited, every request waits for the back-off",
            "status=%d what=\"%s\" retry_after_ms=%lld wait_ms=%lld", status, what, (long long)(retry_after_ns / 1000000),
            (long long)((until - now) / 1000000));
}

static void on_answer(void *ctx, uint64_t tag, int status, const char *body, size_t len, const char *terr)
{
    (void)tag;
    rest_call *c = ctx;
    th_binance_rest *r = c->r;
    if (status < 0) { free(c); return; } /* closing: nobody is waiting */
    char v[32];
    if (th_http_header(&r->http, "X-MBX-USED-WEIGHT-1M", v, sizeof v)) {
        /* the venue's count is the truth (other clients of the IP count too) */
        r->used_weight = atoll(v);
        r->weight.tokens = r->weight.cap - (double)r->used_weight;
        r->weight.last_ns = th_mono_ns();
    }
    if (status == 429 || status == 418) {
        int64_t ra = th_http_header(&r->http, "Retry-After", v, sizeof v) ? atoll(v) * 1000000000LL : 0;
        th_binance_rest_limited(r, status, ra, c->path);
    } else if (status >= 200 && status < 500) {
        th_backoff_success(&r->bo);
    }
    if (terr || status >= 400) {
        r->errors++;
        th_logf(TH_LOG_WARN, "binance rest: call failed", "path=%s status=%d error=\"%.200s\"", c->path, status, terr ? terr : body);
    }
    c->done(c->ctx, c->tag, status, body, len, terr);
    free(c);
}

int th_binance_rest_get(th_binance_rest *r, const char *path, const char *query, int weight, bool sign, th_binance_rest_done done,
                        void *ctx, uint64_t tag)
{
    int64_t now = th_mono_ns();
    if (!r->http_open || th_backoff_blocked(&r->bo, now)) { r->held++; return -1; }
    if (!th_bucket_take(&r->weight, weight, now)) {
        r->held++;
        if (r->held % 50 == 1)
            th_logf(TH_LOG_WARN, "binance rest: request weight exhausted for this minute, call held", "path=%s used_weight=%lld", path,
                    (long long)r->used_weight);
        return -1;
    }
    char url[1400], q[1100];
    int qn = snprintf(q, sizeof q, "%s", query ? query : "");
    if (sign) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        qn += snprintf(q + qn, sizeof q - (size_t)qn, "%stimestamp=%lld&recvWindow=10000", qn ? "&" : "",
                       (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        char sig[72];
        if (qn >= (int)sizeof q - 80 || th_binance_sign(r->secret, q, (size_t)qn, sig, sizeof sig) != 0) return -1;
        snprintf(q + qn, sizeof q - (size_t)qn, "&signature=%s", sig);
    }
    snprintf(url, sizeof url, "%s%s%s%s", r->base, path, q[0] ? "?" : "", q);
    char hkey[160];
    snprintf(hkey, sizeof hkey, "X-MBX-APIKEY: %s", r->key);
    const char *headers[] = {hkey};
    rest_call *c = calloc(1, sizeof *c);
    if (!c) return -1;
    *c = (rest_call){r, done, ctx, tag, ""};
    snprintf(c->path, sizeof c->path, "%s", path);
    char why[300];
    int rc = th_http_request(&r->http, "GET", url, headers, sign ? 1 : 0, NULL, 0, r->timeout_ms, on_answer, c, 0, why, sizeof why);
    OPENSSL_cleanse(hkey, sizeof hkey);
    if (rc != 0) {
        free(c);
        th_logf(TH_LOG_WARN, "binance rest: cannot start the call", "path=%s why=\"%s\"", path, why);
        return -1;
    }
    r->calls++;
    return 0;
}

void th_binance_rest_close(th_binance_rest *r)
{
    if (r->http_open) th_http_close(&r->http);
    r->http_open = false;
}

void th_binance_rest_free(th_binance_rest *r)
{
    OPENSSL_cleanse(r->secret, sizeof r->secret);
    OPENSSL_cleanse(r->key, sizeof r->key);
}
