/* test_order_flow.c — the order flow driven through the connector interface by the in-process test
 * venue: journal-before-send, acks, fills and positions, refusals with reasons, rejects, rate-limit
 * back-off, the circuit breaker, timeouts resolved by query, the kill switch, a failing journal,
 * quotes, recovery with reconciliation, a randomised run with invariants after every step, and
 * processes aborted at random journal offsets whose journals rebuild to a consistent state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../host/core/clock.h"
#include "../../host/core/log.h"
#include "../../host/core/order_flow.h"
#include "../../host/venues/test_venue.h"
#include "flow_harness.h"
#include "money_check.h"
#include "tracker_check.h"

#define S 1000000000LL

static th_instruments INS;
static th_test_venue V;
static th_flow F;
static th_journal J;
static char DIR_[128], JPATH[256], JPATH2[256];
static int64_t BID = 499900, ASK = 500100; /* 49990.0 / 50010.0 */
static int32_t HEALTH = TH_BOOK_OK;

/* Real magnitudes (the randomised runs' second pass): BTC/USDT at 100,000 and BTC/USDC at
 * 1,000,000 with 8 + 8 decimals, MEME/USDT at 0.00000123 with 8 + 2; sizes up to 1,000 BTC and
 * 10^9 coins, so notionals reach 10^9 quote units. */
static bool BIG;
#define E8 100000000LL
static const int64_t BIG_LEVEL[3] = {100000 * E8, 1000000 * E8, 123};
static const int64_t BIG_MAXQ[3] = {1000 * E8, 1000 * E8, 1000000000LL * 100};

static int market(void *ctx, int32_t ins, int64_t *bid, int64_t *ask, int32_t *health)
{
    (void)ctx;
    if (ins < 0) return -1;
    if (BIG) {
        *bid = BIG_LEVEL[ins] - (BIG_LEVEL[ins] > 1000 ? BIG_LEVEL[ins] / 10000 : 1);
        *ask = BIG_LEVEL[ins] + (BIG_LEVEL[ins] > 1000 ? BIG_LEVEL[ins] / 10000 : 1);
        *health = HEALTH;
        return 0;
    }
    *bid = BID + ins * 1000;
    *ask = ASK + ins * 1000;
    *health = HEALTH;
    return 0;
}

static void add_instrument_dec(const char *sym, int32_t price_dec, int32_t qty_dec)
{
    fh_add_instrument(&INS, sym, price_dec, qty_dec, 1, 1, 10);
}

static void add_instrument(const char *sym) { add_instrument_dec(sym, 1, 4); }

static th_flow_cfg cfg(void)
{
    th_flow_cfg c = fh_cfg("t1");
    c.risk.breaker_errors = 3;
    c.risk.breaker_cooldown_ns = 5 * S;
    return c;
}

static void flow_up(th_flow *f, const th_flow_cfg *c, th_journal *j)
{
    const char *err = NULL;
    if (fh_flow_up(f, c, &INS, &V, j, market, &err) != 0) fail_msg("flow init: %s", err);
}

static int setup(void **st)
{
    (void)st;
    th_log_set_level(TH_LOG_ERROR + 1);
    th_clock_use_virtual(1000 * S);
    th_instruments_init(&INS, TH_VENUE_SIM);
    if (BIG) {
        add_instrument_dec("BTC/USDT", 8, 8);
        add_instrument_dec("BTC/USDC", 8, 8);
        add_instrument_dec("MEME/USDT", 8, 2);
    } else {
        add_instrument("XBT/USD");
        add_instrument("ETH/USD");
    }
    th_test_venue_init(&V);
    if (fh_tmpdir(DIR_, sizeof DIR_, "th_flow_test") != 0) return -1;
    snprintf(JPATH, sizeof JPATH, "%s/1.thj", DIR_);
    snprintf(JPATH2, sizeof JPATH2, "%s/2.thj", DIR_);
    const char *err;
    if (th_journal_open(&J, JPATH, false, &err) != 0) return -1;
    th_flow_cfg c = cfg();
    flow_up(&F, &c, &J);
    BID = 499900;
    ASK = 500100;
    HEALTH = TH_BOOK_OK;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    th_flow_free(&F);
    th_journal_close(&J);
    th_test_venue_free(&V);
    th_instruments_free(&INS);
    BIG = false;
    unlink(JPATH);
    unlink(JPATH2);
    rmdir(DIR_);
    return 0;
}

static int setup_big(void **st)
{
    BIG = true;
    int rc = setup(st);
    V.fee_bps = 10;
    return rc;
}

static void advance(int64_t ns) { th_clock_advance_to(th_clock_ns() + ns); }

/* One loop turn: commit and send, then the venue answers. */
static bool RETIRE; /* turn() also ends the turn: finished orders beyond the keep window retire */

static void turn(void)
{
    fh_turn(&F, &V);
    if (RETIRE) fh_end_turn(&F);
}

typedef struct jcount { int32_t type; int n; } jcount;
static int jcount_cb(void *p, const th_jrec *r)
{
    jcount *c = p;
    if (r->type == c->type) c->n++;
    return 0;
}

/* Records of a type on disk now (what a crash at this instant would leave). */
static int on_disk(int32_t type)
{
    jcount c = {type, 0};
    th_journal_scan scan;
    const char *err;
    assert_int_equal(th_journal_read(JPATH, jcount_cb, &c, &scan, &err), 0);
    return c.n;
}

static void intent_is_on_disk_before_the_venue_sees_it(void **st)
{
    (void)st;
    int32_t idx = -1;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 1000, true, "mm", th_clock_ns(), &idx), TH_RISK_OK);
    assert_int_equal(F.trk.v[idx].state, TH_ORD_PENDING_CREATE);
    assert_int_equal(V.requests, 0);          /* nothing sent yet */
    assert_int_equal(on_disk(TH_J_INTENT), 0); /* and nothing committed: group commit at the turn's end */
    th_flow_flush(&F, th_clock_ns());
    assert_int_equal(on_disk(TH_J_INTENT), 1);
    assert_int_equal(V.requests, 1);
    assert_int_equal(J.commits, 1);
    th_test_venue_pump(&V);
    assert_int_equal(F.trk.v[idx].state, TH_ORD_OPEN);
    assert_int_equal(strncmp(F.trk.v[idx].ex_id, "TV-", 3), 0);
    /* fills: partial, duplicate by trade id (venue re-sends), then the rest */
    assert_int_equal(th_test_venue_fill(&V, F.trk.v[idx].cl_id, 400, 499000), 0);
    V.ev.on_fill(V.ev.ctx, &V.trades[0]); /* duplicate delivery */
    assert_int_equal(F.trk.v[idx].filled, 400);
    assert_int_equal(F.pf.v[0].qty, 400);
    assert_int_equal(th_test_venue_fill(&V, F.trk.v[idx].cl_id, 600, 498900), 0);
    assert_int_equal(F.trk.v[idx].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[idx].done_reason, TH_DONE_FILLED);
    assert_int_equal(F.pf.v[0].qty, 1000);
    assert_money_equal(F.pf.v[0].cost, 400 * 499000LL + 600 * 498900LL);
    assert_int_equal(F.trk.st.duplicate_fills, 1);
    /* the strategy sees: ack, fill, fill, done */
    int fills = 0, orders = 0;
    for (int32_t i = 0; i < F.nev; i++) {
        fills += F.ev[i].kind == TH_FLOW_EV_FILL;
        orders += F.ev[i].kind == TH_FLOW_EV_ORDER;
    }
    assert_int_equal(fills, 2);
    assert_int_equal(orders, 2);
    th_flow_flush(&F, th_clock_ns());
    assert_int_equal(on_disk(TH_J_FILL), 2);
    assert_int_equal(on_disk(TH_J_ACK), 1);
}

