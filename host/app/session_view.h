/* session_view.h — the one narrow interface through which the control surfaces (the HTTP API
 * today; anything that answers an operator next) see the running session: its health, its risk
 * state, the kill switch and re-arm, the metrics text; its status, statistics, the health of its
 * venues, books and stores; start, stop, reload and settlement. Nothing else.
 *
 * Why a table of functions and plain structs, not trading.h or tradehost.h: the API is a protocol
 * (HTTP, JSON, tokens) and must not know how the session is built: which module holds the risk
 * gates, how strategies fault, where metrics live. The session fills the table
 * (th_session_view_make, session_view.c) and hands it to the API when it opens it; the API
 * includes this header and nothing from the session or the order side, so the dependency runs one
 * way (test_layering.sh checks it). The REPL needs no such view: it evaluates Lua in the strategy's
 * state, and sees the session exactly as a strategy does, through the `th` library. */
#ifndef TH_SESSION_VIEW_H
#define TH_SESSION_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TH_VIEW_REFUSALS_MAX 64

typedef struct th_view_health {
    char version[16];
    char mode[16];
    int32_t pid;
    bool order_flow;             /* the session has an order side */
    bool halted;                 /* ... and its kill switch is pulled */
} th_view_health;

/* A strategy whose callback raised (its callbacks stopped until a reload). */
typedef struct th_view_fault {
    char strategy[64];
    char callback[32];
    char error[512];
    int32_t orders_cancelled;
} th_view_fault;

typedef struct th_view_refusals {
    const char *reason;          /* the refusal reason's name (static) */
    double count;
} th_view_refusals;

typedef struct th_view_risk {
    bool halted;
    bool breaker_open;
    int32_t consecutive_errors;
    const char *halt_code;       /* the halt reason's name; "" when not halted */
    char halt_reason[128];
    int32_t nrefusals;           /* reasons refused at least once, in reason order */
    th_view_refusals refusals[TH_VIEW_REFUSALS_MAX];
} th_view_risk;

/* A deferred answer (a database read): the HTTP status and a JSON body, for the API's request token. */
typedef void (*th_view_reply_fn)(void *token, int status, const char *json, size_t n);

typedef struct th_session_view {
    void *ctx;
    void (*health)(void *ctx, th_view_health *out);
    /* The index-th faulted strategy: 0, or -1 past the last one. */
    int (*fault)(void *ctx, int32_t index, th_view_fault *out);
    /* -1: the session has no order side. */
    int (*risk)(void *ctx, th_view_risk *out);
    /* Pull the kill switch: every open order cancelled, new ones refused. -1: no order side. */
    int (*kill)(void *ctx, const char *reason);
    /* Re-arm after a kill: 0, or -1 with *err. */
    int (*rearm)(void *ctx, const char **err);
    /* Every registered metric, Prometheus text. */
    void (*metrics)(void *ctx, FILE *f);
    /* GET /balances: one object, {"known":..,"source":..,"balances":{asset:{total,available,held
     * (exact decimal text), decimals, updated_ns}}} (known false: "reason" says why). */
    void (*balances)(void *ctx, FILE *f);
    /* Reload the config and the strategy code (the session's th_session_reload, as SIGHUP): 0 and
     * what changed in msg, or -1 and the error in msg (nothing changed). NULL: no session. */
    int (*reload)(void *ctx, char *msg, size_t cap);
    /* Shadow reload (th_session_shadow): op "start" (max_diffs, 0 the default), "promote" or
     * "discard"; 0 and what happened, or -1 and why (nothing changed). NULL: no session. */
    int (*shadow)(void *ctx, const char *op, int max_diffs, char *msg, size_t cap);

    /* The entries below answer with JSON written to f (documents of any length: 500 pairs) and
     * are filled by the session itself (session_control.c); NULL when it has none. */
    /* The members "venues":[...],"books":[...],"stores":[...] for /health (no braces); returns how
     * many of them are unhealthy (a disconnected venue, a book not ok, a store down). */
    int (*links)(void *ctx, FILE *f);
    /* GET /sessions/status: one object. */
    void (*status)(void *ctx, FILE *f);
    /* GET /performance/stats: one object, the session's totals and one entry per pair. */
    void (*performance)(void *ctx, FILE *f);
    /* The same from the PostgreSQL history (app/pg_stats.h), session NULL for this one: 1 when
     * there is none, else 0 and reply(token, ...) is called once, now or later, unless
     * performance_cancel(token) came first (the client hung up). */
    int (*performance_pg)(void *ctx, const char *session, th_view_reply_fn reply, void *token);
    void (*performance_cancel)(void *ctx, void *token);
    /* POST /sessions/start: 0, or -1 with *err (the session is running or stopping: a conflict).
     * duration_s > 0 replaces the configured duration. */
    int (*start)(void *ctx, double duration_s, const char **err);
    /* POST /sessions/stop: the graceful stop SIGTERM runs. check: only say whether it can (the API
     * asks before answering, then stops once the answer is out). 0, or -1 with *err (already
     * stopping). */
    int (*stop)(void *ctx, bool check, const char **err);
    /* POST /settlement/trigger: reconcile with the venue, ask the strategy (on_settle), cancel
     * leftovers when asked, write the summary; the summary object to f. 0, or -1 with *err and
     * *conflict true when it cannot run now (not started, stopping, reconciling). */
    int (*settle)(void *ctx, bool cancel_leftovers, FILE *f, bool *conflict, const char **err);
} th_session_view;

/* The view of this process's session (its order side and strategies, found the way the FFI finds
 * them, so the API and Lua can never disagree about the risk state). */
th_session_view th_session_view_make(void);

#endif
