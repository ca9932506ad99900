/* committer.c — the journal's group commit on libuv's thread pool (see committer.h). */
#include "committer.h"

#include <string.h>

#include "../core/clock.h"

static void on_work(uv_work_t *req)
{
    th_committer *c = req->data;
    int64_t t0 = th_mono_ns();
    c->err = NULL;
    /* Only the batch and the journal's fd are touched here; the loop thread leaves both alone
     * until after_work (the journal is sealed). */
    c->rc = th_journal_write(c->flow->jr, &c->batch, &c->err);
    c->took_ns = th_mono_ns() - t0;
}

static void after_work(uv_work_t *req, int status)
{
    th_committer *c = req->data;
    if (status != 0 && c->rc == 0) { c->rc = -1; c->err = "journal write was cancelled"; }
    c->batches++;
    th_hist_record(&c->write_ns, (uint64_t)c->took_ns);
    th_metric_observe(c->m_write, c->took_ns);
    th_flow_commit_end(c->flow, &c->batch, c->rc, c->err, th_clock_ns());
    th_committer_kick(c); /* the records of the turns since, and the kill switch's cancels after a failure */
}

static void warm_work(uv_work_t *req) { (void)req; }
static void warm_after(uv_work_t *req, int status) { (void)req; (void)status; }

void th_committer_init(th_committer *c, uv_loop_t *loop, th_flow *flow)
{
    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->flow = flow;
    c->req.data = c;
    th_hist_reset(&c->write_ns);
    const char *e;
    th_metric_register("journal_write_ns", TH_METRIC_HISTOGRAM, &c->m_write, &e);
    /* libuv starts its threads on the first request (about 1 ms): at start-up, not in a turn. */
    uv_queue_work(loop, &c->warm, warm_work, warm_after);
}

void th_committer_kick(th_committer *c)
{
    if (!c->flow || c->flow->commit_out) return;
    if (!th_flow_commit_begin(c->flow, &c->batch, th_clock_ns())) return;
    if (uv_queue_work(c->loop, &c->req, on_work, after_work) != 0) {
        /* The pool refused the request: write it here rather than never. */
        c->rc = th_journal_write(c->flow->jr, &c->batch, &c->err);
        th_flow_commit_end(c->flow, &c->batch, c->rc, c->err, th_clock_ns());
    }
}
