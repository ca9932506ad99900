/* rate_limit.c — token bucket and back-off (see rate_limit.h). */
#include "rate_limit.h"

#include <string.h>

void th_bucket_init(th_bucket *b, double cap, double rate_per_s, int64_t now_ns)
{
    b->cap = cap;
    b->rate_per_s = rate_per_s;
    b->tokens = cap;
    b->last_ns = now_ns;
}

static void refill(th_bucket *b, int64_t now_ns)
{
    if (now_ns <= b->last_ns) return; /* a clock that steps back never mints tokens */
    b->tokens += (double)(now_ns - b->last_ns) * 1e-9 * b->rate_per_s;
    if (b->tokens > b->cap) b->tokens = b->cap;
    b->last_ns = now_ns;
}

bool th_bucket_take(th_bucket *b, double cost, int64_t now_ns)
{
    refill(b, now_ns);
    if (b->tokens + 1e-9 < cost) return false;
    b->tokens -= cost;
    return true;
}

double th_bucket_level(th_bucket *b, int64_t now_ns)
{
    refill(b, now_ns);
    return b->tokens;
}

int64_t th_bucket_wait_ns(th_bucket *b, double cost, int64_t now_ns)
{
    if (cost > b->cap) return -1;
    refill(b, now_ns);
    if (b->tokens + 1e-9 >= cost) return 0;
    if (b->rate_per_s <= 0) return -1;
    return (int64_t)((cost - b->tokens) / b->rate_per_s * 1e9) + 1;
}

void th_bucket_charge(th_bucket *b, double cost, int64_t now_ns)
{
    refill(b, now_ns);
    b->tokens -= cost;
}

/* Kraken "Spot Trading Limits": decaying count by order age; the fixed count is charged apart. */
double th_kraken_cancel_cost(int64_t age_ns)
{
    int64_t s = age_ns / 1000000000;
    return s < 5 ? 8 : s < 10 ? 6 : s < 15 ? 5 : s < 45 ? 4 : s < 90 ? 2 : s < 300 ? 1 : 0;
}

double th_kraken_amend_cost(int64_t age_ns)
{
    int64_t s = age_ns / 1000000000;
    return s < 5 ? 3 : s < 10 ? 2 : s < 15 ? 1 : 0;
}

void th_backoff_init(th_backoff *b, int64_t base_ns, int64_t max_ns, uint64_t seed)
{
    b->base_ns = base_ns;
    b->max_ns = max_ns;
    b->attempts = 0;
    b->until_ns = 0;
    b->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static uint64_t next_rand(th_backoff *b)
{
    b->rng ^= b->rng << 13;
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    return b->rng;
}

int64_t th_backoff_fail(th_backoff *b, int64_t now_ns, int64_t retry_after_ns)
{
    int64_t d = b->base_ns;
    for (int32_t i = 0; i < b->attempts && d < b->max_ns; i++) d *= 2;
    if (d > b->max_ns) d = b->max_ns;
    if (b->attempts < 62) b->attempts++;
    int64_t wait = d / 2 + (int64_t)(next_rand(b) % (uint64_t)(d / 2 + 1));
    if (wait < retry_after_ns) wait = retry_after_ns;
    int64_t until = now_ns + wait;
    if (until > b->until_ns) b->until_ns = until;
    return b->until_ns;
}

void th_backoff_success(th_backoff *b)
{
    b->attempts = 0;
}

bool th_backoff_blocked(const th_backoff *b, int64_t now_ns) { return now_ns < b->until_ns; }

int th_kraken_rest_limits(int tier, double *threshold, double *decay_per_s)
{
    static const double T[3][2] = {{15, 0.33}, {20, 0.5}, {20, 1}};
    if (tier < 0 || tier > 2) return -1;
    *threshold = T[tier][0];
    *decay_per_s = T[tier][1];
    return 0;
}

double th_kraken_rest_cost(const char *method)
{
    static const char *const TWO[] = {"TradesHistory", "QueryTrades", "Ledgers", "QueryLedgers"};
    static const char *const FREE[] = {"AddOrder", "AddOrderBatch", "CancelOrder", "CancelOrderBatch", "CancelAll",
                                       "CancelAllOrdersAfter", "EditOrder", "AmendOrder"};
    for (size_t i = 0; i < sizeof TWO / sizeof *TWO; i++)
        if (strcmp(method, TWO[i]) == 0) return 2;
    for (size_t i = 0; i < sizeof FREE / sizeof *FREE; i++)
        if (strcmp(method, FREE[i]) == 0) return 0;
    return 1;
}
