/* paper_latency.c — fixed or sampled one-way delays (see paper_latency.h). */
#include "paper_latency.h"

#include <math.h>
#include <string.h>

static const char *const NAMES[] = {"fixed", "uniform", "lognormal"};

int th_paper_latency_dist_parse(const char *s, th_latency_dist *out)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, NAMES[i]) == 0) { *out = (th_latency_dist)i; return 0; }
    return -1;
}

const char *th_paper_latency_dist_name(th_latency_dist d) { return (unsigned)d < 3 ? NAMES[d] : "?"; }

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in (0, 1): 53 random bits, never 0 (log below) */
static double unit(uint64_t *s) { return ((double)(splitmix64(s) >> 11) + 0.5) / 9007199254740992.0; }

void th_paper_latency_seed(th_paper_latency *l, uint64_t seed) { l->state = seed ^ 0x6c6174656e6379ULL; }

static int64_t sample(th_paper_latency *l, int64_t centre)
{
    double v;
    switch (l->dist) {
    case TH_LATENCY_UNIFORM: v = (double)centre + (2.0 * unit(&l->state) - 1.0) * (double)l->jitter_ns; break;
    case TH_LATENCY_LOGNORMAL: {
        /* Box-Muller: one normal deviate per sample (the second is dropped: simpler to reproduce) */
        double z = sqrt(-2.0 * log(unit(&l->state))) * cos(6.283185307179586 * unit(&l->state));
        v = (double)centre * exp(l->sigma * z);
        break;
    }
    default: return centre;
    }
    return v > 0 ? (int64_t)v : 0;
}

int64_t th_paper_latency_order(th_paper_latency *l) { return sample(l, l->order_ns); }
int64_t th_paper_latency_feed(th_paper_latency *l) { return sample(l, l->feed_ns); }
