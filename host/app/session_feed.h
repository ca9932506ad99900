/* session_feed.h — a session's market data: the recording (and venue.snapshots) read through the
 * one ingestion path (feed/ingest.c), paced on the session's loop, and turned into the
 * strategy's market events (on_book_health, on_book) for the configured pairs.
 *
 * Why apart from session.c: pacing is its own clockwork (recorded pace on a timer, scaled by
 * venue.speed; full pace on an idle handle with ticks on virtual time; the lag it costs), and the
 * session needs only to open, start, stop and close it. Later live connectors feed the same
 * events. Two hooks go back to the session: a virtual-time tick is due (backtest), and a
 * full-pace recording has ended (the session stops). Parsers never call Lua: health changes queue
 * until the end of a batch, then go out in order, then one on_book per changed pair, by
 * priority within the turn's budget (session_dispatch.c). A lead
 * market of another venue (venue.lead) is merged in by receive time; session_lead.c owns it. */
#ifndef TH_SESSION_FEED_H
#define TH_SESSION_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "../connectors/binance_public.h"
#include "../connectors/instrument_fetch.h"
#include "../connectors/kraken_futures_public.h"
#include "../connectors/kraken_public.h"
#include "../core/metrics.h"
#include "../feed/feed.h"
#include "../feed/ingest.h"
#include "../lua/lua_host.h"
#include "dispatch_state.h"
#include "trading.h"

#define TH_SESSION_HEALTH_QUEUE 1024
#define TH_SESSION_MAX_DATA 8

typedef struct th_health_ev {
    int32_t sym, health;
    const char *reason;
} th_health_ev;

typedef struct th_session_feed {
    bool active, done;
    bool live;               /* market data from the venue's websocket (no venue.recording) */
    th_kraken_public kp;     /* live: Kraken spot's public connection */
    th_binance_public bp;    /* live: Binance spot's streams and depth snapshots */
    uv_loop_t *loop;
    bool stopping;           /* th_session_feed_stop ran: no more records are applied */
    th_feed feed;
    th_ingest in;            /* the recording and venue.snapshots, in receive-time order */
    th_ingest extra[TH_SESSION_MAX_DATA]; /* backtest: more recordings of the venue (--data), merged */
    int nextra, src;         /* src: which one the next record comes from (0: in) */
    const char *const *data; /* their paths, set before open */
    int ndata;
    bool data_given;         /* backtest --data: replaces venue.recording and venue.data */
    /* venue.lead: another venue's market (Kraken Futures beside Kraken spot), its recording merged
     * by receive time (shifted by venue.lead.align/shift_s) into a feed of its own, registered
     * for th.book; strategies get on_lead for its changed books, nothing trades on it */
    th_feed lead;
    th_ingest lead_in;
    bool have_lead;
    bool lead_live;          /* a live session's lead: its venue's websocket (session_lead.c) */
    th_kraken_futures_public kfp;
    uint64_t lead_events;    /* lead book events (on_lead, when the strategy has it) */
    int64_t next_ts;         /* receive time of what comes next */
    bool have_next;
    bool full_pace;          /* backtest: as fast as possible on the virtual clock */
    double speed;
    double tick_ms;          /* full pace: on_tick every tick_ms of recorded time */
    int64_t first_ts, start_mono;
    int64_t start_cpu;       /* th_cpu_ns at start: a backtest's speed per core */
    int64_t stale_ns;
    bool *wanted;            /* by instrument index (nwanted of them): a configured, enabled pair */
    int32_t nwanted;
    bool wanted_logged;      /* start-up done: later changes are instrument updates */
    char instruments_path[256];
    bool fetch_instruments;  /* live without venue.instruments: fetched from the venue before start */
    bool fetching;           /* the fetch runs now (/health: market data "fetching_instruments") */
    th_instrument_fetch fx;
    th_health_ev hq[TH_SESSION_HEALTH_QUEUE];
    int hq_n;
    uint64_t hq_dropped, book_events;
    uv_timer_t timer;
    uv_idle_t idle;
    int64_t next_vtick;      /* backtest: next virtual on_tick */
    int64_t turn_ns;         /* backtest: records received within one loop turn are one batch */
    int64_t from_ns, to_ns;  /* backtest: trade [from, to] of the recording (0: all); before from,
                              * records only build the books (no events, no orders) */
    bool from_rel, to_rel;   /* relative to the first record (resolved at open) */
    uint64_t warmup_records; /* applied before from */
    int64_t due_mono;        /* recorded pace: when the next record is due (monotonic) */
    th_hist lag_ns;          /* how late records were applied: what a busy loop costs market data */
    bool lag_reported;
    int32_t m_book_events, m_frames;
    th_session_dispatch disp;  /* on_book by priority within the turn's budget; overload mode */
    /* where events go */
    th_lua *lua;
    th_strategy *strat;
    th_trading *tr;          /* marks, and the order side follows an instrument update */
    void *ctx;               /* the session, for the two hooks */
    void (*tick)(void *ctx);  /* full pace: a tick of recorded time is due */
    void (*turn)(void *ctx);  /* full pace: the end of a loop turn (orders out, answers in, events to Lua) */
    int64_t (*next_due)(void *ctx); /* full pace: when the paper venue next has something due */
    void (*ended)(void *ctx); /* full pace: the recording has ended */
    void (*before_record)(void *ctx, int64_t ts); /* full pace: a record at ts is next (timers due before it run) */
} th_session_feed;