static void refusals_return_reasons_and_send_nothing(void **st)
{
    (void)st;
    int32_t idx;
    assert_int_equal(th_flow_place(&F, 5, TH_BID, 499000, 1000, false, "", th_clock_ns(), &idx), TH_RISK_UNKNOWN_SYMBOL);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 400000, 1000, false, "", th_clock_ns(), &idx), TH_RISK_PRICE_BAND);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 500200, 1000, true, "", th_clock_ns(), &idx), TH_RISK_POST_ONLY_CROSS);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 5, false, "", th_clock_ns(), &idx), TH_RISK_BELOW_EXCHANGE_MIN_QTY);
    HEALTH = TH_BOOK_GAPPED;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 1000, false, "", th_clock_ns(), &idx), TH_RISK_BOOK_NOT_OK);
    HEALTH = TH_BOOK_OK;
    turn();
    assert_int_equal(V.requests, 0);
    assert_int_equal(F.trk.n, 0);
    assert_int_equal(on_disk(TH_J_INTENT), 0);
    assert_int_equal(F.risk.refusals[TH_RISK_PRICE_BAND], 1);
    assert_int_equal(F.risk.refusals[TH_RISK_BOOK_NOT_OK], 1);
}

static void venue_bucket_limits_the_order_rate(void **st)
{
    (void)st;
    th_flow_free(&F);
    th_flow_cfg c = cfg();
    c.venue_cap = 3;
    c.venue_rate = 1;
    c.rate_model = TH_RATE_KRAKEN;
    c.pair_cap = 26;
    c.pair_rate = 1;
    flow_up(&F, &c, &J);
    int32_t idx[3];
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx[0]), TH_RISK_OK);
    /* a place needs its own +1 and room to cancel every live order of the pair, itself included
     * (+8 each while under 5 s old): 1 + 8 <= 26, then 1 + 16 <= 25 */
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 498000, 100, true, "", th_clock_ns(), &idx[1]), TH_RISK_OK);
    /* 1 + 24 > 24: refused, though the counter alone has room; the venue bucket still has one: ETH still goes */
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 497000, 100, true, "", th_clock_ns(), &idx[2]), TH_RISK_RATE_LIMITED);
    int32_t other;
    assert_int_equal(th_flow_place(&F, 1, TH_BID, 500000, 100, true, "", th_clock_ns(), &other), TH_RISK_OK);
    assert_int_equal(th_flow_place(&F, 1, TH_BID, 499000, 100, true, "", th_clock_ns(), &other), TH_RISK_RATE_LIMITED);
    advance(2 * S);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 497000, 100, true, "", th_clock_ns(), &idx[2]), TH_RISK_OK);
    assert_int_equal(F.risk.refusals[TH_RISK_RATE_LIMITED], 2);
    /* cancels are never refused by the limiter, but are charged (young orders cost 8): the room
     * kept for them is what they use */
    turn();
    for (int i = 0; i < 3; i++) assert_int_equal(th_flow_cancel(&F, idx[i], th_clock_ns()), 0);
    double left = th_bucket_level(&F.pair_bucket[0], th_clock_ns());
    assert_true(left >= 0 && left < 2); /* the venue's counter never passed its threshold */
}

static void rejects_rate_limit_backoff_and_breaker(void **st)
{
    (void)st;
    int32_t idx;
    V.reject_next = 1;
    V.reject_verr = TH_VERR_RATE_LIMITED;
    V.retry_after_ns = 3 * S;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_OK);
    turn();
    assert_int_equal(F.trk.v[idx].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[idx].done_reason, TH_DONE_REJECTED);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_VENUE_BACKOFF);
    advance(3 * S + 1);
    /* business rejects count towards the breaker: 3 in a row open it */
    V.reject_next = 2;
    V.reject_verr = TH_VERR_REJECTED;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000 - i * 100, 100, true, "", th_clock_ns(), &idx), TH_RISK_OK);
        turn();
    }
    /* 1 (rate limit) + 2 rejects: the breaker opened on the third consecutive error */
    assert_int_equal(F.risk.breaker_trips, 1);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_BREAKER_OPEN);
    advance(5 * S);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_OK);
    turn();
    assert_int_equal(F.trk.v[idx].state, TH_ORD_OPEN);
    assert_int_equal(F.risk.consecutive_errors, 0);
}

/* Binance -1015 (the account's count of new orders, TH_VERR_ORDER_LIMIT): new orders wait out its
 * retryAfter, cancels never do. A cancel lost during that wait (its status query finds the order
 * still open) is sent again at once, not a minute later as after a rate limit. */
static void order_limit_holds_places_not_cancels(void **st)
{
    (void)st;
    int32_t a, b;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &a), TH_RISK_OK);
    turn();
    assert_int_equal(F.trk.v[a].state, TH_ORD_OPEN);
    V.reject_next = 1;
    V.reject_verr = TH_VERR_ORDER_LIMIT;
    V.retry_after_ns = 60 * S;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 498000, 100, true, "", th_clock_ns(), &b), TH_RISK_OK);
    turn();
    assert_int_equal(F.trk.v[b].done_reason, TH_DONE_REJECTED);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 498000, 100, true, "", th_clock_ns(), &b), TH_RISK_VENUE_BACKOFF);
    V.drop_next = 1; /* the cancel is lost */
    assert_int_equal(th_flow_cancel(&F, a, th_clock_ns()), 0);
    turn();
    advance(3 * S);
    th_flow_tick(&F, th_clock_ns());
    turn(); /* the query: still open -> the cancel again, at once */
    turn();
    assert_int_equal(F.trk.v[a].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[a].done_reason, TH_DONE_CANCELLED);
    assert_int_equal(th_test_venue_open_count(&V), 0);
    advance(58 * S);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 498000, 100, true, "", th_clock_ns(), &b), TH_RISK_OK);
}

static void lost_requests_are_resolved_by_query(void **st)
{
    (void)st;
    int32_t a, b;
    V.drop_next = 1; /* the place never reaches the venue, and no answer comes */
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &a), TH_RISK_OK);
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 498000, 100, true, "", th_clock_ns(), &b), TH_RISK_OK);
    turn();
    assert_int_equal(F.trk.v[a].state, TH_ORD_PENDING_CREATE);
    assert_int_equal(F.trk.v[b].state, TH_ORD_OPEN);
    /* the cancel of b is lost too */
    V.drop_next = 1;
    th_flow_cancel(&F, b, th_clock_ns());
    turn();
    assert_int_equal(F.trk.v[b].state, TH_ORD_PENDING_CANCEL);
    advance(1 * S);
    th_flow_tick(&F, th_clock_ns());
    turn();
    assert_int_equal(V.requests, 3); /* place a, place b, cancel b; not due yet: no queries */
    advance(2 * S);
    th_flow_tick(&F, th_clock_ns());
    turn();  /* queries out and answered: a unknown -> failed; b still open -> cancel again */
    assert_int_equal(F.trk.v[a].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[a].done_reason, TH_DONE_FAILED);
    turn();
    assert_int_equal(F.trk.v[b].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[b].done_reason, TH_DONE_CANCELLED);
    assert_int_equal(th_test_venue_open_count(&V), 0);
    /* a cancel of an order the venue already finished: the query settles it */
    int32_t c;
    th_flow_place(&F, 0, TH_ASK, 501000, 100, true, "", th_clock_ns(), &c);
    turn();
    th_test_venue_find(&V, F.trk.v[c].cl_id)->o.open = 0; /* gone at the venue, silently */
    th_flow_cancel(&F, c, th_clock_ns());
    turn();
    turn();
    assert_int_equal(F.trk.v[c].state, TH_ORD_DONE);
}

