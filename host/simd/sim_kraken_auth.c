/* sim_kraken_auth.c — Kraken's REST authentication and websocket tokens.
 *
 * A private call carries `API-Key` and `API-Sign` headers and a `nonce` in its body:
 *   API-Sign = base64(HMAC-SHA512(base64decode(secret), uri_path + SHA256(nonce + body)))
 * (docs.kraken.com, spot REST authentication; the vector in tests/data/vectors/signing.json is
 * checked by the ccxt test's wrong-secret case and by the signature check itself). The signature is
 * computed by the connector's own signer (host/connectors/kraken_sign.c): one implementation. Checked in the
 * venue's order: the key (`EAPI:Invalid key`), then the signature (`EAPI:Invalid signature`), then
 * the nonce, which must grow with every call of the key (`EAPI:Invalid nonce`); a call refused for
 * its signature does not use up its nonce. Tokens from GetWebSocketsToken are valid for 15 minutes
 * until first used, then for as long as the sim runs (Kraken keeps a used token's connections). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/json.h"
#include "../connectors/kraken_sign.h"
#include "sim_crypto.h"
#include "sim_kraken.h"

#define KR_TOKEN_TTL_NS (900LL * 1000000000LL)

typedef struct kr_token {
    char text[48];
    int32_t account;
    int64_t issued_mono;
    bool used;
} kr_token;

/* The nonce's text as sent (it is signed as text) and its value. */
static bool nonce_of(const sim_http_req *req, char v[32], uint64_t *out)
{
    v[0] = 0;
    if (!req->body) return false;
    if (req->body[0] == '{') {
        /* JSON bodies (Kraken's batch calls) carry the nonce as a field */
        th_json j;
        if (th_json_init(&j, 256) != 0) return false;
        bool ok = th_json_parse(&j, req->body, req->body_n) > 0 && j.tok[0].type == TH_JSON_OBJECT;
        int t = ok ? th_json_get(&j, 0, "nonce") : -1;
        if (t >= 0 && th_json_len(&j, t) < 32) th_json_copy(&j, t, v, 32); /* longer: no nonce (never a cut one) */
        th_json_free(&j);
    } else {
        kr_form_get(req->body, "nonce", v, 32); /* kr_rest refused a form nonce past 20 digits */
    }
    if (!v[0]) return false;
    /* strictly digits and within uint64: strtoull would clamp a longer one to UINT64_MAX, which
     * every later nonce is then below (the account could never sign again) */
    unsigned long long n = 0;
    for (const char *c = v; *c; c++) {
        if (*c < '0' || *c > '9') return false;
        unsigned d = (unsigned)(*c - '0');
        if (n > (ULLONG_MAX - d) / 10) return false;
        n = n * 10 + d;
    }
    *out = n;
    return true;
}

int32_t kr_auth_rest(simd *s, const sim_http_req *req, const char **err)
{
    kr_state *k = kr_of(s);
    int32_t a = req->api_key[0] ? th_sim_account_find(s->engine, req->api_key) : -1;
    if (a < 0) { *err = "EAPI:Invalid key"; return -1; }
    uint64_t nonce = 0;
    char nonce_text[32];
    bool have_nonce = nonce_of(req, nonce_text, &nonce);
    char want[96];
    if (th_kraken_sign(th_sim_account_secret(s->engine, a), req->path, nonce_text, req->body ? req->body : "", req->body_n, want,
                       sizeof want) != 0) { *err = "EAPI:Invalid key"; return -1; }
    if (!simd_ct_equal(req->api_sign, strlen(req->api_sign), want, strlen(want))) { *err = "EAPI:Invalid signature"; return -1; }
    if (!have_nonce) { *err = "EAPI:Invalid nonce"; return -1; }
    if (a >= k->nnonce) {
        uint64_t *v = realloc(k->nonce, sizeof *v * (size_t)(a + 1));
        if (!v) { *err = "EGeneral:Internal error"; return -1; }
        memset(v + k->nnonce, 0, sizeof *v * (size_t)(a + 1 - k->nnonce));
        k->nonce = v;
        k->nnonce = a + 1;
    }
    if (nonce <= k->nonce[a]) { *err = "EAPI:Invalid nonce"; return -1; }
    k->nonce[a] = nonce;
    return a;
}

const char *kr_token_issue(simd *s, int32_t account)
{
    kr_state *k = kr_of(s);
    if (k->ntokens == k->tokens_cap) {
        int32_t cap = k->tokens_cap ? k->tokens_cap * 2 : 16;
        kr_token *t = realloc(k->tokens, sizeof *t * (size_t)cap);
        if (!t) return NULL;
        k->tokens = t;
        k->tokens_cap = cap;
    }
    kr_token *t = &k->tokens[k->ntokens++];
    uint64_t st = s->opt.seed ^ (++k->token_seq * 0x9e3779b97f4a7c15ull);
    unsigned char raw[30];
    for (int i = 0; i < 30; i += 6) {
        uint64_t r = simd_rand(&st);
        memcpy(raw + i, &r, 6);
    }
    simd_b64_encode(raw, sizeof raw, t->text, sizeof t->text);
    t->account = account;
    t->issued_mono = th_mono_ns();
    t->used = false;
    return t->text;
}

int32_t kr_token_account(simd *s, const char *token, size_t n)
{
    kr_state *k = kr_of(s);
    int64_t now = th_mono_ns();
    for (int32_t i = 0; i < k->ntokens; i++) {
        kr_token *t = &k->tokens[i];
        if (strlen(t->text) != n || memcmp(t->text, token, n) != 0) continue;
        if (!t->used && now - t->issued_mono > KR_TOKEN_TTL_NS) return -1;
        t->used = true;
        return t->account;
    }
    return -1;
}

void kr_auth_free(kr_state *k)
{
    free(k->tokens);
    free(k->nonce);
    free(k->rest);
    k->rest = NULL;
    k->nrest = 0;
    k->tokens = NULL;
    k->nonce = NULL;
    k->ntokens = k->tokens_cap = k->nnonce = 0;
}
