/* session_impl.h — the session's own struct, shared by the files that make up the session and
 * nobody else: session.c (start-up, the loop turn, signals, the graceful stop) and
 * session_control.c (what an operator asks of it through the API: start, stop, reload,
 * settlement, status and statistics).
 *
 * Why a private header: the control entry points must act on the same session the signals act on
 * (one reload path, one stop path), and session.c has no room for a second concept. Everything
 * else sees the session through session.h (run it) or session_view.h (look at it, steer it). */
#ifndef TH_SESSION_IMPL_H
#define TH_SESSION_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../lua/lua_host.h"
#include "api.h"
#include "instance_orders.h"
#include "pg_history.h"
#include "pg_stats.h"
#include "redis_lease.h"
#include "redis_mirror.h"
#include "repl.h"
#include "session_events.h"
#include "session_feed.h"
#include "session_reload.h"
#include "session_report.h"
#include "status_view.h"
#include "strategy_timers.h"
#include "trading.h"

typedef struct session session;
struct session {
    bool backtest;                /* the command line's backtest: its summary at the end */
    const char *report_dir;       /* backtest --report (NULL: none) */
    uint64_t seed;                /* backtest --seed */
    uv_loop_t loop;
    uv_signal_t sig_hup, sig_usr1; /* SIGTERM, SIGINT: shutdown.c (they must work when the loop is stuck) */
    uv_timer_t tick_timer, stop_timer, drain_timer;
    uv_check_t turn_check;     /* end of every loop turn: journal commit, then orders out */
    int64_t drain_deadline, drain_started;
    int32_t left_live;         /* the drain gave up with this many orders live (exit TH_EXIT_ORDERS_LIVE) */
    th_trading tr;
    th_lua lua;
    th_strategy strat;
    bool strategy_loaded;
    bool fault_keep;           /* strategy.on_fault = "keep": a faulted strategy's orders stay */
    bool started;     /* on_start ran: on_stop is owed */
    bool stopping;
    uint64_t ticks;
    int32_t m_ticks;
    double tick_ms;
    th_session_feed mf;
    th_repl repl;              /* repl.socket: Lua inside this host for `tradehost repl` */
    th_repl repl_ro;           /* repl.readonly_socket: the same, every client read-only */
    uv_timer_t exit_timer;     /* os.exit from Lua: the graceful stop, after the current callback */
    int exit_status;           /* os.exit's status; -1: none asked */
    th_api api;                /* api.listen: HTTP on loopback */
    th_strategy_timers timers; /* th.every / th.after: the loop wakes for them */
    th_session_report report;  /* the timeline it samples and the report at its end */
    th_status_view status;     /* status.mode: the live view on the terminal */
    th_reload_target reload;   /* SIGHUP, the REPL's reload(), POST /reload: th_session_reload */
    /* session.start = "api": everything is open (journal recovered, control surfaces bound) but
     * on_start, ticks and market data wait for POST /sessions/start */
    bool held;
    const char *mode;          /* "run", "paper" or "backtest" */
    double duration_s;         /* --duration or session.duration_s; POST /sessions/start may set it */
    int64_t started_ns;        /* wall time on_start ran; 0: not started */
    int64_t started_mono;      /* the same, monotonic (uptime) */
    char id[64];               /* session.name, else "session-" and the journal's stem */
    uv_timer_t ctl_timer;      /* an API stop, run outside lws's callbacks */
    bool stop_asked;           /* POST /sessions/stop: the stop is on its way */
    uv_timer_t control_timer;  /* once a second: drawdowns, the status event, settlement steps */
    int64_t status_every_ns, next_status_ns; /* api.status_every_s: the status event's period */
    char settle_state[16];     /* "" none, "waiting", "reconciling", "done" */
    char settle_file[560];
    bool settle_cancel;
    int32_t settle_cancelled;
    th_session_events ev;      /* fills, orders, risk, reloads, status -> /events (and stores) */
    th_redis_mirror rm;        /* storage.redis: the journal projected into Redis */
    th_pg_history ph;          /* storage.postgres: the journal's history in PostgreSQL */
    th_pg_stats ps;            /* storage.postgres: the API's statistics read from it */
    th_redis_lease rl;         /* storage.redis.leases: pairs and a risk budget shared with other hosts */
};

/* session.c */
void th_session_stop(session *s, const char *why);
/* on_start, ticks, market data and the duration timer: at start-up, or on POST /sessions/start. */
void th_session_begin(session *s);
/* SIGHUP and POST /reload: th_session_reload (session_reload.c, the one reload), told to the event
 * stream with its source. 0 with what changed in msg, or -1 with the error in msg. */
int th_session_reload_told(session *s, const char *source, char *msg, size_t cap);

/* session_control.c: the session's view for the API (session_view.h), built on this session; the
 * control timer (opened once the order side is, closed by the graceful stop). */
th_session_view th_session_control_view(session *s);
void th_session_control_open(session *s);
/* The session's id, and the stores beside the journal (the Redis mirror), with a start line
 * saying which are active. 0, or -1 with the reason on stderr (start-up stops: exit 2). */
int th_session_stores_open(session *s, const char *mode);
void th_session_control_close(session *s);

#endif
