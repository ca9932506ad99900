/* test_order_tracker.c — every state transition of the order tracker, every anomaly counter, and a
 * randomised interleaving of acks, fills (partial, duplicate, late), cancels, rejects, expiries and
 * timeouts with the invariants checked after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/core/order_tracker.h"
#include "money_check.h"
#include "tracker_check.h"

static th_tracker T;

static int setup(void **st) { (void)st; return th_tracker_init(&T, "h1s42"); }
static int teardown(void **st) { (void)st; th_tracker_free(&T); return 0; }

static void ids_are_prefixed_unique_and_found(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, "mm", 1);
    int32_t b = th_tracker_create(&T, 0, 1, 101, 10, "mm", 1);
    assert_string_equal(T.v[a].cl_id, "h1s42-1");
    assert_string_equal(T.v[b].cl_id, "h1s42-2");
    assert_int_equal(T.v[a].state, TH_ORD_PENDING_CREATE);
    assert_int_equal(th_tracker_find_cl(&T, "h1s42-2"), b);
    assert_int_equal(th_tracker_find_cl(&T, "h1s42-3"), TH_TRK_UNKNOWN);
    for (int i = 0; i < 40; i++) th_tracker_create(&T, 0, 0, 1, 1, NULL, 1);
    assert_string_equal(T.v[T.n - 1].cl_id, "h1s42-16"); /* 42 in base 36 */
}

static void ack_and_its_anomalies(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, "", 1);
    assert_int_equal(th_tracker_on_ack(&T, T.v[a].cl_id, "OABC-1", 5), a);
    assert_int_equal(T.v[a].state, TH_ORD_OPEN);
    assert_int_equal(T.v[a].state_ns, 5);
    assert_int_equal(th_tracker_find_ex(&T, "OABC-1"), a);
    assert_int_equal(th_tracker_on_ack(&T, T.v[a].cl_id, "OABC-1", 6), TH_TRK_DUPLICATE);
    assert_int_equal(T.st.duplicate_acks, 1);
    assert_int_equal(th_tracker_on_ack(&T, "h1s42-999", "X", 6), TH_TRK_UNKNOWN);
    assert_int_equal(T.st.unknown_events, 1);
    assert_int_equal(th_tracker_on_cancelled(&T, a, 7), a);
    assert_int_equal(th_tracker_on_ack(&T, T.v[a].cl_id, NULL, 8), TH_TRK_DUPLICATE);
    assert_int_equal(T.st.late_events, 1);
}

static void reject_only_before_ack(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, "", 1);
    assert_int_equal(th_tracker_on_reject(&T, T.v[a].cl_id, 2), a);
    assert_int_equal(T.v[a].state, TH_ORD_DONE);
    assert_int_equal(T.v[a].done_reason, TH_DONE_REJECTED);
    int32_t b = th_tracker_create(&T, 0, 0, 100, 10, "", 1);
    th_tracker_on_ack(&T, T.v[b].cl_id, "E2", 2);
    assert_int_equal(th_tracker_on_reject(&T, T.v[b].cl_id, 3), TH_TRK_INVALID);
    assert_int_equal(T.v[b].state, TH_ORD_OPEN);
    assert_int_equal(T.st.done[TH_DONE_REJECTED], 1);
}

static void cancel_flow(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, "", 1);
    /* cancel before the ack: flagged, state kept, sent once acked */
    assert_int_equal(th_tracker_request_cancel(&T, a, 2), a);
    assert_int_equal(T.v[a].state, TH_ORD_PENDING_CREATE);
    assert_true(T.v[a].flags & TH_ORD_CANCEL_WANTED);
    assert_int_equal(th_tracker_request_cancel(&T, a, 2), TH_TRK_DUPLICATE);
    th_tracker_on_ack(&T, T.v[a].cl_id, "E1", 3);
    assert_int_equal(th_tracker_request_cancel(&T, a, 4), a);
    assert_int_equal(T.v[a].state, TH_ORD_PENDING_CANCEL);
    assert_int_equal(th_tracker_request_cancel(&T, a, 4), TH_TRK_DUPLICATE);
    assert_int_equal(th_tracker_on_cancelled(&T, a, 5), a);
    assert_int_equal(T.v[a].done_reason, TH_DONE_CANCELLED);
    assert_int_equal(th_tracker_on_cancelled(&T, a, 6), TH_TRK_DUPLICATE);
    assert_int_equal(th_tracker_request_cancel(&T, a, 7), TH_TRK_INVALID);
    int32_t b = th_tracker_create(&T, 0, 0, 100, 10, "", 1);
    th_tracker_on_ack(&T, T.v[b].cl_id, "E2", 2);
    assert_int_equal(th_tracker_on_expired(&T, b, 9), b);
    assert_int_equal(T.v[b].done_reason, TH_DONE_EXPIRED);
}

