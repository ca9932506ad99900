/* kraken_spot.c — the Kraken spot order connector over WS v2 private and REST (see kraken_spot.h).
 * Wire answers are parsed here; what they mean for orders is the order flow's to decide. */
#include "kraken_spot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/book.h"
#include "../core/clock.h"
#include "../core/decimal.h"
#include "../core/log.h"
#include "../core/strhash.h"
#include "../venues/kraken_names.h"
#include "kraken_balances.h"
#include "tick_probe.h"
#include "wire_num.h"

enum { RQ_ADD = 1, RQ_CANCEL, RQ_AMEND, RQ_CANCEL_ALL, RQ_BATCH };
#define BAL_RESERVE 4 /* REST counter points a BalanceEx refresh leaves for recovery and status queries */
enum { Q_TOKEN = 1, Q_QUERY_TX, Q_QUERY_OPEN, Q_QUERY_CLOSED, Q_OPEN_ORDERS, Q_TRADES, Q_TRADE_ORDERS, Q_BALANCE };

#define IDLE_MS 15000            /* a private connection we ping every 4 s answers within this */
#define PING_NS 4000000000LL

/* ---- small parsers: the venue's texts to our units ---- */

/* Kraken's error text -> why, for the flow (venue_api.h). */
static int32_t verr_of(const char *e)
{
    if (strstr(e, "Rate limit exceeded") || strstr(e, "Too many requests") || strstr(e, "Throttled")) return TH_VERR_RATE_LIMITED;
    if (strstr(e, "Temporary lockout")) return TH_VERR_BANNED;
    if (strstr(e, "Unknown order") || strstr(e, "Invalid order")) return TH_VERR_UNKNOWN_ORDER;
    if (strncmp(e, "EService:", 9) == 0 || strstr(e, "Internal error") || strstr(e, "Timeout")) return TH_VERR_TRANSIENT;
    return TH_VERR_REJECTED;
}

static int64_t dec_tok(const th_json *j, int t, int32_t scale, bool *ok)
{
    int64_t v = 0;
    if (t < 0 || th_dec_parse(th_json_ptr(j, t), th_json_len(j, t), scale, &v) != 0) *ok = false;
    return v;
}

/* "2021-04-17T16:48:54.045305Z" -> ns since the epoch (0 if it is not that shape). */
static int64_t rfc3339_ns(const char *s, size_t n)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char buf[40];
    if (n >= sizeof buf || n < 20) return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    const char *rest = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return 0;
    int64_t ns = (int64_t)timegm(&tm) * 1000000000LL;
    if (*rest == '.') {
        int64_t mul = 100000000;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, mul /= 10) ns += (*rest - '0') * mul;
    }
    return ns;
}

/* REST "time": 1618678134.0453 (seconds) -> ns. */
static int64_t seconds_ns(const th_json *j, int t)
{
    if (t < 0) return 0;
    const char *s = th_json_ptr(j, t);
    size_t n = th_json_len(j, t);
    int64_t sec = 0, frac = 0, mul = 100000000;
    size_t i = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) sec = sec * 10 + (s[i] - '0');
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9' && mul; i++, mul /= 10) frac += (s[i] - '0') * mul;
    return sec * 1000000000LL + frac;
}

static void copy_tok(const th_json *j, int t, char *out, size_t cap)
{
    out[0] = 0;
    if (t >= 0 && j->tok[t].type != TH_JSON_OBJECT && j->tok[t].type != TH_JSON_ARRAY) th_json_copy(j, t, out, cap);
}

/* ---- venue order id -> client id (REST answers name only the venue's id) ---- */

static void idmap_put(th_kraken_spot *k, const char *ex, const char *cl)
{
    if (!ex[0] || !cl[0]) return;
    uint32_t h = th_strhash(ex) & (TH_KRAKEN_IDMAP - 1);
    snprintf(k->idmap[h].ex_id, sizeof k->idmap[h].ex_id, "%s", ex);
    snprintf(k->idmap[h].cl_id, sizeof k->idmap[h].cl_id, "%s", cl);
}

static const char *idmap_get(th_kraken_spot *k, const char *ex)
{
    if (!ex[0]) return "";
    uint32_t h = th_strhash(ex) & (TH_KRAKEN_IDMAP - 1);
    return strcmp(k->idmap[h].ex_id, ex) == 0 ? k->idmap[h].cl_id : "";
}

/* ---- requests over the private websocket ---- */

static bool ready(const th_kraken_spot *k) { return k->subscribed && k->ws.connected && k->token[0]; }

static kraken_pend *pend_put(th_kraken_spot *k, int32_t kind, const char *cl, const char *ex)
{
    kraken_pend *p = &k->pend[(uint64_t)k->req_id % TH_KRAKEN_PENDING];
    if (p->req_id) k->lost_answers++; /* 4096 requests later: its answer is not coming */
    p->req_id = k->req_id;
    p->kind = kind;
    p->trigger_ns = th_tick_probe_trigger(); /* a place, an amend or a cancel: each is an order reacting to the book */
    snprintf(p->cl_id, sizeof p->cl_id, "%s", cl ? cl : "");
    snprintf(p->ex_id, sizeof p->ex_id, "%s", ex ? ex : "");
    return p;
}

static int send_req(th_kraken_spot *k, const char *text, int n, int32_t kind, const char *cl, const char *ex)
{
    if (n <= 0 || n >= 4096) return -1;
    kraken_pend *p = kind ? pend_put(k, kind, cl, ex) : NULL;
    if (th_ws_send(&k->ws, text, (size_t)n) != 0) {
        if (p) p->req_id = 0;
        return -1;
    }
    k->sent++;
    const char *tok = strstr(text, ",\"token\""); /* the token stays out of the log */
    int shown = tok ? (int)(tok - text) : n;
    int cap = kind == RQ_BATCH ? 4000 : 240; /* a batch's every order, for a reader who counts them */
    th_logf(TH_LOG_DEBUG, "kraken private: sent", "request=%.*s", shown > cap ? cap : shown, text);
    return 0;
}

static const char *side_name(int32_t side) { return side == TH_BID ? "buy" : "sell"; }

