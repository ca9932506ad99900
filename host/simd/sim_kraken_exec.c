/* sim_kraken_exec.c — Kraken WS v2, private side (ws_private): every request carries a token
 * from GetWebSocketsToken; `executions` (a snapshot of open orders, and of trades with
 * snap_trades, then every order event and fill), `balances` (a snapshot of the assets held, then
 * each fill's two ledger entries with the balances after), add_order, amend_order, cancel_order,
 * cancel_all, cancel_all_orders_after, batch_add, batch_cancel, ping (docs.kraken.com,
 * spot-websocket-v2). Answers are one frame per request (one per order for cancel_order), errors
 * one string as Kraken sends them.
 *
 * Engine events become execution events in Kraken's sequence: an accepted order is `pending_new`
 * then `new`; a fill is `trade` (order_status partially_filled or filled) and, when it completes
 * the order, a separate `filled`; then `canceled` (reason: user, IOC remainder, cancel-all, dead
 * man's switch) and `amended`. Each carries order_id, order_userref, cl_ord_id and symbol; frames
 * carry a per-connection `sequence`. Events caused by a request are held until its answer is
 * queued, so a client sees the answer first, as from Kraken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"
#include "../core/log.h"
#include "sim_kraken.h"

typedef struct kr_pconn {
    int32_t account;       /* -1 until a request with a valid token */
    bool executions;       /* subscribed */
    uint64_t sequence;
    bool balances;         /* subscribed to `balances` */
    uint64_t bal_sequence;
} kr_pconn;

typedef struct kr_held {
    int32_t account;
    bool balances;         /* a `balances` update (else an `executions` one) */
    char *json;            /* the frame's data elements */
} kr_held;

typedef struct preq {
    simd *s;
    sim_ws *ws;
    th_json *j;
    int params;
    int64_t time_in;
    char method[40];
    const char *req_id;
    size_t req_id_len;
} preq;

/* ---- answers ---- */

static sim_buf *answer_head(preq *r)
{
    sim_buf *o = &kr_of(r->s)->out;
    sim_buf_reset(o);
    sim_buf_puts(o, "{\"method\":");
    sim_buf_str(o, r->method);
    return o;
}

static void answer_send(preq *r, sim_buf *o)
{
    kr_ws_answer_tail(o, r->time_in, r->req_id, r->req_id_len);
    sim_ws_send_tagged(r->ws, o, SIMF_ANSWER, -1);
}

static void answer_error(preq *r, const char *err)
{
    sim_buf *o = answer_head(r);
    sim_buf_puts(o, ",\"error\":");
    sim_buf_str(o, err);
    sim_buf_puts(o, ",\"success\":false");
    answer_send(r, o);
}

/* ---- execution events ---- */

static void num(sim_buf *o, int64_t v, int scale) { sim_buf_dec(o, v, scale, scale, false); }

static void common(simd *s, sim_buf *o, const th_sim_order *ord)
{
    char id[32];
    kr_id_text('O', ord->id, id);
    sim_buf_puts(o, "{\"order_id\":");
    sim_buf_str(o, id);
    sim_buf_printf(o, ",\"order_userref\":%lld", (long long)ord->userref);
    if (ord->cl_ord_id[0]) { sim_buf_puts(o, ",\"cl_ord_id\":"); sim_buf_str(o, ord->cl_ord_id); }
    sim_buf_puts(o, ",\"symbol\":");
    sim_buf_str(o, s->feed.instruments.v[ord->ins].symbol);
    sim_buf_printf(o, ",\"side\":\"%s\",\"order_type\":\"%s\"", ord->side == TH_SIM_BUY ? "buy" : "sell",
                   ord->type == TH_SIM_LIMIT ? "limit" : "market");
}

static void cum(simd *s, sim_buf *o, const th_sim_order *ord)
{
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    sim_buf_puts(o, ",\"cum_qty\":");
    num(o, ord->filled, in->qty_dec);
    sim_buf_puts(o, ",\"cum_cost\":");
    kr_money(o, ord->cost, in->price_dec + in->qty_dec, false);
    sim_buf_puts(o, ",\"avg_price\":");
    kr_avg_price(o, ord, in, false);
}

static bool quote_is_usd(simd *s, int32_t ins) { return strcmp(s->feed.instruments.v[ins].quote, "USD") == 0; }

/* The full order, as a snapshot entry or a pending_new event. */
static void order_full(simd *s, sim_buf *o, const th_sim_order *ord, const char *exec_type, const char *status, int64_t ts)
{
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    common(s, o, ord);
    sim_buf_puts(o, ",\"order_qty\":");
    num(o, ord->qty, in->qty_dec);
    if (ord->type == TH_SIM_LIMIT) { sim_buf_puts(o, ",\"limit_price\":"); num(o, ord->price, in->price_dec); }
    sim_buf_printf(o, ",\"time_in_force\":\"%s\",\"post_only\":%s", ord->tif == TH_SIM_IOC ? "IOC" : "GTC", ord->post_only ? "true" : "false");
    if (exec_type) sim_buf_printf(o, ",\"exec_type\":\"%s\"", exec_type);
    sim_buf_printf(o, ",\"order_status\":\"%s\"", status);
    cum(s, o, ord);
    sim_buf_puts(o, ",\"timestamp\":");
    sim_buf_time(o, ts);
    sim_buf_putc(o, '}');
}

