/* test_report.c — the report's figures on a scripted session whose fills are known, checked against
 * figures computed by hand, at real magnitudes: BTC/USD at 100,000 with 8 price and 8 qty
 * decimals (a notional of 10^21 units: beyond int64 and beyond a double's exact range) and a
 * meme coin at 0.00000123 traded in lots of 10^9. PnL, fees, volume, spread captured and
 * drawdown are exact decimal text; the written JSON carries the same text; without a timeline
 * the report marks at fill prices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <cmocka.h>

#include "../../host/app/report.h"
#include "../../host/core/journal.h"
#include "../../host/include/tradehost.h"

static char DIR_[256], JPATH[320], TPATH[320];
#define S 1000000000LL
#define T0 (1700000000LL * S)
#define E8 100000000LL

static void rec(th_journal *j, int type, int64_t t, const char *cl, const char *sym, int side, int64_t price, int64_t qty, th_money fee)
{
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.ts_ns = T0 + t;
    r.side = side;
    r.price = price;
    r.qty = qty;
    r.fee = fee;
    r.price_dec = 8;
    r.qty_dec = 8;
    if (cl) snprintf(r.cl_id, sizeof r.cl_id, "%s", cl);
    if (sym && type != TH_J_FILL) snprintf(r.symbol, sizeof r.symbol, "%s", sym);
    if (type == TH_J_FILL) { snprintf(r.trade_id, sizeof r.trade_id, "t-%s-%lld", cl, (long long)t); r.created_ns = T0 + t; }
    if (type == TH_J_INTENT) snprintf(r.tag, sizeof r.tag, "%s", side == TH_BID ? "b" : "a");
    if (type == TH_J_SESSION) r.code = TH_JOURNAL_VERSION;
    assert_int_equal(th_journal_append(j, &r), 0);
}

/* a fee of `bp` ten-thousandths of a USD in money units (10^-16 USD: price and qty at 8 decimals) */
static th_money usd(int64_t bp) { return (th_money)bp * (th_money)1000000000000LL; }

static void write_session(bool timeline)
{
    th_journal j;
    const char *err = NULL;
    assert_int_equal(th_journal_open(&j, JPATH, false, &err), 0);
    rec(&j, TH_J_SESSION, 0, NULL, NULL, 0, 0, 0, 0);
    int64_t btc = 100000 * E8, one = E8;
    rec(&j, TH_J_INTENT, 1 * S, "b1", "BTC/USD", TH_BID, btc, one, 0);
    rec(&j, TH_J_INTENT, 1 * S, "s1", "BTC/USD", TH_ASK, 100010 * E8, one, 0);
    rec(&j, TH_J_INTENT, 1 * S, "b2", "BTC/USD", TH_BID, 99000 * E8, one, 0);
    rec(&j, TH_J_INTENT, 1 * S, "s2", "BTC/USD", TH_ASK, 101000 * E8, one, 0);
    rec(&j, TH_J_FILL, 2 * S, "b1", NULL, 0, btc, one / 2, usd(800));          /* 0.5 @ 100000, fee 0.08 */
    rec(&j, TH_J_FILL, 4 * S, "b1", NULL, 0, btc, one / 2, usd(800));          /* 0.5 @ 100000, fee 0.08 */
    rec(&j, TH_J_FILL, 6 * S, "s1", NULL, 0, 100010 * E8, one, usd(1600));     /* 1 @ 100010, fee 0.16 */
    /* the meme coin: 10^9 at 0.00000123, then at 0.00000125 (fees 0.16%: 1.968 and 2.0) */
    rec(&j, TH_J_INTENT, 6 * S, "m1", "MEME/USD", TH_BID, 123, 1000000000LL * E8, 0);
    rec(&j, TH_J_INTENT, 6 * S, "m2", "MEME/USD", TH_ASK, 125, 1000000000LL * E8, 0);
    rec(&j, TH_J_FILL, 6 * S + S / 2, "m1", NULL, 0, 123, 1000000000LL * E8, usd(19680));
    rec(&j, TH_J_FILL, 6 * S + S / 2, "m2", NULL, 0, 125, 1000000000LL * E8, usd(20000));
    rec(&j, TH_J_CLOSE, 8 * S, NULL, NULL, 0, 0, 0, 0);
    assert_int_equal(th_journal_commit(&j, &err), 0);
    th_journal_close(&j);
    if (!timeline) return;
    FILE *f = fopen(TPATH, "w");
    assert_non_null(f);
    fprintf(f, "# tradehost timeline 1\nc USD\ni 0 BTC/USD 8 8 USD 1\ni 1 MEME/USD 8 8 USD 1\n");
    /* mids: 100000, 99991, 100021, 100021; the meme coin's 0.00000124 */
    long long bids[] = {99999, 99990, 100020, 100020}, asks[] = {100001, 99992, 100022, 100022};
    long long ts[] = {S / 2, 3 * S, 5 * S, 7 * S};
    for (int k = 0; k < 4; k++) {
        fprintf(f, "s %lld 0 ok %lld %lld %lld %lld 0 0\n", T0 + ts[k], bids[k] * E8, asks[k] * E8, 99000 * E8, 100010 * E8);
        fprintf(f, "s %lld 1 ok 123 125 0 0 0 0\n", T0 + ts[k]);
    }
    fprintf(f, "r price_band 3\nr layering 2\ne %lld\n", T0 + 8 * S);
    fclose(f);
}

