/* order_tracker.h — the client-side truth about every order this host ever sent.
 *
 * The host makes every client order id (`<prefix>-<seq>`: the prefix names the host and session,
 * so ids stay unique across restarts and across hosts sharing an account) and maps client id <->
 * exchange id both ways. States: PENDING_CREATE -> OPEN -> PENDING_CANCEL -> DONE, with a DONE
 * reason. Venues deliver events late, twice, or out of order, so every event is accepted in any
 * state and resolved by rule, and each anomaly is counted (never dropped):
 *   - a fill before the ack implies the ack;
 *   - a fill after a cancel request still counts (the cancel lost the race);
 *   - fills are idempotent by (order, trade id), and filled never exceeds quantity (excess refused),
 *     except that a fill past it while an amend up is in flight implies that amend;
 *   - fills that reach the old quantity while an amend up is in flight do not finish the order:
 *     the venue may have applied the amend and rest the difference, so the order stays live until
 *     the amend's answer (applied: it rests the remainder; refused: it is done) or, when that
 *     answer is late, a status query (th_tracker_due lists it) decides;
 *   - an ack or fill for an unknown id is reported to the caller, who adopts or cancels it;
 *   - PENDING_* older than the timeout are listed for a venue query (th_tracker_due);
 *   - an ack, or a fill that leaves it resting, for an order DONE as failed (the venue had said it
 *     did not know it: the place was still in flight) revives it as PENDING_CANCEL: it lives at
 *     the venue, and the caller cancels it there (policy: never adopt a quote the strategy was
 *     told had failed; its fills still count).
 * DONE orders are kept for late events and lookups, then retired (th_tracker_retire): their slot
 * and ids are reused, so a host that runs for weeks holds its live orders plus a bounded window of
 * finished ones, and the array it walks stays small and in cache. Trade keys outlive their orders
 * in a window of their own (the newest trade_keep_max): a fill replayed for a retired order (a
 * reconnect's trade snapshot) is still recognised as a duplicate (th_tracker_trade_seen) instead
 * of being adopted and counted twice. Any other event for a retired order is an unknown event.
 * Plain C with no I/O: the connector interface and the journal drive it. */
#ifndef TH_ORDER_TRACKER_H
#define TH_ORDER_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"

/* RETIRED marks a free slot (never an order's state as anyone outside the tracker sees it). */
typedef enum th_ord_state {
    TH_ORD_PENDING_CREATE = 0, TH_ORD_OPEN, TH_ORD_PENDING_CANCEL, TH_ORD_DONE, TH_ORD_RETIRED
} th_ord_state;
typedef enum th_done_reason {
    TH_DONE_NONE = 0, TH_DONE_FILLED, TH_DONE_CANCELLED, TH_DONE_REJECTED, TH_DONE_EXPIRED, TH_DONE_FAILED
} th_done_reason;

/* TH_ORD_QUOTE: placed by the quote executor (th_flow_quotes). A quotes update manages only such
 * orders (and adopted ones, whose owner is unknown): an order a strategy placed by hand on the
 * same pair is never cancelled or re-pointed by it. Journalled with the intent and the snapshot. */
enum { TH_ORD_ADOPTED = 1u << 0, TH_ORD_CANCEL_WANTED = 1u << 1, TH_ORD_QUOTE = 1u << 2 };

/* Results of event calls: >= 0 applied (the order's index); negative: why not. */
enum {
    TH_TRK_UNKNOWN = -1,   /* no such order: caller decides (adopt or cancel) */
    TH_TRK_DUPLICATE = -2, /* already applied (same trade id, same ack): ignored, counted */
    TH_TRK_INVALID = -3,   /* not possible in this state (e.g. cancel of a DONE order) */
    TH_TRK_FULL = -4,      /* out of memory */
};

#define TH_CLID_MAX 40
#define TH_EXID_MAX 48
#define TH_TRADEID_MAX 48
#define TH_TRADEKEY_MAX (TH_CLID_MAX + TH_TRADEID_MAX + 2) /* client id | trade id */

/* Field order matters: the executor reads the first 64 bytes of every live order of an instrument
 * (side, state, price, quantities, amend), so those come first and share one cache line; the ids
 * and the rest follow. */
