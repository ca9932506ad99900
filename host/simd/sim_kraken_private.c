/* sim_kraken_private.c — Kraken's private REST: /0/private/AddOrder, AddOrderBatch, CancelOrder, CancelAll,
 * CancelAllOrdersAfter, OpenOrders, ClosedOrders, QueryOrders, TradesHistory, Balance, BalanceEx,
 * GetWebSocketsToken, in Kraken's shapes (docs.kraken.com, spot REST). Every call is
 * authenticated first (sim_kraken_auth.c); orders go to the engine with the sim's clock, and its
 * refusals come back as Kraken's error strings (sim_kraken_orders.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"
#include "../core/log.h"
#include "sim_kraken.h"
#include "sim_params.h"

static void error(sim_http_resp *r, const char *err)
{
    sim_buf_reset(&r->body);
    sim_buf_puts(&r->body, "{\"error\":[");
    sim_buf_str(&r->body, err);
    sim_buf_puts(&r->body, "]}");
}

static bool form(const sim_http_req *req, const char *key, char *out, size_t cap)
{
    return req->body && kr_form_get(req->body, key, out, cap);
}

static void seconds(sim_buf *o, int64_t ns) { sim_buf_printf(o, "%lld.%04lld", (long long)(ns / 1000000000LL), (long long)(ns % 1000000000LL / 100000)); }

static const char *status_text(const th_sim_order *o)
{
    switch (o->status) {
    case TH_SIM_ST_OPEN: return "open";
    case TH_SIM_ST_FILLED: return "closed";
    case TH_SIM_ST_CANCELED: return o->cancel_reason == TH_SIM_CANCEL_IOC ? "expired" : "canceled";
    default: return "canceled";
    }
}

static void descr_order(simd *s, sim_buf *o, const th_sim_order *ord)
{
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    sim_buf_printf(o, "%s ", ord->side == TH_SIM_BUY ? "buy" : "sell");
    sim_buf_dec(o, ord->qty, in->qty_dec, in->qty_dec, false);
    sim_buf_printf(o, " %s @ %s", kr_of(s)->pairs[ord->ins].alt, ord->type == TH_SIM_LIMIT ? "limit " : "market");
    if (ord->type == TH_SIM_LIMIT) sim_buf_dec(o, ord->price, in->price_dec, in->price_dec, false);
}

/* One order as OpenOrders / ClosedOrders / QueryOrders show it: "<txid>":{...} */
static void order_json(simd *s, sim_buf *o, const th_sim_order *ord, bool with_trades)
{
    kr_state *k = kr_of(s);
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    char id[32];
    kr_id_text('O', ord->id, id);
    sim_buf_str(o, id);
    sim_buf_printf(o, ":{\"refid\":null,\"userref\":%lld,", (long long)ord->userref);
    if (ord->cl_ord_id[0]) { sim_buf_puts(o, "\"cl_ord_id\":"); sim_buf_str(o, ord->cl_ord_id); sim_buf_putc(o, ','); }
    sim_buf_printf(o, "\"status\":\"%s\",\"opentm\":", status_text(ord));
    seconds(o, ord->created_ns);
    if (ord->status != TH_SIM_ST_OPEN) { sim_buf_puts(o, ",\"closetm\":"); seconds(o, ord->updated_ns); }
    sim_buf_puts(o, ",\"starttm\":0,\"expiretm\":0,\"descr\":{\"pair\":");
    sim_buf_str(o, k->pairs[ord->ins].alt);
    sim_buf_printf(o, ",\"type\":\"%s\",\"ordertype\":\"%s\",\"price\":", ord->side == TH_SIM_BUY ? "buy" : "sell",
                   ord->type == TH_SIM_LIMIT ? "limit" : "market");
    sim_buf_dec(o, ord->price, in->price_dec, in->price_dec, true);
    sim_buf_puts(o, ",\"price2\":\"0\",\"leverage\":\"none\",\"order\":\"");
    descr_order(s, o, ord);
    sim_buf_puts(o, "\",\"close\":\"\"},\"vol\":");
    sim_buf_dec(o, ord->qty, in->qty_dec, in->qty_dec, true);
    sim_buf_puts(o, ",\"vol_exec\":");
    sim_buf_dec(o, ord->filled, in->qty_dec, in->qty_dec, true);
    sim_buf_puts(o, ",\"cost\":");
    kr_money(o, ord->cost, in->price_dec + in->qty_dec, true);
    sim_buf_puts(o, ",\"fee\":");
    kr_money(o, ord->fee, TH_SIM_SCALE, true);
    sim_buf_puts(o, ",\"price\":");
    kr_avg_price(o, ord, in, true);
    sim_buf_printf(o, ",\"stopprice\":\"0\",\"limitprice\":\"0\",\"misc\":\"\",\"oflags\":\"fciq%s\"", ord->post_only ? ",post" : "");
    if (ord->status == TH_SIM_ST_CANCELED)
        sim_buf_printf(o, ",\"reason\":\"%s\"", ord->cancel_reason == TH_SIM_CANCEL_IOC ? "Unfilled IOC" :
                                               ord->cancel_reason == TH_SIM_CANCEL_DEAD_MAN ? "Dead man switch" : "User requested");
    if (with_trades) {
        sim_buf_puts(o, ",\"trades\":[");
        for (int32_t i = 0; i < th_sim_trade_count(s->engine); i++) {
            const th_sim_trade *t = th_sim_trade_at(s->engine, i);
            if (t->order_id != ord->id) continue;
            char tid[32];
            kr_id_text('T', t->id, tid);
            sim_buf_str(o, tid);
            sim_buf_putc(o, ',');
        }
        sim_buf_unput(o, ',');
        sim_buf_putc(o, ']');
    }
    sim_buf_puts(o, "},");
}

