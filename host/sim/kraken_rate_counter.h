/* kraken_rate_counter.h — Kraken spot's per-pair trading rate counter, as the venue keeps it.
 *
 * Each account has one counter per pair, shared by REST, WebSocket and FIX. Every add order costs
 * 1; an amend costs 1 plus 3/2/1 if the order was created or last amended under 5/10/15 s ago; a
 * cancel costs 8/6/5/4/2/1 if the order is under 5/10/15/45/90/300 s old (the penalty tables are
 * host/core/rate_limit.c's th_kraken_cancel_cost/th_kraken_amend_cost, shared with the
 * connector's client-side model). The counter decays at the tier's rate and a transaction that
 * would take it past the tier's threshold is refused with `EOrder:Rate limit exceeded`:
 *   Starter 60 at -1/s, Intermediate 125 at -2.34/s, Pro 180 at -3.75/s
 * (docs.kraken.com, "Spot Trading Limits"). It is a th_bucket seen upside down: the counter is the
 * bucket's capacity minus its tokens, so the decay is the refill. A refused transaction adds
 * nothing (Kraken's docs say the fixed count applies "even if the transaction fails validation";
 * whether a rate-limit refusal counts is unconfirmed, and adding it would lock a client out for as
 * long as it keeps retrying). */
#ifndef TH_KRAKEN_RATE_COUNTER_H
#define TH_KRAKEN_RATE_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/rate_limit.h"

typedef enum th_kraken_tier {
    TH_KRAKEN_TIER_STARTER = 0,
    TH_KRAKEN_TIER_INTERMEDIATE = 1,
    TH_KRAKEN_TIER_PRO = 2,
} th_kraken_tier;

typedef struct th_kraken_rate_counter {
    th_bucket b;
} th_kraken_rate_counter;

/* Threshold and decay per second of a tier; -1 for an unknown tier. */
int th_kraken_tier_limits(int tier, double *threshold, double *decay_per_s);
/* Parse "starter" | "intermediate" | "pro"; -1 if none. */
int th_kraken_tier_parse(const char *name);

void th_kraken_rate_init(th_kraken_rate_counter *c, th_kraken_tier tier, int64_t now_ns);
/* The counter's value now (0 after enough idle time). */
double th_kraken_rate_level(th_kraken_rate_counter *c, int64_t now_ns);
/* Charge `cost`: false (and nothing charged) if it would pass the threshold. force: charge anyway
 * and never refuse (a cancel-all the venue must carry out). */
bool th_kraken_rate_charge(th_kraken_rate_counter *c, double cost, bool force, int64_t now_ns);
/* Costs by transaction; age_ns is the order's age since created or last amended. */
static inline double th_kraken_rate_add_cost(void) { return 1; }
static inline double th_kraken_rate_amend_cost(int64_t age_ns) { return 1 + th_kraken_amend_cost(age_ns); }
static inline double th_kraken_rate_cancel_cost(int64_t age_ns) { return th_kraken_cancel_cost(age_ns); }

#endif
