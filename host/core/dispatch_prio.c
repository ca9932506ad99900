/* dispatch_prio.c — the turn's on_book order by priority, its budget, and overload mode (see
 * dispatch_prio.h). */
#include "dispatch_prio.h"

#include <stdlib.h>
#include <string.h>

void th_prio_init(th_prio *p, int64_t budget_ns, int32_t max_wait, int32_t overload_turns, int64_t calm_ns)
{
    memset(p, 0, sizeof *p);
    p->budget_ns = budget_ns;
    p->max_wait = max_wait > 0 ? max_wait : 1;
    p->overload_turns = overload_turns > 0 ? overload_turns : 1;
    p->calm_ns = calm_ns;
}

void th_prio_free(th_prio *p)
{
    free(p->pair);
    free(p->plan);
    free(p->keys);
    p->pair = NULL;
    p->plan = NULL;
    p->keys = NULL;
    p->npair = p->plan_cap = 0;
}

int th_prio_resize(th_prio *p, int32_t n)
{
    if (n <= p->npair) return 0;
    th_prio_pair *v = realloc(p->pair, sizeof *v * (size_t)n);
    if (!v) return -1;
    memset(v + p->npair, 0, sizeof *v * (size_t)(n - p->npair));
    p->pair = v;
    /* the plan holds the turn's added pairs (second half) and their order (first half) */
    int32_t *plan = realloc(p->plan, sizeof *plan * 2 * (size_t)n);
    if (!plan) return -1;
    p->plan = plan;
    uint64_t *keys = realloc(p->keys, sizeof *keys * (size_t)n);
    if (!keys) return -1;
    p->keys = keys;
    p->plan_cap = n;
    p->npair = n;
    return 0;
}

void th_prio_set_level(th_prio *p, int32_t i, int level)
{
    if (i < 0 || i >= p->npair) return;
    p->pair[i].level = (uint8_t)(level < 0 ? 0 : level > TH_PRIO_LEVELS ? TH_PRIO_LEVELS : level);
}

void th_prio_reconfigured(th_prio *p)
{
    memset(p->present, 0, sizeof p->present);
    for (int32_t i = 0; i < p->npair; i++) p->present[p->pair[i].level]++;
    for (int l = 1; l <= TH_PRIO_LEVELS; l++)
        if (!p->present[l]) p->paused &= (uint8_t)~(1u << l);
}

void th_prio_begin(th_prio *p, int64_t now_ns)
{
    p->turn_start = now_ns;
    p->work_ns = 0;
    p->nplan = 0;
    p->deferred_now = 0;
}

bool th_prio_add(th_prio *p, int32_t i)
{
    if (i < 0 || i >= p->npair || !p->pair[i].level || p->pair[i].queued) return false;
    int l = p->pair[i].level;
    p->changed[l]++;
    if (p->paused >> l & 1) { p->skipped[l]++; return false; }
    p->pair[i].queued = 1;
    p->plan[p->plan_cap + p->nplan++] = i;
    return true;
}

/* First: priority 1, then the pairs at the starvation bound (both run whatever the budget); then
 * each lower level, the pairs that
 * waited longest first. Ties: instrument order. One sort key per pair: group, wait, index. */
static bool overdue(const th_prio *p, int32_t i) { return p->pair[i].level == 1 || p->pair[i].waited >= p->max_wait; }

static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void th_prio_plan(th_prio *p)
{
    const int32_t *in = p->plan + p->plan_cap;
    for (int32_t j = 0; j < p->nplan; j++) {
        int32_t i = in[j];
        uint64_t grp = p->pair[i].level == 1 ? 0 : overdue(p, i) ? 1 : (uint64_t)p->pair[i].level;
        p->keys[j] = grp << 48 | (uint64_t)(0xFFFFu - p->pair[i].waited) << 32 | (uint32_t)i;
    }
    qsort(p->keys, (size_t)p->nplan, sizeof *p->keys, key_cmp);
    for (int32_t j = 0; j < p->nplan; j++) p->plan[j] = (int32_t)(uint32_t)p->keys[j];
}

bool th_prio_may_run(th_prio *p, int32_t i, int64_t now_ns)
{
    th_prio_pair *x = &p->pair[i];
    x->queued = 0;
    p->work_ns = now_ns - p->turn_start;
    bool over = p->budget_ns > 0 && p->work_ns >= p->budget_ns;
    if (over && !overdue(p, i)) {
        x->waited++;
        p->deferred[x->level]++;
        p->deferred_now++;
        return false;
    }
    if (over && x->level != 1) p->forced++;
    x->waited = 0;
    p->dispatched[x->level]++;
    return true;
}

/* The lowest priority present with a running pair of a higher priority; 0: none. */
static int pause_candidate(const th_prio *p)
{
    for (int l = TH_PRIO_LEVELS; l >= 2; l--) {
        if (!p->present[l] || (p->paused >> l & 1)) continue;
        for (int h = 1; h < l; h++)
            if (p->present[h] && !(p->paused >> h & 1)) return l;
    }
    return 0;
}

th_prio_action th_prio_end(th_prio *p, int64_t now_ns)
{
    p->turns++;
    if (p->nplan) p->work_ns = now_ns - p->turn_start;
    if (p->budget_ns > 0 && p->work_ns > p->budget_ns) p->over_budget_turns++;
    if (p->deferred_now) {
        p->calm_since = 0;
        if (++p->over_turns < p->overload_turns) return TH_PRIO_NONE;
        p->over_turns = 0;
        if (!p->overload) { p->overload = true; p->enters++; p->nothing_to_pause = false; }
        int l = pause_candidate(p);
        if (!l) return TH_PRIO_NONE;
        p->paused |= (uint8_t)(1u << l);
        p->pause_order[p->npause_order++] = (uint8_t)l;
        p->action_level = l;
        return TH_PRIO_PAUSE;
    }
    p->over_turns = 0;
    if (!p->overload) return TH_PRIO_NONE;
    if (p->budget_ns > 0 && p->work_ns * 2 > p->budget_ns) { p->calm_since = 0; return TH_PRIO_NONE; }
    if (!p->calm_since) { p->calm_since = now_ns; return TH_PRIO_NONE; }
    if (now_ns - p->calm_since < p->calm_ns) return TH_PRIO_NONE;
    p->calm_since = now_ns; /* the next level waits another calm period */
    while (p->npause_order) { /* the most recently paused level still paused (a reload may have dropped it) */
        int l = p->pause_order[--p->npause_order];
        if (!(p->paused >> l & 1)) continue;
        p->paused &= (uint8_t)~(1u << l);
        p->action_level = l;
        if (!p->paused) { p->overload = false; p->exits++; }
        return TH_PRIO_RESUME;
    }
    p->paused = 0;
    p->overload = false;
    p->exits++;
    return TH_PRIO_NONE;
}
