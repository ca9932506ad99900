/* sim_binance_private.c — Binance spot signed REST: POST/DELETE /api/v3/order,
 * GET /api/v3/openOrders, GET /api/v3/account, over the engine.
 *
 * Every signed call: the key from X-MBX-APIKEY (-2014 missing, -2015 unknown); `signature` =
 * hex(HMAC-SHA256(secret, query + body)) without the signature parameter itself (-1022);
 * `timestamp` required (-1102), within `recvWindow` (default 5000 ms, at most 60000: -1131) of the
 * server's clock and not more than 1000 ms ahead (-1021). Orders: LIMIT (GTC, IOC), LIMIT_MAKER
 * (post-only: -2010 when it would cross), MARKET; newOrderRespType ACK, RESULT or FULL (fills);
 * refusals as Binance's codes (-1013 filter failures, -2010 balance, -2011 unknown order). Queries:
 * GET /api/v3/order (one order by orderId or origClientOrderId, open or not; -2013 unknown) and
 * GET /api/v3/myTrades (symbol; startTime, fromId, limit), what a client recovers with. Binance's
 * order ids are the order's place in the engine's placement sequence, 1, 2, 3... (the engine's own
 * ids are 64-bit, beyond what a JSON number carries exactly). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/decimal.h"
#include "../core/money.h"
#include "sim_binance.h"
#include "sim_crypto.h"
#include "sim_kraken.h" /* kr_form_get */

static int64_t ms_of(int64_t ns) { return ns / 1000000; }

static bool param(const sim_http_req *req, const char *key, char *out, size_t cap)
{
    if (kr_form_get(req->query, key, out, cap)) return true;
    return req->body && kr_form_get(req->body, key, out, cap);
}

/* text without its `signature=...` parameter, appended to o; the signature's value into sig */
static void strip_signature(const char *text, sim_buf *o, char *sig, size_t cap)
{
    bool first = true;
    for (const char *p = text; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len >= 10 && strncmp(p, "signature=", 10) == 0) {
            snprintf(sig, cap, "%.*s", (int)(len - 10), p + 10);
        } else {
            if (!first) sim_buf_putc(o, '&');
            sim_buf_put(o, p, len);
            first = false;
        }
        p = amp ? amp + 1 : NULL;
    }
}

