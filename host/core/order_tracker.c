/* order_tracker.c — client order tracker (see order_tracker.h for the rules). */
#include "order_tracker.h"
#include "strhash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const STATE_NAMES[] = {"pending_create", "open", "pending_cancel", "done", "retired"};
static const char *const REASON_NAMES[] = {"none", "filled", "cancelled", "rejected", "expired", "failed"};

const char *th_ord_state_name(int32_t s) { return (s >= 0 && s <= TH_ORD_RETIRED) ? STATE_NAMES[s] : "?"; }
const char *th_done_reason_name(int32_t r) { return (r >= 0 && r <= TH_DONE_FAILED) ? REASON_NAMES[r] : "?"; }


static int rehash(th_tracker *t, int32_t nslots)
{
    int32_t *cl = calloc((size_t)nslots, sizeof *cl), *ex = calloc((size_t)nslots, sizeof *ex);
    if (!cl || !ex) { free(cl); free(ex); return -1; }
    for (int32_t i = 0; i < t->n; i++) {
        if (t->v[i].state == TH_ORD_RETIRED) continue;
        th_slot_put(cl, nslots, t->v[i].cl_id, i);
        if (t->v[i].ex_id[0]) th_slot_put(ex, nslots, t->v[i].ex_id, i);
    }
    free(t->cl_slots);
    free(t->ex_slots);
    t->cl_slots = cl;
    t->ex_slots = ex;
    t->nslots = nslots;
    return 0;
}

int th_tracker_init(th_tracker *t, const char *prefix)
{
    memset(t, 0, sizeof *t);
    snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
    t->free_head = t->done_head = t->done_tail = -1;
    t->trade_keep_max = 1 << 18;
    return rehash(t, 256);
}

void th_tracker_free(th_tracker *t)
{
    free(t->v);
    free(t->cl_slots);
    free(t->ex_slots);
    free(t->trade_ids);
    free(t->trade_slots);
    for (int32_t i = 0; i < t->ins_cap; i++) free(t->live[i].v);
    free(t->live);
    memset(t, 0, sizeof *t);
}

static const char *cl_key_of(const void *ctx, int32_t i) { return ((const th_tracker *)ctx)->v[i].cl_id; }
static const char *ex_key_of(const void *ctx, int32_t i) { return ((const th_tracker *)ctx)->v[i].ex_id; }

static int32_t find(const int32_t *slots, const th_tracker *t, const char *key, const char *(*key_of)(const void *, int32_t))
{
    if (!key || !*key) return TH_TRK_UNKNOWN;
    int32_t i = th_slot_find(slots, t->nslots, key, key_of, t);
    return i >= 0 ? i : TH_TRK_UNKNOWN;
}

int32_t th_tracker_find_cl(const th_tracker *t, const char *cl_id) { return find(t->cl_slots, t, cl_id, cl_key_of); }
int32_t th_tracker_find_ex(const th_tracker *t, const char *ex_id) { return find(t->ex_slots, t, ex_id, ex_key_of); }

static int live_reserve(th_tracker *t, int32_t ins)
{
    if (ins < t->ins_cap) return 0;
    int32_t cap = t->ins_cap ? t->ins_cap : 64;
    while (cap <= ins) cap *= 2;
    th_live_set *l = realloc(t->live, sizeof *l * (size_t)cap);
    if (!l) return -1;
    memset(l + t->ins_cap, 0, sizeof *l * (size_t)(cap - t->ins_cap));
    t->live = l;
    t->ins_cap = cap;
    return 0;
}

int th_tracker_reserve(th_tracker *t, int32_t n) { return n > 0 ? live_reserve(t, n - 1) : 0; }

/* Room for one more live order of instrument ins (before anything changes, so a failure leaves
 * the tracker as it was). */
static int live_room(th_tracker *t, int32_t ins)
{
    if (live_reserve(t, ins) != 0) return -1;
    th_live_set *s = &t->live[ins];
    if (s->n < s->cap) return 0;
    int32_t cap = s->cap ? s->cap * 2 : 16;
    th_live *v = realloc(s->v, sizeof *v * (size_t)cap);
    if (!v) return -1;
    s->v = v;
    s->cap = cap;
    return 0;
}

