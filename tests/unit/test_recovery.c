/* test_recovery.c — recovery is idempotent over any number of restarts: after each restart (a crash
 * or a clean stop, at any point) and the reconciliation that follows, the host's positions, fees
 * and per-order fills equal the venue's own record (the in-process test venue keeps every trade and
 * order across the host's restarts, as a real venue does). Each restart opens a new journal from
 * the previous one's state, exactly as the session does: recover, opening snapshot, reconcile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../host/core/clock.h"
#include "../../host/core/log.h"
#include "../../host/core/order_flow.h"
#include "../../host/venues/test_venue.h"
#include "flow_harness.h"

#define S 1000000000LL
#define NINS 2
/* Real magnitudes: BTC near 100,000 with 8 + 8 decimals (notionals far past int64), written as
 * prices of 49,990.0 at one decimal and sizes in 0.01 units, scaled. */
#define P(x) ((int64_t)(x) * 20000000LL)
#define Q(x) ((int64_t)(x) * 1000000LL)

static th_instruments INS;
static th_test_venue V;
static th_flow F;
static th_journal J;
static bool UP;
static int GEN;          /* journal generation: <dir>/<GEN>.thj */
static char DIR_[128];
static int64_t BID = P(499900), ASK = P(500100);

static int market(void *ctx, int32_t ins, int64_t *bid, int64_t *ask, int32_t *health)
{
    (void)ctx;
    if (ins < 0) return -1;
    *bid = BID + P(ins * 1000);
    *ask = ASK + P(ins * 1000);
    *health = TH_BOOK_OK;
    return 0;
}

static void add_instrument(const char *sym) { fh_add_instrument(&INS, sym, 8, 8, P(1), Q(1), Q(10)); }

static th_flow_cfg cfg(int gen)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "g%d", gen);
    th_flow_cfg c = fh_cfg(prefix);
    c.risk.breaker_errors = 0;
    c.venue_cap = 1e6;
    c.venue_rate = 1e6;
    return c;
}

static void jpath(int gen, char *out, size_t cap) { snprintf(out, cap, "%s/%d.thj", DIR_, gen); }

static void turn(void)
{
    fh_turn(&F, &V);
    fh_end_turn(&F);
}

static bool RECON_BY_HAND;

/* Start a session on journal GEN: recover from GEN-1 (if any), write the opening snapshot, commit,
 * reconcile, and turn until the venue has answered. */
static void up(void)
{
    char path[256], prev[256];
    const char *err;
    jpath(GEN, path, sizeof path);
    assert_int_equal(th_journal_open(&J, path, false, &err), 0);
    th_flow_cfg c = cfg(GEN);
    if (fh_flow_up(&F, &c, &INS, &V, NULL, market, &err) != 0) fail_msg("flow init: %s", err);
    if (GEN > 0) {
        th_journal_scan scan;
        jpath(GEN - 1, prev, sizeof prev);
        if (th_flow_recover(&F, prev, &scan, &err) != 0) fail_msg("recovery from %s: %s", prev, err);
    }
    F.jr = &J;
    th_flow_journal_begin(&F, th_clock_ns());
    assert_int_equal(th_journal_commit(&J, &err), 0);
    if (GEN > 0) {
        th_flow_reconcile(&F, th_clock_ns());
        if (RECON_BY_HAND) { UP = true; return; } /* the test drives the reconciliation */
        for (int i = 0; i < 4 && th_flow_recovering(&F); i++) turn();
        assert_false(th_flow_recovering(&F));
    }
    UP = true;
}

/* The host goes away: a crash (nothing more reaches the journal) or a clean stop (CLOSE record).
 * Answers to requests still in flight reach a host that is not there. */