static int ks_place(void *self, const th_venue_place *p)
{
    th_kraken_spot *k = self;
    if (!ready(k) || !p->ins) return -1;
    char px[40], qty[40], b[1024];
    th_dec_format(p->price, p->ins->price_dec, px, sizeof px);
    th_dec_format(p->qty, p->ins->qty_dec, qty, sizeof qty);
    int n = snprintf(b, sizeof b,
                     "{\"method\":\"add_order\",\"params\":{\"order_type\":\"limit\",\"side\":\"%s\",\"order_qty\":%s,\"symbol\":\"%s\","
                     "\"limit_price\":%s,\"cl_ord_id\":\"%s\"%s,\"token\":\"%s\"},\"req_id\":%lld}",
                     side_name(p->side), qty, p->ins->symbol, px, p->cl_id, p->post_only ? ",\"post_only\":true" : "", k->token,
                     (long long)++k->req_id);
    return send_req(k, b, n, RQ_ADD, p->cl_id, NULL);
}

/* WS v2 batch_add: 2..15 orders of one pair; the answer's `result` lists each placed order's
 * order_id and cl_ord_id. The client ids are kept by req_id for a refusal, which names none. */
static int ks_place_batch(void *self, const th_venue_place *v, int32_t n)
{
    th_kraken_spot *k = self;
    if (!ready(k) || n < 2 || n > TH_VENUE_BATCH_MAX || !v[0].ins) return -1;
    char b[4096], px[40], qty[40];
    int len = snprintf(b, sizeof b, "{\"method\":\"batch_add\",\"params\":{\"symbol\":\"%s\",\"orders\":[", v[0].ins->symbol);
    for (int32_t i = 0; i < n && len > 0 && len < (int)sizeof b; i++) {
        if (v[i].ins != v[0].ins) return -1;
        th_dec_format(v[i].price, v[i].ins->price_dec, px, sizeof px);
        th_dec_format(v[i].qty, v[i].ins->qty_dec, qty, sizeof qty);
        len += snprintf(b + len, sizeof b - (size_t)len,
                        "%s{\"order_type\":\"limit\",\"side\":\"%s\",\"order_qty\":%s,\"limit_price\":%s,\"cl_ord_id\":\"%s\"%s}", i ? "," : "",
                        side_name(v[i].side), qty, px, v[i].cl_id, v[i].post_only ? ",\"post_only\":true" : "");
    }
    if (len <= 0 || len >= (int)sizeof b) return -1;
    len += snprintf(b + len, sizeof b - (size_t)len, "],\"token\":\"%s\"},\"req_id\":%lld}", k->token, (long long)++k->req_id);
    if (len >= (int)sizeof b) return -1;
    kraken_batch *bt = &k->batch[(uint64_t)k->req_id % TH_KRAKEN_BATCHES];
    bt->req_id = k->req_id;
    bt->n = n;
    for (int32_t i = 0; i < n; i++) snprintf(bt->cl_id[i], sizeof bt->cl_id[i], "%s", v[i].cl_id);
    if (send_req(k, b, len, RQ_BATCH, v[0].cl_id, NULL) != 0) { bt->req_id = 0; return -1; }
    k->batches++;
    return 0;
}

/* By the venue's id when we have it (always unique), else by our client id. */
static int id_param(char *b, size_t cap, const char *cl_id, const char *ex_id, bool array)
{
    bool ex = ex_id && ex_id[0];
    return snprintf(b, cap, array ? "\"%s\":[\"%s\"]" : "\"%s\":\"%s\"", ex ? "order_id" : "cl_ord_id", ex ? ex_id : cl_id);
}

static int ks_cancel(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    th_kraken_spot *k = self;
    (void)ins;
    if (!ready(k)) return -1;
    char id[128], b[1024];
    id_param(id, sizeof id, cl_id, ex_id, true);
    int n = snprintf(b, sizeof b, "{\"method\":\"cancel_order\",\"params\":{%s,\"token\":\"%s\"},\"req_id\":%lld}", id, k->token,
                     (long long)++k->req_id);
    return send_req(k, b, n, RQ_CANCEL, cl_id, ex_id);
}

/* WS v2 cancel_all: every open order of the account, answered with `result.count`; each order's
 * `canceled` execution event follows as for a per-order cancel. */
static int ks_cancel_all(void *self)
{
    th_kraken_spot *k = self;
    if (!ready(k)) return -1;
    char b[512];
    int n = snprintf(b, sizeof b, "{\"method\":\"cancel_all\",\"params\":{\"token\":\"%s\"},\"req_id\":%lld}", k->token,
                     (long long)++k->req_id);
    return send_req(k, b, n, RQ_CANCEL_ALL, NULL, NULL);
}

static int ks_amend(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins, int64_t price, int64_t qty)
{
    th_kraken_spot *k = self;
    if (!ready(k) || !ins) return -1;
    char id[128], px[40], q[40], b[1024];
    id_param(id, sizeof id, cl_id, ex_id, false);
    th_dec_format(price, ins->price_dec, px, sizeof px);
    th_dec_format(qty, ins->qty_dec, q, sizeof q);
    int n = snprintf(b, sizeof b,
                     "{\"method\":\"amend_order\",\"params\":{%s,\"order_qty\":%s,\"limit_price\":%s,\"token\":\"%s\"},\"req_id\":%lld}", id,
                     q, px, k->token, (long long)++k->req_id);
    return send_req(k, b, n, RQ_AMEND, cl_id, ex_id);
}

/* ---- REST queries ---- */

static void on_rest(void *ctx, uint64_t tag, const th_json *j, int result, const char *err);

static int query_at(th_kraken_spot *k, int32_t kind, const char *method, const char *form, const char *cl, const char *ex, int64_t ofs);

static int query(th_kraken_spot *k, int32_t kind, const char *method, const char *form, const char *cl, const char *ex)
{
    return query_at(k, kind, method, form, cl, ex, 0);
}

