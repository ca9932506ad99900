/* paper_venue.c — the order interface over the sim's matching engine, with latency (see
 * paper_venue.h). */
#include "paper_venue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/money.h"

enum { RQ_PLACE = 1, RQ_CANCEL, RQ_AMEND, RQ_QUERY, RQ_OPEN, RQ_TRADES };
enum { AN_ACK = 1, AN_REJECT, AN_CANCELLED, AN_CANCEL_FAILED, AN_EXPIRED, AN_AMENDED, AN_FILL, AN_STATUS, AN_OPEN, AN_TRADES };

struct pv_req {
    int32_t kind, ins, side;
    bool post_only;
    int64_t price, qty, since, due;
    char cl_id[40], ex_id[48];
};

struct pv_ans {
    int32_t kind, verr;
    bool ok, known;
    int64_t due;
    const char *text;            /* static */
    th_venue_fill fill;          /* FILL; cl_id/ex_id of the others ride in fill.cl_id / fill.ex_id */
    th_venue_order order;        /* STATUS */
    void *list;                  /* OPEN (th_venue_order[]), TRADES (th_venue_fill[]); owned */
    int32_t nlist;
};

#define GROW(arr, n, cap, fail)                                                  \
    do {                                                                         \
        if ((n) == (cap)) {                                                      \
            int32_t c_ = (cap) ? (cap) * 2 : 64;                                 \
            void *p_ = realloc((arr), sizeof *(arr) * (size_t)c_);               \
            if (!p_) fail;                                                       \
            (arr) = p_;                                                          \
            (cap) = c_;                                                          \
        }                                                                        \
    } while (0)

/* ---- answers: queued with the time they reach us ---- */