static const char *live_status(const th_sim_order *ord) { return ord->filled > 0 ? "partially_filled" : "new"; }

static void held_add(simd *s, int32_t account, const sim_buf *b, bool balances);

/* Deliver (or hold) one data element for the account's subscribers. */
static void deliver(simd *s, int32_t account, const sim_buf *elem)
{
    kr_state *k = kr_of(s);
    if (elem->oom) return;
    if (k->hold) { held_add(s, account, elem, false); return; }
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PRIVATE]; ws; ws = ws->next) {
        kr_pconn *c = ws->user;
        if (!c || !c->executions || c->account != account) continue;
        sim_buf_reset(&k->out);
        sim_buf_puts(&k->out, "{\"channel\":\"executions\",\"type\":\"update\",\"data\":[");
        sim_buf_put(&k->out, sim_buf_text(elem), elem->n);
        sim_buf_printf(&k->out, "],\"sequence\":%llu}", (unsigned long long)++c->sequence);
        sim_ws_send_tagged(ws, &k->out, SIMF_EVENT, -1);
    }
}

/* Deliver (or hold) a `balances` update: the data elements (ledger entries) in elems. */
static void deliver_balances(simd *s, int32_t account, const sim_buf *elems)
{
    kr_state *k = kr_of(s);
    if (elems->oom) return;
    if (k->hold) { held_add(s, account, elems, true); return; }
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PRIVATE]; ws; ws = ws->next) {
        kr_pconn *c = ws->user;
        if (!c || !c->balances || c->account != account) continue;
        sim_buf_reset(&k->out);
        sim_buf_puts(&k->out, "{\"channel\":\"balances\",\"type\":\"update\",\"data\":[");
        sim_buf_put(&k->out, sim_buf_text(elems), elems->n);
        sim_buf_printf(&k->out, "],\"sequence\":%llu}", (unsigned long long)++c->bal_sequence);
        sim_ws_send_tagged(ws, &k->out, SIMF_EVENT, -1);
    }
}

static bool balances_subscribed(simd *s, int32_t account)
{
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PRIVATE]; ws; ws = ws->next) {
        kr_pconn *c = ws->user;
        if (c && c->balances && c->account == account) return true;
    }
    return false;
}

static void held_add(simd *s, int32_t account, const sim_buf *b, bool balances)
{
    kr_state *k = kr_of(s);
    if (k->nheld == k->held_cap) {
        int32_t cap = k->held_cap ? k->held_cap * 2 : 16;
        kr_held *h = realloc(k->held, sizeof *h * (size_t)cap);
        if (!h) return;
        k->held = h;
        k->held_cap = cap;
    }
    char *j = strndup(sim_buf_text(b), b->n);
    if (!j) return;
    k->held[k->nheld++] = (kr_held){account, balances, j};
}

void kr_events_hold(simd *s) { kr_of(s)->hold++; }

void kr_events_flush(simd *s)
{
    kr_state *k = kr_of(s);
    if (k->hold > 0 && --k->hold > 0) return;
    sim_buf e;
    sim_buf_init(&e);
    for (int32_t i = 0; i < k->nheld; i++) {
        sim_buf_reset(&e);
        sim_buf_puts(&e, k->held[i].json);
        if (k->held[i].balances) deliver_balances(s, k->held[i].account, &e);
        else deliver(s, k->held[i].account, &e);
        free(k->held[i].json);
    }
    k->nheld = 0;
    sim_buf_free(&e);
}

/* A fill's two ledger entries (quote then base) as one `balances` update: amount (the fee apart),
 * fee, and the balance after, as Kraken's v2 balances channel shows a trade. */