static void cancel_before_ack_and_before_send(void **st)
{
    (void)st;
    int32_t a, b;
    th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &a);
    assert_int_equal(th_flow_cancel(&F, a, th_clock_ns()), 0); /* still in the outbox: never sent */
    assert_int_equal(F.trk.v[a].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[a].done_reason, TH_DONE_CANCELLED); /* as asked: nothing went wrong */
    th_flow_place(&F, 0, TH_BID, 498000, 100, true, "", th_clock_ns(), &b);
    th_flow_flush(&F, th_clock_ns());
    assert_int_equal(th_flow_cancel(&F, b, th_clock_ns()), 0); /* sent, not acked: flagged */
    assert_true(F.trk.v[b].flags & TH_ORD_CANCEL_WANTED);
    turn(); /* ack arrives -> the cancel goes out */
    turn();
    assert_int_equal(F.trk.v[b].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[b].done_reason, TH_DONE_CANCELLED);
    assert_int_equal(V.requests, 2);
    assert_int_equal(th_test_venue_open_count(&V), 0);
}

static void kill_switch_cancels_everything_and_stays(void **st)
{
    (void)st;
    int32_t a, b, c;
    th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &a);
    th_flow_place(&F, 1, TH_ASK, 502000, 100, true, "", th_clock_ns(), &b);
    turn();
    th_flow_place(&F, 0, TH_ASK, 501000, 100, true, "", th_clock_ns(), &c); /* in the outbox */
    th_flow_kill(&F, 0, "operator: REPL", th_clock_ns());
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 0);
    assert_int_equal(F.trk.nlive, 0);
    assert_int_equal(F.trk.v[c].done_reason, TH_DONE_CANCELLED); /* the kill switch cancelled it */
    assert_null(th_test_venue_find(&V, F.trk.v[c].cl_id)); /* never reached the venue */
    int32_t idx;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_HALTED);
    advance(3600 * S);
    th_flow_tick(&F, th_clock_ns());
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_HALTED);
    th_flow_rearm(&F, th_clock_ns());
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_OK);
    th_flow_flush(&F, th_clock_ns());
    assert_int_equal(on_disk(TH_J_KILL), 1);
    assert_int_equal(on_disk(TH_J_REARM), 1);
}

static void loss_cap_pulls_the_kill_switch(void **st)
{
    (void)st;
    th_flow_free(&F);
    th_flow_cfg c = cfg();
    c.risk.daily_loss_cap = 50; /* USD */
    flow_up(&F, &c, &J);
    int32_t a, b;
    th_flow_place(&F, 0, TH_BID, 499000, 1000, true, "", th_clock_ns(), &a); /* 0.1 BTC */
    th_flow_place(&F, 0, TH_BID, 490000, 1000, true, "", th_clock_ns(), &b);
    turn();
    th_test_venue_fill(&V, F.trk.v[a].cl_id, 1000, 499000);
    th_flow_mark(&F, 0, 495000, th_clock_ns()); /* -40 */
    th_flow_tick(&F, th_clock_ns());
    assert_false(F.risk.halted);
    th_flow_mark(&F, 0, 493000, th_clock_ns()); /* -60 */
    th_flow_tick(&F, th_clock_ns());
    assert_true(F.risk.halted);
    assert_int_equal(F.risk.halt_code, TH_RISK_DAILY_LOSS);
    turn();
    assert_int_equal(F.trk.v[b].state, TH_ORD_DONE); /* the other bid was cancelled */
    int32_t idx;
    assert_int_equal(th_flow_place(&F, 0, TH_ASK, 494000, 1000, false, "", th_clock_ns(), &idx), TH_RISK_DAILY_LOSS);
}

/* A fill whose fee takes the day's PnL past the cap halts at once: the per-fill check reads the
 * incremental total, which must subtract the fee (adding it read +60 here, not -60). */
static void a_fee_on_a_fill_counts_against_the_cap_at_once(void **st)
{
    (void)st;
    th_flow_free(&F);
    th_flow_cfg c = cfg();
    c.risk.daily_loss_cap = 50; /* USD */
    flow_up(&F, &c, &J);
    V.fee_bps = 12;             /* 0.12% of 50,000 = 60 */
    int32_t a;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 500000, 10000, true, "", th_clock_ns(), &a), TH_RISK_OK); /* 1 BTC */
    turn();
    th_test_venue_fill(&V, F.trk.v[a].cl_id, 10000, 500000);  /* marked at the fill price: PnL is -fee */
    assert_true(F.pf.total_pnl == -60.0);
    assert_true(th_portfolio_day_pnl(&F.pf) == -60.0);
    assert_true(F.risk.halted);
    assert_int_equal(F.risk.halt_code, TH_RISK_DAILY_LOSS);
}

/* A journal of a session record (format version) and one record. */
static void write_journal(const char *path, int32_t version, const th_jrec *pos)
{
    th_journal j;
    const char *err;
    unlink(path);
    assert_int_equal(th_journal_open(&j, path, false, &err), 0);
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_SESSION;
    r.ts_ns = th_clock_ns();
    r.code = version;
    assert_int_equal(th_journal_append(&j, &r), 0);
    assert_int_equal(th_journal_append(&j, pos), 0);
    assert_int_equal(th_journal_commit(&j, &err), 0);
    th_journal_close(&j);
}

/* ---- the trading day across restarts ---- */

#define DAY (86400 * S)

/* Stop the session now (its journal as it stands) and start another from it: a new journal, the
 * state recovered, reconciled with the venue. */
static void restart(const th_flow_cfg *cfg0, const char *from, const char *to)
{
    static int n;
    th_flow_cfg cc1 = *cfg0, *cc = &cc1;
    snprintf(cc1.prefix, sizeof cc1.prefix, "r%d", ++n); /* each session its own client ids */
    const char *err;
    th_journal_scan scan;
    th_flow_flush(&F, th_clock_ns());
    th_flow_free(&F);
    th_journal_close(&J);
    unlink(to);
    assert_int_equal(th_journal_open(&J, to, false, &err), 0);
    flow_up(&F, cc, &J);
    if (th_flow_recover(&F, from, &scan, &err) != 0) fail_msg("recovery: %s", err);
    th_flow_journal_begin(&F, th_clock_ns());
    th_flow_reconcile(&F, th_clock_ns());
    turn();
    turn();
    assert_false(th_flow_recovering(&F));
}

/* Round trip of 1 BTC: bought at 50,000.0, sold at price (instrument units). */
static void round_trip(int64_t sell_price)
{
    int32_t a, b;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 10000, true, "", th_clock_ns(), &a), TH_RISK_OK);
    turn();
    th_test_venue_fill(&V, F.trk.v[a].cl_id, 10000, 500000);
    assert_int_equal(th_flow_place(&F, 0, TH_ASK, 501000, 10000, true, "", th_clock_ns(), &b), TH_RISK_OK);
    turn();
    th_test_venue_fill(&V, F.trk.v[b].cl_id, 10000, sell_price);
    turn();
}

/* Buy 1 BTC at 50,000.0 and keep it. */
static void buy_one(void)
{
    int32_t a;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 10000, true, "", th_clock_ns(), &a), TH_RISK_OK);
    turn();
    th_test_venue_fill(&V, F.trk.v[a].cl_id, 10000, 500000);
    turn();
}

/* +5,000 made on an earlier day, then a restart and a 1,000 loss today: the day's PnL is -1,000
 * and the 500 cap halts (recovery from a journal that opens with the carried positions used to
 * start the day at 0, reading +4,000). The first restart makes such a journal. */