static int query_at(th_kraken_spot *k, int32_t kind, const char *method, const char *form, const char *cl, const char *ex, int64_t ofs)
{
    int32_t slot = -1;
    for (int32_t i = 0; i < TH_KRAKEN_QUERIES; i++) {
        int32_t s = (k->q_next + i) % TH_KRAKEN_QUERIES;
        if (!k->q[s].kind) { slot = s; break; }
    }
    if (slot < 0) return -1;
    k->q_next = (slot + 1) % TH_KRAKEN_QUERIES;
    kraken_query *q = &k->q[slot];
    q->kind = kind;
    q->ofs = ofs;
    q->seq = ++k->q_seq;
    snprintf(q->cl_id, sizeof q->cl_id, "%s", cl ? cl : "");
    snprintf(q->ex_id, sizeof q->ex_id, "%s", ex ? ex : "");
    /* Kraken's REST counter: no room now (or older queries wait): held, sent in order by the timer
     * once the decay has made room, so the venue never refuses it (EAPI:Rate limit exceeded). The
     * caller counts it as asked: its answer comes later. */
    if (k->nwaiting > 0 || !th_kraken_rest_take(&k->rest, method)) {
        if (!(q->form = strdup(form))) { q->kind = 0; return -1; }
        q->method = method;
        q->waiting = true;
        k->nwaiting++;
        if (k->rest_waits++ % 20 == 0)
            th_logf(TH_LOG_INFO, "kraken private: a REST call waits for Kraken's REST counter", "method=%s waiting=%d waits=%llu", method,
                    k->nwaiting, (unsigned long long)k->rest_waits);
        return 0;
    }
    if (th_kraken_rest_call(&k->rest, method, form, on_rest, k, (uint64_t)slot) != 0) { q->kind = 0; return -1; }
    return 0;
}

/* The timer: held queries go, oldest first, while the counter has room for the next one. */
static void send_waiting(th_kraken_spot *k)
{
    while (k->nwaiting > 0) {
        int32_t at = -1;
        for (int32_t i = 0; i < TH_KRAKEN_QUERIES; i++)
            if (k->q[i].kind && k->q[i].waiting && (at < 0 || k->q[i].seq < k->q[at].seq)) at = i;
        if (at < 0) { k->nwaiting = 0; return; }
        kraken_query *q = &k->q[at];
        if (!th_kraken_rest_take(&k->rest, q->method)) return;
        q->waiting = false;
        k->nwaiting--;
        int rc = th_kraken_rest_call(&k->rest, q->method, q->form, on_rest, k, (uint64_t)at);
        free(q->form);
        q->form = NULL;
        if (rc != 0) on_rest(k, (uint64_t)at, NULL, -1, "EGeneral:Internal error (the held call could not be sent)");
    }
}

static int ks_query_order(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    th_kraken_spot *k = self;
    (void)ins;
    if (ex_id && ex_id[0]) {
        char form[96];
        snprintf(form, sizeof form, "txid=%s", ex_id);
        return query(k, Q_QUERY_TX, "QueryOrders", form, cl_id, ex_id);
    }
    /* The ack was lost: find the order by our client id, open or closed, or learn it is unknown. */
    return query(k, Q_QUERY_OPEN, "OpenOrders", "", cl_id, NULL);
}

static void send_recovery(th_kraken_spot *k)
{
    if (k->want_trades) {
        k->trades_form[0] = 0;
        if (k->trades_since_ns > 0)
            snprintf(k->trades_form, sizeof k->trades_form, "start=%lld", (long long)(k->trades_since_ns / 1000000000LL - 1));
        if (query_at(k, Q_TRADES, "TradesHistory", k->trades_form, NULL, NULL, 0) == 0) k->want_trades = false;
    }
    if (k->want_open_orders && query(k, Q_OPEN_ORDERS, "OpenOrders", "", NULL, NULL) == 0) k->want_open_orders = false;
}

/* Recovery waits for the private connection: until it is subscribed the flow stays recovering. */
static void ask_balances(th_kraken_spot *k)
{
    if (!k->bal || k->bal_pending) return;
    /* a refresh of the holds (an order moved) leaves the counter room for a reconciliation
     * (OpenOrders 1 + TradesHistory 2) and a status query: else the timer asks later */
    if (k->bal_dirty && !k->want_open_orders && th_kraken_rest_room(&k->rest) < 1 + BAL_RESERVE) return;
    if (query(k, Q_BALANCE, "BalanceEx", "", NULL, NULL) == 0) {
        k->bal_pending = true;
        k->bal_dirty = false;
        k->bal_next = th_mono_ns() + k->bal_refresh_ns;
    }
}

static int ks_open_orders(void *self)
{
    th_kraken_spot *k = self;
    k->want_open_orders = true;
    ask_balances(k); /* reconciliation: the account's balances too (REST needs no private socket) */
    if (ready(k)) send_recovery(k);
    return 0;
}

static int ks_trades_since(void *self, int64_t since_ns)
{
    th_kraken_spot *k = self;
    k->want_trades = true;
    k->trades_since_ns = since_ns;
    if (ready(k)) send_recovery(k);
    return 0;
}

/* One order of an OpenOrders / ClosedOrders / QueryOrders answer ("<txid>": {...}). */
static bool order_of(th_kraken_spot *k, const th_json *j, int key, th_venue_order *o)
{
    int v = key + 1, d = th_json_get(j, v, "descr");
    memset(o, 0, sizeof *o);
    th_json_copy(j, key, o->ex_id, sizeof o->ex_id);
    copy_tok(j, th_json_get(j, v, "cl_ord_id"), o->cl_id, sizeof o->cl_id);
    if (!o->cl_id[0]) snprintf(o->cl_id, sizeof o->cl_id, "%s", idmap_get(k, o->ex_id));
    int pt = d >= 0 ? th_json_get(j, d, "pair") : -1;
    int32_t idx = pt >= 0 ? th_kraken_pair_find(k->ins, th_json_ptr(j, pt), th_json_len(j, pt)) : -1;
    if (idx < 0) return false;
    const th_instrument *in = &k->ins->v[idx];
    snprintf(o->symbol, sizeof o->symbol, "%s", in->symbol);
    o->side = d >= 0 && th_json_eq(j, th_json_get(j, d, "type"), "sell") ? TH_ASK : TH_BID;
    int st = th_json_get(j, v, "status");
    o->open = st >= 0 && (th_json_eq(j, st, "open") || th_json_eq(j, st, "pending"));
    bool ok = true;
    o->price = dec_tok(j, d >= 0 ? th_json_get(j, d, "price") : -1, in->price_dec, &ok);
    o->qty = dec_tok(j, th_json_get(j, v, "vol"), in->qty_dec, &ok);
    o->filled = dec_tok(j, th_json_get(j, v, "vol_exec"), in->qty_dec, &ok);
    return ok;
}