typedef struct th_order {
    int32_t instrument, side;      /* TH_BID buys, TH_ASK sells */
    int64_t price, qty, filled;    /* instrument units */
    int32_t state, done_reason;
    int32_t live_pos;              /* live: its place in the instrument's live set; else -1 */
    uint32_t flags;
    int64_t amend_price, amend_qty; /* an amend sent and not yet answered (0: none) */
    /* DONE: the list of finished orders, oldest first, awaiting retirement. RETIRED: q_next links
     * the free slots. -1 ends a list. */
    int32_t q_prev, q_next;
    uint32_t done_epoch;           /* the tracker's epoch when the order finished */
    th_money notional_filled;      /* sum of px*qty of fills (money.h: price units * qty units) */
    int64_t created_ns, state_ns;
    char cl_id[TH_CLID_MAX];
    char ex_id[TH_EXID_MAX];
    char tag[16];
    int64_t amend_ns;              /* when the amend in flight was sent (or last queried): its timeout */
    int64_t rate_ns;               /* Kraken's rate counter: when last amended (0: never); its penalties
                                    * count an order's age from its creation or its last amend */
} th_order;

/* One live order as the risk walk reads it. Each instrument's live orders are one contiguous array
 * of these (in no particular order), kept in step by the tracker on every change of price,
 * quantity or fills: with hundreds of pairs an instrument's orders are rarely in cache, and a walk
 * that followed links through the order array paid each cache miss in turn (that was most of the
 * per-intent p99); an array of 24-byte entries is a few adjacent lines, fetched together. */
typedef struct th_live { int64_t price, rest; int32_t idx, side; } th_live;
typedef struct th_live_set { th_live *v; int32_t n, cap; } th_live_set;

typedef struct th_tracker_stats {
    uint64_t created, acked, filled_events, done[6];
    uint64_t fill_before_ack, fill_after_cancel_request, duplicate_fills, duplicate_acks, late_events,
        unknown_events, overfill_refused, fill_implied_amend, adopted, retired, revived, adopted_grown;
} th_tracker_stats;

typedef struct th_trade_key { char key[TH_TRADEKEY_MAX]; } th_trade_key;

typedef struct th_tracker {
    char prefix[24];
    uint64_t seq;
    th_order *v;
    int32_t n, cap;
    int32_t *cl_slots, *ex_slots;   /* open addressing: index + 1 */
    int32_t nslots;
    th_trade_key *trade_ids;        /* seen "client id|trade id" keys, a FIFO ring: idempotent fills */
    int32_t *trade_slots;
    int32_t ntrades, trade_cap, ntrade_slots, trade_first;
    int32_t trade_keep_max;         /* ring size; the oldest key goes when full (default 262,144) */
    int32_t free_head, nfree;       /* retired slots, reused first */
    int32_t done_head, done_tail, ndone; /* DONE orders not yet retired, oldest first */
    uint32_t epoch;                 /* bumped once per loop turn by the owner (th_tracker_retire) */
    th_live_set *live;              /* by instrument: its live orders */
    int32_t ins_cap, nlive;
    th_tracker_stats st;
} th_tracker;

int th_tracker_init(th_tracker *t, const char *prefix);
/* Live sets for instrument indexes < n (they also grow on demand; this is for the owner that
 * grows every per-instrument array together). */
int th_tracker_reserve(th_tracker *t, int32_t n);
void th_tracker_free(th_tracker *t);

/* A new intent: PENDING_CREATE with a fresh client id. Returns the index or TH_TRK_FULL. */
int32_t th_tracker_create(th_tracker *t, int32_t instrument, int32_t side, int64_t price, int64_t qty,
                          const char *tag, int64_t now_ns);
int32_t th_tracker_find_cl(const th_tracker *t, const char *cl_id);
int32_t th_tracker_find_ex(const th_tracker *t, const char *ex_id);

/* Venue events, by client id (ex_id may be NULL when the venue echoes only ours). An ack for a
 * failed order revives it as PENDING_CANCEL and returns its index (see the header comment). */
int32_t th_tracker_on_ack(th_tracker *t, const char *cl_id, const char *ex_id, int64_t now_ns);
int32_t th_tracker_on_reject(th_tracker *t, const char *cl_id, int64_t now_ns);
int32_t th_tracker_on_cancelled(th_tracker *t, int32_t idx, int64_t now_ns);
int32_t th_tracker_on_expired(th_tracker *t, int32_t idx, int64_t now_ns);
int32_t th_tracker_on_fill(th_tracker *t, int32_t idx, const char *trade_id, int64_t qty, int64_t price,
                           int64_t now_ns);