static void add_order(simd *s, int32_t a, const sim_http_req *req, sim_http_resp *r)
{
    kr_order_args args;
    memset(&args, 0, sizeof args);
    form(req, "pair", args.pair, sizeof args.pair);
    form(req, "type", args.side, sizeof args.side);
    form(req, "ordertype", args.type, sizeof args.type);
    form(req, "volume", args.qty, sizeof args.qty);
    form(req, "price", args.price, sizeof args.price);
    form(req, "timeinforce", args.tif, sizeof args.tif);
    form(req, "cl_ord_id", args.cl_ord_id, sizeof args.cl_ord_id);
    form(req, "userref", args.userref, sizeof args.userref);
    char flags[128] = "", validate[16] = "";
    form(req, "oflags", flags, sizeof flags);
    form(req, "validate", validate, sizeof validate);
    args.post_only = strstr(flags, "post") != NULL;
    th_sim_order_req oreq;
    const char *bad = kr_order_build(s, &args, &oreq);
    if (bad) { error(r, bad); return; }
    th_sim_order shown = {.ins = oreq.ins, .side = oreq.side, .type = oreq.type, .price = oreq.price, .qty = oreq.qty};
    sim_buf *o = &r->body;
    if (strcmp(validate, "true") == 0 || strcmp(validate, "1") == 0) {
        sim_buf_puts(o, "{\"error\":[],\"result\":{\"descr\":{\"order\":\"");
        descr_order(s, o, &shown);
        sim_buf_puts(o, "\"}}}");
        return;
    }
    uint64_t id = 0;
    th_sim_reject rj = th_sim_place(s->engine, a, &oreq, simd_now_ns(s), &id);
    if (rj != TH_SIM_OK) { error(r, kr_reject_text(rj)); return; }
    char txid[32];
    kr_id_text('O', id, txid);
    sim_buf_puts(o, "{\"error\":[],\"result\":{\"descr\":{\"order\":\"");
    descr_order(s, o, &shown);
    sim_buf_puts(o, "\"},\"txid\":[");
    sim_buf_str(o, txid);
    sim_buf_puts(o, "]}}");
}

static void tok_text(const th_json *j, int t, char *out, size_t cap)
{
    out[0] = 0;
    if (t < 0 || j->tok[t].type == TH_JSON_OBJECT || j->tok[t].type == TH_JSON_ARRAY) return;
    if (th_json_len(j, t) >= cap) { snprintf(out, cap, "?"); return; } /* too long: refused as malformed */
    th_json_copy(j, t, out, cap);
}

/* AddOrderBatch: a JSON body {"nonce","pair","orders":[{ordertype,type,volume,price,timeinforce,
 * oflags,cl_ord_id,userref},...],"validate"} (2 to 15 orders of one pair). Each order is checked
 * and placed in turn; one refused is an {"error":...} entry in its place and the rest go on, as
 * Kraken documents. */