int32_t bn_auth_check(simd *s, const bn_signed *a, sim_http_resp *r)
{
    if (!a->key || !a->key[0]) { bn_error(r, 401, -2014, "API-key format invalid."); return -1; }
    int32_t acc = th_sim_account_find(s->engine, a->key);
    if (acc < 0) { bn_error(r, 401, -2015, "Invalid API-key, IP, or permissions for action."); return -1; }
    if (!a->ts || !a->ts[0]) {
        bn_error(r, 400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
        return -1;
    }
    char *end;
    long long t = strtoll(a->ts, &end, 10), window = 5000;
    if (*end || t <= 0) { bn_error(r, 400, -1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'."); return -1; }
    if (a->rw) {
        window = strtoll(a->rw, &end, 10);
        if (*end || !a->rw[0] || window <= 0) { bn_error(r, 400, -1100, "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}$'."); return -1; }
        if (window > 60000) { bn_error(r, 400, -1131, "recvWindow must be less than 60000"); return -1; }
    }
    if (!a->sig || !a->sig[0]) { bn_error(r, 400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."); return -1; }
    const char *secret = th_sim_account_secret(s->engine, acc);
    unsigned char mac[32];
    simd_hmac_sha256(secret, strlen(secret), a->payload, a->payload_n, mac);
    char hex[65], sig[72];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    size_t sn = strlen(a->sig);
    if (sn != 64) { bn_error(r, 400, -1022, "Signature for this request is not valid."); return -1; }
    for (size_t i = 0; i <= sn; i++) sig[i] = (char)tolower((unsigned char)a->sig[i]);
    if (!simd_ct_equal(sig, sn, hex, 64)) { bn_error(r, 400, -1022, "Signature for this request is not valid."); return -1; }
    long long now = (long long)ms_of(simd_wall_ns());
    if (t > now + 1000) { bn_error(r, 400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."); return -1; }
    if (now - t > window) { bn_error(r, 400, -1021, "Timestamp for this request is outside of the recvWindow."); return -1; }
    return acc;
}

/* The account of a signed REST call, or -1 with the answer written. */
static int32_t auth(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    char ts[32] = "", rw[32] = "", sig[160] = "";
    bool has_ts = param(req, "timestamp", ts, sizeof ts), has_rw = param(req, "recvWindow", rw, sizeof rw);
    sim_buf payload;
    sim_buf_init(&payload);
    strip_signature(req->query, &payload, sig, sizeof sig);
    if (req->body && req->body_n) {
        /* Binance: totalParams = the query string concatenated with the body */
        strip_signature(req->body, &payload, sig, sizeof sig);
    }
    bn_signed a = {.key = req->api_key, .ts = has_ts ? ts : NULL, .rw = has_rw ? rw : NULL, .sig = sig,
                   .payload = sim_buf_text(&payload), .payload_n = payload.n};
    int32_t acc = payload.oom ? (bn_error(r, 500, -1001, "Internal error; unable to process your request. Please try again."), -1)
                              : bn_auth_check(s, &a, r);
    sim_buf_free(&payload);
    return acc;
}

static void reject(sim_http_resp *r, th_sim_reject rej, bool cancel)
{
    switch (rej) {
    case TH_SIM_REJ_UNKNOWN_SYMBOL: bn_error(r, 400, -1121, "Invalid symbol."); return;
    case TH_SIM_REJ_INSUFFICIENT_FUNDS: bn_error(r, 400, -2010, "Account has insufficient balance for requested action."); return;
    case TH_SIM_REJ_POST_ONLY_WOULD_CROSS: bn_error(r, 400, -2010, "Order would immediately match and take."); return;
    case TH_SIM_REJ_BELOW_MIN_SIZE: bn_error(r, 400, -1013, "Filter failure: LOT_SIZE"); return;
    case TH_SIM_REJ_BAD_LOT: bn_error(r, 400, -1013, "Filter failure: LOT_SIZE"); return;
    case TH_SIM_REJ_BELOW_MIN_COST: bn_error(r, 400, -1013, "Filter failure: NOTIONAL"); return;
    case TH_SIM_REJ_BAD_TICK: bn_error(r, 400, -1013, "Filter failure: PRICE_FILTER"); return;
    case TH_SIM_REJ_UNKNOWN_ORDER:
        bn_error(r, 400, cancel ? -2011 : -2013, cancel ? "Unknown order sent." : "Order does not exist.");
        return;
    case TH_SIM_REJ_RATE_LIMITED: bn_error(r, 429, -1015, "Too many new orders."); return;
    case TH_SIM_REJ_DUPLICATE_CL_ORD_ID: bn_error(r, 400, -2010, "Duplicate order sent."); return;
    case TH_SIM_REJ_NO_LIQUIDITY: bn_error(r, 400, -2010, "Order book liquidity is less than LOT_SIZE filter minimum quantity."); return;
    default: bn_error(r, 400, -1100, "Illegal characters found in a parameter."); return;
    }
}

/* Binance's order id: 1 + the order's index in the engine's placement sequence; 0 if unknown. */
uint64_t bn_order_no(simd *s, const th_sim_order *o)
{
    for (int32_t i = th_sim_order_count(s->engine) - 1; i >= 0; i--)
        if (th_sim_order_at(s->engine, i) == o || th_sim_order_at(s->engine, i)->id == o->id) return s->orders_before + (uint64_t)i + 1;
    return 0;
}

const char *bn_status_text(const th_sim_order *o)
{
    switch (o->status) {
    case TH_SIM_ST_OPEN: return o->filled > 0 ? "PARTIALLY_FILLED" : "NEW";
    case TH_SIM_ST_FILLED: return "FILLED";
    case TH_SIM_ST_CANCELED: return o->cancel_reason == TH_SIM_CANCEL_IOC ? "EXPIRED" : "CANCELED";
    default: return "REJECTED";
    }
}

void bn_money(sim_buf *o, th_money m, int scale)
{
    char t[64];
    if (th_money_format_short(m, scale, t, sizeof t) < 0) snprintf(t, sizeof t, "0");
    sim_buf_str(o, t);
}

/* The fields every order answer has; `open`: openOrders' extra fields. */
static void order_fields(simd *s, sim_buf *o, const th_sim_order *ord, bool open)
{
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    sim_buf_puts(o, "{\"symbol\":");
    sim_buf_str(o, in->symbol);
    sim_buf_printf(o, ",\"orderId\":%llu,\"orderListId\":-1,\"clientOrderId\":", (unsigned long long)bn_order_no(s, ord));
    sim_buf_str(o, ord->cl_ord_id);
    if (!open) sim_buf_printf(o, ",\"transactTime\":%lld", (long long)ms_of(ord->updated_ns));
    sim_buf_puts(o, ",\"price\":");
    sim_buf_dec(o, ord->price, in->price_dec, 8 > in->price_dec ? 8 : in->price_dec, true);
    sim_buf_puts(o, ",\"origQty\":");
    sim_buf_dec(o, ord->qty, in->qty_dec, 8 > in->qty_dec ? 8 : in->qty_dec, true);
    sim_buf_puts(o, ",\"executedQty\":");
    sim_buf_dec(o, ord->filled, in->qty_dec, 8 > in->qty_dec ? 8 : in->qty_dec, true);
    sim_buf_puts(o, ",\"cummulativeQuoteQty\":");
    bn_money(o, ord->cost, in->price_dec + in->qty_dec);
    sim_buf_printf(o, ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\"", bn_status_text(ord),
                   ord->tif == TH_SIM_IOC ? "IOC" : "GTC", ord->type == TH_SIM_MARKET ? "MARKET" : ord->post_only ? "LIMIT_MAKER" : "LIMIT",
                   ord->side == TH_SIM_BUY ? "BUY" : "SELL");
    if (open)
        sim_buf_printf(o, ",\"stopPrice\":\"0.00000000\",\"icebergQty\":\"0.00000000\",\"time\":%lld,\"updateTime\":%lld,"
                          "\"isWorking\":true,\"origQuoteOrderQty\":\"0.00000000\"",
                       (long long)ms_of(ord->created_ns), (long long)ms_of(ord->updated_ns));
    sim_buf_printf(o, ",\"workingTime\":%lld,\"selfTradePreventionMode\":\"NONE\"", (long long)ms_of(ord->created_ns));
}

/* ---- Binance's ORDERS limit: new orders per account in 10 s windows (aligned, as Binance counts) and a day ---- */

static struct bn_order_count *order_count(simd *s, int32_t acc)
{
    bn_state *b = bn_of(s);
    if (acc < 0) return NULL;
    if (acc >= b->nocount) {
        void *v = realloc(b->ocount, sizeof *b->ocount * (size_t)(acc + 1));
        if (!v) return NULL;
        b->ocount = v;
        memset(b->ocount + b->nocount, 0, sizeof *b->ocount * (size_t)(acc + 1 - b->nocount));
        b->nocount = acc + 1;
    }
    struct bn_order_count *c = &b->ocount[acc];
    int64_t now = ms_of(simd_wall_ns());
    if (c->win10 != now / 10000) { c->win10 = now / 10000; c->n10 = 0; }
    if (c->day != now / 86400000) { c->day = now / 86400000; c->nday = 0; }
    return c;
}

bool bn_order_count_take(simd *s, int32_t acc, int64_t *retry_ms)
{
    if (s->opt.orders_10s <= 0) return true;
    struct bn_order_count *c = order_count(s, acc);
    if (!c) return true;
    int64_t now = ms_of(simd_wall_ns());
    if (c->n10 >= s->opt.orders_10s || c->nday >= BN_ORDERS_DAY) {
        *retry_ms = c->nday >= BN_ORDERS_DAY ? 86400000 - now % 86400000 : 10000 - now % 10000;
        return false;
    }
    c->n10++;
    c->nday++;
    return true;
}

void bn_order_count_json(simd *s, int32_t acc, sim_buf *o)
{
    struct bn_order_count *c = s->opt.orders_10s > 0 ? order_count(s, acc) : NULL;
    if (!c) return;
    sim_buf_printf(o, ",{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":%d,\"count\":%d}"
                      ",{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,\"limit\":%d,\"count\":%d}",
                   s->opt.orders_10s, c->n10, BN_ORDERS_DAY, c->nday);
}

void bn_place(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc)
{
    bn_state *b = bn_of(s);
    char sym[64], side[16], type[32], qty[64], price[64], tif[16], cl[80], resp_type[16];
    param(req, "symbol", sym, sizeof sym);
    param(req, "side", side, sizeof side);
    param(req, "type", type, sizeof type);
    param(req, "quantity", qty, sizeof qty);
    param(req, "price", price, sizeof price);
    param(req, "timeInForce", tif, sizeof tif);
    param(req, "newClientOrderId", cl, sizeof cl);
    param(req, "newOrderRespType", resp_type, sizeof resp_type);
    const char *missing = !sym[0] ? "symbol" : !side[0] ? "side" : !type[0] ? "type" : NULL;
    if (missing) {
        char m[128];
        snprintf(m, sizeof m, "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", missing);
        bn_error(r, 400, -1102, m);
        return;
    }
    th_sim_order_req o = {0};
    o.ins = th_instruments_find(&s->feed.instruments, sym, strlen(sym));
    if (o.ins < 0) { bn_error(r, 400, -1121, "Invalid symbol."); return; }
    const th_instrument *in = &s->feed.instruments.v[o.ins];
    if (strcmp(side, "BUY") == 0) o.side = TH_SIM_BUY;
    else if (strcmp(side, "SELL") == 0) o.side = TH_SIM_SELL;
    else { bn_error(r, 400, -1117, "Invalid side."); return; }
    if (strcmp(type, "LIMIT") == 0) o.type = TH_SIM_LIMIT;
    else if (strcmp(type, "LIMIT_MAKER") == 0) { o.type = TH_SIM_LIMIT; o.post_only = true; }
    else if (strcmp(type, "MARKET") == 0) o.type = TH_SIM_MARKET;
    else { bn_error(r, 400, -1116, "Invalid orderType."); return; }
    if (o.type == TH_SIM_LIMIT && !o.post_only) {
        if (!tif[0]) { bn_error(r, 400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."); return; }
        if (strcmp(tif, "GTC") == 0) o.tif = TH_SIM_GTC;
        else if (strcmp(tif, "IOC") == 0) o.tif = TH_SIM_IOC;
        else { bn_error(r, 400, -1115, "Invalid timeInForce."); return; }
    } else if (tif[0]) {
        bn_error(r, 400, -1106, "Parameter 'timeInForce' sent when not required.");
        return;
    }
    if (!qty[0]) { bn_error(r, 400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."); return; }
    int rc = th_dec_parse(qty, strlen(qty), in->qty_dec, &o.qty);
    if (rc == TH_DEC_EINEXACT) { bn_error(r, 400, -1013, "Filter failure: LOT_SIZE"); return; }
    if (rc != TH_DEC_OK || o.qty <= 0) { bn_error(r, 400, -1100, "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."); return; }
    if (o.type == TH_SIM_LIMIT) {
        if (!price[0]) { bn_error(r, 400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."); return; }
        rc = th_dec_parse(price, strlen(price), in->price_dec, &o.price);
        if (rc == TH_DEC_EINEXACT) { bn_error(r, 400, -1013, "Filter failure: PRICE_FILTER"); return; }
        if (rc != TH_DEC_OK || o.price <= 0) { bn_error(r, 400, -1100, "Illegal characters found in parameter 'price'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."); return; }
    } else if (price[0]) {
        bn_error(r, 400, -1106, "Parameter 'price' sent when not required.");
        return;
    }
    char gen[40];
    if (!cl[0]) {
        /* Binance makes one up when the client sends none */
        snprintf(gen, sizeof gen, "sim%llu", (unsigned long long)++b->cl_seq);
        o.cl_ord_id = gen;
    } else {
        if (strlen(cl) > 36) { bn_error(r, 400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'."); return; }
        o.cl_ord_id = cl;
    }
    int32_t trades0 = th_sim_trade_count(s->engine);
    uint64_t id;
    th_sim_reject rej = th_sim_place(s->engine, acc, &o, simd_now_ns(s), &id);
    if (rej != TH_SIM_OK) { reject(r, rej, false); return; }
    const th_sim_order *ord = th_sim_order_find(s->engine, id);
    sim_buf *out = &r->body;
    if (strcmp(resp_type, "ACK") == 0) {
        sim_buf_puts(out, "{\"symbol\":");
        sim_buf_str(out, in->symbol);
        sim_buf_printf(out, ",\"orderId\":%llu,\"orderListId\":-1,\"clientOrderId\":", (unsigned long long)bn_order_no(s, ord));
        sim_buf_str(out, ord->cl_ord_id);
        sim_buf_printf(out, ",\"transactTime\":%lld}", (long long)ms_of(ord->created_ns));
        return;
    }
    order_fields(s, out, ord, false);
    if (strcmp(resp_type, "RESULT") != 0) {
        sim_buf_puts(out, ",\"fills\":[");
        for (int32_t i = trades0; i < th_sim_trade_count(s->engine); i++) {
            const th_sim_trade *t = th_sim_trade_at(s->engine, i);
            if (t->order_id != id) continue;
            sim_buf_puts(out, "{\"price\":");
            sim_buf_dec(out, t->price, in->price_dec, 8 > in->price_dec ? 8 : in->price_dec, true);
            sim_buf_puts(out, ",\"qty\":");
            sim_buf_dec(out, t->qty, in->qty_dec, 8 > in->qty_dec ? 8 : in->qty_dec, true);
            sim_buf_puts(out, ",\"commission\":");
            bn_money(out, t->fee, TH_SIM_SCALE);
            sim_buf_puts(out, ",\"commissionAsset\":");
            sim_buf_str(out, th_sim_asset_name(s->engine, t->fee_asset));
            sim_buf_printf(out, ",\"tradeId\":%llu},", (unsigned long long)(s->trades_before + (uint64_t)i + 1));
        }
        sim_buf_unput(out, ',');
        sim_buf_putc(out, ']');
    }
    sim_buf_putc(out, '}');
}

void bn_cancel(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc)
{
    char sym[64], oid[32], cl[80];
    if (!param(req, "symbol", sym, sizeof sym) || !sym[0]) {
        bn_error(r, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
        return;
    }
    int32_t ins = th_instruments_find(&s->feed.instruments, sym, strlen(sym));
    if (ins < 0) { bn_error(r, 400, -1121, "Invalid symbol."); return; }
    bool by_id = param(req, "orderId", oid, sizeof oid) && oid[0];
    bool by_cl = param(req, "origClientOrderId", cl, sizeof cl) && cl[0];
    if (!by_id && !by_cl) { bn_error(r, 400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"); return; }
    const th_sim_order *ord = NULL;
    if (by_id) {
        char *end;
        unsigned long long n = strtoull(oid, &end, 10);
        /* orderId = orders_before + place in this engine (bn_order_no); older ones are gone */
        if (*end || n <= s->orders_before || n - s->orders_before > (unsigned long long)th_sim_order_count(s->engine)) {
            reject(r, TH_SIM_REJ_UNKNOWN_ORDER, true);
            return;
        }
        ord = th_sim_order_at(s->engine, (int32_t)(n - s->orders_before - 1));
    } else {
        ord = th_sim_order_find_cl(s->engine, acc, cl);
    }
    if (!ord || ord->account != acc || ord->ins != ins || ord->status != TH_SIM_ST_OPEN) { reject(r, TH_SIM_REJ_UNKNOWN_ORDER, true); return; }
    char orig[TH_SIM_CL_ORD_ID_MAX];
    snprintf(orig, sizeof orig, "%s", ord->cl_ord_id);
    uint64_t id = ord->id;
    th_sim_reject rej = th_sim_cancel(s->engine, acc, id, simd_now_ns(s));
    if (rej != TH_SIM_OK) { reject(r, rej, true); return; }
    ord = th_sim_order_find(s->engine, id);
    sim_buf *out = &r->body;
    order_fields(s, out, ord, false);
    sim_buf_puts(out, ",\"origClientOrderId\":");
    sim_buf_str(out, orig);
    sim_buf_putc(out, '}');
}

void bn_open_orders(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc)
{
    char sym[64];
    int32_t ins = -1;
    if (param(req, "symbol", sym, sizeof sym) && sym[0]) {
        ins = th_instruments_find(&s->feed.instruments, sym, strlen(sym));
        if (ins < 0) { bn_error(r, 400, -1121, "Invalid symbol."); return; }
    }
    int32_t n = th_sim_open_orders(s->engine, acc, ins, NULL, 0);
    const th_sim_order **v = calloc((size_t)n + 1, sizeof *v);
    if (!v) { bn_error(r, 500, -1001, "Internal error; unable to process your request. Please try again."); return; }
    th_sim_open_orders(s->engine, acc, ins, v, n);
    sim_buf *out = &r->body;
    sim_buf_putc(out, '[');
    for (int32_t i = 0; i < n; i++) {
        order_fields(s, out, v[i], true);
        sim_buf_puts(out, "},");
    }
    free(v);
    sim_buf_unput(out, ',');
    sim_buf_putc(out, ']');
}

/* The order a request names (orderId or origClientOrderId, on its symbol), or NULL with the error answered. */
static const th_sim_order *named_order(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc, bool cancel)
{
    char sym[64], oid[32], cl[80];
    if (!param(req, "symbol", sym, sizeof sym) || !sym[0]) {
        bn_error(r, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
        return NULL;
    }
    int32_t ins = th_instruments_find(&s->feed.instruments, sym, strlen(sym));
    if (ins < 0) { bn_error(r, 400, -1121, "Invalid symbol."); return NULL; }
    bool by_id = param(req, "orderId", oid, sizeof oid) && oid[0];
    bool by_cl = param(req, "origClientOrderId", cl, sizeof cl) && cl[0];
    if (!by_id && !by_cl) { bn_error(r, 400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"); return NULL; }
    const th_sim_order *ord = NULL;
    if (by_id) {
        char *end;
        unsigned long long n = strtoull(oid, &end, 10);
        if (!*end && n > 0 && n <= (unsigned long long)th_sim_order_count(s->engine)) ord = th_sim_order_at(s->engine, (int32_t)(n - 1));
    } else {
        ord = th_sim_order_find_cl(s->engine, acc, cl);
    }
    if (!ord || ord->account != acc || ord->ins != ins || (cancel && ord->status != TH_SIM_ST_OPEN)) {
        reject(r, TH_SIM_REJ_UNKNOWN_ORDER, cancel);
        return NULL;
    }
    return ord;
}

void bn_order_status(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc)
{
    const th_sim_order *ord = named_order(s, req, r, acc, false);
    if (!ord) return;
    order_fields(s, &r->body, ord, true);
    sim_buf_putc(&r->body, '}');
}

void bn_my_trades(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc)
{
    char sym[64], v[32];
    if (!param(req, "symbol", sym, sizeof sym) || !sym[0]) {
        bn_error(r, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
        return;
    }
    int32_t ins = th_instruments_find(&s->feed.instruments, sym, strlen(sym));
    if (ins < 0) { bn_error(r, 400, -1121, "Invalid symbol."); return; }
    const th_instrument *in = &s->feed.instruments.v[ins];
    long long start = param(req, "startTime", v, sizeof v) ? strtoll(v, NULL, 10) : 0;
    long long from = param(req, "fromId", v, sizeof v) ? strtoll(v, NULL, 10) : 0;
    long limit = param(req, "limit", v, sizeof v) ? strtol(v, NULL, 10) : 500;
    if (limit <= 0 || limit > 1000) { bn_error(r, 400, -1100, "Illegal characters found in parameter 'limit'; legal range is '1-1000'."); return; }
    /* Neither startTime nor fromId: Binance returns the most recent `limit` trades (oldest first);
     * with either, the oldest from there on. */
    long skip = 0;
    if (start == 0 && from == 0) {
        long all = 0;
        for (int32_t i = 0; i < th_sim_trade_count(s->engine); i++) {
            const th_sim_trade *t = th_sim_trade_at(s->engine, i);
            if (t->account == acc && t->ins == ins) all++;
        }
        skip = all > limit ? all - limit : 0;
    }
    sim_buf *out = &r->body;
    sim_buf_putc(out, '[');
    long n = 0;
    for (int32_t i = 0; i < th_sim_trade_count(s->engine) && n < limit; i++) {
        const th_sim_trade *t = th_sim_trade_at(s->engine, i);
        long long tid = (long long)(s->trades_before + (uint64_t)i + 1); /* the tradeId the fills and executionReports give */
        if (t->account != acc || t->ins != ins || tid < from || ms_of(t->ts_ns) < start) continue;
        if (skip > 0) { skip--; continue; }
        const th_sim_order *ord = th_sim_order_find(s->engine, t->order_id);
        sim_buf_puts(out, "{\"symbol\":");
        sim_buf_str(out, in->symbol);
        sim_buf_printf(out, ",\"id\":%lld,\"orderId\":%llu,\"orderListId\":-1,\"price\":", tid,
                       (unsigned long long)(ord ? bn_order_no(s, ord) : 0));
        sim_buf_dec(out, t->price, in->price_dec, 8 > in->price_dec ? 8 : in->price_dec, true);
        sim_buf_puts(out, ",\"qty\":");
        sim_buf_dec(out, t->qty, in->qty_dec, 8 > in->qty_dec ? 8 : in->qty_dec, true);
        sim_buf_puts(out, ",\"quoteQty\":");
        bn_money(out, t->cost, in->price_dec + in->qty_dec);
        sim_buf_puts(out, ",\"commission\":");
        bn_money(out, t->fee, TH_SIM_SCALE);
        sim_buf_puts(out, ",\"commissionAsset\":");
        sim_buf_str(out, th_sim_asset_name(s->engine, t->fee_asset));
        sim_buf_printf(out, ",\"time\":%lld,\"isBuyer\":%s,\"isMaker\":%s,\"isBestMatch\":true},", (long long)ms_of(t->ts_ns),
                       t->side == TH_SIM_BUY ? "true" : "false", t->maker ? "true" : "false");
        n++;
    }
    sim_buf_unput(out, ',');
    sim_buf_putc(out, ']');
}

void bn_account(simd *s, sim_http_resp *r, int32_t acc)
{
    sim_buf *out = &r->body;
    sim_buf_printf(out, "{\"makerCommission\":0,\"takerCommission\":0,\"buyerCommission\":0,\"sellerCommission\":0,"
                        "\"canTrade\":true,\"canWithdraw\":false,\"canDeposit\":false,\"brokered\":false,"
                        "\"requireSelfTradePrevention\":false,\"preventSor\":false,\"updateTime\":%lld,\"accountType\":\"SPOT\",\"balances\":[",
                   (long long)ms_of(simd_now_ns(s)));
    for (int32_t a = 0; a < th_sim_asset_count(s->engine); a++) {
        const char *name = th_sim_asset_name(s->engine, a);
        th_money total, held;
        if (th_sim_balance_get(s->engine, acc, name, &total, &held) != 0 || total == 0) continue;
        sim_buf_puts(out, "{\"asset\":");
        sim_buf_str(out, name);
        sim_buf_puts(out, ",\"free\":");
        bn_money(out, total - held, TH_SIM_SCALE);
        sim_buf_puts(out, ",\"locked\":");
        bn_money(out, held, TH_SIM_SCALE);
        sim_buf_puts(out, "},");
    }
    sim_buf_unput(out, ',');
    sim_buf_printf(out, "],\"permissions\":[\"SPOT\"],\"uid\":%d}", acc + 1);
}

bool bn_private_rest(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    const char *p = req->path, *m = req->method;
    enum { NONE, PLACE, CANCEL, OPEN, ACCOUNT, STATUS, TRADES } what = NONE;
    if (strcmp(p, "/api/v3/order") == 0 && strcmp(m, "POST") == 0) what = PLACE;
    else if (strcmp(p, "/api/v3/order") == 0 && strcmp(m, "DELETE") == 0) what = CANCEL;
    else if (strcmp(p, "/api/v3/openOrders") == 0 && strcmp(m, "GET") == 0) what = OPEN;
    else if (strcmp(p, "/api/v3/account") == 0 && strcmp(m, "GET") == 0) what = ACCOUNT;
    else if (strcmp(p, "/api/v3/order") == 0 && strcmp(m, "GET") == 0) what = STATUS;
    else if (strcmp(p, "/api/v3/myTrades") == 0 && strcmp(m, "GET") == 0) what = TRADES;
    if (what == NONE) return false;
    int32_t acc = auth(s, req, r);
    if (acc < 0) return true;
    switch (what) {
    case PLACE: {
        int64_t wait_ms;
        if (!bn_order_count_take(s, acc, &wait_ms)) {
            char msg[128];
            snprintf(msg, sizeof msg, "Too many new orders; current limit is %d orders per TEN_SECONDS.", s->opt.orders_10s);
            bn_error(r, 429, -1015, msg);
            break;
        }
        bn_place(s, req, r, acc);
        break;
    }
    case CANCEL: bn_cancel(s, req, r, acc); break;
    case OPEN: bn_open_orders(s, req, r, acc); break;
    case ACCOUNT: bn_account(s, r, acc); break;
    case STATUS: bn_order_status(s, req, r, acc); break;
    case TRADES: bn_my_trades(s, req, r, acc); break;
    default: break;
    }
    return true;
}
