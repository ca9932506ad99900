/* sim_binance_rest.c — Binance spot REST, public part: /api/v3/ping, /api/v3/time,
 * /api/v3/exchangeInfo (the instrument data in Binance's shape, with the PRICE_FILTER, LOT_SIZE
 * and NOTIONAL filters: enough for ccxt's loadMarkets with fetchMarkets types ['spot']) and
 * /api/v3/depth (the stream's image, with the lastUpdateId its diffs continue from). Errors are
 * Binance's {"code","msg"} with its codes (-1102 a missing parameter, -1121 an unknown symbol). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_binance.h"
#include "sim_kraken.h" /* kr_form_get: a query parameter, URL-decoded */
#include "sim_params.h"

void bn_error(sim_http_resp *r, int status, int code, const char *msg)
{
    r->status = status;
    sim_buf_reset(&r->body);
    sim_buf_printf(&r->body, "{\"code\":%d,\"msg\":", code);
    sim_buf_str(&r->body, msg);
    sim_buf_putc(&r->body, '}');
}

static int64_t ms_of(int64_t ns) { return ns / 1000000; }

/* Binance writes filter values with 8 decimals ("0.00010000"); a value finer than that (a notional
 * at price + qty decimals) keeps the decimals it needs. */
static void dec8(sim_buf *o, int64_t v, int scale)
{
    while (scale > 8 && v % 10 == 0) { v /= 10; scale--; }
    sim_buf_dec(o, v, scale, scale > 8 ? scale : 8, true);
}

static void symbol_json(sim_buf *o, const th_instrument *in)
{
    sim_buf_puts(o, "{\"symbol\":");
    sim_buf_str(o, in->symbol);
    sim_buf_printf(o, ",\"status\":\"%s\",\"baseAsset\":", in->online ? "TRADING" : "BREAK");
    sim_buf_str(o, in->base);
    sim_buf_puts(o, ",\"baseAssetPrecision\":8,\"quoteAsset\":");
    sim_buf_str(o, in->quote);
    sim_buf_puts(o, ",\"quotePrecision\":8,\"quoteAssetPrecision\":8,\"baseCommissionPrecision\":8,\"quoteCommissionPrecision\":8,"
                    "\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\"],\"icebergAllowed\":false,\"ocoAllowed\":false,"
                    "\"quoteOrderQtyMarketAllowed\":false,\"allowTrailingStop\":false,\"cancelReplaceAllowed\":false,"
                    "\"isSpotTradingAllowed\":true,\"isMarginTradingAllowed\":false,\"filters\":[");
    sim_buf_puts(o, "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":");
    dec8(o, in->tick, in->price_dec);
    sim_buf_puts(o, ",\"maxPrice\":\"1000000.00000000\",\"tickSize\":");
    dec8(o, in->tick, in->price_dec);
    sim_buf_puts(o, "},{\"filterType\":\"LOT_SIZE\",\"minQty\":");
    dec8(o, in->min_qty > in->lot ? in->min_qty : in->lot, in->qty_dec);
    sim_buf_puts(o, ",\"maxQty\":\"9000000000.00000000\",\"stepSize\":");
    dec8(o, in->lot, in->qty_dec);
    sim_buf_puts(o, "},{\"filterType\":\"NOTIONAL\",\"minNotional\":");
    dec8(o, in->min_cost, in->price_dec + in->qty_dec);
    sim_buf_puts(o, ",\"applyMinToMarket\":true,\"maxNotional\":\"9000000000.00000000\",\"applyMaxToMarket\":false,"
                    "\"avgPriceMins\":5}],\"permissions\":[],\"permissionSets\":[[\"SPOT\"]],"
                    "\"defaultSelfTradePreventionMode\":\"NONE\",\"allowedSelfTradePreventionModes\":[\"NONE\"]},");
}

/* symbols=["A","B"] (JSON array, as Binance takes it): does it name sym? */
static bool in_list(const char *list, const char *sym)
{
    size_t n = strlen(sym);
    for (const char *p = strstr(list, sym); p; p = strstr(p + 1, sym))
        if (p > list && p[-1] == '"' && p[n] == '"') return true;
    return false;
}

static void exchange_info(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    const th_instruments *ins = &s->feed.instruments;
    char one[64], list[2048];
    bool has_one = kr_form_get(req->query, "symbol", one, sizeof one);
    bool has_list = kr_form_get(req->query, "symbols", list, sizeof list);
    if (has_one && th_instruments_find(ins, one, strlen(one)) < 0) { bn_error(r, 400, -1121, "Invalid symbol."); return; }
    sim_buf *o = &r->body;
    sim_buf_printf(o, "{\"timezone\":\"UTC\",\"serverTime\":%lld,\"rateLimits\":["
                      "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,\"limit\":6000},"
                      "{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":100},"
                      "{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,\"limit\":200000}],"
                      "\"exchangeFilters\":[],\"symbols\":[", (long long)ms_of(simd_wall_ns()));
    int n = 0;
    for (int32_t i = 0; i < ins->n; i++) {
        const th_instrument *in = &ins->v[i];
        if (has_one && strcasecmp(one, in->symbol) != 0) continue;
        if (has_list && !in_list(list, in->symbol)) continue;
        symbol_json(o, in);
        n++;
    }
    if (has_list && n == 0) { bn_error(r, 400, -1121, "Invalid symbol."); return; }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "]}");
}