static void add_order_batch(simd *s, int32_t a, const sim_http_req *req, sim_http_resp *r)
{
    th_json *j = &kr_of(s)->json;
    if (!req->body || req->body[0] != '{' || th_json_parse(j, req->body, req->body_n) < 0 || j->tok[0].type != TH_JSON_OBJECT) {
        error(r, "EGeneral:Invalid arguments:AddOrderBatch takes a JSON body");
        return;
    }
    int orders = th_json_get(j, 0, "orders");
    char pair[64], validate[16];
    tok_text(j, th_json_get(j, 0, "pair"), pair, sizeof pair);
    tok_text(j, th_json_get(j, 0, "validate"), validate, sizeof validate);
    bool only_validate = strcmp(validate, "true") == 0 || strcmp(validate, "1") == 0;
    if (orders < 0 || j->tok[orders].type != TH_JSON_ARRAY || j->tok[orders].size < 2 || j->tok[orders].size > 15) {
        error(r, "EGeneral:Invalid arguments:orders (2 to 15 orders of one pair)");
        return;
    }
    if (kr_pair_find(s, pair, strlen(pair)) < 0) { error(r, "EQuery:Unknown asset pair"); return; }
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"error\":[],\"result\":{\"orders\":[");
    int t = orders + 1;
    for (int i = 0; i < j->tok[orders].size; i++, t = th_json_skip(j, t)) {
        const char *bad = NULL;
        kr_order_args args;
        memset(&args, 0, sizeof args);
        th_sim_order_req oreq;
        if (j->tok[t].type != TH_JSON_OBJECT) {
            bad = "EGeneral:Invalid arguments:orders";
        } else {
            char flags[128];
            snprintf(args.pair, sizeof args.pair, "%s", pair);
            tok_text(j, th_json_get(j, t, "type"), args.side, sizeof args.side);
            tok_text(j, th_json_get(j, t, "ordertype"), args.type, sizeof args.type);
            tok_text(j, th_json_get(j, t, "volume"), args.qty, sizeof args.qty);
            tok_text(j, th_json_get(j, t, "price"), args.price, sizeof args.price);
            tok_text(j, th_json_get(j, t, "timeinforce"), args.tif, sizeof args.tif);
            tok_text(j, th_json_get(j, t, "cl_ord_id"), args.cl_ord_id, sizeof args.cl_ord_id);
            tok_text(j, th_json_get(j, t, "userref"), args.userref, sizeof args.userref);
            tok_text(j, th_json_get(j, t, "oflags"), flags, sizeof flags);
            args.post_only = strstr(flags, "post") != NULL;
            bad = kr_order_build(s, &args, &oreq);
        }
        if (bad) {
            sim_buf_puts(o, "{\"error\":");
            sim_buf_str(o, bad);
            sim_buf_puts(o, "},");
            continue;
        }
        th_sim_order shown = {.ins = oreq.ins, .side = oreq.side, .type = oreq.type, .price = oreq.price, .qty = oreq.qty};
        uint64_t id = 0;
        th_sim_reject rj = only_validate ? TH_SIM_OK : th_sim_place(s->engine, a, &oreq, simd_now_ns(s), &id);
        if (rj != TH_SIM_OK) {
            sim_buf_puts(o, "{\"error\":");
            sim_buf_str(o, kr_reject_text(rj));
            sim_buf_puts(o, "},");
            continue;
        }
        sim_buf_puts(o, "{");
        if (!only_validate) {
            char txid[32];
            kr_id_text('O', id, txid);
            sim_buf_puts(o, "\"txid\":");
            sim_buf_str(o, txid);
            sim_buf_putc(o, ',');
        }
        sim_buf_puts(o, "\"descr\":{\"order\":\"");
        descr_order(s, o, &shown);
        sim_buf_puts(o, "\"}},");
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "]}}");
}

