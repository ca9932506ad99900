/* order_flow.h — the one path every order takes, and the state it leaves behind.
 *
 *   intent -> risk gates -> rate limits -> tracker (client id) -> journal -> outbox
 *   end of loop turn: journal commit (one fsync) -> outbox to the venue connector
 *   (or, off the loop thread: seal the turn's records and hold its outbox -> write + fsync
 *   elsewhere -> back on the loop: send what was held; th_flow_commit_begin / _end)
 *   venue events -> tracker -> positions/PnL -> journal -> events for the strategy
 *
 * Nothing reaches the venue before its intent is on disk: the outbox is only sent after the
 * turn's commit succeeds, and a failed commit pulls the kill switch and fails the unsent orders.
 * Recovery rebuilds tracker, positions and the kill switch from the previous session's journal
 * (the same apply code the live path journals for), carries the live orders and positions into the
 * new journal, then reconciles with the venue: trades since the last journalled fill first, then
 * open orders; every order still PENDING_* or OPEN that the venue does not report is resolved, and
 * orders the venue reports that we never sent are adopted (flagged) or cancelled, by configuration.
 * No uv, no Lua: the session drives it, and the tests drive it through the in-process test venue. */
#ifndef TH_ORDER_FLOW_H
#define TH_ORDER_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "balances.h"
#include "instrument.h"
#include "journal.h"
#include "kv_store.h"
#include "order_tracker.h"
#include "position.h"
#include "quote_executor.h"
#include "rate_limit.h"
#include "risk.h"
#include "venue_api.h"

typedef enum th_rate_model { TH_RATE_NONE = 0, TH_RATE_KRAKEN, TH_RATE_BINANCE } th_rate_model;

typedef struct th_flow_cfg {
    th_risk_limits risk;
    th_exec_cfg exec;
    int64_t pending_timeout_ns;     /* PENDING_* older than this is queried; default 10 s */
    int64_t day_offset_ns;          /* the trading day starts this long after UTC midnight */
    bool adopt_unknown;             /* true: adopt orders we never sent (flagged); false: cancel them */
    int64_t keep_done_ns;           /* finished orders stay findable this long (default 300 s)... */
    int32_t keep_done_max;          /* ...unless more than this many are waiting (default 10,000) */
    int32_t rate_model;
    double pair_cap, pair_rate;     /* Kraken: per-pair counter threshold and decay per second */
    double venue_cap, venue_rate;   /* orders per venue: capacity and refill per second */
    bool stop_cancel_all;           /* the stop's first move is the venue's cancel_all, if it has one */
    char prefix[24];                /* client id prefix: host and session */
    /* Non-empty: the account is shared with other hosts (storage.redis.leases), and this is the
     * start of every client id this host makes (session.id_prefix). An order or fill whose client
     * id does not start with it is another host's: never adopted, counted or cancelled, except
     * that one found open on a pair this host holds (th_flow_gate.owns) is cancelled (a dead
     * host's leftovers, after its lease expired). */
    char own_prefix[8];
} th_flow_cfg;

/* A gate of the host's own, asked after the risk gates for every place and amend
 * (host/app/redis_lease.c: pair leases and a risk budget shared by several hosts). No I/O here:
 * the answers are what the host already holds. */
typedef struct th_flow_gate {
    /* TH_RISK_OK, or the reason to refuse an order on ins that would bring this host's exposure
     * to need (report currency): positions plus live orders with it for an order that can grow
     * the position (grows), the live orders with it for one that only reduces it (filled, it
     * takes exposure off: the positions are not held against it). */
    int32_t (*allow)(void *ctx, int32_t ins, bool grows, double need);
    /* ins is this host's to trade now (it holds the pair's lease). */
    bool (*owns)(void *ctx, int32_t ins);
    void *ctx;
} th_flow_gate;

typedef enum th_flow_ev_kind { TH_FLOW_EV_FILL = 1, TH_FLOW_EV_ORDER } th_flow_ev_kind;

typedef struct th_flow_event {
    int32_t kind, order;
    int64_t qty, price;             /* fills */
    th_money fee;
} th_flow_event;

