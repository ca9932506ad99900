/* kraken_rest.c — signed Kraken private REST calls on the loop (see kraken_rest.h). */
#include "kraken_rest.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../net/url.h"
#include "kraken_sign.h"

typedef struct rest_call {
    th_kraken_rest *r;
    th_kraken_rest_done done;
    void *ctx;
    uint64_t tag;
    char method[32];
} rest_call;

int th_kraken_rest_open(th_kraken_rest *r, uv_loop_t *loop, const char *base_url, const char *key, const char *secret, char *why,
                        size_t cap)
{
    memset(r, 0, sizeof *r);
    const char *err = NULL;
    if (strlen(key) >= sizeof r->key || strlen(secret) >= sizeof r->secret) { snprintf(why, cap, "the API key or secret is too long"); return -1; }
    snprintf(r->base, sizeof r->base, "%s", base_url ? base_url : TH_KRAKEN_REST_URL);
    size_t bl = strlen(r->base);
    while (bl && r->base[bl - 1] == '/') r->base[--bl] = 0;
    th_url u;
    if (th_url_parse(r->base, &u, why, cap) != 0) return -1;
    if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0) { snprintf(why, cap, "%s: the REST endpoint must be http:// or https://", r->base); return -1; }
    snprintf(r->key, sizeof r->key, "%s", key);
    snprintf(r->secret, sizeof r->secret, "%s", secret);
    char probe[160];
    if (th_kraken_sign(r->secret, "/0/private/Balance", "1", "nonce=1", 7, probe, sizeof probe) != 0) {
        snprintf(why, cap, "the API secret is not base64 (Kraken's private keys are)");
        return -1;
    }
    if (th_json_init(&r->j, 1 << 18) != 0) { snprintf(why, cap, "out of memory"); return -1; }
    if (th_http_open(&r->http, loop, &err) != 0) { snprintf(why, cap, "%s", err); return -1; }
    r->timeout_ms = 10000;
    return 0;
}

static void on_answer(void *ctx, uint64_t tag, int status, const char *body, size_t len, const char *terr)
{
    (void)tag;
    rest_call *c = ctx;
    th_kraken_rest *r = c->r;
    if (status < 0) { free(c); return; } /* closing: nobody is waiting */
    char msg[256];
    const char *err = NULL;
    int result = -1;
    if (terr) {
        snprintf(msg, sizeof msg, "EService:Unavailable (transport: %s)", terr);
        err = msg;
    } else if (status >= 500) {
        snprintf(msg, sizeof msg, "EService:Unavailable (HTTP %d)", status);
        err = msg;
    } else if (th_json_parse(&r->j, body, len) <= 0 || r->j.tok[0].type != TH_JSON_OBJECT) {
        snprintf(msg, sizeof msg, "EGeneral:Internal error (HTTP %d, not a JSON object)", status);
        err = msg;
    } else {
        int e = th_json_get(&r->j, 0, "error");
        if (e >= 0 && r->j.tok[e].type == TH_JSON_ARRAY && r->j.tok[e].size > 0) {
            th_json_copy(&r->j, e + 1, msg, sizeof msg);
            err = msg;
        } else {
            result = th_json_get(&r->j, 0, "result");
            if (result < 0) { snprintf(msg, sizeof msg, "EGeneral:Internal error (no result)"); err = msg; }
        }
    }
    if (err && strstr(err, "EAPI:Rate limit exceeded") && r->counted) {
        r->rate_refused++;
        r->counter.tokens = 0; /* the venue's counter is full: ours learns it, and waits for the decay */
    }
    if (err) {
        r->errors++;
        th_logf(TH_LOG_WARN, "kraken rest: call failed", "method=%s error=\"%s\"", c->method, err);
    }
    c->done(c->ctx, c->tag, &r->j, result, err);
    free(c);
}

void th_kraken_rest_count(th_kraken_rest *r, int tier)
{
    double cap, decay;
    if (th_kraken_rest_limits(tier, &cap, &decay) != 0) return;
    th_bucket_init(&r->counter, cap, decay, th_mono_ns());
    r->counted = true;
}

bool th_kraken_rest_take(th_kraken_rest *r, const char *method)
{
    double cost = th_kraken_rest_cost(method);
    return !r->counted || cost <= 0 || th_bucket_take(&r->counter, cost, th_mono_ns());
}

double th_kraken_rest_room(th_kraken_rest *r) { return r->counted ? th_bucket_level(&r->counter, th_mono_ns()) : 1e9; }

int th_kraken_rest_call(th_kraken_rest *r, const char *method, const char *form, th_kraken_rest_done done, void *ctx, uint64_t tag)
{
    /* The nonce grows with every call, also across restarts within one microsecond clock. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t n = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    r->last_nonce = n > r->last_nonce ? n : r->last_nonce + 1;
    char nonce[32], path[96], url[400], sign[128], hkey[160], hsign[160];
    snprintf(nonce, sizeof nonce, "%llu", (unsigned long long)r->last_nonce);
    snprintf(path, sizeof path, "/0/private/%s", method);
    snprintf(url, sizeof url, "%s%s", r->base, path);
    size_t fl = strlen(form);
    char *body = malloc(fl + 48);
    if (!body) return -1;
    int bl = snprintf(body, fl + 48, "nonce=%s%s%s", nonce, fl ? "&" : "", form);
    if (th_kraken_sign(r->secret, path, nonce, body, (size_t)bl, sign, sizeof sign) != 0) { free(body); return -1; }
    snprintf(hkey, sizeof hkey, "API-Key: %s", r->key);
    snprintf(hsign, sizeof hsign, "API-Sign: %s", sign);
    const char *headers[] = {hkey, hsign, "Content-Type: application/x-www-form-urlencoded"};
    rest_call *c = calloc(1, sizeof *c);
    if (!c) { free(body); return -1; }
    *c = (rest_call){r, done, ctx, tag, ""};
    snprintf(c->method, sizeof c->method, "%s", method);
    char why[300];
    int rc = th_http_request(&r->http, "POST", url, headers, 3, body, (size_t)bl, r->timeout_ms, on_answer, c, 0, why, sizeof why);
    OPENSSL_cleanse(hkey, sizeof hkey);
    free(body);
    if (rc != 0) {
        free(c);
        th_logf(TH_LOG_WARN, "kraken rest: cannot start the call", "method=%s why=\"%s\"", method, why);
        return -1;
    }
    r->calls++;
    return 0;
}

void th_kraken_rest_close(th_kraken_rest *r) { th_http_close(&r->http); }

void th_kraken_rest_free(th_kraken_rest *r)
{
    th_json_free(&r->j);
    OPENSSL_cleanse(r->secret, sizeof r->secret);
    OPENSSL_cleanse(r->key, sizeof r->key);
}
