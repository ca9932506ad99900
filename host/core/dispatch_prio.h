/* dispatch_prio.h — which changed pairs get their on_book in this loop turn, and when the loop is
 * overloaded (docs/architecture.md "Priorities and overload").
 *
 * Every pair has a priority, 1 (highest) to 4. A turn's changed pairs are planned in priority
 * order (1 first, then 2, 3, 4; within a level the pairs that already waited first). The caller
 * runs them in that order and asks before each whether it may: a priority-1 pair always runs;
 * another runs while the turn's dispatch time is under the budget, else it is deferred: it stays
 * changed (conflated: its next on_book carries the latest book) and is planned again next turn.
 * Starvation is bounded: a pair deferred max_wait turns in a row runs in the next turn whatever
 * the budget (with priority 1), so its on_book is at most max_wait turns late.
 *
 * Overload: deferrals in overload_turns turns in a row (a backlog the loop does not work off)
 * enter overload mode and pause the lowest priority present, of those with a running pair of a
 * higher priority (priority 1 is never paused, and something always keeps running); still behind
 * after overload_turns more turns, the next lowest is paused too. Paused pairs get no on_book (the
 * caller pulls their quotes). The exit has hysteresis: when every turn for calm_ns had no deferral
 * and used at most half the budget, the most recently paused level resumes (the caller gives its
 * pairs an on_book with the current book), then the next after another calm_ns; the last one
 * resumed ends overload mode.
 *
 * Plain C: no clock, no Lua, no loop; times are passed in (monotonic ns), so it is unit-tested
 * alone (tests/unit/test_dispatch_prio.c). */
#ifndef TH_DISPATCH_PRIO_H
#define TH_DISPATCH_PRIO_H

#include <stdbool.h>
#include <stdint.h>

#define TH_PRIO_LEVELS 4
#define TH_PRIO_DEFAULT 2

typedef struct th_prio_pair {
    uint8_t level;   /* 1..4; 0: not a configured pair */
    uint8_t queued;  /* in this turn's plan */
    uint16_t waited; /* turns deferred in a row */
} th_prio_pair;

/* What the end of a turn asks of the caller. */
typedef enum { TH_PRIO_NONE = 0, TH_PRIO_PAUSE, TH_PRIO_RESUME } th_prio_action;

typedef struct th_prio {
    /* settings */
    int64_t budget_ns;     /* a turn's dispatch budget; 0: no budget (every changed pair runs) */
    int32_t max_wait;      /* starvation bound, turns */
    int32_t overload_turns;
    int64_t calm_ns;
    /* pairs by instrument index */
    th_prio_pair *pair;
    int32_t npair;
    int32_t present[TH_PRIO_LEVELS + 1]; /* configured pairs per level */
    /* this turn */
    int32_t *plan, nplan, plan_cap;
    uint64_t *keys;        /* the plan's sort keys */
    int64_t turn_start, work_ns;
    int32_t deferred_now;
    /* overload */
    bool overload;
    uint8_t paused;        /* bit l: level l paused */
    uint8_t pause_order[TH_PRIO_LEVELS]; /* levels in the order they were paused */
    int32_t npause_order;
    int32_t over_turns;    /* turns in a row with deferrals */
    int64_t calm_since;    /* 0: the last turn was not calm */
    int32_t action_level;  /* the level of the last PAUSE/RESUME action */
    bool nothing_to_pause; /* overload with one level left: logged once per entry */
    /* counts */
    uint64_t changed[TH_PRIO_LEVELS + 1], dispatched[TH_PRIO_LEVELS + 1], deferred[TH_PRIO_LEVELS + 1];
    uint64_t skipped[TH_PRIO_LEVELS + 1]; /* changed while paused: no on_book */
    uint64_t forced;       /* ran past the budget at the starvation bound */
    uint64_t enters, exits, turns, over_budget_turns;
} th_prio;

void th_prio_init(th_prio *p, int64_t budget_ns, int32_t max_wait, int32_t overload_turns, int64_t calm_ns);
void th_prio_free(th_prio *p);
/* Size for n instruments (new ones unconfigured); 0 or -1 (out of memory). */
int th_prio_resize(th_prio *p, int32_t n);
/* Set a pair's level (1..4; 0: not configured). Counts presence; call th_prio_reconfigured after. */
void th_prio_set_level(th_prio *p, int32_t i, int level);
/* After a reconfiguration: presence recounted. A level paused with no pair left is dropped. */
void th_prio_reconfigured(th_prio *p);
static inline bool th_prio_is_paused(const th_prio *p, int32_t i)
{
    return i >= 0 && i < p->npair && p->pair[i].level && (p->paused >> p->pair[i].level & 1);
}

/* A turn: begin, add each changed configured pair (paused ones are counted and left out: false),
 * plan, then for each planned pair in order ask may_run (now: monotonic ns) and report its end
 * with ran. end_turn says what to do: pause or resume action_level. */
void th_prio_begin(th_prio *p, int64_t now_ns);
bool th_prio_add(th_prio *p, int32_t i);
void th_prio_plan(th_prio *p);
bool th_prio_may_run(th_prio *p, int32_t i, int64_t now_ns);
th_prio_action th_prio_end(th_prio *p, int64_t now_ns);
/* Pairs still waiting after the turn (deferred): the loop must come round again soon. */
static inline bool th_prio_backlog(const th_prio *p) { return p->deferred_now > 0; }

#endif