static void ledger_entries(simd *s, const th_sim_event *ev)
{
    kr_state *k = kr_of(s);
    const th_sim_trade *t = ev->trade;
    const th_instrument *in = &s->feed.instruments.v[t->ins];
    bool buy = t->side == TH_SIM_BUY;
    sim_buf e;
    sim_buf_init(&e);
    const char *assets[2] = {in->quote, in->base};
    for (int q = 0; q < 2; q++) {
        char lid[32], ref[32];
        kr_id_text('T', t->id ^ (q ? 0x2545f4914f6cdd1dull : 0x9e3779b97f4a7c15ull), lid);
        lid[0] = 'L';
        kr_id_text('T', t->id, ref);
        th_money total = 0, held = 0;
        th_sim_balance_get(s->engine, ev->account, assets[q], &total, &held);
        sim_buf_puts(&e, "{\"ledger_id\":");
        sim_buf_str(&e, lid);
        sim_buf_puts(&e, ",\"ref_id\":");
        sim_buf_str(&e, ref);
        sim_buf_puts(&e, ",\"timestamp\":");
        sim_buf_time(&e, ev->ts_ns);
        sim_buf_puts(&e, ",\"type\":\"trade\",\"asset\":");
        sim_buf_str(&e, assets[q]);
        sim_buf_printf(&e, ",\"asset_class\":\"currency\",\"category\":\"trade\",\"wallet_type\":\"spot\",\"wallet_id\":\"main\",\"amount\":%s", buy == (q == 1) ? "" : "-");
        if (q == 0) kr_money(&e, t->cost, in->price_dec + in->qty_dec, false);
        else num(&e, t->qty, in->qty_dec);
        sim_buf_puts(&e, ",\"fee\":");
        if (q == 0 && t->fee_asset == th_sim_asset_find(s->engine, in->quote)) kr_money(&e, t->fee, TH_SIM_SCALE, false);
        else sim_buf_puts(&e, "0");
        sim_buf_puts(&e, ",\"balance\":");
        kr_money(&e, total, TH_SIM_SCALE, false);
        sim_buf_puts(&e, q ? "}" : "},");
    }
    deliver_balances(s, ev->account, &e);
    sim_buf_free(&e);
    (void)k;
}

void kr_order_event(simd *s, const th_sim_event *ev)
{
    kr_state *k = kr_of(s);
    const th_sim_order *ord = ev->order;
    if (!ord || ev->kind == TH_SIM_EV_REJECTED) return; /* a refusal is the request's answer, not an event */
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    sim_buf *o = &k->ev;
    switch (ev->kind) {
    case TH_SIM_EV_NEW:
        sim_buf_reset(o);
        order_full(s, o, ord, "pending_new", "pending_new", ev->ts_ns);
        deliver(s, ev->account, o);
        sim_buf_reset(o);
        common(s, o, ord);
        sim_buf_puts(o, ",\"exec_type\":\"new\",\"order_status\":\"new\",\"timestamp\":");
        sim_buf_time(o, ev->ts_ns);
        sim_buf_putc(o, '}');
        deliver(s, ev->account, o);
        break;
    case TH_SIM_EV_FILL: {
        const th_sim_trade *t = ev->trade;
        char eid[32];
        kr_id_text('T', t->id, eid);
        bool done = ord->filled >= ord->qty;
        sim_buf_reset(o);
        common(s, o, ord);
        sim_buf_puts(o, ",\"exec_id\":");
        sim_buf_str(o, eid);
        sim_buf_printf(o, ",\"exec_type\":\"trade\",\"trade_id\":%llu,\"last_qty\":", (unsigned long long)t->id);
        num(o, t->qty, in->qty_dec);
        sim_buf_puts(o, ",\"last_price\":");
        num(o, t->price, in->price_dec);
        sim_buf_printf(o, ",\"liquidity_ind\":\"%s\",\"cost\":", t->maker ? "m" : "t");
        kr_money(o, t->cost, in->price_dec + in->qty_dec, false);
        sim_buf_printf(o, ",\"order_status\":\"%s\"", done ? "filled" : "partially_filled");
        cum(s, o, ord);
        sim_buf_puts(o, ",\"fees\":[{\"asset\":");
        sim_buf_str(o, th_sim_asset_name(s->engine, t->fee_asset));
        sim_buf_puts(o, ",\"qty\":");
        kr_money(o, t->fee, TH_SIM_SCALE, false);
        sim_buf_putc(o, '}');
        sim_buf_putc(o, ']');
        if (quote_is_usd(s, ord->ins)) { sim_buf_puts(o, ",\"fee_usd_equiv\":"); kr_money(o, t->fee, TH_SIM_SCALE, false); }
        sim_buf_puts(o, ",\"timestamp\":");
        sim_buf_time(o, ev->ts_ns);
        sim_buf_putc(o, '}');
        deliver(s, ev->account, o);
        if (balances_subscribed(s, ev->account)) ledger_entries(s, ev);
        if (done) {
            sim_buf_reset(o);
            common(s, o, ord);
            sim_buf_puts(o, ",\"exec_type\":\"filled\",\"order_status\":\"filled\"");
            cum(s, o, ord);
            if (quote_is_usd(s, ord->ins)) { sim_buf_puts(o, ",\"fee_usd_equiv\":"); kr_money(o, ord->fee, TH_SIM_SCALE, false); }
            sim_buf_puts(o, ",\"timestamp\":");
            sim_buf_time(o, ev->ts_ns);
            sim_buf_putc(o, '}');
            deliver(s, ev->account, o);
        }
        break;
    }
    case TH_SIM_EV_CANCELED: {
        static const char *const why[] = {"User requested", "Unfilled IOC", "User requested cancel all", "Dead man's switch"};
        sim_buf_reset(o);
        common(s, o, ord);
        sim_buf_puts(o, ",\"exec_type\":\"canceled\",\"order_status\":\"canceled\"");
        cum(s, o, ord);
        sim_buf_puts(o, ",\"reason\":");
        sim_buf_str(o, why[ord->cancel_reason <= TH_SIM_CANCEL_DEAD_MAN ? ord->cancel_reason : 0]);
        sim_buf_puts(o, ",\"timestamp\":");
        sim_buf_time(o, ev->ts_ns);
        sim_buf_putc(o, '}');
        deliver(s, ev->account, o);
        break;
    }
    case TH_SIM_EV_AMENDED:
        sim_buf_reset(o);
        common(s, o, ord);
        sim_buf_printf(o, ",\"exec_type\":\"amended\",\"order_status\":\"%s\",\"order_qty\":", live_status(ord));
        num(o, ord->qty, in->qty_dec);
        if (ord->type == TH_SIM_LIMIT) { sim_buf_puts(o, ",\"limit_price\":"); num(o, ord->price, in->price_dec); }
        sim_buf_printf(o, ",\"post_only\":%s,\"reason\":\"User requested\",\"amended\":true", ord->post_only ? "true" : "false");
        cum(s, o, ord);
        sim_buf_puts(o, ",\"timestamp\":");
        sim_buf_time(o, ev->ts_ns);
        sim_buf_putc(o, '}');
        deliver(s, ev->account, o);
        break;
    default: break;
    }
}

