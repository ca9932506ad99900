/* test_commit_split.c — the journal commit in two halves (seal, then write + sync elsewhere), as
 * the session runs it off the loop thread: a turn's orders reach the venue only once its batch is
 * durable, later turns never overtake earlier ones, a failed batch pulls the kill switch and none
 * of its places or amends (nor any later one) is ever sent, a cancel of an order whose batch is
 * still being written keeps it from ever being sent, and the journal's own seal/write/done keeps
 * the file in append order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../host/core/clock.h"
#include "../../host/core/log.h"
#include "../../host/core/order_flow.h"
#include "../../host/venues/test_venue.h"
#include "flow_harness.h"

#define S 1000000000LL

static th_instruments INS;
static th_test_venue V;
static th_flow F;
static th_journal J;
static char DIR_[128], JPATH[256];

static int market(void *ctx, int32_t ins, int64_t *bid, int64_t *ask, int32_t *health)
{
    (void)ctx;
    (void)ins;
    *bid = 9999900;  /* BTC at 100,000 (2 price decimals, 8 size decimals) */
    *ask = 10000100;
    *health = TH_BOOK_OK;
    return 0;
}

static int setup(void **st)
{
    (void)st;
    th_log_set_level(TH_LOG_ERROR + 1);
    th_clock_use_virtual(1000 * S);
    th_instruments_init(&INS, TH_VENUE_SIM);
    th_instrument x;
    memset(&x, 0, sizeof x);
    snprintf(x.symbol, sizeof x.symbol, "BTC/USDT");
    snprintf(x.quote, sizeof x.quote, "USDT");
    x.price_dec = 2;
    x.qty_dec = 8;
    x.tick = 1;
    x.lot = 1;
    x.online = true;
    th_instruments_put(&INS, &x);
    th_test_venue_init(&V);
    if (fh_tmpdir(DIR_, sizeof DIR_, "th_commit_test") != 0) return -1;
    snprintf(JPATH, sizeof JPATH, "%s/1.thj", DIR_);
    const char *err;
    if (th_journal_open(&J, JPATH, true, &err) != 0) return -1;
    th_flow_cfg c;
    th_flow_defaults(&c);
    snprintf(c.prefix, sizeof c.prefix, "cs");
    c.risk.pair_default.layering_bps = 0;
    c.venue_cap = 1000;
    c.venue_rate = 1000;
    if (fh_flow_up(&F, &c, &INS, &V, &J, market, &err) != 0) return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    th_flow_free(&F);
    th_journal_close(&J);
    th_test_venue_free(&V);
    th_instruments_free(&INS);
    unlink(JPATH);
    rmdir(DIR_);
    return 0;
}

static int32_t place(int64_t price)
{
    int32_t idx = -1;
    /* 0.01 BTC */
    assert_int_equal(th_flow_place(&F, 0, TH_BID, price, 1000000, true, "", th_clock_ns(), &idx), TH_RISK_OK);
    return idx;
}

/* 0.01 BTC placed by the quote executor (quotes re-point only their own orders) */
static int32_t place_quote(int64_t price)
{
    th_quote q = {TH_BID, 0, price, 1000000, ""};
    th_quotes_outcome res;
    assert_int_equal(th_flow_quotes(&F, 0, &q, 1, th_clock_ns(), &res), 0);
    assert_int_equal(res.placed, 1);
    int32_t n;
    const th_live *lv = th_tracker_live(&F.trk, 0, &n);
    return lv[n - 1].idx;
}

typedef struct jcount { int32_t type; int n; } jcount;
static int jcount_cb(void *p, const th_jrec *r)
{
    jcount *c = p;
    if (r->type == c->type) c->n++;
    return 0;
}
static int on_disk(int32_t type)
{
    jcount c = {type, 0};
    th_journal_scan scan;
    const char *err;
    assert_int_equal(th_journal_read(JPATH, jcount_cb, &c, &scan, &err), 0);
    return c.n;
}

static bool sent(int32_t idx) { return th_test_venue_find(&V, F.trk.v[idx].cl_id) != NULL; }