static void fills(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, "", 1);
    /* fill before the ack implies the ack */
    assert_int_equal(th_tracker_on_fill(&T, a, "T1", 4, 100, 2), a);
    assert_int_equal(T.v[a].state, TH_ORD_OPEN);
    assert_int_equal(T.st.fill_before_ack, 1);
    assert_int_equal(th_tracker_on_fill(&T, a, "T1", 4, 100, 3), TH_TRK_DUPLICATE);
    assert_int_equal(T.v[a].filled, 4);
    assert_int_equal(T.st.duplicate_fills, 1);
    /* fill after a cancel request still counts */
    th_tracker_request_cancel(&T, a, 4);
    assert_int_equal(th_tracker_on_fill(&T, a, "T2", 3, 99, 5), a);
    assert_int_equal(T.st.fill_after_cancel_request, 1);
    assert_int_equal(T.v[a].filled, 7);
    assert_money_equal(T.v[a].notional_filled, 4 * 100 + 3 * 99);
    /* overfill is refused: filled never exceeds qty, and completing makes it DONE filled */
    assert_int_equal(th_tracker_on_fill(&T, a, "T3", 5, 99, 6), a);
    assert_int_equal(T.v[a].filled, 10);
    assert_int_equal(T.st.overfill_refused, 1);
    assert_int_equal(T.v[a].state, TH_ORD_DONE);
    assert_int_equal(T.v[a].done_reason, TH_DONE_FILLED);
    /* a cancel confirmation after the last fill does not turn it into "cancelled" */
    assert_int_equal(th_tracker_on_cancelled(&T, a, 7), TH_TRK_DUPLICATE);
    assert_int_equal(T.v[a].done_reason, TH_DONE_FILLED);
    /* a late fill after "cancelled" is applied (real money) and can make it filled */
    int32_t b = th_tracker_create(&T, 0, 1, 100, 5, "", 1);
    th_tracker_on_ack(&T, T.v[b].cl_id, "E9", 2);
    th_tracker_on_fill(&T, b, "U1", 2, 100, 3);
    th_tracker_on_cancelled(&T, b, 4);
    assert_int_equal(T.v[b].done_reason, TH_DONE_CANCELLED);
    assert_int_equal(th_tracker_on_fill(&T, b, "U2", 3, 100, 5), b);
    assert_int_equal(T.v[b].filled, 5);
    assert_int_equal(T.v[b].done_reason, TH_DONE_FILLED);
    assert_int_equal(T.st.done[TH_DONE_CANCELLED], 0);
    assert_int_equal(th_tracker_on_fill(&T, b, "", 1, 100, 5), TH_TRK_INVALID);
    assert_int_equal(th_tracker_on_fill(&T, b, "U3", 0, 100, 5), TH_TRK_INVALID);
    assert_int_equal(th_tracker_on_fill(&T, 12345, "U4", 1, 100, 5), TH_TRK_UNKNOWN);
}

static void timeouts_and_missing(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, "", 1000);
    int32_t b = th_tracker_create(&T, 0, 0, 100, 10, "", 1000);
    int32_t c = th_tracker_create(&T, 0, 0, 100, 10, "", 1000);
    th_tracker_on_ack(&T, T.v[b].cl_id, "EB", 1100);
    th_tracker_request_cancel(&T, b, 1200);
    th_tracker_on_ack(&T, T.v[c].cl_id, "EC", 1100);
    int32_t due[8];
    assert_int_equal(th_tracker_due(&T, 1500, 1000, due, 8), 0);
    assert_int_equal(th_tracker_due(&T, 2000, 1000, due, 8), 1);
    assert_int_equal(due[0], a);
    assert_int_equal(th_tracker_due(&T, 2200, 1000, due, 8), 2); /* b's PENDING_CANCEL is due too */
    assert_int_equal(th_tracker_resolve_missing(&T, a, 2300), a);
    assert_int_equal(T.v[a].done_reason, TH_DONE_FAILED);      /* never reached the venue */
    assert_int_equal(th_tracker_resolve_missing(&T, b, 2300), b);
    assert_int_equal(T.v[b].done_reason, TH_DONE_CANCELLED);   /* gone */
    assert_int_equal(th_tracker_resolve_missing(&T, b, 2300), TH_TRK_INVALID);
    assert_int_equal(th_tracker_due(&T, 9000, 1000, due, 8), 0); /* c is OPEN: not due */
}

