/* risk.h — the gates every order intent passes in C before anything leaves the host.
 *
 * Order of evaluation (cheapest and most absolute first, so a halted host answers "halted", not
 * "price band"): kill switch, circuit breaker, order sanity and the instrument's own rules
 * (online, tick, lot, exchange minimums), our size and notional bounds, book health and the price
 * band against a reference (an oracle price when set, else the mid), the post-only crossing check,
 * then per pair (position limit, max open orders, anti-layering) and portfolio (exposure, per
 * position, per pair, daily loss, drawdown), then the strategy instance's share of the
 * exposure budget (exposure_share: its pairs' positions and live orders together). Exposure gates only apply to an order that can grow
 * the position: a reducing order is never trapped by the limits it would help restore.
 * A refusal is a reason code (tradehost.h TH_RISK_*) with a static text; each is counted, in
 * total and for its pair (the report's refusals per pair), and again in a metric
 * `risk_refused_total{reason="..."}`.
 * The kill switch cancels everything (the order flow does that) and stays until re-armed; a
 * breached daily loss cap or drawdown pulls it by itself. The circuit breaker opens after N
 * consecutive venue errors and closes after a cool-down. Plain C: no I/O, no clock of its own. */
#ifndef TH_RISK_H
#define TH_RISK_H

#include <stdbool.h>
#include <stdint.h>

#include "../include/tradehost.h"
#include "instrument.h"
#include "order_tracker.h"
#include "position.h"

/* Per-pair limits (instrument units); 0 means "no limit" for every field. */
typedef struct th_pair_limits {
    int64_t min_order_qty, max_order_qty;
    int64_t max_position;            /* |position| after every open order on that side fills */
    int32_t max_open_orders;
    double band_bps;                 /* max distance from the reference price */
    double layering_bps;             /* min distance between two own orders on one side */
    /* Several strategy instances (config strategies[i].risk_share): the pairs one instance trades
     * share a group number (its index, 1-based; 0: none) and its fraction of the budget. */
    double share;
    int32_t group;
} th_pair_limits;

typedef struct th_risk_limits {
    double min_notional, max_notional;       /* per order, report currency */
    double budget;                           /* report currency; 0 turns the exposure gates off */
    double max_total_exposure_pct;           /* of budget; default 0.80 */
    double max_position_pct;                 /* default 0.15 */
    double max_pair_pct;                     /* default 0.20 */
    double daily_loss_cap;                   /* report currency, > 0; 0: none */
    double max_drawdown;                     /* report currency from the session peak; 0: none */
    int32_t breaker_errors;                  /* consecutive venue errors that open the breaker */
    int32_t reserved;
    int64_t breaker_cooldown_ns;
    th_pair_limits pair_default;
} th_risk_limits;

typedef struct th_risk {
    th_risk_limits lim;
    th_pair_limits *pair;                    /* by instrument index */
    int32_t npair;
    bool halted;
    int32_t halt_code;
    char halt_reason[128];
    int32_t consecutive_errors;
    int64_t breaker_until_ns;
    uint64_t refusals[TH_RISK_REASON_COUNT];
    uint64_t *pair_refusals;                 /* [instrument * TH_RISK_REASON_COUNT + reason]: the
                                              * same counts per pair (reports), npair rows */
    int32_t metric[TH_RISK_REASON_COUNT];
    uint64_t breaker_trips, kills;
} th_risk;

/* What the gates look at for one intent; the caller fills it from its state. */
typedef struct th_risk_ctx {
    const th_instrument *ins;
    int32_t ins_idx;
    int32_t side;
    int64_t price, qty;
    bool post_only;
    /* market: best prices in price units (0: side empty), book health, oracle (0: none) */
    int64_t best_bid, best_ask, oracle;
    int32_t book_health;
    const th_tracker *tracker;
    int32_t exclude;                         /* an order the pair gates skip (the one being amended); -1 none */
    const th_portfolio *portfolio;
    double open_notional;                    /* all live orders, report currency */
    double group_exposure;                   /* the pair's group (pair limits): its positions and
                                              * live orders but `exclude`, report currency */
    int64_t now_ns;
} th_risk_ctx;

void th_risk_defaults(th_risk_limits *lim);
int th_risk_init(th_risk *r, const th_risk_limits *lim, int32_t n_instruments);
void th_risk_free(th_risk *r);
int th_risk_reserve(th_risk *r, int32_t n);
th_pair_limits *th_risk_pair(th_risk *r, int32_t ins);

/* TH_RISK_OK or the first gate that refuses; refusals are counted here. */
int32_t th_risk_check(th_risk *r, const th_risk_ctx *c);
/* Count a refusal decided outside (rate limits, back-off) with the same counters; _pair also
 * counts it for instrument ins (when it is one: an unknown symbol counts in the total only). */
void th_risk_count(th_risk *r, int32_t reason);
void th_risk_count_pair(th_risk *r, int32_t ins, int32_t reason);
/* Refusals of instrument ins for reason (0 past the table). */
uint64_t th_risk_pair_refusals(const th_risk *r, int32_t ins, int32_t reason);

/* Pull the kill switch (idempotent; the first reason stays). Returns true if it was not pulled. */
bool th_risk_halt(th_risk *r, int32_t code, const char *reason);
void th_risk_resume(th_risk *r);
/* Loss caps: call after fills and marks. Returns true when this call pulled the kill switch. */
bool th_risk_check_portfolio(th_risk *r, const th_portfolio *p);

/* Venue outcomes feed the circuit breaker. Returns true when this error opened it. */
bool th_risk_venue_error(th_risk *r, int64_t now_ns);
void th_risk_venue_ok(th_risk *r);
bool th_risk_breaker_open(const th_risk *r, int64_t now_ns);

const char *th_risk_reason(int32_t reason);

#endif