/* The orders of an answer's object; with `want_cl`, only the one with that client id. */
static int32_t orders_in(th_kraken_spot *k, const th_json *j, int obj, th_venue_order *out, int32_t cap, const char *want_cl)
{
    int32_t n = 0;
    if (obj < 0 || j->tok[obj].type != TH_JSON_OBJECT) return 0;
    int t = obj + 1;
    for (int i = 0; i < j->tok[obj].size && n < cap; i++) {
        th_venue_order o;
        if (order_of(k, j, t, &o) && (!want_cl || strcmp(o.cl_id, want_cl) == 0)) out[n++] = o;
        t = th_json_skip(j, t + 1);
    }
    return n;
}

/* One TradesHistory page into the walk's trades (a page at offset 0 starts a new walk). */
static int32_t trades_page(th_kraken_spot *k, const th_json *j, int result, int64_t ofs, int64_t *count)
{
    if (ofs == 0) k->ntrades_acc = 0;
    *count = 0;
    int c = th_json_get(j, result, "count");
    if (c >= 0) th_json_i64(j, c, count);
    int tr = th_json_get(j, result, "trades");
    if (tr < 0 || j->tok[tr].type != TH_JSON_OBJECT) return 0;
    int32_t size = j->tok[tr].size;
    if (k->ntrades_acc + size > k->trades_acc_cap) {
        int32_t cap = k->ntrades_acc + size + 64;
        th_venue_fill *v = realloc(k->trades_acc, sizeof *v * (size_t)cap);
        if (!v) return -1;
        k->trades_acc = v;
        k->trades_acc_cap = cap;
    }
    int t = tr + 1;
    for (int i = 0; i < size; i++) {
        int x = t + 1;
        th_venue_fill *f = &k->trades_acc[k->ntrades_acc];
        memset(f, 0, sizeof *f);
        th_json_copy(j, t, f->trade_id, sizeof f->trade_id);
        copy_tok(j, th_json_get(j, x, "ordertxid"), f->ex_id, sizeof f->ex_id);
        snprintf(f->cl_id, sizeof f->cl_id, "%s", idmap_get(k, f->ex_id));
        int pt = th_json_get(j, x, "pair");
        int32_t idx = pt >= 0 ? th_kraken_pair_find(k->ins, th_json_ptr(j, pt), th_json_len(j, pt)) : -1;
        t = th_json_skip(j, x);
        if (idx < 0) continue;
        const th_instrument *in = &k->ins->v[idx];
        snprintf(f->symbol, sizeof f->symbol, "%s", in->symbol);
        f->side = th_json_eq(j, th_json_get(j, x, "type"), "sell") ? TH_ASK : TH_BID;
        bool ok = true;
        f->price = dec_tok(j, th_json_get(j, x, "price"), in->price_dec, &ok);
        f->qty = dec_tok(j, th_json_get(j, x, "vol"), in->qty_dec, &ok);
        int fee = th_json_get(j, x, "fee");
        if (fee >= 0) f->fee = th_wire_money(th_json_ptr(j, fee), th_json_len(j, fee), in->price_dec + in->qty_dec);
        f->ts_ns = seconds_ns(j, th_json_get(j, x, "time"));
        if (ok) k->ntrades_acc++;
    }
    return size;
}

/* TradesHistory names an order by the venue's id only, and the flow knows a fill it has counted
 * by our client id and the trade id: orders whose client id we have not seen (a restart) are
 * asked for first (QueryOrders gives cl_ord_id, 50 ids per call), so a fill counted before is
 * known as such. Returns true when a query for the next 50 is out (`reserved` marks the trades
 * whose order was asked). */
static bool ask_client_ids(th_kraken_spot *k, th_venue_fill *v, int32_t n)
{
    char list[4096] = "txid=";
    size_t ll = 5;
    int32_t asked = 0;
    for (int32_t i = 0; i < n && asked < 50; i++) {
        if (v[i].cl_id[0] || v[i].reserved) continue;
        size_t el = strlen(v[i].ex_id);
        if (ll + el + 2 >= sizeof list) break;
        ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s%s", asked ? "," : "", v[i].ex_id);
        asked++;
        for (int32_t m = i; m < n; m++) /* every trade of that order is covered by this ask */
            if (strcmp(v[m].ex_id, v[i].ex_id) == 0) v[m].reserved = 1;
    }
    return asked && query(k, Q_TRADE_ORDERS, "QueryOrders", list, NULL, NULL) == 0;
}

static void deliver_trades(th_kraken_spot *k, th_venue_fill *v, int32_t n)
{
    for (int32_t i = 0; i < n; i++) v[i].reserved = 0;
    k->ev.on_trades(k->ev.ctx, v, n);
    free(v);
}

static void answer_trades(th_kraken_spot *k, const th_json *j, int result, int64_t ofs)
{
    int64_t count;
    int32_t got = trades_page(k, j, result, ofs, &count);
    if (got < 0) { k->ntrades_acc = 0; return; } /* out of memory: the flow asks again after its timeout */
    k->trade_pages++;
    if (got > 0 && ofs + got < count) {
        /* more pages: newest first, so a trade made meanwhile shifts the rest by one and the next
         * page repeats one (counted once by its trade id), never skips one */
        char form[96];
        snprintf(form, sizeof form, "%s%sofs=%lld", k->trades_form, k->trades_form[0] ? "&" : "", (long long)(ofs + got));
        if (query_at(k, Q_TRADES, "TradesHistory", form, NULL, NULL, ofs + got) != 0) {
            th_logf(TH_LOG_WARN, "kraken private: TradesHistory page could not be asked; the flow asks again", "ofs=%lld", (long long)(ofs + got));
            k->ntrades_acc = 0;
        }
        return;
    }
    /* every page is in: hand the walk over (the buffer goes with it) */
    th_venue_fill *v = k->trades_acc;
    int32_t n = k->ntrades_acc;
    k->trades_acc = NULL;
    k->ntrades_acc = k->trades_acc_cap = 0;
    if (ofs > 0) th_logf(TH_LOG_INFO, "kraken private: TradesHistory read in pages", "trades=%d count=%lld pages=%lld", n, (long long)count, (long long)(ofs / 50 + 1));
    if (!v) { k->ev.on_trades(k->ev.ctx, NULL, 0); return; }
    if (!k->held_trades && ask_client_ids(k, v, n)) {
        k->held_trades = v;
        k->nheld_trades = n;
        return;
    }
    deliver_trades(k, v, n);
}