/* Cancel by txid (an order id, a userref: every open order with it, or a cl_ord_id) or cl_ord_id. */
static void cancel_order(simd *s, int32_t a, const sim_http_req *req, sim_http_resp *r)
{
    char txid[2048] = "", cl[96] = ""; /* as long as kr_rest lets them be: never read cut */
    form(req, "txid", txid, sizeof txid);
    form(req, "cl_ord_id", cl, sizeof cl);
    int64_t now = simd_now_ns(s);
    int count = 0;
    th_sim_reject rj = TH_SIM_REJ_UNKNOWN_ORDER;
    uint64_t id;
    if (cl[0]) {
        rj = th_sim_cancel_cl(s->engine, a, cl, now);
        count = rj == TH_SIM_OK;
    } else if (kr_parse_id(txid, strlen(txid), 'O', &id)) {
        rj = th_sim_cancel(s->engine, a, id, now);
        count = rj == TH_SIM_OK;
    } else if (txid[0]) {
        int64_t userref;
        bool digits = strspn(txid + (txid[0] == '-'), "0123456789") == strlen(txid + (txid[0] == '-'));
        if (digits && !sim_parse_int(txid, INT32_MIN, INT32_MAX, &userref)) {
            /* a userref is an int32: strtoll would clamp a longer number and match none in silence */
            error(r, "EGeneral:Invalid arguments:txid");
            return;
        }
        if (digits) {
            const th_sim_order *open[512];
            int32_t n = th_sim_open_orders(s->engine, a, -1, open, 512);
            uint64_t ids[512];
            int32_t m = 0;
            for (int32_t i = 0; i < n && i < 512; i++)
                if (open[i]->userref == userref) ids[m++] = open[i]->id;
            for (int32_t i = 0; i < m; i++) count += th_sim_cancel(s->engine, a, ids[i], now) == TH_SIM_OK;
            rj = count ? TH_SIM_OK : TH_SIM_REJ_UNKNOWN_ORDER;
        } else {
            rj = th_sim_cancel_cl(s->engine, a, txid, now);
            count = rj == TH_SIM_OK;
        }
    }
    if (rj != TH_SIM_OK) { error(r, kr_reject_text(rj)); return; }
    sim_buf_printf(&r->body, "{\"error\":[],\"result\":{\"count\":%d}}", count);
}

static void orders_list(simd *s, int32_t a, sim_http_resp *r, bool open)
{
    sim_buf *o = &r->body;
    sim_buf_printf(o, "{\"error\":[],\"result\":{\"%s\":{", open ? "open" : "closed");
    int32_t n = 0;
    for (int32_t i = th_sim_order_count(s->engine) - 1; i >= 0; i--) {
        const th_sim_order *ord = th_sim_order_at(s->engine, i);
        if (ord->account != a || (ord->status == TH_SIM_ST_OPEN) != open) continue;
        order_json(s, o, ord, false);
        n++;
    }
    sim_buf_unput(o, ',');
    if (open) sim_buf_puts(o, "}}}");
    else sim_buf_printf(o, "},\"count\":%d}}", n);
}

static void query_orders(simd *s, int32_t a, const sim_http_req *req, sim_http_resp *r)
{
    char list[2048] = "", trades[16] = "", userref[32] = "";
    form(req, "txid", list, sizeof list);
    form(req, "trades", trades, sizeof trades);
    form(req, "userref", userref, sizeof userref);
    int ids = list[0] != 0;
    for (const char *c = list; *c; c++) ids += *c == ',';
    if (ids > 50) { error(r, "EGeneral:Invalid arguments:txid (at most 50 ids)"); return; }
    bool with_trades = strcmp(trades, "true") == 0 || strcmp(trades, "1") == 0;
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"error\":[],\"result\":{");
    int found = 0, asked = 0;
    for (char *p = list; *p;) {
        char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        uint64_t id;
        asked++;
        const th_sim_order *ord = kr_parse_id(p, n, 'O', &id) ? th_sim_order_find(s->engine, id) : NULL;
        if (ord && ord->account == a) { order_json(s, o, ord, with_trades); found++; }
        p = comma ? comma + 1 : p + n;
    }
    if (userref[0]) {
        long long u = strtoll(userref, NULL, 10);
        for (int32_t i = 0; i < th_sim_order_count(s->engine); i++) {
            const th_sim_order *ord = th_sim_order_at(s->engine, i);
            if (ord->account == a && ord->userref == u) { order_json(s, o, ord, with_trades); found++; }
        }
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "}}");
    if (!found && (asked || userref[0])) error(r, "EOrder:Invalid order");
    else if (!asked && !userref[0]) error(r, "EGeneral:Invalid arguments:txid");
}

/* A form value in unix seconds with a fraction ("1618678135.1234"), as ns; false if absent or not
 * a number (Kraken also takes a trade id there: not served). */
static bool form_seconds(const sim_http_req *req, const char *key, int64_t *ns, bool *bad)
{
    char v[48];
    if (!form(req, key, v, sizeof v) || !v[0]) return false;
    char *end;
    double x = strtod(v, &end);
    if (*end || x < 0) { *bad = true; return false; }
    *ns = (int64_t)(x * 1e9 + 0.5);
    return true;
}

/* TradesHistory as Kraken pages it: the account's trades newest first, 50 per answer, `count` the
 * number of all that match; `start` and `end` (unix seconds, exclusive) bound them, `ofs` skips
 * that many of the matching ones. A client that wants all of them asks again with ofs += 50. */
