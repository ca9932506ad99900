/* paper_venue.h — the venue of paper sessions and backtests: the order interface (venue_api.h) over
 * the sim's matching engine (host/sim/sim_engine.h), in-process.
 *
 * One matching model for `tradehost sim`, paper and backtest: orders go to the engine, which
 * matches them against its copy of the recorded books with queue positions, partial fills,
 * marketable orders walking the book at the taker fee, resting ones filling at their own price at
 * the maker fee, post-only refused when it would cross (docs/sim.md, "Matching model"). This file
 * only carries requests to the engine and its events back, as a socket would:
 *
 *  - requests never touch the engine from inside the call: they are queued with the time they
 *    reach the venue (the latency model, paper_latency.h) and applied by th_paper_venue_advance,
 *    which the session calls before each market record and on every loop turn, so an order meets
 *    the book as it stood when it arrived;
 *  - the engine's events (acks, fills, cancels, refusals with the engine's reason) are queued with
 *    the time they reach us, and delivered by th_paper_venue_pump on the loop turn they are due;
 *  - the market: th_paper_venue_market_trade for each recorded trade (before the book update that
 *    reflects it, as recordings hold them) and th_paper_venue_market_books after each record. Only
 *    books the account has traded on are followed (th_sim_book_sync_apply), so pairs nobody quotes
 *    cost nothing.
 *
 * Time is always the session clock (th_clock_ns: recorded time in a backtest), so the same
 * recording, config and seed give the same fills. */
#ifndef TH_PAPER_VENUE_H
#define TH_PAPER_VENUE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/book.h"
#include "../core/instrument.h"
#include "../core/venue_api.h"
#include "../sim/sim_book_sync.h"
#include "../sim/sim_engine.h"
#include "paper_latency.h"

/* The recorded book of an instrument (NULL: none yet). */
typedef const th_book *(*th_paper_book_fn)(void *ctx, int32_t ins);

typedef struct th_paper_balance { char asset[16]; char amount[48]; } th_paper_balance;

typedef struct th_paper_cfg {
    const th_instruments *instruments; /* the registry: copied by the engine, which follows it when it grows */
    double maker_bps, taker_bps;
    th_sim_queue_model queue_model;
    uint64_t seed;
    int32_t book_depth;                /* the feed's depth (0: unbounded) */
    const th_paper_balance *balances;  /* NULL: every asset of every instrument gets TH_PAPER_DEFAULT_BALANCE */
    int32_t nbalances;
    th_paper_latency latency;
    th_paper_book_fn book;
    void *book_ctx;
} th_paper_cfg;

#define TH_PAPER_DEFAULT_BALANCE "1000000000000"

typedef struct pv_req pv_req;
typedef struct pv_ans pv_ans;

typedef struct th_paper_venue {
    th_venue_events ev;
    th_sim_engine *e;
    int32_t account, nins;
    th_paper_cfg cfg;
    pv_req *req;                       /* requests on their way to the venue, in order sent */
    int32_t nreq, req_head, req_cap;
    pv_ans *ans;                       /* the venue's answers and events on their way back */
    int32_t nans, ans_head, ans_cap;
    int64_t last_req_due, last_ans_due; /* one connection: nothing overtakes */
    bool custom_balances;              /* the config set balances: new assets start at 0 */
    bool in_amend_to_filled;           /* the engine's cancel is the amend's doing: no cancel event */
    int64_t now;                       /* the venue time of the call in progress */
    /* the books followed: instruments the account has sent orders for */
    bool *follow;
    uint64_t *seen_updates;
    int32_t *followed;
    int32_t nfollowed;
    th_sim_book_sync sync;
    uint64_t requests, answered, rejects[TH_SIM_REJ_COUNT];
} th_paper_venue;

/* 0, or -1 with a static message (an instrument the engine cannot hold, a bad balance, memory). */
int th_paper_venue_open(th_paper_venue *v, const th_paper_cfg *cfg, const char **err);
void th_paper_venue_close(th_paper_venue *v);
th_venue th_paper_venue_as_venue(th_paper_venue *v);
/* Apply the requests that have reached the venue by now_ns, in order, each at its own time. */
void th_paper_venue_advance(th_paper_venue *v, int64_t now_ns);
/* One loop turn: advance to now, then deliver every answer due by now (requests the answers cause
 * wait for the next pump, as over a socket). Returns the number delivered. */
int32_t th_paper_venue_pump(th_paper_venue *v, int64_t now_ns);
/* When the next request reaches the venue or the next answer reaches us (INT64_MAX: nothing on its
 * way): a backtest wakes then. */
int64_t th_paper_venue_next_due(const th_paper_venue *v);
/* The market: a recorded trade (aggressor TH_BID: it bought), and the followed books after a record. */
void th_paper_venue_market_trade(th_paper_venue *v, int32_t ins, int64_t price, int64_t qty, int32_t aggressor, int64_t ts_ns);
void th_paper_venue_market_books(th_paper_venue *v, int64_t ts_ns);

#endif
