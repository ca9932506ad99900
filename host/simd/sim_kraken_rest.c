/* sim_kraken_rest.c — Kraken's REST API: /0/public/Time, SystemStatus, Assets, AssetPairs, Depth,
 * Ticker in Kraken's own shapes and names (enough for ccxt's loadMarkets), and the dispatch of
 * /0/private/... to the signed-request handler. Every answer is Kraken's envelope
 * {"error":[...],"result":...}; an unknown path is `EGeneral:Unknown method` with HTTP 404. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"
#include "sim_kraken.h"
#include "sim_params.h"

bool kr_form_get(const char *form, const char *key, char *out, size_t cap)
{
    size_t kn = strlen(key);
    for (const char *p = form; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > kn && strncmp(p, key, kn) == 0 && p[kn] == '=') {
            size_t o = 0;
            for (size_t i = kn + 1; i < len && o + 1 < cap; i++) {
                char c = p[i];
                if (c == '+') c = ' ';
                else if (c == '%' && i + 2 < len && isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2])) {
                    char h[3] = {p[i + 1], p[i + 2], 0};
                    c = (char)strtol(h, NULL, 16);
                    i += 2;
                }
                out[o++] = c;
            }
            out[o] = 0;
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    if (cap) out[0] = 0;
    return false;
}

static void envelope_error(sim_http_resp *r, int status, const char *err)
{
    r->status = status;
    sim_buf_reset(&r->body);
    sim_buf_puts(&r->body, "{\"error\":[");
    sim_buf_str(&r->body, err);
    sim_buf_puts(&r->body, "]}");
}

/* A parameter from the query string or, for a POST, the form body. */
static bool param(const sim_http_req *req, const char *key, char *out, size_t cap)
{
    if (kr_form_get(req->query, key, out, cap)) return true;
    return req->body && kr_form_get(req->body, key, out, cap);
}

static void pub_time(simd *s, sim_http_resp *r)
{
    (void)s;
    int64_t now = simd_wall_ns();
    time_t t = (time_t)(now / 1000000000LL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char rfc[64];
    strftime(rfc, sizeof rfc, "%a, %d %b %y %H:%M:%S +0000", &tm);
    sim_buf_printf(&r->body, "{\"error\":[],\"result\":{\"unixtime\":%lld,\"rfc1123\":\"%s\"}}", (long long)t, rfc);
}

/* Requested names (comma-separated `pair` or `asset`); empty means all. */
static bool wanted(const char *list, const char *a, const char *b, const char *c)
{
    if (!list[0]) return true;
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *names[3] = {a, b, c};
        for (int i = 0; i < 3; i++)
            if (names[i] && strlen(names[i]) == n && strncasecmp(names[i], p, n) == 0) return true;
        p = comma ? comma + 1 : p + n;
    }
    return false;
}

static void pub_assets(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    kr_state *k = kr_of(s);
    char list[512];
    param(req, "asset", list, sizeof list);
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"error\":[],\"result\":{");
    for (int32_t i = 0; i < k->nassets; i++) {
        const kr_asset *a = &k->assets[i];
        if (!wanted(list, a->id, a->alt, a->v2)) continue;
        sim_buf_str(o, a->id);
        sim_buf_puts(o, ":{\"aclass\":\"currency\",\"altname\":");
        sim_buf_str(o, a->alt);
        sim_buf_printf(o, ",\"decimals\":%d,\"display_decimals\":%d,\"status\":\"enabled\"},", a->fiat ? 4 : 10, a->fiat ? 2 : 5);
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "}}");
}

static void pub_asset_pairs(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    kr_state *k = kr_of(s);
    char list[1024];
    param(req, "pair", list, sizeof list);
    const th_instruments *ins = &s->feed.instruments;
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"error\":[],\"result\":{");
    int n = 0;
    for (int32_t i = 0; i < ins->n; i++) {
        const th_instrument *in = &ins->v[i];
        const kr_pair *p = &k->pairs[i];
        if (!wanted(list, p->id, p->alt, p->wsname) && !wanted(list, in->symbol, NULL, NULL)) continue;
        n++;
        sim_buf_str(o, p->id);
        sim_buf_puts(o, ":{\"altname\":");
        sim_buf_str(o, p->alt);
        sim_buf_puts(o, ",\"wsname\":");
        sim_buf_str(o, p->wsname);
        sim_buf_puts(o, ",\"aclass_base\":\"currency\",\"base\":");
        sim_buf_str(o, k->assets[p->base].id);
        sim_buf_puts(o, ",\"aclass_quote\":\"currency\",\"quote\":");
        sim_buf_str(o, k->assets[p->quote].id);
        sim_buf_printf(o, ",\"lot\":\"unit\",\"cost_decimals\":%d,\"pair_decimals\":%d,\"lot_decimals\":%d,\"lot_multiplier\":1,"
                          "\"leverage_buy\":[],\"leverage_sell\":[],"
                          "\"fees\":[[0,0.26],[50000,0.24],[100000,0.22],[250000,0.2],[500000,0.18],[1000000,0.16]],"
                          "\"fees_maker\":[[0,0.16],[50000,0.14],[100000,0.12],[250000,0.1],[500000,0.08],[1000000,0.06]],"
                          "\"fee_volume_currency\":\"ZUSD\",\"margin_call\":80,\"margin_stop\":40,\"ordermin\":",
                       in->price_dec, in->price_dec, in->qty_dec);
        sim_buf_dec(o, in->min_qty, in->qty_dec, in->qty_dec, true);
        sim_buf_puts(o, ",\"costmin\":");
        sim_buf_dec(o, in->min_cost, in->price_dec + in->qty_dec, in->price_dec + in->qty_dec, true);
        sim_buf_puts(o, ",\"tick_size\":");
        sim_buf_dec(o, in->tick, in->price_dec, in->price_dec, true);
        sim_buf_printf(o, ",\"status\":\"%s\"},", in->online ? "online" : "cancel_only");
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "}}");
    if (list[0] && n == 0) envelope_error(r, 200, "EQuery:Unknown asset pair");
}