/* ---- requests ---- */

static void copy_tok(const th_json *j, int t, char *out, size_t cap)
{
    out[0] = 0;
    if (t < 0 || j->tok[t].type == TH_JSON_OBJECT || j->tok[t].type == TH_JSON_ARRAY) return;
    if (th_json_len(j, t) >= cap) { snprintf(out, cap, "%s", "?"); return; } /* too long: refused as malformed */
    th_json_copy(j, t, out, cap);
}

static bool bool_tok(const th_json *j, int t) { return t >= 0 && th_json_eq(j, t, "true"); }

/* The account of the request's token (params.token). */
static int32_t token_account(preq *r)
{
    int t = r->params >= 0 ? th_json_get(r->j, r->params, "token") : -1;
    if (t < 0 || r->j->tok[t].type != TH_JSON_STRING) return -1;
    int32_t a = kr_token_account(r->s, th_json_ptr(r->j, t), th_json_len(r->j, t));
    kr_pconn *c = r->ws->user;
    if (a >= 0 && c->account < 0) c->account = a;
    return a;
}

static void order_args(const th_json *j, int obj, const char *symbol, kr_order_args *a)
{
    memset(a, 0, sizeof *a);
    copy_tok(j, th_json_get(j, obj, "symbol"), a->pair, sizeof a->pair);
    if (!a->pair[0] && symbol) snprintf(a->pair, sizeof a->pair, "%s", symbol);
    copy_tok(j, th_json_get(j, obj, "side"), a->side, sizeof a->side);
    copy_tok(j, th_json_get(j, obj, "order_type"), a->type, sizeof a->type);
    copy_tok(j, th_json_get(j, obj, "order_qty"), a->qty, sizeof a->qty);
    copy_tok(j, th_json_get(j, obj, "limit_price"), a->price, sizeof a->price);
    copy_tok(j, th_json_get(j, obj, "time_in_force"), a->tif, sizeof a->tif);
    copy_tok(j, th_json_get(j, obj, "cl_ord_id"), a->cl_ord_id, sizeof a->cl_ord_id);
    copy_tok(j, th_json_get(j, obj, "order_userref"), a->userref, sizeof a->userref);
    a->post_only = bool_tok(j, th_json_get(j, obj, "post_only"));
}

static void place_result(sim_buf *o, uint64_t id, const th_sim_order_req *req)
{
    char oid[32];
    kr_id_text('O', id, oid);
    sim_buf_puts(o, "{\"order_id\":");
    sim_buf_str(o, oid);
    if (req->cl_ord_id && req->cl_ord_id[0]) { sim_buf_puts(o, ",\"cl_ord_id\":"); sim_buf_str(o, req->cl_ord_id); }
    if (req->userref) sim_buf_printf(o, ",\"order_userref\":%lld", (long long)req->userref);
    sim_buf_putc(o, '}');
}

static void add_order(preq *r, int32_t a)
{
    kr_order_args args;
    order_args(r->j, r->params, NULL, &args);
    th_sim_order_req req;
    const char *bad = kr_order_build(r->s, &args, &req);
    if (bad) { answer_error(r, bad); return; }
    uint64_t id = 0;
    th_sim_reject rj = th_sim_place(r->s->engine, a, &req, simd_now_ns(r->s), &id);
    if (rj != TH_SIM_OK) { answer_error(r, kr_reject_text(rj)); return; }
    sim_buf *o = answer_head(r);
    sim_buf_puts(o, ",\"result\":");
    place_result(o, id, &req);
    sim_buf_puts(o, ",\"success\":true");
    answer_send(r, o);
}