/* The client ids of the held trades' orders have come (or the query failed: the flow's trade
 * keys then only match what we know): the next 50 orders are asked, or the trades go to the flow. */
static void release_trades(th_kraken_spot *k, const th_json *j, int result)
{
    if (j && result >= 0 && j->tok[result].type == TH_JSON_OBJECT) {
        int t = result + 1;
        for (int i = 0; i < j->tok[result].size; i++) {
            char ex[48], cl[40];
            th_json_copy(j, t, ex, sizeof ex);
            copy_tok(j, th_json_get(j, t + 1, "cl_ord_id"), cl, sizeof cl);
            idmap_put(k, ex, cl);
            t = th_json_skip(j, t + 1);
        }
    }
    th_venue_fill *v = k->held_trades;
    int32_t n = k->nheld_trades;
    if (!v) return;
    for (int32_t i = 0; i < n; i++)
        if (!v[i].cl_id[0]) snprintf(v[i].cl_id, sizeof v[i].cl_id, "%s", idmap_get(k, v[i].ex_id));
    if (j && ask_client_ids(k, v, n)) return; /* still held: the next orders' ids */
    k->held_trades = NULL;
    k->nheld_trades = 0;
    deliver_trades(k, v, n);
}

static void answer_open_orders(th_kraken_spot *k, const th_json *j, int result, kraken_query *q)
{
    int obj = th_json_get(j, result, q->kind == Q_QUERY_CLOSED ? "closed" : "open");
    int32_t cap = obj >= 0 ? j->tok[obj].size : 0;
    th_venue_order *v = calloc((size_t)(cap > 0 ? cap : 1), sizeof *v);
    if (!v) return;
    int32_t n = orders_in(k, j, obj, v, cap, q->kind == Q_OPEN_ORDERS ? NULL : q->cl_id);
    if (q->kind == Q_OPEN_ORDERS) k->ev.on_open_orders(k->ev.ctx, v, n);
    else if (n > 0) k->ev.on_order_status(k->ev.ctx, q->cl_id, &v[0]);
    else if (q->kind == Q_QUERY_OPEN) query(k, Q_QUERY_CLOSED, "ClosedOrders", "", q->cl_id, NULL); /* not open: closed? */
    else k->ev.on_order_status(k->ev.ctx, q->cl_id, NULL);               /* neither: the venue does not know it */
    free(v);
}

static void subscribe(th_kraken_spot *k);

static void on_rest(void *ctx, uint64_t tag, const th_json *j, int result, const char *err)
{
    th_kraken_spot *k = ctx;
    kraken_query q = k->q[tag];
    k->q[tag].kind = 0;
    if (!k->open) return;
    if (q.kind == Q_TOKEN) {
        k->token_pending = false;
        if (err) return; /* the timer asks again */
        char tok[sizeof k->token];
        copy_tok(j, th_json_get(j, result, "token"), tok, sizeof tok);
        int64_t exp = 900;
        int e = th_json_get(j, result, "expires");
        if (e >= 0) th_json_i64(j, e, &exp);
        if (!tok[0]) return;
        snprintf(k->token, sizeof k->token, "%s", tok);
        k->token_mono = th_mono_ns();
        k->token_ttl_ns = (exp > 0 ? exp : 900) * 1000000000LL;
        if (k->ws.connected && !k->subscribed) subscribe(k);
        return;
    }
    if (q.kind == Q_BALANCE) {
        k->bal_pending = false;
        if (err) { k->bal_dirty = true; return; } /* asked again by the timer */
        /* while the push channel owns the totals, BalanceEx brings the holds only */
        if (th_kraken_balances_rest(k->bal, j, result, !k->bal_push, th_clock_ns()) < 0)
            th_logf(TH_LOG_WARN, "kraken private: a BalanceEx answer that is not an object of assets", NULL);
        return;
    }
    if (err) {
        /* QueryOrders of an id the venue does not know: the order is unknown (failed or never
         * placed); anything else: no answer, the flow asks again after its timeout. */
        if (q.kind == Q_QUERY_TX && verr_of(err) == TH_VERR_UNKNOWN_ORDER) k->ev.on_order_status(k->ev.ctx, q.cl_id, NULL);
        if (q.kind == Q_TRADE_ORDERS) release_trades(k, NULL, -1);
        return;
    }
    switch (q.kind) {
    case Q_QUERY_TX: {
        th_venue_order o;
        int key = result + 1;
        if (j->tok[result].type == TH_JSON_OBJECT && j->tok[result].size > 0 && order_of(k, j, key, &o)) {
            if (!o.cl_id[0]) snprintf(o.cl_id, sizeof o.cl_id, "%s", q.cl_id);
            k->ev.on_order_status(k->ev.ctx, q.cl_id, &o);
        } else k->ev.on_order_status(k->ev.ctx, q.cl_id, NULL);
        break;
    }
    case Q_QUERY_OPEN:
    case Q_QUERY_CLOSED:
    case Q_OPEN_ORDERS: answer_open_orders(k, j, result, &q); break;
    case Q_TRADES: answer_trades(k, j, result, q.ofs); break;
    case Q_TRADE_ORDERS: release_trades(k, j, result); break;
    default: break;
    }
}

/* ---- the private websocket ---- */

static void subscribe(th_kraken_spot *k)
{
    char b[512];
    int n = snprintf(b, sizeof b,
                     "{\"method\":\"subscribe\",\"params\":{\"channel\":\"executions\",\"token\":\"%s\",\"snap_orders\":true,"
                     "\"snap_trades\":false,\"order_status\":true,\"ratecounter\":false},\"req_id\":%lld}",
                     k->token, (long long)++k->req_id);
    send_req(k, b, n, 0, NULL, NULL);
    if (!k->bal) return;
    n = snprintf(b, sizeof b, "{\"method\":\"subscribe\",\"params\":{\"channel\":\"balances\",\"token\":\"%s\",\"snapshot\":true},"
                 "\"req_id\":%lld}", k->token, (long long)++k->req_id);
    send_req(k, b, n, 0, NULL, NULL);
}