static pv_ans *ans_push(th_paper_venue *v, int32_t kind, int64_t venue_ts)
{
    /* compact when the queue has been drained */
    if (v->ans_head == v->nans) v->ans_head = v->nans = 0;
    GROW(v->ans, v->nans, v->ans_cap, return NULL);
    pv_ans *a = &v->ans[v->nans++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    int64_t due = venue_ts - v->cfg.latency.feed_ns + th_paper_latency_order(&v->cfg.latency);
    if (due < venue_ts) due = venue_ts; /* made at venue_ts on our timeline: never earlier */
    if (due < v->last_ans_due) due = v->last_ans_due;
    a->due = v->last_ans_due = due;
    return a;
}

static void ids_of(const th_sim_order *o, char *cl, size_t cl_cap, char *ex, size_t ex_cap)
{
    char k[20];
    th_sim_format_kraken_id('O', o->id, k);
    snprintf(cl, cl_cap, "%s", o->cl_ord_id);
    snprintf(ex, ex_cap, "%s", k);
}

/* Engine fees are at TH_SIM_SCALE decimals of the quote asset; the order side counts money in the
 * instrument's notional units, 10^-(price_dec + qty_dec): rounded to the nearest unit. */
static th_money fee_units(const th_instrument *in, th_money fee20)
{
    int32_t k = TH_SIM_SCALE - in->price_dec - in->qty_dec;
    if (k <= 0) return fee20 * th_money_pow10(-k);
    th_money d = th_money_pow10(k);
    return (fee20 + d / 2) / d;
}

/* A sim trade as the flow's fill (everything but the order's ids): one shape for the fill event
 * and for the trades-since answer. */
static void trade_fill(const th_paper_venue *v, const th_sim_trade *t, th_venue_fill *f)
{
    const th_instrument *in = &th_sim_instruments(v->e)->v[t->ins];
    char k[20];
    th_sim_format_kraken_id('T', t->id, k);
    snprintf(f->trade_id, sizeof f->trade_id, "%s", k);
    snprintf(f->symbol, sizeof f->symbol, "%s", in->symbol);
    f->side = t->side == TH_SIM_BUY ? TH_BID : TH_ASK;
    f->price = t->price;
    f->qty = t->qty;
    f->ts_ns = t->ts_ns;
    f->fee = fee_units(in, t->fee);
}

static void on_event(void *ctx, const th_sim_event *e)
{
    th_paper_venue *v = ctx;
    const th_sim_order *o = e->order;
    pv_ans *a = NULL;
    switch (e->kind) {
    case TH_SIM_EV_NEW: a = ans_push(v, AN_ACK, e->ts_ns); break;
    case TH_SIM_EV_FILL: {
        a = ans_push(v, AN_FILL, e->ts_ns);
        if (!a) break;
        trade_fill(v, e->trade, &a->fill);
        break;
    }
    case TH_SIM_EV_CANCELED:
        if (v->in_amend_to_filled) return;
        a = ans_push(v, o->cancel_reason == TH_SIM_CANCEL_IOC ? AN_EXPIRED : AN_CANCELLED, e->ts_ns);
        break;
    case TH_SIM_EV_AMENDED:
        a = ans_push(v, AN_AMENDED, e->ts_ns);
        if (a) a->ok = true;
        break;
    case TH_SIM_EV_REJECTED: return; /* answered from the call's return code, with its reason */
    }
    if (!a) { th_logf(TH_LOG_ERROR, "paper venue: out of memory queueing an event", NULL); return; }
    ids_of(o, a->fill.cl_id, sizeof a->fill.cl_id, a->fill.ex_id, sizeof a->fill.ex_id);
}

/* ---- requests: applied at the time they reach the venue ---- */

static const th_sim_order *find_order(const th_paper_venue *v, const pv_req *r)
{
    if (r->cl_id[0]) {
        const th_sim_order *o = th_sim_order_find_cl(v->e, v->account, r->cl_id);
        if (o) return o;
        /* closed orders: the newest with this client id (queries after the fact are rare) */
        for (int32_t i = th_sim_order_count(v->e) - 1; i >= 0; i--) {
            const th_sim_order *c = th_sim_order_at(v->e, i);
            if (c->account == v->account && strcmp(c->cl_ord_id, r->cl_id) == 0) return c;
        }
    }
    if (r->ex_id[0]) {
        for (int32_t i = th_sim_order_count(v->e) - 1; i >= 0; i--) {
            const th_sim_order *c = th_sim_order_at(v->e, i);
            char k[20];
            th_sim_format_kraken_id('O', c->id, k);
            if (c->account == v->account && strcmp(k, r->ex_id) == 0) return c;
        }
    }
    return NULL;
}

static void follow(th_paper_venue *v, int32_t ins, int64_t ts)
{
    if (ins < 0 || ins >= v->nins || v->follow[ins]) return;
    v->follow[ins] = true;
    v->followed[v->nfollowed++] = ins;
    const th_book *b = v->cfg.book ? v->cfg.book(v->cfg.book_ctx, ins) : NULL;
    if (b) {
        v->seen_updates[ins] = b->updates;
        if (th_sim_book_sync_apply(v->e, &v->sync, ins, b, ts) < 0) th_logf(TH_LOG_ERROR, "paper venue: out of memory syncing a book", NULL);
    }
}

static void refuse(th_paper_venue *v, const pv_req *r, int32_t kind, th_sim_reject rj)
{
    v->rejects[rj < TH_SIM_REJ_COUNT ? rj : TH_SIM_REJ_BAD_REQUEST]++;
    pv_ans *a = ans_push(v, kind, v->now);
    if (!a) return;
    a->verr = rj == TH_SIM_REJ_RATE_LIMITED ? TH_VERR_RATE_LIMITED : rj == TH_SIM_REJ_UNKNOWN_ORDER ? TH_VERR_UNKNOWN_ORDER : TH_VERR_REJECTED;
    a->text = th_sim_reject_name(rj);
    snprintf(a->fill.cl_id, sizeof a->fill.cl_id, "%s", r->cl_id);
    snprintf(a->fill.ex_id, sizeof a->fill.ex_id, "%s", r->ex_id);
}

static void apply_place(th_paper_venue *v, const pv_req *r)
{
    if (r->ins < 0) { refuse(v, r, AN_REJECT, TH_SIM_REJ_UNKNOWN_SYMBOL); return; }
    follow(v, r->ins, v->now);
    th_sim_order_req q = {
        .ins = r->ins, .side = r->side == TH_BID ? TH_SIM_BUY : TH_SIM_SELL, .type = TH_SIM_LIMIT, .tif = TH_SIM_GTC,
        .post_only = r->post_only, .price = r->price, .qty = r->qty, .cl_ord_id = r->cl_id,
    };
    uint64_t id;
    th_sim_reject rj = th_sim_place(v->e, v->account, &q, v->now, &id);
    if (rj != TH_SIM_OK) refuse(v, r, AN_REJECT, rj);
}

static void apply_cancel(th_paper_venue *v, const pv_req *r)
{
    const th_sim_order *o = find_order(v, r);
    th_sim_reject rj = o && o->status == TH_SIM_ST_OPEN ? th_sim_cancel(v->e, v->account, o->id, v->now) : TH_SIM_REJ_UNKNOWN_ORDER;
    if (rj != TH_SIM_OK) refuse(v, r, AN_CANCEL_FAILED, rj);
}

/* venue_api.h: qty is the new total; at most the filled part finishes the order (answered as an
 * applied amend, as Kraken does). */
static void apply_amend(th_paper_venue *v, const pv_req *r)
{
    const th_sim_order *o = find_order(v, r);
    th_sim_reject rj;
    if (!o || o->status != TH_SIM_ST_OPEN) {
        rj = TH_SIM_REJ_UNKNOWN_ORDER;
    } else if (r->qty <= o->filled) {
        v->in_amend_to_filled = true;
        rj = th_sim_cancel(v->e, v->account, o->id, v->now);
        v->in_amend_to_filled = false;
        if (rj == TH_SIM_OK) {
            pv_ans *a = ans_push(v, AN_AMENDED, v->now);
            if (a) {
                a->ok = true;
                snprintf(a->fill.cl_id, sizeof a->fill.cl_id, "%s", r->cl_id);
            }
        }
    } else {
        rj = th_sim_amend(v->e, v->account, o->id, r->qty, r->price, -1, v->now);
    }
    if (rj == TH_SIM_OK) return;
    v->rejects[rj]++;
    pv_ans *a = ans_push(v, AN_AMENDED, v->now);
    if (!a) return;
    a->ok = false;
    a->text = th_sim_reject_name(rj);
    snprintf(a->fill.cl_id, sizeof a->fill.cl_id, "%s", r->cl_id);
}

static void venue_order(th_paper_venue *v, const th_sim_order *o, th_venue_order *out)
{
    memset(out, 0, sizeof *out);
    ids_of(o, out->cl_id, sizeof out->cl_id, out->ex_id, sizeof out->ex_id);
    snprintf(out->symbol, sizeof out->symbol, "%s", th_sim_instruments(v->e)->v[o->ins].symbol);
    out->side = o->side == TH_SIM_BUY ? TH_BID : TH_ASK;
    out->open = o->status == TH_SIM_ST_OPEN;
    out->price = o->price;
    out->qty = o->qty;
    out->filled = o->filled;
}

static void apply_query(th_paper_venue *v, const pv_req *r)
{
    const th_sim_order *o = find_order(v, r);
    pv_ans *a = ans_push(v, AN_STATUS, v->now);
    if (!a) return;
    snprintf(a->fill.cl_id, sizeof a->fill.cl_id, "%s", r->cl_id);
    a->known = o != NULL;
    if (o) venue_order(v, o, &a->order);
}

static void apply_open(th_paper_venue *v)
{
    int32_t n = th_sim_open_orders(v->e, v->account, -1, NULL, 0);
    const th_sim_order **os = malloc(sizeof *os * (size_t)(n + 1));
    th_venue_order *list = malloc(sizeof *list * (size_t)(n + 1));
    pv_ans *a = os && list ? ans_push(v, AN_OPEN, v->now) : NULL;
    if (!a) { free(os); free(list); th_logf(TH_LOG_ERROR, "paper venue: out of memory answering open orders", NULL); return; }
    n = th_sim_open_orders(v->e, v->account, -1, os, n);
    for (int32_t i = 0; i < n; i++) venue_order(v, os[i], &list[i]);
    free(os);
    a->list = list;
    a->nlist = n;
}

static void apply_trades(th_paper_venue *v, int64_t since)
{
    int32_t n = th_sim_trade_count(v->e);
    th_venue_fill *list = malloc(sizeof *list * (size_t)(n + 1));
    pv_ans *a = list ? ans_push(v, AN_TRADES, v->now) : NULL;
    if (!a) { free(list); th_logf(TH_LOG_ERROR, "paper venue: out of memory answering trades", NULL); return; }
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        const th_sim_trade *t = th_sim_trade_at(v->e, i);
        if (t->account != v->account || t->ts_ns < since) continue;
        const th_sim_order *o = th_sim_order_find(v->e, t->order_id);
        th_venue_fill *f = &list[k++];
        memset(f, 0, sizeof *f);
        if (o) ids_of(o, f->cl_id, sizeof f->cl_id, f->ex_id, sizeof f->ex_id);
        trade_fill(v, t, f);
    }
    a->list = list;
    a->nlist = k;
}