/* A failed order the venue turns out to hold (late ack, or a fill that leaves it resting) comes
 * back as PENDING_CANCEL, on the live set and off the done list; a cancelled one never does. */
static void failed_orders_come_back_to_be_cancelled(void **st)
{
    (void)st;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, "", 1000);
    int32_t b = th_tracker_create(&T, 0, 0, 100, 10, "", 1000);
    int32_t c = th_tracker_create(&T, 0, 0, 100, 10, "", 1000);
    th_tracker_resolve_missing(&T, a, 2000);
    th_tracker_resolve_missing(&T, b, 2000);
    th_tracker_on_ack(&T, T.v[c].cl_id, "EC", 1100);
    th_tracker_on_cancelled(&T, c, 2100);
    assert_int_equal(T.st.done[TH_DONE_FAILED], 2);
    assert_int_equal(th_tracker_on_ack(&T, T.v[a].cl_id, "EA", 3000), a);
    assert_int_equal(T.v[a].state, TH_ORD_PENDING_CANCEL);
    assert_int_equal(T.v[a].done_reason, TH_DONE_NONE);
    assert_string_equal(T.v[a].ex_id, "EA");
    assert_int_equal(th_tracker_on_fill(&T, b, "TB", 4, 100, 3000), b);
    assert_int_equal(T.v[b].state, TH_ORD_PENDING_CANCEL);
    assert_int_equal(T.v[b].filled, 4);
    assert_int_equal(th_tracker_on_ack(&T, T.v[c].cl_id, "EC", 3000), TH_TRK_DUPLICATE); /* cancelled: stays done */
    assert_int_equal(T.v[c].state, TH_ORD_DONE);
    assert_int_equal(T.st.revived, 2);
    assert_int_equal(T.st.done[TH_DONE_FAILED], 0);
    assert_int_equal(T.nlive, 2);
    assert_int_equal(T.ndone, 1);
    assert_int_equal(T.done_head, c);
    assert_int_equal(T.done_tail, c);
    char why[160];
    if (check_live_sets(&T, why, sizeof why)) fail_msg("%s", why);
    int32_t due[8];
    assert_int_equal(th_tracker_due(&T, 3000 + 1000, 1000, due, 8), 2); /* their cancels are timed like any other */
    assert_int_equal(th_tracker_on_cancelled(&T, a, 3500), a);
    assert_int_equal(T.v[a].done_reason, TH_DONE_CANCELLED);
}

static void adoption(void **st)
{
    (void)st;
    int32_t a = th_tracker_adopt(&T, "FOREIGN-1", 3, 1, 250, 10, 4, 7);
    assert_true(a >= 0);
    assert_true(T.v[a].flags & TH_ORD_ADOPTED);
    assert_int_equal(T.v[a].state, TH_ORD_OPEN);
    assert_int_equal(th_tracker_find_ex(&T, "FOREIGN-1"), a);
    assert_int_equal(th_tracker_find_cl(&T, T.v[a].cl_id), a);
    assert_int_equal(th_tracker_adopt(&T, "FOREIGN-1", 3, 1, 250, 10, 4, 7), TH_TRK_DUPLICATE);
    assert_int_equal(th_tracker_adopt(&T, "F2", 3, 1, 250, 10, 11, 7), TH_TRK_INVALID);
    assert_int_equal(T.st.adopted, 1);
}

/* An order we never sent, adopted from its first fill (sized by it), then filled again (it took a
 * second level): the second fill is counted, not clipped away as an overfill. BTC at 100,000 with
 * 8+8 decimals. */
