/* redis_lease.h — several hosts trading one account (storage.redis.leases, .shared_budget): pair
 * leases and a portfolio risk budget shared through Redis (docs/ops.md "Running several hosts").
 *
 * Leases: a host quotes a pair only while it holds the pair's lease, the key
 * th:lease:<account>:<symbol> set to its host id with `SET NX PX ttl`, renewed every ttl/3 by a
 * script that renews only if the value is still ours. A renewal answered "not ours", one left
 * unanswered for a renewal period, or a lost connection ends the lease on this side at once: the
 * pair's orders are cancelled and the gate refuses new ones (no_lease), so a host that cannot
 * renew has pulled its quotes long before the key expires and another host can take it. Hosts
 * share the pairs: each registers in th:hosts:<account> (an expiring entry per host) and takes
 * new pairs only up to its fair share (pairs / live hosts, rounded up); a host over its share hands
 * one pair back per renewal, once its orders there are gone. A host that takes a pair cancels
 * the previous holder's leftover orders on it (th_flow_sweep_foreign).
 *
 * Shared budget: th:budget:<account> holds each host's reservation ("amount:expiry_ms"); a Lua
 * script grants a reservation only out of what the others' unexpired ones leave of the limit
 * (risk.max_exposure_pct of risk.budget), so the sum never passes it. The gate lets an order out
 * only when this host's exposure with it (positions and live orders) fits its reservation; when it
 * does not, the order is refused (shared_budget) and a larger reservation asked for, for the next
 * attempt. What orders free is handed back each turn. A reservation lives 4 x ttl unrenewed (a host's
 * entry in th:hosts 2 x ttl), so a dead host's expires only after its pairs' leases did, the
 * survivors took them and swept its orders off them.
 *
 * The decisions plug into the order flow as its gate (th_flow_gate): no Redis in the core, and the
 * gate answers from what this side holds, never waiting on Redis. */
#ifndef TH_REDIS_LEASE_H
#define TH_REDIS_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "../net/redis_uv.h"
#include "session_feed.h"
#include "trading.h"

typedef enum th_lease_state { TH_LEASE_NONE = 0, TH_LEASE_HELD, TH_LEASE_RELEASING } th_lease_state;

struct th_redis_lease;

typedef struct th_lease_pair {
    struct th_redis_lease *l;
    int32_t ins;
    char key[160];
    int32_t state;
    bool off;                    /* no longer configured (redis_lease_pairs.c): never acquired again */
    bool renewing;               /* a renewal is out */
    int64_t valid_ns;            /* mono: the lease surely holds until then (sent + ttl) */
    int64_t sent_ns;             /* when the renewal that is out was sent */
    int64_t sweep_ns;            /* mono: when taking the pair asked for a sweep of other hosts' orders (0: none) */
} th_lease_pair;

typedef struct th_redis_lease {
    bool active;                 /* storage.redis.leases configured */
    bool budget_on;              /* storage.redis.shared_budget */
    bool up, closing;
    th_redis r;
    th_trading *tr;
    uv_timer_t tick;             /* every renewal period */
    uv_check_t turn;             /* each loop turn: hand back what orders freed, release pairs */
    char host_id[64], account[64];
    char hosts_key[160], budget_key[160];
    int64_t ttl_ms, period_ms;
    th_session_feed *mf;         /* the configured pairs (mf->wanted) */
    th_lease_pair *p;
    int32_t np, cap, nconf, nhosts, held; /* entries (off ones too), configured pairs */
    /* shared budget (report currency) */
    double limit, chunk, reserved, asked;
    double peak, peak_prev;      /* the largest exposure the gate was asked about, this period and the last */
    bool reserve_out;
    bool acquiring;              /* an ACQUIRE script is out */
    int64_t reserved_valid_ns;   /* mono: the reservation surely holds until then */
    int64_t reserve_sent_ns;
    uint64_t acquired, lost, released, swept, budget_refusals, errors;
    int32_t m_held, m_lost, m_reserved;
    char last_error[160];
} th_redis_lease;

/* storage.redis.leases / .shared_budget: 0 with l->active false when not configured; 0 and
 * connecting; -1 with *err naming the key (a bad or missing setting). After the order side is
 * open; sets the order flow's gate. */
int th_redis_lease_open(th_redis_lease *l, uv_loop_t *loop, th_lua *lua, th_trading *tr, th_session_feed *mf, const char **err);
/* The entry for /health's stores ({"name":"leases",...}); returns 1 when unhealthy. */
int th_redis_lease_health(th_redis_lease *l, FILE *f);
/* The graceful stop, after the drain: leases and the reservation handed back, the connection closed. */
void th_redis_lease_close(th_redis_lease *l);
void th_redis_lease_free(th_redis_lease *l);
/* redis_lease_pairs.c: the table of pairs made to follow the configured ones (at the start, and
 * every renewal period: pairs a reload adds are leased, pairs it removes handed back). 0, or -1
 * out of memory (the table is as it was). */
int th_lease_pairs_sync(th_redis_lease *l);

#endif