/* The live set's copy of what the risk walk reads; called after every change to a live order. */
static void live_sync(th_tracker *t, const th_order *o)
{
    if (o->live_pos < 0) return;
    th_live *e = &t->live[o->instrument].v[o->live_pos];
    e->price = o->price;
    e->rest = o->qty - o->filled;
}

static void live_link(th_tracker *t, int32_t idx)
{
    th_order *o = &t->v[idx];
    th_live_set *s = &t->live[o->instrument];
    o->live_pos = s->n++;
    s->v[o->live_pos] = (th_live){o->price, o->qty - o->filled, idx, o->side};
    t->nlive++;
}

static void live_unlink(th_tracker *t, int32_t idx)
{
    th_order *o = &t->v[idx];
    th_live_set *s = &t->live[o->instrument];
    int32_t last = --s->n;
    if (o->live_pos != last) {
        s->v[o->live_pos] = s->v[last];
        t->v[s->v[o->live_pos].idx].live_pos = o->live_pos;
    }
    o->live_pos = -1;
    t->nlive--;
}

/* Finished orders wait in a FIFO (through q_prev/q_next) until th_tracker_retire takes them,
 * oldest first. */
static void done_push(th_tracker *t, int32_t idx)
{
    th_order *o = &t->v[idx];
    o->done_epoch = t->epoch;
    o->q_next = -1;
    o->q_prev = t->done_tail;
    if (t->done_tail >= 0) t->v[t->done_tail].q_next = idx;
    else t->done_head = idx;
    t->done_tail = idx;
    t->ndone++;
}

static void done_unlink(th_tracker *t, int32_t idx)
{
    th_order *o = &t->v[idx];
    if (o->q_prev >= 0) t->v[o->q_prev].q_next = o->q_next;
    else t->done_head = o->q_next;
    if (o->q_next >= 0) t->v[o->q_next].q_prev = o->q_prev;
    else t->done_tail = o->q_prev;
    o->q_prev = o->q_next = -1;
    t->ndone--;
}

static int32_t append(th_tracker *t, const th_order *o)
{
    if (o->instrument < 0 || live_reserve(t, o->instrument) != 0) return TH_TRK_FULL;
    if (o->state != TH_ORD_DONE && live_room(t, o->instrument) != 0) return TH_TRK_FULL;
    if ((t->n - t->nfree + 1) * 2 > t->nslots && rehash(t, t->nslots * 2) != 0) return TH_TRK_FULL;
    int32_t idx;
    if (t->free_head >= 0) { /* a retired slot: warm in cache, and the array does not grow */
        idx = t->free_head;
        t->free_head = t->v[idx].q_next;
        t->nfree--;
    } else {
        if (t->n == t->cap) {
            int32_t cap = t->cap ? t->cap * 2 : 128;
            th_order *v = realloc(t->v, sizeof *v * (size_t)cap);
            if (!v) return TH_TRK_FULL;
            t->v = v;
            t->cap = cap;
        }
        idx = t->n++;
    }
    t->v[idx] = *o;
    t->v[idx].live_pos = -1;
    th_slot_put(t->cl_slots, t->nslots, o->cl_id, idx);
    if (o->ex_id[0]) th_slot_put(t->ex_slots, t->nslots, o->ex_id, idx);
    if (o->state != TH_ORD_DONE) live_link(t, idx);
    else done_push(t, idx);
    return idx;
}

static void set_ex_id(th_tracker *t, int32_t idx, const char *ex_id)
{
    th_order *o = &t->v[idx];
    if (!ex_id || !*ex_id || o->ex_id[0]) return;
    snprintf(o->ex_id, sizeof o->ex_id, "%s", ex_id);
    th_slot_put(t->ex_slots, t->nslots, o->ex_id, idx);
}

