/* trading.h — the session's order side: the order flow, its journal, its venue connector, and the
 * FFI functions strategies call (th_order_*, th_quotes_set, th_position_get, th_pnl_get, th_risk_*).
 *
 * Built from the config at session start: limits from `risk`, the journal from `storage`
 * (`journal_dir`, `fsync`), the connector from `venue.name`. Until the connectors issue lands,
 * paper and backtest sessions (--paper, venue.paper, venue.name = "sim") are served by the
 * in-process test venue with paper fills against the session's books, whatever the market data
 * venue; live venues have no order connector yet, so a live run's orders are refused (`no_venue`).
 * Start-up recovers from the newest journal in the directory (refusing to start on a corrupt
 * one), carries its live orders and positions into a new journal, and reconciles with the venue
 * before any new order is accepted. */
#ifndef TH_TRADING_H
#define TH_TRADING_H

#include <stdbool.h>

#include "../core/order_flow.h"
#include "../feed/feed.h"
#include "../lua/lua_host.h"
#include "../venues/test_venue.h"
#include "committer.h"

typedef struct th_trading {
    bool active;
    bool ready;             /* th_trading_open completed: the order side may act at the venue */
    th_flow flow;
    th_journal jr;
    bool have_journal;
    th_test_venue tv;
    bool have_tv;
    th_instruments own;          /* when there is no feed, instruments loaded for orders only */
    bool own_loaded;
    th_feed *feed;               /* books for the gates and paper fills; may be NULL */
    char journal_path[512];
    char currency[16];
    th_lua *lua;                 /* the config, for instruments added after start */
    int32_t nins_config;         /* instruments the config's limits and rates were applied to */
    th_flow_event *events;       /* the batch being dispatched (swapped with the flow's queue) */
    int32_t events_cap;
    bool async_commit;           /* storage.fsync = "turn": write + sync on the thread pool */
    th_committer cm;
    th_hist stall_ns;            /* loop time in the commit-and-send step, per turn with records */
    int32_t m_stall;
    int lock_fd;                 /* the journal directory's lock (journal_dir.h), held until close */
    bool have_lock;
    bool failure_marked;         /* the journal failed and its marker is written */
} th_trading;

/* Returns 0 (also when orders are not configured: active stays false), or -1 with *err.
 * mode "backtest": no journal and no recovery (a backtest never inherits a previous run's orders).
 * mode "paper": orders fill against the in-process paper venue; the account starts fresh (a new
 * journal, the previous one left alone) unless `resume`, which recovers from the newest journal
 * and logs what it carried. mode "run": the venue's connector, and recovery always.
 * The journal directory is storage.journal_dir (th.config defaults it to var/journal/<strategy>
 * beside the config file, so two configs never recover each other's orders), created if missing. */
int th_trading_open(th_trading *t, th_lua *lua, const char *home, const char *config_path, const char *mode, bool resume,
                    th_feed *feed, const char **err);
/* Run the turn's commit off the loop thread (libuv's pool) when storage.fsync is "turn"; with
 * "always" and "never" (and in a backtest, which has no journal) commits stay synchronous.
 * TH_JOURNAL_COMMIT_ON_LOOP=1 keeps them on the loop (the benchmark's baseline). */
void th_trading_use_loop(th_trading *t, uv_loop_t *loop);
/* One loop turn: commit + send, venue answers, commit again. */
void th_trading_turn(th_trading *t);
/* After the turn's events were dispatched: finished orders beyond the keep window are retired. */
void th_trading_end_turn(th_trading *t);
void th_trading_tick(th_trading *t);
/* The instrument registry grew (an instrument update): every per-instrument array of the order
 * side grows, and the new instruments get the config's pair limits and currency rates. */
void th_trading_sync_instruments(th_trading *t);
void th_trading_mark(th_trading *t, int32_t ins);
/* Cancel everything (graceful stop); returns the live count left. */
int32_t th_trading_cancel_all(th_trading *t);
void th_trading_close(th_trading *t);
/* The session's journal failed (also after th_trading_close): the session exits non-zero, and the
 * marker left beside the journal makes the next start recover halted. */
static inline bool th_trading_journal_failed(const th_trading *t) { return t->failure_marked; }
/* The flow events since the last call go to the strategy as on_fill / on_order. */
void th_trading_dispatch(th_trading *t, th_lua *lua, th_strategy *strat);
th_trading *th_trading_current(void);

/* `tradehost journal FILE|DIR [--json]`: rebuild and print the state a journal holds. */
int th_journal_cmd(int argc, char **argv);

#endif