static void orders_wait_for_their_batch_and_keep_turn_order(void **st)
{
    (void)st;
    th_jbatch b;
    int32_t a = place(9990000);
    assert_int_equal(th_flow_commit_begin(&F, &b, th_clock_ns()), 1); /* turn 1 sealed, its place held */
    assert_int_equal(V.requests, 0);
    int32_t c = place(9980000);                                /* turn 2, while turn 1 is written */
    th_jbatch b2;
    assert_int_equal(th_flow_commit_begin(&F, &b2, th_clock_ns()), 0); /* one batch out at a time */
    assert_int_equal(th_flow_flush(&F, th_clock_ns()), 0);              /* the sync path waits too */
    assert_int_equal(V.requests, 0);
    assert_int_equal(on_disk(TH_J_INTENT), 0);
    const char *err = NULL;
    assert_int_equal(th_journal_write(&J, &b, &err), 0);               /* (another thread, in the host) */
    assert_int_equal(on_disk(TH_J_INTENT), 1);
    assert_int_equal(V.requests, 0);                                   /* durable, but not yet handed back */
    assert_int_equal(th_flow_commit_end(&F, &b, 0, NULL, th_clock_ns()), 0);
    assert_int_equal(V.requests, 1);                                   /* a went out, c did not */
    assert_string_equal(V.inbox[0].cl_id, F.trk.v[a].cl_id);
    assert_int_equal(th_flow_commit_begin(&F, &b, th_clock_ns()), 1);
    assert_int_equal(V.requests, 1);
    assert_int_equal(th_journal_write(&J, &b, &err), 0);
    assert_int_equal(th_flow_commit_end(&F, &b, 0, NULL, th_clock_ns()), 0);
    assert_int_equal(V.requests, 2);
    assert_string_equal(V.inbox[1].cl_id, F.trk.v[c].cl_id);
    assert_int_equal(on_disk(TH_J_INTENT), 2);
    assert_int_equal(J.commits, 2);
    th_test_venue_pump(&V);
    assert_int_equal(F.trk.v[a].state, TH_ORD_OPEN);
    assert_int_equal(F.trk.v[c].state, TH_ORD_OPEN);
    assert_int_equal(th_flow_flush(&F, th_clock_ns()), 0); /* the synchronous path: the acks */
    assert_int_equal(on_disk(TH_J_ACK), 2);
    assert_int_equal(th_flow_commit_begin(&F, &b, th_clock_ns()), 0); /* nothing left to write */
}

static void failed_batch_halts_and_nothing_of_it_or_later_is_sent(void **st)
{
    (void)st;
    th_jbatch b;
    const char *err = NULL;
    int32_t a = place_quote(9990000);
    assert_int_equal(th_flow_flush(&F, th_clock_ns()), 0);
    th_test_venue_pump(&V); /* a is open at the venue */
    uint64_t before = V.requests;
    /* turn 1: an amend of a and a new place b; turn 2 (while 1 is out): a place c */
    th_quote q = {TH_BID, 0, 9991000, 1000000, ""};
    th_quotes_outcome res;
    F.cfg.exec.price_tol_bps = 0;
    assert_int_equal(th_flow_quotes(&F, 0, &q, 1, th_clock_ns(), &res), 0);
    assert_int_equal(res.replaced, 1);
    int32_t b1 = place(9970000);
    assert_int_equal(th_flow_commit_begin(&F, &b, th_clock_ns()), 1);
    int32_t c = place(9960000);
    close(J.fd); /* the disk goes away under the writer */
    J.fd = open("/dev/full", O_WRONLY);
    assert_int_equal(th_journal_write(&J, &b, &err), -1);
    assert_int_equal(th_flow_commit_end(&F, &b, -1, err, th_clock_ns()), -1);
    assert_true(F.risk.halted);
    assert_true(F.failed);
    assert_true(J.broken);
    th_jbatch b2;
    assert_int_equal(th_flow_commit_begin(&F, &b2, th_clock_ns()), 0); /* no batch after a failed one */
    /* only a's cancel (the kill switch) reached the venue: no amend, no b, no c */
    assert_int_equal(V.requests, before + 1);
    for (int32_t i = 0; i < V.ninbox; i++) {
        assert_int_not_equal(V.inbox[i].kind, 3 /* amend */);
        assert_string_not_equal(V.inbox[i].cl_id, F.trk.v[b1].cl_id);
        assert_string_not_equal(V.inbox[i].cl_id, F.trk.v[c].cl_id);
    }
    assert_int_equal(F.trk.v[b1].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[b1].done_reason, TH_DONE_FAILED);
    assert_int_equal(F.trk.v[c].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[c].done_reason, TH_DONE_FAILED);
    th_test_venue_pump(&V);
    assert_int_equal(F.trk.v[a].state, TH_ORD_DONE);
    assert_int_equal(F.trk.v[a].done_reason, TH_DONE_CANCELLED);
    assert_int_equal(F.trk.v[a].price, 9990000); /* the amend never happened */
    int32_t idx;
    assert_int_equal(th_flow_place(&F, 0, TH_BID, 9950000, 1000000, true, "", th_clock_ns(), &idx), TH_RISK_HALTED);
}