static th_flow DOWN;
static uint64_t DUPLICATES; /* duplicate fills recognised, over every session */
static void down(bool clean)
{
    const char *err;
    DUPLICATES += F.trk.st.duplicate_fills;
    if (clean) th_flow_journal_close(&F, th_clock_ns());
    th_flow_free(&F);
    th_journal_close(&J);
    th_flow_cfg c = cfg(99);
    assert_int_equal(th_flow_init(&DOWN, &c, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    V.ev = th_flow_venue_events(&DOWN);
    V.drop_next = V.reject_next = 0;
    th_test_venue_pump(&V);
    UP = false;
}

static void restart(bool clean)
{
    down(clean);
    th_flow_free(&DOWN);
    GEN++;
    up();
}

static int setup(void **st)
{
    (void)st;
    th_log_set_level(TH_LOG_ERROR + 1);
    th_clock_use_virtual(1000 * S);
    RECON_BY_HAND = false;
    th_instruments_init(&INS, TH_VENUE_SIM);
    add_instrument("XBT/USD");
    add_instrument("ETH/USD");
    th_test_venue_init(&V);
    V.fee_bps = 10;
    if (fh_tmpdir(DIR_, sizeof DIR_, "th_recovery_test") != 0) return -1;
    GEN = 0;
    up();
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    if (UP) {
        th_flow_free(&F);
        th_journal_close(&J);
    }
    th_test_venue_free(&V);
    th_instruments_free(&INS);
    for (int g = 0; g <= GEN; g++) {
        char p[256];
        jpath(g, p, sizeof p);
        unlink(p);
    }
    rmdir(DIR_);
    return 0;
}

/* Let every request in flight be answered and every timed-out PENDING_* be resolved by query. */
static void settle(void)
{
    for (int i = 0; i < 6; i++) {
        turn();
        th_clock_advance_to(th_clock_ns() + 3 * S);
        th_flow_tick(&F, th_clock_ns());
        turn();
    }
}

/* The host's state against the venue's own record. */
static void assert_venue_agrees(const char *when)
{
    int64_t pos[NINS] = {0};
    th_money fees[NINS] = {0};
    for (int32_t i = 0; i < V.ntrades; i++) {
        int k = th_instruments_find(&INS, V.trades[i].symbol, strlen(V.trades[i].symbol));
        pos[k] += V.trades[i].side == TH_BID ? V.trades[i].qty : -V.trades[i].qty;
        fees[k] += V.trades[i].fee;
    }
    for (int k = 0; k < NINS; k++) {
        if (F.pf.v[k].qty != pos[k])
            fail_msg("%s: %s position %lld, the venue's trades say %lld", when, INS.v[k].symbol, (long long)F.pf.v[k].qty,
                     (long long)pos[k]);
        if (F.pf.v[k].fees != fees[k]) {
            char a[64], b[64];
            th_money_format(F.pf.v[k].fees, 16, a, sizeof a);
            th_money_format(fees[k], 16, b, sizeof b);
            fail_msg("%s: %s fees %s, the venue's trades say %s", when, INS.v[k].symbol, a, b);
        }
    }
    int32_t open = 0;
    for (int32_t i = 0; i < V.norders; i++) {
        const th_venue_order *vo = &V.orders[i].o;
        open += vo->open;
        int32_t k = th_tracker_find_ex(&F.trk, vo->ex_id);
        if (k < 0 && vo->open) {
            int32_t kc = th_tracker_find_cl(&F.trk, vo->cl_id);
            fail_msg("%s: %s (%s) is open at the venue and not tracked (by client id: %d %s ex=%s)", when, vo->ex_id, vo->cl_id, kc,
                     kc >= 0 ? th_ord_state_name(F.trk.v[kc].state) : "-", kc >= 0 ? F.trk.v[kc].ex_id : "-");
        }
        if (k < 0) continue;
        const th_order *o = &F.trk.v[k];
        if (o->filled != vo->filled)
            fail_msg("%s: %s filled %lld, the venue says %lld", when, o->cl_id, (long long)o->filled, (long long)vo->filled);
        if (th_order_live(o) != (vo->open != 0))
            fail_msg("%s: %s is %s (%s) here and %s at the venue (qty %lld/%lld filled %lld, price %lld/%lld)", when, o->cl_id,
                     th_ord_state_name(o->state), th_done_reason_name(o->done_reason), vo->open ? "open" : "closed", (long long)o->qty,
                     (long long)vo->qty, (long long)vo->filled, (long long)o->price, (long long)vo->price);
    }
    if (F.trk.nlive != open) fail_msg("%s: %d live here, %d open at the venue", when, F.trk.nlive, open);
}

static int32_t place(int32_t ins, int32_t side, int64_t px, int64_t qty)
{
    int32_t idx = -1;
    assert_int_equal(th_flow_place(&F, ins, side, px, qty, true, "r", th_clock_ns(), &idx), TH_RISK_OK);
    return idx;
}

/* One order placed by the quote executor (the quotes re-point only their own orders): the pair's
 * newest live order after a one-target quotes update. */
static int32_t place_quote(int32_t ins, int32_t side, int64_t px, int64_t qty)
{
    th_quote q = {.side = side, .price = px, .qty = qty};
    th_quotes_outcome res;
    assert_int_equal(th_flow_quotes(&F, ins, &q, 1, th_clock_ns(), &res), 0);
    assert_int_equal(res.placed, 1);
    int32_t n;
    const th_live *lv = th_tracker_live(&F.trk, ins, &n);
    return lv[n - 1].idx;
}

/* Issue 10 item 4: one 40-lot trade on a 100-lot order became filled = 80/100 after the second
 * restart (the new journal's snapshot carried neither the last fill time nor the trade keys, so
 * the next recovery asked for trades since 0 and counted the trade again). */
static void three_restarts_count_every_fill_once(void **st)
{
    (void)st;
    int32_t a = place(0, TH_BID, P(499000), Q(100)), b = place(0, TH_ASK, P(501000), Q(1000)), c = place(1, TH_BID, P(500000), Q(500));
    turn();
    char cl_a[40], cl_b[40], cl_c[40];
    snprintf(cl_a, sizeof cl_a, "%s", F.trk.v[a].cl_id);
    snprintf(cl_b, sizeof cl_b, "%s", F.trk.v[b].cl_id);
    snprintf(cl_c, sizeof cl_c, "%s", F.trk.v[c].cl_id);
    assert_int_equal(th_test_venue_fill(&V, cl_a, Q(40), P(499000)), 0); /* partial */
    assert_int_equal(th_test_venue_fill(&V, cl_c, Q(500), P(500000)), 0); /* full */
    turn();
    assert_venue_agrees("session 1");

    restart(false); /* crash */
    assert_venue_agrees("after restart 1");
    assert_int_equal(F.trk.v[th_tracker_find_cl(&F.trk, cl_a)].filled, Q(40));
    /* while up: a partial fill of b, our cancel of a */
    assert_int_equal(th_test_venue_fill(&V, cl_b, Q(300), P(501000)), 0);
    assert_int_equal(th_flow_cancel(&F, th_tracker_find_cl(&F.trk, cl_a), th_clock_ns()), 0);
    int32_t d = place(1, TH_ASK, P(503000), Q(200));
    turn();
    char cl_d[40];
    snprintf(cl_d, sizeof cl_d, "%s", F.trk.v[d].cl_id);
    assert_venue_agrees("session 2");

    restart(true); /* clean stop */
    assert_venue_agrees("after restart 2");
    assert_int_equal(F.trk.v[th_tracker_find_cl(&F.trk, cl_b)].filled, Q(300));
    /* while down: d fills in part, b is cancelled by the venue */
    down(false);
    assert_int_equal(th_test_venue_fill(&V, cl_d, Q(50), P(503000)), 0);
    assert_int_equal(th_test_venue_cancel(&V, cl_b), 0);
    th_flow_free(&DOWN);
    GEN++;
    up();
    assert_venue_agrees("after restart 3");
    int32_t kd = th_tracker_find_cl(&F.trk, cl_d);
    assert_true(kd >= 0);
    assert_int_equal(F.trk.v[kd].filled, Q(50));

    restart(false); /* and one more, straight after the last */
    assert_venue_agrees("after restart 4");
    assert_int_equal(F.pf.v[0].qty, Q(40 - 300));
    assert_int_equal(F.pf.v[1].qty, Q(500 - 50));
    assert_int_equal(F.trk.v[th_tracker_find_cl(&F.trk, cl_d)].filled, Q(50));
    assert_int_equal(F.st.adopted, 0);
}

/* Found by the randomised run below: an amend in flight at a crash. Its answer goes to the old
 * process and the opening snapshot did not carry it, so fills past the old size were refused
 * (position short of the venue's), and an order whose fills reached the old size was finished here
 * while it still rested at the venue (now it stays live until the venue's report settles the amend). */
static void amend_in_flight_at_a_crash(void **st)
{
    (void)st;
    int32_t a = place_quote(0, TH_BID, P(499000), Q(100)), b = place_quote(1, TH_BID, P(500000), Q(100));
    turn();
    char cl_a[40], cl_b[40];
    snprintf(cl_a, sizeof cl_a, "%s", F.trk.v[a].cl_id);
    snprintf(cl_b, sizeof cl_b, "%s", F.trk.v[b].cl_id);
    th_quote qa = {.side = TH_BID, .price = P(498000), .qty = Q(300)}, qb = {.side = TH_BID, .price = P(499000), .qty = Q(400)};
    th_quotes_outcome res;
    assert_int_equal(th_flow_quotes(&F, 0, &qa, 1, th_clock_ns(), &res), 0);
    assert_int_equal(th_flow_quotes(&F, 1, &qb, 1, th_clock_ns(), &res), 0);
    th_flow_flush(&F, th_clock_ns()); /* the amends are sent... */
    assert_int_equal(F.st.amends_sent, 2);
    down(false);                      /* ...and the host dies before the answers */
    assert_int_equal(th_test_venue_find(&V, cl_a)->o.qty, Q(300));
    assert_int_equal(th_test_venue_fill(&V, cl_a, Q(250), P(498000)), 0); /* past the old size */
    assert_int_equal(th_test_venue_fill(&V, cl_b, Q(100), P(499000)), 0); /* exactly the old size */
    th_flow_free(&DOWN);
    GEN++;
    up();
    settle();
    assert_venue_agrees("after the restart");
    assert_int_equal(F.pf.v[0].qty, Q(250));
    assert_int_equal(F.pf.v[1].qty, Q(100));
    const th_order *oa = &F.trk.v[th_tracker_find_cl(&F.trk, cl_a)];
    assert_int_equal(oa->qty, Q(300));
    assert_int_equal(oa->price, P(498000));
    assert_int_equal(oa->amend_qty, 0); /* settled */
    assert_true(th_order_live(oa));
    /* b: fills reached the old size with the amend up still in flight, so it stayed live; the
     * venue's report settled the amend as applied and b rests the remainder, tracked (before,
     * b was finished here and the order the venue still rested had to be cancelled) */
    const th_order *ob = &F.trk.v[th_tracker_find_cl(&F.trk, cl_b)];
    assert_true(th_order_live(ob));
    assert_int_equal(ob->qty, Q(400));
    assert_int_equal(ob->filled, Q(100));
    assert_int_equal(ob->amend_qty, 0);
    assert_int_equal(F.st.adopted_cancelled, 0);
    assert_true(th_test_venue_find(&V, cl_b)->o.open);
}

/* Issue: a lost reconciliation request left the host in recovery forever (nothing re-sent it).
 * The venue drops the first request(s): the trades request and its first re-send, then (next
 * restart) the open-orders request. Each is asked again after the timeout and the flow's back-off
 * (which grows: the second wait is longer), counted, and the host reconciles to the venue's state. */
static int64_t recover_by_ticks(int64_t *resend_at, int max)
{
    int64_t start = th_clock_ns();
    int n = 0;
    for (int i = 0; i < 200 && th_flow_recovering(&F); i++) {
        th_clock_advance_to(th_clock_ns() + S / 4);
        uint64_t before = F.st.recon_resends;
        th_flow_tick(&F, th_clock_ns());
        if (F.st.recon_resends != before && n < max) resend_at[n++] = th_clock_ns();
        turn();
    }
    return th_clock_ns() - start;
}

static void lost_reconciliation_requests_are_sent_again(void **st)
{
    (void)st;
    int32_t a = place(0, TH_BID, P(499000), Q(100)), b = place(1, TH_ASK, P(501000), Q(100));
    turn();
    char cl_a[40], cl_b[40];
    snprintf(cl_a, sizeof cl_a, "%s", F.trk.v[a].cl_id);
    snprintf(cl_b, sizeof cl_b, "%s", F.trk.v[b].cl_id);
    assert_int_equal(th_test_venue_fill(&V, cl_a, Q(40), P(499000)), 0);
    turn();
    down(false);
    assert_int_equal(th_test_venue_fill(&V, cl_a, Q(30), P(499000)), 0); /* while we are away */
    assert_int_equal(th_test_venue_cancel(&V, cl_b), 0);
    th_flow_free(&DOWN);
    GEN++;
    RECON_BY_HAND = true;
    V.drop_next = 2; /* the trades request and its first re-send are lost */
    int64_t t0 = th_clock_ns();
    up();
    turn();
    turn();
    assert_true(th_flow_recovering(&F));
    int32_t idx;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, P(499000), Q(10), true, "r", th_clock_ns(), &idx), TH_RISK_RECOVERING);
    int64_t at[4] = {0};
    recover_by_ticks(at, 4);
    if (th_flow_recovering(&F)) fail_msg("still recovering after %llu re-sends", (unsigned long long)F.st.recon_resends);
    assert_int_equal(F.st.recon_resends, 2);
    /* each re-send waits the timeout (2 s here) and then the back-off: 0.25-0.5 s, then 0.5-1 s */
    assert_true(at[0] - t0 >= 2 * S + S / 4);
    assert_true(at[1] - at[0] >= 2 * S + S / 2);
    assert_true(at[1] - at[0] <= 2 * S + S + S / 2);
    assert_false(th_backoff_blocked(&F.backoff, th_clock_ns())); /* new orders are not held after it */
    assert_int_equal(F.backoff.attempts, 0);
    assert_venue_agrees("after lost trades requests");
    assert_int_equal(F.pf.v[0].qty, Q(70));
    assert_false(th_order_live(&F.trk.v[th_tracker_find_cl(&F.trk, cl_b)]));
    /* the next restart loses the open-orders request (sent when the trades answer arrives) */
    down(true);
    th_flow_free(&DOWN);
    GEN++;
    up();
    V.drop_next = 1;
    recover_by_ticks(at, 4);
    assert_false(th_flow_recovering(&F));
    assert_int_equal(F.st.recon_resends, 1);
    assert_venue_agrees("after a lost open-orders request");
    RECON_BY_HAND = false;
    assert_int_equal(th_flow_place(&F, 1, TH_BID, P(499500), Q(10), true, "r", th_clock_ns(), &idx), TH_RISK_OK);
}

