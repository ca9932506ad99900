/* test_venue.c — in-process venue with deferred answers (see test_venue.h). */
#include "test_venue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/strhash.h"

enum { RQ_PLACE = 1, RQ_CANCEL, RQ_AMEND, RQ_QUERY, RQ_OPEN, RQ_TRADES, RQ_ACK, RQ_AMENDED };

#define GROW(arr, n, cap)                                                        \
    do {                                                                         \
        if ((n) == (cap)) {                                                      \
            int32_t c_ = (cap) ? (cap) * 2 : 64;                                 \
            void *p_ = realloc((arr), sizeof *(arr) * (size_t)c_);               \
            if (!p_) return -1;                                                  \
            (arr) = p_;                                                          \
            (cap) = c_;                                                          \
        }                                                                        \
    } while (0)

void th_test_venue_init(th_test_venue *v)
{
    memset(v, 0, sizeof *v);
    v->reject_verr = TH_VERR_REJECTED;
    /* Ids stay unique across restarts, as a real venue's do: start from the wall clock. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v->next_ex = v->next_trade = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void th_test_venue_free(th_test_venue *v)
{
    free(v->slots);
    free(v->orders);
    free(v->trades);
    free(v->inbox);
    free(v->spare);
    free(v->held);
    memset(v, 0, sizeof *v);
}

/* An order has up to two keys (client id, venue id); an empty one is not indexed. */
static void slot_put(int32_t *slots, int32_t nslots, const char *key, int32_t idx)
{
    if (*key) th_slot_put(slots, nslots, key, idx);
}

/* Both ids of every order go into one table (4 slots per order keeps probes short). */
static int index_orders(th_test_venue *v)
{
    if (v->norders * 4 <= v->nslots) return 0;
    int32_t n = v->nslots ? v->nslots * 2 : 1024;
    while (v->norders * 4 > n) n *= 2;
    int32_t *s = calloc((size_t)n, sizeof *s);
    if (!s) return -1;
    for (int32_t i = 0; i < v->norders; i++) {
        slot_put(s, n, v->orders[i].o.cl_id, i);
        slot_put(s, n, v->orders[i].o.ex_id, i);
    }
    free(v->slots);
    v->slots = s;
    v->nslots = n;
    return 1;
}

tv_order *th_test_venue_find(th_test_venue *v, const char *id)
{
    if (!id || !*id || !v->nslots) return NULL;
    uint32_t mask = (uint32_t)v->nslots - 1;
    for (uint32_t h = th_strhash(id) & mask;; h = (h + 1) & mask) {
        int32_t i = v->slots[h];
        if (!i) return NULL;
        tv_order *o = &v->orders[i - 1];
        if (strcmp(o->o.cl_id, id) == 0 || strcmp(o->o.ex_id, id) == 0) return o;
    }
}

int32_t th_test_venue_open_count(const th_test_venue *v)
{
    int32_t n = 0;
    for (int32_t i = 0; i < v->norders; i++) n += v->orders[i].o.open;
    return n;
}

static int hold(th_test_venue *v, const tv_req *r)
{
    GROW(v->held, v->nheld, v->held_cap);
    v->held[v->nheld++] = *r;
    return 0;
}

static void set_symbol(tv_req *r, const th_instrument *ins)
{
    snprintf(r->symbol, sizeof r->symbol, "%s", ins ? ins->symbol : "");
}

static int enqueue(th_test_venue *v, const tv_req *r)
{
    v->requests++;
    if (v->fail_local) return -1;
    if (v->drop_next > 0) { v->drop_next--; return 0; } /* accepted by the socket, lost on the way */
    if (v->hold_places && r->kind == RQ_PLACE) return hold(v, r);
    if (v->hold_cancels && r->kind == RQ_CANCEL) return hold(v, r);
    GROW(v->inbox, v->ninbox, v->inbox_cap);
    v->inbox[v->ninbox++] = *r;
    return 0;
}

static int tv_place(void *self, const th_venue_place *p)
{
    tv_req r = {.kind = RQ_PLACE, .side = p->side, .post_only = p->post_only, .price = p->price, .qty = p->qty};
    snprintf(r.cl_id, sizeof r.cl_id, "%s", p->cl_id);
    set_symbol(&r, p->ins);
    return enqueue(self, &r);
}

static int tv_cancel(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    tv_req r = {.kind = RQ_CANCEL};
    set_symbol(&r, ins);
    snprintf(r.cl_id, sizeof r.cl_id, "%s", cl_id ? cl_id : "");
    snprintf(r.ex_id, sizeof r.ex_id, "%s", ex_id ? ex_id : "");
    return enqueue(self, &r);
}

static int tv_amend(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins, int64_t price, int64_t qty)
{
    tv_req r = {.kind = RQ_AMEND, .price = price, .qty = qty};
    set_symbol(&r, ins);
    snprintf(r.cl_id, sizeof r.cl_id, "%s", cl_id ? cl_id : "");
    snprintf(r.ex_id, sizeof r.ex_id, "%s", ex_id ? ex_id : "");
    return enqueue(self, &r);
}

static int tv_query(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins)
{
    tv_req r = {.kind = RQ_QUERY};
    set_symbol(&r, ins);
    snprintf(r.cl_id, sizeof r.cl_id, "%s", cl_id ? cl_id : "");
    snprintf(r.ex_id, sizeof r.ex_id, "%s", ex_id ? ex_id : "");
    return enqueue(self, &r);
}

static int tv_open_orders(void *self)
{
    tv_req r = {.kind = RQ_OPEN};
    return enqueue(self, &r);
}

static int tv_trades_since(void *self, int64_t since)
{
    tv_req r = {.kind = RQ_TRADES, .since = since};
    return enqueue(self, &r);
}

static const th_venue_ops TV_OPS = {"test", true, tv_place, tv_cancel, tv_amend, tv_query, tv_open_orders, tv_trades_since, NULL, NULL};

th_venue th_test_venue_as_venue(th_test_venue *v) { return (th_venue){&TV_OPS, v}; }

static int add_order(th_test_venue *v, const tv_req *r)
{
    GROW(v->orders, v->norders, v->orders_cap);
    tv_order *o = &v->orders[v->norders++];
    memset(o, 0, sizeof *o);
    snprintf(o->o.cl_id, sizeof o->o.cl_id, "%s", r->cl_id);
    snprintf(o->o.ex_id, sizeof o->o.ex_id, "TV-%llu", (unsigned long long)++v->next_ex);
    snprintf(o->o.symbol, sizeof o->o.symbol, "%s", r->symbol);
    o->o.side = r->side;
    o->o.price = r->price;
    o->o.qty = r->qty;
    o->o.open = 1;
    o->created_ns = th_clock_ns();
    int rc = index_orders(v); /* 1: rebuilt, this order included */
    if (rc < 0) return -1;
    if (rc == 0) {
        slot_put(v->slots, v->nslots, o->o.cl_id, v->norders - 1);
        slot_put(v->slots, v->nslots, o->o.ex_id, v->norders - 1);
    }
    return 0;
}

static int do_fill(th_test_venue *v, tv_order *o, int64_t qty, int64_t price)
{
    if (!o->o.open || qty <= 0) return -1;
    if (qty > o->o.qty - o->o.filled) qty = o->o.qty - o->o.filled;
    GROW(v->trades, v->ntrades, v->trades_cap);
    th_venue_fill *x = &v->trades[v->ntrades++];
    memset(x, 0, sizeof *x);
    snprintf(x->cl_id, sizeof x->cl_id, "%s", o->o.cl_id);
    snprintf(x->ex_id, sizeof x->ex_id, "%s", o->o.ex_id);
    snprintf(x->trade_id, sizeof x->trade_id, "TT-%llu", (unsigned long long)++v->next_trade);
    snprintf(x->symbol, sizeof x->symbol, "%s", o->o.symbol);
    x->side = o->o.side;
    x->price = price;
    x->qty = qty;
    /* the fee on the exact notional, to the nearest money unit (long double: 64-bit mantissa) */
    x->fee = (th_money)((long double)th_money_mul(price, qty) * (long double)v->fee_bps * 1e-4L + 0.5L);
    x->ts_ns = th_clock_ns();
    o->o.filled += qty;
    if (o->o.filled == o->o.qty) o->o.open = 0;
    if (v->ev.on_fill) v->ev.on_fill(v->ev.ctx, x);
    return 0;
}

int th_test_venue_fill(th_test_venue *v, const char *cl_id, int64_t qty, int64_t price)
{
    tv_order *o = th_test_venue_find(v, cl_id);
    return o ? do_fill(v, o, qty, price) : -1;
}

int th_test_venue_cancel(th_test_venue *v, const char *cl_id)
{
    tv_order *o = th_test_venue_find(v, cl_id);
    if (!o || !o->o.open) return -1;
    o->o.open = 0;
    if (v->ev.on_cancelled) v->ev.on_cancelled(v->ev.ctx, o->o.cl_id, o->o.ex_id);
    return 0;
}

int th_test_venue_inject(th_test_venue *v, const th_instrument *ins, const char *ex_id, int32_t side, int64_t price, int64_t qty)
{
    tv_req r = {.kind = RQ_PLACE, .side = side, .price = price, .qty = qty};
    set_symbol(&r, ins);
    if (add_order(v, &r) != 0) return -1;
    snprintf(v->orders[v->norders - 1].o.ex_id, sizeof v->orders[0].o.ex_id, "%s", ex_id);
    slot_put(v->slots, v->nslots, ex_id, v->norders - 1);
    return 0;
}

static void answer(th_test_venue *v, const tv_req *r)
{
    const th_venue_events *e = &v->ev;
    tv_order *o = NULL;
    switch (r->kind) {
    case RQ_PLACE:
        if (v->reject_next > 0) {
            v->reject_next--;
            e->on_reject(e->ctx, r->cl_id, v->reject_verr, v->retry_after_ns,
                         v->reject_verr == TH_VERR_RATE_LIMITED ? "EOrder:Rate limit exceeded" : "EOrder:Insufficient funds");
            return;
        }
        if (th_test_venue_find(v, r->cl_id)) { e->on_reject(e->ctx, r->cl_id, TH_VERR_REJECTED, 0, "EOrder:Duplicate cl_ord_id"); return; }
        if (add_order(v, r) != 0) return;
        o = &v->orders[v->norders - 1];
        if (v->hold_acks) {
            tv_req a = {.kind = RQ_ACK};
            snprintf(a.cl_id, sizeof a.cl_id, "%s", o->o.cl_id);
            snprintf(a.ex_id, sizeof a.ex_id, "%s", o->o.ex_id);
            hold(v, &a);
            return;
        }
        e->on_ack(e->ctx, o->o.cl_id, o->o.ex_id);
        return;
    case RQ_ACK:
        e->on_ack(e->ctx, r->cl_id, r->ex_id);
        return;
    case RQ_CANCEL:
        o = th_test_venue_find(v, r->cl_id[0] ? r->cl_id : r->ex_id);
        if (!o || !o->o.open) { e->on_cancel_failed(e->ctx, r->cl_id, TH_VERR_UNKNOWN_ORDER, 0, "EOrder:Unknown order"); return; }
        o->o.open = 0;
        e->on_cancelled(e->ctx, o->o.cl_id, o->o.ex_id);
        return;
    case RQ_AMEND:
        o = th_test_venue_find(v, r->cl_id[0] ? r->cl_id : r->ex_id);
        if (!o || !o->o.open) { e->on_amended(e->ctx, r->cl_id, false, "EOrder:Unknown order"); return; }
        o->o.price = r->price;
        o->o.qty = r->qty < o->o.filled ? o->o.filled : r->qty;
        if (o->o.qty == o->o.filled) o->o.open = 0;
        if (v->hold_amends) {
            tv_req a = {.kind = RQ_AMENDED};
            snprintf(a.cl_id, sizeof a.cl_id, "%s", o->o.cl_id);
            hold(v, &a);
            return;
        }
        e->on_amended(e->ctx, o->o.cl_id, true, "");
        return;
    case RQ_AMENDED:
        e->on_amended(e->ctx, r->cl_id, true, "");
        return;
    case RQ_QUERY:
        o = th_test_venue_find(v, r->cl_id[0] ? r->cl_id : r->ex_id);
        e->on_order_status(e->ctx, r->cl_id, o ? &o->o : NULL);
        return;
    case RQ_OPEN: {
        th_venue_order *list = malloc(sizeof *list * (size_t)(v->norders + 1));
        if (!list) return;
        int32_t n = 0;
        for (int32_t i = 0; i < v->norders; i++)
            if (v->orders[i].o.open) list[n++] = v->orders[i].o;
        e->on_open_orders(e->ctx, list, n);
        free(list);
        return;
    }
    case RQ_TRADES: {
        int32_t first = 0;
        while (first < v->ntrades && v->trades[first].ts_ns < r->since) first++;
        e->on_trades(e->ctx, v->trades + first, v->ntrades - first);
        return;
    }
    }
}

int32_t th_test_venue_release(th_test_venue *v)
{
    /* answer() may hold again (an ack, with hold_acks on): take the list first */
    int32_t n = v->nheld;
    tv_req *batch = v->held;
    v->held = NULL;
    v->nheld = v->held_cap = 0;
    bool hp = v->hold_places, ha = v->hold_acks, hm = v->hold_amends, hc = v->hold_cancels;
    v->hold_places = v->hold_acks = v->hold_amends = v->hold_cancels = false;
    for (int32_t i = 0; i < n; i++) answer(v, &batch[i]);
    v->hold_places = hp;
    v->hold_acks = ha;
    v->hold_amends = hm;
    v->hold_cancels = hc;
    free(batch);
    return n;
}

int32_t th_test_venue_pump(th_test_venue *v)
{
    /* Answer a swapped-out batch: requests the answers trigger (the flow reacts) go to the other
     * buffer and wait for the next pump. No allocation per pump. */
    int32_t n = v->ninbox;
    tv_req *batch = v->inbox;
    int32_t cap = v->inbox_cap;
    v->inbox = v->spare;
    v->inbox_cap = v->spare_cap;
    v->ninbox = 0;
    v->spare = batch;
    v->spare_cap = cap;
    for (int32_t i = 0; i < n; i++) answer(v, &batch[i]);
    v->answered += (uint64_t)n;
    return n;
}