static void transition(th_tracker *t, th_order *o, int32_t state, int32_t reason, int64_t now_ns)
{
    if (state == TH_ORD_DONE && o->state != TH_ORD_DONE) {
        live_unlink(t, (int32_t)(o - t->v));
        done_push(t, (int32_t)(o - t->v));
    }
    o->state = state;
    o->state_ns = now_ns;
    if (state == TH_ORD_DONE) {
        o->done_reason = reason;
        t->st.done[reason]++;
    }
}

int32_t th_tracker_create(th_tracker *t, int32_t instrument, int32_t side, int64_t price, int64_t qty,
                          const char *tag, int64_t now_ns)
{
    th_order o;
    memset(&o, 0, sizeof o);
    /* base-36 sequence keeps ids short: Kraken's cl_ord_id and Binance's clientOrderId limit length */
    char seq[16];
    uint64_t v = ++t->seq;
    int n = 0;
    do { seq[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]; v /= 36; } while (v);
    /* by hand, not snprintf: this runs once per order intent on the hot path */
    size_t pl = strnlen(t->prefix, sizeof o.cl_id - 16);
    memcpy(o.cl_id, t->prefix, pl);
    char *p = o.cl_id + pl;
    *p++ = '-';
    while (n) *p++ = seq[--n];
    *p = 0;
    o.instrument = instrument;
    o.side = side;
    o.price = price;
    o.qty = qty;
    o.state = TH_ORD_PENDING_CREATE;
    o.created_ns = o.state_ns = now_ns;
    if (tag) {
        size_t tl = strnlen(tag, sizeof o.tag - 1);
        memcpy(o.tag, tag, tl);
    }
    int32_t idx = append(t, &o);
    if (idx >= 0) t->st.created++;
    return idx;
}

/* An order we gave up on (DONE, failed: the venue said it did not know it) that the venue proves
 * alive after all, by an ack or a fill that leaves it resting: back to the live set as
 * PENDING_CANCEL, so the cancel, its timeout query and the kill switch all cover it like any other
 * order. Nothing else may come back from DONE: cancelled, expired, rejected and filled orders are
 * gone at the venue, and a late event for them changes only their fills. */
static int32_t revive(th_tracker *t, int32_t idx, int64_t now_ns)
{
    th_order *o = &t->v[idx];
    if (live_room(t, o->instrument) != 0) return TH_TRK_FULL;
    done_unlink(t, idx);
    t->st.done[o->done_reason]--;
    o->done_reason = TH_DONE_NONE;
    o->flags &= ~(uint32_t)TH_ORD_CANCEL_WANTED;
    o->state = TH_ORD_PENDING_CANCEL;
    o->state_ns = now_ns;
    live_link(t, idx);
    t->st.revived++;
    return idx;
}

static bool zombie(const th_order *o)
{
    return o->state == TH_ORD_DONE && o->done_reason == TH_DONE_FAILED && o->filled < o->qty;
}

int32_t th_tracker_on_ack(th_tracker *t, const char *cl_id, const char *ex_id, int64_t now_ns)
{
    int32_t idx = th_tracker_find_cl(t, cl_id);
    if (idx < 0) { t->st.unknown_events++; return TH_TRK_UNKNOWN; }
    th_order *o = &t->v[idx];
    set_ex_id(t, idx, ex_id);
    if (zombie(o)) { t->st.late_events++; return revive(t, idx, now_ns); }
    if (o->state != TH_ORD_PENDING_CREATE) {
        if (o->state == TH_ORD_DONE) t->st.late_events++;
        else t->st.duplicate_acks++;
        return TH_TRK_DUPLICATE;
    }
    t->st.acked++;
    transition(t, o, TH_ORD_OPEN, TH_DONE_NONE, now_ns);
    return idx;
}

int32_t th_tracker_on_reject(th_tracker *t, const char *cl_id, int64_t now_ns)
{
    int32_t idx = th_tracker_find_cl(t, cl_id);
    if (idx < 0) { t->st.unknown_events++; return TH_TRK_UNKNOWN; }
    th_order *o = &t->v[idx];
    if (o->state != TH_ORD_PENDING_CREATE || o->filled > 0) { t->st.late_events++; return TH_TRK_INVALID; }
    transition(t, o, TH_ORD_DONE, TH_DONE_REJECTED, now_ns);
    return idx;
}