static void apply(th_paper_venue *v, const pv_req *r)
{
    v->now = r->due;
    switch (r->kind) {
    case RQ_PLACE: apply_place(v, r); break;
    case RQ_CANCEL: apply_cancel(v, r); break;
    case RQ_AMEND: apply_amend(v, r); break;
    case RQ_QUERY: apply_query(v, r); break;
    case RQ_OPEN: apply_open(v); break;
    case RQ_TRADES: apply_trades(v, r->since); break;
    }
}

void th_paper_venue_advance(th_paper_venue *v, int64_t now_ns)
{
    while (v->req_head < v->nreq && v->req[v->req_head].due <= now_ns) {
        pv_req r = v->req[v->req_head++]; /* a copy: apply may not push, but keep it independent */
        apply(v, &r);
    }
    if (v->req_head == v->nreq) v->req_head = v->nreq = 0;
}

/* ---- the interface (venue_api.h): queue, never call back ---- */

/* The registry grew (an instrument update added pairs): the engine and the followed-books arrays
 * grow with it. */
static void grow_instruments(th_paper_venue *v)
{
    const char *err;
    int32_t assets = th_sim_asset_count(v->e);
    if (th_sim_instruments_grow(v->e, v->cfg.instruments, &err) != 0) {
        th_logf(TH_LOG_ERROR, "paper venue: cannot add the new instruments: orders on them are refused", "error=\"%s\"", err);
        return;
    }
    /* new assets get the paper account's default balance, as those there at start did */
    for (int32_t a = assets; a < th_sim_asset_count(v->e) && !v->custom_balances; a++)
        if (th_sim_balance_grant(v->e, v->account, th_sim_asset_name(v->e, a), TH_PAPER_DEFAULT_BALANCE, &err) != 0)
            th_logf(TH_LOG_ERROR, "paper venue: no balance for a new asset", "asset=%s error=\"%s\"", th_sim_asset_name(v->e, a), err);
    int32_t n = th_sim_instruments(v->e)->n;
    if (n <= v->nins) return;
    bool *fo = realloc(v->follow, sizeof *fo * (size_t)n);
    if (fo) v->follow = fo;
    uint64_t *su = realloc(v->seen_updates, sizeof *su * (size_t)n);
    if (su) v->seen_updates = su;
    int32_t *fd = realloc(v->followed, sizeof *fd * (size_t)n);
    if (fd) v->followed = fd;
    if (!fo || !su || !fd) { th_logf(TH_LOG_ERROR, "paper venue: out of memory growing the instruments", NULL); return; }
    memset(v->follow + v->nins, 0, sizeof *fo * (size_t)(n - v->nins));
    v->nins = n;
}