static void batch_add(preq *r, int32_t a)
{
    const th_json *j = r->j;
    int orders = th_json_get(j, r->params, "orders");
    char symbol[64];
    copy_tok(j, th_json_get(j, r->params, "symbol"), symbol, sizeof symbol);
    if (orders < 0 || j->tok[orders].type != TH_JSON_ARRAY || j->tok[orders].size < 2 || j->tok[orders].size > 15) {
        answer_error(r, "EGeneral:Invalid arguments:orders (2 to 15 orders of one pair)");
        return;
    }
    /* every order is checked before any is placed (a malformed batch places nothing) */
    th_sim_order_req req[15];
    kr_order_args args[15];
    int n = j->tok[orders].size, t = orders + 1;
    for (int i = 0; i < n; i++, t = th_json_skip(j, t)) {
        if (j->tok[t].type != TH_JSON_OBJECT) { answer_error(r, "EGeneral:Invalid arguments:orders"); return; }
        order_args(j, t, symbol, &args[i]);
        const char *bad = kr_order_build(r->s, &args[i], &req[i]);
        if (bad) { answer_error(r, bad); return; }
        if (req[i].ins != req[0].ins) { answer_error(r, "EGeneral:Invalid arguments:orders of one pair only"); return; }
    }
    uint64_t ids[15];
    int placed = 0;
    const char *fail = NULL;
    for (int i = 0; i < n; i++) {
        req[i].cl_ord_id = args[i].cl_ord_id;
        th_sim_reject rj = th_sim_place(r->s->engine, a, &req[i], simd_now_ns(r->s), &ids[i]);
        if (rj != TH_SIM_OK) { fail = kr_reject_text(rj); break; }
        placed++;
    }
    if (fail) {
        /* Kraken's batch is not atomic at execution either: the ones placed stay */
        answer_error(r, fail);
        return;
    }
    sim_buf *o = answer_head(r);
    sim_buf_puts(o, ",\"result\":[");
    for (int i = 0; i < placed; i++) {
        place_result(o, ids[i], &req[i]);
        sim_buf_putc(o, ',');
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "],\"success\":true");
    answer_send(r, o);
}

/* One id or cl_ord_id text: the engine's answer. */
static th_sim_reject cancel_one(simd *s, int32_t a, const char *p, size_t n, bool by_cl, uint64_t *id_out)
{
    char cl[96];
    uint64_t id;
    int64_t now = simd_now_ns(s);
    if (!by_cl && kr_parse_id(p, n, 'O', &id)) {
        *id_out = id;
        return th_sim_cancel(s->engine, a, id, now);
    }
    if (n >= sizeof cl) return TH_SIM_REJ_UNKNOWN_ORDER;
    memcpy(cl, p, n);
    cl[n] = 0;
    const th_sim_order *ord = th_sim_order_find_cl(s->engine, a, cl);
    if (!ord) return TH_SIM_REJ_UNKNOWN_ORDER;
    *id_out = ord->id;
    return th_sim_cancel_cl(s->engine, a, cl, now);
}

static void cancel_order(preq *r, int32_t a)
{
    const th_json *j = r->j;
    int ids = th_json_get(j, r->params, "order_id"), cls = th_json_get(j, r->params, "cl_ord_id");
    if ((ids >= 0) == (cls >= 0)) { answer_error(r, "EGeneral:Invalid arguments:order_id or cl_ord_id (not both)"); return; }
    int arr = ids >= 0 ? ids : cls;
    if (j->tok[arr].type != TH_JSON_ARRAY || j->tok[arr].size == 0) { answer_error(r, "EGeneral:Invalid arguments:an array of ids"); return; }
    int t = arr + 1;
    for (int i = 0; i < j->tok[arr].size; i++, t = th_json_skip(j, t)) {
        uint64_t id = 0;
        th_sim_reject rj = j->tok[t].type == TH_JSON_STRING ? cancel_one(r->s, a, th_json_ptr(j, t), th_json_len(j, t), cls >= 0, &id)
                                                          : TH_SIM_REJ_UNKNOWN_ORDER;
        if (rj != TH_SIM_OK) { answer_error(r, kr_reject_text(rj)); continue; }
        char oid[32];
        kr_id_text('O', id, oid);
        sim_buf *o = answer_head(r);
        sim_buf_puts(o, ",\"result\":{\"order_id\":");
        sim_buf_str(o, oid);
        if (cls >= 0) { sim_buf_puts(o, ",\"cl_ord_id\":"); sim_buf_strn(o, th_json_ptr(j, t), th_json_len(j, t)); }
        sim_buf_puts(o, "},\"success\":true");
        answer_send(r, o);
    }
}

