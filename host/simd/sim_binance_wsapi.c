/* sim_binance_wsapi.c — Binance spot's WebSocket API (ws_api, the private port), and the server
 * pings of every Binance websocket.
 *
 * Requests {"id","method","params"} are answered {"id","status":200,"result":...,"rateLimits":[...]}
 * or {"id","status":4xx,"error":{"code","msg"},"rateLimits":[...]} (rateLimits left out when the
 * request says returnRateLimits=false), as Binance's websocket-api docs show. Served:
 *   ping, time                           unsigned
 *   order.place, order.cancel, order.status, openOrders.status, account.status, myTrades
 *                                        signed; the bodies are the signed REST endpoints' own
 *                                        (sim_binance_private.c), so the two can never disagree
 *   userDataStream.subscribe.signature   signed; then {"subscriptionId":N,"event":{...}} with
 *                                        executionReport and outboundAccountPosition events
 *   userDataStream.unsubscribe           by subscriptionId (none: every subscription)
 * Signing, as Binance's docs: every param but `signature`, sorted by name, joined as name=value
 * with '&' (values as sent, not URL-encoded), HMAC-SHA256 with the secret, hex; `apiKey` and
 * `timestamp` are params. Request weight shares the REST counter (one IP); over it: 429, -1003
 * and data.retryAfter. Events caused by a request are sent after its answer.
 *
 * Pings: every --ws-ping-ms (Binance: 20 s) each Binance websocket gets a ping control frame; a
 * connection that has not answered one with a pong for three intervals (Binance: a minute; at
 * least 10 s) is cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "sim_binance.h"

#define BN_API_SUBS 4     /* user data subscriptions per connection (one per account) */
#define BN_API_PARAMS 40  /* params per request */

typedef struct bn_held {
    int32_t account;
    char *json;           /* one event object */
} bn_held;

typedef struct bn_api_conn {
    int32_t sub_account[BN_API_SUBS]; /* -1: free */
    int32_t sub_id[BN_API_SUBS];
    int32_t next_sub;
} bn_api_conn;

static int64_t ms_of(int64_t ns) { return ns / 1000000; }

/* ---- answers ---- */

typedef struct api_req {
    simd *s;
    sim_ws *ws;
    const th_json *j;
    int id;               /* the id token, -1 none */
    bool rate_limits;     /* returnRateLimits (default true) */
    int64_t time_in;      /* wall clock when the request was taken (simTimeIn) */
    int32_t account;      /* order.place: its account, whose ORDERS counts the answer carries; -1 other */
} api_req;

static void put_id(sim_buf *o, const api_req *r)
{
    const th_json *j = r->j;
    sim_buf_puts(o, "{\"id\":");
    if (r->id >= 0) {
        bool str = j->tok[r->id].type == TH_JSON_STRING;
        sim_buf_put(o, th_json_ptr(j, r->id) - str, th_json_len(j, r->id) + 2 * str);
    } else {
        sim_buf_puts(o, "null");
    }
}

/* REQUEST_WEIGHT always; ORDERS (10 s and day) on order.place answers when --orders-per-10s is set */
static void put_rate_limits(simd *s, sim_buf *o, int32_t order_account)
{
    sim_buf_printf(o, ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,"
                      "\"limit\":%d,\"count\":%d}",
                   BN_WEIGHT_LIMIT, bn_of(s)->weight);
    if (order_account >= 0) bn_order_count_json(s, order_account, o);
    sim_buf_putc(o, ']');
}