static void adopted_from_a_fill_takes_every_fill(void **st)
{
    (void)st;
    int64_t px = 10000000000000LL, q1 = 12345678, q2 = 87654321; /* 100000.00000000; 0.12345678; 0.87654321 */
    int32_t a = th_tracker_adopt(&T, "9001", 3, 0, px, q1, 0, 7);
    assert_true(a >= 0);
    assert_int_equal(th_tracker_on_fill(&T, a, "BTCUSDT-1", q1, px, 8), a);
    assert_int_equal(T.v[a].state, TH_ORD_DONE);
    assert_true(th_tracker_on_fill(&T, a, "BTCUSDT-2", q2, px + 1, 9) >= 0);
    assert_int_equal(T.v[a].filled, q1 + q2);
    assert_int_equal(T.v[a].qty, q1 + q2);
    assert_int_equal(T.st.overfill_refused, 0);
    assert_int_equal(T.st.adopted_grown, 1);
    /* one of ours keeps its own size: a fill past it is refused */
    int32_t o = th_tracker_create(&T, 3, 0, px, q1, "mine", 10);
    assert_true(o >= 0);
    assert_int_equal(th_tracker_on_ack(&T, T.v[o].cl_id, "9002", 11), o);
    th_tracker_on_fill(&T, o, "BTCUSDT-3", q1 + 1, px, 12);
    assert_int_equal(T.v[o].filled, q1);
    assert_int_equal(T.st.overfill_refused, 1);
}

static uint64_t rng_state = 0xC0FFEEull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Live sets consistent, else the test fails naming the disagreement. */
static void assert_live_sets(const th_tracker *t)
{
    char why[160];
    const char *bad = check_live_sets(t, why, sizeof why);
    if (bad) fail_msg("%s", bad);
}

/* Prices and sizes across real magnitudes: BTC at 100,000 or 1,000,000 with 8 + 8 decimals (up to
 * 1,000 BTC), a meme coin at 0.00000123 (8 decimals) with sizes up to 10^9 (2 decimals). */
static void draw_order(int64_t *px, int64_t *qty)
{
    static const int64_t level[3] = {10000000000000LL, 100000000000000LL, 123};
    static const int64_t maxq[3] = {100000000000LL, 100000000000LL, 100000000000LL};
    int k = (int)(rnd() % 3);
    *px = level[k] - level[k] / 10 + (int64_t)(rnd() % (uint64_t)(level[k] / 5 + 1));
    int64_t q = 1 + (int64_t)(rnd() % 9);
    for (int64_t i = (int64_t)(rnd() % 12); i > 0 && q <= maxq[k] / 10; i--) q *= 10;
    *qty = q;
}

/* Random interleavings; the test keeps its own record of every applied fill, and of its notional
 * as an independent 128-bit sum and a long double one. */