static void get_token(th_kraken_spot *k)
{
    if (k->token_pending) return;
    if (query(k, Q_TOKEN, "GetWebSocketsToken", "", NULL, NULL) == 0) k->token_pending = true;
}

static bool token_fresh(const th_kraken_spot *k)
{
    return k->token[0] && th_mono_ns() - k->token_mono < k->token_ttl_ns * 3 / 4;
}

static void on_open(void *ctx)
{
    th_kraken_spot *k = ctx;
    k->ping_next = th_mono_ns() + PING_NS;
    if (token_fresh(k)) subscribe(k);
    else get_token(k);
}

static void on_lost(void *ctx, const char *why)
{
    th_kraken_spot *k = ctx;
    (void)why;
    k->subscribed = false;
    k->bal_push = false; /* until the next snapshot, BalanceEx brings the totals */
    /* Answers to what was in flight are lost with the connection: the flow's timeout queries
     * settle those orders (never a second place). */
    for (int32_t i = 0; i < TH_KRAKEN_PENDING; i++)
        if (k->pend[i].req_id) { k->pend[i].req_id = 0; k->lost_answers++; }
}

static void arm_dead_man(th_kraken_spot *k)
{
    if (k->dead_man_s <= 0 || !ready(k)) return;
    char b[256];
    int n = snprintf(b, sizeof b, "{\"method\":\"cancel_all_orders_after\",\"params\":{\"timeout\":%d,\"token\":\"%s\"},\"req_id\":%lld}",
                     (int)k->dead_man_s, k->token, (long long)++k->req_id);
    if (send_req(k, b, n, 0, NULL, NULL) == 0) k->dead_man_renewals++;
    k->dead_man_next = th_mono_ns() + (int64_t)(k->dead_man_s * 1e9 / 4);
}

static void on_subscribed(th_kraken_spot *k)
{
    bool again = k->ever_subscribed;
    k->subscribed = k->ever_subscribed = true;
    th_logf(TH_LOG_INFO, "kraken private: executions subscribed", "reconnect=%s dead_man_s=%g", again ? "yes" : "no", k->dead_man_s);
    arm_dead_man(k);
    send_recovery(k);
    if (again && k->ready) k->ready(k->ready_ctx); /* the flow reconciles: nothing is assumed about the gap */
}

static kraken_batch *batch_of(th_kraken_spot *k, int64_t req_id)
{
    kraken_batch *b = &k->batch[(uint64_t)req_id % TH_KRAKEN_BATCHES];
    return b->req_id == req_id ? b : NULL;
}

/* A batch_add refused as a whole: Kraken may have placed some of it before it refused (its batch
 * is not atomic at execution), so nothing is assumed: the refusal goes to the flow (back-off,
 * breaker) and each order's status is asked; the answers settle each (venue_api.h). */
static void batch_refused(th_kraken_spot *k, int64_t req_id, int32_t verr, const char *err)
{
    k->ev.on_reject(k->ev.ctx, NULL, verr, 0, err);
    kraken_batch *b = batch_of(k, req_id);
    if (!b) return; /* 64 batches later: the flow's timeout queries settle them */
    for (int32_t i = 0; i < b->n; i++) ks_query_order(k, b->cl_id[i], NULL, NULL);
    b->req_id = 0;
}

static void batch_placed(th_kraken_spot *k, const th_json *j, int res, int64_t req_id)
{
    kraken_batch *b = batch_of(k, req_id);
    int n = res >= 0 && j->tok[res].type == TH_JSON_ARRAY ? j->tok[res].size : 0, t = res + 1;
    for (int i = 0; i < n; i++, t = th_json_skip(j, t)) {
        char ex[48] = "", cl[40] = "";
        copy_tok(j, th_json_get(j, t, "order_id"), ex, sizeof ex);
        copy_tok(j, th_json_get(j, t, "cl_ord_id"), cl, sizeof cl);
        if (!cl[0] && b && i < b->n) snprintf(cl, sizeof cl, "%s", b->cl_id[i]); /* in the order sent */
        if (!cl[0] || !ex[0]) continue;
        idmap_put(k, ex, cl);
        k->ev.on_ack(k->ev.ctx, cl, ex);
    }
    if (b) b->req_id = 0;
}