static void depth(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    char sym[64], lim[32];
    if (!kr_form_get(req->query, "symbol", sym, sizeof sym) || !sym[0]) {
        bn_error(r, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
        return;
    }
    int32_t i = th_instruments_find(&s->feed.instruments, sym, strlen(sym));
    if (i < 0) { bn_error(r, 400, -1121, "Invalid symbol."); return; }
    int32_t limit = 100;
    if (kr_form_get(req->query, "limit", lim, sizeof lim)) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (!lim[0] || *end || v <= 0) {
            bn_error(r, 400, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.");
            return;
        }
        limit = v > 5000 ? 5000 : (int32_t)v;
    }
    bn_state *b = bn_of(s);
    sim_buf *o = &r->body;
    sim_buf_printf(o, "{\"lastUpdateId\":%llu,\"bids\":", (unsigned long long)b->sym[i].last_id);
    bn_image_levels(s, o, i, TH_BID, limit);
    sim_buf_puts(o, ",\"asks\":");
    bn_image_levels(s, o, i, TH_ASK, limit);
    sim_buf_putc(o, '}');
}

/* Request weight per wall-clock minute, as X-MBX-USED-WEIGHT-1M reports it (Binance counts per IP;
 * every client of the sim is on loopback, so one counter, shared by REST and the WebSocket API).
 * A request that would pass BN_WEIGHT_LIMIT is refused and adds nothing. */
static void minute_roll(bn_state *b)
{
    int64_t minute = simd_wall_ns() / 60000000000LL;
    if (minute != b->weight_minute) { b->weight_minute = minute; b->weight = 0; }
}

bool bn_weight_take(simd *s, int w)
{
    bn_state *b = bn_of(s);
    minute_roll(b);
    if (b->weight + w > BN_WEIGHT_LIMIT) return false;
    b->weight += w;
    return true;
}

static void weight_header(simd *s, sim_http_resp *r)
{
    r->hdr[0].name = "x-mbx-used-weight-1m:";
    snprintf(r->hdr[0].value, sizeof r->hdr[0].value, "%d", bn_of(s)->weight);
}

/* 429, Binance's -1003 and Retry-After: the seconds until the minute's counter starts again. */
void bn_too_many(simd *s, sim_http_resp *r)
{
    bn_state *b = bn_of(s);
    minute_roll(b);
    char msg[200];
    snprintf(msg, sizeof msg, "Too much request weight used; current limit is %d request weight per 1 MINUTE. "
                              "Please use WebSocket Streams for live updates to avoid polling the API.", BN_WEIGHT_LIMIT);
    bn_error(r, 429, -1003, msg);
    int64_t left_ms = 60000 - (simd_wall_ns() / 1000000) % 60000;
    weight_header(s, r);
    r->hdr[1].name = "retry-after:";
    snprintf(r->hdr[1].value, sizeof r->hdr[1].value, "%lld", (long long)((left_ms + 999) / 1000));
}

/* The rate_limit fault: 429 with Retry-After, as over the weight limit; a signed call hears -1015,
 * the order-count limit's code. */
void bn_rate_limited(simd *s, const sim_http_req *req, sim_http_resp *r, bool private_call)
{
    (void)req;
    bn_too_many(s, r);
    if (private_call) bn_error(r, 429, -1015, "Too many new orders; current limit is 100 orders per TEN_SECONDS.");
}

/* Binance's weights (spot REST docs) */
static int weight_of(const sim_http_req *req)
{
    const char *p = req->path;
    char v[32];
    if (strcmp(p, "/api/v3/exchangeInfo") == 0 || strcmp(p, "/api/v3/account") == 0) return 20;
    if (strcmp(p, "/api/v3/myTrades") == 0) return 20;
    if (strcmp(p, "/api/v3/order") == 0 && strcmp(req->method, "GET") == 0) return 4;
    if (strcmp(p, "/api/v3/openOrders") == 0) return kr_form_get(req->query, "symbol", v, sizeof v) ? 6 : 80;
    if (strcmp(p, "/api/v3/depth") == 0) {
        long lim = kr_form_get(req->query, "limit", v, sizeof v) ? strtol(v, NULL, 10) : 100;
        return lim <= 100 ? 5 : lim <= 500 ? 25 : lim <= 1000 ? 50 : 250;
    }
    return 1;
}

/* Binance's own checks of a parameter's form (its -1100 messages quote these ranges); every value a
 * handler copies into a fixed buffer or parses as a number is listed, so none is cut or clamped. */
#define BN_INT(name) {name, SIMP_INT, 20, NULL, 0, INT64_MAX, "^[0-9]{1,20}$"}
#define BN_DEC(name) {name, SIMP_DECIMAL, 41, NULL, 0, 0, "^([0-9]{1,20})(\\.[0-9]{1,20})?$"}
#define BN_CLID(name) {name, SIMP_CHARSET, 36, ".ABCDEFGHIJKLMNOPQRSTUVWXYZ:/abcdefghijklmnopqrstuvwxyz0123456789_-", 0, 0, \
                       "^[\\.A-Z\\:/a-z0-9_-]{1,36}$"}
