/* trading.h — the session's order side: the order flow, its journal, its venue connector, built at
 * session start and run once per loop turn.
 *
 * Built from the config and the paths the session passes in (th_trading_opts): limits from `risk`
 * (trading_config.c), the journal in opts.journal_dir (trading_journal.c), the connector from
 * `venue.name`. Paper and backtest sessions (--paper, venue.paper, venue.name = "sim") send orders
 * to the sim's matching engine in-process (venues/paper_venue.c: queue positions, partial fills,
 * maker/taker fees, post-only, latency), fed the session's books, whatever the market data venue;
 * live venues have no order
 * connector yet, so a live run's orders are refused (`no_venue`). Start-up recovers from the
 * newest journal in the directory (refusing to start on a corrupt one), carries its live orders
 * and positions into a new journal, and reconciles with the venue before any new order is
 * accepted.
 *
 * Around it, each in its own file: trading_events.c (the flow's events into Lua as on_fill /
 * on_order), order_ffi.c and risk_ffi.c (the FFI strategies call: th_order_*, th_quotes_set,
 * th_position_get, th_pnl_get, th_risk_*), which find the order side through th_trading_current. */
#ifndef TH_TRADING_H
#define TH_TRADING_H

#include <stdbool.h>

#include "../core/balances.h"
#include "../core/decimal.h"
#include "../core/order_flow.h"
#include "../feed/feed.h"
#include "../lua/lua_host.h"
#include "../venues/paper_venue.h"
#include "committer.h"
#include "trading_journal.h"
#include "trading_venue.h"

typedef struct th_trading {
    bool active;
    bool ready;             /* th_trading_open completed: the order side may act at the venue */
    th_flow flow;
    th_trading_journal jn;  /* the journal file, its directory lock and failure marker */
    th_paper_venue pv;      /* paper and backtest: the sim's matching engine in-process */
    bool have_pv;
    th_balances bal;             /* the account's balances (balance_ffi.c; the connector fills them) */
    th_trading_venue lv;         /* a live venue's connector (run mode on a venue that has one) */
    th_instruments own;          /* when there is no feed, instruments loaded for orders only */
    bool own_loaded;
    th_feed *feed;               /* books for the gates and paper fills; may be NULL */
    char currency[16];
    th_lua *lua;                 /* the config, for instruments added after start */
    int32_t nins_config;         /* instruments the config's limits and rates were applied to */
    th_flow_event *events;       /* the batch being dispatched (swapped with the flow's queue) */
    int32_t events_cap;
    int32_t nevents;             /* how many of them the last dispatch took (session_events.c reads them after) */
    bool async_commit;           /* storage.fsync = "turn": write + sync on the thread pool */
    th_committer cm;
    bool halt_told;              /* on_halt was called for the halt in force (a re-arm clears it) */
    uint64_t breaker_told;       /* breaker trips on_halt was called for */
    th_hist stall_ns;            /* loop time in the commit-and-send step, per turn with records */
    int32_t m_stall;
} th_trading;

/* What the session hands the order side: the mode and the paths the config names (absolute:
 * th.config resolved them beside the config file). The order side reads its other settings from
 * the config itself, and asks the session for nothing. */
typedef struct th_trading_opts {
    const char *mode;             /* "run", "paper" or "backtest" (session.c session_mode has the rule) */
    bool resume;                  /* paper: recover the previous paper run's account */
    const char *journal_dir;      /* storage.journal_dir; NULL: not set (refused unless backtest) */
    const char *instruments_path; /* venue.instruments, for orders when there is no feed; may be NULL */
    th_feed *feed;                /* the session's market data, or NULL */
    uv_loop_t *loop;              /* the session's loop: a live venue's connections run on it */
    uint64_t seed;                /* the paper venue's ids and sampled latencies (--seed) */
    bool keep_journal;            /* backtest: journal anyway (its report is built from it), never synced */
} th_trading_opts;

/* The account's balances (balance_ffi.c): a paper session's are read from its engine first.
 * NULL without an order side. */
const th_balances *th_trading_balances(th_trading *t);

/* Returns 0 (also when orders are not configured: active stays false), or -1 with *err.
 * mode "backtest": no journal and no recovery (a backtest never inherits a previous run's orders).
 * mode "paper": orders fill against the in-process paper venue; the account starts fresh (a new
 * journal, the previous one left alone) unless `resume`, which recovers from the newest journal
 * and logs what it carried. mode "run": the venue's connector, and recovery always.
 * The journal directory is storage.journal_dir (th.config defaults it to var/journal/<strategy>
 * beside the config file, so two configs never recover each other's orders), created if missing. */
