/* ingest.h — the one market-data ingestion path: a recording (frames, inline REST bodies,
 * recorded subscriptions) plus optional separate snapshot files, merged in receive-time order into
 * a th_feed, with every error and ignored frame class logged by reason.
 *
 * `tradehost replay`, `run` (paper, on a recording) and `backtest` all read market data through
 * this, so a recording gives the same books whichever way it is played; only the pacing differs
 * (replay sleeps, a session waits on its loop), and both compute due times with th_ingest_due.
 * The live feed will hand its frames to the same th_feed calls. */
#ifndef TH_INGEST_H
#define TH_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "feed.h"
#include "recording.h"

typedef struct th_ingest_snap {
    int64_t ts_ns;
    char *url;
    char *body;
    size_t len;
} th_ingest_snap;

typedef struct th_ingest {
    th_feed *feed;
    th_recording rec;
    bool rec_open, read_error;
    th_record next;            /* the recording's next record, read ahead */
    bool have_next;
    th_ingest_snap *snaps;     /* from separate snapshot files, by receive time */
    size_t nsnap, snap_cap, snap_next;
    const char *who;           /* log prefix: "replay", "session" */
    int log_first;             /* each reason is logged for its first log_first occurrences */
    uint64_t records;          /* recording records applied */
    uint64_t snapshots_applied;/* from the separate files */
    int64_t shift_ns;          /* added to every receive time read (records and snapshots): a
                                * recording of another day aligned to this one (venue.lead.align) */
} th_ingest;

/* Open a recording for feed. who: a log prefix. */
int th_ingest_open(th_ingest *in, th_feed *feed, const char *recording, const char *who, const char **err);
/* Add a file of REST snapshots (`<url> -> <epoch>: <body>` lines): merged by receive time. */
int th_ingest_add_snapshots(th_ingest *in, const char *path, const char **err);
/* The receive time of what comes next (shifted by shift_ns); false at the end. */
bool th_ingest_peek(const th_ingest *in, int64_t *ts_ns);
/* Apply what comes next to the feed: 1 applied, 0 at the end, -1 read error (logged). */
int th_ingest_step(th_ingest *in);
/* Recorded pace: the monotonic time at which a record received at ts_ns is due, when the record
 * received at first_ts was due at start_mono and time runs `speed` times faster. */
int64_t th_ingest_due(int64_t ts_ns, int64_t first_ts, int64_t start_mono, double speed);
/* Log the per-reason counts (once, at the end). */
void th_ingest_log_reasons(const th_ingest *in);
void th_ingest_close(th_ingest *in);

#endif