static int enqueue(th_paper_venue *v, pv_req *r, const th_instrument *ins)
{
    v->requests++;
    r->ins = -1;
    if (ins) {
        int32_t i = th_instruments_find(th_sim_instruments(v->e), ins->symbol, strlen(ins->symbol));
        if (i < 0 && v->cfg.instruments->n > v->nins) {
            grow_instruments(v);
            i = th_instruments_find(th_sim_instruments(v->e), ins->symbol, strlen(ins->symbol));
        }
        r->ins = i < v->nins ? i : -1;
    }
    int64_t now = th_clock_ns();
    int64_t due = now + th_paper_latency_order(&v->cfg.latency) + v->cfg.latency.feed_ns;
    if (due < v->last_req_due) due = v->last_req_due;
    r->due = v->last_req_due = due;
    if (v->req_head == v->nreq) v->req_head = v->nreq = 0;
    GROW(v->req, v->nreq, v->req_cap, return -1);
    v->req[v->nreq++] = *r;
    return 0;
}

static void ids(pv_req *r, const char *cl_id, const char *ex_id)
{
    snprintf(r->cl_id, sizeof r->cl_id, "%s", cl_id ? cl_id : "");
    snprintf(r->ex_id, sizeof r->ex_id, "%s", ex_id ? ex_id : "");
}

