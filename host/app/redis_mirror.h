/* redis_mirror.h — the session's state mirrored into Redis (storage.redis), under the key scheme
 * dashboards and settlement jobs read (docs/ops.md "Redis keys"):
 *   <strategy>:<venue>:<symbol>:<session>:orders     hash: client id -> the order (JSON)
 *   <strategy>:<venue>:<symbol>:<session>:fills      hash: "<client id>|<trade id>" -> the fill (JSON)
 *   <strategy>:<venue>:<symbol>:<session>:positions  hash: qty, avg_entry, realised, fees, fills, ...
 *   <strategy>:<venue>:<session>:config              hash: strategy, venue, mode, pairs, ...
 *   <strategy>:<venue>:<session>:portfolio           hash: total, realised, unrealised, fees, ...
 *   <strategy>:<venue>:<session>:risk_params         hash: the limits, halted, halt_reason
 *   market:<venue>:<symbol>:ticker, :book            market snapshots with TTLs (spot 60 s,
 *                                                    futures 5 min, order book 30 s)
 * strategy is `multi` for a session of several pairs, else the strategy's name; venue the market
 * data venue's name (venue.feed, else venue.name); symbol lower case with `-` (btc-usd).
 *
 * It is a projection of the journal, not of the live state: each loop turn it reads the records
 * the journal gained (core/journal_tail.c), replays them into a shadow order flow (th_flow_apply:
 * the recovery path, so its state is what `tradehost journal` prints), and writes what they
 * touched, pipelined in one write per turn. Redis down: nothing is written (journal only; /health
 * shows the store down, degraded); when it returns, the shadow is rebuilt from the journal's first
 * record and everything is written again. Every write sets a field to its value (HSET), and a
 * fill's field is its unique key, so a replay adds nothing twice and whatever was missed is
 * written: nothing lost, nothing duplicated. A turn reads at most TH_MIRROR_TURN_RECORDS records
 * and stops while TH_MIRROR_PENDING_MAX commands await replies, so a long catch-up or a slow Redis
 * never holds the loop. */
#ifndef TH_REDIS_MIRROR_H
#define TH_REDIS_MIRROR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "../core/journal_tail.h"
#include "../core/metrics.h"
#include "../core/order_flow.h"
#include "../net/redis_uv.h"
#include "session_feed.h"
#include "trading.h"

#define TH_MIRROR_TURN_RECORDS 4096
#define TH_MIRROR_PENDING_MAX 100000

typedef struct th_redis_mirror {
    bool active;                 /* storage.redis configured and opened */
    bool up;                     /* connected: writing */
    bool caught_up;              /* the shadow has read the whole journal since (re)connecting */
    th_redis r;
    uv_check_t turn;
    uv_timer_t market;           /* once a second: market snapshots and the portfolio */
    th_journal_tail tail;
    th_flow shadow;              /* the journal replayed (the recovery path) */
    bool shadow_open;
    th_flow_cfg cfg;
    th_trading *tr;
    th_session_feed *mf;
    char journal[512];
    char sess_prefix[200];       /* <strategy>:<venue>:<session>: */
    char strategy[64], venue[32], session[64], mode[16];
    bool futures;                /* the market data venue is a futures one: 5 min ticker TTL */
    uint32_t *stamp;             /* by order index: the turn it was last marked in */
    int32_t nstamp;
    int32_t *touched;            /* order indexes marked this turn */
    int32_t ntouched, touched_cap;
    bool *pair_touched;
    int32_t npair_touched;
    bool risk_touched;
    uint32_t turn_no;
    int64_t catchup_start_ns;
    uint64_t writes, records, errors, catchups;
    int32_t m_writes, m_records, m_errors, m_connected, m_catchups, m_lag;
    th_hist turn_ns;             /* time in the mirror per turn that did something */
    int32_t m_turn_ns;
    char last_error[160];
} th_redis_mirror;

/* storage.redis (host, port, password_env, connect_timeout_ms): 0 with m->active false when not
 * configured; 0 and connecting; -1 with *err (a bad setting). After the order side is open. */
int th_redis_mirror_open(th_redis_mirror *m, uv_loop_t *loop, th_lua *lua, th_trading *tr, th_session_feed *mf,
                         const char *session_id, const char *mode, const char **err);
/* The store's entry for /health ({"name":"redis",...}); returns 1 when it is unhealthy. */
int th_redis_mirror_health(th_redis_mirror *m, FILE *f);
/* The graceful stop: what the journal holds by now is written, then the connection closes. */
void th_redis_mirror_close(th_redis_mirror *m);
/* After the loop has returned. */
void th_redis_mirror_free(th_redis_mirror *m);

#endif