static void carried_profit_does_not_hide_todays_loss(void **st)
{
    (void)st;
    th_flow_cfg c = cfg();
    c.risk.daily_loss_cap = 500;
    th_flow_free(&F);
    flow_up(&F, &c, &J);
    round_trip(550000);                                  /* +5,000 */
    assert_true(F.pf.total_pnl == 5000.0);
    advance(60 * S);
    restart(&c, JPATH, JPATH2);                          /* JPATH2 opens with the position */
    advance(DAY);                                        /* the next UTC day */
    restart(&c, JPATH2, JPATH);
    th_flow_tick(&F, th_clock_ns());
    assert_true(F.pf.total_pnl == 5000.0);
    assert_true(th_portfolio_day_pnl(&F.pf) == 0.0);
    buy_one();
    th_flow_mark(&F, 0, 490000, th_clock_ns());          /* -1,000 today */
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == -1000.0);
    assert_true(F.risk.halted);
    assert_int_equal(F.risk.halt_code, TH_RISK_DAILY_LOSS);
}

/* Recovery from a journal that opens with carried positions (every journal after the first
 * restart): +5,000 carried, then -1,000 today is a day of -1,000 (halted at 500); -2,000 carried
 * does not halt the start. Before, the day's start was taken as 0 before the carried positions
 * were counted: +4,000 and no halt, or -2,000 and a halt at every start. */
static void carried_positions_start_the_day_clean(void **st)
{
    (void)st;
    for (int k = 0; k < 2; k++) {
        th_flow_cfg c = cfg();
        c.risk.daily_loss_cap = 500;
        snprintf(c.prefix, sizeof c.prefix, "c%d", k);
        th_jrec p;
        memset(&p, 0, sizeof p);
        p.type = TH_J_POSITION;
        p.ts_ns = th_clock_ns();
        snprintf(p.symbol, sizeof p.symbol, "XBT/USD");
        p.realised = k == 0 ? 5000 * 100000LL : -2000 * 100000LL;
        p.price = 500000;
        p.seq = 2;
        write_journal(JPATH2, 1, &p);
        advance(DAY);
        th_flow_free(&F);
        flow_up(&F, &c, &J);
        th_journal_scan scan;
        const char *err;
        assert_int_equal(th_flow_recover(&F, JPATH2, &scan, &err), 0);
        th_flow_tick(&F, th_clock_ns());
        assert_true(F.pf.total_pnl == (k == 0 ? 5000.0 : -2000.0));
        assert_true(th_portfolio_day_pnl(&F.pf) == 0.0);
        assert_false(F.risk.halted);
        if (k == 1) break;
        buy_one();
        th_flow_mark(&F, 0, 490000, th_clock_ns());
        th_flow_tick(&F, th_clock_ns());
        assert_true(th_portfolio_day_pnl(&F.pf) == -1000.0);
        assert_true(F.risk.halted);
    }
}

/* A loss larger than the cap on an earlier day does not halt a new day's start. */
static void carried_loss_does_not_halt_a_new_day(void **st)
{
    (void)st;
    th_flow_cfg c = cfg();
    c.risk.daily_loss_cap = 0;                           /* no cap that day */
    th_flow_free(&F);
    flow_up(&F, &c, &J);
    round_trip(480000);                                  /* -2,000 */
    assert_true(F.pf.total_pnl == -2000.0);
    advance(60 * S);
    restart(&c, JPATH, JPATH2);
    advance(DAY);
    c.risk.daily_loss_cap = 500;
    restart(&c, JPATH2, JPATH);
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == 0.0);
    assert_false(F.risk.halted);
    int32_t a;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 1000, true, "", th_clock_ns(), &a), TH_RISK_OK);
}

/* A restart later the same day continues the day: an earlier day's +5,000, then -300 today, a
 * restart, and -300 more is a day of -600, which the 500 cap halts; across a second restart
 * (from the first restart's journal, which carries the day's figures) the same holds. */
static void same_day_restart_continues_the_day(void **st)
{
    (void)st;
    th_flow_cfg c = cfg();
    c.risk.daily_loss_cap = 500;
    th_flow_free(&F);
    flow_up(&F, &c, &J);
    round_trip(550000);                                  /* +5,000 on day 0 */
    advance(DAY);
    round_trip(497000);                                  /* -300 on day 1 */
    assert_true(th_portfolio_day_pnl(&F.pf) == -300.0);
    advance(3600 * S);
    restart(&c, JPATH, JPATH2);
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == -300.0);
    assert_money_equal(F.pf.v[0].day_realised, -300 * 100000);
    advance(3600 * S);
    restart(&c, JPATH2, JPATH);
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == -300.0);
    assert_true(F.pf.total_pnl == 4700.0);
    assert_false(F.risk.halted);
    round_trip(497000);                                  /* -300 more */
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == -600.0);
    assert_true(F.risk.halted);
}

/* A day that starts with an open position starts at that moment's mark, and a restart later that
 * day keeps that start (the flow journals the position when the day starts): 1 BTC from 50,000
 * marked 52,000 at midnight, then 51,000 after a restart is a day of -1,000, halted at 500. */
static void day_start_with_an_open_position_survives_a_restart(void **st)
{
    (void)st;
    th_flow_cfg c = cfg();
    c.risk.daily_loss_cap = 500;
    th_flow_free(&F);
    flow_up(&F, &c, &J);
    buy_one();
    th_flow_mark(&F, 0, 520000, th_clock_ns());          /* +2,000 on day 0 */
    th_flow_tick(&F, th_clock_ns());
    advance(DAY);
    th_flow_tick(&F, th_clock_ns());                     /* day 1 starts at +2,000 unrealised */
    assert_true(th_portfolio_day_pnl(&F.pf) == 0.0);
    advance(60 * S);
    restart(&c, JPATH, JPATH2);
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == 0.0);
    assert_money_equal(F.pf.v[0].day_start_unrealised, 2000 * 100000);
    th_flow_mark(&F, 0, 510000, th_clock_ns());
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == -1000.0);
    assert_true(F.risk.halted);
}

/* risk.day_start_utc: with the day starting at 22:00 UTC, 21:59 and 22:00 are different days. */
static void the_day_starts_at_the_configured_time(void **st)
{
    (void)st;
    th_flow_cfg c = cfg();
    c.day_offset_ns = 22 * 3600 * S;
    th_flow_free(&F);
    flow_up(&F, &c, &J);
    th_clock_advance_to(2 * DAY + 21 * 3600 * S + 59 * 60 * S);
    round_trip(497000);                                  /* -300 at 21:59 */
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == -300.0);
    th_clock_advance_to(2 * DAY + 22 * 3600 * S);
    th_flow_tick(&F, th_clock_ns());
    assert_true(th_portfolio_day_pnl(&F.pf) == 0.0);
    assert_int_equal(th_portfolio_day_of(&F.pf, th_clock_ns()), 2);
    assert_int_equal(th_portfolio_day_of(&F.pf, th_clock_ns() - 1), 1);
}

static void failing_journal_halts_and_sends_nothing(void **st)
{
    (void)st;
    int32_t a, b;
    th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &a);
    turn();
    th_flow_place(&F, 0, TH_BID, 498000, 100, true, "", th_clock_ns(), &b);
    close(J.fd); /* the disk goes away */
    J.fd = open("/dev/full", 1);
    assert_int_equal(th_flow_flush(&F, th_clock_ns()), -1);
    assert_true(F.risk.halted);
    assert_non_null(strstr(F.last_error, "No space left on device")); /* the real reason, not a guess */
    assert_null(th_test_venue_find(&V, F.trk.v[b].cl_id)); /* its intent is not on disk: never sent */
    assert_int_equal(F.trk.v[b].done_reason, TH_DONE_FAILED);
    th_test_venue_pump(&V);                                  /* but the cancel of a went out */
    assert_int_equal(F.trk.v[a].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[a].done_reason, TH_DONE_CANCELLED);
}

/* fsync = "always": each append commits at once, so a full disk fails the append; the flow says
 * why (it used to say "out of memory" for every append failure). */