static int pv_place(void *self, const th_venue_place *p)
{
    pv_req r = {.kind = RQ_PLACE, .side = p->side, .post_only = p->post_only, .price = p->price, .qty = p->qty};
    ids(&r, p->cl_id, NULL);
    return enqueue(self, &r, p->ins);
}

static int pv_cancel(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    pv_req r = {.kind = RQ_CANCEL};
    ids(&r, cl_id, ex_id);
    return enqueue(self, &r, ins);
}

static int pv_amend(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins, int64_t price, int64_t qty)
{
    pv_req r = {.kind = RQ_AMEND, .price = price, .qty = qty};
    ids(&r, cl_id, ex_id);
    return enqueue(self, &r, ins);
}

static int pv_query(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    pv_req r = {.kind = RQ_QUERY};
    ids(&r, cl_id, ex_id);
    return enqueue(self, &r, ins);
}

static int pv_open_orders(void *self)
{
    pv_req r = {.kind = RQ_OPEN};
    return enqueue(self, &r, NULL);
}

static int pv_trades_since(void *self, int64_t since)
{
    pv_req r = {.kind = RQ_TRADES, .since = since};
    return enqueue(self, &r, NULL);
}

static const th_venue_ops PV_OPS = {"paper", true, pv_place, pv_cancel, pv_amend, pv_query, pv_open_orders, pv_trades_since, NULL, NULL};

th_venue th_paper_venue_as_venue(th_paper_venue *v) { return (th_venue){&PV_OPS, v}; }

/* ---- delivery ---- */

static void deliver(th_paper_venue *v, pv_ans *a)
{
    const th_venue_events *e = &v->ev;
    const char *cl = a->fill.cl_id, *ex = a->fill.ex_id;
    switch (a->kind) {
    case AN_ACK: e->on_ack(e->ctx, cl, ex); break;
    case AN_REJECT: e->on_reject(e->ctx, cl, a->verr, 0, a->text); break;
    case AN_CANCELLED: e->on_cancelled(e->ctx, cl, ex); break;
    case AN_CANCEL_FAILED: e->on_cancel_failed(e->ctx, cl, a->verr, 0, a->text); break;
    case AN_EXPIRED: e->on_expired(e->ctx, cl, ex); break;
    case AN_AMENDED: e->on_amended(e->ctx, cl, a->ok, a->text ? a->text : ""); break;
    case AN_FILL: e->on_fill(e->ctx, &a->fill); break;
    case AN_STATUS: e->on_order_status(e->ctx, cl, a->known ? &a->order : NULL); break;
    case AN_OPEN: e->on_open_orders(e->ctx, a->list, a->nlist); break;
    case AN_TRADES: e->on_trades(e->ctx, a->list, a->nlist); break;
    }
    free(a->list);
    a->list = NULL;
}

int32_t th_paper_venue_pump(th_paper_venue *v, int64_t now_ns)
{
    th_paper_venue_advance(v, now_ns);
    /* Only what is queued now: requests the answers cause reach the venue later (they are queued
     * behind, with their own latency), and answers they cause wait for the next pump. */
    int32_t end = v->nans, n = 0;
    while (v->ans_head < end && v->ans[v->ans_head].due <= now_ns) {
        pv_ans a = v->ans[v->ans_head++]; /* a copy: delivering may queue more (the array may move) */
        deliver(v, &a);
        n++;
    }
    if (v->ans_head == v->nans) v->ans_head = v->nans = 0;
    v->answered += (uint64_t)n;
    return n;
}

