/* binance_spot.c — the Binance spot order connector over the WebSocket API (see binance_spot.h).
 * Wire answers are parsed here; what they mean for orders is the order flow's to decide. */
#include "binance_spot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/book.h"
#include "../core/clock.h"
#include "../core/decimal.h"
#include "../core/log.h"
#include "../core/strhash.h"
#include "binance_balances.h"
#include "binance_order_limit.h"
#include "tick_probe.h"
#include "wire_num.h"

enum { RQ_SUB = 1, RQ_PLACE, RQ_CANCEL, RQ_QUERY, RQ_OPEN, RQ_TRADES, RQ_ACCOUNT, RQ_LIMITS };

#define IDLE_MS 30000 /* quiet: pinged after 10 s (ws_client.c); the server pings every 20 s too */
#define MAX_PARAMS 16
/* myTrades rows per page (Binance's most): a full page means more may follow (fromId) */
#define TRADES_PAGE 1000
#define TRADES_PAGE_TEXT "1000"

typedef struct kv {
    const char *k;
    char v[64];
} kv;

static void copy_tok(const th_json *j, int t, char *out, size_t cap)
{
    out[0] = 0;
    if (t >= 0 && j->tok[t].type != TH_JSON_OBJECT && j->tok[t].type != TH_JSON_ARRAY) th_json_copy(j, t, out, cap);
}

static int64_t dec_tok(const th_json *j, int t, int32_t scale, bool *ok)
{
    int64_t v = 0;
    if (t < 0 || th_dec_parse(th_json_ptr(j, t), th_json_len(j, t), scale, &v) != 0) *ok = false;
    return v;
}

/* Binance's error code -> why, for the flow (venue_api.h). */
static int32_t verr_of(int status, int64_t code)
{
    if (status == 418) return TH_VERR_BANNED;
    if (code == -1015) return TH_VERR_ORDER_LIMIT; /* new orders only: cancels go on */
    if (status == 429 || code == -1003) return TH_VERR_RATE_LIMITED;
    if (code == -2011 || code == -2013) return TH_VERR_UNKNOWN_ORDER;
    if (status >= 500 || code == -1001 || code == -1007) return TH_VERR_TRANSIENT;
    return TH_VERR_REJECTED;
}

/* ---- orderId -> client id and symbol (myTrades names only the orderId) ---- */

static binance_idmap *idmap_slot(th_binance_spot *k, const char *ex) { return &k->idmap[th_strhash(ex) & (TH_BINANCE_IDMAP - 1)]; }

static void idmap_put(th_binance_spot *k, const char *ex, const char *cl, const char *sym)
{
    if (!ex[0] || !cl[0]) return;
    binance_idmap *m = idmap_slot(k, ex);
    snprintf(m->ex_id, sizeof m->ex_id, "%s", ex);
    snprintf(m->cl_id, sizeof m->cl_id, "%s", cl);
    snprintf(m->symbol, sizeof m->symbol, "%s", sym ? sym : "");
}

static const binance_idmap *idmap_get(th_binance_spot *k, const char *ex)
{
    if (!ex || !ex[0]) return NULL;
    binance_idmap *m = idmap_slot(k, ex);
    return strcmp(m->ex_id, ex) == 0 ? m : NULL;
}

/* ---- signed requests ---- */

static bool ready(const th_binance_spot *k) { return k->subscribed && k->ws.connected; }

static int kv_cmp(const void *a, const void *b) { return strcmp(((const kv *)a)->k, ((const kv *)b)->k); }

/* {"id":N,"method":M,"params":{...sorted, apiKey, timestamp, recvWindow, signature}}; kind 0: no
 * answer expected to be matched. -1 when not sent (not connected, the back-off, too long). */