static void cancel_while_its_batch_is_written_is_never_sent(void **st)
{
    (void)st;
    th_jbatch b;
    const char *err = NULL;
    int32_t a = place(9990000);
    assert_int_equal(th_flow_commit_begin(&F, &b, th_clock_ns()), 1);
    assert_int_equal(th_flow_cancel(&F, a, th_clock_ns()), 0); /* the strategy changes its mind */
    assert_int_equal(F.trk.v[a].state, TH_ORD_DONE);
    assert_int_equal(th_journal_write(&J, &b, &err), 0);
    assert_int_equal(th_flow_commit_end(&F, &b, 0, NULL, th_clock_ns()), 0);
    assert_int_equal(V.requests, 0);
    assert_false(sent(a));
    /* and the same for the kill switch */
    int32_t c = place(9980000);
    assert_int_equal(th_flow_commit_begin(&F, &b, th_clock_ns()), 1);
    th_flow_kill(&F, TH_RISK_HALTED, "test", th_clock_ns());
    assert_int_equal(th_journal_write(&J, &b, &err), 0);
    assert_int_equal(th_flow_commit_end(&F, &b, 0, NULL, th_clock_ns()), 0);
    assert_int_equal(th_flow_flush(&F, th_clock_ns()), 0);
    assert_int_equal(V.requests, 0);
    assert_int_equal(F.trk.v[c].state, TH_ORD_DONE);
}

/* The journal alone: appends during a write go to the next batch, the file keeps append order,
 * a synchronous commit waits for the batch that is out, and a failed write ends the journal. */
static void journal_seal_write_done(void **st)
{
    (void)st;
    const char *err = NULL;
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_REARM;
    for (int i = 0; i < 3; i++) { r.ts_ns = i; assert_int_equal(th_journal_append(&J, &r), 0); }
    th_jbatch b;
    assert_int_equal(th_journal_seal(&J, &b), 1);
    assert_int_equal(b.records, 3);
    th_jbatch b2;
    assert_int_equal(th_journal_seal(&J, &b2), 0); /* nothing new; and one batch at a time */
    for (int i = 3; i < 5; i++) { r.ts_ns = i; assert_int_equal(th_journal_append(&J, &r), 0); }
    assert_int_equal(th_journal_seal(&J, &b2), 0);
    assert_int_equal(th_journal_commit(&J, &err), -1);
    assert_string_equal(err, "a journal batch is still being written");
    assert_int_equal(th_journal_write(&J, &b, &err), 0);
    th_journal_done(&J, &b, 0);
    assert_int_equal(th_journal_commit(&J, &err), 0);
    assert_int_equal(J.commits, 2);
    assert_int_equal(on_disk(TH_J_REARM), 5);
    r.ts_ns = 5;
    th_journal_append(&J, &r);
    assert_int_equal(th_journal_seal(&J, &b), 1);
    close(J.fd);
    J.fd = open("/dev/full", O_WRONLY);
    assert_int_equal(th_journal_write(&J, &b, &err), -1);
    th_journal_done(&J, &b, -1);
    th_journal_append(&J, &r);
    assert_int_equal(th_journal_commit(&J, &err), -1);
    assert_string_equal(err, "journal failed earlier");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(orders_wait_for_their_batch_and_keep_turn_order, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_batch_halts_and_nothing_of_it_or_later_is_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_while_its_batch_is_written_is_never_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(journal_seal_write_done, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