static int32_t finish(th_tracker *t, int32_t idx, int32_t reason, int64_t now_ns)
{
    if (!th_tracker_has(t, idx)) { t->st.unknown_events++; return TH_TRK_UNKNOWN; }
    th_order *o = &t->v[idx];
    if (o->state == TH_ORD_DONE) { t->st.late_events++; return TH_TRK_DUPLICATE; }
    /* a cancel that lost the race to the last fill is a fill */
    transition(t, o, TH_ORD_DONE, o->filled == o->qty ? TH_DONE_FILLED : reason, now_ns);
    return idx;
}

int32_t th_tracker_on_cancelled(th_tracker *t, int32_t idx, int64_t now_ns) { return finish(t, idx, TH_DONE_CANCELLED, now_ns); }
int32_t th_tracker_on_expired(th_tracker *t, int32_t idx, int64_t now_ns) { return finish(t, idx, TH_DONE_EXPIRED, now_ns); }

/* Trade-key set: open addressing over a FIFO ring of keys. The ring grows to trade_keep_max, then
 * the oldest key makes room for the newest. */
static const char *trade_key_of(const void *ctx, int32_t i) { return ((const th_tracker *)ctx)->trade_ids[i].key; }

static int32_t trade_find(const th_tracker *t, const char *key)
{
    return th_slot_find(t->trade_slots, t->ntrade_slots, key, trade_key_of, t);
}

static int trade_key(char *key, const char *cl_id, const char *trade_id)
{
    return snprintf(key, TH_TRADEKEY_MAX, "%s|%s", cl_id, trade_id) < TH_TRADEKEY_MAX ? 0 : -1;
}

bool th_tracker_trade_seen(const th_tracker *t, const char *cl_id, const char *trade_id)
{
    char key[TH_TRADEKEY_MAX];
    if (!cl_id || !*cl_id || !trade_id || !*trade_id || trade_key(key, cl_id, trade_id) != 0) return false;
    return trade_find(t, key) >= 0;
}

static bool trade_seen_or_add(th_tracker *t, const char *key, bool *oom)
{
    *oom = false;
    if (trade_find(t, key) >= 0) return true;
    if (t->ntrades == t->trade_cap && t->trade_cap < t->trade_keep_max) {
        /* still growing: nothing was evicted yet, so the ring starts at 0 and is not wrapped */
        int32_t cap = t->trade_cap ? t->trade_cap * 2 : 128;
        if (cap > t->trade_keep_max) cap = t->trade_keep_max;
        th_trade_key *ids = realloc(t->trade_ids, sizeof *ids * (size_t)cap);
        if (!ids) { *oom = true; return false; }
        t->trade_ids = ids;
        t->trade_cap = cap;
    }
    if (t->ntrades == t->trade_cap) { /* full: the oldest key goes */
        th_slot_del(t->trade_slots, t->ntrade_slots, t->trade_ids[t->trade_first].key, t->trade_first, trade_key_of, t);
        t->trade_first = (t->trade_first + 1) % t->trade_cap;
        t->ntrades--;
    }
    if ((uint32_t)(t->ntrades + 1) * 2 > (uint32_t)t->ntrade_slots) {
        int32_t nslots = t->ntrade_slots ? t->ntrade_slots * 2 : 256;
        int32_t *slots = calloc((size_t)nslots, sizeof *slots);
        if (!slots) { *oom = true; return false; }
        for (int32_t k = 0; k < t->ntrades; k++) {
            int32_t i = (t->trade_first + k) % t->trade_cap;
            th_slot_put(slots, nslots, t->trade_ids[i].key, i);
        }
        free(t->trade_slots);
        t->trade_slots = slots;
        t->ntrade_slots = nslots;
    }
    int32_t e = (t->trade_first + t->ntrades) % t->trade_cap;
    snprintf(t->trade_ids[e].key, TH_TRADEKEY_MAX, "%s", key);
    th_slot_put(t->trade_slots, t->ntrade_slots, t->trade_ids[e].key, e);
    t->ntrades++;
    return false;
}