static void batch_cancel(preq *r, int32_t a)
{
    const th_json *j = r->j;
    int arr = th_json_get(j, r->params, "orders");
    if (arr < 0 || j->tok[arr].type != TH_JSON_ARRAY || j->tok[arr].size < 1 || j->tok[arr].size > 50) {
        answer_error(r, "EGeneral:Invalid arguments:orders (1 to 50 order ids or cl_ord_ids)");
        return;
    }
    int count = 0, t = arr + 1;
    for (int i = 0; i < j->tok[arr].size; i++, t = th_json_skip(j, t)) {
        uint64_t id;
        if (j->tok[t].type == TH_JSON_STRING && cancel_one(r->s, a, th_json_ptr(j, t), th_json_len(j, t), false, &id) == TH_SIM_OK) count++;
    }
    sim_buf *o = answer_head(r);
    sim_buf_printf(o, ",\"orders_cancelled\":%d,\"result\":{\"count\":%d},\"success\":true", count, count);
    answer_send(r, o);
}

static void amend_order(preq *r, int32_t a)
{
    simd *s = r->s;
    const th_json *j = r->j;
    char id[96], cl[96], qty[64], price[64];
    copy_tok(j, th_json_get(j, r->params, "order_id"), id, sizeof id);
    copy_tok(j, th_json_get(j, r->params, "cl_ord_id"), cl, sizeof cl);
    copy_tok(j, th_json_get(j, r->params, "order_qty"), qty, sizeof qty);
    copy_tok(j, th_json_get(j, r->params, "limit_price"), price, sizeof price);
    int po = th_json_get(j, r->params, "post_only");
    const th_sim_order *ord = NULL;
    uint64_t oid;
    if (id[0] && kr_parse_id(id, strlen(id), 'O', &oid)) ord = th_sim_order_find(s->engine, oid);
    else if (cl[0]) ord = th_sim_order_find_cl(s->engine, a, cl);
    if (!ord || ord->account != a || ord->status != TH_SIM_ST_OPEN) { answer_error(r, "EOrder:Unknown order"); return; }
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    int64_t nq = 0, np = 0;
    if (qty[0] && (th_dec_parse(qty, strlen(qty), in->qty_dec, &nq) != TH_DEC_OK || nq <= 0)) { answer_error(r, "EGeneral:Invalid arguments:order_qty"); return; }
    if (price[0] && (th_dec_parse(price, strlen(price), in->price_dec, &np) != TH_DEC_OK || np <= 0)) { answer_error(r, "EOrder:Invalid price"); return; }
    if (!qty[0] && !price[0] && po < 0) { answer_error(r, "EGeneral:Invalid arguments:nothing to amend"); return; }
    uint64_t order_id = ord->id;
    th_sim_reject rj = th_sim_amend(s->engine, a, order_id, nq, np, po < 0 ? -1 : bool_tok(j, po), simd_now_ns(s));
    if (rj != TH_SIM_OK) { answer_error(r, kr_reject_text(rj)); return; }
    kr_state *k = kr_of(s);
    char amend[32], otext[32];
    kr_id_text('T', ++k->token_seq ^ 0xa3e7d00000000000ull, amend);
    amend[0] = 'A';
    kr_id_text('O', order_id, otext);
    sim_buf *o = answer_head(r);
    sim_buf_puts(o, ",\"result\":{\"amend_id\":");
    sim_buf_str(o, amend);
    sim_buf_puts(o, ",\"order_id\":");
    sim_buf_str(o, otext);
    if (cl[0]) { sim_buf_puts(o, ",\"cl_ord_id\":"); sim_buf_str(o, cl); }
    sim_buf_puts(o, "},\"success\":true");
    answer_send(r, o);
}

static void cancel_after(preq *r, int32_t a)
{
    simd *s = r->s;
    int t = th_json_get(r->j, r->params, "timeout");
    int64_t v;
    if (t < 0 || th_json_i64(r->j, t, &v) != 0 || v < 0 || v >= 86400) { answer_error(r, "EGeneral:Invalid arguments:timeout (0 to 86399 s)"); return; }
    int64_t now = simd_now_ns(s), trigger = v ? now + v * 1000000000LL : 0;
    th_sim_dead_man(s->engine, a, trigger);
    sim_buf *o = answer_head(r);
    sim_buf_puts(o, ",\"result\":{\"currentTime\":");
    sim_buf_time(o, now);
    sim_buf_puts(o, ",\"triggerTime\":");
    if (trigger) sim_buf_time(o, trigger);
    else sim_buf_puts(o, "\"0\"");
    sim_buf_puts(o, "},\"success\":true");
    answer_send(r, o);
}