/* status 200: body is the result; otherwise Binance's {"code","msg"} */
static void answer(api_req *r, int status, const sim_buf *body, int64_t retry_after_ms)
{
    sim_buf *o = &bn_of(r->s)->out;
    sim_buf_reset(o);
    put_id(o, r);
    sim_buf_printf(o, ",\"status\":%d,\"%s\":", status, status == 200 ? "result" : "error");
    if (status != 200 && retry_after_ms > 0 && body->n > 1) {
        /* {"code","msg","data":{"serverTime","retryAfter"}} */
        sim_buf_put(o, sim_buf_text(body), body->n - 1);
        sim_buf_printf(o, ",\"data\":{\"serverTime\":%lld,\"retryAfter\":%lld}}", (long long)ms_of(simd_wall_ns()),
                       (long long)retry_after_ms);
    } else {
        sim_buf_put(o, sim_buf_text(body), body->n);
    }
    if (r->rate_limits) put_rate_limits(r->s, o, r->account);
    /* the sim's own: when it took the request (wall ns), as Kraken's time_in is there; real Binance
     * has no such field. bench/tick_to_order.sh measures with it (connectors/tick_probe.c). */
    sim_buf_printf(o, ",\"simTimeIn\":%lld}", (long long)r->time_in);
    sim_ws_send_tagged(r->ws, o, SIMF_ANSWER, -1);
}

static void answer_error(api_req *r, int status, int code, const char *msg)
{
    sim_http_resp e = {.status = status};
    sim_buf_init(&e.body);
    bn_error(&e, status, code, msg);
    answer(r, status, &e.body, 0);
    sim_buf_free(&e.body);
}

static void answer_text(api_req *r, const char *result)
{
    sim_buf b;
    sim_buf_init(&b);
    sim_buf_puts(&b, result);
    answer(r, 200, &b, 0);
    sim_buf_free(&b);
}

/* A 429: the weight counter's Retry-After, as a timestamp (Binance's data.retryAfter). */
static void answer_too_many(api_req *r, int code, const char *msg)
{
    sim_http_resp e = {.status = 429};
    sim_buf_init(&e.body);
    bn_too_many(r->s, &e);
    if (code != -1003) bn_error(&e, 429, code, msg);
    int64_t now = ms_of(simd_wall_ns());
    answer(r, 429, &e.body, now + 60000 - now % 60000);
    sim_buf_free(&e.body);
}

/* ---- user data events ---- */

static void send_event(simd *s, int32_t account, const char *ev, size_t n)
{
    bn_state *b = bn_of(s);
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PRIVATE]; ws; ws = ws->next) {
        bn_api_conn *c = ws->user;
        if (!c) continue;
        for (int k = 0; k < BN_API_SUBS; k++) {
            if (c->sub_account[k] != account) continue;
            sim_buf_reset(&b->out);
            sim_buf_printf(&b->out, "{\"subscriptionId\":%d,\"event\":", c->sub_id[k]);
            sim_buf_put(&b->out, ev, n);
            sim_buf_putc(&b->out, '}');
            sim_ws_send_tagged(ws, &b->out, SIMF_EVENT, -1);
        }
    }
}

static void deliver(simd *s, int32_t account, const sim_buf *ev)
{
    bn_state *b = bn_of(s);
    if (ev->oom) return;
    if (b->hold > 0) {
        if (b->nheld == b->held_cap) {
            int32_t cap = b->held_cap ? b->held_cap * 2 : 16;
            bn_held *h = realloc(b->held, sizeof *h * (size_t)cap);
            if (!h) return;
            b->held = h;
            b->held_cap = cap;
        }
        char *t = strndup(sim_buf_text(ev), ev->n);
        if (t) b->held[b->nheld++] = (bn_held){account, t};
        return;
    }
    send_event(s, account, sim_buf_text(ev), ev->n);
}

static void events_flush(simd *s)
{
    bn_state *b = bn_of(s);
    if (b->hold > 0 && --b->hold > 0) return;
    for (int32_t i = 0; i < b->nheld; i++) {
        send_event(s, b->held[i].account, b->held[i].json, strlen(b->held[i].json));
        free(b->held[i].json);
    }
    b->nheld = 0;
}

static bool subscribed(simd *s, int32_t account)
{
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PRIVATE]; ws; ws = ws->next) {
        bn_api_conn *c = ws->user;
        for (int k = 0; c && k < BN_API_SUBS; k++)
            if (c->sub_account[k] == account) return true;
    }
    return false;
}

