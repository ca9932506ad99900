/* ingest.c — recording + snapshots -> feed, in receive-time order (see ingest.h). */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "venue_feed.h"

static void read_next(th_ingest *in)
{
    int rc = th_recording_next(&in->rec, &in->next);
    in->have_next = rc > 0;
    if (rc < 0) {
        in->read_error = true;
        th_logf(TH_LOG_ERROR, "recording read error", "who=%s file=%s line=%llu", in->who, in->rec.path,
                (unsigned long long)in->rec.line_no);
    }
}

int th_ingest_open(th_ingest *in, th_feed *feed, const char *recording, const char *who, const char **err)
{
    memset(in, 0, sizeof *in);
    in->feed = feed;
    in->who = who;
    in->log_first = 10;
    if (th_recording_open(&in->rec, recording, err) != 0) return -1;
    in->rec_open = true;
    read_next(in);
    return 0;
}

static int cmp_snap(const void *a, const void *b)
{
    const th_ingest_snap *x = a, *y = b;
    return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

int th_ingest_add_snapshots(th_ingest *in, const char *path, const char **err)
{
    static char msg[1200];
    th_recording rec;
    if (th_recording_open(&rec, path, err) != 0) return -1;
    th_record r;
    size_t before = in->nsnap, other = 0;
    const th_venue_feed_ops *ops = in->feed->ops;
    int rc;
    while ((rc = th_recording_next(&rec, &r)) > 0) {
        if (r.kind != TH_REC_REST || !r.data) continue;
        /* only this venue's depth snapshots: instrument data or another venue's bodies in the
         * file are the wrong file (checked once here, not per frame) */
        if (!ops || !ops->is_snapshot || th_json_parse(&in->feed->json, r.data, r.len) < 0 || !ops->is_snapshot(in->feed)) {
            other++;
            continue;
        }
        if (in->nsnap == in->snap_cap) {
            size_t cap = in->snap_cap ? in->snap_cap * 2 : 16;
            th_ingest_snap *v = realloc(in->snaps, sizeof *v * cap);
            if (!v) { th_recording_close(&rec); *err = "out of memory"; return -1; }
            in->snaps = v;
            in->snap_cap = cap;
        }
        th_ingest_snap *s = &in->snaps[in->nsnap];
        s->ts_ns = r.ts_ns;
        s->url = strndup(r.url, r.url_len);
        s->body = strndup(r.data, r.len);
        s->len = r.len;
        if (!s->url || !s->body) { free(s->url); free(s->body); th_recording_close(&rec); *err = "out of memory"; return -1; }
        in->nsnap++;
    }
    th_recording_close(&rec);
    if (rc < 0) { snprintf(msg, sizeof msg, "%s: read error", path); *err = msg; return -1; }
    if (in->nsnap == before) {
        /* a snapshots file with none is the wrong file, not "no snapshots" */
        snprintf(msg, sizeof msg, "%s has no %s depth snapshots (`<url> -> <epoch>: <body>` lines; %zu REST bodies of another kind)",
                 path, th_venue_name(in->feed->venue), other);
        *err = msg;
        return -1;
    }
    if (other)
        th_logf(TH_LOG_WARN, "snapshots file: REST bodies that are no depth snapshot were skipped", "file=%s count=%zu", path, other);
    qsort(in->snaps + in->snap_next, in->nsnap - in->snap_next, sizeof *in->snaps, cmp_snap);
    return 0;
}

bool th_ingest_peek(const th_ingest *in, int64_t *ts_ns)
{
    bool snap = in->snap_next < in->nsnap;
    if (!in->have_next && !snap) return false;
    if (!in->have_next) *ts_ns = in->snaps[in->snap_next].ts_ns;
    else if (snap && in->snaps[in->snap_next].ts_ns <= in->next.ts_ns) *ts_ns = in->snaps[in->snap_next].ts_ns;
    else *ts_ns = in->next.ts_ns;
    *ts_ns += in->shift_ns;
    return true;
}

/* Each reason's first occurrences are logged with where they were and the detail; the rest are
 * only counted (th_ingest_log_reasons and replay --json give the totals). */
static void explain(th_ingest *in, int rc, const char *where, uint64_t line)
{
    th_feed *f = in->feed;
    if (f->last_reason < 0) {
        if (rc != 0) th_logf(TH_LOG_WARN, "frame rejected", "line=%llu error=\"%s\" where=%s", (unsigned long long)line, f->last_error, where);
        return;
    }
    const th_feed_reason *r = &f->reasons[f->last_reason];
    if (r->count > (uint64_t)in->log_first) return;
    const char *more = r->count == (uint64_t)in->log_first ? " (further ones are counted, not logged)" : "";
    if (!r->ignored || rc != 0)
        th_logf(r->ignored ? TH_LOG_INFO : TH_LOG_WARN, "frame rejected", "line=%llu error=\"%s\" reason=\"%s\" count=%llu%s where=%s",
                (unsigned long long)line, f->last_error, r->text, (unsigned long long)r->count, more, where);
    else
        th_logf(TH_LOG_INFO, "frame ignored", "line=%llu reason=\"%s\" count=%llu%s where=%s", (unsigned long long)line, r->text,
                (unsigned long long)r->count, more, where);
}

int th_ingest_step(th_ingest *in)
{
    th_feed *f = in->feed;
    bool snap = in->snap_next < in->nsnap;
    if (snap && (!in->have_next || in->snaps[in->snap_next].ts_ns <= in->next.ts_ns)) {
        th_ingest_snap *s = &in->snaps[in->snap_next++];
        f->now_ns = s->ts_ns + in->shift_ns;
        int rc = th_feed_rest(f, s->url, strlen(s->url), s->body, s->len, f->symbol_hint);
        in->snapshots_applied++;
        explain(in, rc, "snapshots", in->snap_next);
        return 1;
    }
    if (!in->have_next) return in->read_error ? -1 : 0;
    th_record *r = &in->next;
    int rc = 0;
    f->last_reason = -1;
    switch (r->kind) {
    case TH_REC_FRAME: rc = th_feed_frame(f, r->data, r->len, r->ts_ns + in->shift_ns); break;
    case TH_REC_REST:
        f->now_ns = r->ts_ns + in->shift_ns;
        if (r->data) rc = th_feed_rest(f, r->url, r->url_len, r->data, r->len, f->symbol_hint);
        break;
    /* what the recorder subscribed to says which symbols the recording is about */
    case TH_REC_OPEN: th_feed_subscription(f, r->url, r->url_len); break;
    case TH_REC_SENT: if (r->data) th_feed_subscription(f, r->data, r->len); break;
    }
    in->records++;
    explain(in, rc, "recording", in->rec.line_no);
    read_next(in);
    return 1;
}

int64_t th_ingest_due(int64_t ts_ns, int64_t first_ts, int64_t start_mono, double speed)
{
    return start_mono + (int64_t)((double)(ts_ns - first_ts) / speed);
}

void th_ingest_log_reasons(const th_ingest *in)
{
    const th_feed *f = in->feed;
    for (int i = 0; i < f->nreasons; i++)
        th_logf(f->reasons[i].ignored ? TH_LOG_INFO : TH_LOG_WARN, f->reasons[i].ignored ? "frames ignored" : "frame errors",
                "who=%s reason=\"%s\" count=%llu", in->who, f->reasons[i].text, (unsigned long long)f->reasons[i].count);
}

void th_ingest_close(th_ingest *in)
{
    if (in->rec_open) th_recording_close(&in->rec);
    for (size_t i = 0; i < in->nsnap; i++) { free(in->snaps[i].url); free(in->snaps[i].body); }
    free(in->snaps);
    memset(in, 0, sizeof *in);
}