/* `balances`: a snapshot of every asset held (snapshot, default true), then a ledger update per fill */
static void subscribe_balances(preq *r, int32_t a, bool sub)
{
    simd *s = r->s;
    kr_state *k = kr_of(s);
    kr_pconn *c = r->ws->user;
    sim_buf *o = answer_head(r);
    if (!sub) {
        c->balances = false;
        sim_buf_puts(o, ",\"result\":{\"channel\":\"balances\"},\"success\":true");
        answer_send(r, o);
        return;
    }
    int sn = th_json_get(r->j, r->params, "snapshot");
    bool snapshot = sn < 0 || bool_tok(r->j, sn);
    sim_buf_printf(o, ",\"result\":{\"channel\":\"balances\",\"snapshot\":%s},\"success\":true", snapshot ? "true" : "false");
    answer_send(r, o);
    c->balances = true;
    c->account = a;
    if (!snapshot) return;
    sim_buf_reset(&k->out);
    sim_buf_puts(&k->out, "{\"channel\":\"balances\",\"type\":\"snapshot\",\"data\":[");
    for (int32_t i = 0; i < th_sim_asset_count(s->engine); i++) {
        const char *name = th_sim_asset_name(s->engine, i);
        th_money total, held;
        if (th_sim_balance_get(s->engine, a, name, &total, &held) != 0 || total == 0) continue;
        sim_buf_puts(&k->out, "{\"asset\":");
        sim_buf_str(&k->out, name);
        sim_buf_puts(&k->out, ",\"asset_class\":\"currency\",\"balance\":");
        kr_money(&k->out, total, TH_SIM_SCALE, false);
        sim_buf_puts(&k->out, ",\"wallets\":[{\"type\":\"spot\",\"id\":\"main\",\"balance\":");
        kr_money(&k->out, total, TH_SIM_SCALE, false);
        sim_buf_puts(&k->out, "}]},");
    }
    sim_buf_unput(&k->out, ',');
    sim_buf_printf(&k->out, "],\"sequence\":%llu}", (unsigned long long)++c->bal_sequence);
    sim_ws_send_tagged(r->ws, &k->out, SIMF_EVENT, -1);
}

static void subscribe(preq *r, int32_t a, bool sub)
{
    simd *s = r->s;
    kr_state *k = kr_of(s);
    kr_pconn *c = r->ws->user;
    const th_json *j = r->j;
    int ch = th_json_get(j, r->params, "channel");
    if (ch >= 0 && th_json_eq(j, ch, "balances")) { subscribe_balances(r, a, sub); return; }
    if (ch < 0 || !th_json_eq(j, ch, "executions")) { answer_error(r, "Channel not served on the private endpoint (executions, balances)"); return; }
    sim_buf *o = answer_head(r);
    if (!sub) {
        c->executions = false;
        sim_buf_puts(o, ",\"result\":{\"channel\":\"executions\"},\"success\":true");
        answer_send(r, o);
        return;
    }
    int so = th_json_get(j, r->params, "snap_orders"), st = th_json_get(j, r->params, "snap_trades");
    bool snap_orders = so < 0 || bool_tok(j, so), snap_trades = bool_tok(j, st);
    sim_buf_printf(o, ",\"result\":{\"channel\":\"executions\",\"maxratecount\":60,\"snapshot\":%s},\"success\":true",
                   snap_orders || snap_trades ? "true" : "false");
    answer_send(r, o);
    c->executions = true;
    c->account = a;
    int64_t now = simd_now_ns(s);
    if (snap_trades) {
        /* the account's last 50 fills, newest first, as trade events */
        sim_buf_reset(&k->out);
        sim_buf_puts(&k->out, "{\"channel\":\"executions\",\"type\":\"snapshot\",\"data\":[");
        int n = 0;
        for (int32_t i = th_sim_trade_count(s->engine) - 1; i >= 0 && n < 50; i--) {
            const th_sim_trade *t = th_sim_trade_at(s->engine, i);
            if (t->account != a) continue;
            const th_sim_order *ord = th_sim_order_find(s->engine, t->order_id);
            if (!ord) continue;
            const th_instrument *in = &s->feed.instruments.v[t->ins];
            char eid[32];
            kr_id_text('T', t->id, eid);
            common(s, &k->out, ord);
            sim_buf_puts(&k->out, ",\"exec_id\":");
            sim_buf_str(&k->out, eid);
            sim_buf_printf(&k->out, ",\"exec_type\":\"trade\",\"trade_id\":%llu,\"last_qty\":", (unsigned long long)t->id);
            num(&k->out, t->qty, in->qty_dec);
            sim_buf_puts(&k->out, ",\"last_price\":");
            num(&k->out, t->price, in->price_dec);
            sim_buf_printf(&k->out, ",\"liquidity_ind\":\"%s\",\"cost\":", t->maker ? "m" : "t");
            kr_money(&k->out, t->cost, in->price_dec + in->qty_dec, false);
            sim_buf_puts(&k->out, ",\"timestamp\":");
            sim_buf_time(&k->out, t->ts_ns);
            sim_buf_puts(&k->out, "},");
            n++;
        }
        sim_buf_unput(&k->out, ',');
        sim_buf_printf(&k->out, "],\"sequence\":%llu}", (unsigned long long)++c->sequence);
        sim_ws_send_tagged(r->ws, &k->out, SIMF_EVENT, -1);
    }
    if (snap_orders) {
        sim_buf_reset(&k->out);
        sim_buf_puts(&k->out, "{\"channel\":\"executions\",\"type\":\"snapshot\",\"data\":[");
        const th_sim_order *open[512];
        int32_t n = th_sim_open_orders(s->engine, a, -1, open, 512);
        for (int32_t i = 0; i < n && i < 512; i++) {
            order_full(s, &k->out, open[i], NULL, live_status(open[i]), now);
            sim_buf_putc(&k->out, ',');
        }
        sim_buf_unput(&k->out, ',');
        sim_buf_printf(&k->out, "],\"sequence\":%llu}", (unsigned long long)++c->sequence);
        sim_ws_send_tagged(r->ws, &k->out, SIMF_EVENT, -1);
    }
}

