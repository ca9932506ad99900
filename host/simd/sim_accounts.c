/* sim_accounts.c — --accounts FILE, or one generated account (see sim_accounts.h). */
#include "sim_accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"
#include "../core/file_read.h"
#include "../core/json.h"
#include "../sim/kraken_rate_counter.h"
#include "sim_crypto.h"
#include "simd.h"

static char msg[512];

static const char *fail(const char *path, int idx, const char *what)
{
    snprintf(msg, sizeof msg, "--accounts %s: accounts[%d]: %s", path, idx, what);
    return msg;
}

static int str_field(const th_json *j, int obj, const char *key, char *out, size_t cap)
{
    int t = th_json_get(j, obj, key);
    if (t < 0) return 0;
    if (j->tok[t].type != TH_JSON_STRING || th_json_len(j, t) == 0 || th_json_len(j, t) >= cap) return -1;
    th_json_copy(j, t, out, cap);
    return 1;
}

/* bps as a number ("16", "2.5") -> parts per million */
static int bps_field(const th_json *j, int obj, const char *key, int32_t *ppm)
{
    int t = th_json_get(j, obj, key);
    if (t < 0) return 0;
    int64_t v;
    if (j->tok[t].type != TH_JSON_PRIMITIVE || th_dec_parse(th_json_ptr(j, t), th_json_len(j, t), 2, &v) != TH_DEC_OK || v < 0 ||
        v > 100000)
        return -1;
    *ppm = (int32_t)v;
    return 1;
}

static int generate(simd *s, simd_accounts *a, const char **err)
{
    a->v = calloc(1, sizeof *a->v);
    if (!a->v) { *err = "out of memory"; return -1; }
    a->n = 1;
    a->generated = true;
    simd_account_cfg *c = &a->v[0];
    uint64_t st = s->opt.seed ^ 0x5eed5eed5eedull;
    snprintf(c->key, sizeof c->key, "sim-%016llx", (unsigned long long)simd_rand(&st));
    unsigned char raw[64];
    for (int i = 0; i < 64; i += 8) {
        uint64_t r = simd_rand(&st);
        memcpy(raw + i, &r, 8);
    }
    simd_b64_encode(raw, sizeof raw, c->secret, sizeof c->secret);
    c->maker_ppm = 1600;
    c->taker_ppm = 2600;
    c->tier = TH_KRAKEN_TIER_STARTER;
    return 0;
}