static void dec8(sim_buf *o, int64_t v, int scale) { sim_buf_dec(o, v, scale, scale > 8 ? scale : 8, true); }

/* Binance's tradeId of an engine fill: its place in the trade sequence (as REST fills say it). */
static int64_t trade_no(simd *s, const th_sim_trade *t)
{
    for (int32_t i = th_sim_trade_count(s->engine) - 1; i >= 0; i--)
        if (th_sim_trade_at(s->engine, i)->id == t->id) return (int64_t)(s->trades_before + (uint64_t)i + 1);
    return -1;
}

static void execution_report(simd *s, sim_buf *o, const th_sim_event *ev)
{
    const th_sim_order *ord = ev->order;
    const th_sim_trade *t = ev->kind == TH_SIM_EV_FILL ? ev->trade : NULL;
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    bool ioc = ev->kind == TH_SIM_EV_CANCELED && ord->cancel_reason == TH_SIM_CANCEL_IOC;
    const char *x = ev->kind == TH_SIM_EV_NEW ? "NEW" : t ? "TRADE" : ioc ? "EXPIRED" : ev->kind == TH_SIM_EV_CANCELED ? "CANCELED" : "REPLACED";
    int64_t ms = ms_of(ev->ts_ns);
    sim_buf_printf(o, "{\"e\":\"executionReport\",\"E\":%lld,\"s\":", (long long)ms);
    sim_buf_str(o, in->symbol);
    sim_buf_puts(o, ",\"c\":");
    sim_buf_str(o, ord->cl_ord_id);
    sim_buf_printf(o, ",\"S\":\"%s\",\"o\":\"%s\",\"f\":\"%s\",\"q\":", ord->side == TH_SIM_BUY ? "BUY" : "SELL",
                   ord->type == TH_SIM_MARKET ? "MARKET" : ord->post_only ? "LIMIT_MAKER" : "LIMIT", ord->tif == TH_SIM_IOC ? "IOC" : "GTC");
    dec8(o, ord->qty, in->qty_dec);
    sim_buf_puts(o, ",\"p\":");
    dec8(o, ord->price, in->price_dec);
    /* C: the original client id of a cancelled order ("" otherwise) */
    sim_buf_puts(o, ",\"P\":\"0.00000000\",\"F\":\"0.00000000\",\"g\":-1,\"C\":");
    sim_buf_str(o, ev->kind == TH_SIM_EV_CANCELED && !ioc ? ord->cl_ord_id : "");
    sim_buf_printf(o, ",\"x\":\"%s\",\"X\":\"%s\",\"r\":\"NONE\",\"i\":%llu,\"l\":", x, bn_status_text(ord),
                   (unsigned long long)bn_order_no(s, ord));
    dec8(o, t ? t->qty : 0, in->qty_dec);
    sim_buf_puts(o, ",\"z\":");
    dec8(o, ord->filled, in->qty_dec);
    sim_buf_puts(o, ",\"L\":");
    dec8(o, t ? t->price : 0, in->price_dec);
    sim_buf_puts(o, ",\"n\":");
    if (t) {
        bn_money(o, t->fee, TH_SIM_SCALE);
        sim_buf_puts(o, ",\"N\":");
        sim_buf_str(o, th_sim_asset_name(s->engine, t->fee_asset));
    } else {
        sim_buf_puts(o, "\"0\",\"N\":null");
    }
    bool working = ord->status == TH_SIM_ST_OPEN;
    sim_buf_printf(o, ",\"T\":%lld,\"t\":%lld,\"I\":0,\"w\":%s,\"m\":%s,\"M\":false,\"O\":%lld,\"Z\":", (long long)ms,
                   (long long)(t ? trade_no(s, t) : -1),
                   working ? "true" : "false", t && t->maker ? "true" : "false", (long long)ms_of(ord->created_ns));
    bn_money(o, ord->cost, in->price_dec + in->qty_dec);
    sim_buf_puts(o, ",\"Y\":");
    bn_money(o, t ? t->cost : 0, in->price_dec + in->qty_dec);
    sim_buf_printf(o, ",\"Q\":\"0.00000000\",\"W\":%lld,\"V\":\"NONE\"}", (long long)ms_of(ord->created_ns));
}

