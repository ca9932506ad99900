/* rate_limit.h — the one rate limiter and the one back-off, used for every venue and endpoint.
 *
 * A token bucket holds `cap` tokens and refills at `rate` tokens per second; an action costs some
 * tokens and is refused (with the wait until it would fit) when the bucket lacks them. Venues'
 * own models are buckets with costs:
 *   - Kraken spot keeps a per-pair counter that rises with each action and decays at a tier rate,
 *     refusing at a threshold: that is a bucket of `threshold` tokens refilling at the decay rate.
 *     Add costs 1; cancel and amend cost more the younger the order (th_kraken_cancel_cost).
 *   - Binance counts request weight per minute and orders per 10 s and per day: one bucket each,
 *     with each endpoint's weight as its cost.
 * The back-off is exponential with full jitter and honours a venue's Retry-After; it is what a 429,
 * a 418 or a venue's "rate limit exceeded" error arms. Time is passed in, so both work on the
 * virtual clock of a backtest. Plain C, no I/O. */
#ifndef TH_RATE_LIMIT_H
#define TH_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct th_bucket {
    double cap, rate_per_s, tokens;
    int64_t last_ns;
} th_bucket;

void th_bucket_init(th_bucket *b, double cap, double rate_per_s, int64_t now_ns);
/* Take `cost` tokens if present; else take nothing and return false. */
bool th_bucket_take(th_bucket *b, double cost, int64_t now_ns);
/* Tokens available at now (after refill). */
double th_bucket_level(th_bucket *b, int64_t now_ns);
/* ns until `cost` tokens will be present (0 if now); -1 if cost exceeds the capacity. */
int64_t th_bucket_wait_ns(th_bucket *b, double cost, int64_t now_ns);
/* Spend tokens the venue counted without asking us (e.g. its fixed count on a failed call); may go
 * negative, which then delays the next take exactly as the venue's counter would. */
void th_bucket_charge(th_bucket *b, double cost, int64_t now_ns);

/* Kraken spot's REST API counter (per API key, the private calls): its threshold and decay per
 * second for a tier (0 starter: 15 at -0.33/s, 1 intermediate: 20 at -0.5/s, 2 pro: 20 at -1/s;
 * -1 for another), and what a private method adds to it: 2 for the ledgers and the trade history,
 * 0 for the order calls (the pair's trading counter counts those), 1 for the others (BalanceEx,
 * OpenOrders, QueryOrders, GetWebSocketsToken...). One table for the connector and the sim. */
int th_kraken_rest_limits(int tier, double *threshold, double *decay_per_s);
double th_kraken_rest_cost(const char *method);

/* Kraken spot: extra counter for cancelling (or amending) an order of the given age. */
double th_kraken_cancel_cost(int64_t age_ns);
double th_kraken_amend_cost(int64_t age_ns);

typedef struct th_backoff {
    int64_t base_ns, max_ns;
    int32_t attempts;
    int64_t until_ns;        /* no requests before this */
    uint64_t rng;
} th_backoff;

void th_backoff_init(th_backoff *b, int64_t base_ns, int64_t max_ns, uint64_t seed);
/* A failure: the next wait is random in [d/2, d] with d = min(max, base * 2^attempts) (jitter
 * keeps many hosts from retrying in step), and never shorter than retry_after_ns (0: none).
 * Returns the time until which requests must wait. */
int64_t th_backoff_fail(th_backoff *b, int64_t now_ns, int64_t retry_after_ns);
void th_backoff_success(th_backoff *b);
bool th_backoff_blocked(const th_backoff *b, int64_t now_ns);

#endif
