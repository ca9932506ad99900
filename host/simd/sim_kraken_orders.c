/* sim_kraken_orders.c — what Kraken's REST and WS order calls share: reading an order's fields
 * into an engine request, the engine's refusals as Kraken's error strings, Kraken's order and
 * trade ids (the engine's own spelling, th_sim_format_kraken_id, read back here), and the decimal
 * texts of an order's cost, average price and fee. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/decimal.h"
#include "sim_kraken.h"

const char *kr_reject_text(th_sim_reject r)
{
    switch (r) {
    case TH_SIM_OK: return "";
    case TH_SIM_REJ_UNKNOWN_SYMBOL: return "EQuery:Unknown asset pair";
    case TH_SIM_REJ_INSUFFICIENT_FUNDS: return "EOrder:Insufficient funds";
    case TH_SIM_REJ_POST_ONLY_WOULD_CROSS: return "EOrder:Post only order";
    case TH_SIM_REJ_BELOW_MIN_SIZE: return "EOrder:Order minimum not met";
    case TH_SIM_REJ_BELOW_MIN_COST: return "EOrder:Cost minimum not met";
    case TH_SIM_REJ_BAD_TICK: return "EOrder:Invalid price";
    case TH_SIM_REJ_BAD_LOT: return "EGeneral:Invalid arguments:volume";
    case TH_SIM_REJ_UNKNOWN_ORDER: return "EOrder:Unknown order";
    case TH_SIM_REJ_RATE_LIMITED: return "EOrder:Rate limit exceeded";
    case TH_SIM_REJ_BAD_REQUEST: return "EGeneral:Invalid arguments";
    case TH_SIM_REJ_DUPLICATE_CL_ORD_ID: return "EOrder:Duplicate cl_ord_id";
    case TH_SIM_REJ_NO_LIQUIDITY: return "EOrder:Insufficient liquidity";
    case TH_SIM_REJ_COUNT: break;
    }
    return "EGeneral:Internal error";
}

void kr_id_text(char prefix, uint64_t id, char out[32]) { th_sim_format_kraken_id(prefix, id, out); }

bool kr_parse_id(const char *text, size_t n, char prefix, uint64_t *id)
{
    /* "OABCDE-FGHIJ-KLMNOP": the last 13 base-32 letters spell the id (sim_engine.c) */
    if (n != 19 || text[0] != prefix || text[6] != '-' || text[12] != '-') return false;
    char l[16];
    memcpy(l, text + 1, 5);
    memcpy(l + 5, text + 7, 5);
    memcpy(l + 10, text + 13, 6);
    uint64_t v = 0;
    for (int i = 3; i < 16; i++) {
        char c = l[i];
        int d = c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
        if (d < 0) return false;
        v = (v << 5) | (uint64_t)d;
    }
    char back[32];
    th_sim_format_kraken_id(prefix, v, back);
    if (memcmp(back, text, 19) != 0) return false;
    *id = v;
    return true;
}

const char *kr_order_build(simd *s, const kr_order_args *a, th_sim_order_req *req)
{
    static char msg[160];
    memset(req, 0, sizeof *req);
    int32_t ins = kr_pair_find(s, a->pair, strlen(a->pair));
    if (!a->pair[0]) return "EGeneral:Invalid arguments:pair";
    if (ins < 0) return "EQuery:Unknown asset pair";
    const th_instrument *in = &s->feed.instruments.v[ins];
    req->ins = ins;
    if (strcasecmp(a->side, "buy") == 0) req->side = TH_SIM_BUY;
    else if (strcasecmp(a->side, "sell") == 0) req->side = TH_SIM_SELL;
    else return "EGeneral:Invalid arguments:type";
    if (strcasecmp(a->type, "limit") == 0) req->type = TH_SIM_LIMIT;
    else if (strcasecmp(a->type, "market") == 0) req->type = TH_SIM_MARKET;
    else if (!a->type[0]) return "EGeneral:Invalid arguments:ordertype";
    else return "EGeneral:Invalid arguments:ordertype not served by the sim (limit, market)";
    int rc = th_dec_parse(a->qty, strlen(a->qty), in->qty_dec, &req->qty);
    if (!a->qty[0] || rc == TH_DEC_ESYNTAX || rc == TH_DEC_ERANGE || (rc == TH_DEC_OK && req->qty <= 0))
        return "EGeneral:Invalid arguments:volume";
    if (rc == TH_DEC_EINEXACT) {
        snprintf(msg, sizeof msg, "EGeneral:Invalid arguments:volume can only be specified up to %d decimals", in->qty_dec);
        return msg;
    }
    if (req->type == TH_SIM_LIMIT) {
        if (!a->price[0]) return "EGeneral:Invalid arguments:price";
        rc = th_dec_parse(a->price, strlen(a->price), in->price_dec, &req->price);
        if (rc == TH_DEC_EINEXACT) {
            snprintf(msg, sizeof msg, "EOrder:Invalid price:%s price can only be specified up to %d decimals.", in->symbol, in->price_dec);
            return msg;
        }
        if (rc != TH_DEC_OK || req->price <= 0) return "EGeneral:Invalid arguments:price";
    }
    if (!a->tif[0] || strcasecmp(a->tif, "GTC") == 0 || strcasecmp(a->tif, "gtc") == 0) req->tif = TH_SIM_GTC;
    else if (strcasecmp(a->tif, "IOC") == 0) req->tif = TH_SIM_IOC;
    else return "EGeneral:Invalid arguments:timeinforce (GTC or IOC)";
    req->post_only = a->post_only;
    if (req->post_only && req->type == TH_SIM_MARKET) return "EGeneral:Invalid arguments:post only is for limit orders";
    if (strlen(a->cl_ord_id) >= TH_SIM_CL_ORD_ID_MAX) return "EGeneral:Invalid arguments:cl_ord_id";
    req->cl_ord_id = a->cl_ord_id;
    if (a->userref[0]) {
        char *end;
        long long u = strtoll(a->userref, &end, 10);
        if (*end || u < INT32_MIN || u > INT32_MAX) return "EGeneral:Invalid arguments:userref";
        req->userref = u;
    }
    return NULL;
}

void kr_money(sim_buf *o, th_money m, int scale, bool quoted)
{
    char t[64];
    if (th_money_format_short(m, scale, t, sizeof t) < 0) snprintf(t, sizeof t, "0");
    if (quoted) sim_buf_str(o, t);
    else sim_buf_puts(o, t);
}

void kr_avg_price(sim_buf *o, const th_sim_order *ord, const th_instrument *in, bool quoted)
{
    /* cost (10^-(p+q)) / filled (10^-q) is a price at 10^-p; 4 more decimals, then trimmed */
    th_money avg = ord->filled > 0 ? ord->cost * 10000 / ord->filled : 0;
    kr_money(o, avg, in->price_dec + 4, quoted);
}
