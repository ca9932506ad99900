/* kraken_rate_counter.c — Kraken spot's per-pair trading rate counter (see kraken_rate_counter.h). */
#include "kraken_rate_counter.h"

#include <strings.h>

int th_kraken_tier_limits(int tier, double *threshold, double *decay_per_s)
{
    static const double lim[3][2] = {{60, 1.0}, {125, 2.34}, {180, 3.75}};
    if (tier < 0 || tier > 2) return -1;
    *threshold = lim[tier][0];
    *decay_per_s = lim[tier][1];
    return 0;
}

int th_kraken_tier_parse(const char *name)
{
    static const char *const names[3] = {"starter", "intermediate", "pro"};
    for (int i = 0; i < 3; i++)
        if (name && strcasecmp(name, names[i]) == 0) return i;
    return -1;
}

void th_kraken_rate_init(th_kraken_rate_counter *c, th_kraken_tier tier, int64_t now_ns)
{
    double max = 60, decay = 1;
    th_kraken_tier_limits((int)tier, &max, &decay);
    th_bucket_init(&c->b, max, decay, now_ns);
}

double th_kraken_rate_level(th_kraken_rate_counter *c, int64_t now_ns)
{
    double v = c->b.cap - th_bucket_level(&c->b, now_ns);
    return v < 1e-9 ? 0 : v;
}

bool th_kraken_rate_charge(th_kraken_rate_counter *c, double cost, bool force, int64_t now_ns)
{
    if (cost <= 0) return true;
    if (force) {
        th_bucket_charge(&c->b, cost, now_ns);
        return true;
    }
    return th_bucket_take(&c->b, cost, now_ns);
}