int simd_accounts_load(simd *s, simd_accounts *a, const char *path, const char **err)
{
    memset(a, 0, sizeof *a);
    if (!path) return generate(s, a, err);
    char *text = NULL;
    size_t len = 0;
    const char *rerr;
    if (th_read_file(path, &text, &len, &rerr) != 0) {
        snprintf(msg, sizeof msg, "--accounts %s: %s", path, rerr);
        *err = msg;
        return -1;
    }
    th_json j;
    int rc = -1;
    if (th_json_init(&j, 1 << 16) != 0) { free(text); *err = "out of memory"; return -1; }
    int n = th_json_parse(&j, text, len);
    int arr = n > 0 && j.tok[0].type == TH_JSON_OBJECT ? th_json_get(&j, 0, "accounts") : -1;
    if (arr < 0 || j.tok[arr].type != TH_JSON_ARRAY || j.tok[arr].size == 0) {
        snprintf(msg, sizeof msg, "--accounts %s: expected {\"accounts\":[{\"key\",\"secret\",\"balances\",\"fees\"}, ...]}%s%s",
                 path, n < 0 ? ": " : "", n < 0 ? th_json_strerror(n) : "");
        *err = msg;
        goto out;
    }
    a->v = calloc((size_t)j.tok[arr].size, sizeof *a->v);
    if (!a->v) { *err = "out of memory"; goto out; }
    int t = arr + 1;
    for (int i = 0; i < j.tok[arr].size; i++, t = th_json_skip(&j, t)) {
        simd_account_cfg *c = &a->v[a->n++];
        c->maker_ppm = 1600;
        c->taker_ppm = 2600;
        c->tier = TH_KRAKEN_TIER_STARTER;
        if (j.tok[t].type != TH_JSON_OBJECT) { *err = fail(path, i, "not an object"); goto out; }
        if (str_field(&j, t, "key", c->key, sizeof c->key) != 1) { *err = fail(path, i, "\"key\": a non-empty string is required"); goto out; }
        if (str_field(&j, t, "secret", c->secret, sizeof c->secret) != 1) { *err = fail(path, i, "\"secret\": a non-empty string is required"); goto out; }
        const char *why = s->venue->secret_check ? s->venue->secret_check(c->secret) : NULL;
        if (why) { *err = fail(path, i, why); goto out; }
        for (int k = 0; k < i; k++)
            if (strcmp(a->v[k].key, c->key) == 0) { *err = fail(path, i, "\"key\" used by an earlier account"); goto out; }
        int fees = th_json_get(&j, t, "fees");
        if (fees >= 0) {
            if (j.tok[fees].type != TH_JSON_OBJECT || bps_field(&j, fees, "maker_bps", &c->maker_ppm) < 0 ||
                bps_field(&j, fees, "taker_bps", &c->taker_ppm) < 0) {
                *err = fail(path, i, "\"fees\": {\"maker_bps\": N, \"taker_bps\": N} with 0 <= N <= 1000");
                goto out;
            }
        }
        char tier[32];
        int tr = str_field(&j, t, "tier", tier, sizeof tier);
        if (tr < 0 || (tr == 1 && (c->tier = th_kraken_tier_parse(tier)) < 0)) {
            *err = fail(path, i, "\"tier\": starter, intermediate or pro");
            goto out;
        }
        int fa = th_json_get(&j, t, "fee_asset");
        if (fa >= 0) {
            int px = th_json_get(&j, fa, "prices");
            if (j.tok[fa].type != TH_JSON_OBJECT || str_field(&j, fa, "asset", c->fee_asset, sizeof c->fee_asset) != 1 || px < 0 ||
                j.tok[px].type != TH_JSON_OBJECT || j.tok[px].size < 1 || j.tok[px].size > 8) {
                *err = fail(path, i, "\"fee_asset\": {\"asset\": \"BNB\", \"prices\": {QUOTE: \"price of one unit in it\", ...}} (1 to 8 prices)");
                goto out;
            }
            int b = px + 1;
            for (int k = 0; k < j.tok[px].size; k++, b = th_json_skip(&j, b + 1)) {
                simd_balance *x = &c->fee_px[c->nfee_px++];
                if (th_json_len(&j, b) == 0 || th_json_len(&j, b) >= sizeof x->asset || th_json_len(&j, b + 1) >= sizeof x->amount ||
                    j.tok[b + 1].type == TH_JSON_OBJECT || j.tok[b + 1].type == TH_JSON_ARRAY) {
                    *err = fail(path, i, "\"fee_asset\".prices: quote names up to 15 characters, prices as decimal strings");
                    goto out;
                }
                th_json_copy(&j, b, x->asset, sizeof x->asset);
                th_json_copy(&j, b + 1, x->amount, sizeof x->amount);
            }
        }
        int bal = th_json_get(&j, t, "balances");
        if (bal >= 0) {
            if (j.tok[bal].type != TH_JSON_OBJECT) { *err = fail(path, i, "\"balances\": an object of asset: amount"); goto out; }
            c->bal = calloc((size_t)j.tok[bal].size + 1, sizeof *c->bal);
            if (!c->bal) { *err = "out of memory"; goto out; }
            int b = bal + 1;
            for (int k = 0; k < j.tok[bal].size; k++, b = th_json_skip(&j, b + 1)) {
                simd_balance *x = &c->bal[c->nbal++];
                int v = b + 1;
                if (th_json_len(&j, b) == 0 || th_json_len(&j, b) >= sizeof x->asset || th_json_len(&j, v) >= sizeof x->amount ||
                    j.tok[v].type == TH_JSON_OBJECT || j.tok[v].type == TH_JSON_ARRAY) {
                    *err = fail(path, i, "\"balances\": asset names up to 15 characters, amounts as decimal strings");
                    goto out;
                }
                th_json_copy(&j, b, x->asset, sizeof x->asset);
                th_json_copy(&j, v, x->amount, sizeof x->amount);
            }
        }
    }
    rc = 0;
out:
    th_json_free(&j);
    free(text);
    if (rc != 0) simd_accounts_free(a);
    return rc;
}

void simd_accounts_free(simd_accounts *a)
{
    for (int32_t i = 0; i < a->n; i++) free(a->v[i].bal);
    free(a->v);
    memset(a, 0, sizeof *a);
}

int simd_accounts_apply(simd *s, const char **err)
{
    for (int32_t i = 0; i < s->accounts.n; i++) {
        const simd_account_cfg *c = &s->accounts.v[i];
        th_sim_account_spec spec = {.key = c->key, .secret = c->secret, .maker_ppm = c->maker_ppm, .taker_ppm = c->taker_ppm,
                                    .rate_tier = c->tier};
        int32_t a = th_sim_account_add(s->engine, &spec, err);
        if (a < 0) return -1;
        if (s->accounts.generated) {
            for (int32_t k = 0; k < th_sim_asset_count(s->engine); k++)
                if (th_sim_balance_set(s->engine, a, th_sim_asset_name(s->engine, k), "1000000", err) != 0) return -1;
            continue;
        }
        for (int32_t k = 0; k < c->nfee_px; k++) {
            const char *e2;
            if (th_sim_account_fee_asset(s->engine, a, c->fee_asset, c->fee_px[k].asset, c->fee_px[k].amount, &e2) != 0) {
                snprintf(msg, sizeof msg, "--accounts: accounts[%d] fee_asset %s price in %s=%s: %s", i, c->fee_asset, c->fee_px[k].asset,
                         c->fee_px[k].amount, e2);
                *err = msg;
                return -1;
            }
        }
        for (int32_t k = 0; k < c->nbal; k++) {
            char name[16];
            const char *asset = c->bal[k].asset;
            if (s->venue->asset_name && s->venue->asset_name(s, asset, name, sizeof name) == 0) asset = name;
            const char *e2;
            if (th_sim_balance_set(s->engine, a, asset, c->bal[k].amount, &e2) != 0) {
                snprintf(msg, sizeof msg, "--accounts: accounts[%d] balance %s=%s: %s", i, c->bal[k].asset, c->bal[k].amount, e2);
                *err = msg;
                return -1;
            }
        }
    }
    return 0;
}