/* The base and quote balances of the order's instrument, after the event. */
static void account_position(simd *s, sim_buf *o, int32_t account, int32_t ins, int64_t ts)
{
    const th_instrument *in = &s->feed.instruments.v[ins];
    sim_buf_printf(o, "{\"e\":\"outboundAccountPosition\",\"E\":%lld,\"u\":%lld,\"B\":[", (long long)ms_of(ts), (long long)ms_of(ts));
    const char *assets[2] = {in->base, in->quote};
    for (int k = 0; k < 2; k++) {
        th_money total = 0, held = 0;
        th_sim_balance_get(s->engine, account, assets[k], &total, &held);
        sim_buf_puts(o, "{\"a\":");
        sim_buf_str(o, assets[k]);
        sim_buf_puts(o, ",\"f\":");
        bn_money(o, total - held, TH_SIM_SCALE);
        sim_buf_puts(o, ",\"l\":");
        bn_money(o, held, TH_SIM_SCALE);
        sim_buf_puts(o, k ? "}" : "},");
    }
    sim_buf_puts(o, "]}");
}

void bn_order_event(simd *s, const th_sim_event *ev)
{
    if (!ev->order || ev->kind == TH_SIM_EV_REJECTED) return; /* a refusal is the request's answer */
    if (!subscribed(s, ev->account)) return;
    bn_state *b = bn_of(s);
    sim_buf_reset(&b->ev);
    execution_report(s, &b->ev, ev);
    deliver(s, ev->account, &b->ev);
    sim_buf_reset(&b->ev);
    account_position(s, &b->ev, ev->account, ev->order->ins, ev->ts_ns);
    deliver(s, ev->account, &b->ev);
}

/* ---- requests ---- */

typedef struct kv {
    char key[40];
    char val[160];
} kv;

static int kv_cmp(const void *a, const void *b) { return strcmp(((const kv *)a)->key, ((const kv *)b)->key); }

/* The params as name/value texts, sorted by name; -1 when not an object of scalars. */
static int params_read(const th_json *j, int p, kv *out, int cap)
{
    if (p < 0) return 0;
    if (j->tok[p].type != TH_JSON_OBJECT) return -1;
    int n = 0, t = p + 1;
    for (int i = 0; i < j->tok[p].size; i++) {
        int v = t + 1;
        if (n == cap || j->tok[v].type == TH_JSON_OBJECT || j->tok[v].type == TH_JSON_ARRAY) return -1;
        if (th_json_len(j, t) >= sizeof out[n].key || th_json_len(j, v) >= sizeof out[n].val) return -1;
        th_json_copy(j, t, out[n].key, sizeof out[n].key);
        th_json_copy(j, v, out[n].val, sizeof out[n].val);
        n++;
        t = th_json_skip(j, v);
    }
    qsort(out, (size_t)n, sizeof *out, kv_cmp);
    return n;
}

static const char *kv_get(const kv *v, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0) return v[i].val;
    return NULL;
}

/* name=value for the query the REST bodies read (URL-encoded: kr_form_get decodes) */
static void query_of(const kv *v, int n, sim_http_req *q)
{
    size_t at = 0;
    q->query[0] = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(v[i].key, "signature") == 0) continue;
        int k = snprintf(q->query + at, sizeof q->query - at, "%s%s=", at ? "&" : "", v[i].key);
        if (k < 0 || (size_t)k >= sizeof q->query - at) { q->query_too_long = true; return; }
        at += (size_t)k;
        for (const char *c = v[i].val; *c; c++) {
            if (at + 4 >= sizeof q->query) { q->query_too_long = true; return; } /* refused, never read cut */
            unsigned char u = (unsigned char)*c;
            if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || strchr("-_.~", u)) q->query[at++] = (char)u;
            else at += (size_t)snprintf(q->query + at, 4, "%%%02X", u);
        }
        q->query[at] = 0;
    }
}