/* TH_SEND_CANCEL_ALL carries no order (order -1): the venue's cancel_all, at the stop. */
typedef enum th_send_kind { TH_SEND_PLACE = 1, TH_SEND_CANCEL, TH_SEND_AMEND, TH_SEND_QUERY, TH_SEND_CANCEL_ALL } th_send_kind;

typedef struct th_send {
    int32_t kind, order;
    bool post_only;
} th_send;

typedef struct th_flow_stats {
    uint64_t placed, sent, cancels_sent, amends_sent, queries_sent, fills, rejects, venue_errors,
        adopted, adopted_cancelled, late_cancels, resolved_missing, recovered_orders, send_failures, events_dropped,
        recon_resends, cancel_resends, cancel_all_sent, batches_sent;
} th_flow_stats;

/* Market view the gates need: best prices (price units, 0 = empty) and book health. */
typedef int (*th_market_top_fn)(void *ctx, int32_t ins, int64_t *bid, int64_t *ask, int32_t *health);

/* Fees a venue charged in another asset than the pair's quote (Binance's BNB): kept in that asset,
 * never converted (flow_fees.c). amount: TH_FEE_OTHER_DEC decimals of the asset. */
#define TH_FEE_OTHER_DEC 12
#define TH_FEE_OTHER_MAX 8
typedef struct th_fee_other {
    char asset[16];
    int64_t amount, fills;
} th_fee_other;

typedef enum th_recon_phase { TH_RECON_NONE = 0, TH_RECON_TRADES, TH_RECON_OPEN } th_recon_phase;

typedef struct th_flow {
    th_flow_cfg cfg;
    const th_instruments *ins;
    th_tracker trk;
    th_portfolio pf;
    th_risk risk;
    th_journal *jr;                 /* NULL: no journal (some unit tests only) */
    th_venue venue;
    th_market_top_fn market_top;
    void *market_ctx;
    /* By instrument, and sized to nins: the registry (ins) may grow under the flow (an instrument
     * update adds pairs); th_flow_grow sizes every per-instrument array to it, and every entry
     * point that takes an instrument index grows first if it has to. */
    int32_t nins;
    int64_t *oracle;                /* by instrument, price units; 0 none */
    th_bucket venue_bucket;
    th_bucket *pair_bucket;         /* by instrument */
    th_backoff backoff;
    int64_t place_hold_ns;          /* a venue's order-count refusal: places and amends wait until then, cancels do not */
    th_send *out;
    int32_t nout, out_cap;
    th_send *held;                  /* the outbox of the commit that is out, sent when it is durable */
    int32_t nheld, held_cap;
    bool commit_out;                /* a sealed batch is being written */
    th_flow_event *ev;
    int32_t nev, ev_cap;
    double open_notional;           /* report currency, all live orders' remaining size */
    int32_t recon;
    int64_t recon_sent_ns;          /* when the reconciliation's current request went out */
    int64_t recon_retry_ns;         /* that request is lost: ask again from here (back-off); 0 none */
    int64_t last_fill_ns;
    th_fee_other fees_other[TH_FEE_OTHER_MAX]; /* by asset, in the order first seen */
    int32_t nfees_other;
    int32_t jr_version;             /* the version of the journal being read (recovery) */
    uint64_t day_rolls_logged;      /* pf.day_rolls already journalled */
    bool failed;                    /* journal failure: nothing more is sent */
    bool stopping;                  /* th_flow_stop ran: the graceful stop's cancels are out */
    bool bulk_cancel;               /* th_flow_cancel journals and marks, the caller sends one cancel_all */
    int32_t cancel_all_state;       /* flow_stop.c: 0 none, 1 sent, 2 answered */
    char last_error[768];
    struct { char currency[16]; double rate; } rates[32]; /* th_flow_set_rate, kept for new instruments */
    int32_t nrates;
    th_flow_stats st;
    th_kvstore store;               /* th.store: journalled and recovered with the orders */
    th_flow_gate gate;              /* th_flow_set_gate; allow NULL: none */
    const th_balances *bal;         /* a live venue's balances (balances.h gate); NULL: no balance gate */
    bool sweep_foreign;             /* th_flow_sweep_foreign's open-orders request is out */
    uint64_t foreign_events, foreign_cancelled; /* another host's orders and fills seen, cancelled */
} th_flow;