static int send_signed(th_binance_spot *k, const char *method, kv *v, int n, int32_t kind, const char *cl, const char *ex, const char *sym)
{
    if (!k->ws.connected || th_binance_rest_blocked(&k->rest) || n > MAX_PARAMS - 3) return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v[n].k = "apiKey";
    snprintf(v[n++].v, sizeof v[0].v, "%s", k->rest.key);
    v[n].k = "timestamp";
    snprintf(v[n++].v, sizeof v[0].v, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    v[n].k = "recvWindow";
    snprintf(v[n++].v, sizeof v[0].v, "10000");
    qsort(v, (size_t)n, sizeof *v, kv_cmp);
    char payload[1200], sig[72], b[1600];
    int pn = 0, bn;
    for (int i = 0; i < n; i++) pn += snprintf(payload + pn, sizeof payload - (size_t)pn, "%s%s=%s", i ? "&" : "", v[i].k, v[i].v);
    if (pn >= (int)sizeof payload - 1 || th_binance_sign(k->rest.secret, payload, (size_t)pn, sig, sizeof sig) != 0) return -1;
    int64_t id = ++k->req_id;
    bn = snprintf(b, sizeof b, "{\"id\":%lld,\"method\":\"%s\",\"params\":{", (long long)id, method);
    for (int i = 0; i < n; i++) bn += snprintf(b + bn, sizeof b - (size_t)bn, "\"%s\":\"%s\",", v[i].k, v[i].v);
    bn += snprintf(b + bn, sizeof b - (size_t)bn, "\"signature\":\"%s\"}}", sig);
    if (bn >= (int)sizeof b) return -1;
    binance_pend *p = &k->pend[(uint64_t)id % TH_BINANCE_PENDING];
    if (p->id) k->lost_answers++;
    *p = (binance_pend){id, kind, "", "", "", kind == RQ_PLACE || kind == RQ_CANCEL ? th_tick_probe_trigger() : 0};
    snprintf(p->cl_id, sizeof p->cl_id, "%s", cl ? cl : "");
    snprintf(p->ex_id, sizeof p->ex_id, "%s", ex ? ex : "");
    snprintf(p->symbol, sizeof p->symbol, "%s", sym ? sym : "");
    if (th_ws_send(&k->ws, b, (size_t)bn) != 0) { p->id = 0; return -1; }
    k->sent++;
    th_logf(TH_LOG_DEBUG, "binance private: sent", "id=%lld method=%s cl_id=%s ex_id=%s", (long long)id, method, cl ? cl : "", ex ? ex : "");
    return 0;
}

static int add(kv *v, int n, const char *key, const char *val)
{
    v[n].k = key;
    snprintf(v[n].v, sizeof v[n].v, "%s", val);
    return n + 1;
}

static int bs_place(void *self, const th_venue_place *p)
{
    th_binance_spot *k = self;
    if (!ready(k) || !p->ins) return -1;
    if (!th_binance_orders_take(k)) return -1; /* fails locally: the flow finishes the order, the strategy may place again later */
    kv v[MAX_PARAMS];
    int n = 0;
    char px[40], qty[40];
    th_dec_format(p->price, p->ins->price_dec, px, sizeof px);
    th_dec_format(p->qty, p->ins->qty_dec, qty, sizeof qty);
    n = add(v, n, "symbol", p->ins->symbol);
    n = add(v, n, "side", p->side == TH_BID ? "BUY" : "SELL");
    n = add(v, n, "type", p->post_only ? "LIMIT_MAKER" : "LIMIT");
    if (!p->post_only) n = add(v, n, "timeInForce", "GTC");
    n = add(v, n, "quantity", qty);
    n = add(v, n, "price", px);
    n = add(v, n, "newClientOrderId", p->cl_id);
    n = add(v, n, "newOrderRespType", "ACK");
    return send_signed(k, "order.place", v, n, RQ_PLACE, p->cl_id, NULL, p->ins->symbol);
}

/* The symbol of an order: its instrument's, else the one its orderId was seen with. */
static const char *symbol_of(th_binance_spot *k, const th_instrument *ins, const char *ex_id)
{
    if (ins) return ins->symbol;
    const binance_idmap *m = idmap_get(k, ex_id);
    return m && m->symbol[0] ? m->symbol : NULL;
}

/* A request about one order (order.cancel, order.status): by the venue's id once we know it, else
 * by our client id. */
static int one_order_request(th_binance_spot *k, const char *method, int32_t kind, const char *cl_id, const char *ex_id,
                             const th_instrument *ins)
{
    const char *sym = symbol_of(k, ins, ex_id);
    if (!ready(k) || !sym) return -1;
    kv v[MAX_PARAMS];
    int n = add(v, 0, "symbol", sym);
    n = ex_id && ex_id[0] ? add(v, n, "orderId", ex_id) : add(v, n, "origClientOrderId", cl_id);
    return send_signed(k, method, v, n, kind, cl_id, ex_id, sym);
}

static int bs_cancel(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    return one_order_request(self, "order.cancel", RQ_CANCEL, cl_id, ex_id, ins);
}

static int bs_amend(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins, int64_t price, int64_t qty)
{
    (void)self; (void)cl_id; (void)ex_id; (void)ins; (void)price; (void)qty;
    return -1; /* can_amend = false: the flow never asks */
}

static int bs_query_order(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    return one_order_request(self, "order.status", RQ_QUERY, cl_id, ex_id, ins);
}

/* One page of myTrades for a pair: the first from startTime (a second before the last known fill;
 * none at all: the oldest Binance keeps), oldest first; the next ones from fromId = the last row's
 * id + 1 (Binance takes fromId alone, never with startTime). */
static int send_trades_page(th_binance_spot *k, const char *symbol, int64_t from_id)
{
    kv v[MAX_PARAMS];
    char t[32];
    int n = add(v, 0, "symbol", symbol);
    n = add(v, n, "limit", TRADES_PAGE_TEXT);
    if (from_id > 0) {
        snprintf(t, sizeof t, "%lld", (long long)from_id);
        n = add(v, n, "fromId", t);
    } else if (k->trades_since_ns > 0) {
        snprintf(t, sizeof t, "%lld", (long long)(k->trades_since_ns / 1000000 - 1000));
        n = add(v, n, "startTime", t);
    }
    return send_signed(k, "myTrades", v, n, RQ_TRADES, NULL, NULL, symbol);
}

static void send_recovery(th_binance_spot *k)
{
    if (!ready(k)) return;
    if (k->want_trades && k->trades_waiting == 0) {
        k->ntrades = 0;
        int sent = 0;
        for (int32_t i = 0; i < k->nsymbols; i++) {
            if (send_trades_page(k, k->symbols[i], 0) == 0) sent++;
            else break;
        }
        if (sent == k->nsymbols) {
            k->want_trades = false;
            k->trades_waiting = sent;
        } else {
            k->trades_waiting = 0; /* partly sent: the answers are ignored, asked again by the timer */
        }
        if (k->nsymbols == 0) { k->want_trades = false; k->ev.on_trades(k->ev.ctx, NULL, 0); }
    }
    if (k->want_open_orders) {
        kv v[MAX_PARAMS];
        if (send_signed(k, "openOrders.status", v, 0, RQ_OPEN, NULL, NULL, NULL) == 0) k->want_open_orders = false;
    }
    if (k->want_balances && k->bal) {
        kv v[MAX_PARAMS];
        if (send_signed(k, "account.status", v, 0, RQ_ACCOUNT, NULL, NULL, NULL) == 0) k->want_balances = false;
    }
}

static int bs_open_orders(void *self)
{
    th_binance_spot *k = self;
    k->want_open_orders = true;
    k->want_balances = true; /* reconciliation: the account's balances too */
    send_recovery(k);
    return 0;
}

static int bs_trades_since(void *self, int64_t since_ns)
{
    th_binance_spot *k = self;
    k->want_trades = true;
    k->trades_since_ns = since_ns;
    send_recovery(k);
    return 0;
}

/* ---- answers ---- */

static int32_t ins_index(th_binance_spot *k, const th_json *j, int t)
{
    return t >= 0 ? th_instruments_find(k->ins, th_json_ptr(j, t), th_json_len(j, t)) : -1;
}

/* One order object of openOrders.status / order.status. */
static bool order_of(th_binance_spot *k, const th_json *j, int o, th_venue_order *out)
{
    memset(out, 0, sizeof *out);
    int32_t idx = ins_index(k, j, th_json_get(j, o, "symbol"));
    if (idx < 0) return false;
    const th_instrument *in = &k->ins->v[idx];
    snprintf(out->symbol, sizeof out->symbol, "%s", in->symbol);
    copy_tok(j, th_json_get(j, o, "clientOrderId"), out->cl_id, sizeof out->cl_id);
    copy_tok(j, th_json_get(j, o, "orderId"), out->ex_id, sizeof out->ex_id);
    out->side = th_json_eq(j, th_json_get(j, o, "side"), "SELL") ? TH_ASK : TH_BID;
    char st[24];
    copy_tok(j, th_json_get(j, o, "status"), st, sizeof st);
    out->open = strcmp(st, "NEW") == 0 || strcmp(st, "PARTIALLY_FILLED") == 0;
    bool ok = true;
    out->price = dec_tok(j, th_json_get(j, o, "price"), in->price_dec, &ok);
    out->qty = dec_tok(j, th_json_get(j, o, "origQty"), in->qty_dec, &ok);
    out->filled = dec_tok(j, th_json_get(j, o, "executedQty"), in->qty_dec, &ok);
    if (ok) idmap_put(k, out->ex_id, out->cl_id, in->symbol);
    return ok;
}

/* A fill, from an executionReport (l, L, n, N, t, T) or a myTrades row (qty, price, commission,
 * commissionAsset, id, time): the same trade id either way. */
static bool fill_of(th_binance_spot *k, const th_json *j, int o, bool report, th_venue_fill *f)
{
    memset(f, 0, sizeof *f);
    int32_t idx = ins_index(k, j, th_json_get(j, o, report ? "s" : "symbol"));
    if (idx < 0) return false;
    const th_instrument *in = &k->ins->v[idx];
    snprintf(f->symbol, sizeof f->symbol, "%s", in->symbol);
    copy_tok(j, th_json_get(j, o, report ? "i" : "orderId"), f->ex_id, sizeof f->ex_id);
    char tid[32];
    copy_tok(j, th_json_get(j, o, report ? "t" : "id"), tid, sizeof tid);
    snprintf(f->trade_id, sizeof f->trade_id, "%s-%s", in->symbol, tid);
    if (report) f->side = th_json_eq(j, th_json_get(j, o, "S"), "SELL") ? TH_ASK : TH_BID;
    else f->side = th_json_eq(j, th_json_get(j, o, "isBuyer"), "true") ? TH_BID : TH_ASK;
    bool ok = tid[0] != 0;
    f->price = dec_tok(j, th_json_get(j, o, report ? "L" : "price"), in->price_dec, &ok);
    f->qty = dec_tok(j, th_json_get(j, o, report ? "l" : "qty"), in->qty_dec, &ok);
    int fee = th_json_get(j, o, report ? "n" : "commission"), fa = th_json_get(j, o, report ? "N" : "commissionAsset");
    if (fee >= 0) {
        if (fa >= 0 && th_json_eq(j, fa, in->quote)) f->fee = th_wire_money(th_json_ptr(j, fee), th_json_len(j, fee), in->price_dec + in->qty_dec);
        else if (fa >= 0 && j->tok[fa].type == TH_JSON_STRING && th_json_len(j, fa) > 0) {
            /* BNB (or another asset): kept as Binance wrote it, for the flow to record; not converted */
            copy_tok(j, fa, f->fee_asset, sizeof f->fee_asset);
            copy_tok(j, fee, f->fee_other, sizeof f->fee_other);
        }
    }
    int64_t ms = 0;
    int tt = th_json_get(j, o, report ? "T" : "time");
    if (tt >= 0) th_json_i64(j, tt, &ms);
    f->ts_ns = ms * 1000000LL;
    const binance_idmap *m = idmap_get(k, f->ex_id);
    if (m) snprintf(f->cl_id, sizeof f->cl_id, "%s", m->cl_id);
    return ok;
}

/* One page of a pair's trades: collected; a full page asks for the next (fromId), and the trades
 * go to the flow together once every pair's last page is in. */
static void answer_trades(th_binance_spot *k, const th_json *j, int res, const char *symbol)
{
    if (k->trades_waiting <= 0) return;
    int32_t rows = 0;
    int64_t last_id = 0;
    if (res >= 0 && j->tok[res].type == TH_JSON_ARRAY) {
        int o = res + 1;
        rows = j->tok[res].size;
        for (int i = 0; i < j->tok[res].size; i++, o = th_json_skip(j, o)) {
            int64_t id;
            if (th_json_i64(j, th_json_get(j, o, "id"), &id) == 0 && id > last_id) last_id = id;
            if (k->ntrades == k->trades_cap) {
                int32_t cap = k->trades_cap ? k->trades_cap * 2 : 64;
                th_venue_fill *v = realloc(k->trades, sizeof *v * (size_t)cap);
                if (!v) break;
                k->trades = v;
                k->trades_cap = cap;
            }
            if (fill_of(k, j, o, false, &k->trades[k->ntrades])) {
                if (!k->trades[k->ntrades].cl_id[0])
                    th_logf(TH_LOG_WARN, "binance private: a trade of an order this session never saw", "trade_id=%s order_id=%s",
                            k->trades[k->ntrades].trade_id, k->trades[k->ntrades].ex_id);
                k->ntrades++;
            }
        }
    }
    if (rows >= TRADES_PAGE && last_id > 0) {
        k->trade_pages++;
        th_logf(TH_LOG_INFO, "binance private: myTrades page full, asking for the next", "symbol=%s from_id=%lld collected=%d", symbol,
                (long long)(last_id + 1), k->ntrades);
        if (send_trades_page(k, symbol, last_id + 1) == 0) return; /* the same pair stays waited for */
        k->trades_waiting = 0; /* not sent: the whole recovery again (the timer); fills are counted once by trade id */
        k->want_trades = true;
        return;
    }
    if (--k->trades_waiting == 0) k->ev.on_trades(k->ev.ctx, k->trades, k->ntrades);
}

static void on_subscribed(th_binance_spot *k)
{
    bool again = k->ever_subscribed;
    k->subscribed = k->ever_subscribed = true;
    k->sub_pending = false;
    th_logf(TH_LOG_INFO, "binance private: user data subscribed", "reconnect=%s", again ? "yes" : "no");
    /* the account's order counts and limits before any place: a burst at start must not pass them */
    kv v[MAX_PARAMS];
    send_signed(k, "account.rateLimits.orders", v, 0, RQ_LIMITS, NULL, NULL, NULL);
    send_recovery(k);
    if (again && k->ready) k->ready(k->ready_ctx); /* the flow reconciles: nothing is assumed about the gap */
}

/* rateLimits [{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":N,"count":C}]:
 * the venue's count sets the weight bucket. */
static void note_weight(th_binance_spot *k, const th_json *j)
{
    int rl = th_json_get(j, 0, "rateLimits");
    if (rl < 0 || j->tok[rl].type != TH_JSON_ARRAY) return;
    int e = rl + 1;
    for (int i = 0; i < j->tok[rl].size; i++, e = th_json_skip(j, e)) {
        int64_t c;
        if (th_binance_orders_note(k, j, e)) continue;
        if (!th_json_eq(j, th_json_get(j, e, "rateLimitType"), "REQUEST_WEIGHT") || th_json_i64(j, th_json_get(j, e, "count"), &c)) continue;
        k->rest.used_weight = c;
        k->rest.weight.tokens = k->rest.weight.cap - (double)c;
        k->rest.weight.last_ns = th_mono_ns();
    }
}

static void answer(th_binance_spot *k, const th_json *j)
{
    int64_t id = 0, status = 0, code = 0;
    if (th_json_i64(j, th_json_get(j, 0, "id"), &id) != 0 || id <= 0) return;
    th_json_i64(j, th_json_get(j, 0, "status"), &status);
    note_weight(k, j);
    binance_pend *p = &k->pend[(uint64_t)id % TH_BINANCE_PENDING];
    if (p->id != id) return; /* not ours, or given up */
    binance_pend r = *p;
    p->id = 0;
    k->answers++;
    int64_t tin;
    if (r.trigger_ns && th_json_i64(j, th_json_get(j, 0, "simTimeIn"), &tin) == 0) th_tick_probe_sample(r.trigger_ns, tin);
    int res = th_json_get(j, 0, "result"), err = th_json_get(j, 0, "error");
    char msg[256] = "";
    int64_t retry_ns = 0;
    if (status != 200 || err >= 0) {
        if (err >= 0) {
            th_json_i64(j, th_json_get(j, err, "code"), &code);
            copy_tok(j, th_json_get(j, err, "msg"), msg, sizeof msg);
            int d = th_json_get(j, err, "data");
            int64_t ra = 0;
            if (d >= 0 && th_json_i64(j, th_json_get(j, d, "retryAfter"), &ra) == 0 && ra > 0) {
                /* retryAfter is the epoch ms when requests may resume (Binance) or, from the sim, ms to wait */
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
                retry_ns = (ra > now_ms / 2 ? ra - now_ms : ra) * 1000000LL;
                if (retry_ns < 0) retry_ns = 0;
            }
        }
        if (code == -1015 && status != 418) {
            /* the account's order count, not the IP's weight: new orders wait, cancels and queries go on */
            k->limited++;
            th_binance_orders_refused(k, retry_ns);
        } else if (status == 429 || status == 418) {
            k->limited++;
            th_binance_rest_limited(&k->rest, (int)status, retry_ns, msg);
        }
        int32_t verr = verr_of((int)status, code);
        k->refusals++;
        if (k->refusals <= 20)
            th_logf(TH_LOG_WARN, "binance private: request refused", "kind=%d cl_id=%s ex_id=%s status=%lld code=%lld msg=\"%s\" logged=%llu/20",
                    r.kind, r.cl_id, r.ex_id, (long long)status, (long long)code, msg, (unsigned long long)k->refusals);
        switch (r.kind) {
        case RQ_SUB:
            k->sub_pending = false; /* the timer asks again (after the back-off) */
            th_logf(TH_LOG_ERROR, "binance private: user data subscription refused", "code=%lld msg=\"%s\"", (long long)code, msg);
            break;
        case RQ_PLACE: k->ev.on_reject(k->ev.ctx, r.cl_id, verr, retry_ns, msg); break;
        case RQ_CANCEL: k->ev.on_cancel_failed(k->ev.ctx, r.cl_id, verr, retry_ns, msg); break;
        case RQ_QUERY:
            if (code == -2013) k->ev.on_order_status(k->ev.ctx, r.cl_id, NULL); /* the venue does not know it */
            break;                                                            /* else: the flow asks again */
        case RQ_OPEN: k->want_open_orders = true; break;
        case RQ_ACCOUNT: k->want_balances = true; break;
        case RQ_TRADES:
            if (k->trades_waiting > 0) { k->trades_waiting = 0; k->want_trades = true; } /* the other pairs' answers are ignored */
            break;
        default: break;
        }
        return;
    }
    switch (r.kind) {
    case RQ_SUB: on_subscribed(k); break;
    case RQ_ACCOUNT:
        if (k->bal && th_binance_balances_account(k->bal, j, res) < 0) k->want_balances = true;
        break;
    case RQ_PLACE: {
        char ex[24] = "";
        if (res >= 0) copy_tok(j, th_json_get(j, res, "orderId"), ex, sizeof ex);
        idmap_put(k, ex, r.cl_id, r.symbol);
        k->ev.on_ack(k->ev.ctx, r.cl_id, ex);
        break;
    }
    case RQ_CANCEL: {
        char ex[24] = "";
        if (res >= 0) copy_tok(j, th_json_get(j, res, "orderId"), ex, sizeof ex);
        k->ev.on_cancelled(k->ev.ctx, r.cl_id, ex[0] ? ex : r.ex_id);
        break;
    }
    case RQ_QUERY: {
        th_venue_order o;
        if (res >= 0 && order_of(k, j, res, &o)) k->ev.on_order_status(k->ev.ctx, r.cl_id, &o);
        break;
    }
    case RQ_OPEN: {
        int32_t n = res >= 0 && j->tok[res].type == TH_JSON_ARRAY ? j->tok[res].size : 0, m = 0;
        th_venue_order *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
        if (!v) { k->want_open_orders = true; break; }
        int o = res + 1;
        for (int32_t i = 0; i < n; i++, o = th_json_skip(j, o))
            if (order_of(k, j, o, &v[m])) m++;
        k->ev.on_open_orders(k->ev.ctx, v, m);
        free(v);
        break;
    }
    case RQ_TRADES: answer_trades(k, j, res, r.symbol); break;
    case RQ_LIMITS:
        if (res >= 0 && j->tok[res].type == TH_JSON_ARRAY) {
            int e = res + 1;
            for (int i = 0; i < j->tok[res].size; i++, e = th_json_skip(j, e)) th_binance_orders_note(k, j, e);
            th_logf(TH_LOG_INFO, "binance private: order count limits", "limit_10s=%d count_10s=%d limit_day=%d count_day=%d",
                    k->orders_limit_10s, k->orders_n10, k->orders_limit_day, k->orders_nday);
        }
        break;
    default: break;
    }
}

static void execution_report(th_binance_spot *k, const th_json *j, int e)
{
    char x[24], cl[40], orig[40], ex[24], sym[32];
    copy_tok(j, th_json_get(j, e, "x"), x, sizeof x);
    copy_tok(j, th_json_get(j, e, "c"), cl, sizeof cl);
    copy_tok(j, th_json_get(j, e, "C"), orig, sizeof orig);
    copy_tok(j, th_json_get(j, e, "i"), ex, sizeof ex);
    copy_tok(j, th_json_get(j, e, "s"), sym, sizeof sym);
    if (orig[0]) snprintf(cl, sizeof cl, "%s", orig); /* a cancel: c is the cancel's own id, C the order's */
    if (cl[0]) idmap_put(k, ex, cl, sym);
    if (strcmp(x, "TRADE") == 0) {
        th_venue_fill f;
        if (!fill_of(k, j, e, true, &f)) {
            th_logf(TH_LOG_ERROR, "binance private: a fill we cannot read (the trades query will bring it)", "ex_id=%s", ex);
            return;
        }
        snprintf(f.cl_id, sizeof f.cl_id, "%s", cl);
        k->fills++;
        k->ev.on_fill(k->ev.ctx, &f);
    } else if (strcmp(x, "NEW") == 0) {
        if (cl[0]) k->ev.on_ack(k->ev.ctx, cl, ex);
    } else if (strcmp(x, "CANCELED") == 0) {
        k->ev.on_cancelled(k->ev.ctx, cl, ex);
    } else if (strcmp(x, "EXPIRED") == 0) {
        k->ev.on_expired(k->ev.ctx, cl, ex);
    } else if (strcmp(x, "REJECTED") == 0) {
        char r[64];
        copy_tok(j, th_json_get(j, e, "r"), r, sizeof r);
        k->ev.on_reject(k->ev.ctx, cl, TH_VERR_REJECTED, 0, r);
    }
}

static void on_frame(void *ctx, const char *text, size_t len)
{
    th_binance_spot *k = ctx;
    const th_json *j = &k->j;
    if (th_json_parse(&k->j, text, len) <= 0 || j->tok[0].type != TH_JSON_OBJECT) {
        th_logf(TH_LOG_WARN, "binance private: a frame that is not a JSON object", "len=%zu", len);
        return;
    }
    int ev = th_json_get(j, 0, "event");
    if (ev >= 0) {
        if (j->tok[ev].type == TH_JSON_OBJECT && th_json_eq(j, th_json_get(j, ev, "e"), "executionReport")) execution_report(k, j, ev);
        else if (j->tok[ev].type == TH_JSON_OBJECT && k->bal && th_json_eq(j, th_json_get(j, ev, "e"), "outboundAccountPosition"))
            th_binance_balances_position(k->bal, j, ev);
        return; /* balanceUpdate: its outboundAccountPosition follows (binance_balances.h) */
    }
    answer(k, j);
}

static void subscribe(th_binance_spot *k)
{
    kv v[MAX_PARAMS];
    if (k->sub_pending || k->subscribed) return;
    if (send_signed(k, "userDataStream.subscribe.signature", v, 0, RQ_SUB, NULL, NULL, NULL) == 0) k->sub_pending = true;
}

static void on_open(void *ctx) { subscribe(ctx); }

static void on_lost(void *ctx, const char *why)
{
    th_binance_spot *k = ctx;
    (void)why;
    k->subscribed = k->sub_pending = false;
    /* Answers in flight are lost with the connection: the flow's timeout queries settle those
     * orders (never a second place); a recovery in flight is asked again. */
    for (int32_t i = 0; i < TH_BINANCE_PENDING; i++) {
        binance_pend *p = &k->pend[i];
        if (!p->id) continue;
        if (p->kind == RQ_OPEN) k->want_open_orders = true;
        if (p->kind == RQ_ACCOUNT) k->want_balances = true;
        if (p->kind == RQ_TRADES) k->want_trades = true;
        p->id = 0;
        k->lost_answers++;
    }
    k->trades_waiting = 0;
}

static void on_timer(uv_timer_t *t)
{
    th_binance_spot *k = t->data;
    if (k->ws.connected && !k->subscribed) subscribe(k);
    if (ready(k) && (k->want_open_orders || k->want_trades || k->want_balances)) send_recovery(k);
}

static const th_venue_ops OPS = {
    .name = "binance",
    .can_amend = false,
    .place = bs_place,
    .cancel = bs_cancel,
    .amend = bs_amend,
    .query_order = bs_query_order,
    .open_orders = bs_open_orders,
    .trades_since = bs_trades_since,
};

th_venue th_binance_spot_as_venue(th_binance_spot *k) { return (th_venue){&OPS, k}; }

int th_binance_spot_open(th_binance_spot *k, uv_loop_t *loop, const th_instruments *ins, const th_binance_spot_cfg *cfg, char *why,
                         size_t cap)
{
    memset(k, 0, sizeof *k);
    k->ins = ins;
    k->pend = calloc(TH_BINANCE_PENDING, sizeof *k->pend);
    k->idmap = calloc(TH_BINANCE_IDMAP, sizeof *k->idmap);
    k->symbols = calloc((size_t)(cfg->nsymbols > 0 ? cfg->nsymbols : 1), sizeof *k->symbols);
    if (!k->pend || !k->idmap || !k->symbols || th_json_init(&k->j, 1 << 16) != 0) { snprintf(why, cap, "out of memory"); return -1; }
    for (int32_t i = 0; i < cfg->nsymbols; i++) snprintf(k->symbols[i], sizeof k->symbols[i], "%s", cfg->symbols[i]);
    k->nsymbols = cfg->nsymbols;
    if (th_binance_rest_open(&k->rest, loop, cfg->rest_url, cfg->key, cfg->secret, why, cap) != 0) return -1;
    k->open = true;
    th_ws_handlers h = {k, on_open, on_frame, on_lost};
    const char *url = cfg->ws_url ? cfg->ws_url : TH_BINANCE_WSAPI_URL;
    if (th_ws_open(&k->ws, loop, "binance-private", url, &h, IDLE_MS, why, cap) != 0) return -1;
    uv_timer_init(loop, &k->timer);
    k->timer.data = k;
    k->timer_open = true;
    uv_timer_start(&k->timer, on_timer, 500, 500);
    th_logf(TH_LOG_INFO, "binance private: connecting", "ws=%s pairs=%d", url, k->nsymbols);
    return 0;
}

void th_binance_spot_close(th_binance_spot *k)
{
    if (!k->open) return;
    k->open = false;
    th_tick_probe_report("binance");
    th_logf(TH_LOG_INFO, "binance private: closed", "sent=%llu answers=%llu refusals=%llu fills=%llu lost_answers=%llu limited=%llu connects=%llu orders_held=%llu",
            (unsigned long long)k->sent, (unsigned long long)k->answers, (unsigned long long)k->refusals, (unsigned long long)k->fills,
            (unsigned long long)k->lost_answers, (unsigned long long)k->limited, (unsigned long long)k->ws.connects,
            (unsigned long long)k->orders_held);
    th_ws_close(&k->ws);
    th_binance_rest_close(&k->rest);
    if (k->timer_open) {
        uv_timer_stop(&k->timer);
        uv_close((uv_handle_t *)&k->timer, NULL);
        k->timer_open = false;
    }
}

void th_binance_spot_free(th_binance_spot *k)
{
    th_ws_free(&k->ws);
    th_binance_rest_free(&k->rest);
    th_json_free(&k->j);
    free(k->pend);
    free(k->idmap);
    free(k->symbols);
    free(k->trades);
    k->pend = NULL;
    k->idmap = NULL;
    k->symbols = NULL;
    k->trades = NULL;
}