static const sim_param_rule BN_RULES[] = {
    {"symbol", SIMP_CHARSET, 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", 0, 0, "^[A-Z0-9-_.]{1,20}$"},
    {"symbols", SIMP_TEXT, 2047, NULL, 0, 0, "a JSON array of symbols, at most 2047 characters"},
    BN_CLID("newClientOrderId"), BN_CLID("origClientOrderId"),
    BN_INT("orderId"), BN_INT("fromId"), BN_INT("timestamp"), BN_INT("recvWindow"), BN_INT("startTime"), BN_INT("endTime"),
    BN_INT("limit"),
    BN_DEC("quantity"), BN_DEC("price"), BN_DEC("quoteOrderQty"), BN_DEC("stopPrice"), BN_DEC("icebergQty"),
};

/* A parameter of the query or body breaks Binance's form: -1100 naming it. */
bool bn_params_refused(const sim_http_req *req, sim_http_resp *r)
{
    sim_param_fault f;
    const sim_param_rule *bad = sim_params_check(req->query, BN_RULES, sizeof BN_RULES / sizeof BN_RULES[0], &f);
    if (!bad && req->body) bad = sim_params_check(req->body, BN_RULES, sizeof BN_RULES / sizeof BN_RULES[0], &f);
    if (!bad) return false;
    char msg[256];
    if (f == SIMP_OUT_OF_RANGE)
        snprintf(msg, sizeof msg, "Illegal characters found in parameter '%s'; legal range is '%s' and at most %lld.", bad->name, bad->legal,
                 (long long)bad->hi);
    else
        snprintf(msg, sizeof msg, "Illegal characters found in parameter '%s'; legal range is '%s'.", bad->name, bad->legal);
    bn_error(r, 400, -1100, msg);
    return true;
}

void bn_rest(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    const char *p = req->path;
    if (!bn_weight_take(s, weight_of(req))) { bn_too_many(s, r); return; }
    weight_header(s, r);
    if (req->query_too_long) {
        char msg[200];
        snprintf(msg, sizeof msg, "Request-URI too long: the query string needs at least %zu bytes, the sim reads at most %zu; refused rather than "
                                  "cut (send fewer or shorter parameters, or put them in the body).", req->query_need, sizeof req->query - 1);
        bn_error(r, 414, -1000, msg);
        return;
    }
    if (bn_params_refused(req, r)) return;
    if (req->uri_refused) {
        bn_error(r, 400, -1100, "Illegal characters found in the request URI: a %-escape that is not two hex digits, or a byte that decodes "
                                "to NUL or a control character.");
        return;
    }
    if (bn_private_rest(s, req, r)) return;
    bool get = strcmp(req->method, "GET") == 0;
    if (strcmp(p, "/api/v3/ping") == 0 && get) { sim_buf_puts(&r->body, "{}"); return; }
    if (strcmp(p, "/api/v3/time") == 0 && get) {
        sim_buf_printf(&r->body, "{\"serverTime\":%lld}", (long long)ms_of(simd_wall_ns()));
        return;
    }
    if (strcmp(p, "/api/v3/exchangeInfo") == 0 && get) { exchange_info(s, req, r); return; }
    if (strcmp(p, "/api/v3/depth") == 0 && get) { depth(s, req, r); return; }
    char msg[320];
    snprintf(msg, sizeof msg, "%s %s is not served by this sim (served: GET /api/v3/ping, time, exchangeInfo, depth, openOrders, account, order, myTrades; POST and DELETE /api/v3/order)", req->method, p);
    bn_error(r, 404, -1000, msg);
}