/* ---- the property: any number of restarts at any point gives the venue's own positions and fills ---- */

static uint64_t RNG = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    RNG ^= RNG << 13;
    RNG ^= RNG >> 7;
    RNG ^= RNG << 17;
    return RNG;
}

static int64_t price_for(int32_t ins, int32_t side) /* resting, inside the band, off the touch */
{
    int64_t off = 200 + (int64_t)(rnd() % 400) * 10;
    return P((side == TH_BID ? 499900 - off : 500100 + off) + ins * 1000);
}

/* What the venue does on its own: fill (part of) a resting order, cancel one, or re-send an old
 * trade (a reconnect's snapshot): the host may be up or down. */
static void venue_step(void)
{
    tv_order *o = NULL; /* a resting order, from a random place on */
    for (int32_t k = 0, at = V.norders ? (int32_t)(rnd() % (uint64_t)V.norders) : 0; k < V.norders && !o; k++)
        if (V.orders[(at + k) % V.norders].o.open) o = &V.orders[(at + k) % V.norders];
    switch (rnd() % 5) {
    case 0: case 1: case 2:
        if (o) th_test_venue_fill(&V, o->o.cl_id, Q(1 + (int64_t)(rnd() % 300)), o->o.price);
        break;
    case 3:
        if (o) th_test_venue_cancel(&V, o->o.cl_id);
        break;
    default:
        if (V.ntrades && V.ev.on_fill) V.ev.on_fill(V.ev.ctx, &V.trades[rnd() % (uint64_t)V.ntrades]);
        break;
    }
}