#define KR_TRADES_PAGE 50
static void trades_history(simd *s, int32_t a, const sim_http_req *req, sim_http_resp *r)
{
    kr_state *k = kr_of(s);
    sim_buf *o = &r->body;
    int64_t start = -1, end = INT64_MAX;
    bool bad = false;
    form_seconds(req, "start", &start, &bad);
    form_seconds(req, "end", &end, &bad);
    char ofs_s[24] = "";
    long ofs = 0;
    if (form(req, "ofs", ofs_s, sizeof ofs_s) && ofs_s[0]) {
        char *e;
        ofs = strtol(ofs_s, &e, 10);
        if (*e || ofs < 0) bad = true;
    }
    if (bad) { error(r, "EGeneral:Invalid arguments"); return; }
    sim_buf_puts(o, "{\"error\":[],\"result\":{\"trades\":{");
    int n = 0, matched = 0;
    for (int32_t i = th_sim_trade_count(s->engine) - 1; i >= 0; i--) {
        const th_sim_trade *t = th_sim_trade_at(s->engine, i);
        if (t->account != a) continue;
        /* Kraken's times have a 4-decimal resolution: compare at it, as a client that sends back a
         * time it was given expects */
        int64_t ts = t->ts_ns / 100000 * 100000;
        if (ts <= start || ts >= end) continue;
        if (matched++ < ofs || n >= KR_TRADES_PAGE) continue;
        const th_instrument *in = &s->feed.instruments.v[t->ins];
        const th_sim_order *ord = th_sim_order_find(s->engine, t->order_id);
        char tid[32], oid[32];
        kr_id_text('T', t->id, tid);
        kr_id_text('O', t->order_id, oid);
        sim_buf_str(o, tid);
        sim_buf_puts(o, ":{\"ordertxid\":");
        sim_buf_str(o, oid);
        sim_buf_puts(o, ",\"postxid\":");
        sim_buf_str(o, tid);
        sim_buf_puts(o, ",\"pair\":");
        sim_buf_str(o, k->pairs[t->ins].id);
        sim_buf_puts(o, ",\"time\":");
        seconds(o, t->ts_ns);
        sim_buf_printf(o, ",\"type\":\"%s\",\"ordertype\":\"%s\",\"price\":", t->side == TH_SIM_BUY ? "buy" : "sell",
                       ord && ord->type == TH_SIM_MARKET ? "market" : "limit");
        sim_buf_dec(o, t->price, in->price_dec, in->price_dec, true);
        sim_buf_puts(o, ",\"cost\":");
        kr_money(o, t->cost, in->price_dec + in->qty_dec, true);
        sim_buf_puts(o, ",\"fee\":");
        kr_money(o, t->fee, TH_SIM_SCALE, true);
        sim_buf_puts(o, ",\"vol\":");
        sim_buf_dec(o, t->qty, in->qty_dec, in->qty_dec, true);
        sim_buf_printf(o, ",\"margin\":\"0\",\"leverage\":\"0\",\"misc\":\"\",\"maker\":%s,\"trade_id\":%llu},",
                       t->maker ? "true" : "false", (unsigned long long)t->id);
        n++;
    }
    sim_buf_unput(o, ',');
    sim_buf_printf(o, "},\"count\":%d}}", matched);
}

static void balances(simd *s, int32_t a, sim_http_resp *r, bool ex)
{
    kr_state *k = kr_of(s);
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"error\":[],\"result\":{");
    for (int32_t i = 0; i < th_sim_asset_count(s->engine); i++) {
        const char *name = th_sim_asset_name(s->engine, i);
        th_money total, held;
        if (th_sim_balance_get(s->engine, a, name, &total, &held) != 0) continue;
        int32_t ka = kr_asset_find(k, name, strlen(name));
        const kr_asset *x = ka >= 0 ? &k->assets[ka] : NULL;
        int dec = x && x->fiat ? 4 : 10;
        /* Kraken shows balances at the asset's decimals, truncated */
        th_money unit = th_money_pow10(TH_SIM_SCALE - dec);
        sim_buf_str(o, x ? x->id : name);
        if (ex) {
            sim_buf_puts(o, ":{\"balance\":");
            kr_money(o, total / unit, dec, true);
            sim_buf_puts(o, ",\"hold_trade\":");
            kr_money(o, (held + unit - 1) / unit, dec, true);
            sim_buf_puts(o, "},");
        } else {
            sim_buf_putc(o, ':');
            kr_money(o, total / unit, dec, true);
            sim_buf_putc(o, ',');
        }
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "}}");
}