const char *th_tracker_trade_key_at(const th_tracker *t, int32_t k)
{
    if (k < 0 || k >= t->ntrades) return NULL;
    return t->trade_ids[(t->trade_first + k) % t->trade_cap].key;
}

int th_tracker_trade_note(th_tracker *t, const char *key)
{
    if (!key || !*key || strlen(key) >= TH_TRADEKEY_MAX) return 0;
    bool oom;
    trade_seen_or_add(t, key, &oom);
    return oom ? -1 : 0;
}

int32_t th_tracker_on_fill(th_tracker *t, int32_t idx, const char *trade_id, int64_t qty, int64_t price,
                           int64_t now_ns)
{
    if (!th_tracker_has(t, idx)) { t->st.unknown_events++; return TH_TRK_UNKNOWN; }
    if (!trade_id || !*trade_id || qty <= 0 || price <= 0) return TH_TRK_INVALID;
    /* Scoped to the order: Binance trade ids are unique per symbol only, and a self-trade gives both
     * of our orders the same id. */
    char key[TH_TRADEKEY_MAX];
    if (trade_key(key, t->v[idx].cl_id, trade_id) != 0) return TH_TRK_INVALID;
    bool oom;
    if (trade_seen_or_add(t, key, &oom)) { t->st.duplicate_fills++; return TH_TRK_DUPLICATE; }
    if (oom) return TH_TRK_FULL;
    th_order *o = &t->v[idx];
    bool was_zombie = zombie(o);
    if (o->state == TH_ORD_PENDING_CREATE) { t->st.fill_before_ack++; transition(t, o, TH_ORD_OPEN, TH_DONE_NONE, now_ns); }
    else if (o->state == TH_ORD_PENDING_CANCEL) t->st.fill_after_cancel_request++;
    else if (o->state == TH_ORD_DONE) t->st.late_events++; /* a real fill is never lost, even after DONE */
    /* Past the quantity while an amend up is in flight: the venue applied the amend and its answer
     * is still on the way (or was lost with a restart); the fill is real, so the amend is too. */
    if (o->filled + qty > o->qty && o->amend_qty > o->qty) {
        o->qty = o->amend_qty;
        o->price = o->amend_price;
        t->st.fill_implied_amend++;
    }
    /* An order we never sent has no size of ours: adopted from a fill, its size was that fill's, and
     * the next fill of the same order (one that took several levels; Binance's myTrades rows of one
     * orderId) is just as real. The venue's fill decides: the size grows, the fill is counted. */
    if (o->filled + qty > o->qty && (o->flags & TH_ORD_ADOPTED)) {
        o->qty = o->filled + qty;
        t->st.adopted_grown++;
    }
    if (o->filled + qty > o->qty) { t->st.overfill_refused++; qty = o->qty - o->filled; }
    if (qty > 0) {
        o->filled += qty;
        o->notional_filled += th_money_mul(price, qty);
        t->st.filled_events++;
        live_sync(t, o);
    }
    /* The old size reached with an amend up in flight: the venue may have applied it and rest the
     * difference, so the order stays live until the amend's answer (or a status query) says. */
    bool amend_up = o->amend_qty > o->qty;
    if (o->filled == o->qty && o->state != TH_ORD_DONE && !amend_up) transition(t, o, TH_ORD_DONE, TH_DONE_FILLED, now_ns);
    else if (o->filled == o->qty && o->state == TH_ORD_DONE && o->done_reason != TH_DONE_FILLED) {
        t->st.done[o->done_reason]--;
        o->done_reason = TH_DONE_FILLED;
        t->st.done[TH_DONE_FILLED]++;
    }
    if (was_zombie && zombie(o)) return revive(t, idx, now_ns); /* a fill proves it rests at the venue */
    return idx;
}