static void host_step(void)
{
    int64_t now = th_clock_ns();
    int32_t ins = (int32_t)(rnd() % NINS), idx;
    switch (rnd() % 10) {
    case 0: case 1: {
        int32_t side = (int32_t)(rnd() % 2);
        th_flow_place(&F, ins, side, price_for(ins, side), Q(10 + (int64_t)(rnd() % 500)), true, "r", now, &idx);
        break;
    }
    case 2:
        if (F.trk.n) th_flow_cancel(&F, (int32_t)(rnd() % (uint64_t)F.trk.n), now);
        break;
    case 3: { /* quotes: keeps, amends, replaces */
        th_quote q[2];
        memset(q, 0, sizeof q);
        int32_t n = 1 + (int32_t)(rnd() % 2);
        for (int32_t i = 0; i < n; i++) {
            q[i].side = i;
            q[i].price = price_for(ins, i);
            q[i].qty = Q(10 + (int64_t)(rnd() % 500));
        }
        th_quotes_outcome res;
        th_flow_quotes(&F, ins, q, n, now, &res);
        break;
    }
    case 4: V.drop_next = 1; break;
    case 5: V.reject_next = 1; break;
    case 6: th_clock_advance_to(now + (int64_t)(rnd() % 3) * S); th_flow_tick(&F, th_clock_ns()); break;
    case 7: case 8: venue_step(); break;
    default: turn(); break;
    }
}