void th_flow_defaults(th_flow_cfg *cfg);
int th_flow_init(th_flow *f, const th_flow_cfg *cfg, const th_instruments *ins, th_venue venue, th_journal *jr,
                 int64_t now_ns, const char **err);
void th_flow_free(th_flow *f);
/* th.store: set (bounds checked: kv_store.h) or delete one key, journalled with the turn's records
 * (durable with the turn's commit). 0, or -1 with a static message (a bound, or the journal failed). */
int th_flow_store_put(th_flow *f, const char *strategy, const char *key, const char *val, int32_t len, const char **err);
int th_flow_store_delete(th_flow *f, const char *strategy, const char *key, const char **err);
/* The callbacks the connector calls (ctx is the flow). */
th_venue_events th_flow_venue_events(th_flow *f);
void th_flow_set_market(th_flow *f, th_market_top_fn fn, void *ctx);
/* The host's own gate (see th_flow_gate); refusals are counted like the risk gates'. */
void th_flow_set_gate(th_flow *f, th_flow_gate gate);
/* A shared account: ask the venue for its open orders and cancel those of other hosts on the
 * pairs this host owns (gate.owns), leaving everything else alone. After taking a pair's lease. */
void th_flow_sweep_foreign(th_flow *f, int64_t now_ns);
/* Quote currency rate to the report currency for every instrument quoted in `currency`, now and
 * added later. */
void th_flow_set_rate(th_flow *f, const char *currency, double rate);
/* A config reload: risk limits (per-pair ones back to the defaults), the executor's tolerances,
 * timeouts, unknown orders, finished-order keeping, the venue order bucket. */
void th_flow_reconfigure(th_flow *f, const th_flow_cfg *c, int64_t now_ns);
bool th_flow_has_rate(const th_flow *f, const char *currency);
/* The instrument registry grew: size every per-instrument array to it (the tracker's live sets,
 * positions, risk limits at the pair default, oracle prices, rate buckets). 0, or -1 out of
 * memory (the flow then treats the new instruments as unknown). */
int th_flow_grow(th_flow *f, int64_t now_ns);
/* Oracle (reference) price of an instrument, price units; 0 clears it. -1: unknown instrument. */
int th_flow_set_oracle(th_flow *f, int32_t ins, int64_t price);

/* An intent: TH_RISK_OK and *idx_out, or the refusing gate's reason. */
int32_t th_flow_place(th_flow *f, int32_t ins, int32_t side, int64_t price, int64_t qty, bool post_only, const char *tag,
                      int64_t now_ns, int32_t *idx_out);
/* 0, or a TH_TRK_* error (unknown order, already done, already cancelling). */
int32_t th_flow_cancel(th_flow *f, int32_t idx, int64_t now_ns);
/* Cancels every live order (of one instrument, or all with ins < 0); returns how many. */
int32_t th_flow_cancel_all(th_flow *f, int32_t ins, int64_t now_ns);
/* Make the pair's live orders match targets (instrument units). */
typedef struct th_quotes_outcome {
    int32_t kept, placed, cancelled, replaced, refused, waiting, first_refusal;
} th_quotes_outcome;
int th_flow_quotes(th_flow *f, int32_t ins, const th_quote *targets, int32_t n, int64_t now_ns, th_quotes_outcome *res);

/* End of a loop turn: commit the journal, then send the outbox. Returns -1 if the commit failed.
 * While an asynchronous commit is out it does nothing (the outbox waits its turn). */
