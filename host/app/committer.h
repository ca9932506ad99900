/* committer.h — the journal's group commit off the loop thread.
 *
 * The order flow seals a turn's journal records and holds the turn's outbox
 * (th_flow_commit_begin); the write and fdatasync run on libuv's thread pool (uv_queue_work), and
 * back on the loop (the work's after-callback) the held orders are sent, or, if the commit failed,
 * the kill switch is pulled and none of them is (th_flow_commit_end). Meanwhile the loop goes on
 * with market data, strategy callbacks and new intents, which wait for the next batch. One batch
 * is out at a time, so batches reach the file, and orders the venue, in turn order. A pending
 * work request keeps uv_run going, so a stopping session finishes its commits before it closes. */
#ifndef TH_COMMITTER_H
#define TH_COMMITTER_H

#include <stdbool.h>
#include <uv.h>

#include "../core/metrics.h"
#include "../core/order_flow.h"

typedef struct th_committer {
    uv_loop_t *loop;
    th_flow *flow;
    uv_work_t req;
    uv_work_t warm;             /* a no-op at start-up, so the pool's threads exist before trading */
    th_jbatch batch;
    int rc;
    const char *err;
    int64_t took_ns;            /* set by the worker, read after it */
    uint64_t batches;
    th_hist write_ns;           /* write + sync time per batch, off the loop */
    int32_t m_write;
} th_committer;

void th_committer_init(th_committer *c, uv_loop_t *loop, th_flow *flow);
/* Start the next batch if none is out (the flow sends now what needs no commit). */
void th_committer_kick(th_committer *c);
static inline bool th_committer_busy(const th_committer *c) { return c->flow && c->flow->commit_out; }

#endif