static void answer(th_kraken_spot *k, const th_json *j)
{
    int m = th_json_get(j, 0, "method"), rid = th_json_get(j, 0, "req_id"), ok = th_json_get(j, 0, "success");
    bool success = ok >= 0 && th_json_eq(j, ok, "true");
    char err[256] = "";
    copy_tok(j, th_json_get(j, 0, "error"), err, sizeof err);
    if (m < 0 || th_json_eq(j, m, "pong")) return;
    if (th_json_eq(j, m, "subscribe")) {
        int res = th_json_get(j, 0, "result"), ch = res >= 0 ? th_json_get(j, res, "channel") : -1;
        if (ch >= 0 && th_json_eq(j, ch, "balances")) {
            if (!success) th_logf(TH_LOG_ERROR, "kraken private: balances subscription refused (BalanceEx keeps them)", "error=\"%s\"", err);
            return;
        }
        if (success) on_subscribed(k);
        else {
            th_logf(TH_LOG_ERROR, "kraken private: executions subscription refused", "error=\"%s\"", err);
            if (strstr(err, "token")) { k->token[0] = 0; get_token(k); } /* a new token, then subscribe again */
        }
        return;
    }
    if (th_json_eq(j, m, "cancel_all_orders_after")) {
        if (!success) th_logf(TH_LOG_ERROR, "kraken private: dead man's switch refused", "error=\"%s\"", err);
        return;
    }
    int64_t id = 0;
    if (rid < 0 || th_json_i64(j, rid, &id) != 0 || id <= 0) return;
    kraken_pend *p = &k->pend[(uint64_t)id % TH_KRAKEN_PENDING];
    if (p->req_id != id) return; /* not ours, or already given up */
    kraken_pend r = *p;
    p->req_id = 0;
    k->answers++;
    int res = th_json_get(j, 0, "result");
    char ex[48] = "";
    if (res >= 0) copy_tok(j, th_json_get(j, res, "order_id"), ex, sizeof ex);
    if (!success) {
        k->refusals++;
        if (k->refusals <= 20)
            th_logf(TH_LOG_WARN, "kraken private: request refused", "request=%s cl_id=%s ex_id=%s error=\"%s\" logged=%llu/20",
                    r.kind == RQ_ADD ? "add_order" : r.kind == RQ_CANCEL ? "cancel_order" : r.kind == RQ_CANCEL_ALL ? "cancel_all"
                    : r.kind == RQ_BATCH ? "batch_add" : "amend_order",
                    r.cl_id, r.ex_id, err,
                    (unsigned long long)k->refusals);
        int32_t verr = verr_of(err);
        if (r.kind == RQ_ADD) k->ev.on_reject(k->ev.ctx, r.cl_id, verr, 0, err);
        else if (r.kind == RQ_CANCEL) k->ev.on_cancel_failed(k->ev.ctx, r.cl_id, verr, 0, err);
        else if (r.kind == RQ_AMEND) k->ev.on_amended(k->ev.ctx, r.cl_id, false, err);
        else if (r.kind == RQ_CANCEL_ALL) k->ev.on_cancel_all(k->ev.ctx, false, 0, verr, 0, err);
        else if (r.kind == RQ_BATCH) batch_refused(k, id, verr, err);
        return;
    }
    if (r.trigger_ns) {
        int tin = th_json_get(j, 0, "time_in");
        if (tin >= 0) th_tick_probe_sample(r.trigger_ns, rfc3339_ns(th_json_ptr(j, tin), th_json_len(j, tin)));
    }
    if (r.kind == RQ_ADD) {
        idmap_put(k, ex, r.cl_id);
        k->ev.on_ack(k->ev.ctx, r.cl_id, ex);
    } else if (r.kind == RQ_CANCEL) {
        k->ev.on_cancelled(k->ev.ctx, r.cl_id, ex[0] ? ex : r.ex_id);
    } else if (r.kind == RQ_AMEND) {
        k->ev.on_amended(k->ev.ctx, r.cl_id, true, NULL);
    } else if (r.kind == RQ_BATCH) {
        batch_placed(k, j, res, id);
    } else if (r.kind == RQ_CANCEL_ALL) {
        int64_t count = 0;
        if (res >= 0) th_json_i64(j, th_json_get(j, res, "count"), &count);
        k->ev.on_cancel_all(k->ev.ctx, true, (int32_t)count, 0, 0, NULL);
    }
}

static void exec_trade(th_kraken_spot *k, const th_json *j, int e, const char *cl, const char *ex)
{
    int st = th_json_get(j, e, "symbol");
    int32_t idx = st >= 0 ? th_instruments_find(k->ins, th_json_ptr(j, st), th_json_len(j, st)) : -1;
    if (idx < 0) {
        th_logf(TH_LOG_ERROR, "kraken private: a fill on an instrument we do not know", "ex_id=%s", ex);
        return;
    }
    const th_instrument *in = &k->ins->v[idx];
    th_venue_fill f;
    memset(&f, 0, sizeof f);
    snprintf(f.cl_id, sizeof f.cl_id, "%s", cl);
    snprintf(f.ex_id, sizeof f.ex_id, "%s", ex);
    snprintf(f.symbol, sizeof f.symbol, "%s", in->symbol);
    copy_tok(j, th_json_get(j, e, "exec_id"), f.trade_id, sizeof f.trade_id);
    f.side = th_json_eq(j, th_json_get(j, e, "side"), "sell") ? TH_ASK : TH_BID;
    bool ok = true;
    f.price = dec_tok(j, th_json_get(j, e, "last_price"), in->price_dec, &ok);
    f.qty = dec_tok(j, th_json_get(j, e, "last_qty"), in->qty_dec, &ok);
    int fees = th_json_get(j, e, "fees");
    if (fees >= 0 && j->tok[fees].type == TH_JSON_ARRAY && j->tok[fees].size > 0) {
        int q = th_json_get(j, fees + 1, "qty");
        if (q >= 0) f.fee = th_wire_money(th_json_ptr(j, q), th_json_len(j, q), in->price_dec + in->qty_dec);
    }
    int ts = th_json_get(j, e, "timestamp");
    f.ts_ns = ts >= 0 ? rfc3339_ns(th_json_ptr(j, ts), th_json_len(j, ts)) : 0;
    if (!ok || !f.trade_id[0]) {
        th_logf(TH_LOG_ERROR, "kraken private: a fill we cannot read (the trades query will bring it)", "ex_id=%s", ex);
        return;
    }
    k->fills++;
    k->ev.on_fill(k->ev.ctx, &f);
}

static void executions(th_kraken_spot *k, const th_json *j)
{
    int type = th_json_get(j, 0, "type"), data = th_json_get(j, 0, "data");
    /* The snapshot lists open orders: the flow learns them from OpenOrders (its reconciliation). */
    if (type < 0 || !th_json_eq(j, type, "update") || data < 0 || j->tok[data].type != TH_JSON_ARRAY) return;
    int e = data + 1;
    for (int i = 0; i < j->tok[data].size; i++, e = th_json_skip(j, e)) {
        if (j->tok[e].type != TH_JSON_OBJECT) continue;
        char et[24], cl[40], ex[48];
        copy_tok(j, th_json_get(j, e, "exec_type"), et, sizeof et);
        copy_tok(j, th_json_get(j, e, "cl_ord_id"), cl, sizeof cl);
        copy_tok(j, th_json_get(j, e, "order_id"), ex, sizeof ex);
        if (cl[0]) idmap_put(k, ex, cl);
        else snprintf(cl, sizeof cl, "%s", idmap_get(k, ex));
        if (strcmp(et, "trade") == 0) exec_trade(k, j, e, cl, ex);
        else if (strcmp(et, "new") == 0 || strcmp(et, "pending_new") == 0) { if (cl[0]) k->ev.on_ack(k->ev.ctx, cl, ex); }
        else if (strcmp(et, "canceled") == 0) k->ev.on_cancelled(k->ev.ctx, cl, ex);
        else if (strcmp(et, "expired") == 0) k->ev.on_expired(k->ev.ctx, cl, ex);
        /* filled (the fills came as trade events), amended (answered by the request), restated, status: nothing to do */
    }
}

