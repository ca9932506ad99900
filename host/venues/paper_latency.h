/* paper_latency.h — the latency model of paper sessions and backtests: how late market data and
 * order messages are, fixed or sampled from a distribution with a seed (docs/config.md,
 * `venue.latency`).
 *
 * Two one-way delays:
 *  - feed: from the venue's matching engine to us (market data). The recording's receive times
 *    are when we see the market, so the venue was `feed` ahead of them;
 *  - order: from us to the venue (a request) and from the venue to us (an answer or a fill).
 * On the recording's timeline (receive times) that means: a request sent at t reaches the engine
 * when the engine holds the book we see at t + order + feed; an event the engine makes on the
 * record received at r reaches us at r - feed + order (not before r: the simulation cannot deliver
 * what it has not made yet, so feed > order only delays such events to r).
 *
 * Sampling is deterministic (splitmix64 from the seed), so the same seed gives the same delays;
 * one connection never reorders, so a sampled delay never lets a message overtake the previous
 * one (the caller keeps them monotonic). */
#ifndef TH_PAPER_LATENCY_H
#define TH_PAPER_LATENCY_H

#include <stdint.h>

typedef enum th_latency_dist {
    TH_LATENCY_FIXED = 0,     /* always the given delay */
    TH_LATENCY_UNIFORM = 1,   /* uniform in [delay - jitter, delay + jitter], at least 0 */
    TH_LATENCY_LOGNORMAL = 2, /* median delay, log-space standard deviation sigma (heavy right tail) */
} th_latency_dist;

typedef struct th_paper_latency {
    th_latency_dist dist;
    int64_t feed_ns, order_ns;   /* the fixed delays, or the distribution's centre */
    int64_t jitter_ns;           /* uniform */
    double sigma;                /* lognormal */
    uint64_t state;              /* PRNG state (set from the seed) */
} th_paper_latency;

/* "fixed", "uniform", "lognormal" -> 0, or -1. */
int th_paper_latency_dist_parse(const char *s, th_latency_dist *out);
const char *th_paper_latency_dist_name(th_latency_dist d);
void th_paper_latency_seed(th_paper_latency *l, uint64_t seed);
/* One sample of the one-way order delay, and of the feed delay. */
int64_t th_paper_latency_order(th_paper_latency *l);
int64_t th_paper_latency_feed(th_paper_latency *l);

#endif