int th_trading_open(th_trading *t, th_lua *lua, const th_trading_opts *o, const char **err);
/* Run the turn's commit off the loop thread (libuv's pool) when storage.fsync is "turn"; with
 * "always" and "never" (and in a backtest, which has no journal) commits stay synchronous.
 * TH_JOURNAL_COMMIT_ON_LOOP=1 keeps them on the loop (the benchmark's baseline). */
void th_trading_use_loop(th_trading *t, uv_loop_t *loop);
/* One loop turn: commit + send, venue answers, commit again. */
void th_trading_turn(th_trading *t);
/* After the turn's events were dispatched: finished orders beyond the keep window are retired. */
void th_trading_end_turn(th_trading *t);
/* For the stores that follow the journal at a stop (the PostgreSQL history): true when every record
 * appended so far is in the file; else a commit of what is buffered is started (async: it lands
 * on a later turn). */
bool th_trading_journal_settled(th_trading *t);
void th_trading_tick(th_trading *t);
/* The instrument registry grew (an instrument update): every per-instrument array of the order
 * side grows, and the new instruments get the config's pair limits and currency rates. */
void th_trading_sync_instruments(th_trading *t);
void th_trading_mark(th_trading *t, int32_t ins);
/* The book's best bid and ask in the instrument's price units (0: no level) and its health, as
 * the gates see them; -1 when the instrument has no book. */
int th_trading_top(th_trading *t, int32_t ins, int64_t *bid, int64_t *ask, int32_t *health);
/* The market as the paper venue must see it: before a record at ts (requests that reached the
 * venue earlier are applied), each recorded trade, and after the record (the books it changed). */
void th_trading_market_before(th_trading *t, int64_t ts_ns);
void th_trading_market_trade(th_trading *t, int32_t ins, int64_t price, int64_t qty, int32_t aggressor, int64_t ts_ns);
void th_trading_market_after(th_trading *t, int64_t ts_ns);
/* When the paper venue next has something due (a request reaching it, an answer reaching us);
 * INT64_MAX: nothing. */
int64_t th_trading_next_due(const th_trading *t);
/* Cancel everything (a faulted strategy, a settlement); returns the live count left. */
int32_t th_trading_cancel_all(th_trading *t);
/* The graceful stop's cancels (th_flow_stop: the venue's cancel_all first where it has one);
 * returns the live count left. */
int32_t th_trading_stop(th_trading *t);
/* How long the drain should wait for those cancels (th_flow_drain_estimate_ns); 0: no estimate. */
int64_t th_trading_drain_estimate_ns(th_trading *t);
/* One error line per live order, each naming it; returns how many. */
int32_t th_trading_log_live(th_trading *t, const char *msg);
/* The session is stopping (after the drain): the venue's connections close on the loop. */
void th_trading_close_venue(th_trading *t);
/* A config reload: the flow's limits and settings, per-pair limits, currency rates and the paper
 * venue's fee read again from the (new) config. */
void th_trading_reconfigure(th_trading *t);
/* Cancel every live order of one instrument (a pair removed by a reload): how many were asked. */
int32_t th_trading_cancel_pair(th_trading *t, int32_t ins);
void th_trading_close(th_trading *t);
/* The session's journal failed (also after th_trading_close): the session exits non-zero, and the
 * marker left beside the journal makes the next start recover halted. */
static inline bool th_trading_journal_failed(const th_trading *t) { return t->jn.failure_marked; }
/* The process's order side while it is open, else NULL: how the FFI finds it (one per process,
 * like the session). */
th_trading *th_trading_current(void);
/* An instrument the order side covers, or -1: if the registry grew since the last sync (a strategy
 * callback can run before the session's), the flow grows first, so no per-instrument array is
 * ever indexed past its end. */
int32_t th_trading_find_symbol(th_trading *t, const char *symbol);

/* What the FFI answers when the session has no order side. */
#define TH_TRADING_NO_FLOW "no order flow in this session (the config has no instruments for orders)"

/* An order's price and size in human units (its instrument's decimals). */
static inline double th_trading_px(const th_flow *f, const th_order *o, int64_t v)
{
    return th_dec_to_double(v, f->ins->v[o->instrument].price_dec);
}
static inline double th_trading_qty(const th_flow *f, const th_order *o, int64_t v)
{
    return th_dec_to_double(v, f->ins->v[o->instrument].qty_dec);
}

#endif