int32_t th_tracker_request_cancel(th_tracker *t, int32_t idx, int64_t now_ns)
{
    if (!th_tracker_has(t, idx)) return TH_TRK_UNKNOWN;
    th_order *o = &t->v[idx];
    switch (o->state) {
    case TH_ORD_OPEN: /* the wanted cancel (if it was flagged before the ack) is now requested */
        o->flags &= ~(uint32_t)TH_ORD_CANCEL_WANTED;
        transition(t, o, TH_ORD_PENDING_CANCEL, TH_DONE_NONE, now_ns);
        return idx;
    case TH_ORD_PENDING_CREATE:
        if (o->flags & TH_ORD_CANCEL_WANTED) return TH_TRK_DUPLICATE;
        o->flags |= TH_ORD_CANCEL_WANTED;
        return idx;
    case TH_ORD_PENDING_CANCEL: return TH_TRK_DUPLICATE;
    default: return TH_TRK_INVALID;
    }
}

int32_t th_tracker_request_amend(th_tracker *t, int32_t idx, int64_t price, int64_t qty, int64_t now_ns)
{
    if (!th_tracker_has(t, idx)) return TH_TRK_UNKNOWN;
    th_order *o = &t->v[idx];
    if (o->state != TH_ORD_OPEN || price <= 0 || qty <= 0) return TH_TRK_INVALID;
    if (o->amend_qty) return TH_TRK_DUPLICATE; /* one amend in flight at a time */
    o->amend_price = price;
    o->amend_qty = qty;
    o->amend_ns = now_ns;
    return idx;
}

int32_t th_tracker_on_amended(th_tracker *t, int32_t idx, bool ok, int64_t now_ns)
{
    if (!th_tracker_has(t, idx)) { t->st.unknown_events++; return TH_TRK_UNKNOWN; }
    th_order *o = &t->v[idx];
    if (!o->amend_qty) { t->st.late_events++; return TH_TRK_DUPLICATE; }
    if (ok && o->state != TH_ORD_DONE) {
        o->price = o->amend_price;
        o->qty = o->amend_qty;
        o->state_ns = now_ns;
        live_sync(t, o);
        if (o->qty <= o->filled) {
            o->qty = o->filled;
            transition(t, o, TH_ORD_DONE, o->filled ? TH_DONE_FILLED : TH_DONE_CANCELLED, now_ns);
        }
    }
    o->amend_price = o->amend_qty = 0;
    /* refused after fills reached the old size (kept live only for this answer): done */
    if (o->state != TH_ORD_DONE && o->filled >= o->qty) transition(t, o, TH_ORD_DONE, TH_DONE_FILLED, now_ns);
    return idx;
}

int32_t th_tracker_resolve_missing(th_tracker *t, int32_t idx, int64_t now_ns)
{
    if (!th_tracker_has(t, idx)) return TH_TRK_UNKNOWN;
    th_order *o = &t->v[idx];
    if (o->state == TH_ORD_DONE) return TH_TRK_INVALID;
    int32_t reason = o->state == TH_ORD_PENDING_CREATE && o->filled == 0 ? TH_DONE_FAILED : TH_DONE_CANCELLED;
    return finish(t, idx, reason, now_ns);
}

int32_t th_tracker_adopt(th_tracker *t, const char *ex_id, int32_t instrument, int32_t side, int64_t price,
                         int64_t qty, int64_t filled, int64_t now_ns)
{
    if (!ex_id || !*ex_id || qty <= 0 || filled < 0 || filled > qty) return TH_TRK_INVALID;
    if (th_tracker_find_ex(t, ex_id) >= 0) return TH_TRK_DUPLICATE;
    th_order o;
    memset(&o, 0, sizeof o);
    snprintf(o.cl_id, sizeof o.cl_id, "%s-adopted-%llu", t->prefix, (unsigned long long)++t->seq);
    snprintf(o.ex_id, sizeof o.ex_id, "%s", ex_id);
    o.instrument = instrument;
    o.side = side;
    o.price = price;
    o.qty = qty;
    o.filled = filled;
    o.notional_filled = th_money_mul(price, filled);
    o.flags = TH_ORD_ADOPTED;
    o.created_ns = o.state_ns = now_ns;
    o.state = filled == qty ? TH_ORD_DONE : TH_ORD_OPEN;
    o.done_reason = filled == qty ? TH_DONE_FILLED : TH_DONE_NONE;
    int32_t idx = append(t, &o);
    if (idx >= 0) {
        t->st.adopted++;
        if (o.state == TH_ORD_DONE) t->st.done[TH_DONE_FILLED]++;
    }
    return idx;
}