static void randomised_invariants(void **st)
{
    (void)st;
    enum { ORDERS = 600, STEPS = 200000 };
    static int64_t applied[ORDERS * 2];
    static th_money notional[ORDERS * 2];
    static long double lnotional[ORDERS * 2];
    memset(notional, 0, sizeof notional);
    memset(lnotional, 0, sizeof lnotional);
    double biggest = 0;
    static char trades[4096][16];
    int ntrades = 0;
    memset(applied, 0, sizeof applied);
    int64_t now = 0;
    for (int step = 0; step < STEPS; step++) {
        now += (int64_t)(rnd() % 1000);
        int op = (int)(rnd() % 10);
        int32_t i = T.n ? (int32_t)(rnd() % (uint64_t)T.n) : -1;
        if (op == 0 || i < 0) {
            if (T.n < ORDERS) {
                int32_t ins = (int32_t)(rnd() % 4), side = (int32_t)(rnd() % 2);
                int64_t px, qty;
                draw_order(&px, &qty);
                th_tracker_create(&T, ins, side, px, qty, "r", now);
            }
            continue;
        }
        th_order *o = &T.v[i];
        char ex[24];
        snprintf(ex, sizeof ex, "E%d", i);
        switch (op) {
        case 1: th_tracker_on_ack(&T, o->cl_id, ex, now); break;
        case 2: th_tracker_on_reject(&T, o->cl_id, now); break;
        case 3: th_tracker_request_cancel(&T, i, now); break;
        case 4: th_tracker_on_cancelled(&T, i, now); break;
        case 5: th_tracker_on_expired(&T, i, now); break;
        case 6: th_tracker_resolve_missing(&T, i, now); break;
        case 9: /* an amend (price and size), answered yes or no, maybe to at or below the filled size */
            th_tracker_request_amend(&T, i, o->price + (int64_t)(rnd() % 10) - 5,
                                     rnd() % 4 ? o->qty + (int64_t)(rnd() % 20) - 10 : (int64_t)(rnd() % (uint64_t)o->qty) + 1, now);
            if (rnd() % 2) th_tracker_on_amended(&T, i, rnd() % 4 != 0, now);
            break;
        default: { /* fills: new trade ids, or a repeat of an old one (duplicate) */
            const char *tid;
            if (ntrades > 0 && rnd() % 4 == 0) tid = trades[rnd() % (uint64_t)ntrades];
            else if (ntrades < 4096) { snprintf(trades[ntrades], 16, "t%d", ntrades); tid = trades[ntrades++]; }
            else tid = trades[rnd() % 4096];
            int64_t before = o->filled;
            int64_t q = rnd() % 2 ? 1 + (int64_t)(rnd() % 8) : 1 + (int64_t)(rnd() % (uint64_t)o->qty);
            int64_t fpx = o->price - (int64_t)(rnd() % (uint64_t)(o->price / 100 + 1)); /* at or better */
            if (fpx <= 0) fpx = o->price;
            int32_t rc = th_tracker_on_fill(&T, i, tid, q, fpx, now);
            if (rc >= 0) {
                int64_t d = o->filled - before;
                applied[i] += d;
                notional[i] += (th_money)d * fpx;
                lnotional[i] += (long double)d * (long double)fpx;
            }
            else assert_int_equal(o->filled, before);
        }
        }
        /* invariants, every step, every order */
        assert_live_sets(&T);
        for (int32_t k = 0; k < T.n; k++) {
            const th_order *q = &T.v[k];
            assert_true(q->filled >= 0 && q->filled <= q->qty);
            assert_int_equal(q->filled, applied[k]);
            if (q->notional_filled != notional[k]) fail_msg("step %d: order %d notional differs from the 128-bit sum", step, k);
            long double ln = (long double)q->notional_filled;
            if (fabsl(ln - lnotional[k]) > 1e-15L * lnotional[k] + 1) fail_msg("step %d: order %d notional differs from long double", step, k);
            if ((double)q->notional_filled > biggest) biggest = (double)q->notional_filled;
            assert_true(q->state >= TH_ORD_PENDING_CREATE && q->state <= TH_ORD_DONE);
            assert_true((q->state == TH_ORD_DONE) == (q->done_reason != TH_DONE_NONE));
            if (q->filled == q->qty) assert_int_equal(q->state, TH_ORD_DONE);
            if (q->state == TH_ORD_DONE && q->filled == q->qty) assert_int_equal(q->done_reason, TH_DONE_FILLED);
            if (step % 5000 == 0) {
                assert_int_equal(th_tracker_find_cl(&T, q->cl_id), k);
                if (q->ex_id[0]) assert_int_equal(th_tracker_find_ex(&T, q->ex_id), k);
            }
        }
    }
    assert_true(biggest > 1e22); /* beyond int64 by far: 1e3 BTC at 1e5..1e6 is up to 1e25 units */
    /* every intent accounted for: done counts add up to the DONE orders */
    uint64_t done = 0, total = 0;
    for (int r = 1; r <= TH_DONE_FAILED; r++) total += T.st.done[r];
    for (int32_t k = 0; k < T.n; k++) done += T.v[k].state == TH_ORD_DONE;
    assert_int_equal(total, done);
    assert_int_equal(T.st.created, (uint64_t)T.n);
    print_message("orders %d, fills %llu, duplicate fills %llu, overfills refused %llu, fill-before-ack %llu\n", T.n,
                  (unsigned long long)T.st.filled_events, (unsigned long long)T.st.duplicate_fills,
                  (unsigned long long)T.st.overfill_refused, (unsigned long long)T.st.fill_before_ack);
}

/* Retirement: the epoch rule (never in the turn an order finished, nor the next), the time window
 * and the count cap; retired slots are reused, their ids are gone from both maps while every other
 * order is still found (deletion from the open-addressing maps under heavy churn), and trade keys
 * outlive the order. Events for a retired index are unknown. */