/* Our request to cancel: OPEN -> PENDING_CANCEL; PENDING_CREATE keeps its state and is flagged
 * (the cancel goes out by client id once acked). */
int32_t th_tracker_request_cancel(th_tracker *t, int32_t idx, int64_t now_ns);
/* Cancel-replace in place (venues with an amend): the request, then the venue's answer. An amend
 * to a quantity at or below the filled quantity finishes the order, as venues do. */
int32_t th_tracker_request_amend(th_tracker *t, int32_t idx, int64_t price, int64_t qty, int64_t now_ns);
int32_t th_tracker_on_amended(th_tracker *t, int32_t idx, bool ok, int64_t now_ns);
/* The venue, asked after a timeout, does not know the order: never created, or gone. */
int32_t th_tracker_resolve_missing(th_tracker *t, int32_t idx, int64_t now_ns);
/* The venue reports an order we never sent: track it, flagged ADOPTED. */
int32_t th_tracker_adopt(th_tracker *t, const char *ex_id, int32_t instrument, int32_t side, int64_t price,
                         int64_t qty, int64_t filled, int64_t now_ns);

/* Put back an order exactly as it was (recovery from the journal: its client id, state, fills).
 * Refuses a client id already tracked (TH_TRK_DUPLICATE). */
int32_t th_tracker_restore(th_tracker *t, const th_order *o);
/* Restart an order's timeout clocks, its amend's included (after a query was sent for it). */
void th_tracker_touch(th_tracker *t, int32_t idx, int64_t now_ns);

/* PENDING_* orders whose state is older than timeout_ns, and live orders whose amend has waited
 * that long for its answer; writes up to max indexes, returns count. */
int32_t th_tracker_due(const th_tracker *t, int64_t now_ns, int64_t timeout_ns, int32_t *out, int32_t max);

/* Whether a fill with this trade id was applied to the order with this client id (also after the
 * order was retired, within the trade-key window). */
bool th_tracker_trade_seen(const th_tracker *t, const char *cl_id, const char *trade_id);
/* The trade-key window, oldest first (the journal's opening snapshot carries it, so a restart's
 * "trades since" replay is recognised however many restarts ago the fill was counted), and its
 * restore: a key noted again is a no-op. th_tracker_trade_note returns -1 only when out of memory. */
static inline int32_t th_tracker_trade_count(const th_tracker *t) { return t->ntrades; }
const char *th_tracker_trade_key_at(const th_tracker *t, int32_t k);
int th_tracker_trade_note(th_tracker *t, const char *key);

/* End of a loop turn: bump the epoch, then retire DONE orders (oldest first) that finished at least
 * one full turn ago (so an index in this turn's events is never reused under its reader) and are
 * either older than keep_ns or beyond the newest keep_max. Returns how many were retired. */
int32_t th_tracker_retire(th_tracker *t, int64_t now_ns, int64_t keep_ns, int32_t keep_max);
/* True when idx names an order (in range, not a retired slot). */
static inline bool th_tracker_has(const th_tracker *t, int32_t idx)
{
    return idx >= 0 && idx < t->n && t->v[idx].state != TH_ORD_RETIRED;
}

/* Live orders of one instrument: *n entries (th_live.idx names the order). Finishing an order moves
 * the last entry into its place, so a caller that may finish orders while walking goes from the
 * end: for (k = n - 1; k >= 0; k--). Placing an order may move the array. */
static inline const th_live *th_tracker_live(const th_tracker *t, int32_t instrument, int32_t *n)
{
    if (instrument < 0 || instrument >= t->ins_cap) { *n = 0; return NULL; }
    *n = t->live[instrument].n;
    return t->live[instrument].v;
}
static inline int32_t th_tracker_live_count(const th_tracker *t, int32_t instrument)
{
    return instrument >= 0 && instrument < t->ins_cap ? t->live[instrument].n : 0;
}
static inline bool th_order_live(const th_order *o) { return o->state != TH_ORD_DONE; }

const char *th_ord_state_name(int32_t s);
const char *th_done_reason_name(int32_t r);

#endif