/* The account of a signed request, or -1 with the error answered. */
static int32_t signed_account(api_req *r, const kv *v, int n)
{
    const char *key = kv_get(v, n, "apiKey");
    if (!key || !key[0]) { answer_error(r, 400, -1102, "Mandatory parameter 'apiKey' was not sent, was empty/null, or malformed."); return -1; }
    sim_buf payload;
    sim_buf_init(&payload);
    for (int i = 0; i < n; i++) {
        if (strcmp(v[i].key, "signature") == 0) continue;
        sim_buf_printf(&payload, "%s%s=%s", payload.n ? "&" : "", v[i].key, v[i].val);
    }
    bn_signed a = {.key = key, .ts = kv_get(v, n, "timestamp"), .rw = kv_get(v, n, "recvWindow"), .sig = kv_get(v, n, "signature"),
                   .payload = sim_buf_text(&payload), .payload_n = payload.n};
    sim_http_resp e = {.status = 200};
    sim_buf_init(&e.body);
    int32_t acc = bn_auth_check(r->s, &a, &e);
    if (acc < 0) answer(r, e.status, &e.body, 0);
    sim_buf_free(&e.body);
    sim_buf_free(&payload);
    return acc;
}

static void subscribe(api_req *r, int32_t acc)
{
    bn_api_conn *c = r->ws->user;
    int free_k = -1;
    for (int k = 0; k < BN_API_SUBS; k++) {
        if (c->sub_account[k] == acc) { free_k = k; break; } /* again: a new id for the same account */
        if (c->sub_account[k] < 0 && free_k < 0) free_k = k;
    }
    if (free_k < 0) { answer_error(r, 400, -1000, "Too many user data stream subscriptions on this connection."); return; }
    c->sub_account[free_k] = acc;
    c->sub_id[free_k] = c->next_sub++;
    char res[48];
    snprintf(res, sizeof res, "{\"subscriptionId\":%d}", c->sub_id[free_k]);
    answer_text(r, res);
}

static void unsubscribe(api_req *r, const kv *v, int n)
{
    bn_api_conn *c = r->ws->user;
    const char *id = kv_get(v, n, "subscriptionId");
    bool found = false;
    for (int k = 0; k < BN_API_SUBS; k++) {
        if (c->sub_account[k] < 0) continue;
        if (id && atoi(id) != c->sub_id[k]) continue;
        c->sub_account[k] = -1;
        found = true;
    }
    if (id && !found) { answer_error(r, 400, -1000, "Invalid subscriptionId."); return; }
    answer_text(r, "{}");
}

enum { M_PING, M_TIME, M_PLACE, M_CANCEL, M_OPEN, M_ACCOUNT, M_SUB, M_UNSUB, M_STATUS, M_TRADES, M_ORDER_LIMITS, M_COUNT };
static const struct { const char *name; int weight; bool signed_; } METHODS[M_COUNT] = {
    [M_PING] = {"ping", 1, false},
    [M_TIME] = {"time", 1, false},
    [M_PLACE] = {"order.place", 1, true},
    [M_CANCEL] = {"order.cancel", 1, true},
    [M_OPEN] = {"openOrders.status", 6, true},
    [M_ACCOUNT] = {"account.status", 20, true},
    [M_SUB] = {"userDataStream.subscribe.signature", 2, true},
    [M_UNSUB] = {"userDataStream.unsubscribe", 2, false},
    [M_STATUS] = {"order.status", 4, true},
    [M_TRADES] = {"myTrades", 20, true},
    [M_ORDER_LIMITS] = {"account.rateLimits.orders", 40, true},
};

