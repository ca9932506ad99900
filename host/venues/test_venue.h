/* test_venue.h — an in-process venue behind the connector interface (venue_api.h).
 *
 * It keeps its own order book of our orders and answers every request one pump later (never from
 * inside the request, as the interface demands), so the order flow meets the same asynchrony as
 * with a socket. Tests command it: reject or drop the next requests, fail locally, fill an order,
 * cancel or expire one on its own, report an order we never sent (paper sessions and backtests use
 * paper_venue.c, the sim's matching engine, instead). It models Kraken's amend_order: the amended quantity is the new total of the
 * order, filled part included (an amend to at most the filled quantity finishes the order). The venues issue runs the same scenarios over real sockets against `sim`. */
#ifndef TH_TEST_VENUE_H
#define TH_TEST_VENUE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/order_flow.h"
#include "../core/venue_api.h"

/* Instruments are named by symbol, never held by pointer: the registry grows (an instrument
 * update adds pairs) and its array moves. */
typedef struct tv_order {
    th_venue_order o;
    int64_t created_ns;
} tv_order;

typedef struct tv_req {
    int32_t kind;
    char cl_id[40], ex_id[48], symbol[32];
    int32_t side;
    bool post_only;
    int64_t price, qty, since;
} tv_req;

typedef struct th_test_venue {
    th_venue_events ev;
    tv_order *orders;
    int32_t norders, orders_cap;
    int32_t *slots;               /* hash of client ids and venue ids -> index + 1 */
    int32_t nslots;
    th_venue_fill *trades;
    int32_t ntrades, trades_cap;
    tv_req *inbox;
    int32_t ninbox, inbox_cap;
    tv_req *spare;                /* the batch being answered (swapped with the inbox) */
    int32_t spare_cap;
    tv_req *held;                 /* places and acks held back (hold_places, hold_acks) */
    int32_t nheld, held_cap;
    uint64_t next_ex, next_trade;
    /* commands */
    int32_t reject_next, drop_next, fail_local;
    int32_t reject_verr;
    /* Event orders the tests need: hold_places keeps places on the way (the venue does not know
     * them yet: a query says unknown); hold_acks books them but holds the ack back (fills can
     * come first). th_test_venue_release delivers what was held, in order. */
    bool hold_places, hold_acks;
    bool hold_amends;             /* applies amends, holds their answers back (fills can come first) */
    bool hold_cancels;            /* cancels on the way: not seen by the venue until released */
    int64_t retry_after_ns;
    double fee_bps;
    uint64_t requests, answered;
} th_test_venue;

void th_test_venue_init(th_test_venue *v);
void th_test_venue_free(th_test_venue *v);
th_venue th_test_venue_as_venue(th_test_venue *v);
/* Deliver answers to everything received before this call. */
int32_t th_test_venue_pump(th_test_venue *v);
/* Venue-side happenings. */
int th_test_venue_fill(th_test_venue *v, const char *cl_id, int64_t qty, int64_t price);
int th_test_venue_cancel(th_test_venue *v, const char *cl_id);    /* the venue cancels on its own */
int th_test_venue_inject(th_test_venue *v, const th_instrument *ins, const char *ex_id, int32_t side, int64_t price, int64_t qty);
/* Deliver the held places (booked and acked now), held acks and amend answers, in the order they
 * were held. */
int32_t th_test_venue_release(th_test_venue *v);
tv_order *th_test_venue_find(th_test_venue *v, const char *cl_id);
int32_t th_test_venue_open_count(const th_test_venue *v);

#endif