static void randomised_restarts_match_the_venue(void **st)
{
    (void)st;
    int restarts = 0, crashes = 0;
    DUPLICATES = 0;
    if (getenv("TH_SEED")) RNG = strtoull(getenv("TH_SEED"), NULL, 10) | 1; /* to explore other runs */
    for (int step = 0; step < 30000; step++) {
        host_step();
        if (rnd() % 150 != 0 && !(step == 29999 && restarts < 3)) continue;
        bool clean = rnd() % 3 == 0;
        down(clean);
        for (int k = (int)(rnd() % 6); k > 0; k--) venue_step(); /* the market goes on while we are away */
        th_flow_free(&DOWN);
        GEN++;
        up();
        restarts++;
        crashes += !clean;
        char when[64];
        snprintf(when, sizeof when, "restart %d (step %d)", restarts, step);
        settle();
        assert_venue_agrees(when);
    }
    settle();
    assert_venue_agrees("the end");
    assert_true(restarts >= 3);
    assert_true(crashes >= 1 && crashes < restarts);
    DUPLICATES += F.trk.st.duplicate_fills;
    assert_true(V.ntrades > 1000);
    assert_true(DUPLICATES > 100);
    print_message("%d restarts (%d crashes), %d venue trades, %llu duplicate fills recognised\n", restarts, crashes, V.ntrades,
                  (unsigned long long)DUPLICATES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(three_restarts_count_every_fill_once, setup, teardown),
        cmocka_unit_test_setup_teardown(amend_in_flight_at_a_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_reconciliation_requests_are_sent_again, setup, teardown),
        cmocka_unit_test_setup_teardown(randomised_restarts_match_the_venue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