void kr_ws_private_message(simd *s, sim_ws *ws, const char *text, size_t n)
{
    kr_state *k = kr_of(s);
    preq r = {.s = s, .ws = ws, .j = &k->json, .params = -1, .time_in = simd_wall_ns()};
    th_json *j = &k->json;
    if (th_json_parse(j, text, n) < 0 || j->tok[0].type != TH_JSON_OBJECT) {
        answer_error(&r, "EGeneral:Invalid arguments:malformed request (expected a JSON object)");
        return;
    }
    int m = th_json_get(j, 0, "method"), rid = th_json_get(j, 0, "req_id");
    if (rid >= 0 && j->tok[rid].type == TH_JSON_PRIMITIVE) { r.req_id = th_json_ptr(j, rid); r.req_id_len = th_json_len(j, rid); }
    if (m >= 0 && j->tok[m].type == TH_JSON_STRING) th_json_copy(j, m, r.method, sizeof r.method);
    r.params = th_json_get(j, 0, "params");
    if (r.params >= 0 && j->tok[r.params].type != TH_JSON_OBJECT) r.params = -1;
    if (strcmp(r.method, "ping") == 0) {
        sim_buf *o = &k->out;
        sim_buf_reset(o);
        sim_buf_puts(o, "{\"method\":\"pong\"");
        kr_ws_answer_tail(o, r.time_in, r.req_id, r.req_id_len);
        sim_ws_send_tagged(ws, o, SIMF_ANSWER, -1);
        return;
    }
    static const char *const METHODS[] = {"subscribe", "unsubscribe", "add_order", "batch_add", "cancel_order", "batch_cancel",
                                          "amend_order", "cancel_all", "cancel_all_orders_after", NULL};
    int which = -1;
    for (int i = 0; METHODS[i]; i++)
        if (strcmp(r.method, METHODS[i]) == 0) which = i;
    if (which < 0) { answer_error(&r, r.method[0] ? "EGeneral:Invalid arguments:unknown method" : "EGeneral:Invalid arguments:missing field 'method'"); return; }
    if (r.params < 0) { answer_error(&r, "EGeneral:Invalid arguments:missing field 'params'"); return; }
    int32_t a = token_account(&r);
    if (a < 0) { answer_error(&r, "EAPI:Invalid token"); return; }
    if (which >= 2) { /* order requests: the rate_limit and no_answer faults */
        simd_req_fault f = simd_fault_request(s, SIM_PORT_PRIVATE);
        if (f == SIMD_REQ_RATE_LIMIT) { answer_error(&r, "EOrder:Rate limit exceeded"); return; }
        if (f == SIMD_REQ_NO_ANSWER_DROPPED) return;
        s->hide_answers = f == SIMD_REQ_NO_ANSWER_EXECUTED;
    }
    kr_events_hold(s);
    switch (which) {
    case 0: subscribe(&r, a, true); break;
    case 1: subscribe(&r, a, false); break;
    case 2: add_order(&r, a); break;
    case 3: batch_add(&r, a); break;
    case 4: cancel_order(&r, a); break;
    case 5: batch_cancel(&r, a); break;
    case 6: amend_order(&r, a); break;
    case 7: {
        int32_t cnt = 0;
        th_sim_cancel_all(s->engine, a, -1, simd_now_ns(s), &cnt);
        sim_buf *o = answer_head(&r);
        sim_buf_printf(o, ",\"result\":{\"count\":%d},\"success\":true", cnt);
        answer_send(&r, o);
        break;
    }
    case 8: cancel_after(&r, a); break;
    }
    s->hide_answers = false;
    kr_events_flush(s);
}

void kr_ws_private_open(simd *s, sim_ws *ws)
{
    kr_pconn *c = calloc(1, sizeof *c);
    if (!c) { sim_ws_close(ws, "out of memory"); return; }
    c->account = -1;
    ws->user = c;
    kr_ws_status(s, ws);
}

void kr_ws_private_close(simd *s, sim_ws *ws)
{
    (void)s;
    free(ws->user);
    ws->user = NULL;
}

bool kr_ws_private_subscribed(const sim_ws *ws)
{
    const kr_pconn *c = ws->user;
    return c && c->executions;
}

void kr_exec_free(kr_state *k)
{
    for (int32_t i = 0; i < k->nheld; i++) free(k->held[i].json);
    free(k->held);
    k->held = NULL;
    k->nheld = k->held_cap = 0;
    sim_buf_free(&k->ev);
}