void bn_api_message(simd *s, sim_ws *ws, const char *text, size_t n)
{
    bn_state *b = bn_of(s);
    th_json *j = &b->json;
    api_req r = {.s = s, .ws = ws, .j = j, .id = -1, .rate_limits = true, .time_in = simd_wall_ns(), .account = -1};
    if (!ws->user) return;
    if (th_json_parse(j, text, n) < 0 || j->tok[0].type != TH_JSON_OBJECT) {
        answer_error(&r, 400, -1000, "Malformed request: expected a JSON object {\"id\",\"method\",\"params\"}.");
        return;
    }
    r.id = th_json_get(j, 0, "id");
    if (r.id >= 0 && j->tok[r.id].type != TH_JSON_STRING && j->tok[r.id].type != TH_JSON_PRIMITIVE) r.id = -1;
    int m = th_json_get(j, 0, "method");
    int which = -1;
    for (int i = 0; m >= 0 && j->tok[m].type == TH_JSON_STRING && i < M_COUNT; i++)
        if (th_json_eq(j, m, METHODS[i].name)) which = i;
    kv v[BN_API_PARAMS];
    int nv = params_read(j, th_json_get(j, 0, "params"), v, BN_API_PARAMS);
    const char *rl = nv > 0 ? kv_get(v, nv, "returnRateLimits") : NULL;
    if (rl && strcmp(rl, "false") == 0) r.rate_limits = false;
    if (which < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "Unknown method: served ping, time, order.place, order.cancel, order.status, openOrders.status, "
                                  "account.status, account.rateLimits.orders, myTrades, userDataStream.subscribe.signature, userDataStream.unsubscribe.");
        answer_error(&r, 400, -1020, msg);
        return;
    }
    if (nv < 0) { answer_error(&r, 400, -1000, "Malformed request: 'params' must be an object of names and scalar values."); return; }
    int w = METHODS[which].weight;
    if (which == M_OPEN && !kv_get(v, nv, "symbol")) w = 80;
    if (!bn_weight_take(s, w)) { answer_too_many(&r, -1003, NULL); return; }
    if (which == M_PING) { answer_text(&r, "{}"); return; }
    if (which == M_TIME) {
        char t[48];
        snprintf(t, sizeof t, "{\"serverTime\":%lld}", (long long)ms_of(simd_wall_ns()));
        answer_text(&r, t);
        return;
    }
    if (which == M_UNSUB) { unsubscribe(&r, v, nv); return; }
    int32_t acc = signed_account(&r, v, nv);
    if (acc < 0) return;
    if (which == M_SUB) { subscribe(&r, acc); return; }
    if (which == M_ORDER_LIMITS) { /* the account's ORDERS counts: [] when --orders-per-10s is off */
        sim_buf b2;
        sim_buf_init(&b2);
        bn_order_count_json(s, acc, &b2);
        sim_buf ob;
        sim_buf_init(&ob);
        sim_buf_putc(&ob, '[');
        if (b2.n > 1) sim_buf_put(&ob, sim_buf_text(&b2) + 1, b2.n - 1); /* without its leading comma */
        sim_buf_putc(&ob, ']');
        answer(&r, 200, &ob, 0);
        sim_buf_free(&ob);
        sim_buf_free(&b2);
        return;
    }
    /* the parameters as the REST handlers read them, checked as REST checks them */
    sim_http_req q;
    memset(&q, 0, sizeof q);
    q.port = SIM_PORT_PRIVATE;
    q.method = which == M_CANCEL ? "DELETE" : which == M_PLACE ? "POST" : "GET";
    query_of(v, nv, &q);
    sim_http_resp res = {.status = 200};
    sim_buf_init(&res.body);
    if (q.query_too_long) bn_error(&res, 400, -1000, "The request's parameters are too long for the sim; refused rather than cut.");
    if (q.query_too_long || bn_params_refused(&q, &res)) {
        answer(&r, res.status, &res.body, 0);
        sim_buf_free(&res.body);
        return;
    }
    if (which == M_PLACE || which == M_CANCEL) { /* order requests: the rate_limit and no_answer faults */
        simd_req_fault f = simd_fault_request(s, SIM_PORT_PRIVATE);
        if (f == SIMD_REQ_RATE_LIMIT) {
            answer_too_many(&r, -1015, "Too many new orders; current limit is 100 orders per TEN_SECONDS.");
            sim_buf_free(&res.body);
            return;
        }
        if (f == SIMD_REQ_NO_ANSWER_DROPPED) { sim_buf_free(&res.body); return; }
        s->hide_answers = f == SIMD_REQ_NO_ANSWER_EXECUTED;
    }
    if (which == M_PLACE) { /* --orders-per-10s: Binance's ORDERS limit, counted before the order is looked at */
        int64_t wait_ms;
        r.account = acc;
        if (!bn_order_count_take(s, acc, &wait_ms)) {
            char msg[128];
            snprintf(msg, sizeof msg, "Too many new orders; current limit is %d orders per TEN_SECONDS.", s->opt.orders_10s);
            sim_http_resp e = {.status = 429};
            sim_buf_init(&e.body);
            bn_error(&e, 429, -1015, msg);
            answer(&r, 429, &e.body, wait_ms);
            sim_buf_free(&e.body);
            sim_buf_free(&res.body);
            return;
        }
    }
    b->hold++;
    switch (which) {
    case M_PLACE: bn_place(s, &q, &res, acc); break;
    case M_CANCEL: bn_cancel(s, &q, &res, acc); break;
    case M_OPEN: bn_open_orders(s, &q, &res, acc); break;
    case M_STATUS: bn_order_status(s, &q, &res, acc); break;
    case M_TRADES: bn_my_trades(s, &q, &res, acc); break;
    default: bn_account(s, &res, acc); break;
    }
    answer(&r, res.status ? res.status : 200, &res.body, 0);
    s->hide_answers = false;
    events_flush(s);
    sim_buf_free(&res.body);
}