static void failing_append_reports_the_real_reason(void **st)
{
    (void)st;
    int32_t a;
    close(J.fd);
    J.fd = open("/dev/full", 1);
    J.commit_each = true;
    th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &a);
    J.commit_each = false;
    assert_true(F.failed);
    assert_non_null(strstr(F.last_error, "journal append failed"));
    assert_non_null(strstr(F.last_error, "No space left on device"));
    assert_null(strstr(F.last_error, "out of memory"));
}

static void quotes_converge_with_few_actions(void **st)
{
    (void)st;
    th_quote q[4] = {{TH_BID, 0, 499500, 100, "b1"}, {TH_BID, 0, 499000, 100, "b2"}, {TH_ASK, 0, 500500, 100, "a1"},
                     {TH_ASK, 0, 501000, 100, "a2"}};
    th_quotes_outcome r;
    assert_int_equal(th_flow_quotes(&F, 0, q, 4, th_clock_ns(), &r), 0);
    assert_int_equal(r.placed, 4);
    assert_int_equal(th_flow_quotes(&F, 0, q, 4, th_clock_ns(), &r), 0); /* still pending: nothing new */
    assert_int_equal(r.kept, 4);
    assert_int_equal(r.placed, 0);
    turn();
    q[0].price = 499501; /* within tolerance (2 bps) */
    q[3].price = 502000; /* moved: amended in place (the test venue amends) */
    assert_int_equal(th_flow_quotes(&F, 0, q, 4, th_clock_ns(), &r), 0);
    assert_int_equal(r.kept, 3);
    assert_int_equal(r.replaced, 1);
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 4);
    int found = 0;
    for (int32_t i = 0; i < V.norders; i++) found += V.orders[i].o.open && V.orders[i].o.price == 502000;
    assert_int_equal(found, 1);
    /* a target that fails a gate is refused with its reason, the rest still applied */
    q[1].price = 400000;
    assert_int_equal(th_flow_quotes(&F, 0, q, 4, th_clock_ns(), &r), 0);
    assert_int_equal(r.first_refusal, TH_RISK_PRICE_BAND);
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 3); /* the stale b2 was not left up */
    /* empty targets pull every quote */
    assert_int_equal(th_flow_quotes(&F, 0, q, 0, th_clock_ns(), &r), 0);
    assert_int_equal(r.cancelled, 3);
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 0);
}

/* th_flow_quotes manages only the orders it placed: an order a strategy placed by hand on the same
 * pair is neither matched, re-pointed nor cancelled by it, also after two restarts (the owner rides
 * in the intent and in the snapshot). A version 4 journal names no owner: its orders are the quotes'
 * (the older hosts' rule), so none is left unmanaged. */
static void quotes_own_only_their_orders_across_restarts(void **st)
{
    (void)st;
    th_flow_cfg cc = cfg();
    int32_t h;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "hand", th_clock_ns(), &h), TH_RISK_OK);
    char hand[40];
    snprintf(hand, sizeof hand, "%s", F.trk.v[h].cl_id);
    th_quote q[2] = {{TH_BID, 0, 499500, 100, "qb"}, {TH_ASK, 0, 500500, 100, "qa"}};
    th_quotes_outcome r;
    assert_int_equal(th_flow_quotes(&F, 0, q, 2, th_clock_ns(), &r), 0);
    assert_int_equal(r.placed, 2);
    assert_int_equal(r.cancelled, 0);
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 3);
    /* the bid target moves next to the hand order's price: the executor does not take the hand
     * order as its bid (before, it kept it and cancelled its own); re-pointing its own bid there is
     * refused by the layering gate, which does see the hand order, and the stale bid is pulled */
    q[0].price = 499001;
    assert_int_equal(th_flow_quotes(&F, 0, q, 2, th_clock_ns(), &r), 0);
    assert_int_equal(r.kept, 1);
    assert_int_equal(r.first_refusal, TH_RISK_LAYERING);
    assert_int_equal(r.cancelled, 1);
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 2);
    q[0].price = 499500;
    assert_int_equal(th_flow_quotes(&F, 0, q, 2, th_clock_ns(), &r), 0);
    assert_int_equal(r.kept, 1);
    assert_int_equal(r.placed, 1);
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 3);
    h = th_tracker_find_cl(&F.trk, hand);
    assert_int_equal(F.trk.v[h].state, TH_ORD_OPEN);
    assert_int_equal(F.trk.v[h].price, 499000);
    assert_false(F.trk.v[h].flags & TH_ORD_QUOTE);
    for (int round = 0; round < 2; round++) {
        restart(&cc, round ? JPATH2 : JPATH, round ? JPATH : JPATH2);
        h = th_tracker_find_cl(&F.trk, hand);
        assert_true(h >= 0);
        assert_int_equal(F.trk.v[h].state, TH_ORD_OPEN);
        assert_false(F.trk.v[h].flags & TH_ORD_QUOTE);
        assert_int_equal(th_test_venue_open_count(&V), 3);
    }
    /* empty targets pull the quotes' two orders and nothing else */
    assert_int_equal(th_flow_quotes(&F, 0, q, 0, th_clock_ns(), &r), 0);
    assert_int_equal(r.cancelled, 2);
    turn();
    assert_int_equal(th_test_venue_open_count(&V), 1);
    assert_int_equal(F.trk.v[th_tracker_find_cl(&F.trk, hand)].state, TH_ORD_OPEN);

    /* version 4: an intent with no owner bit is read as the quotes' */
    th_jrec in;
    memset(&in, 0, sizeof in);
    in.type = TH_J_INTENT;
    in.ts_ns = th_clock_ns();
    in.side = TH_BID;
    in.price = 498000;
    in.qty = 100;
    snprintf(in.cl_id, sizeof in.cl_id, "old-1");
    snprintf(in.symbol, sizeof in.symbol, "XBT/USD");
    th_flow g;
    th_journal_scan scan;
    const char *err;
    for (int v = 4; v <= TH_JOURNAL_VERSION; v++) {
        write_journal(JPATH2, v, &in);
        assert_int_equal(th_flow_init(&g, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
        assert_int_equal(th_flow_recover(&g, JPATH2, &scan, &err), 0);
        int32_t k = th_tracker_find_cl(&g.trk, "old-1");
        assert_true(k >= 0);
        assert_int_equal((g.trk.v[k].flags & TH_ORD_QUOTE) != 0, v < 5);
        th_flow_free(&g);
    }
}

/* ---- recovery ---- */

typedef struct snapshot {
    int n;
    struct { char cl[40]; int32_t state, reason; int64_t filled, qty, price; } o[512];
    int64_t qty[3];
    th_money cost[3], realised[3], fees[3];
} snapshot;

static void snap(const th_flow *f, snapshot *s)
{
    memset(s, 0, sizeof *s);
    for (int32_t i = 0; i < f->trk.n && s->n < 512; i++) {
        const th_order *o = &f->trk.v[i];
        snprintf(s->o[s->n].cl, sizeof s->o[0].cl, "%s", o->cl_id);
        s->o[s->n].state = o->state;
        s->o[s->n].reason = o->done_reason;
        s->o[s->n].filled = o->filled;
        s->o[s->n].qty = o->qty;
        s->o[s->n].price = o->price;
        s->n++;
    }
    for (int i = 0; i < f->pf.n && i < 3; i++) {
        s->qty[i] = f->pf.v[i].qty;
        s->cost[i] = f->pf.v[i].cost;
        s->realised[i] = f->pf.v[i].realised;
        s->fees[i] = f->pf.v[i].fees;
    }
}

static void assert_same_state(const th_flow *live, const th_flow *rebuilt)
{
    snapshot *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    snap(live, a);
    snap(rebuilt, b);
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        int32_t k = th_tracker_find_cl(&rebuilt->trk, a->o[i].cl);
        assert_true(k >= 0);
        const th_order *o = &rebuilt->trk.v[k];
        if (o->state != a->o[i].state || o->filled != a->o[i].filled || o->done_reason != a->o[i].reason ||
            o->qty != a->o[i].qty || o->price != a->o[i].price)
            fail_msg("order %s differs after rebuild: state %d/%d filled %lld/%lld", a->o[i].cl, a->o[i].state, o->state,
                     (long long)a->o[i].filled, (long long)o->filled);
    }
    assert_memory_equal(a->qty, b->qty, sizeof a->qty);
    assert_memory_equal(a->cost, b->cost, sizeof a->cost);
    assert_memory_equal(a->realised, b->realised, sizeof a->realised);
    assert_memory_equal(a->fees, b->fees, sizeof a->fees);
    free(a);
    free(b);
}