static void pub_depth(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    char pair[64], count[16];
    if (!param(req, "pair", pair, sizeof pair)) { envelope_error(r, 200, "EGeneral:Invalid arguments:pair"); return; }
    int32_t idx = kr_pair_find(s, pair, strlen(pair));
    if (idx < 0) { envelope_error(r, 200, "EQuery:Unknown asset pair"); return; }
    int32_t n = 100;
    if (param(req, "count", count, sizeof count)) {
        char *end;
        long c = strtol(count, &end, 10);
        if (*end || c < 0) { envelope_error(r, 200, "EGeneral:Invalid arguments:count"); return; }
        n = c == 0 || c > 500 ? 500 : (int32_t)c;
    }
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"error\":[],\"result\":{");
    sim_buf_str(o, kr_of(s)->pairs[idx].id);
    sim_buf_puts(o, ":{\"asks\":");
    kr_book_levels_rest(s, o, idx, TH_ASK, n, true);
    sim_buf_puts(o, ",\"bids\":");
    kr_book_levels_rest(s, o, idx, TH_BID, n, true);
    sim_buf_puts(o, "}}}");
}

/* Every parameter a handler copies into a fixed buffer or parses as a number, with the most it may
 * hold: a value past that, a control byte or a number out of range is refused naming it (Kraken:
 * EGeneral:Invalid arguments:<name>; a nonce: EAPI:Invalid nonce), never cut or clamped. */
#define KR_TEXT(name, max) {name, SIMP_TEXT, max, NULL, 0, 0, NULL}
static const sim_param_rule KR_RULES[] = {
    {"nonce", SIMP_UINT64, 20, NULL, 0, 0, NULL},
    {"userref", SIMP_INT, 11, NULL, INT32_MIN, INT32_MAX, NULL},
    {"ofs", SIMP_INT, 19, NULL, 0, INT64_MAX, NULL},
    {"count", SIMP_INT, 19, NULL, 0, INT64_MAX, NULL},
    {"timeout", SIMP_INT, 19, NULL, 0, INT64_MAX, NULL},
    KR_TEXT("txid", 2047), KR_TEXT("cl_ord_id", 79), KR_TEXT("pair", 63), KR_TEXT("asset", 511),
    KR_TEXT("type", 15), KR_TEXT("ordertype", 31), KR_TEXT("volume", 63), KR_TEXT("price", 63), KR_TEXT("timeinforce", 15),
    KR_TEXT("oflags", 127), KR_TEXT("validate", 15), KR_TEXT("trades", 15), KR_TEXT("start", 47), KR_TEXT("end", 47),
};

static bool params_refused(const sim_http_req *req, sim_http_resp *r)
{
    if (req->query_too_long) {
        char msg[160];
        snprintf(msg, sizeof msg, "EGeneral:Invalid arguments:query string too long (at least %zu bytes, the sim reads at most %zu)", req->query_need,
                 sizeof req->query - 1);
        envelope_error(r, 414, msg);
        return true;
    }
    sim_param_fault f;
    size_t n = sizeof KR_RULES / sizeof KR_RULES[0];
    const sim_param_rule *bad = sim_params_check(req->query, KR_RULES, n, &f);
    /* a JSON body (AddOrderBatch) is read by its own handler */
    if (!bad && req->body && req->body[0] != '{') bad = sim_params_check(req->body, KR_RULES, n, &f);
    if (!bad) return false;
    if (strcmp(bad->name, "nonce") == 0) { envelope_error(r, 200, "EAPI:Invalid nonce"); return true; }
    char msg[96];
    snprintf(msg, sizeof msg, "EGeneral:Invalid arguments:%s", bad->name);
    envelope_error(r, 200, msg);
    return true;
}

void kr_rest(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    const char *p = req->path;
    if (req->port != SIM_PORT_PUBLIC) { envelope_error(r, 404, "EGeneral:Unknown method"); return; }
    if (params_refused(req, r)) return;
    if (req->uri_refused) { envelope_error(r, 400, "EGeneral:Invalid arguments:the URI holds a bad %-escape or a byte decoding to a control character"); return; }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
        envelope_error(r, 405, "EGeneral:Invalid arguments:GET or POST");
        return;
    }
    if (strcmp(p, "/0/public/Time") == 0) pub_time(s, r);
    else if (strcmp(p, "/0/public/SystemStatus") == 0) {
        sim_buf_puts(&r->body, "{\"error\":[],\"result\":{\"status\":\"online\",\"timestamp\":");
        sim_buf_time(&r->body, simd_wall_ns());
        sim_buf_puts(&r->body, "}}");
    } else if (strcmp(p, "/0/public/Assets") == 0) pub_assets(s, req, r);
    else if (strcmp(p, "/0/public/AssetPairs") == 0) pub_asset_pairs(s, req, r);
    else if (strcmp(p, "/0/public/Depth") == 0) pub_depth(s, req, r);
    else if (strncmp(p, "/0/private/", 11) == 0) {
        if (strcmp(req->method, "POST") != 0) { envelope_error(r, 405, "EGeneral:Invalid arguments:private calls are POST"); return; }
        kr_private_rest(s, req, r);
    } else envelope_error(r, 404, "EGeneral:Unknown method");
}