static void cancel_after(simd *s, int32_t a, const sim_http_req *req, sim_http_resp *r)
{
    char t[32] = "";
    form(req, "timeout", t, sizeof t);
    char *end;
    long v = strtol(t, &end, 10);
    if (!t[0] || *end || v < 0 || v >= 86400) { error(r, "EGeneral:Invalid arguments:timeout"); return; }
    int64_t now = simd_now_ns(s), trigger = v ? now + (int64_t)v * 1000000000LL : 0;
    th_sim_dead_man(s->engine, a, trigger);
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"error\":[],\"result\":{\"currentTime\":");
    sim_buf_time(o, now);
    sim_buf_puts(o, ",\"triggerTime\":");
    if (trigger) sim_buf_time(o, trigger);
    else sim_buf_puts(o, "\"0\"");
    sim_buf_puts(o, "}}");
}

/* --rest-counter: Kraken's REST API counter of the account's key (rate_limit.h has the tiers and
 * the costs): a call that would pass the threshold is refused and adds nothing. */
static bool rest_counter_take(simd *s, int32_t a, const char *method)
{
    kr_state *k = kr_of(s);
    double cost = th_kraken_rest_cost(method), cap, decay;
    if (!s->opt.rest_counter || cost <= 0) return true;
    int64_t now = simd_wall_ns();
    if (a >= k->nrest) {
        th_bucket *v = realloc(k->rest, sizeof *v * (size_t)(a + 1));
        if (!v) return true;
        for (int32_t i = k->nrest; i <= a; i++) {
            int32_t tier = i < s->accounts.n ? s->accounts.v[i].tier : 0;
            if (th_kraken_rest_limits(tier, &cap, &decay) != 0) th_kraken_rest_limits(0, &cap, &decay);
            th_bucket_init(&v[i], cap, decay, now);
        }
        k->rest = v;
        k->nrest = a + 1;
    }
    if (th_bucket_take(&k->rest[a], cost, now)) return true;
    if (s->rest_refused++ % 20 == 0)
        th_logf(TH_LOG_WARN, "sim: REST counter: call refused (EAPI:Rate limit exceeded)", "method=%s account=%d refused=%llu", method, a,
                (unsigned long long)s->rest_refused);
    return false;
}

void kr_private_rest(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    const char *err;
    int32_t a = kr_auth_rest(s, req, &err);
    if (a < 0) { error(r, err); return; }
    const char *m = req->path + strlen("/0/private/");
    if (!rest_counter_take(s, a, m)) { error(r, "EAPI:Rate limit exceeded"); return; }
    kr_events_hold(s); /* the answer first, then its execution events (as Kraken) */
    if (strcmp(m, "AddOrder") == 0) add_order(s, a, req, r);
    else if (strcmp(m, "AddOrderBatch") == 0) add_order_batch(s, a, req, r);
    else if (strcmp(m, "CancelOrder") == 0) cancel_order(s, a, req, r);
    else if (strcmp(m, "CancelAll") == 0) {
        int32_t n = 0;
        th_sim_cancel_all(s->engine, a, -1, simd_now_ns(s), &n);
        sim_buf_printf(&r->body, "{\"error\":[],\"result\":{\"count\":%d}}", n);
    } else if (strcmp(m, "CancelAllOrdersAfter") == 0) cancel_after(s, a, req, r);
    else if (strcmp(m, "OpenOrders") == 0) orders_list(s, a, r, true);
    else if (strcmp(m, "ClosedOrders") == 0) orders_list(s, a, r, false);
    else if (strcmp(m, "QueryOrders") == 0) query_orders(s, a, req, r);
    else if (strcmp(m, "TradesHistory") == 0) trades_history(s, a, req, r);
    else if (strcmp(m, "Balance") == 0) balances(s, a, r, false);
    else if (strcmp(m, "BalanceEx") == 0) balances(s, a, r, true);
    else if (strcmp(m, "GetWebSocketsToken") == 0) {
        const char *tok = kr_token_issue(s, a);
        if (!tok) error(r, "EGeneral:Internal error");
        else {
            sim_buf_puts(&r->body, "{\"error\":[],\"result\":{\"token\":");
            sim_buf_str(&r->body, tok);
            sim_buf_puts(&r->body, ",\"expires\":900}}");
        }
    } else {
        r->status = 404;
        error(r, "EGeneral:Unknown method");
    }
    kr_events_flush(s);
}