static void recovery_rebuilds_then_reconciles(void **st)
{
    (void)st;
    V.fee_bps = 10;
    int32_t a, b, c, d;
    th_flow_place(&F, 0, TH_BID, 499000, 1000, true, "a", th_clock_ns(), &a);
    th_flow_place(&F, 0, TH_ASK, 501000, 1000, true, "b", th_clock_ns(), &b);
    th_flow_place(&F, 1, TH_BID, 500000, 500, true, "c", th_clock_ns(), &c);
    turn();
    th_test_venue_fill(&V, F.trk.v[a].cl_id, 300, 499000);
    th_flow_place(&F, 1, TH_ASK, 502000, 500, true, "d", th_clock_ns(), &d);
    th_flow_flush(&F, th_clock_ns()); /* d is sent... */
    char cl_a[40], cl_b[40], cl_c[40], cl_d[40];
    snprintf(cl_a, sizeof cl_a, "%s", F.trk.v[a].cl_id);
    snprintf(cl_b, sizeof cl_b, "%s", F.trk.v[b].cl_id);
    snprintf(cl_c, sizeof cl_c, "%s", F.trk.v[c].cl_id);
    snprintf(cl_d, sizeof cl_d, "%s", F.trk.v[d].cl_id);
    /* ...and the host dies before the ack. Reference: a rebuild from the journal equals the state. */
    th_flow ref;
    th_flow_cfg cc = cfg();
    const char *err;
    assert_int_equal(th_flow_init(&ref, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    th_journal_scan scan;
    assert_int_equal(th_flow_recover(&ref, JPATH, &scan, &err), 0);
    assert_same_state(&F, &ref);
    th_flow_free(&ref);
    th_flow_free(&F);
    th_journal_close(&J);

    /* Meanwhile at the venue: d is accepted, a fills fully, b is cancelled by the venue,
     * c fills 200, and an order we never sent appears. */
    th_flow down; /* the host is down: answers go nowhere that matters */
    assert_int_equal(th_flow_init(&down, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    V.ev = th_flow_venue_events(&down);
    th_test_venue_pump(&V);
    th_test_venue_fill(&V, cl_a, 700, 498500);
    th_test_venue_cancel(&V, cl_b);
    th_test_venue_fill(&V, cl_c, 200, 500000);
    th_test_venue_inject(&V, &INS.v[1], "FOREIGN-1", TH_BID, 490000, 100);
    th_flow_free(&down);

    /* Restart: new session prefix, new journal, state from the old one, then reconcile. */
    cc = cfg();
    snprintf(cc.prefix, sizeof cc.prefix, "t2");
    assert_int_equal(th_journal_open(&J, JPATH2, false, &err), 0);
    flow_up(&F, &cc, &J);
    assert_int_equal(th_flow_recover(&F, JPATH, &scan, &err), 0);
    assert_int_equal(F.trk.nlive, 4);
    assert_int_equal(F.pf.v[0].qty, 300);
    th_flow_journal_begin(&F, th_clock_ns());
    th_flow_reconcile(&F, th_clock_ns());
    int32_t idx;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 499000, 100, true, "", th_clock_ns(), &idx), TH_RISK_RECOVERING);
    turn(); /* trades answer -> open orders asked */
    turn(); /* open orders answer -> resolved */
    assert_false(th_flow_recovering(&F));
    int32_t ka = th_tracker_find_cl(&F.trk, cl_a), kb = th_tracker_find_cl(&F.trk, cl_b), kc = th_tracker_find_cl(&F.trk, cl_c),
            kd = th_tracker_find_cl(&F.trk, cl_d);
    assert_int_equal(F.trk.v[ka].done_reason, TH_DONE_FILLED);
    assert_int_equal(F.trk.v[kb].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[kb].done_reason, TH_DONE_CANCELLED);
    assert_int_equal(F.trk.v[kc].state, TH_ORD_OPEN);
    assert_int_equal(F.trk.v[kc].filled, 200);
    assert_int_equal(F.trk.v[kd].state, TH_ORD_OPEN);
    assert_string_equal(F.trk.v[kd].ex_id, th_test_venue_find(&V, cl_d)->o.ex_id);
    assert_int_equal(F.pf.v[0].qty, 1000);
    assert_int_equal(F.pf.v[1].qty, 200);
    assert_int_equal(F.st.adopted, 1);
    int32_t kf = th_tracker_find_ex(&F.trk, "FOREIGN-1");
    assert_true(kf >= 0 && (F.trk.v[kf].flags & TH_ORD_ADOPTED));
    /* fees: 10 bps on every fill, none lost or doubled across the crash */
    th_money fees = 0;
    for (int32_t i = 0; i < V.ntrades; i++) fees += V.trades[i].fee;
    assert_money_equal(F.pf.v[0].fees + F.pf.v[1].fees, fees);
    /* and the new journal alone rebuilds this state */
    th_flow_flush(&F, th_clock_ns());
    assert_int_equal(th_flow_init(&ref, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    assert_int_equal(th_flow_recover(&ref, JPATH2, &scan, &err), 0);
    assert_int_equal(ref.trk.nlive, F.trk.nlive);
    assert_memory_equal(&ref.pf.v[0].qty, &F.pf.v[0].qty, sizeof(int64_t));
    assert_money_equal(ref.pf.v[0].cost, F.pf.v[0].cost);
    assert_money_equal(ref.pf.v[1].realised, F.pf.v[1].realised);
    th_flow_free(&ref);
    (void)idx;
}

/* Journal format versions: a version 1 journal (every field 8 bytes, no trading day, no decimals)
 * recovers exactly; money beyond int64 written by version 2 recovers exactly; a journal newer than
 * this host is refused with a message that names both versions. */
static void journal_versions_old_read_newer_refused(void **st)
{
    (void)st;
    th_flow_cfg cc = cfg();
    th_flow g;
    th_journal_scan scan;
    const char *err;
    th_jrec p;
    memset(&p, 0, sizeof p);
    p.type = TH_J_POSITION;
    p.ts_ns = th_clock_ns();
    snprintf(p.symbol, sizeof p.symbol, "XBT/USD");
    p.qty = 3000;                 /* 0.3 BTC at 50,000.0 */
    p.cost = 3000 * 500000LL;
    p.realised = -12345;
    p.fee = 678;
    p.price = 500000;
    p.seq = 4;
    write_journal(JPATH2, 1, &p);
    assert_int_equal(th_flow_init(&g, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    assert_int_equal(th_flow_recover(&g, JPATH2, &scan, &err), 0);
    assert_int_equal(g.pf.v[0].qty, 3000);
    assert_money_equal(g.pf.v[0].cost, 3000 * 500000LL);
    assert_money_equal(g.pf.v[0].realised, -12345);
    assert_money_equal(g.pf.v[0].fees, 678);
    assert_int_equal(g.pf.v[0].fills, 4);
    /* no day in a version 1 journal: the day starts at recovery, with nothing carried into it */
    assert_true(th_portfolio_day_pnl(&g.pf) == 0);
    th_flow_free(&g);

    /* version 2: a position whose cost is beyond int64 (10^22 units) */
    p.cost = th_money_mul(100000000, 100000000000000LL);
    p.realised = -th_money_pow10(21);
    write_journal(JPATH2, TH_JOURNAL_VERSION, &p);
    assert_int_equal(th_flow_init(&g, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    assert_int_equal(th_flow_recover(&g, JPATH2, &scan, &err), 0);
    assert_money_equal(g.pf.v[0].cost, th_money_pow10(22));
    assert_money_equal(g.pf.v[0].realised, -th_money_pow10(21));
    th_flow_free(&g);

    write_journal(JPATH2, TH_JOURNAL_VERSION + 1, &p);
    assert_int_equal(th_flow_init(&g, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    assert_int_equal(th_flow_recover(&g, JPATH2, &scan, &err), -1);
    char want[64];
    snprintf(want, sizeof want, "journal format version %d is newer", TH_JOURNAL_VERSION + 1);
    if (!strstr(err, want)) fail_msg("refusal does not name the version: %s", err);
    assert_int_equal(g.pf.v[0].qty, 0); /* nothing after the session record was applied */
    th_flow_free(&g);
}

static void unknown_orders_cancelled_by_configuration(void **st)
{
    (void)st;
    th_test_venue_inject(&V, &INS.v[0], "FOREIGN-2", TH_ASK, 510000, 100);
    th_flow_free(&F);
    th_flow_cfg c = cfg();
    c.adopt_unknown = false;
    flow_up(&F, &c, &J);
    th_flow_reconcile(&F, th_clock_ns());
    turn();
    turn();
    turn();
    assert_int_equal(F.st.adopted_cancelled, 1);
    assert_int_equal(th_test_venue_open_count(&V), 0);
    assert_int_equal(F.trk.n, 0);
}

/* ---- randomised ---- */

static uint64_t RNG = 88172645463325252ull;
static uint64_t rnd(void)
{
    RNG ^= RNG << 13;
    RNG ^= RNG >> 7;
    RNG ^= RNG << 17;
    return RNG;
}

static int32_t NPLACED;

static void random_step(void)
{
    int64_t now = th_clock_ns();
    int32_t ins = (int32_t)(rnd() % (BIG ? 3 : 2)), idx;
    switch (rnd() % 12) {
    case 0: case 1: case 2: {
        int32_t side = (int32_t)(rnd() % 2);
        int64_t px = side == TH_BID ? 495000 - (int64_t)(rnd() % 400) * 10 : 505000 + (int64_t)(rnd() % 400) * 10;
        int64_t qty = 10 + (int64_t)(rnd() % 500);
        px += ins * 1000;
        if (BIG) { /* up to 1.5% from the level, a size from 10 units to the maximum, log-uniform */
            int64_t off = BIG_LEVEL[ins] * (int64_t)(1 + rnd() % 150) / 10000;
            if (off < 1) off = 1;
            px = side == TH_BID ? BIG_LEVEL[ins] - off : BIG_LEVEL[ins] + off;
            qty = 10 + (int64_t)(rnd() % 90);
            for (int64_t k = (int64_t)(rnd() % 12); k > 0 && qty <= BIG_MAXQ[ins] / 10; k--) qty *= 10;
        }
        if (th_flow_place(&F, ins, side, px, qty, true, "r", now, &idx) == TH_RISK_OK) NPLACED++;
        break;
    }
    case 3:
        if (F.trk.n) th_flow_cancel(&F, (int32_t)(rnd() % (uint64_t)F.trk.n), now);
        break;
    case 4: case 5:
        if (V.norders) {
            tv_order *o = &V.orders[rnd() % (uint64_t)V.norders];
            int64_t rest = o->o.qty - o->o.filled;
            int64_t q = BIG && rest > 0 ? 1 + (int64_t)(rnd() % (uint64_t)rest) : 1 + (int64_t)(rnd() % 300);
            th_test_venue_fill(&V, o->o.cl_id, q, o->o.price);
        }
        break;
    case 6:
        if (V.ntrades && V.ev.on_fill) V.ev.on_fill(V.ev.ctx, &V.trades[rnd() % (uint64_t)V.ntrades]); /* duplicate */
        break;
    case 7:
        if (V.norders) th_test_venue_cancel(&V, V.orders[rnd() % (uint64_t)V.norders].o.cl_id);
        break;
    case 8: V.drop_next = 1; break;
    case 9: V.reject_next = 1; V.reject_verr = TH_VERR_REJECTED; break;
    case 10: advance((int64_t)(rnd() % 3) * S); th_flow_tick(&F, th_clock_ns()); break;
    default: turn(); break;
    }
}

static void check_invariants(int step)
{
    int64_t pos[3] = {0, 0, 0};
    int32_t live = 0, done = 0, retired = 0;
    for (int32_t i = 0; i < F.trk.n; i++) {
        const th_order *o = &F.trk.v[i];
        if (o->state == TH_ORD_RETIRED) { retired++; continue; }
        if (o->filled > o->qty) fail_msg("step %d: %s filled > qty", step, o->cl_id);
        if (o->state != TH_ORD_DONE) live++;
        else done++;
        if (th_tracker_find_cl(&F.trk, o->cl_id) != i) fail_msg("step %d: %s not found by its client id", step, o->cl_id);
        if (o->ex_id[0] && th_tracker_find_ex(&F.trk, o->ex_id) != i) fail_msg("step %d: %s not found by its exchange id", step, o->cl_id);
        pos[o->instrument] += o->side == TH_BID ? o->filled : -o->filled;
    }
    if (live != F.trk.nlive) fail_msg("step %d: live count %d != %d", step, live, F.trk.nlive);
    if (done != F.trk.ndone || retired != F.trk.nfree) fail_msg("step %d: %d done / %d retired, tracker says %d / %d", step, done, retired, F.trk.ndone, F.trk.nfree);
    /* no order is both open and done: the live sets hold exactly the live orders (and agree with
     * them), the done list the done */
    char why[160];
    if (check_live_sets(&F.trk, why, sizeof why)) fail_msg("step %d: %s", step, why);
    int32_t walked = 0;
    for (int32_t i = F.trk.done_head; i >= 0; i = F.trk.v[i].q_next, walked++)
        if (F.trk.v[i].state != TH_ORD_DONE) fail_msg("step %d: unfinished order on the done list", step);
    if (walked != done) fail_msg("step %d: done list holds %d, %d done", step, walked, done);
    if (!RETIRE)
        for (int i = 0; i < INS.n; i++)
            if (pos[i] != F.pf.v[i].qty) fail_msg("step %d: position %lld != fills %lld", step, (long long)F.pf.v[i].qty, (long long)pos[i]);
    /* every venue trade is counted exactly once: position, cash flow and fees against sums of the
     * venue's own trades, in 128 bits and in long double (which cannot wrap) */
    int64_t vpos[3] = {0, 0, 0};
    th_money vcash[3] = {0, 0, 0}, vfees[3] = {0, 0, 0};
    long double lcash[3] = {0, 0, 0}, gross[3] = {0, 0, 0};
    for (int32_t i = 0; i < V.ntrades; i++) {
        const th_venue_fill *x = &V.trades[i];
        int k = th_instruments_find(&INS, x->symbol, strlen(x->symbol));
        vpos[k] += x->side == TH_BID ? x->qty : -x->qty;
        vcash[k] += (x->side == TH_BID ? -1 : 1) * ((th_money)x->qty * x->price);
        lcash[k] += (x->side == TH_BID ? -1.0L : 1.0L) * (long double)x->qty * (long double)x->price;
        gross[k] += (long double)x->qty * (long double)x->price;
        vfees[k] += x->fee;
    }
    /* (the portfolio's position: with retirement the tracker no longer holds every order's fills) */
    long double want_pnl = 0, pnl_scale = 0;
    for (int k = 0; k < INS.n; k++) {
        const th_position *p = &F.pf.v[k];
        if (vpos[k] != p->qty) fail_msg("step %d: venue trades differ from our position", step);
        if (p->realised - p->cost != vcash[k]) fail_msg("step %d: instrument %d: realised - cost differs from the venue's cash flow", step, k);
        if (fabsl((long double)(p->realised - p->cost) - lcash[k]) > 1e-15L * gross[k] + 1)
            fail_msg("step %d: instrument %d: cash flow differs from the long double sum", step, k);
        if (p->fees != vfees[k]) fail_msg("step %d: instrument %d: fees differ from the venue's", step, k);
        long double mtm = p->mark ? (long double)p->qty * (long double)p->mark : (long double)p->cost;
        long double unit = (long double)p->rate / powl(10.0L, (long double)p->scale);
        want_pnl += (lcash[k] + mtm - (long double)vfees[k]) * unit;
        pnl_scale += (gross[k] + fabsl(mtm)) * unit;
    }
    /* the incremental report-currency total against the reference (doubles: relative 1e-9) */
    if (fabsl((long double)F.pf.total_pnl - want_pnl) > 1e-9L * pnl_scale + 1e-6L)
        fail_msg("step %d: total_pnl %.6f, reference %.6Lf", step, F.pf.total_pnl, want_pnl);
    /* every intent is accounted for: one tracked order per accepted place */
    int32_t tracked = F.trk.n - F.trk.nfree + (int32_t)F.trk.st.retired - (int32_t)F.trk.st.adopted;
    if (tracked != NPLACED) fail_msg("step %d: %d orders tracked for %d intents", step, tracked, NPLACED);
}

/* The same random run with retirement on a tiny window (keep 8 finished orders, no time): slots,
 * ids and hash entries are reused thousands of times, every lookup stays right, and fills the venue
 * replays for retired orders are recognised by their trade keys, so the position still equals the
 * venue's trades exactly. */
static void randomised_run_with_retirement(void **st)
{
    (void)st;
    NPLACED = 0;
    RETIRE = true;
    F.risk.lim.breaker_errors = 0;
    F.cfg.keep_done_max = 8;
    F.cfg.keep_done_ns = 0;
    for (int step = 0; step < 20000; step++) {
        random_step();
        check_invariants(step);
    }
    RETIRE = false;
    assert_true(F.trk.st.retired > 1000);
    assert_true(F.trk.n < 200);            /* the array stayed small */
    assert_true(F.trk.st.duplicate_fills > 100);
    assert_int_equal(F.trk.st.adopted, 0); /* no replayed fill was mistaken for a new order */
}

static void randomised_run_keeps_invariants_and_rebuilds(void **st)
{
    (void)st;
    NPLACED = 0;
    F.risk.lim.breaker_errors = 0;
    double biggest = 0;
    for (int step = 0; step < 20000; step++) {
        random_step();
        check_invariants(step);
        for (int k = 0; k < INS.n; k++) {
            double c = fabs(th_position_report(&F.pf.v[k], F.pf.v[k].cost));
            if (c > biggest) biggest = c;
        }
    }
    if (BIG && biggest < 1e6) fail_msg("the run stayed small: largest open cost %.0f", biggest); /* int64 money: 922 */
    turn();
    th_flow ref;
    th_flow_cfg cc = cfg();
    const char *err;
    th_journal_scan scan;
    assert_int_equal(th_flow_init(&ref, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
    assert_int_equal(th_flow_recover(&ref, JPATH, &scan, &err), 0);
    assert_same_state(&F, &ref);
    assert_true(F.st.fills > 500);
    assert_true(F.trk.st.duplicate_fills > 100);
    th_flow_free(&ref);
}

/* A child process runs random activity and aborts when the journal reaches a random byte; the
 * parent rebuilds from what is on disk: the state is consistent and every journalled intent is
 * there exactly once. */
static void aborted_processes_rebuild_consistently(void **st)
{
    (void)st;
    for (int round = 0; round < 8; round++) {
        unlink(JPATH2);
        pid_t pid = fork();
        if (pid == 0) {
            char at[32];
            snprintf(at, sizeof at, "%d", 2000 + round * 7919);
            setenv("TH_JOURNAL_CRASH_AT", at, 1);
            th_journal j2;
            const char *err;
            th_flow_free(&F);
            if (th_journal_open(&j2, JPATH2, false, &err) != 0) _exit(3);
            th_flow_cfg c = cfg();
            flow_up(&F, &c, &j2);
            RNG = 1234567u + (uint64_t)round;
            for (int step = 0; step < 200000; step++) random_step();
            _exit(4); /* the hook should have fired long before */
        }
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        th_flow ref;
        th_flow_cfg cc = cfg();
        const char *err;
        th_journal_scan scan;
        assert_int_equal(th_flow_init(&ref, &cc, &INS, (th_venue){0}, NULL, th_clock_ns(), &err), 0);
        assert_int_equal(th_flow_recover(&ref, JPATH2, &scan, &err), 0);
        jcount intents = {TH_J_INTENT, 0};
        th_journal_read(JPATH2, jcount_cb, &intents, &scan, &err);
        assert_true(intents.n > 0);
        assert_int_equal(ref.trk.n - (int32_t)ref.trk.st.adopted, intents.n);
        int64_t pos[2] = {0, 0};
        for (int32_t i = 0; i < ref.trk.n; i++) {
            const th_order *o = &ref.trk.v[i];
            assert_true(o->filled <= o->qty);
            pos[o->instrument] += o->side == TH_BID ? o->filled : -o->filled;
        }
        assert_int_equal(pos[0], ref.pf.v[0].qty);
        assert_int_equal(pos[1], ref.pf.v[1].qty);
        th_flow_free(&ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(intent_is_on_disk_before_the_venue_sees_it, setup, teardown),
        cmocka_unit_test_setup_teardown(journal_versions_old_read_newer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_fee_on_a_fill_counts_against_the_cap_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(carried_profit_does_not_hide_todays_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(carried_loss_does_not_halt_a_new_day, setup, teardown),
        cmocka_unit_test_setup_teardown(carried_positions_start_the_day_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(same_day_restart_continues_the_day, setup, teardown),
        cmocka_unit_test_setup_teardown(day_start_with_an_open_position_survives_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(the_day_starts_at_the_configured_time, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_return_reasons_and_send_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(venue_bucket_limits_the_order_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(rejects_rate_limit_backoff_and_breaker, setup, teardown),
        cmocka_unit_test_setup_teardown(order_limit_holds_places_not_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_requests_are_resolved_by_query, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_before_ack_and_before_send, setup, teardown),
        cmocka_unit_test_setup_teardown(kill_switch_cancels_everything_and_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(loss_cap_pulls_the_kill_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_append_reports_the_real_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_journal_halts_and_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(quotes_converge_with_few_actions, setup, teardown),
        cmocka_unit_test_setup_teardown(quotes_own_only_their_orders_across_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(recovery_rebuilds_then_reconciles, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_orders_cancelled_by_configuration, setup, teardown),
        cmocka_unit_test_setup_teardown(randomised_run_keeps_invariants_and_rebuilds, setup, teardown),
        cmocka_unit_test_setup_teardown(randomised_run_keeps_invariants_and_rebuilds, setup_big, teardown),
        cmocka_unit_test_setup_teardown(randomised_run_with_retirement, setup_big, teardown),
        cmocka_unit_test_setup_teardown(randomised_run_with_retirement, setup, teardown),
        cmocka_unit_test_setup_teardown(aborted_processes_rebuild_consistently, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