static void on_frame(void *ctx, const char *text, size_t len)
{
    th_kraken_spot *k = ctx;
    if (th_json_parse(&k->j, text, len) <= 0 || k->j.tok[0].type != TH_JSON_OBJECT) {
        th_logf(TH_LOG_WARN, "kraken private: a frame that is not a JSON object", "len=%zu", len);
        return;
    }
    int ch = th_json_get(&k->j, 0, "channel");
    if (ch >= 0) {
        if (th_json_eq(&k->j, ch, "executions")) {
            k->bal_dirty = true; /* an order event: what orders hold moved */
            executions(k, &k->j);
        } else if (th_json_eq(&k->j, ch, "balances") && k->bal) {
            int r = th_kraken_balances_ws(k->bal, &k->j, th_clock_ns());
            if (r == 1) k->bal_push = true;
            else if (r == 0) k->bal_dirty = true;
        }
        return; /* heartbeat, status */
    }
    answer(k, &k->j);
}

/* Every second: keep a token ready, renew the dead man's switch, ping. */
static void on_timer(uv_timer_t *t)
{
    th_kraken_spot *k = t->data;
    int64_t now = th_mono_ns();
    if (!token_fresh(k)) get_token(k);
    if (ready(k) && k->dead_man_s > 0 && now >= k->dead_man_next) arm_dead_man(k);
    if (k->ws.connected && now >= k->ping_next) {
        char b[96];
        int n = snprintf(b, sizeof b, "{\"method\":\"ping\",\"req_id\":%lld}", (long long)++k->req_id);
        send_req(k, b, n, 0, NULL, NULL);
        k->ping_next = now + PING_NS;
    }
    if (ready(k) && (k->want_open_orders || k->want_trades)) send_recovery(k);
    send_waiting(k);
    if (k->bal_dirty && now >= k->bal_next) ask_balances(k);
}

static const th_venue_ops OPS = {
    .name = "kraken",
    .can_amend = true,
    .place = ks_place,
    .cancel = ks_cancel,
    .amend = ks_amend,
    .query_order = ks_query_order,
    .open_orders = ks_open_orders,
    .trades_since = ks_trades_since,
    .cancel_all = ks_cancel_all,
    .place_batch = ks_place_batch,
};

th_venue th_kraken_spot_as_venue(th_kraken_spot *k) { return (th_venue){&OPS, k}; }

int th_kraken_spot_open(th_kraken_spot *k, uv_loop_t *loop, const th_instruments *ins, const th_kraken_spot_cfg *cfg, char *why,
                        size_t cap)
{
    memset(k, 0, sizeof *k);
    k->loop = loop;
    k->ins = ins;
    k->dead_man_s = cfg->dead_man_s;
    k->bal_refresh_ns = (int64_t)((cfg->balance_refresh_s > 0 ? cfg->balance_refresh_s : 5) * 1e9);
    k->pend = calloc(TH_KRAKEN_PENDING, sizeof *k->pend);
    k->idmap = calloc(TH_KRAKEN_IDMAP, sizeof *k->idmap);
    k->batch = calloc(TH_KRAKEN_BATCHES, sizeof *k->batch);
    if (!k->pend || !k->idmap || !k->batch || th_json_init(&k->j, 1 << 16) != 0) { snprintf(why, cap, "out of memory"); return -1; }
    if (th_kraken_rest_open(&k->rest, loop, cfg->rest_url, cfg->key, cfg->secret, why, cap) != 0) return -1;
    if (cfg->rest_tier >= 0) th_kraken_rest_count(&k->rest, cfg->rest_tier);
    k->open = true;
    th_ws_handlers h = {k, on_open, on_frame, on_lost};
    const char *url = cfg->ws_url ? cfg->ws_url : TH_KRAKEN_PRIVATE_URL;
    if (th_ws_open(&k->ws, loop, "kraken-private", url, &h, IDLE_MS, why, cap) != 0) return -1;
    uv_timer_init(loop, &k->timer);
    k->timer.data = k;
    k->timer_open = true;
    uv_timer_start(&k->timer, on_timer, 1000, 1000);
    get_token(k);
    th_logf(TH_LOG_INFO, "kraken private: connecting", "rest=%s ws=%s dead_man_s=%g", k->rest.base, url, k->dead_man_s);
    return 0;
}

void th_kraken_spot_close(th_kraken_spot *k)
{
    if (!k->open) return;
    k->open = false;
    th_logf(TH_LOG_INFO, "kraken private: closed", "sent=%llu answers=%llu refusals=%llu fills=%llu lost_answers=%llu connects=%llu "
            "dead_man_renewals=%llu rest_calls=%llu rest_errors=%llu rest_waits=%llu rest_rate_refused=%llu",
            (unsigned long long)k->sent, (unsigned long long)k->answers, (unsigned long long)k->refusals, (unsigned long long)k->fills,
            (unsigned long long)k->lost_answers, (unsigned long long)k->ws.connects, (unsigned long long)k->dead_man_renewals,
            (unsigned long long)k->rest.calls, (unsigned long long)k->rest.errors, (unsigned long long)k->rest_waits,
            (unsigned long long)k->rest.rate_refused);
    th_tick_probe_report("kraken");
    th_ws_close(&k->ws);
    th_kraken_rest_close(&k->rest);
    if (k->timer_open) {
        uv_timer_stop(&k->timer);
        uv_close((uv_handle_t *)&k->timer, NULL);
        k->timer_open = false;
    }
}

void th_kraken_spot_free(th_kraken_spot *k)
{
    th_ws_free(&k->ws);
    th_kraken_rest_free(&k->rest);
    th_json_free(&k->j);
    for (int32_t i = 0; i < TH_KRAKEN_QUERIES; i++) {
        free(k->q[i].form);
        k->q[i].form = NULL;
    }
    free(k->pend);
    free(k->idmap);
    free(k->batch);
    k->batch = NULL;
    free(k->held_trades);
    k->held_trades = NULL;
    free(k->trades_acc);
    k->trades_acc = NULL;
    k->pend = NULL;
    k->idmap = NULL;
}