int th_flow_flush(th_flow *f, int64_t now_ns);
/* The same commit in two halves, so that the write and sync can run on another thread while the
 * loop goes on. begin: if no commit is out and the journal holds records, seal them into *b, hold
 * the outbox, and return 1: the caller runs th_journal_write(f->jr, b) anywhere, then calls
 * th_flow_commit_end on the loop thread. Otherwise returns 0; when no commit is out and nothing
 * needs writing, the outbox is sent now. While a commit is out the outbox waits, so orders of a
 * later turn never overtake an earlier turn's. end: the batch is durable (rc 0) and the held
 * orders go to the venue, or it is not (rc -1, err) and the kill switch is pulled and none of its
 * places or amends is ever sent (its cancels still are). Call begin again after end: records of
 * the turns since may be waiting. */
int th_flow_commit_begin(th_flow *f, th_jbatch *b, int64_t now_ns);
int th_flow_commit_end(th_flow *f, th_jbatch *b, int rc, const char *err, int64_t now_ns);
/* After the turn's events were dispatched: retire finished orders beyond the keep window (their
 * indexes in this turn's events stay valid until the end of the next turn). Returns how many. */
int32_t th_flow_end_turn(th_flow *f, int64_t now_ns);
/* Clock tick: query timed-out PENDING_* orders, re-send cancels the venue refused for the rate
 * once the back-off (and, for Kraken, the pair's counter) allows, recompute PnL exactly, check
 * the loss caps. */
void th_flow_tick(th_flow *f, int64_t now_ns);
/* A book's mid for unrealised PnL. */
void th_flow_mark(th_flow *f, int32_t ins, int64_t mid, int64_t now_ns);
/* Kill switch: refuse new orders, cancel every live one, stay halted until th_flow_rearm. */
void th_flow_kill(th_flow *f, int32_t code, const char *reason, int64_t now_ns);
void th_flow_rearm(th_flow *f, int64_t now_ns);

/* The graceful stop (flow_stop.c): cancel every live order, by the venue's cancel_all when it
 * has one (cfg.stop_cancel_all) and then a reconciliation for what remains, else one cancel per
 * order. Returns how many orders are live. Call th_flow_tick while draining: it re-sends what the
 * venue refused for the rate as soon as that is allowed, and queries what went unanswered. */
int32_t th_flow_stop(th_flow *f, int64_t now_ns);
/* How long the drain should wait for the live orders' cancels: the time the venue's rate counter
 * needs to let all of them out if it is full now (Kraken: the pair with the most cancel cost over
 * its decay rate), twice over for the back-off's granularity. 0 without a rate model. */
int64_t th_flow_drain_estimate_ns(th_flow *f, int64_t now_ns);
/* One log line per live order (cl_id, ex_id, symbol, side, price, size, state): what a stop that
 * gave up leaves at the venue. Returns how many. */
int32_t th_flow_log_live(th_flow *f, const char *msg);

/* Recovery. Rebuild from a previous session's journal (0, or -1 with *err naming what was wrong). */
int th_flow_recover(th_flow *f, const char *path, th_journal_scan *scan, const char **err);
/* Apply one journal record to the state (the recovery path; exposed for tests and tools). */
int th_flow_apply(th_flow *f, const th_jrec *r);
/* Write the session header and the carried-over state into the (new) journal. */
void th_flow_journal_begin(th_flow *f, int64_t now_ns);
/* Ask the venue what happened while we were away; new orders are refused until it answers. A
 * request (or answer) lost on the way is asked again by th_flow_tick: after pending_timeout_ns
 * with no answer, then the flow's back-off (rate_limit.h, growing with each loss), counted in
 * st.recon_resends and logged. */
void th_flow_reconcile(th_flow *f, int64_t now_ns);
static inline bool th_flow_recovering(const th_flow *f) { return f->recon != TH_RECON_NONE; }
void th_flow_journal_close(th_flow *f, int64_t now_ns);

/* Events for the strategy since the last drain. */
static inline void th_flow_events_clear(th_flow *f) { f->nev = 0; }
/* Hand those events to the caller in exchange for its buffer (empty, or NULL at first): no copy
 * and no allocation per turn, and events queued while the caller works through them (a callback
 * that places or cancels) land in the other buffer. Returns how many *buf holds. */
int32_t th_flow_events_take(th_flow *f, th_flow_event **buf, int32_t *cap);

#endif