static void retirement(void **st)
{
    (void)st;
    const int64_t S = 1000000000;
    int32_t a = th_tracker_create(&T, 0, 0, 100, 10, NULL, 1 * S);
    assert_true(th_tracker_on_ack(&T, T.v[a].cl_id, "EX-A", 1 * S) >= 0);
    assert_true(th_tracker_on_fill(&T, a, "T1", 10, 100, 2 * S) >= 0); /* DONE, filled */
    char cl_a[TH_CLID_MAX];
    snprintf(cl_a, sizeof cl_a, "%s", T.v[a].cl_id);
    assert_int_equal(th_tracker_retire(&T, 100 * S, 10 * S, 1000), 0); /* finished this turn */
    assert_int_equal(th_tracker_retire(&T, 100 * S, 10 * S, 1000), 1); /* a turn later, 98 s old */
    assert_int_equal(T.v[a].state, TH_ORD_RETIRED);
    assert_int_equal(th_tracker_find_cl(&T, cl_a), TH_TRK_UNKNOWN);
    assert_int_equal(th_tracker_find_ex(&T, "EX-A"), TH_TRK_UNKNOWN);
    assert_true(th_tracker_trade_seen(&T, cl_a, "T1"));
    assert_false(th_tracker_trade_seen(&T, cl_a, "T2"));
    assert_int_equal(th_tracker_on_cancelled(&T, a, 3 * S), TH_TRK_UNKNOWN);
    assert_int_equal(th_tracker_on_fill(&T, a, "T9", 1, 100, 3 * S), TH_TRK_UNKNOWN);
    int32_t b = th_tracker_create(&T, 0, 1, 101, 10, NULL, 101 * S);
    assert_int_equal(b, a); /* the slot is reused */
    assert_int_equal(T.n, 1);
    /* young orders stay within the window; the count cap retires the oldest beyond it */
    assert_true(th_tracker_on_ack(&T, T.v[b].cl_id, "EX-B", 101 * S) >= 0);
    assert_true(th_tracker_request_cancel(&T, b, 101 * S) >= 0);
    assert_true(th_tracker_on_cancelled(&T, b, 102 * S) >= 0);
    th_tracker_retire(&T, 102 * S, 10 * S, 1000);
    assert_int_equal(th_tracker_retire(&T, 103 * S, 10 * S, 1000), 0); /* 1 s old, window 10 s */
    assert_int_equal(th_tracker_retire(&T, 103 * S, 10 * S, 0), 1);    /* over the cap of 0 */

    /* churn: 50,000 orders through a window of 64; every kept order is found by both ids */
    uint64_t x = 7;
    int64_t now = 200 * S;
    int32_t ring[16];
    for (int i = 0; i < 16; i++) ring[i] = -1;
    for (int i = 0; i < 50000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int32_t k = th_tracker_create(&T, (int32_t)(x >> 60), 0, 100, 10, NULL, now);
        char ex[32];
        snprintf(ex, sizeof ex, "E%d", i);
        th_tracker_on_ack(&T, T.v[k].cl_id, ex, now);
        if ((x >> 20) % 3 == 0) { /* stays live a while: 16 orders later it is cancelled */
            int32_t old = ring[i % 16];
            ring[i % 16] = k;
            k = old;
        }
        if (k >= 0) { th_tracker_request_cancel(&T, k, now); th_tracker_on_cancelled(&T, k, now); }
        if (i % 7 == 0) th_tracker_retire(&T, now, 3600 * S, 64);
        if (i % 97 == 0) assert_live_sets(&T); /* reused slots join and leave the live sets cleanly */
    }
    assert_true(T.st.retired > 30000);
    assert_true(T.n < 200);          /* 16 live + 64 kept + one retire interval */
    for (int32_t i = 0; i < T.n; i++) {
        if (T.v[i].state == TH_ORD_RETIRED) continue;
        assert_int_equal(th_tracker_find_cl(&T, T.v[i].cl_id), i);
        assert_int_equal(th_tracker_find_ex(&T, T.v[i].ex_id), i);
    }
    assert_int_equal(th_tracker_find_ex(&T, "E0"), TH_TRK_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ids_are_prefixed_unique_and_found, setup, teardown),
        cmocka_unit_test_setup_teardown(ack_and_its_anomalies, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_only_before_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(fills, setup, teardown),
        cmocka_unit_test_setup_teardown(timeouts_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_orders_come_back_to_be_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(adoption, setup, teardown),
        cmocka_unit_test_setup_teardown(adopted_from_a_fill_takes_every_fill, setup, teardown),
        cmocka_unit_test_setup_teardown(randomised_invariants, setup, teardown),
        cmocka_unit_test_setup_teardown(retirement, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
