/* flow_harness.h — the world the order-flow unit tests (and bench_safety) build: instruments, a
 * flow configuration, a flow wired to the in-process test venue and a market, one loop turn, a
 * private temp dir. One copy, so that a change to how a flow is brought up (a new init argument, a
 * new venue event hook) is made once and every test keeps exercising the same wiring the host uses.
 * Each test keeps what is its own: its market function, its magnitudes, its journal layout. */
#ifndef TH_TEST_FLOW_HARNESS_H
#define TH_TEST_FLOW_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../host/core/clock.h"
#include "../../host/core/order_flow.h"
#include "../../host/venues/test_venue.h"

#define FH_S 1000000000LL

/* An online instrument quoted in USD (tick, lot and min_qty in the instrument's integer units). */
static inline void fh_add_instrument(th_instruments *r, const char *sym, int32_t price_dec, int32_t qty_dec,
                                     int64_t tick, int64_t lot, int64_t min_qty)
{
    th_instrument x;
    memset(&x, 0, sizeof x);
    snprintf(x.symbol, sizeof x.symbol, "%s", sym);
    snprintf(x.quote, sizeof x.quote, "USD");
    x.price_dec = price_dec;
    x.qty_dec = qty_dec;
    x.tick = tick;
    x.lot = lot;
    x.min_qty = min_qty;
    x.online = true;
    th_instruments_put(r, &x);
}

/* The tests' flow: a 2% price band, 1 bp layering, a 2 s pending timeout, and a venue budget the
 * tests do not run into unless they mean to (they set their own then). */
static inline th_flow_cfg fh_cfg(const char *prefix)
{
    th_flow_cfg c;
    th_flow_defaults(&c);
    snprintf(c.prefix, sizeof c.prefix, "%s", prefix);
    c.risk.pair_default.band_bps = 200;
    c.risk.pair_default.layering_bps = 1;
    c.pending_timeout_ns = 2 * FH_S;
    c.venue_cap = 1000;
    c.venue_rate = 1000;
    return c;
}

/* Bring a flow up on the test venue exactly as the session does: init, market, venue events. */
static inline int fh_flow_up(th_flow *f, const th_flow_cfg *c, const th_instruments *ins, th_test_venue *v,
                             th_journal *j, th_market_top_fn market, const char **err)
{
    if (th_flow_init(f, c, ins, th_test_venue_as_venue(v), j, th_clock_ns(), err) != 0) return -1;
    th_flow_set_market(f, market, NULL);
    v->ev = th_flow_venue_events(f);
    return 0;
}

/* One loop turn's order traffic: commit and send, the venue answers, commit and send what the
 * answers caused. */
static inline void fh_turn(th_flow *f, th_test_venue *v)
{
    th_flow_flush(f, th_clock_ns());
    th_test_venue_pump(v);
    th_flow_flush(f, th_clock_ns());
}

/* ...and end it: the turn's events were dispatched, finished orders past the keep window retire. */
static inline void fh_end_turn(th_flow *f)
{
    th_flow_events_clear(f);
    th_flow_end_turn(f, th_clock_ns());
}

/* A private directory /tmp/<tag>_XXXXXX; 0 on success. */
static inline int fh_tmpdir(char *dir, size_t cap, const char *tag)
{
    snprintf(dir, cap, "/tmp/%s_XXXXXX", tag);
    return mkdtemp(dir) ? 0 : -1;
}

#endif