int64_t th_paper_venue_next_due(const th_paper_venue *v)
{
    int64_t d = INT64_MAX;
    if (v->req_head < v->nreq) d = v->req[v->req_head].due;
    if (v->ans_head < v->nans && v->ans[v->ans_head].due < d) d = v->ans[v->ans_head].due;
    return d;
}

/* ---- the market ---- */

void th_paper_venue_market_trade(th_paper_venue *v, int32_t ins, int64_t price, int64_t qty, int32_t aggressor, int64_t ts_ns)
{
    if (ins < 0 || ins >= v->nins || !v->follow[ins]) return;
    th_paper_venue_market_books(v, ts_ns); /* levels changed before this trade come first */
    th_sim_market_trade(v->e, ins, price, qty, aggressor == TH_BID ? TH_SIM_BUY : TH_SIM_SELL, ts_ns);
}

void th_paper_venue_market_books(th_paper_venue *v, int64_t ts_ns)
{
    if (!v->cfg.book) return;
    for (int32_t k = 0; k < v->nfollowed; k++) {
        int32_t ins = v->followed[k];
        const th_book *b = v->cfg.book(v->cfg.book_ctx, ins);
        if (!b || b->updates == v->seen_updates[ins]) continue;
        v->seen_updates[ins] = b->updates;
        if (th_sim_book_sync_apply(v->e, &v->sync, ins, b, ts_ns) < 0) th_logf(TH_LOG_ERROR, "paper venue: out of memory syncing a book", NULL);
    }
}

/* ---- open, close ---- */

static int set_balances(th_paper_venue *v, const th_paper_cfg *c, const char **err)
{
    if (c->balances) {
        v->custom_balances = true;
        for (int32_t i = 0; i < c->nbalances; i++)
            if (th_sim_balance_set(v->e, v->account, c->balances[i].asset, c->balances[i].amount, err) != 0) return -1;
        return 0;
    }
    for (int32_t i = 0; i < th_sim_asset_count(v->e); i++)
        if (th_sim_balance_set(v->e, v->account, th_sim_asset_name(v->e, i), TH_PAPER_DEFAULT_BALANCE, err) != 0) return -1;
    return 0;
}

int th_paper_venue_open(th_paper_venue *v, const th_paper_cfg *c, const char **err)
{
    memset(v, 0, sizeof *v);
    v->cfg = *c;
    v->cfg.balances = NULL; /* the caller's array is read here only */
    th_sim_config sc = {
        .instruments = c->instruments, .queue_model = c->queue_model, .rate_model = TH_SIM_RATE_NONE,
        .seed = c->seed, .book_depth = c->book_depth, .on_event = on_event, .ctx = v,
    };
    v->e = th_sim_engine_new(&sc, err);
    if (!v->e) return -1;
    th_sim_account_spec acct = {
        .key = "paper", .secret = "",
        .maker_ppm = (int32_t)(c->maker_bps * 100 + 0.5), .taker_ppm = (int32_t)(c->taker_bps * 100 + 0.5),
    };
    v->account = th_sim_account_add(v->e, &acct, err);
    v->nins = th_sim_instruments(v->e)->n;
    int32_t n = v->nins > 0 ? v->nins : 1;
    v->follow = calloc((size_t)n, sizeof *v->follow);
    v->seen_updates = calloc((size_t)n, sizeof *v->seen_updates);
    v->followed = calloc((size_t)n, sizeof *v->followed);
    if (v->account < 0 || !v->follow || !v->seen_updates || !v->followed) {
        if (v->account >= 0) *err = "out of memory";
        th_paper_venue_close(v);
        return -1;
    }
    if (set_balances(v, c, err) != 0) { th_paper_venue_close(v); return -1; }
    th_paper_latency_seed(&v->cfg.latency, c->seed);
    return 0;
}

void th_paper_venue_close(th_paper_venue *v)
{
    if (v->e) th_sim_engine_free(v->e);
    for (int32_t i = v->ans_head; i < v->nans; i++) free(v->ans[i].list);
    free(v->ans);
    free(v->req);
    free(v->follow);
    free(v->seen_updates);
    free(v->followed);
    th_sim_book_sync_free(&v->sync);
    memset(v, 0, sizeof *v);
}