static inline bool th_session_feed_wanted(const th_session_feed *m, int32_t i) { return i >= 0 && i < m->nwanted && m->wanted[i]; }

/* Registers market_book_events and market_records (before the session's other metrics, so the
 * metrics text keeps its order). */
void th_session_feed_metrics(th_session_feed *m);
/* From venue.recording, venue.instruments, venue.snapshots, venue.pace, venue.speed,
 * venue.stale_ms. No venue.recording: live market data when the venue has a public connector
 * (Kraken: venue.endpoints.ws_public, default Kraken's own) and the mode is not a backtest; else
 * 0 with m->active false (no market data source). The
 * hooks and destinations (lua, strat, tr, ctx, tick, ended) are set by the caller before. */
int th_session_feed_open(th_session_feed *m, uv_loop_t *loop, bool virtual_clock, const char **err);
/* tick_ms: strategy.tick_ms (full pace ticks on recorded time). */
void th_session_feed_start(th_session_feed *m, double tick_ms);
/* Recorded pace: the session's clock follows the recording's, scaled by speed. */
void th_session_feed_clock_sync(th_session_feed *m);
/* A silent feed sends no frames, so its stale transitions are found (and delivered) on a tick. */
void th_session_feed_check_stale(th_session_feed *m);
/* Live: the frames received since the last call have changed books; deliver their events (one
 * on_book per changed pair, health first). Called once per loop turn, before the order side's. */
void th_session_feed_live_turn(th_session_feed *m);
/* Live without venue.instruments: fetch them from the venue (instrument_fetch.h) and run the loop
 * until they are in or *stopping (session_instruments.c); the order side, the strategy and market
 * data start after. 0 when they are in (or nothing needed fetching); -1 when the session must not
 * start (a bad endpoint, told on stderr; or a stop came first: exit TH_EXIT_START). */
int th_session_feed_fetch_instruments(th_session_feed *m, const bool *stopping);
/* The configured pairs by instrument index, grown to the registry (at open, and when it grew). */
int th_session_feed_wanted_sync(th_session_feed *m);
/* A config reload: the configured pairs (added ones get market events, removed ones no more) and
 * venue.stale_ms from the new config. */
void th_session_feed_reconfigure(th_session_feed *m);
/* The session is stopping: the lag is reported and the pacing handles close. */
void th_session_feed_stop(th_session_feed *m);
/* After the loop has closed. */
void th_session_feed_close(th_session_feed *m);

/* The lead market (session_lead.c). open: from venue.lead, once the traded recordings' first
 * record is read (m->next_ts, for align = "start"); 0 when there is none. dispatch: on_lead for
 * its changed books (after the pairs' on_book). finished: its counts to the log. close: with the
 * feed. */
int th_session_lead_open(th_session_feed *m, const char **err);
void th_session_lead_dispatch(th_session_feed *m);
void th_session_lead_finished(th_session_feed *m);
void th_session_lead_close(th_session_feed *m);
/* A live session's lead (venue.lead without a recording: Kraken Futures' websocket). open: with the
 * live feed (0 when there is none); start: connect; stop: close the connection. */
int th_session_lead_open_live(th_session_feed *m, const char **err);
void th_session_lead_start_live(th_session_feed *m);
void th_session_lead_stop_live(th_session_feed *m);
/* /health: the lead venue as a "venues" entry (with its leading comma), and its books as "books"
 * entries (*n: entries written so far, for the commas). Each returns how many are not well. */
int th_session_lead_health_venue(const th_session_feed *m, FILE *f);
int th_session_lead_health_books(const th_session_feed *m, FILE *f, int *n);

/* The dispatch of market events by priority, and overload mode (session_dispatch.c). */
/* The metrics, with the feed's (registration order is the metrics text's order). */
void th_session_dispatch_metrics(th_session_feed *m);
/* After the feed opened: settings and the pairs' priorities from the config; the backlog handle. */
int th_session_dispatch_open(th_session_feed *m, uv_loop_t *loop);
/* A config reload: the settings and priorities again; overload mode ends (paused pairs resume). */
void th_session_dispatch_reconfigure(th_session_feed *m);
/* The batch's events: health first, then on_book for the changed pairs by priority. */
void th_session_dispatch_batch(th_session_feed *m);
void th_session_dispatch_stop(th_session_feed *m);
void th_session_dispatch_close(th_session_feed *m);
/* /health: ,"dispatch":{...}; returns 1 in overload mode (the host is degraded), else 0. */
int th_session_dispatch_health(const th_session_feed *m, FILE *f);
/* The pair's priority (0: not configured) and whether it is paused now. */
int th_session_dispatch_pair(const th_session_feed *m, int32_t ins, bool *paused);
/* The session's pair ins is paused by overload mode (false with no session): the order entry
 * points refuse a strategy's orders and quotes on it. */
bool th_dispatch_pair_paused(int32_t ins);

#endif
