/* kraken_rest.h — Kraken spot private REST on the loop: a call is a form body with a nonce that
 * grows with every call, signed (kraken_sign.c), POSTed through net/http_client.c; the answer's
 * envelope {"error":[...],"result":...} is parsed and handed back as the result token, or the
 * venue's first error text (a transport failure or an HTTP 5xx as "EService:..." text, so the
 * caller maps every failure the same way). The key and secret are held here only and never
 * logged. */
#ifndef TH_KRAKEN_REST_H
#define TH_KRAKEN_REST_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../core/json.h"
#include "../core/rate_limit.h"
#include "../net/http_client.h"

#define TH_KRAKEN_REST_URL "https://api.kraken.com"

/* j and result: the parsed answer (valid during the call); err: NULL on success, else the text. */
typedef void (*th_kraken_rest_done)(void *ctx, uint64_t tag, const th_json *j, int result, const char *err);

typedef struct th_kraken_rest {
    th_http http;
    char base[256];
    char key[128];
    char secret[128];
    uint64_t last_nonce;
    th_json j;
    long timeout_ms;
    uint64_t calls, errors;
    /* Kraken's REST API counter modelled on our side (th_kraken_rest_limits/_cost, the table the
     * sim enforces): a call goes only when it fits, so the venue never answers "EAPI:Rate limit
     * exceeded"; one that comes anyway (another client of the key) empties the model. */
    th_bucket counter;
    bool counted;
    uint64_t rate_refused;      /* "EAPI:Rate limit exceeded" answers */
} th_kraken_rest;

int th_kraken_rest_open(th_kraken_rest *r, uv_loop_t *loop, const char *base_url, const char *key, const char *secret, char *why,
                        size_t cap);
/* POST /0/private/<method> with form (without the nonce; "" for none). 0, or -1 when it could
 * not be started (nothing is answered then). */
int th_kraken_rest_call(th_kraken_rest *r, const char *method, const char *form, th_kraken_rest_done done, void *ctx, uint64_t tag);
/* Model the REST counter of the key's tier (0 starter, 1 intermediate, 2 pro). */
void th_kraken_rest_count(th_kraken_rest *r, int tier);
/* The method's cost fits the counter now: charged, true; false: nothing charged (wait). */
bool th_kraken_rest_take(th_kraken_rest *r, const char *method);
/* The counter's room now (points); a large number when not modelled. */
double th_kraken_rest_room(th_kraken_rest *r);
void th_kraken_rest_close(th_kraken_rest *r);
void th_kraken_rest_free(th_kraken_rest *r);

#endif