static int setup(void **st)
{
    (void)st;
    snprintf(DIR_, sizeof DIR_, "/tmp/th_report_test_XXXXXX");
    if (!mkdtemp(DIR_)) return -1;
    snprintf(JPATH, sizeof JPATH, "%s/s.thj", DIR_);
    snprintf(TPATH, sizeof TPATH, "%s/s.timeline", DIR_);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    return system(cmd);
}

static const th_report_pair *pair(const th_report *r, const char *sym)
{
    for (int32_t i = 0; i < r->npairs; i++)
        if (strcmp(r->pairs[i].symbol, sym) == 0) return &r->pairs[i];
    fail_msg("no pair %s", sym);
    return NULL;
}

#define MONEY(p, m, text)                                         \
    do {                                                          \
        char b_[64];                                              \
        assert_string_equal(th_report_money((p), (m), b_, sizeof b_), (text)); \
    } while (0)

static void hand_computed_figures_at_real_magnitudes(void **st)
{
    (void)st;
    write_session(true);
    th_report r;
    char err[512] = "";
    assert_int_equal(th_report_build(&r, JPATH, NULL, err, sizeof err), 0);
    assert_true(r.have_timeline);
    assert_string_equal(r.currency, "USD");
    const th_report_pair *b = pair(&r, "BTC/USD");
    assert_int_equal(b->orders, 4);
    assert_int_equal(b->fills, 3);
    /* 0.5 + 0.5 bought at 100000, 1 sold at 100010: realised 10, fees 0.32, flat */
    MONEY(b, b->realised, "10");
    MONEY(b, b->fees, "0.32");
    MONEY(b, b->unrealised, "0");
    MONEY(b, b->pnl, "9.68");
    MONEY(b, b->buy_notional + b->sell_notional, "200010");
    MONEY(b, b->spread_captured, "10");
    assert_int_equal(b->qty, 0);
    assert_int_equal(b->max_qty, E8);
    /* PnL series at the samples: 0; 0.5 at mid 99991 less 0.08 = -4.58; 1 at 100021 less 0.16 =
     * 20.84; flat: 10 - 0.32 = 9.68. Peak 20.84, so the drawdown is 11.16. */
    assert_int_equal(b->npts, 4);
    MONEY(b, b->pts[1].pnl, "-4.58");
    MONEY(b, b->pts[2].pnl, "20.84");
    MONEY(b, b->pts[3].pnl, "9.68");
    MONEY(b, b->max_drawdown, "11.16");
    assert_int_equal(b->pts[2].qty, E8);
    assert_int_equal(b->pts[0].our_bid, 99000 * E8);
    /* steps -4.58, 25.42, -11.16: mean 3.22667, sample sd 19.49954; Sharpe = mean/sd*sqrt(3) */
    assert_true(fabs(b->sharpe - 0.2866093286) < 1e-8);
    const th_report_pair *m = pair(&r, "MEME/USD");
    /* 10^9 bought at 0.00000123 (1230 USD) and sold at 0.00000125 (1250): realised 20, fees
     * 1.968 + 2 = 3.968 */
    MONEY(m, m->realised, "20");
    MONEY(m, m->fees, "3.968");
    MONEY(m, m->pnl, "16.032");
    MONEY(m, m->spread_captured, "20");
    MONEY(m, m->buy_notional, "1230");
    assert_int_equal(m->orders, 2);
    assert_int_equal(m->fills, 2);
    /* totals (report currency): 9.68 + 16.032; the total series 0, -4.58, 20.84, 25.712 */
    assert_true(fabs(r.t_pnl - 25.712) < 1e-9);
    assert_true(fabs(r.t_fees - 4.288) < 1e-9);
    assert_int_equal(r.t_fills, 5);
    assert_int_equal(r.t_orders, 6);
    assert_int_equal(r.ntot, 4);
    assert_true(fabs(r.tot[3].pnl - 25.712) < 1e-9);
    assert_true(fabs(r.t_max_drawdown - 4.58) < 1e-9);
    assert_int_equal(r.nrefusals, 2);
    assert_string_equal(r.refusals[0].name, "price_band");
    assert_int_equal(r.refusals[0].n, 3);
    /* the JSON carries the exact text */
    char out[400], cmd[800];
    snprintf(out, sizeof out, "%s/out", DIR_);
    assert_int_equal(th_report_write(&r, out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd,
             "grep -q '\"money_in\": \"USD\", \"pnl\": \"9.68\", \"realised\": \"10\", \"unrealised\": \"0\", \"fees\": \"0.32\", \"volume\": \"200010\", "
             "\"spread_captured\": \"10\", \"max_drawdown\": \"11.16\"' %s/report.json && grep -q '\"pnl\": \"16.032\"' %s/report.json && "
             "grep -q '\"price\": \"0.00000123\", \"qty\": \"1000000000\", \"fee\": \"1.968\"' %s/report.json && "
             "grep -q 'class=\"plot\" data-points' %s/report.html",
             out, out, out, out);
    if (system(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "cat %s/report.json >&2", out);
        (void)!system(cmd);
        fail_msg("report.json does not carry the figures");
    }
    th_report_free(&r);
}

static void without_a_timeline_marks_at_fill_prices(void **st)
{
    (void)st;
    write_session(false);
    th_report r;
    char err[512] = "";
    assert_int_equal(th_report_build(&r, JPATH, NULL, err, sizeof err), 0);
    assert_false(r.have_timeline);
    const th_report_pair *b = pair(&r, "BTC/USD");
    /* a point per fill: -0.08, -0.16 (bought at the mark), then 9.68 */
    assert_int_equal(b->npts, 3);
    MONEY(b, b->pts[0].pnl, "-0.08");
    MONEY(b, b->pts[1].pnl, "-0.16");
    MONEY(b, b->pts[2].pnl, "9.68");
    MONEY(b, b->max_drawdown, "0.16");
    assert_true(fabs(r.t_pnl - 25.712) < 1e-9);
    th_report_free(&r);
}

/* A resumed paper account opens its journal with the carried position: the report starts from it
 * (realised and fees carried, its cost in the open position), counts only this session's orders,
 * fills and volume, and measures drawdown from the opening PnL. */
static void a_carried_position_is_the_opening_state(void **st)
{
    (void)st;
    th_journal j;
    const char *e = NULL;
    assert_int_equal(th_journal_open(&j, JPATH, false, &e), 0);
    rec(&j, TH_J_SESSION, 0, NULL, NULL, 0, 0, 0, 0);
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_POSITION;
    r.ts_ns = T0;
    snprintf(r.symbol, sizeof r.symbol, "BTC/USD");
    r.price_dec = r.qty_dec = 8;
    r.qty = E8;                                           /* long 1 BTC */
    r.cost = th_money_mul(E8, 100000 * E8);               /* bought at 100,000 */
    r.realised = usd(50000);                              /* 5 USD from earlier sessions */
    r.fee = usd(10000);                                   /* 1 USD of fees */
    r.seq = 4;
    assert_int_equal(th_journal_append(&j, &r), 0);
    rec(&j, TH_J_INTENT, S, "x1", "BTC/USD", TH_ASK, 100010 * E8, E8, 0);
    rec(&j, TH_J_FILL, 2 * S, "x1", NULL, 0, 100010 * E8, E8, usd(1600));
    assert_int_equal(th_journal_commit(&j, &e), 0);
    th_journal_close(&j);
    th_report rep;
    char err[512] = "";
    assert_int_equal(th_report_build(&rep, JPATH, NULL, err, sizeof err), 0);
    const th_report_pair *b = pair(&rep, "BTC/USD");
    assert_true(b->carried);
    MONEY(b, b->opening_pnl, "4");
    MONEY(b, b->realised, "15");
    MONEY(b, b->fees, "1.16");
    MONEY(b, b->pnl, "13.84");
    MONEY(b, b->sell_notional + b->buy_notional, "100010");
    MONEY(b, b->max_drawdown, "0");
    assert_int_equal(b->orders, 1);
    assert_int_equal(b->fills, 1);
    assert_int_equal(b->qty, 0);
    th_report_free(&rep);
}

static void a_fill_for_an_unknown_order_is_an_error_naming_it(void **st)
{
    (void)st;
    th_journal j;
    const char *e = NULL;
    assert_int_equal(th_journal_open(&j, JPATH, false, &e), 0);
    rec(&j, TH_J_SESSION, 0, NULL, NULL, 0, 0, 0, 0);
    rec(&j, TH_J_FILL, S, "ghost", NULL, 0, 1, 1, 0);
    assert_int_equal(th_journal_commit(&j, &e), 0);
    th_journal_close(&j);
    th_report r;
    char err[512] = "";
    assert_int_equal(th_report_build(&r, JPATH, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "ghost"));
    th_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hand_computed_figures_at_real_magnitudes, setup, teardown),
        cmocka_unit_test_setup_teardown(without_a_timeline_marks_at_fill_prices, setup, teardown),
        cmocka_unit_test_setup_teardown(a_carried_position_is_the_opening_state, setup, teardown),
        cmocka_unit_test_setup_teardown(a_fill_for_an_unknown_order_is_an_error_naming_it, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