void bn_api_open(simd *s, sim_ws *ws)
{
    (void)s;
    bn_api_conn *c = calloc(1, sizeof *c);
    if (!c) { sim_ws_close(ws, "out of memory"); return; }
    for (int k = 0; k < BN_API_SUBS; k++) c->sub_account[k] = -1;
    ws->user = c;
}

void bn_api_close(simd *s, sim_ws *ws)
{
    (void)s;
    free(ws->user);
    ws->user = NULL;
}

void bn_api_free(bn_state *b)
{
    for (int32_t i = 0; i < b->nheld; i++) free(b->held[i].json);
    free(b->held);
    free(b->ocount);
    b->held = NULL;
    b->nheld = b->held_cap = 0;
    sim_buf_free(&b->ev);
}

/* ---- pings ---- */

void bn_ws_pings(simd *s)
{
    int64_t every = s->opt.ws_ping_ms > 0 ? s->opt.ws_ping_ms * 1000000LL : 20000000000LL, now = th_mono_ns();
    for (int port = 0; port < 2; port++)
        for (sim_ws *ws = s->srv.conns[port]; ws; ws = ws->next) {
            if (ws->closing || ws->dead) continue;
            int64_t heard = ws->pong_ns > ws->opened_ns ? ws->pong_ns : ws->opened_ns;
            /* 3 intervals (Binance: 20 s pings, a minute), at least 10 s: a client whose loop
             * is busy for a moment (ccxt loading 1,700 markets on a loaded machine) is not cut at
             * short test intervals */
            if (ws->ping_sent_ns > heard && now - heard > (3 * every > 10000000000LL ? 3 * every : 10000000000LL)) {
                th_logf(TH_LOG_INFO, "sim: binance: no pong to the server's pings; cut", "conn=%llu", (unsigned long long)ws->id);
                sim_ws_close(ws, "no pong");
                continue;
            }
            int64_t last = ws->ping_sent_ns > ws->opened_ns ? ws->ping_sent_ns : ws->opened_ns;
            if (!ws->ping_due && now - last >= every) sim_ws_ping(ws);
        }
}