int32_t th_tracker_restore(th_tracker *t, const th_order *src)
{
    if (!src->cl_id[0] || th_tracker_find_cl(t, src->cl_id) >= 0) return TH_TRK_DUPLICATE;
    if (src->ex_id[0] && th_tracker_find_ex(t, src->ex_id) >= 0) return TH_TRK_DUPLICATE;
    if (src->state < TH_ORD_PENDING_CREATE || src->state > TH_ORD_DONE || src->filled > src->qty) return TH_TRK_INVALID;
    th_order o = *src;
    int32_t idx = append(t, &o);
    if (idx < 0) return idx;
    if (o.state == TH_ORD_DONE) t->st.done[o.done_reason >= 0 && o.done_reason <= TH_DONE_FAILED ? o.done_reason : 0]++;
    if (o.flags & TH_ORD_ADOPTED) t->st.adopted++;
    return idx;
}

void th_tracker_touch(th_tracker *t, int32_t idx, int64_t now_ns)
{
    if (!th_tracker_has(t, idx)) return;
    t->v[idx].state_ns = now_ns;
    if (t->v[idx].amend_qty) t->v[idx].amend_ns = now_ns;
}

int32_t th_tracker_due(const th_tracker *t, int64_t now_ns, int64_t timeout_ns, int32_t *out, int32_t max)
{
    int32_t k = 0;
    if (t->nlive == 0) return 0; /* every tick: nothing to walk */
    for (int32_t ins = 0; ins < t->ins_cap && k < max; ins++)
        for (int32_t j = 0; j < t->live[ins].n && k < max; j++) {
            int32_t i = t->live[ins].v[j].idx;
            const th_order *o = &t->v[i];
            if (((o->state == TH_ORD_PENDING_CREATE || o->state == TH_ORD_PENDING_CANCEL) && now_ns - o->state_ns >= timeout_ns) ||
                (o->amend_qty && now_ns - o->amend_ns >= timeout_ns))
                out[k++] = i;
        }
    return k;
}

static void retire_one(th_tracker *t, int32_t idx)
{
    th_order *o = &t->v[idx];
    th_slot_del(t->cl_slots, t->nslots, o->cl_id, idx, cl_key_of, t);
    if (o->ex_id[0]) th_slot_del(t->ex_slots, t->nslots, o->ex_id, idx, ex_key_of, t);
    t->done_head = o->q_next;
    if (t->done_head >= 0) t->v[t->done_head].q_prev = -1;
    else t->done_tail = -1;
    t->ndone--;
    o->state = TH_ORD_RETIRED;
    o->cl_id[0] = o->ex_id[0] = 0;
    o->q_prev = -1;
    o->q_next = t->free_head;
    t->free_head = idx;
    t->nfree++;
    t->st.retired++;
}

int32_t th_tracker_retire(th_tracker *t, int64_t now_ns, int64_t keep_ns, int32_t keep_max)
{
    t->epoch++;
    int32_t n = 0;
    while (t->done_head >= 0) {
        const th_order *o = &t->v[t->done_head];
        if (t->epoch - o->done_epoch < 2) break;                      /* finished this turn or the last */
        if (t->ndone <= keep_max && now_ns - o->state_ns < keep_ns) break; /* still in the window */
        retire_one(t, t->done_head);
        n++;
    }
    return n;
}
